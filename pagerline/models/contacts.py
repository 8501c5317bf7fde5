"""A user's contact methods: the phone numbers, addresses, ntfy topics, Pushover user keys and
Telegram chats pages go to. Each is verified (a code sent through it) before anything else is."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from pagerline.models.enums import ContactKind


class ContactMethod(Model):
    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="contact_methods", on_delete=fields.CASCADE)
    kind = fields.CharEnumField(ContactKind)
    # A phone number (E.164), an email address, an ntfy topic, a Pushover user key, or a
    # Telegram chat id ("" for a Telegram method until its chat is linked).
    value = fields.CharField(max_length=254, default="")
    verified = fields.BooleanField(default=False)
    verified_at = fields.DatetimeField(null=True)
    # The code being waited for, stored only as a digest. Telegram's is looked up by its digest
    # alone (the bot learns the code, not the user), so it has an index.
    code_hash = fields.CharField(max_length=64, null=True, db_index=True)
    code_expires_at = fields.DatetimeField(null=True)
    code_attempts = fields.SmallIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "contact_methods"
        indexes = (("user_id", "kind", "verified"),)
