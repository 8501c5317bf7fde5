"""What decides whether an event becomes a page: support hours, maintenance windows, and the
record of events that were dropped (by a filter or a maintenance window)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from pagerline.models.enums import DropReason


class SupportHours(Model):
    """Weekly support hours in a time zone, with exceptions, shared by any number of sources.

    The JSON forms are described (and validated) in pagerline.engine.sources.support_hours.
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    timezone = fields.CharField(max_length=64)
    weekly = fields.JSONField(default=list)
    exceptions = fields.JSONField(default=list)
    team = fields.ForeignKeyField("models.Team", related_name="support_hours", null=True, on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "support_hours"


class MaintenanceWindow(Model):
    """While a window is on, events of its sources create no alert and page no one.

    The events are still recorded as dropped events with reason MAINTENANCE.
    """

    id = fields.IntField(primary_key=True)
    summary = fields.CharField(max_length=500)
    start = fields.DatetimeField(db_index=True)
    end = fields.DatetimeField(db_index=True)
    sources: fields.ManyToManyRelation = fields.ManyToManyField(
        "models.AlertSource", related_name="maintenance_windows", through="maintenance_window_sources"
    )
    created_by = fields.ForeignKeyField(
        "models.User", related_name="maintenance_windows", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "maintenance_windows"


class DroppedEvent(Model):
    """An event that created no alert, and why. Insert-only, so a storm of dropped events
    never contends on one row (counting is a COUNT over these)."""

    id = fields.BigIntField(primary_key=True)
    source = fields.ForeignKeyField("models.AlertSource", related_name="dropped_events", on_delete=fields.CASCADE)
    reason = fields.CharEnumField(DropReason)
    maintenance_window = fields.ForeignKeyField(
        "models.MaintenanceWindow", related_name="dropped_events", null=True, on_delete=fields.SET_NULL
    )
    event_type = fields.CharField(max_length=20)
    summary = fields.CharField(max_length=500, default="")
    alert_key = fields.CharField(max_length=255, null=True)
    # The event's fields as the filter saw them (bounded in size when recorded).
    event = fields.JSONField(default=dict)
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "dropped_events"
        indexes = (("source_id", "at"),)


class ReceivedPayload(Model):
    """A raw event body a source received, kept for the template editor's preview: at most a
    few per source (the intake stores one every few seconds at most and prunes as it inserts,
    see pagerline.engine.sources.recent_payloads)."""

    id = fields.BigIntField(primary_key=True)
    source = fields.ForeignKeyField("models.AlertSource", related_name="received_payloads", on_delete=fields.CASCADE)
    received_at = fields.DatetimeField()
    payload = fields.JSONField()

    class Meta:
        table = "received_payloads"
        indexes = (("source_id", "id"),)
