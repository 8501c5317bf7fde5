"""Integer-microsecond time helpers for :mod:`pagerline.engine.schedules.math`.

Why integers: on the target hardware every ``datetime``/``timedelta`` allocation
costs roughly half a microsecond, while int arithmetic and comparisons are an
order of magnitude cheaper.  The engine therefore converts aware datetimes to
two integer scales once, at the boundary, and works on plain ints inside:

* an *instant* is microseconds since 1970-01-01T00:00Z (UTC, unambiguous);
* a *wall time* is microseconds since the naive 1970-01-01T00:00 of the
  schedule's zone, i.e. the local clock reading with DST ignored.  Wall time is
  uniform (no gaps, no repeats), which is what makes "same wall-clock time every
  day" rotations plain multiplication.

Converting a wall time to an instant follows Python's ``fold=0`` rule
(PEP 495): a wall time inside a spring-forward gap uses the offset from
*before* the gap (02:30 Europe/Berlin on the gap day -> 01:30Z, which reads
03:30 CEST) and an ambiguous wall time during fall-back maps to its *first*
occurrence.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

US_PER_SECOND = 1_000_000
US_PER_DAY = 86_400 * US_PER_SECOND
US_PER_WEEK = 7 * US_PER_DAY

# |utcoffset| < 24 h is guaranteed by the datetime module, so a wall time and
# the instant it maps to are always less than a day apart.  The engine uses
# this as a rigorous (if loose) search bound instead of guessing a zone's
# actual offset range, which zoneinfo does not expose.
MAX_OFFSET_US = US_PER_DAY

# 1970-01-05 was a Monday: week boundaries are MONDAY_WALL + n * US_PER_WEEK.
MONDAY_WALL = 4 * US_PER_DAY

# Sentinel "end of time" for open-ended layers; far beyond any real datetime
# (year 9999 is ~2.5e17 µs) but still a cheap small int.
FAR_FUTURE = 1 << 62

_ONE_US = timedelta(microseconds=1)
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EPOCH_NAIVE = datetime(1970, 1, 1)

# The engine looks up to a couple of weeks of wall time beyond the instants it
# is given (window occurrences, the next handoff), and datetime stops at years
# 1 and 9999; keeping inputs a year inside that turns an OverflowError deep in
# the arithmetic into a clear ValueError at the boundary.
MIN_INSTANT = (datetime(2, 1, 1, tzinfo=timezone.utc) - _EPOCH_UTC) // _ONE_US
MAX_INSTANT = (datetime(9998, 12, 31, tzinfo=timezone.utc) - _EPOCH_UTC) // _ONE_US


def to_instant(
    value: datetime, what: str = "datetime", *, clamp_low: bool = False, clamp_high: bool = False
) -> int:
    """Aware datetime -> instant (µs since epoch, UTC).

    Naive datetimes are rejected: guessing a zone for them is exactly the kind
    of silent error that pages the wrong person at 3 a.m.  Instants outside
    [MIN_INSTANT, MAX_INSTANT] raise unless clamping is asked for: schedule
    data may legitimately say "until 9999-12-31" (clamping that changes
    nothing a query can see), a query for that date cannot be answered.
    """
    if not isinstance(value, datetime):
        raise ValueError(f"{what} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value.isoformat()}")
    instant = (value - _EPOCH_UTC) // _ONE_US
    if instant > MAX_INSTANT:
        if not clamp_high:
            raise ValueError(f"{what} {value.isoformat()} is outside the supported years 2..9998")
        return MAX_INSTANT
    if instant < MIN_INSTANT:
        if not clamp_low:
            raise ValueError(f"{what} {value.isoformat()} is outside the supported years 2..9998")
        return MIN_INSTANT
    return instant


def from_instant(instant: int) -> datetime:
    """Instant -> aware datetime in UTC (the engine's output convention)."""
    return _EPOCH_UTC + timedelta(0, 0, instant)


def load_zone(name: str) -> ZoneInfo:
    """Resolve an IANA name, turning zoneinfo's KeyError into a ValueError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError) as exc:  # OSError: a name too long for a file
        raise ValueError(f"unknown time zone {name!r}") from exc


def monday_on_or_before(wall: int) -> int:
    """Wall time of the Monday 00:00 that starts the week containing ``wall``."""
    return MONDAY_WALL + ((wall - MONDAY_WALL) // US_PER_WEEK) * US_PER_WEEK


class Zone:
    """A ZoneInfo plus the two conversions the engine needs, on ints."""

    __slots__ = ("tz", "name", "_epoch_local")

    def __init__(self, name: str) -> None:
        self.name = name
        self.tz = load_zone(name)
        # An aware datetime whose *fields* are the UTC epoch but whose tzinfo
        # is this zone: that is the input format ZoneInfo.fromutc expects, and
        # subtracting two datetimes with the same tzinfo object is a pure
        # field difference (no utcoffset calls).
        self._epoch_local = datetime(1970, 1, 1, tzinfo=self.tz)

    def wall(self, instant: int) -> int:
        """Instant -> local wall time.  Total and monotone except at fall-back,
        where an hour of wall times is read twice."""
        # timedelta(0, 0, x) is positional on purpose: keyword parsing is a
        # measurable share of the cost on the hot path.
        local = self.tz.fromutc(self._epoch_local + timedelta(0, 0, instant))
        return (local - self._epoch_local) // _ONE_US

    def localize(self, wall: int) -> int:
        """Wall time -> instant with fold=0 (see module docstring)."""
        naive = _EPOCH_NAIVE + timedelta(0, 0, wall)
        return wall - self.tz.utcoffset(naive) // _ONE_US

    def is_gap(self, wall: int) -> bool:
        """True if no instant reads ``wall`` on the local clock (spring-forward).

        In a gap fold=1 yields the offset *after* the transition, which is
        larger than the fold=0 one; for ambiguous times it is the other way
        round, and for ordinary times both agree.
        """
        naive = _EPOCH_NAIVE + timedelta(0, 0, wall)
        return self.tz.utcoffset(naive.replace(fold=1)) > self.tz.utcoffset(naive)
