"""The widget over GraphQL: the ``widget`` feed (the document ``GET /api/widget`` serves, field
for field), widget tokens, and the ``onCallChanges`` subscription.

``widget`` is the one field a widget token may read; everything else refuses it
(``permissions.require_viewer``), including creating more widget tokens.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from pagerline import models
from pagerline.engine.people.accounts import Viewer
from pagerline.graphql.core.args import now, parse_id
from pagerline.graphql.core.bus_events import visible_changes
from pagerline.graphql.people.tokens import ApiToken, NewToken
from pagerline.graphql.core.context import app_state, viewer_of
from pagerline.graphql.core.errors import engine_errors, unauthenticated
from pagerline.graphql.core.permissions import can_see_team, require_viewer
from pagerline.graphql.schedules.schedules import Schedule
from pagerline.graphql.people.types import User
from pagerline.widgets import tokens
from pagerline.widgets.feed import build_feed, document
from pagerline.widgets.levels import parse_levels


@strawberry.type
class WidgetThrough:
    schedules: list[strawberry.ID]
    levels: list[str] = strawberry.field(description='"<policy id>:<level>" of the escalation rules that page you.')


@strawberry.type
class WidgetShift:
    ends_at: datetime | None
    seconds_left: int | None


@strawberry.type
class WidgetNextShift:
    starts_at: datetime
    ends_at: datetime | None


@strawberry.type
class WidgetAlertCount:
    high: int
    low: int


@strawberry.type
class WidgetAlerts:
    pending: WidgetAlertCount
    accepted: WidgetAlertCount


@strawberry.type
class WidgetTimelineEntry:
    at: datetime
    on_call: bool
    through: WidgetThrough


@strawberry.type
class WidgetLinks:
    app: str
    web: str


@strawberry.type
class WidgetName:
    id: strawberry.ID
    name: str


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


def _through(data: dict[str, Any]) -> WidgetThrough:
    return WidgetThrough(schedules=[strawberry.ID(s) for s in data["schedules"]], levels=list(data["levels"]))


def _count(data: dict[str, int]) -> WidgetAlertCount:
    return WidgetAlertCount(high=data["high"], low=data["low"])


@strawberry.type(description="The on-call widget feed; the same document as GET /api/widget (docs/mobile.md).")
class WidgetFeed:
    generated_at: datetime
    on_call: bool
    through: WidgetThrough
    shift: WidgetShift | None
    next_shift: WidgetNextShift | None
    alerts: WidgetAlerts
    muted_until: datetime | None
    timeline: list[WidgetTimelineEntry]
    refresh_after: int
    coverage: WidgetLinks | None
    schedules: list[WidgetName]
    policies: list[WidgetName]
    levels: list[str] | None

    @classmethod
    def of(cls, doc: dict[str, Any]) -> WidgetFeed:
        """From the document itself, so the two adapters cannot drift apart."""
        shift, upcoming, links = doc["shift"], doc["nextShift"], doc["coverage"]
        return cls(
            generated_at=_time(doc["generatedAt"]),  # type: ignore[arg-type]
            on_call=doc["onCall"],
            through=_through(doc["through"]),
            shift=WidgetShift(ends_at=_time(shift["endsAt"]), seconds_left=shift["secondsLeft"]) if shift else None,
            next_shift=WidgetNextShift(starts_at=_time(upcoming["startsAt"]), ends_at=_time(upcoming["endsAt"]))  # type: ignore[arg-type]
            if upcoming
            else None,
            alerts=WidgetAlerts(pending=_count(doc["alerts"]["pending"]), accepted=_count(doc["alerts"]["accepted"])),
            muted_until=_time(doc["mutedUntil"]),
            timeline=[WidgetTimelineEntry(at=_time(e["at"]), on_call=e["onCall"], through=_through(e["through"])) for e in doc["timeline"]],  # type: ignore[arg-type]
            refresh_after=doc["refreshAfter"],
            coverage=WidgetLinks(app=links["app"], web=links["web"]) if links else None,
            schedules=[WidgetName(id=strawberry.ID(s["id"]), name=s["name"]) for s in doc["schedules"]],
            policies=[WidgetName(id=strawberry.ID(p["id"]), name=p["name"]) for p in doc["policies"]],
            levels=doc["levels"],
        )


@strawberry.type
class OnCallChange:
    kind: str = strawberry.field(description="STARTED or ENDED (user's on-call in these schedules), or CHANGED (schedules edited).")
    schedules: list[Schedule]
    user: User | None
    at: datetime | None


@strawberry.type
class WidgetQuery:
    @strawberry.field(description='Your on-call widget feed. levels: "N" (level N of every policy) or "P:N" (policy P); none: every route counts.')
    async def widget(self, info: Info, levels: list[str] | None = None) -> WidgetFeed:
        viewer = viewer_of(info)  # any token, a widget token included
        if viewer is None:
            raise unauthenticated()
        with engine_errors():
            selection = parse_levels(levels)
        public_url = app_state(info).settings.public_url
        return WidgetFeed.of(document(await build_feed(viewer.user, now(), public_url=public_url, levels=selection)))

    @strawberry.field(description="Your widget tokens that still work (never their secrets).")
    async def widget_tokens(self, info: Info) -> list[ApiToken]:
        viewer = require_viewer(viewer_of(info))
        return [ApiToken.of(t) for t in await tokens.widget_tokens(viewer.user.id)]


@strawberry.type
class WidgetMutation:
    @strawberry.mutation(description="A read-only token for a home-screen widget: it reads the widget feed and nothing else. The secret is shown once.")
    async def create_widget_token(self, info: Info, name: str) -> NewToken:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            row, secret = await tokens.create_widget_token(viewer.user.id, name, now())
        return NewToken(secret=secret, token=ApiToken.of(row))

    @strawberry.mutation
    async def revoke_widget_token(self, info: Info, id: strawberry.ID) -> bool:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            await tokens.revoke_widget_token(viewer.user.id, parse_id(id, "token id"), now())
        return True


@dataclass(frozen=True, slots=True)
class _OnCallEvent:
    schedules: list[models.Schedule]
    user: models.User | None
    at: datetime | None


async def _load_on_call_event(ids: dict[str, Any]) -> _OnCallEvent:
    schedule_ids = [s for s in ids.get("schedule_ids", []) if isinstance(s, int)]
    user_id = ids.get("user_id") if isinstance(ids.get("user_id"), int) else None
    at = ids.get("at")
    return _OnCallEvent(
        schedules=list(await models.Schedule.filter(id__in=schedule_ids).order_by("id")),
        user=await models.User.get_or_none(id=user_id) if user_id is not None else None,
        at=datetime.fromtimestamp(at, tz=UTC) if isinstance(at, int) else None,
    )


def _on_call_seen_by(viewer: Viewer, event: _OnCallEvent) -> _OnCallEvent | None:
    """Your own on-call in full; otherwise the schedules of your teams (and the organisation's)."""
    own = event.user is not None and event.user.id == viewer.user.id
    shown = event.schedules if own else [s for s in event.schedules if can_see_team(viewer, s.team_id)]  # type: ignore[attr-defined]
    if len(shown) == len(event.schedules):
        return event  # the loaded object itself: subscribers shown all of it share one execution
    return _OnCallEvent(shown, event.user, event.at) if shown else None


@strawberry.type
class WidgetSubscription:
    @strawberry.subscription(description="Who is on call changed: for schedules of your teams (and the organisation's), or your own on-call.")
    async def on_call_changes(self, info: Info) -> AsyncGenerator[OnCallChange, None]:
        async for kind, event in visible_changes(info, "oncall", _load_on_call_event, _on_call_seen_by):
            yield OnCallChange(
                kind=kind,
                schedules=[Schedule.of(s) for s in event.schedules],
                user=User.of(event.user) if event.user else None,
                at=event.at,
            )
