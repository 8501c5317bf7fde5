"""Listing the viewer's own calendar feeds (creating and revoking them: schedules.py).

A feed's secret is stored as a digest, so a listed feed cannot show its address again: it shows
what it covers, when it was made and the secret's first characters (enough to match it with the
address a calendar app holds). A lost address is revoked and made again.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from pagerline.engine.schedules import calendars
from pagerline.graphql.core.context import viewer_of
from pagerline.graphql.core.permissions import can_see_team, require_viewer


@strawberry.type(description="One of your calendar feeds that still works; its address was shown once, when it was made.")
class CalendarFeedInfo:
    id: strawberry.ID
    schedule_id: strawberry.ID | None = strawberry.field(description="null: your own shifts in every schedule.")
    schedule_name: str | None = strawberry.field(
        description="The schedule's name, while you can see it (null for your own shifts, or a schedule no longer yours to see)."
    )
    token_prefix: str = strawberry.field(description="The first characters of the secret in the address, e.g. plc_Ab3dE9xZ.")
    created_at: datetime


@strawberry.type
class FeedsQuery:
    @strawberry.field(description="Your calendar feeds that have not been revoked, oldest first (never their secrets).")
    async def my_calendar_feeds(self, info: Info) -> list[CalendarFeedInfo]:
        viewer = require_viewer(viewer_of(info))
        found: list[CalendarFeedInfo] = []
        for token in await calendars.live_feeds(viewer.user.id):
            schedule = token.schedule
            visible = schedule is not None and can_see_team(viewer, schedule.team_id)  # type: ignore[attr-defined]
            found.append(
                CalendarFeedInfo(
                    id=strawberry.ID(str(token.id)),
                    schedule_id=strawberry.ID(str(schedule.id)) if schedule is not None else None,
                    schedule_name=schedule.name if schedule is not None and visible else None,
                    token_prefix=token.token_prefix,
                    created_at=token.created_at,
                )
            )
        return found
