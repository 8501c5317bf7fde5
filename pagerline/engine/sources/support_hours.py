"""Support hours: weekly opening hours in a time zone, with exceptions, and the priority rules
that depend on them. Pure functions on plain data (no database).

Stored form (JSON, validated by :func:`parse_support_hours`):

- ``weekly``: ``[{"day": "MONDAY", "start": "09:00", "end": "17:00"}, ...]``; ``end`` may be
  ``"24:00"``; a day may have several windows (they add up); a window across midnight is two
  windows, one ending at ``24:00`` and one starting at ``00:00``.
- ``exceptions``: ``[{"date": "2026-12-24", "closed": true}]`` closes a date,
  ``[{"date": "2026-12-27", "start": "10:00", "end": "14:00"}]`` replaces the date's weekly
  windows with its own. An exception always replaces the whole date.

Times are wall-clock times in the zone: 09:00 is 09:00 local on every day, across daylight
saving changes. In a spring-forward gap the clock jumps past a window's start, so the window
opens at the jump. In the repeated hour of a fall-back the wall clock really runs through those
times twice, and support hours follow it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pagerline.models.enums import Priority, PriorityRule

DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
MINUTES_PER_DAY = 24 * 60
MAX_WINDOWS = 100
MAX_EXCEPTIONS = 500
# How far ahead next_change looks before it says "never" (a year covers every exception).
HORIZON_DAYS = 400


class SupportHoursError(ValueError):
    """Invalid support hours; ``path`` names the offending entry, e.g. ``weekly[2].end``."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True, slots=True)
class Window:
    """Minutes after local midnight: ``start`` inclusive, ``end`` exclusive (up to 1440)."""

    start: int
    end: int

    def contains(self, minute: float) -> bool:
        return self.start <= minute < self.end


@dataclass(frozen=True, slots=True)
class SupportHoursSpec:
    timezone: str
    weekly: tuple[tuple[Window, ...], ...]  # Monday first, seven entries
    exceptions: Mapping[date, tuple[Window, ...]]  # an empty tuple closes the date

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def windows_on(self, day: date) -> tuple[Window, ...]:
        found = self.exceptions.get(day)
        return found if found is not None else self.weekly[day.weekday()]


# --------------------------------------------------------------------------- parsing


def _minutes(raw: Any, path: str) -> int:
    if not isinstance(raw, str) or len(raw) != 5 or raw[2] != ":" or not (raw[:2] + raw[3:]).isdigit():
        raise SupportHoursError(path, "must be a time as HH:MM")
    hours, minutes = int(raw[:2]), int(raw[3:])
    if raw == "24:00":
        return MINUTES_PER_DAY
    if hours > 23 or minutes > 59:
        raise SupportHoursError(path, f"'{raw}' is not a time of day")
    return hours * 60 + minutes


def _window(raw: Mapping[str, Any], path: str) -> Window:
    start = _minutes(raw.get("start"), f"{path}.start")
    end = _minutes(raw.get("end"), f"{path}.end")
    if end <= start:
        raise SupportHoursError(f"{path}.end", "must be after start (split a window across midnight in two)")
    return Window(start, end)


def _entries(raw: Any, path: str, limit: int) -> list[Mapping[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise SupportHoursError(path, "must be a list")
    if len(raw) > limit:
        raise SupportHoursError(path, f"may have at most {limit} entries")
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise SupportHoursError(f"{path}[{index}]", "must be an object")
    return raw


def check_timezone(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise SupportHoursError("timezone", "is required (an IANA name such as Europe/Berlin)")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        raise SupportHoursError("timezone", f"'{name}' is not a known IANA time zone") from None
    return name


def parse_support_hours(timezone: Any, weekly: Any, exceptions: Any = None) -> SupportHoursSpec:
    """Validate the stored JSON and build the spec, or raise :class:`SupportHoursError`."""
    zone_name = check_timezone(timezone)
    days: list[list[Window]] = [[] for _ in DAYS]
    for index, item in enumerate(_entries(weekly, "weekly", MAX_WINDOWS)):
        path = f"weekly[{index}]"
        day = item.get("day")
        if day not in DAYS:
            raise SupportHoursError(f"{path}.day", f"must be one of {', '.join(DAYS)}")
        days[DAYS.index(day)].append(_window(item, path))
    special: dict[date, list[Window]] = {}
    closed: set[date] = set()
    for index, item in enumerate(_entries(exceptions, "exceptions", MAX_EXCEPTIONS)):
        path = f"exceptions[{index}]"
        try:
            day = date.fromisoformat(str(item.get("date")))
        except ValueError:
            raise SupportHoursError(f"{path}.date", "must be a date as YYYY-MM-DD") from None
        if item.get("closed") is True:
            if "start" in item or "end" in item:
                raise SupportHoursError(path, "a closed date has no start or end")
            closed.add(day)
            special.setdefault(day, [])
        else:
            special.setdefault(day, []).append(_window(item, path))
        if day in closed and special[day]:
            raise SupportHoursError(path, f"{day} is both closed and open")
    return SupportHoursSpec(
        timezone=zone_name,
        weekly=tuple(tuple(sorted(d, key=lambda w: w.start)) for d in days),
        exceptions={d: tuple(sorted(ws, key=lambda w: w.start)) for d, ws in special.items()},
    )


# --------------------------------------------------------------------------- questions


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("support hours need an aware datetime")


def in_support(spec: SupportHoursSpec, now: datetime) -> bool:
    """Is ``now`` inside support hours (by the wall clock of the spec's zone)?"""
    _require_aware(now)
    local = now.astimezone(spec.zone)
    minute = local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 60_000_000
    return any(w.contains(minute) for w in spec.windows_on(local.date()))


def _local_instants(day: date, minute: int, zone: ZoneInfo) -> set[datetime]:
    """The UTC instants at which the wall clock shows ``day`` + ``minute`` (both folds)."""
    if minute >= MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), minute - MINUTES_PER_DAY
    wall = datetime.combine(day, time(minute // 60, minute % 60))
    return {wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)}


def _transition(day: date, zone: ZoneInfo) -> datetime | None:
    """The instant the zone's UTC offset changes during ``day``, if it does (found by bisection,
    to the second: zoneinfo does not expose its transitions)."""
    low = datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
    high = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    if low.astimezone(zone).utcoffset() == high.astimezone(zone).utcoffset():
        return None
    before = low.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)


def _candidates(spec: SupportHoursSpec, day: date) -> list[datetime]:
    zone = spec.zone
    found: set[datetime] = set()
    for window in spec.windows_on(day):
        found |= _local_instants(day, window.start, zone)
        found |= _local_instants(day, window.end, zone)
    found |= _local_instants(day, 0, zone)  # the day's windows may differ from yesterday's
    switch = _transition(day, zone)
    if switch is not None:
        found.add(switch)
    return sorted(found)


def next_change(spec: SupportHoursSpec, now: datetime) -> datetime | None:
    """The first instant after ``now`` at which :func:`in_support` changes, or None when it
    does not change within :data:`HORIZON_DAYS` (always open, or never)."""
    _require_aware(now)
    state = in_support(spec, now)
    start = now.astimezone(spec.zone).date() - timedelta(days=1)
    for offset in range(HORIZON_DAYS):
        for candidate in _candidates(spec, start + timedelta(days=offset)):
            if candidate > now and in_support(spec, candidate) != state:
                return candidate
    return None


def rule_priority(rule: PriorityRule, requested: Priority | None, in_hours: bool) -> Priority:
    """An alert's priority under a source's priority rule.

    ``HIGH``: the event's priority wins, HIGH when it names none. ``LOW``: always LOW (the
    source is fixed to LOW). The support-hours rules let the source decide, whatever the event
    says: ``HIGH_DURING_SUPPORT_HOURS`` is HIGH inside support hours and LOW outside,
    ``LOW_DURING_SUPPORT_HOURS`` the other way round.
    """
    if rule is PriorityRule.HIGH:
        return requested or Priority.HIGH
    if rule is PriorityRule.LOW:
        return Priority.LOW
    if rule is PriorityRule.HIGH_DURING_SUPPORT_HOURS:
        return Priority.HIGH if in_hours else Priority.LOW
    return Priority.LOW if in_hours else Priority.HIGH


def uses_support_hours(rule: PriorityRule) -> bool:
    return rule in (PriorityRule.HIGH_DURING_SUPPORT_HOURS, PriorityRule.LOW_DURING_SUPPORT_HOURS)
