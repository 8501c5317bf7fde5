"""``deactivationImpact``: what deactivating a user would leave uncovered (the gaps in their
schedules and the escalation levels left with nobody), shown before an admin confirms. Here
rather than with people because it names schedules and escalation policies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from pagerline import models
from pagerline.engine.alerts import deactivation
from pagerline.graphql.core.args import now, parse_id
from pagerline.graphql.core.context import viewer_of
from pagerline.graphql.core.permissions import require_viewer
from pagerline.graphql.core.errors import engine_errors
from pagerline.graphql.people.types import User
from pagerline.graphql.schedules.schedules import Schedule
from pagerline.graphql.sources.routing import EscalationPolicy


@strawberry.type(description="A stretch with nobody on call in a schedule that had someone before.")
class CoverageGap:
    schedule: Schedule
    start: datetime
    end: datetime


@strawberry.type(description="An escalation level (its rule's position, as in EscalationPolicy.rules) left with no active user and no schedule.")
class EmptyPolicyLevel:
    policy: EscalationPolicy
    position: int


@strawberry.type
class DeactivationImpact:
    user: User
    gaps: list[CoverageGap] = strawberry.field(
        description="Per schedule (by name), in time order: stretches of the window with nobody on call once the user is gone that had someone before."
    )
    empty_levels: list[EmptyPolicyLevel] = strawberry.field(description="Policy levels with no target left once the user is gone.")
    schedules: list[Schedule] = strawberry.field(description="Schedules naming the user from the window's start on: layers, overrides, static shifts.")


@strawberry.type
class ImpactQuery:
    @strawberry.field(
        description=(
            "Admins only. What deactivating the user would leave uncovered in [from, from + days) "
            "(from: now by default; days 1..56), computed by the same schedule code as `shifts`."
        )
    )
    async def deactivation_impact(
        self,
        info: Info,
        user_id: strawberry.ID,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        days: int = 28,
    ) -> DeactivationImpact:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            found = await deactivation.deactivation_impact(viewer, parse_id(user_id, "user id"), from_ or now(), days)
        schedules = {s.id: Schedule.of(s) for s in found.schedules}
        policies = {p.id: EscalationPolicy.of(p) for p in await models.EscalationPolicy.filter(id__in=[e.policy_id for e in found.empty_levels])}
        return DeactivationImpact(
            user=User.of(found.user),
            gaps=[CoverageGap(schedule=schedules[g.schedule_id], start=g.start, end=g.end) for g in found.gaps],
            empty_levels=[EmptyPolicyLevel(policy=policies[e.policy_id], position=e.position) for e in found.empty_levels],
            schedules=list(schedules.values()),
        )
