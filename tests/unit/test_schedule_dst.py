"""Daylight-saving behaviour of the schedule engine.

Every expected instant below is written out by hand as a UTC literal (worked
out from the zone rules: Berlin CET=+1/CEST=+2, changes 2026-03-29 01:00Z and
2026-10-25 01:00Z; New York EST=-5/EDT=-4, changes 2026-03-08 07:00Z and
2026-11-01 06:00Z), never computed by the code under test.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pagerline.engine.schedules.math import Layer, ScheduleSpec, WeeklyWindow, final_shifts, handoffs, layer_shifts, on_call

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
USERS = tuple(range(1, 9))  # all distinct, so every handoff changes the user


def z(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A UTC literal."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def single_layer(tz_name: str, starts_on: datetime, rotation: str) -> ScheduleSpec:
    return ScheduleSpec(tz_name, layers=(Layer(starts_on, USERS, rotation, id=1),))


def utc_2026(handoffs: str) -> list[datetime]:
    """UTC literals in 2026, written "MM-DD HH:MM, ..." (a table row stays one line)."""
    return [datetime.fromisoformat(f"2026-{h.strip()}").replace(tzinfo=UTC) for h in handoffs.split(",")]


def case(name: str, tz: ZoneInfo, rotation: str, local_start: str, handoffs: str) -> Any:
    """One row of :data:`CASES`: a rotation starting at ``local_start`` wall time in ``tz``, and
    the handoffs expected after it, in UTC."""
    return pytest.param(tz.key, rotation, datetime.fromisoformat(local_start).replace(tzinfo=tz), utc_2026(handoffs), id=name)


# Weekly rotations start on a Monday at 09:00 or on a Sunday at 02:30.
CASES = [
    case("berlin-daily-0900-spring", BERLIN, "P1D", "2026-03-26 09:00", "03-27 08:00, 03-28 08:00, 03-29 07:00, 03-30 07:00, 03-31 07:00"),
    case("berlin-daily-0900-fall", BERLIN, "P1D", "2026-10-22 09:00", "10-23 07:00, 10-24 07:00, 10-25 08:00, 10-26 08:00"),
    # 02:30 does not exist on 03-29: fold=0 -> 01:30Z (reads 03:30 CEST).
    case("berlin-daily-0230-spring-gap", BERLIN, "P1D", "2026-03-26 02:30", "03-27 01:30, 03-28 01:30, 03-29 01:30, 03-30 00:30, 03-31 00:30"),
    # 02:30 happens twice on 10-25: first occurrence (CEST) -> 00:30Z.
    case("berlin-daily-0230-fall-ambiguous", BERLIN, "P1D", "2026-10-22 02:30", "10-23 00:30, 10-24 00:30, 10-25 00:30, 10-26 01:30, 10-27 01:30"),
    case("berlin-weekly-0900-spring", BERLIN, "P7D", "2026-03-23 09:00", "03-30 07:00, 04-06 07:00"),
    case("berlin-weekly-0900-fall", BERLIN, "P7D", "2026-10-19 09:00", "10-26 08:00, 11-02 08:00"),
    case("berlin-weekly-0230-spring-gap", BERLIN, "P7D", "2026-03-22 02:30", "03-29 01:30, 04-05 00:30"),
    case("berlin-weekly-0230-fall-ambiguous", BERLIN, "P7D", "2026-10-18 02:30", "10-25 00:30, 11-01 01:30"),
    case("newyork-daily-0900-spring", NEW_YORK, "P1D", "2026-03-05 09:00", "03-06 14:00, 03-07 14:00, 03-08 13:00, 03-09 13:00"),
    case("newyork-daily-0900-fall", NEW_YORK, "P1D", "2026-10-29 09:00", "10-30 13:00, 10-31 13:00, 11-01 14:00, 11-02 14:00"),
    # 02:30 does not exist on 03-08: fold=0 uses EST -> 07:30Z (reads 03:30 EDT).
    case("newyork-daily-0230-spring-gap", NEW_YORK, "P1D", "2026-03-05 02:30", "03-06 07:30, 03-07 07:30, 03-08 07:30, 03-09 06:30"),
    # In New York the repeated hour is 01:00-02:00, so 02:30 is plain EST.
    case("newyork-daily-0230-fall", NEW_YORK, "P1D", "2026-10-29 02:30", "10-30 06:30, 10-31 06:30, 11-01 07:30, 11-02 07:30"),
    # 01:30 is ambiguous on 11-01: first occurrence (EDT) -> 05:30Z.
    case("newyork-daily-0130-fall-ambiguous", NEW_YORK, "P1D", "2026-10-29 01:30", "10-30 05:30, 10-31 05:30, 11-01 05:30, 11-02 06:30"),
    case("newyork-weekly-0900-spring", NEW_YORK, "P7D", "2026-03-02 09:00", "03-09 13:00, 03-16 13:00"),
    case("newyork-weekly-0900-fall", NEW_YORK, "P7D", "2026-10-26 09:00", "11-02 14:00, 11-09 14:00"),
    case("newyork-weekly-0230-spring-gap", NEW_YORK, "P7D", "2026-03-01 02:30", "03-08 07:30, 03-15 06:30"),
    case("newyork-weekly-0230-fall", NEW_YORK, "P7D", "2026-10-25 02:30", "11-01 07:30, 11-08 07:30"),
]


@pytest.mark.parametrize(("tz_name", "rotation", "starts_on", "expected"), CASES)
def test_handoffs_keep_wall_clock_time(
    tz_name: str, rotation: str, starts_on: datetime, expected: list[datetime]
) -> None:
    spec = single_layer(tz_name, starts_on, rotation)
    until = expected[-1] + timedelta(hours=1)
    assert handoffs(spec, starts_on, until) == expected
    shifts = final_shifts(spec, starts_on, until)
    assert [s.start for s in shifts[1:]] == expected
    # The rotation order is untouched by DST: user k holds shift k.
    assert [s.user_id for s in shifts] == list(USERS[: len(shifts)])
    # on_call flips exactly at each handoff, not a microsecond earlier.
    for k, instant in enumerate(expected, start=1):
        assert on_call(spec, instant - timedelta(microseconds=1)) == USERS[k - 1]
        assert on_call(spec, instant) == USERS[k]


def test_daily_shift_lengths_around_berlin_gap_at_0230() -> None:
    """The 02:30 rotation: 24 h into the gap day, 23 h out of it."""
    spec = single_layer("Europe/Berlin", datetime(2026, 3, 26, 2, 30, tzinfo=BERLIN), "P1D")
    shifts = final_shifts(spec, z(2026, 3, 28, 1, 30), z(2026, 3, 30, 0, 30))
    assert [(s.start, s.end) for s in shifts] == [
        (z(2026, 3, 28, 1, 30), z(2026, 3, 29, 1, 30)),
        (z(2026, 3, 29, 1, 30), z(2026, 3, 30, 0, 30)),
    ]


def test_daily_shift_lengths_around_berlin_fall_back_at_0230() -> None:
    """The 02:30 rotation: 24 h onto the first 02:30, then 25 h."""
    spec = single_layer("Europe/Berlin", datetime(2026, 10, 22, 2, 30, tzinfo=BERLIN), "P1D")
    shifts = final_shifts(spec, z(2026, 10, 24, 0, 30), z(2026, 10, 26, 1, 30))
    assert [s.end - s.start for s in shifts] == [timedelta(hours=24), timedelta(hours=25)]


# (zone, local start of a PT12H rotation, its handoffs in UTC, the hours of the shifts between them)
TWELVE_HOUR_CASES = [
    pytest.param("Europe/Berlin", datetime(2026, 3, 27, 9, 0, tzinfo=BERLIN),
                 utc_2026("03-27 20:00, 03-28 08:00, 03-28 20:00, 03-29 07:00, 03-29 19:00, 03-30 07:00"), [12, 12, 11, 12, 12],
                 id="berlin-spring-11h"),
    pytest.param("Europe/Berlin", datetime(2026, 10, 23, 9, 0, tzinfo=BERLIN),
                 utc_2026("10-23 19:00, 10-24 07:00, 10-24 19:00, 10-25 08:00, 10-25 20:00"), [12, 12, 13, 12],
                 id="berlin-fall-13h"),
    pytest.param("America/New_York", datetime(2026, 3, 6, 9, 0, tzinfo=NEW_YORK),
                 utc_2026("03-07 02:00, 03-07 14:00, 03-08 02:00, 03-08 13:00, 03-09 01:00"), [12, 12, 11, 12],
                 id="newyork-spring-11h"),
    pytest.param("America/New_York", datetime(2026, 10, 30, 9, 0, tzinfo=NEW_YORK),
                 utc_2026("10-31 01:00, 10-31 13:00, 11-01 01:00, 11-01 14:00, 11-02 02:00"), [12, 12, 13, 12],
                 id="newyork-fall-13h"),
]


@pytest.mark.parametrize(("tz_name", "starts_on", "expected", "hours"), TWELVE_HOUR_CASES)
def test_twelve_hour_rotation_hands_off_at_0900_and_2100_local(
    tz_name: str, starts_on: datetime, expected: list[datetime], hours: list[int]
) -> None:
    spec = single_layer(tz_name, starts_on, "PT12H")
    until = expected[-1] + timedelta(minutes=1)
    assert handoffs(spec, starts_on, until) == expected
    inner = final_shifts(spec, expected[0], expected[-1])
    assert [(s.end - s.start) / timedelta(hours=1) for s in inner] == hours
    tz = ZoneInfo(tz_name)
    assert {h.astimezone(tz).time() for h in expected} == {time(9), time(21)}


def test_start_given_in_utc_means_the_same_as_local() -> None:
    """n0 comes from the instant, so storage format cannot change a rotation."""
    local = single_layer("Europe/Berlin", datetime(2026, 3, 26, 9, 0, tzinfo=BERLIN), "P1D")
    utc = single_layer("Europe/Berlin", z(2026, 3, 26, 8), "P1D")
    window = (z(2026, 3, 25), z(2026, 4, 2))
    assert final_shifts(local, *window) == final_shifts(utc, *window)


def test_rotation_shorter_than_the_gap_never_overlaps() -> None:
    """PT30M across Berlin's one-hour gap: the 02:00 and 02:30 wall handoffs
    localise to 01:00Z/01:30Z, and so do the 03:00/03:30 ones; the later
    handoffs win and the result stays a partition."""
    spec = ScheduleSpec(
        "Europe/Berlin",
        layers=(Layer(datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN), (1, 2, 3, 4, 5, 6, 7, 8), "PT30M"),),
    )
    shifts = final_shifts(spec, z(2026, 3, 28, 23), z(2026, 3, 29, 2))
    assert [(s.start, s.end, s.user_id) for s in shifts] == [
        (z(2026, 3, 28, 23, 0), z(2026, 3, 28, 23, 30), 1),  # 00:00 CET
        (z(2026, 3, 28, 23, 30), z(2026, 3, 29, 0, 0), 2),  # 00:30 CET
        (z(2026, 3, 29, 0, 0), z(2026, 3, 29, 0, 30), 3),  # 01:00 CET
        (z(2026, 3, 29, 0, 30), z(2026, 3, 29, 1, 0), 4),  # 01:30 CET
        # users 5 (02:00) and 6 (02:30) fall into the gap and are overtaken
        (z(2026, 3, 29, 1, 0), z(2026, 3, 29, 1, 30), 7),  # 03:00 CEST
        (z(2026, 3, 29, 1, 30), z(2026, 3, 29, 2, 0), 8),  # 03:30 CEST
    ]
    assert on_call(spec, z(2026, 3, 29, 1, 15)) == 7
    # A range ending between the gap handoffs must not stop at the 02:30
    # handoff (01:30Z, past the end): the 03:00 one (01:00Z) comes back.
    short = final_shifts(spec, z(2026, 3, 29, 0, 30), z(2026, 3, 29, 1, 20))
    assert [(s.start, s.end, s.user_id) for s in short] == [
        (z(2026, 3, 29, 0, 30), z(2026, 3, 29, 1, 0), 4),
        (z(2026, 3, 29, 1, 0), z(2026, 3, 29, 1, 20), 7),
    ]


SATURDAY_NIGHT = WeeklyWindow(5, time(22), 6, time(9))  # Sat 22:00 -> Sun 09:00 local


def berlin_restricted(window: WeeklyWindow, starts_on: datetime, rotation: str) -> ScheduleSpec:
    """User 1 alone on a Berlin layer, on call only inside ``window``."""
    return ScheduleSpec("Europe/Berlin", layers=(Layer(starts_on, (1,), rotation, restrictions=(window,)),))


def spans(spec: ScheduleSpec, start: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """(start, end) of the first layer's shifts between ``start`` and ``until``."""
    return [(s.start, s.end) for s in layer_shifts(spec, 0, start, until)]


def test_restriction_window_over_fall_back_night_lasts_twelve_hours() -> None:
    """Sat 22:00 -> Sun 09:00 local is 11 wall hours but 12 real ones."""
    spec = berlin_restricted(SATURDAY_NIGHT, z(2026, 10, 1), "P7D")
    assert spans(spec, z(2026, 10, 24), z(2026, 10, 26)) == [(z(2026, 10, 24, 20), z(2026, 10, 25, 8))]


def test_restriction_window_over_spring_forward_night_lasts_ten_hours() -> None:
    spec = berlin_restricted(SATURDAY_NIGHT, z(2026, 3, 1), "P7D")
    assert spans(spec, z(2026, 3, 28), z(2026, 3, 30)) == [(z(2026, 3, 28, 21), z(2026, 3, 29, 7))]


def test_restriction_window_starting_inside_the_gap_uses_fold_zero() -> None:
    """Sun 02:30-04:00 on the gap day: 02:30 -> 01:30Z, 04:00 CEST -> 02:00Z."""
    spec = berlin_restricted(WeeklyWindow(6, time(2, 30), 6, time(4, 0)), z(2026, 3, 1), "P1D")
    assert spans(spec, z(2026, 3, 28), z(2026, 3, 30)) == [(z(2026, 3, 29, 1, 30), z(2026, 3, 29, 2, 0))]
    assert on_call(spec, z(2026, 3, 29, 1, 29)) is None
    assert on_call(spec, z(2026, 3, 29, 1, 30)) == 1


def test_start_written_as_a_nonexistent_local_time() -> None:
    """02:30 on Berlin's gap day is, for Python, 01:30Z (fold=0), which the
    clock shows as 03:30 CEST: the rotation then hands off at 03:30."""
    spec = single_layer("Europe/Berlin", datetime(2026, 3, 29, 2, 30, tzinfo=BERLIN), "P1D")
    assert handoffs(spec, z(2026, 3, 29), z(2026, 4, 1)) == [
        z(2026, 3, 29, 1, 30),
        z(2026, 3, 30, 1, 30),
        z(2026, 3, 31, 1, 30),
    ]
