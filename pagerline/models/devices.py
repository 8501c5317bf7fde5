"""Mobile devices that receive push notifications."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from pagerline.models.enums import Platform, PushProvider


class Device(Model):
    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="devices", on_delete=fields.CASCADE)
    platform = fields.CharEnumField(Platform)
    provider = fields.CharEnumField(PushProvider)
    token = fields.CharField(max_length=512, unique=True)
    app_id = fields.CharField(max_length=200, default="")
    app_version = fields.CharField(max_length=50, default="")
    critical_alerts = fields.BooleanField(default=False)
    critical_volume = fields.FloatField(default=1.0)
    sound = fields.CharField(max_length=100, default="default")
    active = fields.BooleanField(default=True)
    deactivated_reason = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "devices"
