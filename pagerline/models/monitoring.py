"""Heartbeat monitors and deployment events: signals from other tools that are not alerts."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from pagerline.models.enums import HeartbeatState


class Heartbeat(Model):
    """A monitor that expects a ping every interval_sec and opens an alert on its source
    when one is missed. Only the SHA-256 of its key is stored, the key is shown once.
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    source = fields.ForeignKeyField("models.AlertSource", related_name="heartbeats", on_delete=fields.CASCADE)
    key_hash = fields.CharField(max_length=64, unique=True)
    key_prefix = fields.CharField(max_length=12)
    interval_sec = fields.IntField()
    state = fields.CharEnumField(HeartbeatState, default=HeartbeatState.UNKNOWN)
    last_ping_at = fields.DatetimeField(null=True)
    # When the next ping is due, NULL until the first ping (UNKNOWN monitors never go overdue).
    due_at = fields.DatetimeField(null=True, db_index=True)
    # The alert opened when the monitor went overdue, resolved by the next ping.
    # Indexed because deleting an old alert sets this to NULL: without it every deletion would
    # read the whole table.
    alert = fields.ForeignKeyField(
        "models.Alert", related_name="heartbeats", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "heartbeats"


class DeploymentEvent(Model):
    """A deployment reported by a pipeline, shown on the alerts of its team that follow it."""

    id = fields.BigIntField(primary_key=True)
    source = fields.ForeignKeyField("models.AlertSource", related_name="deployment_events", on_delete=fields.CASCADE)
    # Copied from the source when recorded, so the deployments of a team are one indexed query.
    team = fields.ForeignKeyField("models.Team", related_name="deployment_events", null=True, on_delete=fields.SET_NULL)
    summary = fields.CharField(max_length=500)
    at = fields.DatetimeField()
    user_email = fields.CharField(max_length=254, null=True)
    custom_details = fields.JSONField(default=dict)
    links = fields.JSONField(default=list)
    created_at = fields.DatetimeField()

    class Meta:
        table = "deployment_events"
        indexes = (("team_id", "at"), ("source_id", "at"))


class RetentionTotal(Model):
    """Rows the retention job has deleted from one table since the beginning, all processes.

    Bumped in the same transaction as each batch's DELETE, so it is exact, and read by /metrics
    (workers, which run the job, serve no metrics). One row per table, touched once per batch,
    so workers barely contend for it."""

    table_name = fields.CharField(max_length=63, primary_key=True)
    deleted_rows = fields.BigIntField(default=0)

    class Meta:
        table = "retention_totals"
