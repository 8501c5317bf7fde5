"""On-call change pushes and silent widget refreshes, on SQLite and PostgreSQL: "You are on call
now" / "Your on-call shift ended" exactly once per change however many sweepers run, never late,
right after an override that changes who is on call now, and a silent push to everyone whose
shifts an override or an accepted coverage request changed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from pagerline.engine.schedules import coverage
from pagerline.engine.people.accounts import create_user
from pagerline.engine.core.effects import Effects, set_dispatcher
from pagerline.engine.schedules.oncall_changes import LOOKBACK, announce_oncall_changes
from pagerline.engine.schedules.reminders import set_reminder
from pagerline.engine.schedules.editing import create_override, delete_override
from pagerline.engine.sweeper import sweep_once
from pagerline.models import Device, Notification, Platform, PushProvider, Role, Schedule, ScheduleKind, ScheduleLayer, User
from tests.support.transports import ScriptedTransport, ctx

HANDOFF = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # Alice hands over to Bob
STEP = timedelta(seconds=2)


class RecordingDispatcher:
    """Stands in for the queue and the bus: what was woken and published after commit."""

    def __init__(self) -> None:
        self.woken: list[int] = []
        self.events: list[tuple[str, str, dict[str, object]]] = []

    async def dispatch(self, effects: Effects) -> None:
        self.woken.extend(wake.notification_id for wake in effects.notifications)
        self.events.extend((e.topic, e.kind, e.ids) for e in effects.events)


async def team() -> tuple[User, User, User, Schedule]:
    alice = await create_user("alice@changes.test", "Alice", "pw-secret", Role.USER, "Europe/Berlin", ["Ops"])
    bob = await create_user("bob@changes.test", "Bob", "pw-secret", Role.USER, "UTC", ["Ops"])
    carol = await create_user("carol@changes.test", "Carol", "pw-secret", Role.USER, "UTC", ["Ops"])
    for person in (alice, bob, carol):
        await Device.create(user=person, platform=Platform.IOS, provider=PushProvider.CONSOLE, token=f"console-{person.email}")
    schedule = await Schedule.create(name="Primary", timezone="UTC", kind=ScheduleKind.RECURRING)
    # Alice on the 25th, Bob on the 26th, Alice on the 27th: daily at 09:00 UTC.
    await ScheduleLayer.create(
        schedule=schedule, position=0, starts_on=HANDOFF - timedelta(days=1), rotation="P1D", user_ids=[alice.id, bob.id]
    )
    return alice, bob, carol, schedule


async def announced() -> list[tuple[int, str, str]]:
    rows = await Notification.filter(dedup_key__startswith="oncall:").order_by("id")
    return [(r.user_id, r.title, r.body) for r in rows]  # type: ignore[attr-defined]


async def refreshes() -> list[tuple[int, str]]:
    rows = await Notification.filter(dedup_key__startswith="widget:").order_by("id")
    return [(r.user_id, r.dedup_key) for r in rows]  # type: ignore[attr-defined]


async def test_a_handoff_is_announced_once_by_concurrent_sweepers(db: str) -> None:
    alice, bob, _, schedule = await team()
    dispatcher = RecordingDispatcher()
    set_dispatcher(dispatcher)
    transport = ScriptedTransport()
    now = HANDOFF - timedelta(seconds=20)
    while now <= HANDOFF + timedelta(minutes=6):  # two workers' sweepers at once, every 2 s
        await asyncio.gather(announce_oncall_changes(now), announce_oncall_changes(now))
        await sweep_once(now, ctx(transport))
        now += STEP

    assert await announced() == [
        (alice.id, "Shift ended", "Your on-call shift ended: Primary"),
        (bob.id, "On call now", "You are on call now: Primary until Fri 27 Nov 09:00 UTC"),
    ]
    sent = {(m.user_id, m.title): m for m in transport.sent}
    assert set(sent) == {(alice.id, "Shift ended"), (bob.id, "On call now")}
    started = sent[(bob.id, "On call now")]
    assert (started.kind, started.critical, started.silent, started.priority) == ("INFO", False, False, "LOW")
    assert started.collapse_id == f"oncall-{schedule.id}"
    assert started.data == {"event": "oncall_started", "schedule_id": str(schedule.id)}
    assert sent[(alice.id, "Shift ended")].data == {"event": "oncall_ended", "schedule_id": str(schedule.id)}
    rows = await Notification.filter(dedup_key__startswith="oncall:")
    assert {r.sent_at for r in rows} == {HANDOFF}  # sent in the sweep right after the change
    # One bus event per change, from whichever worker's insert won.
    changes = [(kind, ids["user_id"]) for topic, kind, ids in dispatcher.events if topic == "oncall"]
    assert sorted(changes) == sorted([("ENDED", alice.id), ("STARTED", bob.id)])


async def test_never_announced_late_and_not_twice_with_a_zero_minute_reminder(db: str) -> None:
    alice, bob, _, _ = await team()
    # No sweeper ran for longer than the look-back: the 09:00 change is not replayed at 09:06.
    assert await announce_oncall_changes(HANDOFF + LOOKBACK + timedelta(minutes=1)) == 0
    assert await announced() == []
    # Bob is reminded "on call now" at the start: the change push would say it a second time.
    await set_reminder(bob.id, 0)
    assert await announce_oncall_changes(HANDOFF + timedelta(seconds=1)) == 1
    assert await announced() == [(alice.id, "Shift ended", "Your on-call shift ended: Primary")]


async def test_an_override_starting_now_is_announced_once(db: str) -> None:
    alice, bob, carol, schedule = await team()
    now = HANDOFF + timedelta(hours=3)
    # "Carol takes over from now" (the app sent a start a few seconds back).
    await create_override(carol, schedule.id, carol.id, now - timedelta(seconds=7), now + timedelta(hours=2), now=now)
    after_edit = await announced()
    for tick in range(5):
        await announce_oncall_changes(now + tick * STEP)
    assert await announced() == after_edit == [
        (bob.id, "Shift ended", "Your on-call shift ended: Primary"),
        (carol.id, "On call now", "You are on call now: Primary until Thu 26 Nov 14:00 UTC"),
    ]
    # When it runs out, the sweeper hands back to Bob.
    await announce_oncall_changes(now + timedelta(hours=2, seconds=1))
    assert (await announced())[2:] == [
        (carol.id, "Shift ended", "Your on-call shift ended: Primary"),
        (bob.id, "On call now", "You are on call now: Primary until Fri 27 Nov 09:00 UTC"),
    ]


async def test_edits_that_change_who_is_on_call_now_without_a_handoff(db: str) -> None:
    alice, bob, carol, schedule = await team()
    now = HANDOFF + timedelta(hours=3)
    # An override that reaches back an hour: no change in the sweeper's look-back, still news.
    override = await create_override(carol, schedule.id, carol.id, now - timedelta(hours=1), now + timedelta(hours=1), now=now)
    assert await announced() == [
        (bob.id, "Shift ended", "Your on-call shift ended: Primary"),
        (carol.id, "On call now", "You are on call now: Primary until Thu 26 Nov 13:00 UTC"),
    ]
    # Deleted while it runs: Bob is on call again, Carol is not.
    later = now + timedelta(minutes=30)
    await delete_override(carol, override.id, now=later)
    for tick in range(5):
        await announce_oncall_changes(later + tick * STEP)
    assert (await announced())[2:] == [
        (carol.id, "Shift ended", "Your on-call shift ended: Primary"),
        (bob.id, "On call now", "You are on call now: Primary until Fri 27 Nov 09:00 UTC"),
    ]
    # An override in the future changes nobody's present: nothing announced yet.
    await create_override(carol, schedule.id, carol.id, later + timedelta(hours=5), later + timedelta(hours=6), now=later)
    assert len(await announced()) == 4


async def test_widgets_refresh_silently_when_shifts_change(db: str) -> None:
    alice, bob, carol, schedule = await team()
    now = HANDOFF - timedelta(days=1)  # Alice's day
    transport = ScriptedTransport()
    override = await create_override(carol, schedule.id, carol.id, now + timedelta(hours=30), now + timedelta(hours=31), now=now)
    # 15:00–16:00 on the 26th was Bob's: Bob loses it, Carol gets it; Alice is not concerned.
    assert await refreshes() == [
        (bob.id, f"widget:{bob.id}:override:{override.id}:created"),
        (carol.id, f"widget:{carol.id}:override:{override.id}:created"),
    ]
    await sweep_once(now, ctx(transport))
    silent = [m for m in transport.sent if m.silent]
    assert sorted(m.user_id for m in silent) == sorted([bob.id, carol.id])
    assert all(m.data == {"event": "widget_refresh"} and m.collapse_id == "widget-refresh" for m in silent)

    await delete_override(carol, override.id, now=now)
    request = await coverage.request_coverage(alice.id, now + timedelta(hours=2), now + timedelta(hours=4), now, recipient_ids=[bob.id])
    await coverage.accept_coverage(request.id, bob.id, now)
    keys = [key for _, key in await refreshes()]
    assert keys[2:] == [
        f"widget:{bob.id}:override:{override.id}:deleted",
        f"widget:{carol.id}:override:{override.id}:deleted",
        f"widget:{alice.id}:coverage:{request.id}",
        f"widget:{bob.id}:coverage:{request.id}",
    ]
    # An override wholly in the past changes no widget.
    await create_override(carol, schedule.id, carol.id, now - timedelta(hours=3), now - timedelta(hours=2), now=now)
    assert len(await refreshes()) == 6


async def test_a_browser_gets_no_silent_refresh_but_the_on_call_push(db: str) -> None:
    # A browser must show every push it receives; the widget refresh is for phones only.
    alice, bob, carol, schedule = await team()
    await Device.create(
        user=bob, platform=Platform.WEB, provider=PushProvider.WEB_PUSH, token="https://push.example/bob",
        webpush_p256dh="p", webpush_auth="a",
    )
    now = HANDOFF - timedelta(days=1)
    transport = ScriptedTransport()
    await create_override(carol, schedule.id, carol.id, now + timedelta(hours=30), now + timedelta(hours=31), now=now)
    await sweep_once(now, ctx(transport))
    to_bob = [m for m in transport.sent if m.silent and m.user_id == bob.id]
    assert [m.destination.provider for m in to_bob] == ["CONSOLE"]

    # "You are on call now" is a visible push: it reaches his browser as well as his phone.
    await announce_oncall_changes(HANDOFF + STEP)
    await sweep_once(HANDOFF + STEP, ctx(transport))
    visible = [m for m in transport.sent if not m.silent and m.user_id == bob.id]
    assert sorted(m.destination.provider for m in visible) == ["CONSOLE", "WEB_PUSH"]
