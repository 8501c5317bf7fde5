"""Routing types: alert sources and the escalation policies (and their rules) they page along.
Relations load through :mod:`pagerline.graphql.core.loaders`, so a list of them costs a fixed
number of queries."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from pagerline import models
from pagerline.engine.people.roles import may_manage, may_see
from pagerline.graphql.core.context import loaders_of, viewer_of
from pagerline.graphql.core.types import Node, Priority
from pagerline.graphql.people.types import Team, User
from pagerline.graphql.schedules.schedules import Schedule


@strawberry.enum
class IntegrationType(Enum):
    API = "API"
    ALERTMANAGER = "ALERTMANAGER"
    GRAFANA = "GRAFANA"
    WEBHOOK = "WEBHOOK"
    HEARTBEAT = "HEARTBEAT"
    EMAIL = "EMAIL"
    PAGERDUTY = "PAGERDUTY"
    OPSGENIE = "OPSGENIE"


def _id(value: int) -> strawberry.ID:
    return strawberry.ID(str(value))


async def _team(info: Info, team_id: int | None) -> Team | None:
    row = await loaders_of(info).teams.load(team_id) if team_id is not None else None
    return Team.of(row) if row else None


@strawberry.type
class EscalationRule:
    position: int
    escalation_timeout: int = strawberry.field(description="Minutes before the next rule is paged.")
    user_ids: strawberry.Private[list[int]]
    schedule_ids: strawberry.Private[list[int]]

    @strawberry.field
    async def users(self, info: Info) -> list[User]:
        return [User.of(u) for u in await loaders_of(info).users.load_many(self.user_ids) if u is not None]

    @strawberry.field(description="Whoever is on call on these when the rule is reached is paged.")
    async def schedules(self, info: Info) -> list[Schedule]:
        return [Schedule.of(s) for s in await loaders_of(info).schedules.load_many(self.schedule_ids) if s is not None]


@strawberry.type
class EscalationPolicy(Node):
    id: strawberry.ID
    name: str
    repeating: bool
    frequency: int
    routing_key: str | None
    team_id: strawberry.Private[int | None]

    @strawberry.field
    async def team(self, info: Info) -> Team | None:
        return await _team(info, self.team_id)

    @strawberry.field
    async def rules(self, info: Info) -> list[EscalationRule]:
        return [
            EscalationRule(position=r.position, escalation_timeout=r.timeout_minutes, user_ids=list(r.user_ids), schedule_ids=list(r.schedule_ids))
            for r in await loaders_of(info).policy_rules.load(int(self.id))
        ]

    @classmethod
    def of(cls, row: models.EscalationPolicy) -> EscalationPolicy:
        return cls(
            id=_id(row.id), name=row.name, repeating=row.repeating, frequency=row.frequency,
            routing_key=row.routing_key, team_id=row.team_id,  # type: ignore[attr-defined]
        )


async def visible_policy(info: Info, policy_id: int | None) -> EscalationPolicy | None:
    viewer = viewer_of(info)
    row = await loaders_of(info).policies.load(policy_id) if policy_id is not None else None
    if row is None or viewer is None or not may_see(viewer, row.team_id):  # type: ignore[attr-defined]
        return None
    return EscalationPolicy.of(row)


@strawberry.type
class AlertSource(Node):
    id: strawberry.ID
    name: str
    integration_type: IntegrationType
    default_priority: Priority
    created_at: datetime
    team_id: strawberry.Private[int | None]
    policy_id: strawberry.Private[int]
    fresh_key: strawberry.Private[str | None] = None
    row_prefix: strawberry.Private[str] = ""

    @strawberry.field(description="Readable only right after createAlertSource or rotateIntegrationKey (it is stored hashed).")
    def integration_key(self, info: Info) -> str | None:
        return self.fresh_key if self._manages(info) else None

    @strawberry.field(description="The key's first characters, to tell keys apart; for those who manage the source.")
    def integration_key_prefix(self, info: Info) -> str | None:
        return self.row_prefix if self._manages(info) else None

    def _manages(self, info: Info) -> bool:
        viewer = viewer_of(info)
        return viewer is not None and may_manage(viewer, self.team_id)

    @strawberry.field
    async def team(self, info: Info) -> Team | None:
        return await _team(info, self.team_id)

    @strawberry.field
    async def escalation_policy(self, info: Info) -> EscalationPolicy | None:
        return await visible_policy(info, self.policy_id)

    @classmethod
    def of(cls, row: models.AlertSource, key: str | None = None) -> AlertSource:
        return cls(
            id=_id(row.id), name=row.name, integration_type=IntegrationType(row.integration_type.value),
            default_priority=Priority(row.default_priority.value), created_at=row.created_at,
            team_id=row.team_id, policy_id=row.escalation_policy_id,  # type: ignore[attr-defined]
            fresh_key=key, row_prefix=row.integration_key_prefix,
        )


@strawberry.input
class EscalationRuleInput:
    escalation_timeout: int = strawberry.field(description="Minutes before the next rule is paged (1..1440).")
    user_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    schedule_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
