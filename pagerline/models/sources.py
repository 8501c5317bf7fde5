"""Alert sources: inbound integrations."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from pagerline.models.enums import AlertCreation, IntegrationType, Priority, PriorityRule


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

    # Source policies (see pagerline.engine.sources.policy and the README). Validated when saved.
    alert_creation = fields.CharEnumField(AlertCreation, default=AlertCreation.ONE_ALERT_PER_KEY)
    # ONE_ALERT_GROUPED_PER_WINDOW: how long after an alert's first event others join it (120..86400).
    alert_grouping_window_sec = fields.IntField(default=300)
    # Resolve open alerts with no new event for this long; NULL is off.
    auto_resolution_timeout_sec = fields.IntField(null=True)
    # Only the support-hours rules are stored here: NULL means default_priority is the rule (HIGH or LOW).
    priority_rule = fields.CharEnumField(PriorityRule, null=True)
    support_hours = fields.ForeignKeyField(
        "models.SupportHours", related_name="sources", null=True, on_delete=fields.SET_NULL
    )
    # Raise pending LOW alerts to HIGH (and escalate them) when the priority rule turns HIGH.
    auto_raise_alerts = fields.BooleanField(default=False)
    # The condition events must meet to become alerts (pagerline.engine.sources.event_filter); NULL keeps all.
    event_filter = fields.JSONField(null=True)
    # Templates of the generic webhook intake: {"summary": "...", "details": "...", "alertKey": "...",
    # "priority": "...", "eventType": "...", "links": [{"href": "...", "text": "..."}]}.
    templates = fields.JSONField(null=True)
    # How this source reads what the email, PagerDuty- and Opsgenie-compatible intakes receive
    # (pagerline.engine.sources.intake_settings): {"email": {"alertKeyPattern": …,
    # "resolvePatterns": […], "allowedSenders": […]}, "pagerdutySeverities": {"critical": "HIGH", …},
    # "opsgeniePriorities": {"P1": "HIGH", …}}. NULL: the defaults.
    intake_settings = fields.JSONField(null=True)

    class Meta:
        table = "alert_sources"
