"""Schedule engine: property tests against an independent reference model,
plus example-based tests for each rule in the module docstring."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pagerline.engine.schedules.math import (
    CompiledSchedule,
    Layer,
    Override,
    Rotation,
    ScheduleSpec,
    Shift,
    StaticShift,
    WeeklyWindow,
    compile_schedule,
    final_shifts,
    handoffs,
    layer_shifts,
    on_call,
    parse_rotation,
)

UTC = timezone.utc
US = timedelta(microseconds=1)
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]

# The test's own idea of each rotation length, so the reference model does
# not depend on parse_rotation.
ROTATIONS: dict[str, timedelta] = {
    "PT8H": timedelta(hours=8),
    "PT12H": timedelta(hours=12),
    "P1D": timedelta(days=1),
    "P7D": timedelta(days=7),
    "P14D": timedelta(days=14),
    "P2W": timedelta(days=14),
    "P3D": timedelta(days=3),
    "P1DT12H": timedelta(days=1, hours=12),
    "PT7H13M": timedelta(hours=7, minutes=13),
    "PT25H": timedelta(hours=25),
    "PT1H": timedelta(hours=1),
    "PT30M": timedelta(minutes=30),  # shorter than a DST gap: the hard case
}

# Dates near DST changes in the zones above (any zone may get any anchor, so
# plain days are covered too).
ANCHORS = [
    datetime(2026, 3, 8),  # New York spring
    datetime(2026, 3, 29),  # Berlin spring
    datetime(2026, 4, 5),  # Lord Howe back (+11 -> +10:30)
    datetime(2026, 10, 4),  # Lord Howe forward
    datetime(2026, 10, 25),  # Berlin fall
    datetime(2026, 11, 1),  # New York fall
    datetime(2026, 6, 15),
    datetime(2027, 1, 3),  # a week boundary around new year
]

PROPERTY_SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# ----------------------------------------------------------------- strategies


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def local_instant(draw: st.DrawFn, tz: ZoneInfo, base: datetime, spread: timedelta) -> datetime:
    """An aware datetime in ``tz`` around ``base`` (naive UTC), minute grid,
    built from a local wall time with a random fold -- so gap times and
    second occurrences of ambiguous times are generated too."""
    minutes = draw(st.integers(-int(spread / timedelta(minutes=1)), int(spread / timedelta(minutes=1))))
    wall = (base + timedelta(minutes=minutes)).replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
    wall = wall.replace(minute=draw(st.sampled_from([0, 15, 30, wall.minute])))
    return wall.replace(tzinfo=tz, fold=draw(st.integers(0, 1)))


@st.composite
def windows(draw: st.DrawFn) -> WeeklyWindow:
    def moment() -> tuple[int, time]:
        return draw(st.integers(0, 6)), time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30, 45])))

    start_day, start_time = moment()
    if draw(st.integers(0, 9)) == 0:  # start == end: whole week
        return WeeklyWindow(start_day, start_time, start_day, start_time)
    end_day, end_time = moment()
    return WeeklyWindow(start_day, start_time, end_day, end_time)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[ScheduleSpec, datetime, datetime]:
    """A schedule plus a query range [start, until)."""
    tz_name = draw(st.sampled_from(ZONES))
    tz = ZoneInfo(tz_name)
    anchor = draw(st.sampled_from(ANCHORS)) + timedelta(hours=draw(st.integers(-72, 72)))
    length = timedelta(minutes=draw(st.integers(60, 21 * 24 * 60)))
    q_start = anchor.replace(tzinfo=UTC).astimezone(draw(st.sampled_from([UTC, tz])))
    # Durations are added in UTC: aware arithmetic within one ZoneInfo is
    # wall-clock arithmetic and can even go backwards across a fold.
    q_until = (utc(q_start) + length).astimezone(q_start.tzinfo)

    layers = []
    for index in range(draw(st.integers(1, 4))):
        starts_on = local_instant(draw, tz, anchor, timedelta(days=draw(st.sampled_from([3, 40, 800]))))
        ends_on = None
        if draw(st.booleans()):
            ends_on = (utc(starts_on) + timedelta(minutes=draw(st.integers(60, 40 * 24 * 60)))).astimezone(tz)
        rotation = draw(st.sampled_from(sorted(ROTATIONS)))
        users = tuple(draw(st.lists(st.integers(1, 6), min_size=0, max_size=4)))
        if not users and draw(st.booleans()):
            users = (1,)  # keep empty user lists possible but not common
        restrictions = tuple(draw(st.lists(windows(), max_size=3))) if draw(st.booleans()) else ()
        layer_id = draw(st.sampled_from([None, 100 + index]))
        layers.append(Layer(starts_on, users, rotation, ends_on, restrictions, id=layer_id))

    def explicit(cls: type, users: range, max_size: int) -> tuple:
        out = []
        for position in range(draw(st.integers(0, max_size))):
            start = local_instant(draw, tz, anchor + length / 2, length / 2 + timedelta(days=2))
            end = (utc(start) + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))).astimezone(tz)
            out.append(cls(draw(st.sampled_from(users)), start, end, id=draw(st.sampled_from([None, position]))))
        return tuple(out)

    kind = draw(st.sampled_from(["RECURRING", "RECURRING", "RECURRING", "STATIC"]))
    spec = ScheduleSpec(
        tz_name,
        kind=kind,
        layers=tuple(layers),
        static_shifts=explicit(StaticShift, range(70, 74), 6) if kind == "STATIC" else (),
        overrides=explicit(Override, range(50, 54), 4),
    )
    return spec, q_start, q_until


# ------------------------------------------------------------ reference model
# Deliberately naive: aware-datetime arithmetic straight on zoneinfo, scanning
# handoffs one by one instead of computing the index.  Slow, but it shares no
# code (and no integer tricks) with the engine.


def ref_localize(tz: ZoneInfo, wall: datetime) -> datetime:
    """fold=0, the documented rule."""
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


def ref_in_windows(tz: ZoneInfo, restrictions: tuple[WeeklyWindow, ...], t: datetime) -> bool:
    wall = t.astimezone(tz).replace(tzinfo=None)
    monday = datetime(wall.year, wall.month, wall.day) - timedelta(days=wall.weekday())

    def offset(day: int, at: time) -> timedelta:
        return timedelta(days=day, hours=at.hour, minutes=at.minute)

    for window in restrictions:
        start_offset = offset(window.start_day, window.start_time)
        length = (offset(window.end_day, window.end_time) - start_offset) % timedelta(days=7)
        if not length:
            return True
        for weeks in (-2, -1, 0, 1):
            start = monday + timedelta(weeks=weeks) + offset(window.start_day, window.start_time)
            if ref_localize(tz, start) <= t < ref_localize(tz, start + length):
                return True
    return False


def ref_layer_user(tz: ZoneInfo, layer: Layer, t: datetime) -> int | None:
    if not layer.user_ids or t < utc(layer.starts_on):
        return None
    if layer.ends_on is not None and t >= utc(layer.ends_on):
        return None
    if layer.restrictions and not ref_in_windows(tz, layer.restrictions, t):
        return None
    rotation = ROTATIONS[layer.rotation]
    n0 = utc(layer.starts_on).astimezone(tz).replace(tzinfo=None)
    t_naive = t.replace(tzinfo=None)
    # |utc offset| < 24h: handoffs whose wall time is 2+ days before t are
    # surely <= t, those 1+ day after it surely > t.  Scan the rest.
    first = (t_naive - timedelta(days=2) - n0) // rotation
    best = max(first, 0)
    j = max(first + 1, 1)
    while n0 + j * rotation < t_naive + timedelta(days=1):
        if ref_localize(tz, n0 + j * rotation) <= t:
            best = j
        j += 1
    return layer.user_ids[best % len(layer.user_ids)]


def ref_on_call(spec: ScheduleSpec, t: datetime) -> int | None:
    """Absent users' entries and turns are skipped as if they were not there."""
    t = utc(t)
    for override in reversed(spec.overrides):
        if utc(override.start) <= t < utc(override.end) and override.user_id not in spec.absent:
            return override.user_id
    if spec.kind == "STATIC":
        for shift in reversed(spec.static_shifts):
            if utc(shift.start) <= t < utc(shift.end) and shift.user_id not in spec.absent:
                return shift.user_id
        return None
    tz = ZoneInfo(spec.timezone)
    for layer in reversed(spec.layers):
        user = ref_layer_user(tz, layer, t)
        if user is not None and user not in spec.absent:
            return user
    return None


# -------------------------------------------------------------------- helpers


def merge(shifts: list[Shift]) -> list[Shift]:
    """Join touching shifts with the same (user, source, source_id, layer)."""
    out: list[Shift] = []
    for shift in shifts:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.end == shift.start
            and (prev.user_id, prev.source, prev.source_id, prev.layer_index)
            == (shift.user_id, shift.source, shift.source_id, shift.layer_index)
        ):
            out[-1] = Shift(prev.user_id, prev.start, shift.end, prev.source, prev.source_id, prev.layer_index)
        else:
            out.append(shift)
    return out


def sample_instants(shifts: list[Shift], start: datetime, until: datetime, n: int, seed: int) -> list[datetime]:
    """Shift boundaries (both sides) plus evenly spread instants.

    Arithmetic and comparisons happen in UTC: between two datetimes with the
    same ZoneInfo, Python subtracts and compares *wall* times and ignores
    fold, which is exactly the trap the engine exists to avoid."""
    start, until = utc(start), utc(until)
    span = until - start
    out = [start, until - US]
    out += [start + span * ((i * 7919 + seed) % n) / n for i in range(n)]
    for shift in shifts[:40]:
        out += [shift.start, shift.start - US, shift.end - US]
    return [t for t in out if start <= t < until]


def final_shifts_sampled(
    scenario: tuple[ScheduleSpec, datetime, datetime], n: int, seed: int
) -> tuple[ScheduleSpec, list[Shift], list[datetime]]:
    """A scenario's spec, its final shifts over the scenario's range, and ``n`` (plus the
    boundary) instants sampled over them."""
    spec, start, until = scenario
    shifts = final_shifts(spec, start, until)
    return spec, shifts, sample_instants(shifts, start, until, n, seed)


# ------------------------------------------------------------------ properties


@PROPERTY_SETTINGS
@given(scenarios())
def test_final_shifts_are_sorted_disjoint_clipped_and_merged(scenario) -> None:
    spec, start, until = scenario
    shifts = final_shifts(spec, start, until)
    for shift in shifts:
        assert shift.start.tzinfo is UTC and shift.end.tzinfo is UTC
        assert start <= shift.start < shift.end <= until
        assert shift.source in ("layer", "override", "static")
        assert (shift.layer_index is not None) == (shift.source == "layer")
    for prev, nxt in zip(shifts, shifts[1:]):
        assert prev.end <= nxt.start
    assert merge(shifts) == shifts


@PROPERTY_SETTINGS
@given(scenarios(), st.floats(0, 1), st.integers(0, 999_999))
def test_splitting_the_range_changes_nothing(scenario, fraction: float, micros: int) -> None:
    spec, start, until = scenario
    start_u, until_u = utc(start), utc(until)  # see sample_instants
    split = min(start_u + (until_u - start_u) * fraction + timedelta(microseconds=micros), until_u)
    whole = final_shifts(spec, start, until)
    assert merge(final_shifts(spec, start, split) + final_shifts(spec, split, until)) == whole


@PROPERTY_SETTINGS
@given(scenarios())
def test_overrides_always_win(scenario) -> None:
    spec, start, until = scenario
    assume(spec.overrides)
    shifts = final_shifts(spec, start, until)
    for position, override in enumerate(spec.overrides):
        o_start, o_end = utc(override.start), utc(override.end)
        for t in (o_start, o_start + (o_end - o_start) / 3, o_end - US):
            if not (o_start <= t < o_end):
                continue
            winner = [o for o in spec.overrides[position:] if utc(o.start) <= t < utc(o.end)][-1]
            assert on_call(spec, t) == winner.user_id
            if start <= t < until:
                covering = [s for s in shifts if s.start <= t < s.end]
                assert len(covering) == 1
                assert covering[0].source == "override"
                assert covering[0].user_id == winner.user_id


@PROPERTY_SETTINGS
@given(scenarios())
def test_unrestricted_layer_with_users_leaves_no_gap(scenario) -> None:
    spec, start, until = scenario
    assume(spec.kind == "RECURRING")
    shifts = final_shifts(spec, start, until)
    for layer in spec.layers:
        whole_week = any(
            (w.start_day, w.start_time) == (w.end_day, w.end_time) for w in layer.restrictions
        )
        if not layer.user_ids or (layer.restrictions and not whole_week):
            continue
        lo = max(start, utc(layer.starts_on))
        hi = until if layer.ends_on is None else min(until, utc(layer.ends_on))
        if lo >= hi:
            continue
        cursor = lo
        for shift in shifts:
            if shift.end <= cursor or shift.start >= hi:
                continue
            assert shift.start <= cursor, f"gap {cursor} .. {shift.start}"
            cursor = shift.end
        assert cursor >= hi, f"gap {cursor} .. {hi}"


@PROPERTY_SETTINGS
@given(scenarios(), st.integers(0, 10_000))
def test_on_call_agrees_with_final_shifts(scenario, seed: int) -> None:
    spec, shifts, instants = final_shifts_sampled(scenario, 12, seed)
    for t in instants:
        covering = [s for s in shifts if s.start <= t < s.end]
        assert len(covering) <= 1
        expected = covering[0].user_id if covering else None
        assert on_call(spec, t) == expected, t


@PROPERTY_SETTINGS
@given(scenarios(), st.integers(0, 10_000))
def test_engine_matches_reference_model(scenario, seed: int) -> None:
    spec, _, instants = final_shifts_sampled(scenario, 10, seed)
    for t in instants:
        assert on_call(spec, t) == ref_on_call(spec, t), t


@PROPERTY_SETTINGS
@given(scenarios(), st.frozensets(st.integers(1, 6), min_size=1, max_size=2), st.integers(0, 10_000))
def test_absent_users_match_the_reference_model(scenario, absent: frozenset[int], seed: int) -> None:
    """Deactivated users (``absent``): their overrides and static shifts vanish and their layer
    turns let lower layers show through; nothing of theirs is left, and the point and range
    answers still agree."""
    spec, start, until = scenario
    without = replace(spec, absent=absent)
    shifts = final_shifts(without, start, until)
    assert not {s.user_id for s in shifts} & absent
    for t in sample_instants(shifts + final_shifts(spec, start, until), start, until, 10, seed):
        assert on_call(without, t) == ref_on_call(without, t), t
        covering = [s.user_id for s in shifts if s.start <= t < s.end]
        assert on_call(without, t) == (covering[0] if covering else None), t


def test_an_absent_user_leaves_their_turns_to_the_layer_below() -> None:
    base = Layer(z(2026, 1, 1), (9,), "P1D", id=1)
    top = Layer(z(2026, 1, 1), (1, 2), "P1D", id=2)
    override = Override(1, z(2026, 1, 2, 6), z(2026, 1, 2, 8), id=3)
    spec = ScheduleSpec("UTC", layers=(base, top), overrides=(override,), absent=frozenset({1}))
    shifts = final_shifts(spec, z(2026, 1, 1), z(2026, 1, 5))
    assert [(s.user_id, s.start, s.end) for s in shifts] == [  # the rotation keeps its order
        (9, z(2026, 1, 1), z(2026, 1, 2)), (2, z(2026, 1, 2), z(2026, 1, 3)),
        (9, z(2026, 1, 3), z(2026, 1, 4)), (2, z(2026, 1, 4), z(2026, 1, 5)),
    ]
    assert layer_shifts(spec, 1, z(2026, 1, 1), z(2026, 1, 3))[0].start == z(2026, 1, 2)
    static = ScheduleSpec("UTC", kind="STATIC", static_shifts=(StaticShift(2, z(2026, 1, 1), z(2026, 1, 3)), StaticShift(1, z(2026, 1, 2), z(2026, 1, 4))))
    assert on_call(static, z(2026, 1, 2, 12)) == 1
    assert on_call(replace(static, absent=frozenset({1})), z(2026, 1, 2, 12)) == 2
    assert on_call(replace(static, absent=frozenset({1})), z(2026, 1, 3, 12)) is None


@PROPERTY_SETTINGS
@given(scenarios(), st.integers(0, 10_000))
def test_each_layer_matches_reference_model(scenario, seed: int) -> None:
    """Layer by layer, so a layer hidden under others is still checked: the
    range answer (layer_shifts over the query) and the point answer
    (layer_shifts over one microsecond) must both equal the reference."""
    spec, start, until = scenario
    assume(spec.kind == "RECURRING")
    tz = ZoneInfo(spec.timezone)
    for index, layer in enumerate(spec.layers):
        shifts = layer_shifts(spec, index, start, until)
        assert merge(shifts) == shifts
        for prev, nxt in zip(shifts, shifts[1:]):
            assert prev.end <= nxt.start
        for shift in shifts:
            assert shift.layer_index == index and shift.source_id == layer.id
        for t in sample_instants(shifts, start, until, 6, seed):
            covering = [s for s in shifts if s.start <= t < s.end]
            from_range = covering[0].user_id if covering else None
            point = layer_shifts(spec, index, t, t + US)
            from_point = point[0].user_id if point else None
            assert from_range == from_point == ref_layer_user(tz, layer, t), t


@PROPERTY_SETTINGS
@given(scenarios())
def test_handoffs_are_exactly_the_user_changes(scenario) -> None:
    spec, start, until = scenario
    shifts = final_shifts(spec, start, until)
    # Who is on call on each side of every boundary, from the shifts alone.
    timeline: list[tuple[datetime, int | None]] = []
    cursor = start
    for shift in shifts:
        if shift.start > cursor:
            timeline.append((cursor, None))
        timeline.append((shift.start, shift.user_id))
        cursor = shift.end
    if cursor < until:
        timeline.append((cursor, None))
    expected = [t for (t, user), (_, prev) in zip(timeline[1:], timeline) if user != prev and t > start]
    got = handoffs(spec, start, until)
    assert got == expected
    for instant in got:
        assert on_call(spec, instant - US) != on_call(spec, instant)


# ---------------------------------------------------------- parse_rotation


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT8H", Rotation(seconds=8 * 3600)),
        ("PT12H", Rotation(seconds=12 * 3600)),
        ("PT90M", Rotation(seconds=90 * 60)),
        ("PT45S", Rotation(seconds=45)),
        ("P1D", Rotation(days=1)),
        ("P7D", Rotation(days=7)),
        ("P2W", Rotation(days=14)),
        ("P1DT12H", Rotation(days=1, seconds=12 * 3600)),
        ("P1W2DT3H4M5S", Rotation(days=9, seconds=3 * 3600 + 4 * 60 + 5)),
        (" pt12h ", Rotation(seconds=12 * 3600)),
    ],
)
def test_parse_rotation(text: str, expected: Rotation) -> None:
    assert parse_rotation(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not an ISO-8601 duration"),
        ("P", "not an ISO-8601 duration"),
        ("PT", "not an ISO-8601 duration"),
        ("12H", "not an ISO-8601 duration"),
        ("PT1.5H", "not an ISO-8601 duration"),
        ("P1DT", "not an ISO-8601 duration"),
        ("PT-1H", "not an ISO-8601 duration"),
        ("P1H", "not an ISO-8601 duration"),
        ("1 day", "not an ISO-8601 duration"),
        ("P0D", "zero length"),
        ("PT0H0M", "zero length"),
        ("P1M", "months are not supported"),
        ("P1Y2D", "months are not supported"),
    ],
)
def test_parse_rotation_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_rotation(text)


def test_parse_rotation_rejects_non_strings() -> None:
    with pytest.raises(ValueError):
        parse_rotation(12)  # type: ignore[arg-type]


# ------------------------------------------------------------------ examples


def z(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def users_of(shifts: list[Shift]) -> list[int]:
    return [s.user_id for s in shifts]


def test_rotation_order_with_repeated_users() -> None:
    spec = ScheduleSpec("UTC", layers=(Layer(z(2026, 1, 1, 9), (1, 2, 1, 3), "P1D"),))
    shifts = final_shifts(spec, z(2026, 1, 1, 9), z(2026, 1, 9, 9))
    assert users_of(shifts) == [1, 2, 1, 3, 1, 2, 1, 3]
    assert all(s.end - s.start == timedelta(days=1) for s in shifts)


def test_consecutive_turns_of_the_same_user_merge() -> None:
    spec = ScheduleSpec("UTC", layers=(Layer(z(2026, 1, 1), (1, 1, 2), "P1D", id=7),))
    shifts = final_shifts(spec, z(2026, 1, 1), z(2026, 1, 7))
    assert [(s.user_id, s.start, s.end) for s in shifts] == [
        (1, z(2026, 1, 1), z(2026, 1, 3)),
        (2, z(2026, 1, 3), z(2026, 1, 4)),
        (1, z(2026, 1, 4), z(2026, 1, 6)),
        (2, z(2026, 1, 6), z(2026, 1, 7)),
    ]
    assert {(s.source, s.source_id, s.layer_index) for s in shifts} == {("layer", 7, 0)}


def test_start_years_in_the_past_is_computed_not_iterated() -> None:
    spec = ScheduleSpec("UTC", layers=(Layer(z(2000, 1, 1), tuple(range(1, 8)), "P1D"),))
    # 2026-01-01 is 9497 days after 2000-01-01; 9497 % 7 == 5 -> user 6.
    assert (z(2026, 1, 1) - z(2000, 1, 1)).days == 9497
    assert on_call(spec, z(2026, 1, 1, 12)) == 6
    assert on_call(spec, z(2000, 1, 1)) == 1
    assert on_call(spec, z(1999, 12, 31, 23, 59)) is None


def test_later_layer_wins_and_earlier_shows_through_its_gaps() -> None:
    base = Layer(z(2026, 1, 1), (1,), "P7D", id=1)
    top = Layer(z(2026, 1, 3), (2,), "P7D", ends_on=z(2026, 1, 5), id=2)
    spec = ScheduleSpec("UTC", layers=(base, top))
    shifts = final_shifts(spec, z(2026, 1, 1), z(2026, 1, 8))
    assert [(s.user_id, s.start, s.end, s.layer_index) for s in shifts] == [
        (1, z(2026, 1, 1), z(2026, 1, 3), 0),
        (2, z(2026, 1, 3), z(2026, 1, 5), 1),
        (1, z(2026, 1, 5), z(2026, 1, 8), 0),
    ]


def test_layer_with_no_users_lets_earlier_layers_show_through() -> None:
    spec = ScheduleSpec(
        "UTC", layers=(Layer(z(2026, 1, 1), (1,), "P1D"), Layer(z(2026, 1, 1), (), "P1D"))
    )
    assert on_call(spec, z(2026, 1, 2)) == 1
    assert users_of(final_shifts(spec, z(2026, 1, 1), z(2026, 1, 3))) == [1]


def test_ends_on_stops_coverage() -> None:
    spec = ScheduleSpec(
        "UTC", layers=(Layer(z(2026, 1, 1), (1, 2), "P1D", ends_on=z(2026, 1, 2, 12)),)
    )
    shifts = final_shifts(spec, z(2025, 12, 31), z(2026, 1, 5))
    assert [(s.user_id, s.start, s.end) for s in shifts] == [
        (1, z(2026, 1, 1), z(2026, 1, 2)),
        (2, z(2026, 1, 2), z(2026, 1, 2, 12)),
    ]
    assert on_call(spec, z(2026, 1, 2, 11, 59)) == 2
    assert on_call(spec, z(2026, 1, 2, 12)) is None
    assert handoffs(spec, z(2025, 12, 31), z(2026, 1, 5)) == [
        z(2026, 1, 1), z(2026, 1, 2), z(2026, 1, 2, 12)
    ]


def test_ends_on_before_starts_on_covers_nothing() -> None:
    spec = ScheduleSpec("UTC", layers=(Layer(z(2026, 1, 2), (1,), "P1D", ends_on=z(2026, 1, 1)),))
    assert final_shifts(spec, z(2025, 12, 1), z(2026, 2, 1)) == []


def test_restriction_crossing_midnight() -> None:
    """Mon 22:00 -> Tue 06:00 in Berlin (CET, +1)."""
    window = WeeklyWindow(0, time(22), 1, time(6))
    spec = ScheduleSpec(
        "Europe/Berlin", layers=(Layer(z(2026, 1, 1), (1, 2), "P1D", restrictions=(window,)),)
    )
    shifts = final_shifts(spec, z(2026, 1, 5), z(2026, 1, 14))
    # 2026-01-05 is a Monday; the layer hands off daily at 01:00 CET = 00:00Z,
    # which falls inside the window and splits it.
    assert [(s.user_id, s.start, s.end) for s in shifts] == [
        (1, z(2026, 1, 5, 21), z(2026, 1, 6)),
        (2, z(2026, 1, 6), z(2026, 1, 6, 5)),
        (2, z(2026, 1, 12, 21), z(2026, 1, 13)),
        (1, z(2026, 1, 13), z(2026, 1, 13, 5)),
    ]
    assert on_call(spec, z(2026, 1, 6, 5)) is None
    assert on_call(spec, z(2026, 1, 6, 4, 59)) == 2


def test_restriction_crossing_the_week_end() -> None:
    """Fri 18:00 -> Mon 09:00 in New York (EST, -5)."""
    weekend = WeeklyWindow(4, time(18), 0, time(9))
    spec = ScheduleSpec(
        "America/New_York", layers=(Layer(z(2026, 1, 1), (1,), "P7D", restrictions=(weekend,)),)
    )
    shifts = final_shifts(spec, z(2026, 1, 5), z(2026, 1, 20))
    assert [(s.start, s.end) for s in shifts] == [
        (z(2026, 1, 5), z(2026, 1, 5, 14)),  # tail of the previous weekend
        (z(2026, 1, 9, 23), z(2026, 1, 12, 14)),
        (z(2026, 1, 16, 23), z(2026, 1, 19, 14)),
    ]
    # West of UTC the window's wall end (09:00) is numerically before the
    # instant it maps to (14:00Z): lookups and ranges starting in between
    # must still see the window.
    assert on_call(spec, z(2026, 1, 12, 13, 59)) == 1
    assert on_call(spec, z(2026, 1, 12, 14)) is None
    assert [(s.start, s.end) for s in final_shifts(spec, z(2026, 1, 12, 10), z(2026, 1, 13))] == [
        (z(2026, 1, 12, 10), z(2026, 1, 12, 14))
    ]


def test_restriction_east_of_utc_starting_after_the_range_end_in_wall_time() -> None:
    """Kolkata (+05:30): a window starting Mon 09:00 local = 03:30Z."""
    window = WeeklyWindow(0, time(9), 0, time(17))
    spec = ScheduleSpec("Asia/Kolkata", layers=(Layer(z(2026, 1, 1), (1,), "P1D", restrictions=(window,)),))
    assert on_call(spec, z(2026, 1, 5, 3, 30)) == 1
    assert on_call(spec, z(2026, 1, 5, 3, 29)) is None
    assert [(s.start, s.end) for s in final_shifts(spec, z(2026, 1, 5), z(2026, 1, 5, 8))] == [
        (z(2026, 1, 5, 3, 30), z(2026, 1, 5, 8))
    ]


def test_restriction_window_just_after_monday_midnight_east_of_utc() -> None:
    """Kolkata (+05:30) Mon 00:00-08:00 local starts Sun 18:30Z: the week it
    belongs to begins after the instant, in wall time."""
    window = WeeklyWindow(0, time(0), 0, time(8))
    spec = ScheduleSpec("Asia/Kolkata", layers=(Layer(z(2026, 1, 1), (1,), "P1D", restrictions=(window,)),))
    assert on_call(spec, z(2026, 1, 4, 18, 29)) is None
    assert on_call(spec, z(2026, 1, 4, 18, 30)) == 1
    assert [(s.start, s.end) for s in final_shifts(spec, z(2026, 1, 4, 12), z(2026, 1, 4, 19))] == [
        (z(2026, 1, 4, 18, 30), z(2026, 1, 4, 19))
    ]


def test_restriction_window_almost_a_week_long_west_of_utc() -> None:
    """New York Sun 23:00 -> next Sun 22:00: covered all week except one
    hour, so at Mon 01:00Z (Sun 20:00 local) the occurrence that started
    nearly two wall-clock weeks before the instant's UTC week still holds."""
    window = WeeklyWindow(6, time(23), 6, time(22))
    spec = ScheduleSpec("America/New_York", layers=(Layer(z(2026, 1, 1), (1,), "P7D", restrictions=(window,)),))
    assert on_call(spec, z(2026, 1, 12, 1)) == 1
    assert on_call(spec, z(2026, 1, 12, 3)) is None  # Sun 22:00 EST
    assert on_call(spec, z(2026, 1, 12, 4)) == 1  # Sun 23:00 EST
    assert [(s.start, s.end) for s in final_shifts(spec, z(2026, 1, 12, 1), z(2026, 1, 12, 5))] == [
        (z(2026, 1, 12, 1), z(2026, 1, 12, 3)),
        (z(2026, 1, 12, 4), z(2026, 1, 12, 5)),
    ]


def test_restriction_rotation_keeps_turning_underneath() -> None:
    """Weekdays 09-17 with a daily rotation: Monday user 1, Tuesday user 2 ...
    the rotation is not paused by the nights."""
    days = tuple(WeeklyWindow(d, time(9), d, time(17)) for d in range(5))
    spec = ScheduleSpec("UTC", layers=(Layer(z(2026, 1, 5), (1, 2, 3), "P1D", restrictions=days),))
    shifts = final_shifts(spec, z(2026, 1, 5), z(2026, 1, 12))
    assert users_of(shifts) == [1, 2, 3, 1, 2]
    assert [s.start for s in shifts] == [z(2026, 1, d, 9) for d in range(5, 10)]


def test_whole_week_window_means_unrestricted() -> None:
    always = WeeklyWindow(2, time(10), 2, time(10))
    restricted = ScheduleSpec("UTC", layers=(Layer(z(2026, 1, 1), (1, 2), "P1D", restrictions=(always,)),))
    plain = ScheduleSpec("UTC", layers=(Layer(z(2026, 1, 1), (1, 2), "P1D"),))
    assert final_shifts(restricted, z(2026, 1, 1), z(2026, 2, 1)) == final_shifts(plain, z(2026, 1, 1), z(2026, 2, 1))


def test_overlapping_overrides_later_wins_and_sources_are_kept() -> None:
    spec = ScheduleSpec(
        "UTC",
        layers=(Layer(z(2026, 1, 1), (1,), "P7D", id=9),),
        overrides=(
            Override(5, z(2026, 1, 2), z(2026, 1, 4), id=1),
            Override(6, z(2026, 1, 3), z(2026, 1, 3, 12), id=2),
            Override(1, z(2026, 1, 4), z(2026, 1, 5), id=3),  # same user as the layer
        ),
    )
    shifts = final_shifts(spec, z(2026, 1, 1), z(2026, 1, 6))
    assert [(s.user_id, s.start, s.end, s.source, s.source_id) for s in shifts] == [
        (1, z(2026, 1, 1), z(2026, 1, 2), "layer", 9),
        (5, z(2026, 1, 2), z(2026, 1, 3), "override", 1),
        (6, z(2026, 1, 3), z(2026, 1, 3, 12), "override", 2),
        (5, z(2026, 1, 3, 12), z(2026, 1, 4), "override", 1),
        (1, z(2026, 1, 4), z(2026, 1, 5), "override", 3),
        (1, z(2026, 1, 5), z(2026, 1, 6), "layer", 9),
    ]
    # Layer user 1 -> override user 1 is not a handoff.
    assert handoffs(spec, z(2026, 1, 1), z(2026, 1, 6)) == [
        z(2026, 1, 2), z(2026, 1, 3), z(2026, 1, 3, 12), z(2026, 1, 4)
    ]


def test_static_schedule() -> None:
    spec = ScheduleSpec(
        "Europe/Berlin",
        kind="STATIC",
        layers=(Layer(z(2026, 1, 1), (99,), "P1D"),),  # ignored for STATIC
        static_shifts=(
            StaticShift(1, z(2026, 1, 1), z(2026, 1, 3), id=11),
            StaticShift(2, z(2026, 1, 2), z(2026, 1, 4), id=12),  # later wins the overlap
            StaticShift(3, z(2026, 1, 5), z(2026, 1, 6), id=13),
        ),
        overrides=(Override(4, z(2026, 1, 5, 12), z(2026, 1, 7), id=21),),
    )
    shifts = final_shifts(spec, z(2026, 1, 1), z(2026, 1, 8))
    assert [(s.user_id, s.start, s.end, s.source, s.source_id, s.layer_index) for s in shifts] == [
        (1, z(2026, 1, 1), z(2026, 1, 2), "static", 11, None),
        (2, z(2026, 1, 2), z(2026, 1, 4), "static", 12, None),
        (3, z(2026, 1, 5), z(2026, 1, 5, 12), "static", 13, None),
        (4, z(2026, 1, 5, 12), z(2026, 1, 7), "override", 21, None),
    ]
    assert on_call(spec, z(2026, 1, 4, 12)) is None  # a gap
    assert on_call(spec, z(2026, 1, 2, 12)) == 2


def test_inputs_in_any_zone_outputs_in_utc() -> None:
    kolkata = ZoneInfo("Asia/Kolkata")
    spec = ScheduleSpec("UTC", layers=(Layer(datetime(2026, 1, 1, 5, 30, tzinfo=kolkata), (1,), "P1D"),))
    shifts = final_shifts(spec, datetime(2026, 1, 1, 5, 30, tzinfo=kolkata), datetime(2026, 1, 2, tzinfo=kolkata))
    assert shifts[0].start == z(2026, 1, 1) and shifts[0].start.tzinfo is UTC
    assert shifts[-1].end == z(2026, 1, 1, 18, 30)


def test_empty_or_inverted_range_is_empty() -> None:
    spec = ScheduleSpec("UTC", layers=(Layer(z(2026, 1, 1), (1,), "P1D"),))
    assert final_shifts(spec, z(2026, 1, 2), z(2026, 1, 2)) == []
    assert final_shifts(spec, z(2026, 1, 3), z(2026, 1, 2)) == []


@pytest.mark.parametrize(
    "call",
    [
        lambda spec: final_shifts(spec, datetime(2026, 1, 1), z(2026, 1, 2)),
        lambda spec: final_shifts(spec, z(2026, 1, 1), datetime(2026, 1, 2)),
        lambda spec: on_call(spec, datetime(2026, 1, 1)),
        lambda spec: layer_shifts(spec, 0, datetime(2026, 1, 1), z(2026, 1, 2)),
        lambda spec: handoffs(spec, z(2026, 1, 1), datetime(2026, 1, 2)),
    ],
)
def test_naive_query_datetimes_raise(call) -> None:
    spec = ScheduleSpec("UTC", layers=(Layer(z(2026, 1, 1), (1,), "P1D"),))
    with pytest.raises(ValueError, match="timezone-aware"):
        call(spec)


@pytest.mark.parametrize(
    "spec",
    [
        ScheduleSpec("UTC", layers=(Layer(datetime(2026, 1, 1), (1,), "P1D"),)),
        ScheduleSpec("UTC", layers=(Layer(z(2026, 1, 1), (1,), "P1D", ends_on=datetime(2026, 2, 1)),)),
        ScheduleSpec("UTC", overrides=(Override(1, datetime(2026, 1, 1), z(2026, 1, 2)),)),
        ScheduleSpec("UTC", kind="STATIC", static_shifts=(StaticShift(1, z(2026, 1, 1), datetime(2026, 1, 2)),)),
    ],
)
def test_naive_schedule_datetimes_raise(spec: ScheduleSpec) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        on_call(spec, z(2026, 1, 1))


def test_queries_near_the_end_of_datetime_raise_value_error() -> None:
    spec = ScheduleSpec("Europe/Berlin", layers=(Layer(z(2026, 1, 1), (1,), "P1D"),))
    with pytest.raises(ValueError, match="outside the supported years"):
        on_call(spec, z(9999, 12, 31, 23))
    with pytest.raises(ValueError, match="outside the supported years"):
        final_shifts(spec, z(1, 1, 1), z(2026, 1, 1))


def test_schedule_data_may_use_far_future_sentinels() -> None:
    """"Until 9999-12-31" is common in databases; it must simply mean forever."""
    spec = ScheduleSpec(
        "America/New_York",
        layers=(
            Layer(z(2026, 1, 1), (1,), "P1D", ends_on=datetime.max.replace(tzinfo=UTC)),
            Layer(datetime.max.replace(tzinfo=UTC), (2,), "P1D"),
        ),
        overrides=(Override(3, z(2026, 2, 1), datetime.max.replace(tzinfo=UTC)),),
    )
    assert on_call(spec, z(2026, 1, 15)) == 1
    assert on_call(spec, z(9000, 1, 1)) == 3
    assert final_shifts(spec, z(2026, 1, 31), z(2026, 2, 2))[-1].user_id == 3


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (ScheduleSpec("Mars/Olympus_Mons"), "unknown time zone"),
        (ScheduleSpec("UTC", kind="WEEKLY"), "kind"),
        (ScheduleSpec("UTC", layers=(Layer(z(2026, 1, 1), (1,), "P1M"),)), r"layers\[0\].*months"),
        (ScheduleSpec("UTC", overrides=(Override(1, z(2026, 1, 2), z(2026, 1, 1)),)), "ends before"),
        (
            ScheduleSpec(
                "UTC",
                layers=(Layer(z(2026, 1, 1), (1,), "P1D", restrictions=(WeeklyWindow(7, time(1), 0, time(2)),)),),
            ),
            "day must be",
        ),
    ],
)
def test_invalid_specs_raise(spec: ScheduleSpec, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        final_shifts(spec, z(2026, 1, 1), z(2026, 1, 2))


def test_layer_shifts_ignores_other_layers_and_overrides() -> None:
    spec = ScheduleSpec(
        "UTC",
        layers=(Layer(z(2026, 1, 1), (1, 2), "P1D", id=3), Layer(z(2026, 1, 1), (7,), "P1D")),
        overrides=(Override(9, z(2026, 1, 1), z(2026, 1, 9)),),
    )
    shifts = layer_shifts(spec, 0, z(2026, 1, 1), z(2026, 1, 3))
    assert [(s.user_id, s.source, s.source_id, s.layer_index) for s in shifts] == [
        (1, "layer", 3, 0),
        (2, "layer", 3, 0),
    ]
    with pytest.raises(ValueError, match="out of range"):
        layer_shifts(spec, 2, z(2026, 1, 1), z(2026, 1, 3))


def test_compiled_schedule_is_memoised_per_spec_object_and_matches() -> None:
    spec = ScheduleSpec("UTC", layers=(Layer(z(2026, 1, 1), (1, 2), "PT8H"),))
    compiled = compile_schedule(spec)
    assert isinstance(compiled, CompiledSchedule)
    assert compile_schedule(spec) is compiled
    twin = ScheduleSpec("UTC", layers=spec.layers)
    assert compile_schedule(twin) is not compiled
    assert compiled.on_call(z(2026, 1, 1, 9)) == on_call(twin, z(2026, 1, 1, 9)) == 2
    assert compiled.final_shifts(z(2026, 1, 1), z(2026, 1, 2)) == final_shifts(twin, z(2026, 1, 1), z(2026, 1, 2))
