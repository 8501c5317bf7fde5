"""DataLoaders, made fresh per HTTP request and per subscription event (never per WebSocket
connection, or they would serve stale data)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, NamedTuple, TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from pagerline.engine.alerts.transitions import event_counts
from pagerline.engine.alerts.escalation import RuleTargets
from pagerline.engine.core.timeline import TimelineEntry, TimelinePage, count_entries, newest_pages
from pagerline.engine.core import sql
from pagerline.engine.core.sql_dialect import in_list
from pagerline.engine.schedules.math import CompiledSchedule
from pagerline.engine.schedules.oncall import LoadedSchedule, load_schedules
from pagerline.models import (
    AlertSource,
    EscalationPolicy,
    Notification,
    NotificationKind,
    NotificationRule,
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
        # Shielded: a batch given up on (its request cancelled) must not cancel a load that
        # other batches wait for too.
        return [(await asyncio.shield(load)).get(w.schedule_id) for w, load in zip(windows, loads)]

    def _forget_if_failed(self, load: asyncio.Future[dict[int, LoadedSchedule]]) -> None:
        """A failed load is not kept for later batches (they try again)."""
        if load.cancelled() or load.exception() is not None:
            for schedule_id in [s for s, held in self._held.items() if held[2] is load]:
                del self._held[schedule_id]


_POLICY_RULES_SQL = """
SELECT r.id AS rule_id, r.policy_id, r.position, r.timeout_minutes, ru.user_id, rs.schedule_id
FROM escalation_rules r
LEFT JOIN escalation_rule_users ru ON ru.escalation_rules_id = r.id
LEFT JOIN escalation_rule_schedules rs ON rs.escalation_rules_id = r.id
WHERE r.policy_id IN {ids}
"""


async def _policy_rules(policy_ids: list[int]) -> list[list[RuleTargets]]:
    # Plain SQL: the dashboard's "on call now" reads every policy's rules, and building the
    # ORM's query and rows for them cost more than the database took.
    rows = await sql.fetch(_POLICY_RULES_SQL.format(ids=in_list(len(policy_ids))), *policy_ids)
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
    def users(self) -> DataLoader[int, User | None]:
        return DataLoader(load_fn=_by_id(User))

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

    @cached_property
    def schedule_layers(self) -> DataLoader[int, list[ScheduleLayer]]:
        return DataLoader(load_fn=_schedule_layers)

    @cached_property
    def compiled_schedules(self) -> dict[int, tuple[LoadedSchedule, CompiledSchedule]]:
        """Schedule id -> the loaded schedule and its compiled form, so each is compiled once per
        request (the math's own memo holds fewer schedules than one request may read)."""
        return {}

    def forget_schedules(self) -> None:
        """After a change to schedules in this request (a mutation field), the fields that
        follow load them afresh."""
        for name in ("schedules_within", "compiled_schedules", "schedule_layers"):
            self.__dict__.pop(name, None)

    @cached_property
    def schedules_within(self) -> DataLoader[ScheduleWindow, LoadedSchedule | None]:
        """Schedules as the schedule math needs them (None: no such schedule), for on-call
        lookups and shifts, in one statement per batch however many lookups ask."""
        return DataLoader(load_fn=_SchedulesWithin())

    @cached_property
    def notification_rules(self) -> DataLoader[int, list[NotificationRule]]:
        return DataLoader(load_fn=_notification_rules)
