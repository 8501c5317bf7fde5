"""Alert sources and escalation policies over GraphQL: list what you may see, manage what your
role and teams allow (the rules are in ``engine.people.roles``; the engine enforces them)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from pagerline import models
from pagerline.engine.alerts import policies as admin_policies
from pagerline.engine.sources import admin as admin_sources
from pagerline.engine.people.roles import may_see
from pagerline.engine.core.unset import UNSET, Unset
from pagerline.graphql.sources.routing import AlertSource, EscalationPolicy, EscalationRuleInput, IntegrationType
from pagerline.graphql.core.args import optional_id, parse_id, parse_ids
from pagerline.graphql.core.context import app_state, viewer_of
from pagerline.graphql.core.errors import engine_errors
from pagerline.graphql.core.permissions import require_viewer
from pagerline.graphql.core.types import Priority


def _team_change(raw: strawberry.ID | None) -> int | None | Unset:
    """Omitted leaves the team as it is; null means no team (organisation-wide)."""
    return UNSET if raw is strawberry.UNSET else optional_id(raw, "team id")


def _rules(rules: list[EscalationRuleInput]) -> list[admin_policies.RuleSpec]:
    return [
        admin_policies.RuleSpec(r.escalation_timeout, parse_ids(r.user_ids, "user id"), parse_ids(r.schedule_ids, "schedule id"))
        for r in rules
    ]


@strawberry.type
class AdminQuery:
    @strawberry.field
    async def alert_sources(self, info: Info) -> list[AlertSource]:
        viewer = require_viewer(viewer_of(info))
        rows = await models.AlertSource.all().order_by("name", "id")
        return [AlertSource.of(r) for r in rows if may_see(viewer, r.team_id)]  # type: ignore[attr-defined]

    @strawberry.field
    async def escalation_policies(self, info: Info) -> list[EscalationPolicy]:
        viewer = require_viewer(viewer_of(info))
        rows = await models.EscalationPolicy.all().order_by("name", "id")
        return [EscalationPolicy.of(r) for r in rows if may_see(viewer, r.team_id)]  # type: ignore[attr-defined]

    @strawberry.field(description=(
        "The domain of EMAIL sources' addresses (PAGERLINE_EMAIL_DOMAIN): a source's address is "
        "<integrationKey>@<emailIntakeDomain>, so it can be written out only while the key is shown "
        "(createAlertSource, rotateIntegrationKey). null when email intake is off."
    ))
    def email_intake_domain(self, info: Info) -> str | None:
        require_viewer(viewer_of(info))
        return app_state(info).settings.email_domain or None


@strawberry.type
class AdminMutation:
    @strawberry.mutation(description="The answer's integrationKey is the only time the key can be read.")
    async def create_alert_source(
        self,
        info: Info,
        name: str,
        escalation_policy_id: strawberry.ID,
        integration_type: IntegrationType = IntegrationType.API,
        default_priority: Priority = Priority.HIGH,
        team_id: strawberry.ID | None = None,
    ) -> AlertSource:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            row, key = await admin_sources.create(
                viewer, name, parse_id(escalation_policy_id, "escalation policy id"),
                models.IntegrationType(integration_type.value), models.Priority(default_priority.value),
                optional_id(team_id, "team id"),
            )
        return AlertSource.of(row, key)

    @strawberry.mutation(description="Change what is given; teamId null makes the source organisation-wide (admins).")
    async def update_alert_source(
        self,
        info: Info,
        id: strawberry.ID,
        name: str | None = None,
        escalation_policy_id: strawberry.ID | None = None,
        integration_type: IntegrationType | None = None,
        default_priority: Priority | None = None,
        team_id: strawberry.ID | None = strawberry.UNSET,
    ) -> AlertSource:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            row = await admin_sources.update(
                viewer, parse_id(id, "alert source id"), name=name,
                policy_id=optional_id(escalation_policy_id, "escalation policy id"),
                integration_type=models.IntegrationType(integration_type.value) if integration_type else None,
                default_priority=models.Priority(default_priority.value) if default_priority else None,
                team_id=_team_change(team_id),
            )
        return AlertSource.of(row)

    @strawberry.mutation(description="Refused (CONFLICT) while the source has open alerts.")
    async def delete_alert_source(self, info: Info, id: strawberry.ID) -> bool:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            await admin_sources.delete(viewer, parse_id(id, "alert source id"))
        return True

    @strawberry.mutation(description="A new integration key (returned once); the old one stops working at once.")
    async def rotate_integration_key(self, info: Info, id: strawberry.ID) -> AlertSource:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            row, key = await admin_sources.rotate_key(viewer, parse_id(id, "alert source id"))
        return AlertSource.of(row, key)

    @strawberry.mutation
    async def create_escalation_policy(
        self,
        info: Info,
        name: str,
        rules: list[EscalationRuleInput],
        team_id: strawberry.ID | None = None,
        repeating: bool = False,
        frequency: int = 1,
        routing_key: str | None = None,
    ) -> EscalationPolicy:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            row = await admin_policies.create(
                viewer, name, _rules(rules), optional_id(team_id, "team id"), repeating, frequency, routing_key
            )
        return EscalationPolicy.of(row)

    @strawberry.mutation(description="Change what is given; rules, when given, replace all rules.")
    async def update_escalation_policy(
        self,
        info: Info,
        id: strawberry.ID,
        name: str | None = None,
        rules: list[EscalationRuleInput] | None = None,
        team_id: strawberry.ID | None = strawberry.UNSET,
        repeating: bool | None = None,
        frequency: int | None = None,
        routing_key: str | None = strawberry.UNSET,
    ) -> EscalationPolicy:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            row = await admin_policies.update(
                viewer, parse_id(id, "escalation policy id"), name=name,
                rules=_rules(rules) if rules is not None else None, team_id=_team_change(team_id),
                repeating=repeating, frequency=frequency,
                routing_key=UNSET if routing_key is strawberry.UNSET else routing_key,
            )
        return EscalationPolicy.of(row)

    @strawberry.mutation(description="Refused (CONFLICT) while alert sources use the policy.")
    async def delete_escalation_policy(self, info: Info, id: strawberry.ID) -> bool:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            await admin_policies.delete(viewer, parse_id(id, "escalation policy id"))
        return True
