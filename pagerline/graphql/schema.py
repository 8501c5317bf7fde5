"""Queries, mutations and subscriptions. Each resolver: authorize, call the engine, shape."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import strawberry
from strawberry.extensions import AddValidationRules, MaxAliasesLimiter, MaxTokensLimiter, ParserCache, QueryDepthLimiter, ValidationCache
from strawberry.tools import merge_types
from strawberry.types import Info

from pagerline.engine.alerts import search as alert_search, transitions as alert_engine
from pagerline.engine.people.accounts import Viewer, login as engine_login
from pagerline.engine.core.errors import EngineError, NotFound
from pagerline.graphql.core.context import app_state, viewer_of
from pagerline.graphql.core.execution import PagerlineExecutionContext
from pagerline.graphql.core.input_checks import InputChecks
from pagerline.graphql.core.errors import ErrorCodes, engine_errors, from_engine, not_found, user_error
from pagerline.graphql.sources.admin import AdminMutation, AdminQuery
from pagerline.graphql.core.args import lookup_id, optional_id, parse_id
from pagerline.graphql.people.tokens import AuthMutation, AuthQuery
from pagerline.graphql.core.scalars import SCALAR_OVERRIDES
from pagerline.graphql.core.bus_events import visible_changes
from pagerline.graphql.core.config_changes import ConfigSubscription
from pagerline.graphql.alerts.test_events import TestEventMutation, TestEventQuery
from pagerline.graphql.chat.channels import ChatMutation, ChatQuery
from pagerline.graphql.chat.links import ChatLinkMutation
from pagerline.graphql.schedules.coverage_events import CoverageSubscription
from pagerline.graphql.notify.contacts import ContactMutation, ContactQuery
from pagerline.graphql.notify.me import MeMutation, MeQuery
from pagerline.graphql.notify.web_push import WebPushMutation, WebPushQuery
from pagerline.graphql.node import NodeQuery
from pagerline.graphql.people.invitations import InvitationMutation, InvitationQuery
from pagerline.graphql.people.users import PeopleMutation, PeopleQuery
from pagerline.graphql.schedules.feeds import FeedsQuery
from pagerline.graphql.schedules.schedules import ScheduleMutation, ScheduleQuery
from pagerline.graphql.notify.setup_warnings import SetupQuery
from pagerline.graphql.sources.people_impact import ImpactQuery
from pagerline.graphql.sources.policies import SourcesAdminMutation, SourcesAdminQuery
from pagerline.graphql.widget.feed import WidgetMutation, WidgetQuery, WidgetSubscription
from pagerline.graphql.core.permissions import (
    alert_seen_by,
    load_event_alert,
    require_responder,
    require_viewer,
    visible_alert,
    visible_alerts_filter,
)
from pagerline.graphql.alerts.types import (
    Alert,
    AlertConnection,
    AlertEdge,
    AlertEvent,
    AlertStatus,
    PageInfo,
    decode_cursor,
    encode_cursor,
)
from pagerline.graphql.core.types import Priority
from pagerline.graphql.people.types import Session, User
from pagerline.models import Alert as AlertRow
from pagerline.models import AlertStatus as AlertStatusRow
from pagerline.models import Priority as PriorityRow

T = TypeVar("T")
MAX_PAGE = 100


def _now() -> datetime:
    return datetime.now(UTC)


def _alert_id(raw: strawberry.ID) -> int:
    return parse_id(raw, "alert id")


async def _act(
    info: Info, raw_id: strawberry.ID, action: Callable[[Viewer, int], Awaitable[AlertRow]], *, checks_visibility: bool = False
) -> Alert:
    """The shape of every alert mutation: responder check, visibility check, engine call.
    ``checks_visibility``: the engine checks, under the alert's lock, that the viewer may see
    it (one statement fewer than checking here first); an alert they may not see is "not
    found" either way."""
    viewer = require_responder(viewer_of(info))
    alert_id = _alert_id(raw_id)
    if not checks_visibility and await visible_alert(viewer, alert_id) is None:
        raise not_found("Alert")
    try:
        # The engine's own row, as committed: reading it again could fail after the change was
        # made and tell the client to retry a change (an escalation) that already happened.
        row = await action(viewer, alert_id)
    except NotFound as exc:
        raise not_found("Alert") from exc
    except EngineError as exc:
        raise from_engine(exc) from exc
    return Alert.of(row)


@strawberry.type
class Query:
    @strawberry.field
    async def me(self, info: Info) -> User:
        return User.of(require_viewer(viewer_of(info)).user)

    @strawberry.field(description="Newest first. Filters combine; text is case-insensitive in summary or details.")
    async def alerts(
        self,
        info: Info,
        status: list[AlertStatus] | None = None,
        first: int | None = 25,
        after: str | None = None,
        priority: Priority | None = None,
        source_id: strawberry.ID | None = None,
        team_id: strawberry.ID | None = None,
        text: str | None = None,
    ) -> AlertConnection:
        viewer = require_viewer(viewer_of(info))
        limit = min(max(first or 25, 1), MAX_PAGE)
        after_id = decode_cursor(after) if after else None
        if after and after_id is None:
            raise user_error("BAD_USER_INPUT", "'after' is not a cursor from this connection")
        wanted = alert_search.AlertFilter(
            statuses=tuple(AlertStatusRow(s.value) for s in status or ()),
            priority=PriorityRow(priority.value) if priority else None,
            source_id=optional_id(source_id, "source id"),
            team_id=optional_id(team_id, "team id"),
            text=text,
        )
        with engine_errors():
            rows = await alert_search.page(visible_alerts_filter(viewer), wanted, after_id, limit + 1)
        page = rows[:limit]
        edges = [AlertEdge(cursor=encode_cursor(r.id), node=Alert.of(r)) for r in page]
        return AlertConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=len(rows) > limit, end_cursor=edges[-1].cursor if edges else None),
        )

    @strawberry.field
    async def alert(self, info: Info, id: strawberry.ID) -> Alert | None:
        viewer = require_viewer(viewer_of(info))
        alert_id = lookup_id(id)
        row = await visible_alert(viewer, alert_id) if alert_id is not None else None
        return Alert.of(row) if row else None


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def login(self, info: Info, email: str, password: str) -> Session:
        state = app_state(info)
        throttle = state.login_throttle
        key = email.strip().lower()
        wait = throttle.wait_time(key)
        if wait > 0:
            raise user_error("BAD_USER_INPUT", f"Too many failed sign-in attempts; try again in {int(wait) + 1} s")
        result = await engine_login(email, password, _now(), state.settings.session_lifetime)
        if result is None:
            throttle.take(key)  # only failures count towards the throttle
            raise user_error("UNAUTHENTICATED", "Wrong email or password")
        user, token = result
        return Session(token=token, user=User.of(user))

    @strawberry.mutation
    async def accept_alert(self, info: Info, id: strawberry.ID) -> Alert:
        return await _act(info, id, lambda v, a: alert_engine.accept_alert(a, v.user.id, _now(), via="app", viewer=v), checks_visibility=True)

    @strawberry.mutation
    async def resolve_alert(self, info: Info, id: strawberry.ID) -> Alert:
        return await _act(info, id, lambda v, a: alert_engine.resolve_alert(a, v.user.id, _now(), via="app", viewer=v), checks_visibility=True)

    @strawberry.mutation
    async def comment_alert(self, info: Info, id: strawberry.ID, text: str) -> Alert:
        return await _act(info, id, lambda v, a: alert_engine.comment_alert(a, v.user.id, text, _now()))

    @strawberry.mutation
    async def escalate_alert(self, info: Info, id: strawberry.ID) -> Alert:
        return await _act(info, id, lambda v, a: alert_engine.escalate_alert(a, v.user.id, _now(), viewer=v), checks_visibility=True)


@strawberry.input(description="Which alert events a subscription wants; every part left out matches all.")
class AlertEventFilter:
    kinds: list[str] | None = strawberry.field(default=None, description="CREATED, UPDATED, ACCEPTED, RESOLVED, ESCALATED, COMMENTED")
    status: list[AlertStatus] | None = None
    priority: Priority | None = None
    source_ids: list[strawberry.ID] | None = None
    team_id: strawberry.ID | None = None

    def matches(self, kind: str, alert: AlertRow) -> bool:
        """In memory, on the alert each event loads once for every subscriber of the process."""
        return (
            (not self.kinds or kind in self.kinds)
            and (not self.status or alert.status.value in {s.value for s in self.status})
            and (self.priority is None or alert.priority.value == self.priority.value)
            and (not self.source_ids or str(alert.source_id) in {str(i) for i in self.source_ids})  # type: ignore[attr-defined]
            and (self.team_id is None or str(alert.source.team_id) == str(self.team_id))  # type: ignore[attr-defined]
        )


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def alert_events(self, info: Info, filter: AlertEventFilter | None = None) -> AsyncGenerator[AlertEvent, None]:
        # Loaded once per event, shown to the subscribers that may see it.
        async for kind, row in visible_changes(info, "alert", load_event_alert, alert_seen_by):
            if filter is None or filter.matches(kind, row):
                yield AlertEvent(kind=kind, alert=Alert.of(row))


MAX_DEPTH = 10
MAX_TOKENS = 5_000
MAX_ALIASES = 50

# The size limits' rule classes, made once: each limiter builds a new class when constructed, and
# a new class per request would make every validation-cache key unique (no hits at all).
SIZE_RULES = [
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
]
# Distinct documents remembered, parsed and validated: the web app, the mobile apps and scripts
# send a few dozen; a client that sends a new one each time only churns this bounded cache.
DOCUMENT_CACHE_SIZE = 256

schema = strawberry.Schema(
    query=merge_types("Query", (Query, MeQuery, ContactQuery, WebPushQuery, ScheduleQuery, FeedsQuery, AdminQuery, PeopleQuery, InvitationQuery, AuthQuery, NodeQuery, WidgetQuery, SourcesAdminQuery, ImpactQuery, SetupQuery, TestEventQuery, ChatQuery)),
    mutation=merge_types("Mutation", (Mutation, MeMutation, ContactMutation, WebPushMutation, ScheduleMutation, AdminMutation, PeopleMutation, InvitationMutation, AuthMutation, WidgetMutation, SourcesAdminMutation, TestEventMutation, ChatMutation, ChatLinkMutation)),
    subscription=merge_types("Subscription", (Subscription, CoverageSubscription, WidgetSubscription, ConfigSubscription)),
    execution_context_class=PagerlineExecutionContext,
    scalar_overrides=SCALAR_OVERRIDES,  # type: ignore[arg-type]
    extensions=[
        # Size limits, checked before anything runs: a document is refused when it nests deeper,
        # has more tokens or more aliases than any screen of the app or the dashboard needs.
        lambda: AddValidationRules(SIZE_RULES),  # depth and aliases
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        InputChecks,  # literal arguments, operation type (variables: see view.py)
        # Parsing and validating a screen's document took longer than running it (13 ms of a
        # 35 ms acceptAlert): the same text gives the same document and the same verdict, so
        # both are kept, keyed by the text (and the parse options: the token limit above) and
        # by the document and rules. After the extensions that set the rules.
        lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
        ErrorCodes,  # every error gets extensions.code; internal ones are masked
    ],
)
