"""On-call schedule engine: pure functions on plain, immutable data.

No ORM, no I/O, no wall-clock reads: every function gets the instants it needs
as arguments, so the same code serves the API ("who is on call now"), the
escalation worker, calendar exports and the UI preview, and it can be tested
exhaustively.

Semantics
=========

Schedules
    A :class:`ScheduleSpec` has an IANA time zone and is either ``RECURRING``
    (built from :class:`Layer` rotations; ``static_shifts`` are ignored) or
    ``STATIC`` (explicit :class:`StaticShift` entries; ``layers`` are ignored).
    Overrides apply to both kinds.  At any instant exactly one user or nobody
    (a *gap*) is on call.

Absent users
    ``ScheduleSpec.absent`` names users whose shifts do not count (deactivated
    accounts): their overrides and static shifts are ignored as if absent from
    the spec, and a layer does not cover the turns of its rotation that are
    theirs (the rotation keeps its order and length).

Precedence (highest first)
    1. overrides -- a later override in the tuple beats an earlier one where
       they overlap;
    2. RECURRING: layers -- a later layer beats an earlier one wherever the
       later layer *covers* time; STATIC: static shifts -- a later shift in the
       tuple beats an earlier one where they overlap;
    3. nobody.

Layer coverage
    A layer covers ``[starts_on, ends_on)`` (open-ended without ``ends_on``;
    nothing if ``ends_on <= starts_on`` or ``user_ids`` is empty), intersected
    with its weekly restriction windows if it has any.  Where it does not
    cover, earlier layers show through.  Restrictions do not pause the
    rotation: the user at an instant is the rotation's user for that instant,
    whether or not the layer covers it.

Rotation and daylight saving
    ``n0`` is the wall-clock reading of ``starts_on`` in the schedule's zone
    (derived from the *instant*, so a layer means the same thing whether its
    start is stored in UTC or in local time).  Handoff ``k >= 1`` happens at
    wall time ``n0 + k * rotation`` computed on the naive local clock, then
    localised; handoff 0 is ``starts_on``.  Hence handoffs keep their
    wall-clock time across DST changes, also for hour-based rotations: a
    PT12H rotation starting at 09:00 hands off at 09:00 and 21:00 local every
    day, and the shift spanning a DST change lasts 11 or 13 hours.  User
    ``user_ids[k % len(user_ids)]`` holds the shift after handoff ``k``;
    repeated ids are allowed.  A ``starts_on`` written as a nonexistent local
    time (02:30 on a gap day) is the instant Python gives it (fold=0: 01:30Z
    in Berlin), which reads 03:30 -- so that layer hands off at 03:30.

Localising wall times (handoffs and restriction-window edges alike)
    The ``zoneinfo`` fold=0 rule (PEP 495):

    * a wall time that does not exist (spring-forward gap) uses the offset in
      force *before* the gap: 02:30 Europe/Berlin on 2026-03-29 becomes
      01:30Z, which reads 03:30 CEST;
    * an ambiguous wall time (fall-back) maps to its *first* occurrence:
      02:30 Europe/Berlin on 2026-10-25 becomes 00:30Z (02:30 CEST).

    With a rotation shorter than a DST gap this rule can place a handoff that
    falls inside the gap after the next one; the engine then lets the later
    handoff win (the skipped shift has zero length) -- see
    :mod:`pagerline.engine.schedules.math_layer`.

Restriction windows
    ``WeeklyWindow(start_day, start_time, end_day, end_time)`` in the
    schedule's zone; days are 0=Monday..6=Sunday.  A window may cross midnight
    and the end of the week (Fri 18:00 -> Mon 09:00); ``start == end`` means
    the whole week.  Each weekly occurrence covers the instants
    ``[localize(start), localize(end))``, so a Sat 22:00 -> Sun 09:00 window
    lasts 12 hours on the fall-back night.  Overlapping windows simply union.

Results
    :func:`final_shifts` returns sorted, non-overlapping :class:`Shift`
    objects clipped to ``[start, until)``, in UTC.  Touching pieces with the
    same ``(user_id, source, source_id, layer_index)`` are merged, so the
    result does not depend on where a range is split (``layer_index`` is part
    of the key so two layers that both lack a database id stay apart).
    Naive datetimes anywhere raise ``ValueError``; an override or static shift
    with ``end < start`` raises ``ValueError``, one with ``end == start``
    covers nothing.  Query instants must lie in the years 2..9998 (the engine
    looks a little beyond them and ``datetime`` ends at 9999); schedule data
    beyond that range is clamped, so "until 9999-12-31" means forever (a
    layer ``starts_on`` before year 2 raises: clamping it would move its
    handoffs).

Performance
    The rotation index at an instant is computed arithmetically (O(1) per
    layer, however old ``starts_on`` is).  :func:`compile_schedule` turns a
    spec into a :class:`CompiledSchedule` (integer instants, bisect indexes
    for overrides and static shifts, a per-week memo of restriction-window
    instants); the module-level functions memoise the compiled form per spec
    *object* (specs are frozen, so this is safe; a spec rebuilt from the
    database on every call pays the compile step every time).
    :func:`final_shifts` paints layers top-down and skips layers that the
    layers above already hide completely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import TypeVar

from pagerline.engine.schedules.math_layer import LayerMath
from pagerline.engine.schedules.math_overlay import IntervalIndex, merge_touching, overlay, paint
from pagerline.engine.schedules.math_time import US_PER_DAY, US_PER_SECOND, US_PER_WEEK, Zone, from_instant, to_instant

__all__ = [
    "WeeklyWindow",
    "Layer",
    "Override",
    "StaticShift",
    "ScheduleSpec",
    "Shift",
    "Rotation",
    "CompiledSchedule",
    "parse_rotation",
    "compile_schedule",
    "final_shifts",
    "on_call",
    "layer_shifts",
    "handoffs",
    "gaps",
]

RECURRING = "RECURRING"
STATIC = "STATIC"

# --------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """A restriction window, in the schedule's time zone.

    Windows are weekly because that is how people describe working hours
    ("weekdays 09-17", "weekend Fri 18:00 to Mon 09:00").
    """

    start_day: int  # 0=Monday .. 6=Sunday
    start_time: time
    end_day: int
    end_time: time


@dataclass(frozen=True, slots=True)
class Layer:
    """One rotation layer; later layers in a schedule take precedence."""

    starts_on: datetime  # aware; also the first handoff instant
    user_ids: tuple[int, ...]
    rotation: str  # ISO-8601 duration, e.g. "P7D"
    ends_on: datetime | None = None
    restrictions: tuple[WeeklyWindow, ...] = ()
    id: int | None = None  # database id, carried into Shift.source_id


@dataclass(frozen=True, slots=True)
class Override:
    """A user taking over ``[start, end)``; beats layers and static shifts."""

    user_id: int
    start: datetime
    end: datetime
    id: int | None = None


@dataclass(frozen=True, slots=True)
class StaticShift:
    """An explicit shift of a STATIC schedule."""

    user_id: int
    start: datetime
    end: datetime
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """Everything the engine needs to know about one schedule."""

    timezone: str
    kind: str = RECURRING  # or STATIC
    layers: tuple[Layer, ...] = ()
    static_shifts: tuple[StaticShift, ...] = ()
    overrides: tuple[Override, ...] = ()
    # Users whose shifts do not count (deactivated accounts): their overrides and static shifts
    # are left out, and their turns in a layer's rotation leave the layer uncovered, so lower
    # layers show through or the time is a gap. The rotation itself is unchanged.
    absent: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Shift:
    """A resolved piece of the schedule: who, when, and which input caused it
    (so the UI can link back to the layer/override/static shift)."""

    user_id: int
    start: datetime
    end: datetime
    source: str  # "layer" | "override" | "static"
    source_id: int | None  # Layer.id / Override.id / StaticShift.id
    layer_index: int | None  # index into ScheduleSpec.layers for "layer"


@dataclass(frozen=True, slots=True)
class Rotation:
    """A rotation length on the naive wall clock.

    Only fixed-length units are supported: calendar months and years vary in
    length, and nobody has asked for "monthly" on-call rotations badly enough
    to justify the day-of-month clamping rules they would need.
    """

    days: int = 0
    seconds: int = 0

    @property
    def microseconds(self) -> int:
        return self.days * US_PER_DAY + self.seconds * US_PER_SECOND


# ----------------------------------------------------------------- rotation

_ROTATION_RE = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?",
    re.ASCII,
)
_CALENDAR_RE = re.compile(r"^P.*\d+[YM]", re.ASCII)  # date part only


def parse_rotation(text: str) -> Rotation:
    """Parse an ISO-8601 duration such as ``PT12H``, ``P1DT12H`` or ``P2W``.

    Supported designators: W, D before ``T``; H, M, S after it; integers only.
    Raises ValueError (with the offending text) for anything else, for years
    or months, and for a zero length (which would hand off forever at one
    instant).
    """
    if not isinstance(text, str):
        raise ValueError(f"rotation must be an ISO-8601 duration string, got {text!r}")
    cleaned = text.strip().upper()
    match = _ROTATION_RE.fullmatch(cleaned)
    if match is None or not any(match.groupdict().values()):
        if _CALENDAR_RE.search(cleaned.split("T", 1)[0]):
            raise ValueError(
                f"rotation {text!r}: years and months are not supported "
                "(their length varies); use weeks or days"
            )
        raise ValueError(
            f"rotation {text!r} is not an ISO-8601 duration like 'PT12H', 'P1D', "
            "'P1DT12H' or 'P2W' (integer W/D/H/M/S components)"
        )
    parts = {name: int(value or 0) for name, value in match.groupdict().items()}
    rotation = Rotation(
        days=parts["weeks"] * 7 + parts["days"],
        seconds=parts["hours"] * 3600 + parts["minutes"] * 60 + parts["seconds"],
    )
    if rotation.microseconds <= 0:
        raise ValueError(f"rotation {text!r} has zero length")
    return rotation


# ------------------------------------------------------------------ compile

# Result key of a resolved piece: (user_id, source, source_id, layer_index).
_Key = tuple[int, str, int | None, int | None]
_Entry = TypeVar("_Entry", Override, StaticShift)


def _window_offset(day: int, at: time, what: str) -> int:
    """Wall µs from Monday 00:00 to (day, at)."""
    if not isinstance(day, int) or not 0 <= day <= 6:
        raise ValueError(f"{what} day must be 0 (Monday) .. 6 (Sunday), got {day!r}")
    if not isinstance(at, time):
        raise ValueError(f"{what} time must be a datetime.time, got {at!r}")
    if at.tzinfo is not None:
        raise ValueError(f"{what} time must be naive (it is in the schedule's zone)")
    seconds = at.hour * 3600 + at.minute * 60 + at.second
    return day * US_PER_DAY + seconds * US_PER_SECOND + at.microsecond


def _compile_windows(
    restrictions: tuple[WeeklyWindow, ...],
) -> tuple[tuple[int, int], ...] | None:
    """WeeklyWindows -> (offset, length) pairs; None means "always covered"
    (no restrictions, or a whole-week window that makes the others moot)."""
    if not restrictions:
        return None
    out: list[tuple[int, int]] = []
    for window in restrictions:
        start = _window_offset(window.start_day, window.start_time, "restriction start")
        end = _window_offset(window.end_day, window.end_time, "restriction end")
        length = (end - start) % US_PER_WEEK
        if length == 0:
            return None
        out.append((start, length))
    return tuple(out)


# Compiled layers by (time zone, layer) value. Schedules are rebuilt from the database for
# every request, but their layers rarely change: compiling one (rotation parsing, window
# offsets) and its per-week memo of window instants then carry over between requests, so
# "who is on call now" over 300 schedules does not redo that work each time. Emptied when
# full; a LayerMath is immutable apart from that memo, so sharing it is safe.
_LAYER_CACHE_SIZE = 8192
_layer_cache: dict[tuple[str, Layer], LayerMath] = {}


def _compiled_layer(zone: Zone, layer: Layer, index: int) -> LayerMath:
    key = (zone.name, layer)
    try:
        compiled = _layer_cache.get(key)
    except TypeError:  # built with lists instead of tuples: unhashable, compiled every time
        return _compile_layer(zone, layer, index)
    if compiled is None:
        compiled = _compile_layer(zone, layer, index)
        if len(_layer_cache) >= _LAYER_CACHE_SIZE:
            _layer_cache.clear()
        _layer_cache[key] = compiled
    return compiled


def _compile_layer(zone: Zone, layer: Layer, index: int) -> LayerMath:
    # A start after year 9998 only makes the layer invisible to every
    # possible query, so it is clamped; a start before year 2 would shift the
    # handoff times if clamped, so it raises.
    start = to_instant(layer.starts_on, f"layers[{index}].starts_on", clamp_high=True)
    end = None
    if layer.ends_on is not None:
        end = to_instant(layer.ends_on, f"layers[{index}].ends_on", clamp_low=True, clamp_high=True)
    try:
        period = parse_rotation(layer.rotation).microseconds
    except ValueError as exc:
        raise ValueError(f"layers[{index}]: {exc}") from None
    return LayerMath(
        zone=zone,
        start=start,
        end=end,
        users=tuple(layer.user_ids),
        period=period,
        windows=_compile_windows(tuple(layer.restrictions)),
    )


def _present(entries: tuple[_Entry, ...], absent: frozenset[int]) -> tuple[_Entry, ...]:
    """``entries`` without those of absent users (as if they had never been made)."""
    return tuple(e for e in entries if e.user_id not in absent) if absent else tuple(entries)


def _explicit_index(
    entries: tuple[Override, ...] | tuple[StaticShift, ...], source: str
) -> IntervalIndex[_Key]:
    """Resolve overlapping overrides/static shifts (later wins) once, so each
    lookup is a bisect and each range query a slice."""
    items: list[tuple[int, int, int, _Key]] = []
    for position, entry in enumerate(entries):
        what = f"{source}s[{position}]"
        # Clamping cannot change anything a query (itself inside the range)
        # can see, and keeps "until 9999-12-31" entries legal.
        s = to_instant(entry.start, f"{what}.start", clamp_low=True, clamp_high=True)
        e = to_instant(entry.end, f"{what}.end", clamp_low=True, clamp_high=True)
        if e < s:
            raise ValueError(f"{what} ends before it starts ({entry.start} > {entry.end})")
        items.append((s, e, position, (entry.user_id, source, entry.id, None)))
    return IntervalIndex(overlay(items))


class CompiledSchedule:
    """A ScheduleSpec converted to integer instants and lookup indexes.

    Building it is dominated by resolving the overrides (about 1.5 ms for
    200 on the reference machine); reuse it for many lookups -- the
    module-level functions do so automatically per spec object.
    """

    __slots__ = ("spec", "zone", "static", "layers", "overrides", "statics", "absent")

    def __init__(self, spec: ScheduleSpec) -> None:
        if spec.kind not in (RECURRING, STATIC):
            raise ValueError(f"schedule kind must be {RECURRING!r} or {STATIC!r}, got {spec.kind!r}")
        self.spec = spec
        self.zone = Zone(spec.timezone)
        self.static = spec.kind == STATIC
        self.layers: tuple[LayerMath, ...] = (
            ()
            if self.static
            else tuple(_compiled_layer(self.zone, layer, i) for i, layer in enumerate(spec.layers))
        )
        self.absent = spec.absent
        self.overrides = _explicit_index(_present(spec.overrides, spec.absent), "override")
        self.statics = _explicit_index(_present(spec.static_shifts, spec.absent), "static") if self.static else None

    # ------------------------------------------------------------- lookups

    def on_call(self, at: datetime) -> int | None:
        """User on call at ``at``, or None for a gap."""
        t = to_instant(at, "at")
        key = self.overrides.lookup(t)
        if key is not None:
            return key[0]
        if self.statics is not None:
            key = self.statics.lookup(t)
            return None if key is None else key[0]
        if not self.layers:
            return None
        wall_t = self.zone.wall(t)
        for layer in reversed(self.layers):
            user = layer.user_at(t, wall_t)
            if user is not None and user not in self.absent:
                return user
        return None

    def _resolved(self, lo: int, hi: int) -> list[tuple[int, int, _Key]]:
        """Final pieces in [lo, hi) as ints: the core of final_shifts.

        Every input list is already sorted and disjoint (a layer's own pieces;
        overrides and static shifts were resolved among themselves at compile
        time), so precedence is a chain of linear paints.  Layers are painted
        top-down -- each lower layer goes *under* what is there -- so once
        the layers above cover the whole range, the rest are never computed.
        """
        if lo >= hi:
            return []
        result: list[tuple[int, int, _Key]] = []
        if self.statics is not None:
            result = self.statics.clipped(lo, hi)
        else:
            for i in range(len(self.layers) - 1, -1, -1):
                if _covers(result, lo, hi):
                    break
                layer = self.layers[i]
                layer_id = self.spec.layers[i].id
                keys = {user: (user, "layer", layer_id, i) for user in layer.users}
                pieces = [(s, e, keys[user]) for s, e, user in layer.pieces(lo, hi) if user not in self.absent]
                result = paint(pieces, result)
        result = paint(result, self.overrides.clipped(lo, hi))
        return merge_touching(result)

    def final_shifts(self, start: datetime, until: datetime) -> list[Shift]:
        """Resolved shifts in [start, until); see the module docstring."""
        lo, hi = to_instant(start, "start"), to_instant(until, "until")
        return _shifts(self._resolved(lo, hi))

    def layer_shifts(self, layer_index: int, start: datetime, until: datetime) -> list[Shift]:
        """What one layer alone would schedule in [start, until) -- for UIs
        that draw each layer as its own row.  Gaps are where the layer does
        not cover; overrides and other layers are ignored."""
        lo, hi = to_instant(start, "start"), to_instant(until, "until")
        if self.static:
            raise ValueError("layer_shifts needs a RECURRING schedule")
        if not 0 <= layer_index < len(self.layers):
            raise ValueError(f"layer_index {layer_index} out of range 0..{len(self.layers) - 1}")
        if lo >= hi:
            return []
        layer_id = self.spec.layers[layer_index].id
        pieces = merge_touching(
            (s, e, (user, "layer", layer_id, layer_index))
            for s, e, user in self.layers[layer_index].pieces(lo, hi)
            if user not in self.absent
        )
        return _shifts(pieces)

    def gaps(self, start: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
        """The stretches of [start, until) with nobody on call, in order: what lies between
        the final shifts (which touch whenever one person hands to the next)."""
        lo, hi = to_instant(start, "start"), to_instant(until, "until")
        out: list[tuple[int, int]] = []
        cursor = lo
        for s, e, _ in self._resolved(lo, hi):
            if s > cursor:
                out.append((cursor, s))
            cursor = max(cursor, e)
        if cursor < hi:
            out.append((cursor, hi))
        return [(from_instant(s), from_instant(e)) for s, e in out]

    def handoffs(self, start: datetime, until: datetime) -> list[datetime]:
        """Instants strictly inside (start, until) where the on-call user
        changes, including changes to and from nobody.  A change of source
        with the same user (layer -> override of the same person) is not a
        handoff: nobody needs to be told."""
        lo, hi = to_instant(start, "start"), to_instant(until, "until")
        out: list[datetime] = []
        cursor, current = lo, None  # who was on call just before `cursor`
        for s, e, key in self._resolved(lo, hi):
            if s > cursor and current is not None:
                out.append(from_instant(cursor))  # user -> nobody
                current = None
            if key[0] != current and s > lo:
                out.append(from_instant(s))
            current, cursor = key[0], e
        if cursor < hi and current is not None and cursor > lo:
            out.append(from_instant(cursor))
        return out


def _covers(pieces: list[tuple[int, int, _Key]], lo: int, hi: int) -> bool:
    """Do sorted, disjoint ``pieces`` cover [lo, hi) without a hole?"""
    if not pieces or pieces[0][0] > lo or pieces[-1][1] < hi:
        return False
    return all(prev[1] == nxt[0] for prev, nxt in zip(pieces, pieces[1:]))


def _shifts(pieces: list[tuple[int, int, _Key]]) -> list[Shift]:
    """Int pieces -> Shift objects.  Consecutive shifts usually touch, so the
    previous end datetime is reused as the next start (datetime construction
    dominates this step)."""
    out: list[Shift] = []
    prev_end, prev_end_dt = None, None
    for s, e, (user, source, source_id, layer_index) in pieces:
        start_dt = prev_end_dt if s == prev_end else from_instant(s)
        end_dt = from_instant(e)
        out.append(Shift(user, start_dt, end_dt, source, source_id, layer_index))
        prev_end, prev_end_dt = e, end_dt
    return out


# -------------------------------------------------------------- memoising

# Keyed by id(spec) but storing the spec itself: holding the reference keeps
# the id from being reused, and the identity check rejects a different spec
# that happens to share an id after eviction.  Hashing a spec instead would
# cost more than a lookup (200 overrides -> 400 datetime hashes per call).
_CACHE_SIZE = 128
_cache: dict[int, tuple[ScheduleSpec, CompiledSchedule]] = {}


def compile_schedule(spec: ScheduleSpec) -> CompiledSchedule:
    """Compiled form of ``spec``, memoised per spec object (bounded, FIFO)."""
    entry = _cache.get(id(spec))
    if entry is not None and entry[0] is spec:
        return entry[1]
    compiled = CompiledSchedule(spec)
    if len(_cache) >= _CACHE_SIZE:
        # dicts keep insertion order: drop the oldest entry.  A race between
        # threads can at worst compile twice or drop an extra entry.
        try:
            del _cache[next(iter(_cache))]
        except (StopIteration, KeyError, RuntimeError):
            pass
    _cache[id(spec)] = (spec, compiled)
    return compiled


# ------------------------------------------------------------- public API


def final_shifts(schedule: ScheduleSpec, start: datetime, until: datetime) -> list[Shift]:
    """Who is on call in [start, until): sorted, disjoint, merged, UTC."""
    return compile_schedule(schedule).final_shifts(start, until)


def on_call(schedule: ScheduleSpec, at: datetime) -> int | None:
    """User on call at ``at`` (any aware tz), or None if nobody is."""
    return compile_schedule(schedule).on_call(at)


def layer_shifts(
    schedule: ScheduleSpec, layer_index: int, start: datetime, until: datetime
) -> list[Shift]:
    """One layer on its own in [start, until), ignoring everything else."""
    return compile_schedule(schedule).layer_shifts(layer_index, start, until)


def handoffs(schedule: ScheduleSpec, start: datetime, until: datetime) -> list[datetime]:
    """Instants in (start, until) where the on-call user changes (UTC)."""
    return compile_schedule(schedule).handoffs(start, until)


def gaps(schedule: ScheduleSpec, start: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """Stretches of [start, until) with nobody on call (UTC)."""
    return compile_schedule(schedule).gaps(start, until)
