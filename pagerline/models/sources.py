"""Alert sources: inbound integrations."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from pagerline.models.enums import IntegrationType, Priority


class AlertSource(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    integration_type = fields.CharEnumField(IntegrationType, default=IntegrationType.API)
    # SHA-256 of the integration key; the key itself is shown only when created or rotated.
    integration_key_hash = fields.CharField(max_length=64, unique=True)
    # First characters of the key so managers can tell keys apart without seeing them.
    integration_key_prefix = fields.CharField(max_length=12)
    escalation_policy = fields.ForeignKeyField(
        "models.EscalationPolicy", related_name="sources", on_delete=fields.RESTRICT
    )
    default_priority = fields.CharEnumField(Priority, default=Priority.HIGH)
    team = fields.ForeignKeyField("models.Team", related_name="sources", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "alert_sources"
