"""On-call reminders: "You are on call in 15 minutes: Primary from 09:00 to 17:00".

Each user may choose one reminder time (``ALLOWED_BEFORE`` minutes before each of their shifts
starts; 0 is at the start). :func:`plan_reminders` runs on the sweeper's tick: it looks a short
``horizon`` ahead, finds the on-call periods that start ``before`` minutes from now, and writes
one INFO push per (user, schedule, period start) into the notification outbox, due exactly
``before`` minutes ahead of the start. The normal delivery pipeline sends it.

Once, and only once:

- The outbox row's unique ``dedup_key`` is ``reminder:<user>:<schedule>:<start epoch>``, so
  overlapping ticks, several workers sweeping at once and restarts can only ever write one row
  per period start. No ledger table: the outbox is the ledger.
- Reminders are written ahead of time (up to ``horizon`` before they are due), never behind:
  a period whose reminder time passed while nothing ran is not reminded late.
- A reminder that is still waiting in the outbox is re-checked on every tick and skipped if the
  schedule no longer puts the user on call at that start (an override moved the shift) or the
  user turned reminders off.

A *period start* is an instant at which a user becomes on call in a schedule: the user on call
just before was someone else or nobody. Touching shifts of the same user (a layer shift
followed by that user's override, two rotation turns in a row) are one period.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from pagerline.engine.core.effects import unit_of_work
from pagerline.engine.core.errors import BadInput, NotFound
from pagerline.engine.schedules.oncall import load_schedules
from pagerline.engine.schedules.math import CompiledSchedule, ScheduleSpec, compile_schedule
from pagerline.models import (
    Channel,
    Notification,
    NotificationKind,
    NotificationStatus,
    User,
)
from pagerline.models.reminders import ReminderSetting

log = logging.getLogger(__name__)

ALLOWED_BEFORE = (0, 15, 30, 60, 180, 360, 720, 1440)
DEFAULT_HORIZON = timedelta(minutes=2)
# How far past a period's start the text looks for its end ("from 09:00 to 17:00").
END_LOOKAHEAD = timedelta(days=31)
KEY_PREFIX = "reminder:"
TITLE = "On-call reminder"

_ONE_US = timedelta(microseconds=1)
_ONE_S = timedelta(seconds=1)


# ------------------------------------------------------------------ settings


async def set_reminder(user_id: int, before_minutes: int | None) -> int | None:
    """Choose when ``user_id`` is reminded (minutes before each shift), or None for never.

    Returns the stored value. Raises BadInput for a value outside ``ALLOWED_BEFORE`` and
    NotFound for an unknown user.
    """
    if before_minutes is not None and (
        isinstance(before_minutes, bool) or not isinstance(before_minutes, int) or before_minutes not in ALLOWED_BEFORE
    ):
        allowed = ", ".join(str(m) for m in ALLOWED_BEFORE)
        raise BadInput(f"beforeMin must be one of {allowed} (minutes before a shift starts), got {before_minutes!r}")
    if not await User.exists(id=user_id):
        raise NotFound("User not found")
    if before_minutes is None:
        await ReminderSetting.filter(user_id=user_id).delete()
        return None
    # Update first: two concurrent first-time settings race on the unique user, and the loser
    # updates the winner's row instead of failing.
    for _ in range(2):
        if await ReminderSetting.filter(user_id=user_id).update(before_minutes=before_minutes):
            return before_minutes
        try:
            async with in_transaction():  # a savepoint when the caller has a transaction open
                await ReminderSetting.create(user_id=user_id, before_minutes=before_minutes)
            return before_minutes
        except IntegrityError:
            continue
    raise RuntimeError("could not store the reminder setting")


async def get_reminder(user_id: int) -> int | None:
    """The user's reminder time in minutes, or None when they get no reminders."""
    values = await ReminderSetting.filter(user_id=user_id).values_list("before_minutes", flat=True)
    return int(values[0]) if values else None


# -------------------------------------------------------------- pure helpers


def dedup_key(user_id: int, schedule_id: int, start: datetime) -> str:
    return f"{KEY_PREFIX}{user_id}:{schedule_id}:{int(start.timestamp())}"


def parse_dedup_key(key: str) -> tuple[int, int, datetime] | None:
    """(user, schedule, start floored to the second), or None for a key of another kind."""
    if not key.startswith(KEY_PREFIX):
        return None
    try:
        user, schedule, epoch = (int(part) for part in key[len(KEY_PREFIX) :].split(":"))
    except ValueError:
        return None
    return user, schedule, datetime.fromtimestamp(epoch, tz=UTC)


def period_starts(compiled: CompiledSchedule, lo: datetime, hi: datetime) -> list[tuple[int, datetime]]:
    """(user, instant) for every on-call period that starts in ``[lo, hi)``.

    The query begins a microsecond before ``lo`` so that a shift starting exactly at ``lo``
    is compared with whoever was on call just before it; final_shifts clips the first piece to
    the query start, so that piece never counts as a start itself.
    """
    out: list[tuple[int, datetime]] = []
    prev_user: int | None = None
    prev_end: datetime | None = None
    for shift in compiled.final_shifts(lo - _ONE_US, hi):
        continues = shift.user_id == prev_user and shift.start == prev_end
        if not continues and shift.start >= lo:
            out.append((shift.user_id, shift.start))
        prev_user, prev_end = shift.user_id, shift.end
    return out


def period_end(compiled: CompiledSchedule, user_id: int, start: datetime, limit: datetime) -> datetime | None:
    """When the period of ``user_id`` that starts at ``start`` ends, or None if not before
    ``limit``. Looks a week at a time: most periods end within days."""
    cursor = start
    while cursor < limit:
        chunk_end = min(cursor + timedelta(days=7), limit)
        for shift in compiled.final_shifts(cursor, chunk_end):
            if shift.start != cursor or shift.user_id != user_id:
                return cursor
            cursor = shift.end
        if cursor < chunk_end:
            return cursor
    return None


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local(at: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    return f"{local:%a %d %b %H:%M} {local.tzname()}"


def in_zone(at: datetime, timezone: str) -> str:
    """``at`` as a user in ``timezone`` reads it ("Thu 26 Nov 09:00 CET"); unknown zones read as UTC."""
    return _local(at, _zone(timezone))


def reminder_text(before_minutes: int, schedule_name: str, start: datetime, end: datetime | None, timezone: str) -> str:
    """The reminder's body, times in the user's zone."""
    zone = _zone(timezone)
    lead = "You are on call now" if before_minutes == 0 else f"You are on call in {before_minutes} minutes"
    when = f"from {_local(start, zone)} to {_local(end, zone)}" if end is not None else (
        f"from {_local(start, zone)}, with no end in the next {END_LOOKAHEAD.days} days"
    )
    return f"{lead}: {schedule_name} {when}"


# ---------------------------------------------------------------- planning


@dataclass(frozen=True, slots=True)
class _Candidate:
    key: str
    user_id: int
    schedule_id: int
    start: datetime
    before: int

    @property
    def due_at(self) -> datetime:
        return self.start - timedelta(minutes=self.before)


async def _load_specs(lo: datetime, hi: datetime) -> tuple[dict[int, ScheduleSpec], dict[int, str]]:
    """Every schedule as the math needs it for questions inside ``[lo, hi)``, and its name (one
    query; only the overrides and static shifts that touch the window: this runs on every tick
    of every worker)."""
    loaded = await load_schedules(None, (lo, hi))
    return {sid: s.spec for sid, s in loaded.items()}, {sid: s.name for sid, s in loaded.items()}


def _compile_all(specs: dict[int, ScheduleSpec]) -> dict[int, CompiledSchedule]:
    """Compiled schedules; a schedule the math refuses (a bad zone or rotation in the
    database) is logged and left out rather than stopping everyone's reminders."""
    compiled: dict[int, CompiledSchedule] = {}
    for sid, spec in specs.items():
        try:
            compiled[sid] = compile_schedule(spec)
        except ValueError:
            log.warning("schedule %s cannot be computed; no reminders for it", sid, exc_info=True)
    return compiled


def _still_valid(compiled: dict[int, CompiledSchedule], setting: dict[int, int], key: str, now: datetime) -> bool:
    """Is a reminder waiting in the outbox still right: reminders on, and the schedule still
    starts the user's period at that instant?"""
    parsed = parse_dedup_key(key)
    if parsed is None:
        return True
    user_id, schedule_id, start_floor = parsed
    if user_id not in setting:
        return False
    if start_floor < now:
        return True  # a retry after the start: the loaded schedule data may not reach back
    schedule = compiled.get(schedule_id)
    if schedule is None:
        return False
    try:
        # The key keeps whole seconds, so look for the start within that second.
        return any(u == user_id for u, _ in period_starts(schedule, start_floor, start_floor + _ONE_S))
    except ValueError:
        return True


def _candidates(
    compiled: dict[int, CompiledSchedule], setting: dict[int, int], befores: list[int], now: datetime, horizon: timedelta
) -> dict[str, _Candidate]:
    """Every (user, schedule, period start) whose reminder falls in ``[now, now + horizon)``.

    One look per schedule covers every reminder time at once (from the earliest window to the
    latest), so the work grows with the number of schedules, not of users; each start found is
    kept if its user's own reminder time puts it in that user's window.
    """
    out: dict[str, _Candidate] = {}
    if not befores:
        return out
    first = now + timedelta(minutes=befores[0])
    last = now + timedelta(minutes=befores[-1]) + horizon
    for sid, schedule in compiled.items():
        try:
            starts = period_starts(schedule, first, last)
        except ValueError:
            log.warning("schedule %s cannot be computed; no reminders for it", sid, exc_info=True)
            continue
        for user_id, start in starts:
            before = setting.get(user_id)
            if before is None:
                continue
            window_start = now + timedelta(minutes=before)
            if window_start <= start < window_start + horizon:
                key = dedup_key(user_id, sid, start)
                out[key] = _Candidate(key, user_id, sid, start, before)
    return out


async def plan_reminders(now: datetime, horizon: timedelta = DEFAULT_HORIZON) -> int:
    """Write the reminders due in ``[now, now + horizon)``; returns how many were new.

    Safe to run on every tick of every worker at once: the outbox's unique key admits one row
    per (user, schedule, period start), and only rows this call really inserted are woken.
    Call it more often than ``horizon`` (the sweeper runs every few seconds): a period whose
    reminder time falls between two calls further apart than ``horizon`` is not reminded.
    """
    setting: dict[int, int] = {
        int(uid): int(before) for uid, before in await ReminderSetting.all().values_list("user_id", "before_minutes")
    }
    waiting = await Notification.filter(
        status=NotificationStatus.PENDING, kind=NotificationKind.INFO, due_at__gt=now, dedup_key__startswith=KEY_PREFIX
    ).values_list("id", "dedup_key")
    if not setting and not waiting:
        return 0

    befores = sorted(set(setting.values()))
    lo = now - timedelta(minutes=1)
    hi = now + timedelta(minutes=max(befores, default=0)) + horizon + END_LOOKAHEAD
    specs, names = await _load_specs(lo, hi)
    compiled = _compile_all(specs)

    stale = [nid for nid, key in waiting if not _still_valid(compiled, setting, key, now)]
    if stale:
        await Notification.filter(id__in=stale, status=NotificationStatus.PENDING).update(
            status=NotificationStatus.SKIPPED, last_error="no longer on call at that time, or reminders turned off"
        )

    candidates = _candidates(compiled, setting, befores, now, horizon)
    if not candidates:
        return 0
    existing = set(await Notification.filter(dedup_key__in=list(candidates)).values_list("dedup_key", flat=True))
    new = [c for c in candidates.values() if c.key not in existing]
    if not new:
        return 0

    zones = dict(await User.filter(id__in=list({c.user_id for c in new})).values_list("id", "timezone"))
    created = 0
    async with unit_of_work() as effects:
        for c in sorted(new, key=lambda item: (item.due_at, item.key)):
            end = period_end(compiled[c.schedule_id], c.user_id, c.start, c.start + END_LOOKAHEAD)
            try:
                # A savepoint per row: losing a race to another worker (unique key) undoes only
                # that row, and on PostgreSQL keeps the transaction usable.
                async with in_transaction():
                    row = await Notification.create(
                        dedup_key=c.key,
                        user_id=c.user_id,
                        kind=NotificationKind.INFO,
                        channel=Channel.PUSH,
                        due_at=c.due_at,
                        title=TITLE,
                        body=reminder_text(c.before, names[c.schedule_id], c.start, end, zones.get(c.user_id, "UTC")),
                        created_at=now,
                    )
            except IntegrityError:
                continue  # another worker wrote it first, or the user is gone
            effects.wake_notification(row.id, c.due_at, row.channel)
            created += 1
    return created
