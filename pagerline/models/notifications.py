"""Notification rules (per user) and the notification outbox."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from pagerline.models.enums import Channel, NotificationKind, NotificationStatus, Priority
from pagerline.models.indexes import WhereIndex


class NotificationRule(Model):
    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="notification_rules", on_delete=fields.CASCADE)
    method = fields.CharEnumField(Channel)
    delay_minutes = fields.SmallIntField(default=0)
    priority = fields.CharEnumField(Priority, default=Priority.HIGH)

    class Meta:
        table = "notification_rules"


class Notification(Model):
    """One message to one user on one channel: an outbox row.

    Written in the same transaction as the change that caused it, delivered by a worker that
    claims it first. ``dedup_key`` encodes (alert, user, escalation rule, round, notification
    rule) for pages, so the unique index refuses a second page even if an actor runs twice.
    """

    id = fields.BigIntField(primary_key=True)
    dedup_key = fields.CharField(max_length=200, unique=True)
    alert = fields.ForeignKeyField("models.Alert", related_name="notifications", null=True, on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="notifications", on_delete=fields.CASCADE)
    kind = fields.CharEnumField(NotificationKind, default=NotificationKind.PAGE)
    channel = fields.CharEnumField(Channel)
    notification_rule = fields.ForeignKeyField(
        "models.NotificationRule", related_name="notifications", null=True, on_delete=fields.SET_NULL
    )
    escalation_rule_index = fields.SmallIntField(null=True)
    escalation_round = fields.SmallIntField(null=True)
    status = fields.CharEnumField(NotificationStatus, default=NotificationStatus.PENDING, db_index=True)
    due_at = fields.DatetimeField(db_index=True)
    claimed_until = fields.DatetimeField(null=True)
    attempts = fields.SmallIntField(default=0)
    title = fields.CharField(max_length=300)
    body = fields.TextField()
    # Where it went (device tokens' ids, a phone number, an address); filled on delivery.
    target = fields.CharField(max_length=300, default="")
    transport = fields.CharField(max_length=20, default="")
    # The providers' message ids (FCM names, APNs ids, Twilio SIDs), for support and callbacks.
    provider_ids = fields.CharField(max_length=300, default="")
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)
    # Storm protection: what was sent (digest of channel, title and body) and when it passed the
    # storm checks; the checks count these per user and channel over a sliding window.
    content_hash = fields.CharField(max_length=64, default="")
    dispatched_at = fields.DatetimeField(null=True)
    # SMS/voice held back in a storm: the summary notification that carries it instead.
    bundle_key = fields.CharField(max_length=100, null=True, db_index=True)

    class Meta:
        table = "notifications"
        indexes = (
            ("status", "due_at"),
            ("user_id", "channel", "dispatched_at"),
            # An alert's notifications (timeline, responders, "skip the next rule"), and cheap
            # cascades when alerts are deleted.
            ("alert_id", "id"),
            # The outbox proper: rows still waiting or being sent, by due time. It holds open work
            # only, so the sweeper's scan and the /metrics gauge do not grow with history.
            WhereIndex(fields=("due_at",), name="notifications_outbox", where="status IN ('PENDING', 'SENDING')"),
        )


class ActionToken(Model):
    """A single-use token carried by one page for lock-screen (or email) accept/resolve.

    The token itself is signed (see pagerline.engine.delivery.action_tokens), this row makes it single-use
    and revocable.
    """

    nonce = fields.CharField(max_length=32, primary_key=True)
    alert = fields.ForeignKeyField("models.Alert", related_name="action_tokens", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="action_tokens", on_delete=fields.CASCADE)
    device = fields.ForeignKeyField("models.Device", related_name="action_tokens", null=True, on_delete=fields.CASCADE)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "action_tokens"
        # Revoking an alert's tokens when it closes, and cheap cascades when alerts are deleted.
        indexes = (("alert_id",),)
