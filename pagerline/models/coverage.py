"""Coverage requests: a user asks colleagues to take their shifts in a window."""

from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.models import Model


class CoverageStatus(str, Enum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


class CoverageRequest(Model):
    id = fields.IntField(primary_key=True)
    requester = fields.ForeignKeyField("models.User", related_name="coverage_requests", on_delete=fields.CASCADE)
    start = fields.DatetimeField()
    end = fields.DatetimeField()
    message = fields.TextField(default="")
    status = fields.CharEnumField(CoverageStatus, default=CoverageStatus.PENDING, db_index=True)
    # The schedules whose shifts are to be covered, and who was asked (resolved when the
    # request is made: named colleagues, or everyone else on those schedules).
    schedule_ids = fields.JSONField(default=list)
    recipient_ids = fields.JSONField(default=list)
    declined_ids = fields.JSONField(default=list)
    accepted_by = fields.ForeignKeyField(
        "models.User", related_name="covered_requests", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "coverage_requests"
