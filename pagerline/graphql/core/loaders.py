"""DataLoaders, made fresh per HTTP request and per subscription event (never per WebSocket
connection, or they would serve stale data)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from enum import Enum
from functools import cached_property
from typing import Any, NamedTuple, TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from pagerline.engine.alerts.transitions import event_counts
from pagerline.engine.alerts.escalation import RuleTargets
from pagerline.engine.core.timeline import TimelineEntry, TimelinePage, count_entries, newest_pages
from pagerline.engine.core import sql
from pagerline.engine.core.memo import remembered
from pagerline.engine.core.sql_dialect import in_list
from pagerline.engine.schedules.math import CompiledSchedule, ScheduleSpec
from pagerline.engine.schedules.oncall import LoadedSchedule, load_schedules
from pagerline.models import (
    AlertSource,
    EscalationPolicy,
    Notification,
    NotificationKind,
    NotificationRule,
    Role,
    Schedule,
    ScheduleLayer,
    Team,
    User,
)

M = TypeVar("M", bound=Model)


def _by_id(model: type[M]) -> Any:
    """A batch function loading rows of ``model`` by primary key (None where missing)."""

    async def load(ids: list[int]) -> list[M | None]:
        found = {row.pk: row for row in await model.filter(id__in=ids)}
        return [found.get(i) for i in ids]

    return load


def _grouped(keys: list[int], pairs: Iterable[tuple[int, Any]]) -> list[list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for key, value in pairs:
        grouped[key].append(value)
    return [grouped.get(k, []) for k in keys]


@dataclass(frozen=True, slots=True)
class UserRow:
    """A user's columns that the GraphQL ``User`` shows, read without building an ORM row (for
    the hundreds of users of "on call now" that cost more than the query)."""

    id: int
    email: str
    name: str
    role: Role
    timezone: str
    muted_until: datetime | None
    active: bool


# Plain SQL: the ORM's handling of an IN list of a few hundred ids cost more than the query.
_USERS_SQL = f"SELECT {', '.join(f.name for f in fields(UserRow))} FROM users WHERE id IN {{ids}}"
_MUTED_UNTIL = User._meta.fields_map["muted_until"]  # its conversion (SQLite hands back text)


class _Users:
    """The request's users by id: the batch function behind :attr:`Loaders.users`, and
    :meth:`many` for a caller that wants many at once (without a future per id)."""

    def __init__(self) -> None:
        self._rows: dict[int, UserRow | None] = {}  # None: no such user
        # User id -> the load reading it, while it runs: fields of one request running side by
        # side (onCall and onCallByPolicy) share it instead of reading the same users again.
        self._loading: dict[int, asyncio.Future[None]] = {}

    async def many(self, ids: Iterable[int]) -> dict[int, UserRow]:
        """The users among ``ids`` that exist, each read once per request."""
        wanted = set(ids)
        missing = sorted(i for i in wanted if i not in self._rows and i not in self._loading)
        if missing:
            load = asyncio.ensure_future(self._load(missing))
            for user_id in missing:
                self._loading[user_id] = load
        waits = {id(f): f for i in wanted if (f := self._loading.get(i)) is not None}
        for load in waits.values():
            # Shielded: a field given up on must not cancel a load another field waits for.
            await asyncio.shield(load)
        return {i: row for i in wanted if (row := self._rows.get(i)) is not None}

    async def _load(self, user_ids: list[int]) -> None:
        try:
            rows = await sql.fetch(_USERS_SQL.format(ids=in_list(len(user_ids))), *user_ids)
            found = {
                row["id"]: UserRow(
                    id=row["id"], email=row["email"], name=row["name"], role=Role(row["role"]), timezone=row["timezone"],
                    muted_until=_MUTED_UNTIL.to_python_value(row["muted_until"]), active=bool(row["active"]),
                )
                for row in rows
            }
            for user_id in user_ids:
                self._rows[user_id] = found.get(user_id)
        finally:
            for user_id in user_ids:
                self._loading.pop(user_id, None)

    async def __call__(self, ids: list[int]) -> list[UserRow | None]:
        found = await self.many(ids)
        return [found.get(i) for i in ids]

    def loaded(self, user_id: int) -> UserRow | None | NotLoaded:
        """The user (None: no such user) if already read in this request, without waiting."""
        return self._rows.get(user_id, NOT_LOADED)


async def _alert_notifications(alert_ids: list[int]) -> list[list[Notification]]:
    rows = await Notification.filter(alert_id__in=alert_ids).order_by("id")
    return _grouped(alert_ids, ((r.alert_id, r) for r in rows))  # type: ignore[attr-defined]


async def _paged_users(alert_ids: list[int]) -> list[dict[int, datetime]]:
    """Per alert: each paged user with the time of their first page, in that order."""
    rows = await Notification.filter(alert_id__in=alert_ids, kind=NotificationKind.PAGE).order_by("created_at", "id").values_list(
        "alert_id", "user_id", "created_at"
    )
    paged: dict[int, dict[int, datetime]] = defaultdict(dict)
    for alert_id, user_id, at in rows:
        paged[alert_id].setdefault(user_id, at)
    return [paged.get(i, {}) for i in alert_ids]


async def _team_members(team_ids: list[int]) -> list[list[User]]:
    pairs = [p for p in await Team.filter(id__in=team_ids).values_list("id", "members__id") if p[1] is not None]
    users = {u.id: u for u in await User.filter(id__in=[u for _, u in pairs]).order_by("name")}
    return _grouped(team_ids, sorted(((t, users[u]) for t, u in pairs if u in users), key=lambda p: p[1].name))


async def _user_teams(user_ids: list[int]) -> list[list[Team]]:
    pairs = [p for p in await User.filter(id__in=user_ids).values_list("id", "teams__id") if p[1] is not None]
    teams = {t.id: t for t in await Team.filter(id__in=[t for _, t in pairs])}
    return _grouped(user_ids, sorted(((u, teams[t]) for u, t in pairs if t in teams), key=lambda p: p[1].name))


async def _schedule_layers(schedule_ids: list[int]) -> list[list[ScheduleLayer]]:
    rows = await ScheduleLayer.filter(schedule_id__in=schedule_ids).order_by("position", "id")
    return _grouped(schedule_ids, ((row.schedule_id, row) for row in rows))  # type: ignore[attr-defined]


class NotLoaded(Enum):
    """Not in what this request has loaded so far (a lookup would have to wait for a load)."""

    NOT_LOADED = "NOT_LOADED"


NOT_LOADED = NotLoaded.NOT_LOADED


class ScheduleWindow(NamedTuple):
    """A schedule and the instants ``[start, until)`` a resolver asks it about."""

    schedule_id: int
    start: datetime
    until: datetime

    @classmethod
    def at(cls, schedule_id: int, at: datetime) -> ScheduleWindow:
        """The window of one lookup: who is on call at ``at``."""
        return cls(schedule_id, at, at + timedelta(microseconds=1))


class _SchedulesWithin:
    """The batch function behind :attr:`Loaders.schedules_within`, holding what it loaded for
    the rest of the request.

    A batch loads every schedule it needs in one statement, whatever the number of schedules
    and lookups, with the overrides and static shifts of the smallest window holding all of the
    batch's windows. What lies outside an asked window changes no answer inside it, so a caller
    gets the same answers as from a load of its own window (or of the whole schedule). A later
    batch asking about a window that a schedule was already loaded for reuses it (the same
    object, so :attr:`Loaders.compiled_schedules` compiles it once): a schedule is loaded once
    per request.
    """

    def __init__(self) -> None:
        # Schedule id -> the window it was loaded for and the load (shared while in flight, so
        # that a batch dispatched while another is still loading waits for it instead).
        self._held: dict[int, tuple[datetime, datetime, asyncio.Future[dict[int, LoadedSchedule]]]] = {}

    def _holds(self, window: ScheduleWindow) -> bool:
        held = self._held.get(window.schedule_id)
        return held is not None and held[0] <= window.start and window.until <= held[1]

    async def __call__(self, windows: list[ScheduleWindow]) -> list[LoadedSchedule | None]:
        missing = [w for w in windows if not self._holds(w)]
        if missing:
            start, until = min(w.start for w in missing), max(w.until for w in missing)
            wanted = sorted({w.schedule_id for w in missing})
            load = asyncio.ensure_future(load_schedules(wanted, (start, until)))
            load.add_done_callback(self._forget_if_failed)
            for schedule_id in wanted:
                self._held[schedule_id] = (start, until, load)
        loads = [self._held[w.schedule_id][2] for w in windows]
        # Each distinct load awaited once (a few per request, for hundreds of windows).
        # Shielded: a batch given up on (its request cancelled) must not cancel a load that
        # other batches wait for too.
        done: dict[int, dict[int, LoadedSchedule]] = {}
        for load in loads:
            if id(load) not in done:
                done[id(load)] = await asyncio.shield(load)
        return [done[id(load)].get(w.schedule_id) for w, load in zip(windows, loads)]

    def loaded(self, window: ScheduleWindow) -> LoadedSchedule | None | NotLoaded:
        """The window's schedule (None: no such schedule) if a finished load holds it, without
        waiting; else NOT_LOADED."""
        held = self._held.get(window.schedule_id)
        if held is None or not (held[0] <= window.start and window.until <= held[1]):
            return NOT_LOADED
        load = held[2]
        if not load.done() or load.cancelled() or load.exception() is not None:
            return NOT_LOADED
        return load.result().get(window.schedule_id)

    def _forget_if_failed(self, load: asyncio.Future[dict[int, LoadedSchedule]]) -> None:
        """A failed load is not kept for later batches (they try again)."""
        if load.cancelled() or load.exception() is not None:
            for schedule_id in [s for s, held in self._held.items() if held[2] is load]:
                del self._held[schedule_id]


_POLICY_RULES_SQL = """
SELECT r.id AS rule_id, r.policy_id, r.position, r.timeout_minutes, ru.user_id, rs.schedule_id
FROM escalation_rules r
LEFT JOIN escalation_rule_users ru ON ru.escalation_rules_id = r.id{active}
LEFT JOIN escalation_rule_schedules rs ON rs.escalation_rules_id = r.id
WHERE r.policy_id IN {ids}
"""
_ACTIVE_USERS = " AND ru.user_id IN (SELECT u.id FROM users u WHERE u.active)"


async def _policy_rules(policy_ids: list[int], pageable: bool = False) -> list[list[RuleTargets]]:
    """Each policy's rules as configured; with ``pageable``, as escalation sees them: without
    the deactivated users they name (see ``engine.alerts.escalation.load_policy_plan``)."""
    # Plain SQL: the dashboard's "on call now" reads every policy's rules, and building the
    # ORM's query and rows for them cost more than the database took.
    text = _POLICY_RULES_SQL.format(ids=in_list(len(policy_ids)), active=_ACTIVE_USERS if pageable else "")
    rows = await sql.fetch(text, *policy_ids)
    rules: dict[int, tuple[int, int, int, set[int], set[int]]] = {}
    for row in rows:
        _, _, _, users, schedules = rules.setdefault(
            row["rule_id"], (row["policy_id"], row["position"], row["timeout_minutes"], set(), set())
        )
        if row["user_id"] is not None:
            users.add(row["user_id"])
        if row["schedule_id"] is not None:
            schedules.add(row["schedule_id"])
    ordered = sorted(rules.values(), key=lambda r: r[1])
    return _grouped(policy_ids, ((p, RuleTargets(pos, t, tuple(sorted(u)), tuple(sorted(s)))) for p, pos, t, u, s in ordered))


async def _notification_rules(user_ids: list[int]) -> list[list[NotificationRule]]:
    rows = await NotificationRule.filter(user_id__in=user_ids).order_by("priority", "delay_minutes", "id")
    return _grouped(user_ids, ((r.user_id, r) for r in rows))  # type: ignore[attr-defined]


async def _event_counts(alert_ids: list[int]) -> list[int]:
    counts = await event_counts(alert_ids)
    return [counts[i] for i in alert_ids]


# Compiled schedules kept between requests, by what they were compiled from: a schedule that has
# not changed since (most of them, most of the time) has an equal spec, and comparing specs costs
# a fraction of compiling one again. Bounded: emptied when full (compiling 300 takes ~2 ms).
_COMPILED_MEMO_SIZE = 4096
_compiled_specs: dict[ScheduleSpec, CompiledSchedule] = {}


def _compile(spec: ScheduleSpec) -> CompiledSchedule:
    return remembered(_compiled_specs, spec, lambda: CompiledSchedule(spec), _COMPILED_MEMO_SIZE)


class ScheduleGone(LookupError):
    """The schedule an on-call lookup names does not exist (deleted meanwhile)."""


class Loaders:
    """The DataLoaders of one request (or of one subscription event), each made on first use:
    a subscription makes a fresh set for every event, and an event touches one or two."""

    @cached_property
    def now(self) -> datetime:
        """What "now" means for the whole request (read once, on first use), so that fields
        answering "now" agree with each other and share what they load."""
        return datetime.now(UTC)

    @cached_property
    def event_counts(self) -> DataLoader[int, int]:
        return DataLoader(load_fn=_event_counts)

    @cached_property
    def timeline_pages(self) -> DataLoader[TimelinePage, list[TimelineEntry]]:
        """Bounded pages of alert timelines, newest first (never a whole timeline)."""
        return DataLoader(load_fn=newest_pages)

    @cached_property
    def log_entry_counts(self) -> DataLoader[int, int]:
        return DataLoader(load_fn=count_entries)

    @cached_property
    def sources(self) -> DataLoader[int, AlertSource | None]:
        return DataLoader(load_fn=_by_id(AlertSource))

    @cached_property
    def policies(self) -> DataLoader[int, EscalationPolicy | None]:
        return DataLoader(load_fn=_by_id(EscalationPolicy))

    @cached_property
    def _users(self) -> _Users:
        return _Users()

    @cached_property
    def users(self) -> DataLoader[int, UserRow | None]:
        return DataLoader(load_fn=self._users)

    async def users_by_id(self, ids: Iterable[int]) -> dict[int, UserRow]:
        """The users among ``ids`` that exist, for a field that shows many at once: the same
        rows as :attr:`users` gives, without a future per id."""
        return await self._users.many(ids)

    @cached_property
    def user_objects(self) -> dict[int, Any]:
        """GraphQL ``User`` objects made in this request, by user id: "on call now" shows the
        same few hundred people in a thousand places."""
        return {}

    @cached_property
    def teams(self) -> DataLoader[int, Team | None]:
        return DataLoader(load_fn=_by_id(Team))

    @cached_property
    def schedules(self) -> DataLoader[int, Schedule | None]:
        return DataLoader(load_fn=_by_id(Schedule))

    @cached_property
    def alert_notifications(self) -> DataLoader[int, list[Notification]]:
        return DataLoader(load_fn=_alert_notifications)

    @cached_property
    def paged_users(self) -> DataLoader[int, dict[int, datetime]]:
        return DataLoader(load_fn=_paged_users)

    @cached_property
    def team_members(self) -> DataLoader[int, list[User]]:
        return DataLoader(load_fn=_team_members)

    @cached_property
    def user_teams(self) -> DataLoader[int, list[Team]]:
        return DataLoader(load_fn=_user_teams)

    @cached_property
    def policy_rules(self) -> DataLoader[int, list[RuleTargets]]:
        return DataLoader(load_fn=_policy_rules)

    async def rules_of_policies(self, policy_ids: list[int]) -> list[list[RuleTargets]]:
        """Each policy's rules as escalation sees them (who they would page: deactivated users
        left out), for a field that reads many policies at once: one statement, without a
        future per policy."""
        return await _policy_rules(policy_ids, pageable=True) if policy_ids else []

    @cached_property
    def schedule_layers(self) -> DataLoader[int, list[ScheduleLayer]]:
        return DataLoader(load_fn=_schedule_layers)

    @cached_property
    def compiled_schedules(self) -> dict[int, tuple[LoadedSchedule, CompiledSchedule]]:
        """Schedule id -> the loaded schedule and its compiled form, so each is compiled once per
        request (the math's own memo holds fewer schedules than one request may read)."""
        return {}

    def compiled(self, schedule: LoadedSchedule) -> CompiledSchedule:
        """The schedule math's form of ``schedule``, made once per request (and kept between
        requests while the schedule is unchanged, see :func:`_compile`)."""
        held = self.compiled_schedules.get(schedule.id)
        if held is None or held[0] is not schedule:
            held = self.compiled_schedules[schedule.id] = (schedule, _compile(schedule.spec))
        return held[1]

    @cached_property
    def _on_call_answers(self) -> dict[tuple[int, datetime], int | None]:
        """Who a loaded schedule (by id) has on call at an instant, each computed once per
        request (``onCall`` and ``onCallByPolicy`` ask about the same schedules)."""
        return {}

    def on_call(self, schedule: LoadedSchedule, at: datetime) -> int | None:
        """Who ``schedule`` has on call at ``at`` (None: nobody)."""
        key = (schedule.id, at)
        answers = self._on_call_answers
        if key in answers:
            return answers[key]
        user_id = answers[key] = self.compiled(schedule).on_call(at)
        return user_id

    def forget_schedules(self) -> None:
        """After a change to schedules in this request (a mutation field), the fields that
        follow load them afresh."""
        for name in ("_schedule_windows", "schedules_within", "on_call_users", "_on_call_answers", "compiled_schedules", "schedule_layers"):
            self.__dict__.pop(name, None)

    @cached_property
    def _schedule_windows(self) -> _SchedulesWithin:
        return _SchedulesWithin()

    @cached_property
    def schedules_within(self) -> DataLoader[ScheduleWindow, LoadedSchedule | None]:
        """Schedules as the schedule math needs them (None: no such schedule), for on-call
        lookups and shifts, in one statement per batch however many lookups ask."""
        return DataLoader(load_fn=self._schedule_windows)

    async def schedules_for(self, windows: list[ScheduleWindow]) -> list[LoadedSchedule | None]:
        """:attr:`schedules_within` for a field that asks about many schedules at once (the same
        loads, shared with it), without a future per window."""
        return await self._schedule_windows(windows)

    @cached_property
    def on_call_users(self) -> DataLoader[ScheduleWindow, UserRow | None]:
        """Who is on call on a schedule at an instant (``ScheduleWindow.at``; None: nobody),
        for fields asked once per schedule (``Schedule.onCall``, many in one request): one
        load of the schedules and one of the users per batch, and one future per lookup.
        A schedule that does not exist (deleted meanwhile) answers :class:`ScheduleGone`."""
        return DataLoader(load_fn=self._on_call_users)

    def on_call_loaded(self, window: ScheduleWindow) -> UserRow | None | ScheduleGone | NotLoaded:
        """What :attr:`on_call_users` answers for ``window``, when this request has already
        loaded all it takes (see :meth:`prefetch_on_call`); else NOT_LOADED."""
        schedule = self._schedule_windows.loaded(window)
        if schedule is None:
            return ScheduleGone()
        if schedule is NOT_LOADED:
            return NOT_LOADED
        user_id = self.on_call(schedule, window.start)
        return None if user_id is None else self._users.loaded(user_id)

    async def prefetch_on_call(self, schedule_ids: list[int], instants: Iterable[datetime]) -> None:
        """Load what on-call lookups of these schedules at these instants take, before they are
        asked: a list of schedules that asks each one's ``onCall`` then answers every lookup
        at once (see :meth:`on_call_loaded`) instead of waiting for a load per lookup."""
        windows = [ScheduleWindow.at(sid, at) for at in instants for sid in schedule_ids]
        loaded = await self.schedules_for(windows)
        who = (self.on_call(s, w.start) for w, s in zip(windows, loaded) if s is not None)
        await self.users_by_id(u for u in who if u is not None)

    async def _on_call_users(self, windows: list[ScheduleWindow]) -> list[UserRow | None | ScheduleGone]:
        loaded = await self.schedules_for(windows)
        who = [self.on_call(s, w.start) if s is not None else None for w, s in zip(windows, loaded)]
        users = await self.users_by_id(u for u in who if u is not None)
        return [
            ScheduleGone() if s is None else users.get(u) if u is not None else None for s, u in zip(loaded, who)
        ]

    @cached_property
    def notification_rules(self) -> DataLoader[int, list[NotificationRule]]:
        return DataLoader(load_fn=_notification_rules)
