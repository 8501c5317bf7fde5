"""Escalation policies and their ordered rules."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class EscalationPolicy(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    team = fields.ForeignKeyField("models.Team", related_name="policies", null=True, on_delete=fields.SET_NULL)
    repeating = fields.BooleanField(default=False)
    # How many times the rules run again after the first when repeating (1..9): 1 + frequency runs in all.
    frequency = fields.SmallIntField(default=1)
    routing_key = fields.CharField(max_length=200, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    rules: fields.ReverseRelation[EscalationRule]

    class Meta:
        table = "escalation_policies"


class EscalationRule(Model):
    id = fields.IntField(primary_key=True)
    policy: fields.ForeignKeyRelation[EscalationPolicy] = fields.ForeignKeyField(
        "models.EscalationPolicy", related_name="rules", on_delete=fields.CASCADE
    )
    position = fields.SmallIntField()
    timeout_minutes = fields.IntField(default=30)
    users = fields.ManyToManyField("models.User", related_name="escalation_rules", through="escalation_rule_users")
    schedules = fields.ManyToManyField(
        "models.Schedule", related_name="escalation_rules", through="escalation_rule_schedules"
    )

    class Meta:
        table = "escalation_rules"
        unique_together = (("policy", "position"),)
