"""On-call reminders: how long before each of their shifts a user wants to be told.

Which reminders were sent is not stored here: each reminder is an outbox row whose unique
``dedup_key`` names (user, schedule, shift start), so the outbox itself refuses a second one.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ReminderSetting(Model):
    """A user's on-call reminder, in minutes before a shift starts (0 is at the start).

    One row per user at most, a user without a row gets no reminders.
    """

    id = fields.IntField(primary_key=True)
    user = fields.OneToOneField("models.User", related_name="reminder_setting", on_delete=fields.CASCADE)
    before_minutes = fields.SmallIntField()

    class Meta:
        table = "reminder_settings"
