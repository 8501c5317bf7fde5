"""Support hours: weekly windows in a time zone, exceptions, the next change across daylight
saving, validation, and the four priority rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pagerline.engine.sources.support_hours import (
    DAYS,
    SupportHoursError,
    SupportHoursSpec,
    in_support,
    next_change,
    parse_support_hours,
    rule_priority,
)
from pagerline.models import Priority, PriorityRule

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = [{"day": day, "start": "09:00", "end": "17:00"} for day in DAYS[:5]]


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def office(exceptions: list[dict[str, object]] | None = None) -> SupportHoursSpec:
    return parse_support_hours("Europe/Berlin", OFFICE, exceptions)


def test_weekly_windows_by_the_local_wall_clock() -> None:
    spec = office()
    assert not in_support(spec, berlin(2026, 11, 30, 8, 59, 59))  # a Monday
    assert in_support(spec, berlin(2026, 11, 30, 9, 0))
    assert in_support(spec, berlin(2026, 11, 30, 16, 59, 59))
    assert not in_support(spec, berlin(2026, 11, 30, 17, 0))  # the end is exclusive
    assert not in_support(spec, berlin(2026, 11, 28, 12, 0))  # Saturday
    # The same instant asked in UTC: 08:30 UTC is 09:30 in Berlin in winter.
    assert in_support(spec, utc(2026, 11, 30, 8, 30))


def test_next_change_within_a_day_and_over_the_weekend() -> None:
    spec = office()
    assert next_change(spec, berlin(2026, 11, 30, 10, 0)) == berlin(2026, 11, 30, 17, 0)
    assert next_change(spec, berlin(2026, 11, 27, 18, 0)) == berlin(2026, 11, 30, 9, 0)
    assert next_change(spec, berlin(2026, 11, 30, 9, 0)) == berlin(2026, 11, 30, 17, 0)  # at a boundary: the next one


def test_windows_keep_their_wall_clock_time_across_daylight_saving() -> None:
    spec = office()
    # Spring forward (2026-03-29): Friday 17:00 CET → Monday 09:00 CEST, which is 07:00 UTC.
    assert next_change(spec, berlin(2026, 3, 27, 17, 0)) == utc(2026, 3, 30, 7, 0)
    # Fall back (2026-10-25): Friday 17:00 CEST → Monday 09:00 CET, which is 08:00 UTC.
    assert next_change(spec, berlin(2026, 10, 23, 17, 0)) == utc(2026, 10, 26, 8, 0)


def test_a_window_starting_in_the_spring_forward_gap_opens_at_the_jump() -> None:
    spec = parse_support_hours("Europe/Berlin", [{"day": "SUNDAY", "start": "02:30", "end": "04:00"}])
    # 2026-03-29: the clock jumps from 02:00 CET (01:00 UTC) to 03:00 CEST; 02:30 never shows.
    assert not in_support(spec, utc(2026, 3, 29, 0, 59, 59))
    assert in_support(spec, utc(2026, 3, 29, 1, 0))
    assert next_change(spec, utc(2026, 3, 29, 0, 30)) == utc(2026, 3, 29, 1, 0)
    assert next_change(spec, utc(2026, 3, 29, 1, 0)) == utc(2026, 3, 29, 2, 0)  # 04:00 CEST


def test_the_repeated_hour_of_a_fall_back_is_followed_by_the_wall_clock() -> None:
    spec = parse_support_hours("Europe/Berlin", [{"day": "SUNDAY", "start": "02:30", "end": "04:00"}])
    # 2026-10-25: 03:00 CEST (01:00 UTC) becomes 02:00 CET, so 02:00-03:00 happens twice.
    start = utc(2026, 10, 25, 0, 0)  # 02:00 CEST
    changes = [start]
    for _ in range(4):
        changes.append(next_change(spec, changes[-1]))  # type: ignore[arg-type]
    assert changes[1:] == [
        utc(2026, 10, 25, 0, 30),  # 02:30 CEST: opens
        utc(2026, 10, 25, 1, 0),  # back to 02:00 CET: before the window again
        utc(2026, 10, 25, 1, 30),  # 02:30 CET: opens again
        utc(2026, 10, 25, 3, 0),  # 04:00 CET: closes
    ]


def test_exceptions_close_a_date_or_replace_its_hours() -> None:
    spec = office([{"date": "2026-12-24", "closed": True}, {"date": "2026-12-26", "start": "10:00", "end": "14:00"}])
    assert not in_support(spec, berlin(2026, 12, 24, 10, 0))  # a Thursday, closed
    assert next_change(spec, berlin(2026, 12, 23, 18, 0)) == berlin(2026, 12, 25, 9, 0)
    assert in_support(spec, berlin(2026, 12, 26, 11, 0))  # a Saturday, open by exception
    assert not in_support(spec, berlin(2026, 12, 26, 9, 30))
    assert next_change(spec, berlin(2026, 12, 25, 17, 30)) == berlin(2026, 12, 26, 10, 0)


def test_adjacent_windows_and_windows_across_midnight_join_up() -> None:
    split = parse_support_hours(
        "UTC", [{"day": "MONDAY", "start": "09:00", "end": "12:00"}, {"day": "MONDAY", "start": "12:00", "end": "17:00"}]
    )
    assert next_change(split, utc(2026, 11, 30, 10, 0)) == utc(2026, 11, 30, 17, 0)
    night = parse_support_hours(
        "UTC", [{"day": "MONDAY", "start": "22:00", "end": "24:00"}, {"day": "TUESDAY", "start": "00:00", "end": "06:00"}]
    )
    assert in_support(night, utc(2026, 11, 30, 23, 59, 59)) and in_support(night, utc(2026, 12, 1, 0, 0))
    assert next_change(night, utc(2026, 11, 30, 23, 0)) == utc(2026, 12, 1, 6, 0)


def test_always_or_never_open_has_no_next_change() -> None:
    assert next_change(parse_support_hours("UTC", []), utc(2026, 11, 30)) is None
    always = parse_support_hours("UTC", [{"day": d, "start": "00:00", "end": "24:00"} for d in DAYS])
    assert in_support(always, utc(2026, 11, 30, 3)) and next_change(always, utc(2026, 11, 30)) is None


@pytest.mark.parametrize(
    ("timezone", "weekly", "exceptions", "path"),
    [
        ("Mars/Base", [], None, "timezone"),
        ("", [], None, "timezone"),
        ("UTC", {"MONDAY": "9-5"}, None, "weekly"),
        ("UTC", [{"day": "MON", "start": "09:00", "end": "17:00"}], None, "weekly[0].day"),
        ("UTC", [{"day": "MONDAY", "start": "9:00", "end": "17:00"}], None, "weekly[0].start"),
        ("UTC", [{"day": "MONDAY", "start": "09:00", "end": "25:00"}], None, "weekly[0].end"),
        ("UTC", [{"day": "MONDAY", "start": "17:00", "end": "09:00"}], None, "weekly[0].end"),
        ("UTC", ["MONDAY"], None, "weekly[0]"),
        ("UTC", [], [{"date": "2026-13-01", "closed": True}], "exceptions[0].date"),
        ("UTC", [], [{"date": "2026-12-24", "closed": True, "start": "09:00"}], "exceptions[0]"),
        ("UTC", [], [{"date": "2026-12-24", "start": "09:00", "end": "10:00"}, {"date": "2026-12-24", "closed": True}], "exceptions[1]"),
    ],
)
def test_invalid_support_hours_name_the_entry(timezone: str, weekly: object, exceptions: object, path: str) -> None:
    with pytest.raises(SupportHoursError) as caught:
        parse_support_hours(timezone, weekly, exceptions)
    assert caught.value.path == path, str(caught.value)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        in_support(office(), datetime(2026, 11, 30, 10, 0))


@pytest.mark.parametrize(
    ("rule", "requested", "in_hours", "expected"),
    [
        (PriorityRule.HIGH, None, False, Priority.HIGH),
        (PriorityRule.HIGH, Priority.LOW, True, Priority.LOW),  # the event's priority wins
        (PriorityRule.LOW, Priority.HIGH, True, Priority.LOW),  # fixed to LOW
        (PriorityRule.HIGH_DURING_SUPPORT_HOURS, Priority.LOW, True, Priority.HIGH),  # the source decides
        (PriorityRule.HIGH_DURING_SUPPORT_HOURS, Priority.HIGH, False, Priority.LOW),
        (PriorityRule.LOW_DURING_SUPPORT_HOURS, Priority.HIGH, True, Priority.LOW),
        (PriorityRule.LOW_DURING_SUPPORT_HOURS, None, False, Priority.HIGH),
    ],
)
def test_priority_rules(rule: PriorityRule, requested: Priority | None, in_hours: bool, expected: Priority) -> None:
    assert rule_priority(rule, requested, in_hours) is expected


_times = st.integers(min_value=0, max_value=47).map(lambda half_hours: f"{half_hours // 2:02d}:{30 * (half_hours % 2):02d}")


@st.composite
def _windows(draw: st.DrawFn) -> list[dict[str, str]]:
    windows = []
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        start, end = sorted(draw(st.lists(_times, min_size=2, max_size=2, unique=True)))
        windows.append({"day": draw(st.sampled_from(DAYS)), "start": start, "end": end})
    return windows


@settings(max_examples=60, deadline=None)
@given(
    windows=_windows(),
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"]),
    minutes=st.integers(min_value=0, max_value=60 * 24 * 400),
)
def test_next_change_is_the_first_instant_the_answer_changes(windows: list[dict[str, str]], zone: str, minutes: int) -> None:
    spec = parse_support_hours(zone, windows)
    now = utc(2026, 1, 1) + timedelta(minutes=minutes, seconds=17)
    state = in_support(spec, now)
    change = next_change(spec, now)
    if change is None:
        probes = [now + timedelta(hours=h) for h in range(0, 24 * 8, 1)]
        assert all(in_support(spec, p) == state for p in probes)
        return
    assert change > now and in_support(spec, change) != state
    assert in_support(spec, change - timedelta(seconds=1)) == state
    step = max(timedelta(minutes=10), (change - now) / 200)
    probe = now
    while probe < change:
        assert in_support(spec, probe) == state, probe
        probe += step
