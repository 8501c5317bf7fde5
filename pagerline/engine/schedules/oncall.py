"""Who is on call: loads schedule rows into the pure schedule math and asks it."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from pagerline.engine.schedules.math import Layer, Override, ScheduleSpec, StaticShift, WeeklyWindow, on_call
from pagerline.engine.core import sql
from pagerline.engine.core.memo import remembered
from pagerline.engine.core.sql_dialect import in_list, typed_null
from pagerline.models import ScheduleOverride


def _parse_time(text: str) -> time:
    return time.fromisoformat(text)


def restriction_from_json(item: dict[str, object]) -> WeeklyWindow:
    return WeeklyWindow(
        start_day=int(item["start_day"]),  # type: ignore[call-overload]
        start_time=_parse_time(str(item["start_time"])),
        end_day=int(item["end_day"]),  # type: ignore[call-overload]
        end_time=_parse_time(str(item["end_time"])),
    )


@dataclass(frozen=True, slots=True)
class LoadedSchedule:
    """A schedule as the math needs it, with what callers show or check beside it."""

    id: int
    name: str
    team_id: int | None
    spec: ScheduleSpec


def _schedules_sql(postgres: bool, schedule_ids: list[int] | None, windowed: bool) -> str:
    """One ``UNION ALL`` over the four tables: a header row per schedule ('H'), then its layers
    ('L'), static shifts ('S') and overrides ('O'), and the deactivated users ('U', whose shifts
    do not count). Parameters: the ids for each schedule branch (when given), and for the static
    shifts and overrides the window's (from, until) (when windowed)."""
    ids = in_list(len(schedule_ids)) if schedule_ids is not None else ""

    def of_schedules(column: str) -> str:
        return f"{column} IN {ids}" if schedule_ids is not None else "1 = 1"

    def in_window(alias: str) -> str:
        return f' AND {alias}."end" > ? AND {alias}."start" < ?' if windowed else ""

    text, integer, stamp, json_ = (typed_null(postgres, t) for t in ("TEXT", "INTEGER", "TIMESTAMPTZ", "JSONB"))
    return f"""
SELECT 'H' AS what, s.id AS schedule_id, s.id AS row_id, 0 AS position, s.name AS text, s.timezone AS timezone,
       s.kind AS kind, s.team_id AS team_id, {integer} AS user_id, {stamp} AS "start", {stamp} AS "end",
       {json_} AS user_ids, {json_} AS restrictions
FROM schedules s WHERE {of_schedules("s.id")}
UNION ALL
SELECT 'L', l.schedule_id, l.id, l.position, l.rotation, {text}, {text}, {integer}, {integer}, l.starts_on, l.ends_on,
       l.user_ids, l.restrictions
FROM schedule_layers l WHERE {of_schedules("l.schedule_id")}
UNION ALL
SELECT 'S', x.schedule_id, x.id, 0, {text}, {text}, {text}, {integer}, x.user_id, x."start", x."end", {json_}, {json_}
FROM schedule_static_shifts x WHERE {of_schedules("x.schedule_id")}{in_window("x")}
UNION ALL
SELECT 'O', o.schedule_id, o.id, 0, {text}, {text}, {text}, {integer}, o.user_id, o."start", o."end", {json_}, {json_}
FROM schedule_overrides o WHERE {of_schedules("o.schedule_id")}{in_window("o")}
UNION ALL
SELECT 'U', 0, u.id, 0, {text}, {text}, {text}, {integer}, u.id, {stamp}, {stamp}, {json_}, {json_}
FROM users u WHERE NOT u.active
ORDER BY schedule_id, what, position, row_id
"""


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# Layers change rarely and every on-call lookup reads them: the Layer built from a stored row
# (its JSON parsed, its times read) is kept per distinct row, so a request reading 300
# schedules does not parse 600 JSON documents again, and the math's compiled-layer memo
# (keyed by the Layer) keeps its work between requests. Keyed by every column read, so an
# edited layer is a new key; emptied when full (rebuilding one costs tens of microseconds).
_LAYER_MEMO_SIZE = 8192
_layers: dict[tuple[Any, ...], Layer] = {}


def _layer(row: Any) -> Layer:
    key = (row["row_id"], row["text"], row["start"], row["end"], row["user_ids"], row["restrictions"])
    try:
        hash(key)
    except TypeError:  # a driver that hands JSON back parsed (unhashable): built every time
        return _new_layer(row)
    return remembered(_layers, key, lambda: _new_layer(row), _LAYER_MEMO_SIZE)


def _new_layer(row: Any) -> Layer:
    return Layer(
        starts_on=_datetime(row["start"]),  # type: ignore[arg-type]
        user_ids=tuple(int(u) for u in _json(row["user_ids"])),
        rotation=row["text"],
        ends_on=_datetime(row["end"]),
        restrictions=tuple(restriction_from_json(r) for r in _json(row["restrictions"])),
        id=int(row["row_id"]),
    )


_TIME = ScheduleOverride._meta.fields_map["start"]


def _datetime(value: Any) -> datetime | None:
    """A timestamp column as an aware datetime (SQLite hands back text)."""
    return _TIME.to_python_value(value)  # type: ignore[no-any-return]


async def load_schedules(
    schedule_ids: list[int] | None = None, window: tuple[datetime, datetime] | None = None
) -> dict[int, LoadedSchedule]:
    """Schedules (all of them when ``schedule_ids`` is None) in one query, whatever their number.

    With a ``window`` only the static shifts and overrides that overlap ``[from, until)`` are
    loaded: leaving out entries that do not overlap it changes nothing the math answers inside
    it, and overrides pile up as history. Layers are always loaded whole (their rotation counts
    from ``starts_on``).
    """
    if schedule_ids is not None and not schedule_ids:
        return {}
    ids = list(schedule_ids or [])
    bounds = [sql.db_time(ScheduleOverride, "start", t) for t in window] if window is not None else []
    params = ids + ids + ids + bounds + ids + bounds
    rows = await sql.fetch(_schedules_sql(sql.is_postgres(), schedule_ids, window is not None), *params)
    headers: list[dict[str, Any]] = []
    layers: dict[int, list[Layer]] = defaultdict(list)
    statics: dict[int, list[StaticShift]] = defaultdict(list)
    overrides: dict[int, list[Override]] = defaultdict(list)
    inactive: set[int] = set()
    for row in rows:
        sid, what = int(row["schedule_id"]), row["what"]
        if what == "U":
            inactive.add(int(row["user_id"]))
        elif what == "H":
            headers.append(row)
        elif what == "L":
            layers[sid].append(_layer(row))
        else:
            entry = (int(row["user_id"]), _datetime(row["start"]), _datetime(row["end"]), int(row["row_id"]))
            (statics if what == "S" else overrides)[sid].append(
                (StaticShift if what == "S" else Override)(*entry)  # type: ignore[arg-type]
            )
    return {
        int(h["schedule_id"]): LoadedSchedule(
            id=int(h["schedule_id"]),
            name=h["text"],
            team_id=int(h["team_id"]) if h["team_id"] is not None else None,
            spec=_spec(h, layers, statics, overrides, inactive),
        )
        for h in headers
    }


def _spec(
    header: dict[str, Any],
    layers: dict[int, list[Layer]],
    statics: dict[int, list[StaticShift]],
    overrides: dict[int, list[Override]],
    inactive: set[int],
) -> ScheduleSpec:
    sid = int(header["schedule_id"])
    own_layers, own_statics, own_overrides = tuple(layers.get(sid, ())), tuple(statics.get(sid, ())), tuple(overrides.get(sid, ()))
    # Only the deactivated users this schedule names: an unrelated deactivation leaves the spec
    # equal to what it was, so its compiled form kept between requests still serves.
    absent: frozenset[int] = frozenset()
    if inactive:
        named = {u for layer in own_layers for u in layer.user_ids} | {e.user_id for e in (*own_statics, *own_overrides)}
        absent = frozenset(inactive & named)
    return ScheduleSpec(
        timezone=header["timezone"], kind=header["kind"], layers=own_layers, static_shifts=own_statics,
        overrides=own_overrides, absent=absent,
    )


async def load_schedule_specs(
    schedule_ids: list[int], window: tuple[datetime, datetime] | None = None
) -> dict[int, ScheduleSpec]:
    """Schedule id → what the math needs, in one query (see :func:`load_schedules`)."""
    return {sid: loaded.spec for sid, loaded in (await load_schedules(schedule_ids, window)).items()}


async def on_call_users(schedule_ids: list[int], at: datetime) -> dict[int, int | None]:
    """Schedule id → the user on call at ``at`` (None for a gap)."""
    specs = await load_schedule_specs(schedule_ids)
    return {sid: on_call(spec, at) for sid, spec in specs.items()}
