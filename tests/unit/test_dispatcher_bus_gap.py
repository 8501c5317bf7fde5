"""The dispatcher across a bus outage: events are held while the bus refuses them and published
in order once it answers; past ``max_held`` the oldest are dropped and one RESYNC carrying
``lost_until`` goes first, which the subscriptions open at the time take as "refetch" (allowing
for the publisher's and the server's clocks to disagree) and later ones ignore. And a late
publish holds back the wake-ups of its batch, so a change is on the bus before what it wakes.

The bus here stands in for Redis (an external service): the in-process bus, refusing every
publish while ``down``. Both clocks are
the test's, so nothing depends on the wall clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from dramatiq.brokers.stub import StubBroker

from pagerline.bus import (
    CLOCK_SKEW_MARGIN,
    RESYNC_EVENT,
    Fanout,
    InProcessBus,
    Subscription,
    is_resync,
    resync_event,
)
from pagerline.engine.core.effects import BusEvent, Effects
from pagerline.models.enums import Channel
from pagerline.workers.actors import declare_actors
from pagerline.workers.dispatcher import QueueDispatcher
from pagerline.workers.queues import channel_queue
from tests.support.polling import wait_until_async

PUSH_QUEUE = channel_queue(Channel.PUSH)

# How soon the dispatcher tries a refusing bus again: short, so the test is quick.
RETRY = 0.01


class FlakyBus(InProcessBus):
    """The in-process bus, but refusing every publish while ``down``, as an unreachable Redis does."""

    def __init__(self, server_clock: Callable[[], float]) -> None:
        super().__init__()
        self.fanout = Fanout(server_clock)
        self.down = True
        self.refusals = 0
        self.published: list[dict[str, Any]] = []
        self._called = asyncio.Event()

    async def publish(self, event: dict[str, Any]) -> None:
        await self.publish_many([event])

    async def publish_many(self, events: list[dict[str, Any]]) -> None:
        self._called.set()
        if self.down:
            self.refusals += 1
            raise ConnectionError("Error 111 connecting to the bus. Connection refused.")
        self.published.extend(events)
        await super().publish_many(events)

    async def ping(self) -> bool:
        return not self.down

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait for the dispatcher's attempts until ``condition`` holds (5 s at most)."""
        async with asyncio.timeout(5):
            while not condition():
                self._called.clear()
                await self._called.wait()


def changes(numbers: Iterable[int]) -> Effects:
    return Effects(events=[BusEvent("alert", "UPDATED", {"alert_id": n}) for n in numbers])


def change(number: int) -> dict[str, Any]:
    return {"topic": "alert", "kind": "UPDATED", "ids": {"alert_id": number}}


def received(sub: Subscription) -> list[dict[str, Any]]:
    events = []
    while not sub.queue.empty():
        events.append(sub.queue.get_nowait())
    return events


def dispatcher_for(bus: FlakyBus, **options: Any) -> QueueDispatcher:
    return QueueDispatcher(declare_actors(StubBroker()), bus, cooldown=RETRY, **options)


async def test_events_held_while_the_bus_refuses_them_are_published_in_order_once_it_answers() -> None:
    bus = FlakyBus(server_clock=lambda: 1_000.0)
    sub = bus.subscribe()
    dispatcher = dispatcher_for(bus)
    try:
        await dispatcher.dispatch(changes(range(2)))
        await bus.until(lambda: bus.refusals >= 1)
        refused_before = bus.refusals
        await dispatcher.dispatch(changes(range(2, 5)))
        await bus.until(lambda: bus.refusals > refused_before)  # the second batch was refused too

        bus.down = False
        await bus.until(lambda: len(bus.published) == 5)
        assert bus.published == [change(n) for n in range(5)]
        assert received(sub) == [change(n) for n in range(5)]  # nothing lost, so no RESYNC
        assert not dispatcher.events_lost
    finally:
        await dispatcher.close()


async def test_past_max_held_the_oldest_are_dropped_and_one_resync_tells_the_subscriptions_open_then() -> None:
    true_now = [1_000.0]
    skew = 2.0  # the server's clock is ahead of the publisher's
    bus = FlakyBus(server_clock=lambda: true_now[0] + skew)
    dispatcher = dispatcher_for(bus, max_held=3, clock=lambda: true_now[0])
    try:
        opened_earlier = bus.subscribe()
        true_now[0] = 1_001.0
        # Opened a second before the loss, but by its server's clock a second after lost_until.
        opened_just_before = bus.subscribe()

        true_now[0] = 1_002.0
        await dispatcher.dispatch(changes(range(5)))  # two more than the dispatcher holds
        await bus.until(lambda: bus.refusals >= 1)
        assert dispatcher.events_lost

        true_now[0] = 1_002.0 + CLOCK_SKEW_MARGIN + 1  # well after the loss, on either clock
        opened_later = bus.subscribe()

        bus.down = False
        await bus.until(lambda: len(bus.published) == 4)
        # The RESYNC first, then the three newest events, in order; the two oldest are gone.
        assert bus.published == [resync_event(1_002.0), change(2), change(3), change(4)]
        assert not dispatcher.events_lost

        await dispatcher.dispatch(changes([5]))
        await bus.until(lambda: len(bus.published) == 5)
        assert bus.published[-1] == change(5)
        assert [is_resync(event) for event in bus.published].count(True) == 1  # exactly one RESYNC

        assert received(opened_earlier) == [RESYNC_EVENT]
        assert received(opened_just_before) == [RESYNC_EVENT]
        assert received(opened_later) == [change(n) for n in (2, 3, 4, 5)]  # missed nothing
    finally:
        await dispatcher.close()


class SlowBus(FlakyBus):
    """Answers, but only once the test lets it: a loaded server whose publish is late."""

    def __init__(self) -> None:
        super().__init__(server_clock=lambda: 1_000.0)
        self.down = False
        self.answer = asyncio.Event()

    async def publish_many(self, events: list[dict[str, Any]]) -> None:
        self._called.set()
        await self.answer.wait()
        await super().publish_many(events)


async def test_the_page_is_woken_only_once_its_change_is_on_the_bus() -> None:
    """A new alert is CREATED on the bus before its first page is woken, however late the
    publish: the worker that sends the page publishes the UPDATED it makes, and subscribers
    must see the alert's CREATED first (with a fixed head start, a publish later than it let
    the UPDATED through first)."""
    bus = SlowBus()
    broker = StubBroker()
    dispatcher = QueueDispatcher(declare_actors(broker), bus, cooldown=RETRY)
    try:
        effects = Effects(events=[BusEvent("alert", "CREATED", {"alert_id": 1})])
        effects.wake_notification(7, datetime.now(UTC), Channel.PUSH)
        await dispatcher.dispatch(effects)
        await bus.until(lambda: True)  # the publish has started
        # The one real wait here: a wake-up sent on a timer (the old 50 ms head start) is what
        # this guards against, and only letting such a timer run out can show it is gone.
        await asyncio.sleep(0.3)
        assert broker.queues[PUSH_QUEUE].qsize() == 0, "the page was woken before its change was published"
        bus.answer.set()
        await wait_until_async(lambda: broker.queues[PUSH_QUEUE].qsize() > 0, timeout=5, what="the wake-up after the publish")
        assert bus.published == [{"topic": "alert", "kind": "CREATED", "ids": {"alert_id": 1}}]
    finally:
        await dispatcher.close()
