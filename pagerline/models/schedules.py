"""On-call schedules: layers (recurring rotations), static shifts and overrides.

The math lives in :mod:`pagerline.engine.schedules.math`; these rows are only its input.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from pagerline.models.enums import ScheduleKind


class Schedule(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    team = fields.ForeignKeyField("models.Team", related_name="schedules", null=True, on_delete=fields.SET_NULL)
    timezone = fields.CharField(max_length=64, default="UTC")
    kind = fields.CharEnumField(ScheduleKind, default=ScheduleKind.RECURRING)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "schedules"


class ScheduleLayer(Model):
    id = fields.IntField(primary_key=True)
    schedule = fields.ForeignKeyField("models.Schedule", related_name="layers", on_delete=fields.CASCADE)
    position = fields.SmallIntField()
    starts_on = fields.DatetimeField()
    ends_on = fields.DatetimeField(null=True)
    rotation = fields.CharField(max_length=32)  # ISO-8601 duration
    # Ordered user ids; a user may appear more than once in a rotation.
    user_ids = fields.JSONField(default=list)
    # [{"start_day": 0, "start_time": "09:00", "end_day": 4, "end_time": "17:00"}, ...]
    restrictions = fields.JSONField(default=list)

    class Meta:
        table = "schedule_layers"


class StaticShift(Model):
    id = fields.IntField(primary_key=True)
    schedule = fields.ForeignKeyField("models.Schedule", related_name="static_shifts", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="static_shifts", on_delete=fields.CASCADE)
    start = fields.DatetimeField()
    end = fields.DatetimeField()

    class Meta:
        table = "schedule_static_shifts"


class ScheduleOverride(Model):
    id = fields.IntField(primary_key=True)
    schedule = fields.ForeignKeyField("models.Schedule", related_name="overrides", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="overrides", on_delete=fields.CASCADE)
    start = fields.DatetimeField(db_index=True)
    end = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)
    # Set when the override was made by accepting a coverage request.
    coverage_request = fields.ForeignKeyField(
        "models.CoverageRequest", related_name="overrides", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "schedule_overrides"
