"""Schedules, on-call, overrides and coverage requests over GraphQL. Resolvers authorize, call
the engine and shape; the schedule math and the coverage rules live in the engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from collections.abc import Awaitable, Callable, Iterable
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection

from pagerline import models
from pagerline.engine.core import sql
from pagerline.engine.schedules import calendars, coverage as coverage_engine, editing as schedule_engine
from pagerline.engine.core.errors import EngineError
from pagerline.engine.alerts.escalation import rule_targets
from pagerline.engine.schedules.math import STATIC, Shift as ShiftRow
from pagerline.engine.schedules.oncall import LoadedSchedule
from pagerline.graphql.core.args import optional_id, parse_id, parse_ids
from pagerline.graphql.core.context import loaders_of, viewer_of
from pagerline.graphql.core.loaders import NOT_LOADED, ScheduleGone, ScheduleWindow, UserRow
from pagerline.graphql.core.scalars import parse_datetime
from pagerline.graphql.core.errors import bad_input, from_engine, not_found, user_error
from pagerline.graphql.core.permissions import can_see_team, newest_visible_coverage_requests, require_responder, require_viewer
from pagerline.graphql.people.types import User
from pagerline.models.coverage import CoverageRequest as CoverageRow
from pagerline.models.coverage import CoverageStatus as CoverageStatusRow

MAX_RANGE = timedelta(days=366)
# The timeline's fields (a layer's own shifts, gaps, overrides) answer at most this much at a
# time: the console draws 1 to 4 weeks (and a DST day's extra hour).
MAX_TIMELINE = timedelta(days=35)


@strawberry.enum
class ScheduleKind(Enum):
    STATIC = "STATIC"
    RECURRING = "RECURRING"


@strawberry.enum
class CoverageStatus(Enum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


@strawberry.type
class Shift:
    user: User | None
    start: datetime
    end: datetime
    source: str
    source_id: strawberry.ID | None  # the layer, override or static shift it comes from


def _range(start: datetime, until: datetime) -> None:
    # Both carry a UTC offset: the DateTime scalar refuses one without (graphql/core/scalars.py).
    if until <= start or until - start > MAX_RANGE:
        raise bad_input("until", "until must be after from, at most 366 days later")


def _timeline_range(start: datetime, until: datetime) -> None:
    if until <= start or until - start > MAX_TIMELINE:
        raise bad_input("until", f"until must be after from, at most {MAX_TIMELINE.days} days later")


def _shift(users: dict[int, User], s: ShiftRow) -> Shift:
    return Shift(
        user=_user(users, s.user_id), start=s.start, end=s.end, source=s.source,
        source_id=strawberry.ID(str(s.source_id)) if s.source_id is not None else None,
    )


async def _users(info: Info, ids: Iterable[int | None]) -> dict[int, User]:
    """The users among ``ids`` (None: nobody) that exist, as shown, each made once per request,
    through the loader: a field of each schedule (``shifts``) reads them in one batch for all."""
    rows = await loaders_of(info).users.load_many(sorted({i for i in ids if i is not None}))
    return {row.id: User.shown(info, row) for row in rows if row is not None}


async def _users_at_once(info: Info, ids: Iterable[int | None]) -> dict[int, User]:
    """:func:`_users` for a field that reads all it needs at once (hundreds of users for
    "on call now"): the same rows, without a future per user."""
    rows = await loaders_of(info).users_by_id(i for i in ids if i is not None)
    return {user_id: User.shown(info, row) for user_id, row in rows.items()}


def _user(users: dict[int, User], user_id: int | None) -> User | None:
    return users.get(user_id) if user_id is not None else None


async def _schedules(info: Info, windows: list[ScheduleWindow]) -> list[LoadedSchedule]:
    """Each window's schedule, loaded once for the whole request (see loaders.ScheduleWindow);
    a schedule deleted meanwhile is a NOT_FOUND."""
    loaded = await loaders_of(info).schedules_within.load_many(windows)
    if any(schedule is None for schedule in loaded):
        raise not_found("Schedule")
    return loaded  # type: ignore[return-value]


async def _on_call_at(info: Info, schedule_ids: list[int], at: datetime) -> dict[int, int | None]:
    """Schedule id → who is on call at ``at`` (None: nobody), for schedules that exist."""
    loaders = loaders_of(info)
    loaded = await loaders.schedules_for([ScheduleWindow.at(sid, at) for sid in schedule_ids])
    return {schedule.id: loaders.on_call(schedule, at) for schedule in loaded if schedule is not None}


def _on_call_user(info: Info, found: UserRow | None | ScheduleGone) -> User | None:
    if isinstance(found, ScheduleGone):
        raise not_found("Schedule")
    return User.shown(info, found) if found is not None else None


async def _on_call_later(info: Info, window: ScheduleWindow) -> User | None:
    try:
        found: UserRow | None | ScheduleGone = await loaders_of(info).on_call_users.load(window)
    except ScheduleGone as gone:
        found = gone
    return _on_call_user(info, found)


def _on_call_instants(info: Info) -> set[datetime]:
    """The instants the ``onCall`` fields of the schedules this field returns ask about
    (aliases and fragments included; "now" for those without ``at``)."""
    found: set[datetime] = set()

    def walk(selections: list[Selection]) -> None:
        for selection in selections:
            if not isinstance(selection, SelectedField):
                walk(selection.selections)  # a fragment
            elif selection.name == "onCall":
                at = selection.arguments.get("at")
                if at is None:
                    found.add(_request_now(info))
                elif isinstance(at, datetime):  # a variable, already parsed
                    found.add(at)
                elif isinstance(at, str):  # a literal (valid: the document passed validation)
                    found.add(parse_datetime(at))

    for field in info.selected_fields:
        walk(field.selections)
    return found


async def _prefetch_on_call(info: Info, schedule_ids: list[int]) -> None:
    """Before a list of schedules is returned, load what the ``onCall`` lookups selected on
    them take, so that each is answered at once. Only a warm-up: a lookup it missed loads
    what it needs itself."""
    instants = _on_call_instants(info)
    if instants and schedule_ids:
        await loaders_of(info).prefetch_on_call(schedule_ids, sorted(instants))


def _request_now(info: Info) -> datetime:
    """The instant "now" means for the whole request: the dashboard asks ``onCall`` and
    ``onCallByPolicy`` together, and both then answer for one instant from one load."""
    return loaders_of(info).now


@strawberry.enum
class Weekday(Enum):
    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


_WINDOW = (
    "A weekly window the layer covers, in the schedule's time zone, from startDay startTime to "
    "endDay endTime (24-hour \"HH:MM\"); an end at or before the start wraps into the next week. "
    "Outside its windows a layer lets the layers below show through; the rotation does not pause."
)


@strawberry.type(description=_WINDOW)
class LayerRestriction:
    start_day: Weekday
    start_time: str
    end_day: Weekday
    end_time: str


@strawberry.input(description=_WINDOW)
class RestrictionInput:
    start_day: Weekday
    start_time: str
    end_day: Weekday
    end_time: str


def _engine_restrictions(given: list[RestrictionInput]) -> list[schedule_engine.Restriction]:
    return [schedule_engine.Restriction(r.start_day.value, r.start_time, r.end_day.value, r.end_time) for r in given]


@strawberry.type
class Layer:
    id: strawberry.ID
    position: int
    starts_on: datetime
    ends_on: datetime | None
    rotation: str
    user_ids: list[strawberry.ID]
    restrictions: list[LayerRestriction] = strawberry.field(description="Empty: the layer covers the whole week.")
    schedule_id: strawberry.Private[int]

    @strawberry.field(description=(
        "What this layer alone schedules in [from, until) (its rotation, restrictions, start and end; "
        "other layers and overrides ignored), at most 35 days. Empty for a layer of a static schedule."
    ))
    async def shifts(self, info: Info, from_: Annotated[datetime, strawberry.argument(name="from")], until: datetime) -> list[Shift]:
        _timeline_range(from_, until)
        [schedule] = await _schedules(info, [ScheduleWindow(self.schedule_id, from_, until)])
        index = next((i for i, layer in enumerate(schedule.spec.layers) if layer.id == int(self.id)), None)
        if index is None or schedule.spec.kind == STATIC:
            return []  # deleted meanwhile, or a static schedule's (its layers do not count)
        found = loaders_of(info).compiled(schedule).layer_shifts(index, from_, until)
        users = await _users(info, [s.user_id for s in found])
        return [_shift(users, s) for s in found]

    @classmethod
    def of(cls, row: models.ScheduleLayer) -> Layer:
        return cls(
            schedule_id=row.schedule_id,  # type: ignore[attr-defined]
            id=strawberry.ID(str(row.id)), position=row.position, starts_on=row.starts_on, ends_on=row.ends_on,
            rotation=row.rotation, user_ids=[strawberry.ID(str(u)) for u in row.user_ids],
            restrictions=[
                LayerRestriction(
                    start_day=Weekday(w.start_day), start_time=w.start_time, end_day=Weekday(w.end_day), end_time=w.end_time
                )
                for w in schedule_engine.restrictions_of(row)
            ],
        )


@strawberry.type
class Schedule:
    id: strawberry.ID
    name: str
    timezone: str
    kind: ScheduleKind

    @strawberry.field
    async def layers(self, info: Info) -> list[Layer]:
        return [Layer.of(r) for r in await loaders_of(info).schedule_layers.load(int(self.id))]

    @strawberry.field
    async def shifts(self, info: Info, from_: Annotated[datetime, strawberry.argument(name="from")], until: datetime | None = None) -> list[Shift]:
        until = until or from_ + timedelta(days=7)
        _range(from_, until)
        [schedule] = await _schedules(info, [ScheduleWindow(int(self.id), from_, until)])
        found = loaders_of(info).compiled(schedule).final_shifts(from_, until)
        users = await _users(info, [s.user_id for s in found])
        return [_shift(users, s) for s in found]

    @strawberry.field(description="The stretches of [from, until) with nobody on call in the final schedule, at most 35 days.")
    async def gaps(self, info: Info, from_: Annotated[datetime, strawberry.argument(name="from")], until: datetime) -> list[Gap]:
        _timeline_range(from_, until)
        [schedule] = await _schedules(info, [ScheduleWindow(int(self.id), from_, until)])
        return [Gap(start=start, end=end) for start, end in loaders_of(info).compiled(schedule).gaps(from_, until)]

    @strawberry.field(description="The overrides that overlap [from, until), by start, at most 35 days.")
    async def overrides(self, info: Info, from_: Annotated[datetime, strawberry.argument(name="from")], until: datetime) -> list[Override]:
        _timeline_range(from_, until)
        rows = await models.ScheduleOverride.filter(schedule_id=int(self.id), start__lt=until, end__gt=from_).order_by("start", "id")
        users = await _users(info, [r.user_id for r in rows])  # type: ignore[attr-defined]
        return [
            Override(id=strawberry.ID(str(r.id)), user=users[r.user_id], start=r.start, end=r.end)  # type: ignore[attr-defined]
            for r in rows
            if r.user_id in users  # type: ignore[attr-defined]
        ]

    @strawberry.field(graphql_type=User | None)
    def on_call(self, info: Info, at: datetime | None = None) -> User | None | Awaitable[User | None]:
        # Often asked many times in one request (aliases, every schedule). A list of schedules
        # has loaded what its lookups take (see _prefetch_on_call): the answer is given at
        # once, without an awaitable per lookup (each cost more than the lookup itself).
        # Otherwise the loader answers every lookup of a batch from one load of the schedules
        # and one of the users.
        window = ScheduleWindow.at(int(self.id), at or _request_now(info))
        known = loaders_of(info).on_call_loaded(window)
        if known is NOT_LOADED:
            return _on_call_later(info, window)
        return _on_call_user(info, known)

    @classmethod
    def of(cls, row: models.Schedule) -> Schedule:
        return cls(id=strawberry.ID(str(row.id)), name=row.name, timezone=row.timezone, kind=ScheduleKind(row.kind.value))

    @classmethod
    def of_values(cls, values: tuple[int, str, str, models.ScheduleKind, int | None]) -> Schedule:
        """From a row of :func:`_visible_schedule_values`."""
        schedule_id, name, timezone, kind, _ = values
        return cls(id=strawberry.ID(str(schedule_id)), name=name, timezone=timezone, kind=ScheduleKind(kind.value))

    @classmethod
    def of_loaded(cls, loaded: LoadedSchedule) -> Schedule:
        return cls(id=strawberry.ID(str(loaded.id)), name=loaded.name, timezone=loaded.spec.timezone, kind=ScheduleKind(loaded.spec.kind))


@strawberry.type(description="A stretch with nobody on call.")
class Gap:
    start: datetime
    end: datetime


@strawberry.type(description="Someone on call in [start, end) whatever the layers say.")
class Override:
    id: strawberry.ID
    user: User
    start: datetime
    end: datetime


@strawberry.type
class ScheduleOnCall:
    schedule: Schedule
    user: User | None


@strawberry.type
class RuleOnCall:
    policy_id: strawberry.ID
    policy_name: str
    level: int
    users: list[User]


@strawberry.type
class MyShift:
    schedule: Schedule
    start: datetime
    end: datetime


@strawberry.type
class CoverageRequest:
    id: strawberry.ID
    start: datetime
    end: datetime
    message: str
    status: CoverageStatus
    requester_id: strawberry.ID
    recipient_ids: list[strawberry.ID]
    declined_ids: list[strawberry.ID] = strawberry.field(description="Who was asked and said no (while others may still accept).")
    accepted_by_id: strawberry.ID | None

    @classmethod
    def of(cls, row: CoverageRow) -> CoverageRequest:
        return cls(
            id=strawberry.ID(str(row.id)), start=row.start, end=row.end, message=row.message,
            status=CoverageStatus(row.status.value), requester_id=strawberry.ID(str(row.requester_id)),  # type: ignore[attr-defined]
            recipient_ids=[strawberry.ID(str(u)) for u in row.recipient_ids],
            declined_ids=[strawberry.ID(str(u)) for u in row.declined_ids],
            accepted_by_id=strawberry.ID(str(row.accepted_by_id)) if row.accepted_by_id else None,  # type: ignore[attr-defined]
        )


@strawberry.type
class CalendarFeed:
    id: strawberry.ID
    url: str


@strawberry.input
class LayerInput:
    starts_on: datetime
    rotation: str
    user_ids: list[strawberry.ID]
    ends_on: datetime | None = None
    restrictions: list[RestrictionInput] | None = strawberry.field(
        default=None, description="Weekly windows the layer covers; none: the whole week."
    )

    def to_engine(self) -> schedule_engine.LayerInput:
        return schedule_engine.LayerInput(
            self.starts_on, self.rotation, parse_ids(self.user_ids), self.ends_on, _engine_restrictions(self.restrictions or [])
        )


@strawberry.input
class StaticShiftInput:
    user_id: strawberry.ID
    start: datetime
    end: datetime


async def _visible_schedules(info: Info) -> list[models.Schedule]:
    viewer = require_viewer(viewer_of(info))
    return [s for s in await models.Schedule.all().order_by("id") if can_see_team(viewer, s.team_id)]  # type: ignore[attr-defined]


async def _visible_schedule_ids(info: Info) -> list[int]:
    """The ids of :func:`_visible_schedules`, without building a row object for each."""
    return [row[0] for row in await _visible_schedule_values(info)]


async def _visible_schedule_values(info: Info) -> list[tuple[int, str, str, models.ScheduleKind, int | None]]:
    """What :class:`Schedule` shows of :func:`_visible_schedules` (id, name, timezone, kind,
    team), without building a row object for each (a list of all schedules is asked for
    with the on-call lookups of each; written out, as the ORM's conversions of hundreds of
    rows cost more than the query)."""
    viewer = require_viewer(viewer_of(info))
    rows = await sql.fetch("SELECT id, name, timezone, kind, team_id FROM schedules ORDER BY id")
    return [
        (row["id"], row["name"], row["timezone"], models.ScheduleKind(row["kind"]), row["team_id"])
        for row in rows
        if can_see_team(viewer, row["team_id"])
    ]


async def _editable(info: Info, schedule_id: strawberry.ID):  # type: ignore[no-untyped-def]
    """The viewer, when the schedule is theirs to see (editing rights are the engine's call)."""
    viewer = require_viewer(viewer_of(info))
    if str(schedule_id) not in {str(s.id) for s in await _visible_schedules(info)}:
        raise not_found("Schedule")
    return viewer


async def _visible_layer(info: Info, raw_id: strawberry.ID) -> models.ScheduleLayer:
    layer = await models.ScheduleLayer.get_or_none(id=parse_id(raw_id, "layer id"))
    if layer is None or layer.schedule_id not in {s.id for s in await _visible_schedules(info)}:  # type: ignore[attr-defined]
        raise not_found("Layer")
    return layer


@strawberry.type
class ScheduleQuery:
    @strawberry.field
    async def schedules(self, info: Info) -> list[Schedule]:
        rows = await _visible_schedule_values(info)
        await _prefetch_on_call(info, [row[0] for row in rows])
        return [Schedule.of_values(row) for row in rows]

    @strawberry.field
    async def schedule(self, info: Info, id: strawberry.ID) -> Schedule | None:
        found = [s for s in await _visible_schedule_values(info) if str(s[0]) == str(id)]
        await _prefetch_on_call(info, [row[0] for row in found])
        return Schedule.of_values(found[0]) if found else None

    @strawberry.field(description="Who is on call on each schedule you can see: now, or at `at`.")
    async def on_call(self, info: Info, at: datetime | None = None) -> list[ScheduleOnCall]:
        at = at or _request_now(info)
        loaders = loaders_of(info)
        windows = [ScheduleWindow.at(sid, at) for sid in await _visible_schedule_ids(info)]
        loaded = [s for s in await loaders.schedules_for(windows) if s is not None]  # None: deleted since
        who = {schedule.id: loaders.on_call(schedule, at) for schedule in loaded}
        users = await _users_at_once(info, who.values())
        return [ScheduleOnCall(schedule=Schedule.of_loaded(s), user=_user(users, who[s.id])) for s in loaded]

    @strawberry.field(description="Who each escalation policy's levels would page: now, or at `at`.")
    async def on_call_by_policy(self, info: Info, at: datetime | None = None) -> list[RuleOnCall]:
        viewer = require_viewer(viewer_of(info))
        at = at or _request_now(info)
        rows = await models.EscalationPolicy.all().order_by("id").values_list("id", "name", "team_id")
        policies = [(policy_id, name) for policy_id, name, team_id in rows if can_see_team(viewer, team_id)]
        rules = await loaders_of(info).rules_of_policies([policy_id for policy_id, _ in policies])
        who = await _on_call_at(info, sorted({sid for levels in rules for rule in levels for sid in rule.schedule_ids}), at)
        targets = [[rule_targets(rule, who) for rule in levels] for levels in rules]
        users = await _users_at_once(info, (u for levels in targets for level in levels for u in level))
        return [
            RuleOnCall(
                policy_id=strawberry.ID(str(policy_id)), policy_name=name, level=index + 1,
                users=[users[u] for u in level if u in users],
            )
            for (policy_id, name), levels in zip(policies, targets)
            for index, level in enumerate(levels)
        ]

    @strawberry.field
    async def my_shifts(self, info: Info, from_: Annotated[datetime, strawberry.argument(name="from")], until: datetime | None = None) -> list[MyShift]:
        viewer = require_viewer(viewer_of(info))
        until = until or from_ + timedelta(days=14)
        _range(from_, until)
        loaders = loaders_of(info)
        windows = [ScheduleWindow(sid, from_, until) for sid in await _visible_schedule_ids(info)]
        loaded = [s for s in await loaders.schedules_for(windows) if s is not None]  # None: deleted since
        mine = [
            MyShift(schedule=Schedule.of_loaded(schedule), start=shift.start, end=shift.end)
            for schedule in loaded
            for shift in loaders.compiled(schedule).final_shifts(from_, until)
            if shift.user_id == viewer.user.id
        ]
        return sorted(mine, key=lambda m: m.start)

    @strawberry.field
    async def coverage_requests(self, info: Info, status: list[CoverageStatus] | None = None) -> list[CoverageRequest]:
        viewer = require_viewer(viewer_of(info))
        statuses = [CoverageStatusRow(s.value) for s in status] if status else None
        return [CoverageRequest.of(r) for r in await newest_visible_coverage_requests(viewer, statuses)]


def _now() -> datetime:
    return datetime.now(UTC)


def _changed(info: Info) -> None:
    """A mutation field changed schedules: the fields after it (in this field's answer and in
    the next mutation fields) must not answer from what was loaded before."""
    loaders_of(info).forget_schedules()


@strawberry.type
class ScheduleMutation:
    @strawberry.mutation
    async def create_schedule(
        self,
        info: Info,
        name: str,
        timezone: str = "UTC",
        kind: ScheduleKind = ScheduleKind.RECURRING,
        team_id: strawberry.ID | None = None,
        layers: list[LayerInput] | None = None,
        shifts: list[StaticShiftInput] | None = None,
    ) -> Schedule:
        viewer = require_responder(viewer_of(info))
        if viewer.user.role is models.Role.RESPONDER:
            raise user_error("FORBIDDEN", "Responders cannot create schedules")
        team = optional_id(team_id, "team id")
        if team is not None and not can_see_team(viewer, team):
            raise not_found("Team")
        try:
            row = await schedule_engine.create_schedule(
                name, timezone, models.ScheduleKind(kind.value), team,
                [layer.to_engine() for layer in layers or []],
                [schedule_engine.ShiftInput(parse_id(s.user_id, "user id"), s.start, s.end) for s in shifts or []],
            )
        except EngineError as exc:
            raise from_engine(exc) from exc
        return Schedule.of(row)

    @strawberry.mutation
    async def create_override(self, info: Info, schedule_id: strawberry.ID, user_id: strawberry.ID, start: datetime, end: datetime) -> Schedule:
        viewer = require_viewer(viewer_of(info))
        visible = {str(s.id) for s in await _visible_schedules(info)}
        if str(schedule_id) not in visible:
            raise not_found("Schedule")
        try:
            await schedule_engine.create_override(viewer.user, parse_id(schedule_id, "schedule id"), parse_id(user_id, "user id"), start, end, now=_now())
        except EngineError as exc:
            raise from_engine(exc) from exc
        _changed(info)
        return Schedule.of(await models.Schedule.get(id=int(schedule_id)))

    @strawberry.mutation(description="Edit a layer from now (or handoffFrom) on; past shifts stay as they were. "
                         "restrictions: null keeps them, [] removes them. endsOn: left out keeps the end, null removes it.")
    async def update_layer(
        self, info: Info, id: strawberry.ID, rotation: str | None = None,
        user_ids: list[strawberry.ID] | None = None, handoff_from: datetime | None = None,
        restrictions: list[RestrictionInput] | None = None, ends_on: datetime | None = strawberry.UNSET,
    ) -> Schedule:
        viewer = require_viewer(viewer_of(info))
        layer = await models.ScheduleLayer.get_or_none(id=parse_id(id))
        visible = {s.id for s in await _visible_schedules(info)}
        if layer is None or layer.schedule_id not in visible:  # type: ignore[attr-defined]
            raise not_found("Layer")
        try:
            await schedule_engine.update_layer(
                viewer.user, layer.id, _now(), rotation=rotation,
                user_ids=parse_ids(user_ids) if user_ids is not None else None, handoff_from=handoff_from,
                restrictions=_engine_restrictions(restrictions) if restrictions is not None else None,
                ends_on=schedule_engine.KEEP_END if ends_on is strawberry.UNSET else ends_on,
            )
        except EngineError as exc:
            raise from_engine(exc) from exc
        _changed(info)
        return Schedule.of(await models.Schedule.get(id=layer.schedule_id))  # type: ignore[attr-defined]

    @strawberry.mutation(description=(
        "Remove a layer (one version of it: an edit from now on ends a version and starts the next). "
        "Its shifts, past ones too, leave the schedule; the layers below show through."
    ))
    async def delete_layer(self, info: Info, id: strawberry.ID) -> Schedule:
        viewer = require_viewer(viewer_of(info))
        layer = await _visible_layer(info, id)
        try:
            schedule_id = await schedule_engine.delete_layer(viewer.user, layer.id)
        except EngineError as exc:
            raise from_engine(exc) from exc
        _changed(info)
        return Schedule.of(await models.Schedule.get(id=schedule_id))

    @strawberry.mutation(description=(
        "Put a layer at a position in the schedule's order: 0 is the bottom, a higher position wins. "
        "The other layers are renumbered 0, 1, ... around it; the versions of a layer move together."
    ))
    async def move_layer(self, info: Info, id: strawberry.ID, position: int) -> Schedule:
        viewer = require_viewer(viewer_of(info))
        layer = await _visible_layer(info, id)
        try:
            schedule_id = await schedule_engine.move_layer(viewer.user, layer.id, position)
        except EngineError as exc:
            raise from_engine(exc) from exc
        _changed(info)
        return Schedule.of(await models.Schedule.get(id=schedule_id))

    @strawberry.mutation(description=(
        "Delete a schedule with its layers, shifts, overrides and calendar feeds. "
        "Refused (CONFLICT, naming them) while escalation policies page it."
    ))
    async def delete_schedule(self, info: Info, id: strawberry.ID) -> bool:
        viewer = await _editable(info, id)
        try:
            await schedule_engine.delete_schedule(viewer.user, parse_id(id, "schedule id"))
        except EngineError as exc:
            raise from_engine(exc) from exc
        _changed(info)
        return True

    @strawberry.mutation
    async def update_schedule(self, info: Info, id: strawberry.ID, name: str | None = None, timezone: str | None = None) -> Schedule:
        viewer = await _editable(info, id)
        try:
            row = await schedule_engine.update_schedule(viewer.user, parse_id(id, "schedule id"), name, timezone)
        except EngineError as exc:
            raise from_engine(exc) from exc
        _changed(info)
        return Schedule.of(row)

    @strawberry.mutation(description="A new layer on top of the others (later layers win).")
    async def add_layer(self, info: Info, schedule_id: strawberry.ID, layer: LayerInput) -> Schedule:
        viewer = await _editable(info, schedule_id)
        try:
            await schedule_engine.add_layer(
                viewer.user, parse_id(schedule_id, "schedule id"), layer.to_engine()
            )
        except EngineError as exc:
            raise from_engine(exc) from exc
        _changed(info)
        return Schedule.of(await models.Schedule.get(id=int(schedule_id)))

    @strawberry.mutation
    async def add_static_shift(self, info: Info, schedule_id: strawberry.ID, shift: StaticShiftInput) -> Schedule:
        viewer = await _editable(info, schedule_id)
        try:
            await schedule_engine.add_static_shift(
                viewer.user, parse_id(schedule_id, "schedule id"), schedule_engine.ShiftInput(parse_id(shift.user_id, "user id"), shift.start, shift.end)
            )
        except EngineError as exc:
            raise from_engine(exc) from exc
        _changed(info)
        return Schedule.of(await models.Schedule.get(id=int(schedule_id)))

    @strawberry.mutation
    async def delete_static_shift(self, info: Info, id: strawberry.ID) -> bool:
        viewer = require_viewer(viewer_of(info))
        row = await models.StaticShift.get_or_none(id=parse_id(id))
        if row is None or row.schedule_id not in {s.id for s in await _visible_schedules(info)}:  # type: ignore[attr-defined]
            raise not_found("Shift")
        try:
            await schedule_engine.delete_static_shift(viewer.user, row.id)
        except EngineError as exc:
            raise from_engine(exc) from exc
        _changed(info)
        return True

    @strawberry.mutation
    async def delete_override(self, info: Info, id: strawberry.ID) -> bool:
        viewer = require_viewer(viewer_of(info))
        try:
            await schedule_engine.delete_override(viewer.user, parse_id(id, "override id"), now=_now())
        except EngineError as exc:
            raise from_engine(exc) from exc
        _changed(info)
        return True

    @strawberry.mutation
    async def request_coverage(
        self, info: Info, start: datetime, end: datetime, message: str = "",
        schedule_ids: list[strawberry.ID] | None = None, user_ids: list[strawberry.ID] | None = None,
    ) -> CoverageRequest:
        viewer = require_responder(viewer_of(info))
        visible = [s.id for s in await _visible_schedules(info)]
        wanted = parse_ids(schedule_ids) if schedule_ids else visible
        if any(sid not in visible for sid in wanted):
            raise not_found("Schedule")
        try:
            row = await coverage_engine.request_coverage(
                viewer.user.id, start, end, _now(), message, wanted, parse_ids(user_ids) if user_ids else None
            )
        except EngineError as exc:
            raise from_engine(exc) from exc
        return CoverageRequest.of(row)

    @strawberry.mutation(description="A secret calendar URL (shown once) for your shifts, or a whole schedule's.")
    async def create_calendar_feed(self, info: Info, schedule_id: strawberry.ID | None = None) -> CalendarFeed:
        viewer = require_viewer(viewer_of(info))
        if schedule_id is not None and parse_id(schedule_id, "schedule id") not in {s.id for s in await _visible_schedules(info)}:
            raise not_found("Schedule")
        try:
            token, secret = await calendars.create_feed(viewer.user.id, optional_id(schedule_id), _now())
        except EngineError as exc:
            raise from_engine(exc) from exc
        base = info.context["request"].app.state.settings.public_url.rstrip("/")
        return CalendarFeed(id=strawberry.ID(str(token.id)), url=f"{base}/ical/{secret}.ics")

    @strawberry.mutation
    async def revoke_calendar_feed(self, info: Info, id: strawberry.ID) -> bool:
        viewer = require_viewer(viewer_of(info))
        try:
            await calendars.revoke_feed(viewer.user.id, parse_id(id), _now())
        except EngineError as exc:
            raise from_engine(exc) from exc
        return True

    @strawberry.mutation(
        description=(
            "Take the request, or with start and end only that part of its window: the part becomes an ACCEPTED "
            "request of its own (the answer), what remains stays asked of the same people."
        )
    )
    async def accept_coverage_request(
        self, info: Info, id: strawberry.ID, start: datetime | None = None, end: datetime | None = None
    ) -> CoverageRequest:
        if (start is None) != (end is None):
            raise user_error("BAD_USER_INPUT", "Give both start and end to accept a part, or neither to accept it all")
        part = coverage_engine.Part(start, end) if start is not None and end is not None else None
        return await _answer_coverage(info, id, lambda request_id, user_id, now: coverage_engine.accept_coverage(request_id, user_id, now, part))

    @strawberry.mutation
    async def decline_coverage_request(self, info: Info, id: strawberry.ID) -> CoverageRequest:
        return await _answer_coverage(info, id, coverage_engine.decline_coverage)

    @strawberry.mutation
    async def cancel_coverage_request(self, info: Info, id: strawberry.ID) -> CoverageRequest:
        return await _answer_coverage(info, id, coverage_engine.cancel_coverage)


async def _answer_coverage(
    info: Info, raw_id: strawberry.ID, step: Callable[[int, int, datetime], Awaitable[CoverageRow]]
) -> CoverageRequest:
    """Accept, decline and cancel share their shape: responder check, engine step, shape."""
    viewer = require_responder(viewer_of(info))
    try:
        row = await step(parse_id(raw_id), viewer.user.id, _now())
    except EngineError as exc:
        raise from_engine(exc) from exc
    _changed(info)  # accepting makes overrides
    return CoverageRequest.of(row)
