"""Alerts and their timelines."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from pagerline.models.enums import AlertStatus, Priority
from pagerline.models.indexes import WhereIndex


class Alert(Model):
    id = fields.IntField(primary_key=True)
    source = fields.ForeignKeyField("models.AlertSource", related_name="alerts", on_delete=fields.CASCADE)
    policy = fields.ForeignKeyField(
        "models.EscalationPolicy", related_name="alerts", null=True, on_delete=fields.SET_NULL
    )
    summary = fields.CharField(max_length=500)
    details = fields.TextField(null=True)
    status = fields.CharEnumField(AlertStatus, default=AlertStatus.PENDING, db_index=True)
    priority = fields.CharEnumField(Priority, default=Priority.HIGH)
    alert_key = fields.CharField(max_length=255)
    # "<source id>:<lower(alert_key)>" while the alert is open, NULL once resolved. The unique
    # index on it is what makes a second open alert for the same key impossible, even when
    # 100 identical events race (NULLs never collide, so resolved alerts do not count).
    open_key = fields.CharField(max_length=300, null=True, unique=True)
    images = fields.JSONField(default=list)
    links = fields.JSONField(default=list)
    custom_details = fields.JSONField(default=dict)
    labels = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(db_index=True)
    updated_at = fields.DatetimeField()
    accepted_at = fields.DatetimeField(null=True)
    accepted_by = fields.ForeignKeyField(
        "models.User", related_name="accepted_alerts", null=True, on_delete=fields.SET_NULL
    )
    # Indexed for the retention job, which finds resolved alerts older than a cut-off.
    resolved_at = fields.DatetimeField(null=True, db_index=True)
    resolved_by = fields.ForeignKeyField(
        "models.User", related_name="resolved_alerts", null=True, on_delete=fields.SET_NULL
    )
    # Escalation state lives on the alert so any worker can pick it up after a crash.
    escalation_rule_index = fields.SmallIntField(default=0)
    escalation_round = fields.SmallIntField(default=0)
    next_escalation_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "alerts"
        indexes = (
            # Open alerts only, newest first: the dashboard, the open-alert lists, the widget's
            # counts and /metrics read this, and it holds what is open, never history. Queries
            # filter on status (``status IN ('PENDING', 'ACCEPTED')`` implies this condition).
            WhereIndex(fields=("id", "status"), name="alerts_open", where="status <> 'RESOLVED'"),
        )


class AlertLogEntry(Model):
    id = fields.BigIntField(primary_key=True)
    alert = fields.ForeignKeyField("models.Alert", related_name="log_entries", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=40)
    text = fields.TextField()
    at = fields.DatetimeField()
    user = fields.ForeignKeyField("models.User", related_name="log_entries", null=True, on_delete=fields.SET_NULL)
    data = fields.JSONField(default=dict)

    class Meta:
        table = "alert_log_entries"
        indexes = (("alert_id", "id"),)
