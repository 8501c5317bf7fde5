"""Outbound alert actions (webhooks, Slack messages) and their delivery outbox."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from pagerline.models.enums import ActionDeliveryStatus, AlertActionKind, AlertActionMode
from pagerline.models.indexes import WhereIndex


class AlertAction(Model):
    """An outbound call on alert changes, for the alerts of one source or of a whole team.

    Bodies are signed with HMAC-SHA256. The signing secret is not stored: it is derived from
    PAGERLINE_SECRET_KEY, the action id and secret_version (see pagerline.engine.alerts.actions),
    shown when the action is created, and changed by bumping secret_version.
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    source = fields.ForeignKeyField("models.AlertSource", related_name="alert_actions", null=True, on_delete=fields.CASCADE)
    team = fields.ForeignKeyField("models.Team", related_name="alert_actions", null=True, on_delete=fields.CASCADE)
    kind = fields.CharEnumField(AlertActionKind)
    url = fields.CharField(max_length=2000)
    # AlertActionTrigger values this action runs on (AUTOMATIC mode).
    triggers = fields.JSONField(default=list)
    mode = fields.CharEnumField(AlertActionMode, default=AlertActionMode.AUTOMATIC)
    enabled = fields.BooleanField(default=True)
    secret_version = fields.SmallIntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "alert_actions"


class AlertActionDelivery(Model):
    """One call of one action for one alert change: an outbox row.

    Written with the change that caused it, claimed (a lease) before sending, retried with capped
    backoff. dedup_key names (action, alert, trigger, occurrence), so the unique index refuses a
    second delivery of the same change.
    """

    id = fields.BigIntField(primary_key=True)
    action = fields.ForeignKeyField("models.AlertAction", related_name="deliveries", on_delete=fields.CASCADE)
    alert = fields.ForeignKeyField("models.Alert", related_name="action_deliveries", on_delete=fields.CASCADE)
    trigger = fields.CharField(max_length=40)
    dedup_key = fields.CharField(max_length=200, unique=True)
    status = fields.CharEnumField(ActionDeliveryStatus, default=ActionDeliveryStatus.PENDING)
    attempts = fields.SmallIntField(default=0)
    next_attempt_at = fields.DatetimeField()
    claimed_until = fields.DatetimeField(null=True)
    status_code = fields.SmallIntField(null=True)
    latency_ms = fields.IntField(null=True)
    last_error = fields.TextField(null=True)
    requested_by = fields.ForeignKeyField(
        "models.User", related_name="alert_action_runs", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    delivered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "alert_action_deliveries"
        indexes = (
            ("status", "next_attempt_at"),
            # An alert's deliveries (its timeline), and cheap cascades when alerts are deleted.
            ("alert_id", "id"),
            # Deliveries still waiting or being sent: the sweeper's scan reads open work only.
            WhereIndex(
                fields=("next_attempt_at",), name="alert_action_deliveries_outbox", where="status IN ('PENDING', 'SENDING')"
            ),
        )
