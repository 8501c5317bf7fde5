"""``coverageRequestEvents``: coverage requests as they are made, accepted, declined, cancelled
or expire. The engine publishes after commit; each subscriber gets only requests it may see
(its own, those it was asked to cover, its teams' members', or all for admins)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from pagerline.graphql.core.bus_events import visible_changes
from pagerline.graphql.core.permissions import coverage_seen_by, load_event_coverage_request
from pagerline.graphql.schedules.schedules import CoverageRequest


@strawberry.type
class CoverageRequestEvent:
    kind: str = strawberry.field(description=(
        "REQUESTED, ACCEPTED, DECLINED (by one person; the status says if by all), CANCELLED, EXPIRED, "
        "or NARROWED (someone accepted a part: the request now asks for what remains)."
    ))
    request: CoverageRequest


@strawberry.type
class CoverageSubscription:
    @strawberry.subscription
    async def coverage_request_events(self, info: Info) -> AsyncGenerator[CoverageRequestEvent, None]:
        async for kind, row in visible_changes(info, "coverage", load_event_coverage_request, coverage_seen_by):
            yield CoverageRequestEvent(kind=kind, request=CoverageRequest.of(row))
