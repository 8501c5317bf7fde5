"""On-call reminders, on SQLite and PostgreSQL: one push per shift start however often and
however concurrently the tick runs, at the chosen time before the start, in the user's own
time zone, following overrides, and never late."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from pagerline.engine.people.accounts import create_user
from pagerline.engine.core.effects import Effects, set_dispatcher
from pagerline.engine.core.errors import BadInput, NotFound
from pagerline.engine.schedules.reminders import ALLOWED_BEFORE, TITLE, get_reminder, plan_reminders, set_reminder
from pagerline.engine.sweeper import sweep_once
from pagerline.models import (
    Device,
    Notification,
    NotificationStatus,
    Platform,
    PushProvider,
    Schedule,
    ScheduleKind,
    ScheduleLayer,
    ScheduleOverride,
    User,
)
from pagerline.models.reminders import ReminderSetting
from tests.support.seed import Org, seed_org
from tests.support.transports import ScriptedTransport, ctx

DAY = datetime(2026, 11, 26, tzinfo=UTC)  # a Thursday
STEP = timedelta(seconds=30)


def at(hour: int, minute: int = 0, second: int = 0, day: datetime = DAY) -> datetime:
    return day.replace(hour=hour, minute=minute, second=second)


async def add_carol(org: Org) -> int:
    carol = await create_user("carol@ops.test", "Carol", "carol-password", team_names=["Ops"])
    await Device.create(user=carol, platform=Platform.IOS, provider=PushProvider.CONSOLE, token="console-carol@ops.test")
    return carol.id


async def schedule_with(name: str, starts_on: datetime, rotation: str, user_ids: list[int]) -> Schedule:
    schedule = await Schedule.create(name=name, timezone="UTC", kind=ScheduleKind.RECURRING)
    await ScheduleLayer.create(schedule=schedule, position=0, starts_on=starts_on, rotation=rotation, user_ids=user_ids)
    return schedule


class RecordingDispatcher:
    """Stands in for the queue: remembers which notifications were woken after commit."""

    def __init__(self) -> None:
        self.woken: list[int] = []

    async def dispatch(self, effects: Effects) -> None:
        self.woken.extend(wake.notification_id for wake in effects.notifications)


async def reminders() -> list[Notification]:
    return await Notification.filter(dedup_key__startswith="reminder:").order_by("due_at", "id")


async def run_ticks(
    start: datetime, end: datetime, transport: ScriptedTransport, step: timedelta = timedelta(minutes=1)
) -> list[tuple[datetime, int, str]]:
    """The worker loop, with time moved by hand: plan, then sweep, every ``step``. Returns
    (when, user, text) for every reminder sent (the sweeps' on-call change pushes left out)."""
    sent: list[tuple[datetime, int, str]] = []
    now = start
    while now <= end:
        await plan_reminders(now)
        before = len(transport.sent)
        await sweep_once(now, ctx(transport))
        sent.extend((now, m.user_id, m.body) for m in transport.sent[before:] if m.title == TITLE)
        now += step
    return sent


async def test_one_reminder_per_shift_start_however_often_and_concurrently_planned(db: str) -> None:
    org = await seed_org()
    carol_id = await add_carol(org)
    # Hourly turns from 07:00 UTC: Carol 07-08, Alice 08-09, Bob 09-10, Carol 10-11, ...
    await schedule_with("Primary", at(7), "PT1H", [carol_id, org.alice_id, org.bob_id])
    await User.filter(id=org.alice_id).update(timezone="Europe/Berlin")
    await User.filter(id=org.bob_id).update(timezone="America/New_York")
    assert await set_reminder(org.alice_id, 0) == 0
    assert await set_reminder(org.bob_id, 15) == 15  # Carol has no setting

    dispatcher = RecordingDispatcher()
    set_dispatcher(dispatcher)
    transport = ScriptedTransport()
    created: list[int] = []
    now = at(6, 50)
    while now <= at(8, 50):  # two hours, every 30 s: two workers at once, then one more
        created.extend(await asyncio.gather(plan_reminders(now), plan_reminders(now)))
        created.append(await plan_reminders(now))
        before = len(transport.sent)
        await sweep_once(now, ctx(transport))
        for message in transport.sent[before:]:
            assert (message.kind, message.channel.value, message.critical) == ("INFO", "PUSH", False)
        now += STEP

    assert sum(created) == 2
    rows = await reminders()
    assert [(r.user_id, r.due_at, r.status) for r in rows] == [  # type: ignore[attr-defined]
        (org.alice_id, at(8), NotificationStatus.SENT),
        (org.bob_id, at(8, 45), NotificationStatus.SENT),
    ]
    assert [(m.user_id, m.title, m.body) for m in transport.sent if m.title == TITLE] == [
        (org.alice_id, "On-call reminder", "You are on call now: Primary from Thu 26 Nov 09:00 CET to Thu 26 Nov 10:00 CET"),
        (org.bob_id, "On-call reminder", "You are on call in 15 minutes: Primary from Thu 26 Nov 04:00 EST to Thu 26 Nov 05:00 EST"),
    ]
    assert {r.sent_at for r in rows} == {at(8), at(8, 45)}  # delivered on time, not a tick later
    # Only the rows really inserted were handed to the queue (the losers of a race wake nothing).
    ids = {r.id for r in rows}
    assert sorted(nid for nid in dispatcher.woken if nid in ids) == sorted(ids)
    assert await Notification.filter(user_id=carol_id, dedup_key__startswith="reminder:").count() == 0


async def test_reminders_follow_overrides_and_a_users_touching_shifts_are_one_start(db: str) -> None:
    org = await seed_org()
    carol_id = await add_carol(org)
    # Daily at 09:00 UTC: Alice on the 25th, Bob on the 26th, Alice on the 27th.
    primary = await schedule_with("Primary", at(9) - timedelta(days=1), "P1D", [org.alice_id, org.bob_id])
    for uid in (org.alice_id, org.bob_id, carol_id):
        await set_reminder(uid, 15)
    # Carol takes the first hour of Bob's day, so Carol starts at 09:00 and Bob at 10:00.
    await ScheduleOverride.create(schedule=primary, user_id=carol_id, start=at(9), end=at(10))
    # In a second schedule Bob's override touches his own layer shift: one period from 08:00.
    secondary = await schedule_with("Secondary", at(9) - timedelta(days=1), "P1D", [org.alice_id, org.bob_id])
    await ScheduleOverride.create(schedule=secondary, user_id=org.bob_id, start=at(8), end=at(9))

    transport = ScriptedTransport()
    sent = await run_ticks(at(7, 30), at(10), transport)

    assert sent == [
        (at(7, 45), org.bob_id, "You are on call in 15 minutes: Secondary from Thu 26 Nov 08:00 UTC to Fri 27 Nov 09:00 UTC"),
        (at(8, 45), carol_id, "You are on call in 15 minutes: Primary from Thu 26 Nov 09:00 UTC to Thu 26 Nov 10:00 UTC"),
        (at(9, 45), org.bob_id, "You are on call in 15 minutes: Primary from Thu 26 Nov 10:00 UTC to Fri 27 Nov 09:00 UTC"),
    ]
    assert await Notification.filter(user_id=org.alice_id, dedup_key__startswith="reminder:").count() == 0


async def test_a_planned_reminder_is_dropped_when_an_override_takes_the_shift(db: str) -> None:
    org = await seed_org()
    carol_id = await add_carol(org)
    primary = await schedule_with("Primary", at(9) - timedelta(days=1), "P1D", [org.alice_id, org.bob_id])
    await set_reminder(org.bob_id, 15)
    await set_reminder(carol_id, 15)
    assert await plan_reminders(at(8, 44)) == 1  # Bob's, due at 08:45
    # A minute before it is due, Carol takes over Bob's first hour.
    await ScheduleOverride.create(schedule=primary, user_id=carol_id, start=at(9), end=at(10))
    assert await plan_reminders(at(8, 44, 30)) == 1  # Carol's
    transport = ScriptedTransport()
    await sweep_once(at(8, 45), ctx(transport))
    assert [(m.user_id, m.body) for m in transport.sent] == [
        (carol_id, "You are on call in 15 minutes: Primary from Thu 26 Nov 09:00 UTC to Thu 26 Nov 10:00 UTC")
    ]
    bob_row = await Notification.get(user_id=org.bob_id)
    assert bob_row.status is NotificationStatus.SKIPPED
    # Bob's real start is now 10:00, and he is reminded for that one.
    assert await plan_reminders(at(9, 44)) == 1
    await sweep_once(at(9, 45), ctx(transport))
    assert transport.sent[-1].user_id == org.bob_id
    assert transport.sent[-1].body.startswith("You are on call in 15 minutes: Primary from Thu 26 Nov 10:00 UTC")


async def test_turning_reminders_off_drops_one_already_planned(db: str) -> None:
    org = await seed_org()
    await schedule_with("Primary", at(9) - timedelta(days=1), "P1D", [org.alice_id, org.bob_id])
    await set_reminder(org.bob_id, 15)
    assert await plan_reminders(at(8, 44)) == 1
    await set_reminder(org.bob_id, None)
    assert await plan_reminders(at(8, 44, 30)) == 0
    transport = ScriptedTransport()
    await sweep_once(at(8, 45), ctx(transport))
    assert transport.sent == []
    assert (await Notification.get(user_id=org.bob_id)).status is NotificationStatus.SKIPPED


async def test_a_start_that_passed_while_nothing_ran_is_not_reminded_late(db: str) -> None:
    org = await seed_org()
    await schedule_with("Primary", at(9) - timedelta(days=1), "P1D", [org.alice_id, org.bob_id])
    await schedule_with("Secondary", at(10) - timedelta(days=1), "P1D", [org.bob_id, org.alice_id])
    await set_reminder(org.bob_id, 15)  # due 08:45 for his 09:00 start in Primary
    await set_reminder(org.alice_id, 15)  # due 09:45 for her 10:00 start in Secondary
    # Nothing runs until 08:46: Bob's reminder time has passed and is not made up for, while
    # Alice's, still ahead, is sent on time.
    transport = ScriptedTransport()
    sent = await run_ticks(at(8, 46), at(10), transport)
    assert [(when, uid) for when, uid, _ in sent] == [(at(9, 45), org.alice_id)]
    assert [r.user_id for r in await reminders()] == [org.alice_id]  # type: ignore[attr-defined]


async def test_the_horizon_bounds_how_early_a_reminder_is_written(db: str) -> None:
    org = await seed_org()
    await schedule_with("Primary", at(9) - timedelta(days=1), "P1D", [org.alice_id, org.bob_id])
    await set_reminder(org.bob_id, 60)
    # Bob starts at 09:00, so his reminder is due at 08:00 and written in the two minutes before.
    assert await plan_reminders(at(7, 58)) == 0
    assert await plan_reminders(at(7, 58, 1)) == 1
    [row] = await reminders()
    assert row.due_at == at(8)
    assert row.body == "You are on call in 60 minutes: Primary from Thu 26 Nov 09:00 UTC to Fri 27 Nov 09:00 UTC"
    assert await plan_reminders(at(8)) == 0
    assert await plan_reminders(at(7, 30), horizon=timedelta(hours=1)) == 0  # already there
    assert await plan_reminders(at(8, 0, 1)) == 0


async def test_only_the_allowed_reminder_times_are_accepted(db: str) -> None:
    org = await seed_org()
    for bad in (5, -15, 1441, 2880, True, 15.0, "15"):
        with pytest.raises(BadInput):
            await set_reminder(org.alice_id, bad)  # type: ignore[arg-type]
    assert await ReminderSetting.all().count() == 0
    for good in ALLOWED_BEFORE:
        assert await set_reminder(org.alice_id, good) == good
        assert await get_reminder(org.alice_id) == good
    assert await ReminderSetting.filter(user_id=org.alice_id).count() == 1
    assert await set_reminder(org.alice_id, None) is None
    assert await get_reminder(org.alice_id) is None
    assert await set_reminder(org.alice_id, None) is None  # removing twice is fine
    with pytest.raises(NotFound):
        await set_reminder(999_999, 15)
    # Two first-time settings at once leave one row with one of the values.
    await asyncio.gather(set_reminder(org.bob_id, 30), set_reminder(org.bob_id, 60))
    assert await ReminderSetting.filter(user_id=org.bob_id).count() == 1
    assert await get_reminder(org.bob_id) in (30, 60)


async def test_many_users_many_schedules_one_reminder_each(db: str) -> None:
    org = await seed_org()
    users = [await create_user(f"user{i}@ops.test", f"User {i}") for i in range(40)]
    # 20 schedules of two users each, all handing off at 09:00 UTC; half remind at 15 min, half at 0.
    for i in range(20):
        first, second = users[2 * i], users[2 * i + 1]
        await schedule_with(f"Team {i}", at(9) - timedelta(days=1), "P1D", [first.id, second.id])
        await set_reminder(second.id, 15 if i % 2 else 0)
        await set_reminder(first.id, 15)  # starts tomorrow: nothing today
    counts = []
    now = at(8, 42)
    while now <= at(9, 1):
        counts += await asyncio.gather(*(plan_reminders(now) for _ in range(3)))
        now += STEP
    assert sum(counts) == 20
    rows = await reminders()
    assert sorted(r.user_id for r in rows) == sorted(users[2 * i + 1].id for i in range(20))  # type: ignore[attr-defined]
    assert {r.due_at for r in rows} == {at(8, 45), at(9)}
    assert org.alice_id not in {r.user_id for r in rows}  # type: ignore[attr-defined]
