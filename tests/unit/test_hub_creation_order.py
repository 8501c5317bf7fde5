"""A new thing's CREATED reaches subscribers before any other event about it.

The server that commits a new alert and a worker that pages it publish from two processes; on a
loaded machine the worker's UPDATED can reach the bus first (CI saw a subscriber get UPDATED
then CREATED). The hub of the receiving server holds such an event until the CREATED has gone
out, for at most ``HOLD_SECONDS``; events about things that existed before it listened, or
long ago, are never held; one whose CREATED is later than the hold goes out behind a CREATED in
its place, and the real one is then an UPDATED. These run the real hub on the real in-process bus; what an event
loads is given by the test, as the GraphQL layer gives it its loader.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pagerline.bus import InProcessBus
from pagerline.engine.people.accounts import Viewer
from pagerline.graphql.core import creation_order
from pagerline.graphql.core.hub import Handoff, Hub
from pagerline.models import Role, TokenKind, User


@dataclass
class Thing:
    id: int
    created_at: datetime


def event(kind: str, alert_id: int) -> dict[str, Any]:
    return {"topic": "alert", "kind": kind, "ids": {"alert_id": alert_id}}


class World:
    """A hub on an in-process bus with one subscriber, and the things its loader finds."""

    def __init__(self) -> None:
        self.bus = InProcessBus()
        self.hub = Hub(self.bus)
        self.things: dict[int, Thing] = {}
        self.loads = 0
        viewer = Viewer(User(id=1, role=Role.USER, email="a@ops.test", name="A"), TokenKind.SESSION, 1, frozenset({1}))
        self.member = self.hub.join("alert", viewer, self.load, lambda _viewer, thing: thing, ("document",))

    async def load(self, ids: dict[str, Any]) -> Thing | None:
        self.loads += 1
        return self.things.get(ids["alert_id"])

    def new(self, alert_id: int, age: timedelta = timedelta(0)) -> None:
        self.things[alert_id] = Thing(alert_id, datetime.now(UTC) - age)

    async def publish(self, *events: dict[str, Any]) -> None:
        for one in events:
            await self.bus.publish(one)
        await idle()  # the hub's reader routes them



    async def received(self) -> list[tuple[str, int]]:
        """(kind, alert id) of each event handed to the subscriber so far, each run at once."""
        got: list[tuple[str, int]] = []
        while not self.member.subscription.queue.empty():
            item = self.member.subscription.queue.get_nowait()
            assert isinstance(item, Handoff)
            got.append((item.event["kind"], item.event["ids"]["alert_id"]))
            item.finish(abandoned=True)  # done: the hub hands the group its next event
            await asyncio.sleep(0)
        return got

    def close(self) -> None:
        self.hub.leave(self.member)


async def idle() -> None:
    """Let every ready task run: the in-process bus, the hub and the loader (all in memory)
    need loop turns, never wall-clock time."""
    for _ in range(50):
        await asyncio.sleep(0)


def run(scenario: Any) -> None:
    asyncio.run(scenario())


def test_an_update_that_arrives_before_its_created_goes_out_after_it() -> None:
    async def scenario() -> None:
        world = World()
        await idle()  # the hub listens
        world.new(7)
        await world.publish(event("UPDATED", 7), event("ACCEPTED", 7))  # the worker's, first
        assert await world.received() == []  # held: the subscriber has not heard of alert 7
        await world.publish(event("CREATED", 7))
        assert await world.received() == [("CREATED", 7), ("UPDATED", 7), ("ACCEPTED", 7)]
        world.close()

    run(scenario)


def test_what_was_held_is_loaded_again_after_the_created() -> None:
    # A held event's first load is older than what the CREATED shows: sent after it, it would
    # take the subscriber's view back in time. So it is loaded again.
    async def scenario() -> None:
        world = World()
        await idle()
        world.new(7)
        await world.publish(event("UPDATED", 7))
        loads_before = world.loads
        await world.publish(event("CREATED", 7))
        assert world.loads == loads_before + 2  # the CREATED's, and the held UPDATED's again
        assert [kind for kind, _ in await world.received()] == ["CREATED", "UPDATED"]
        world.close()

    run(scenario)


def test_an_update_whose_created_is_late_goes_out_after_the_hold_behind_a_created_in_its_place(monkeypatch: Any) -> None:
    monkeypatch.setattr(creation_order, "HOLD_SECONDS", 0.3)

    async def scenario() -> None:
        world = World()
        await idle()
        world.new(8)
        await world.publish(event("UPDATED", 8))
        assert await world.received() == []
        # Past the hold (0.3 s here): the loop's timer releases the held event before this one
        # wakes, as timers run in the order they fall due; nothing depends on how long it took.
        await asyncio.sleep(0.5)
        assert await world.received() == [("CREATED", 8), ("UPDATED", 8)]  # one in its place first
        await world.publish(event("CREATED", 8), event("ACCEPTED", 8))  # the real one, late
        assert await world.received() == [("UPDATED", 8), ("ACCEPTED", 8)]  # never a second CREATED
        world.close()

    run(scenario)


def test_events_about_things_older_than_the_hub_or_a_minute_are_never_held() -> None:
    async def scenario() -> None:
        world = World()
        world.new(1, age=timedelta(seconds=1))  # created before the hub listened
        await idle()
        world.new(2, age=timedelta(minutes=2))  # long ago (by its created_at)
        world.new(3)
        await world.publish(event("UPDATED", 1), event("RESOLVED", 2), event("CREATED", 3), event("UPDATED", 3))
        assert await world.received() == [("UPDATED", 1), ("RESOLVED", 2), ("CREATED", 3), ("UPDATED", 3)]
        world.close()

    run(scenario)


def test_a_created_routed_while_nobody_listened_to_its_topic_still_counts() -> None:
    # The CREATED of an alert came while the hub had no alert subscriber (only another topic's):
    # an alert subscriber joining later must not have that alert's next event held.
    async def scenario() -> None:
        world = World()
        await idle()
        world.hub.leave(world.member)
        other = world.hub.join("coverage", world.member.viewer, world.load, lambda _v, thing: thing, ("other",))
        await idle()
        world.new(9)
        await world.publish(event("CREATED", 9))
        world.member = world.hub.join("alert", world.member.viewer, world.load, lambda _v, thing: thing, ("document",))
        await world.publish(event("UPDATED", 9))
        assert await world.received() == [("UPDATED", 9)]
        world.hub.leave(other)
        world.close()

    run(scenario)


def test_events_naming_lists_of_ids_pass() -> None:
    # On-call changes name a list of schedules: what an event is about must still be a key.
    async def scenario() -> None:
        world = World()
        await idle()
        world.new(4)
        changed = {"topic": "alert", "kind": "CHANGED", "ids": {"alert_id": 4, "schedule_ids": [1, 2]}}
        await world.publish(changed)
        assert await world.received() == []  # held like any other: about something new
        await world.publish({**changed, "kind": "CREATED"})
        assert [kind for kind, _ in await world.received()] == ["CREATED", "CHANGED"]
        world.close()

    run(scenario)
