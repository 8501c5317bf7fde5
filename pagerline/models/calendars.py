"""Calendar feeds: secret iCalendar URLs of on-call shifts."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from pagerline.models.accounts import User
from pagerline.models.schedules import Schedule


class CalendarToken(Model):
    """A secret calendar feed URL. Only the SHA-256 of the secret is stored.

    Without a schedule the feed lists the owner's own shifts in every schedule, with one it lists
    the whole schedule. The secret is shown once.
    """

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="calendar_tokens", on_delete=fields.CASCADE
    )
    schedule: fields.ForeignKeyNullableRelation[Schedule] = fields.ForeignKeyField(
        "models.Schedule", related_name="calendar_tokens", null=True, on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    # The first characters of the secret, so a user can tell their feeds apart.
    token_prefix = fields.CharField(max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "calendar_tokens"
