"""On-call changes: "You are on call now" / "Your on-call shift ended" pushes, the silent push
that tells a home-screen widget to refresh, and the ``oncall`` bus events behind the
``onCallChanges`` subscription.

Announcing a change, once:

- A *change* is a user starting or ending on-call in one schedule (a handoff to or from them,
  a gap starting or ending). Every worker's sweeper looks at the last ``LOOKBACK`` (5 minutes)
  of every schedule on each tick and announces, per user and schedule, the latest change
  there, so the push always says what is true now (a worker that was down for an hour does not
  replay the hour).
- The outbox row's unique ``dedup_key`` is ``oncall:<user>:<schedule>:<ON|OFF>:<epoch>``: two
  sweepers, overlapping ticks and restarts can only ever write one row per change. Only the
  worker whose insert won wakes the delivery and publishes the bus event.
- The push goes out when the change has happened (due at once; the sweeper runs every few
  seconds), never ahead, so an override made a minute before a handoff is never contradicted
  by a push planned earlier. Users reminded at 0 minutes (``setOnCallReminder(0)``) already
  get "You are on call now" from the reminder and no second "on call" push.
- An edit that changes who is on call *right now* without a change at a point in time (an
  override created that reaches back past the look-back, or deleted while it runs) is
  announced by :func:`override_changed`, called inside the edit's transaction: keyed at the
  instant the sweeper would use if it will see that change, else at the edit's own instant,
  which the sweeper never produces. Deactivating or reactivating someone is announced the same
  way by :func:`absence_changed`, after it commits.

Silent widget refresh: creating or deleting an override, and accepting a coverage request,
plans one content-available push per affected user (those on call, before or after the edit,
anywhere in the part of the edited window that is still to come), keyed
``widget:<user>:<reason>`` so a retried edit cannot send it twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from pagerline.engine.core.effects import Effects, unit_of_work
from pagerline.engine.schedules.calendars import schedules_naming
from pagerline.engine.schedules.oncall import load_schedules
from pagerline.engine.schedules.reminders import END_LOOKAHEAD, in_zone, period_end
from pagerline.engine.schedules.math import CompiledSchedule, Override, ScheduleSpec, compile_schedule
from pagerline.models import Channel, Device, Notification, NotificationKind, ScheduleOverride, User
from pagerline.models.reminders import ReminderSetting

log = logging.getLogger(__name__)

LOOKBACK = timedelta(minutes=5)
CHANGE_PREFIX = "oncall:"
REFRESH_PREFIX = "widget:"
STARTED, ENDED = "ON", "OFF"
TITLES = {STARTED: "On call now", ENDED: "Shift ended"}
REFRESH_TITLE = "Widget refresh"
_US = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Change:
    user_id: int
    schedule_id: int
    direction: str  # STARTED or ENDED
    at: datetime

    @property
    def key(self) -> str:
        return f"{CHANGE_PREFIX}{self.user_id}:{self.schedule_id}:{self.direction}:{int(self.at.timestamp())}"


# --------------------------------------------------------------------------- what delivery sends


@dataclass(frozen=True, slots=True)
class PushExtras:
    """How delivery presents an outbox row that is not about an alert."""

    silent: bool = False
    collapse_id: str = ""
    data: dict[str, str] | None = None


def push_extras(dedup_key: str) -> PushExtras:
    """Silent for widget refreshes; an ``event`` for the app to act on, and one collapse id per
    schedule so a newer on-call push replaces an older one on the lock screen."""
    if dedup_key.startswith(REFRESH_PREFIX):
        return PushExtras(silent=True, collapse_id="widget-refresh", data={"event": "widget_refresh"})
    if dedup_key.startswith(CHANGE_PREFIX):
        _, _, schedule_id, direction, _ = dedup_key.split(":")
        event = "oncall_started" if direction == STARTED else "oncall_ended"
        return PushExtras(collapse_id=f"oncall-{schedule_id}", data={"event": event, "schedule_id": schedule_id})
    return PushExtras()


# --------------------------------------------------------------------------- finding changes


def latest_changes(compiled: CompiledSchedule, schedule_id: int, lo: datetime, hi: datetime) -> dict[int, Change]:
    """User → their latest change in one schedule within ``(lo, hi]``."""
    out: dict[int, Change] = {}
    for at in compiled.handoffs(lo, hi + _US):
        before, after = compiled.on_call(at - _US), compiled.on_call(at)
        if before is not None:
            out[before] = Change(before, schedule_id, ENDED, at)
        if after is not None:
            out[after] = Change(after, schedule_id, STARTED, at)
    return out


def _compile(schedule_id: int, spec: ScheduleSpec) -> CompiledSchedule | None:
    try:
        return compile_schedule(spec)
    except ValueError:  # a bad zone or rotation in the database: the others still announce
        log.warning("schedule %s cannot be computed; no on-call pushes for it", schedule_id, exc_info=True)
        return None


async def announce_oncall_changes(now: datetime) -> int:
    """The sweeper's step: write the pushes for changes in the last ``LOOKBACK``; returns how
    many were new. Safe on every tick of every worker at once."""
    lo = now - LOOKBACK
    changes: list[Change] = []
    for sid, schedule in (await load_schedules(None, (lo - _US, now + _US))).items():
        compiled = _compile(sid, schedule.spec)
        if compiled is not None:
            changes += latest_changes(compiled, sid, lo, now).values()
    if not changes:
        return 0
    existing = set(await Notification.filter(dedup_key__in=[c.key for c in changes]).values_list("dedup_key", flat=True))
    new = [c for c in changes if c.key not in existing]
    if not new:
        return 0
    at_zero = set(await ReminderSetting.filter(user_id__in=[c.user_id for c in new], before_minutes=0).values_list("user_id", flat=True))
    new = [c for c in new if not (c.direction == STARTED and c.user_id in at_zero)]
    async with unit_of_work() as effects:
        return await _write(new, now, effects)


async def _write(changes: list[Change], now: datetime, effects: Effects) -> int:
    """One outbox row per change (a savepoint each: losing the race to another worker undoes
    only that row), then the wake-up and the bus event for the rows this call inserted."""
    if not changes:
        return 0
    schedule_ids = sorted({c.schedule_id for c in changes})
    loaded = await load_schedules(schedule_ids, (now, now + END_LOOKAHEAD))
    zones = dict(await User.filter(id__in=list({c.user_id for c in changes})).values_list("id", "timezone"))
    written = 0
    for change in sorted(changes, key=lambda c: (c.at, c.direction != ENDED, c.key)):  # who hands over first
        schedule = loaded.get(change.schedule_id)
        if schedule is None or change.user_id not in zones:
            continue
        body = _text(change, schedule.name, schedule.spec, now, str(zones[change.user_id]))
        try:
            async with in_transaction():
                row = await Notification.create(
                    dedup_key=change.key, user_id=change.user_id, kind=NotificationKind.INFO, channel=Channel.PUSH,
                    due_at=now, title=TITLES[change.direction], body=body, created_at=now,
                )
        except IntegrityError:
            continue
        effects.wake_notification(row.id, now, row.channel)
        effects.publish(
            "oncall", "STARTED" if change.direction == STARTED else "ENDED",
            schedule_ids=[change.schedule_id], user_id=change.user_id, at=int(change.at.timestamp()),
        )
        written += 1
    return written


def _text(change: Change, name: str, spec: ScheduleSpec, now: datetime, timezone: str) -> str:
    if change.direction == ENDED:
        return f"Your on-call shift ended: {name}"
    compiled = _compile(change.schedule_id, spec)
    end = period_end(compiled, change.user_id, now, now + END_LOOKAHEAD) if compiled is not None else None
    until = f" until {in_zone(end, timezone)}" if end is not None else f", with no end in the next {END_LOOKAHEAD.days} days"
    return f"You are on call now: {name}{until}"


# --------------------------------------------------------------------------- edits


async def refresh_widgets(user_ids: set[int], reason: str, now: datetime, effects: Effects) -> None:
    """A silent push to each of ``user_ids`` with an active device, once per ``reason``."""
    with_device = set(await Device.filter(user_id__in=list(user_ids), active=True).values_list("user_id", flat=True))
    for user_id in sorted(with_device):
        try:
            async with in_transaction():
                row = await Notification.create(
                    dedup_key=f"{REFRESH_PREFIX}{user_id}:{reason}"[:200], user_id=user_id, kind=NotificationKind.INFO,
                    channel=Channel.PUSH, due_at=now, title=REFRESH_TITLE, body="", created_at=now,
                )
        except IntegrityError:
            continue
        effects.wake_notification(row.id, now, row.channel)


def _without(spec: ScheduleSpec, override_id: int) -> ScheduleSpec:
    return replace(spec, overrides=tuple(o for o in spec.overrides if o.id != override_id))


def _with(spec: ScheduleSpec, override: ScheduleOverride) -> ScheduleSpec:
    restored = Override(override.user_id, override.start, override.end, override.id)  # type: ignore[attr-defined]
    return replace(spec, overrides=tuple(sorted((*spec.overrides, restored), key=lambda o: o.id or 0)))


async def override_changed(override: ScheduleOverride, now: datetime, effects: Effects, *, removed: bool) -> None:
    """Inside the transaction that created (or deleted) ``override``: silent widget refreshes
    for the affected users, and the on-call pushes for a change the edit made right now."""
    schedule_id: int = override.schedule_id  # type: ignore[attr-defined]
    lo = now - LOOKBACK
    loaded = (await load_schedules([schedule_id], (lo - _US, max(override.end, now + END_LOOKAHEAD)))).get(schedule_id)
    if loaded is None:
        return
    after = loaded.spec
    before = _with(after, override) if removed else _without(after, override.id)
    old, new = _compile(schedule_id, before), _compile(schedule_id, after)
    if old is None or new is None:
        return

    start = max(override.start, now)
    if start < override.end:
        affected = {s.user_id for c in (old, new) for s in c.final_shifts(start, override.end)}
        await refresh_widgets(affected, f"override:{override.id}:{'deleted' if removed else 'created'}", now, effects)

    await _announce_now(schedule_id, old, new, now, effects)


async def _announce_now(
    schedule_id: int, old: CompiledSchedule, new: CompiledSchedule, now: datetime, effects: Effects, quiet: frozenset[int] = frozenset()
) -> None:
    """The on-call pushes for a change an edit made right now (``old`` → ``new``), but to the
    ``quiet`` users."""
    was, becomes = old.on_call(now), new.on_call(now)
    if was == becomes:
        return
    seen = latest_changes(new, schedule_id, now - LOOKBACK, now)
    changes = []
    for user_id, direction in ((was, ENDED), (becomes, STARTED)):
        if user_id is None or user_id in quiet:
            continue
        change = seen.get(user_id)
        if change is None or change.direction != direction or await Notification.exists(dedup_key=change.key):
            change = Change(user_id, schedule_id, direction, now)  # no instant the sweeper announces
        changes.append(change)
    await _write(changes, now, effects)


async def absence_changed(user_id: int, now: datetime, *, absent: bool) -> None:
    """After ``user_id`` was deactivated (``absent``) or reactivated, once committed: in each
    schedule naming them, the on-call pushes for whoever starts or stops being on call right now
    because of it (never to a deactivated user), and a silent widget refresh for everyone on
    call there, before or after, in the look-ahead."""
    schedule_ids = await schedules_naming(user_id, now, now + END_LOOKAHEAD)
    if not schedule_ids:
        return
    loaded = await load_schedules(schedule_ids, (now - LOOKBACK - _US, now + END_LOOKAHEAD))
    quiet = frozenset({user_id}) if absent else frozenset()
    async with unit_of_work() as effects:
        for schedule_id, schedule in sorted(loaded.items()):
            after = schedule.spec
            before = replace(after, absent=after.absent - {user_id} if absent else after.absent | {user_id})
            old, new = _compile(schedule_id, before), _compile(schedule_id, after)
            if old is None or new is None:
                continue
            affected = {s.user_id for c in (old, new) for s in c.final_shifts(now, now + END_LOOKAHEAD)} - quiet
            reason = f"user:{user_id}:{'deactivated' if absent else 'reactivated'}:{int(now.timestamp() * 1000)}"
            await refresh_widgets(affected, reason, now, effects)
            await _announce_now(schedule_id, old, new, now, effects, quiet)
