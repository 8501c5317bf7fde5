"""One publication per changed thing of a dispatch batch.

Subscribers load what an event names when it arrives, after every commit of the batch, so one
event per alert already shows all of the batch's changes to it: an UPDATED next to another
event of the same alert, and an event repeated exactly, are not published again. Kinds other
than UPDATED all stay, in order, since subscriptions may filter by kind."""

from __future__ import annotations

import asyncio

from dramatiq.brokers.stub import StubBroker

from pagerline.bus import InProcessBus
from pagerline.engine.core.effects import BusEvent, Effects, coalesced
from pagerline.workers.actors import declare_actors
from pagerline.workers.dispatcher import QueueDispatcher


def alert(kind: str, alert_id: int) -> BusEvent:
    return BusEvent("alert", kind, {"alert_id": alert_id})


def test_an_updated_beside_another_event_of_the_same_alert_is_dropped() -> None:
    assert coalesced([alert("CREATED", 1), alert("UPDATED", 1)]) == [alert("CREATED", 1)]
    assert coalesced([alert("UPDATED", 1), alert("ACCEPTED", 1), alert("UPDATED", 1)]) == [alert("ACCEPTED", 1)]
    assert coalesced([alert("UPDATED", 1), alert("UPDATED", 1), alert("UPDATED", 2)]) == [alert("UPDATED", 1), alert("UPDATED", 2)]


def test_distinct_kinds_and_other_things_are_kept_in_order() -> None:
    events = [alert("CREATED", 1), alert("UPDATED", 2), alert("ACCEPTED", 1), alert("CREATED", 1), BusEvent("oncall", "UPDATED", {"alert_id": 1})]
    assert coalesced(events) == [alert("CREATED", 1), alert("UPDATED", 2), alert("ACCEPTED", 1), BusEvent("oncall", "UPDATED", {"alert_id": 1})]


def test_two_commits_dispatched_together_reach_a_subscriber_as_one_event_per_alert() -> None:
    async def scenario() -> list[dict[str, object]]:
        bus = InProcessBus()
        subscription = bus.subscribe()
        dispatcher = QueueDispatcher(declare_actors(StubBroker()), bus)
        created, notified = Effects(), Effects()
        created.publish("alert", "CREATED", alert_id=7)  # the intake's commit
        notified.publish("alert", "UPDATED", alert_id=7)  # the commit recording the page it sent
        await dispatcher.dispatch(created)
        await dispatcher.dispatch(notified)  # both queued before the pump runs: one batch
        await asyncio.sleep(0.05)
        await dispatcher.close()
        return [subscription.queue.get_nowait() for _ in range(subscription.queue.qsize())]

    assert asyncio.run(scenario()) == [{"topic": "alert", "kind": "CREATED", "ids": {"alert_id": 7}}]
