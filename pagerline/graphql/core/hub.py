"""Routing bus events to the subscriptions of this process, one group of alike ones at a time.

The hub is the process's one reader of the bus for subscriptions. For each event it loads what
the event names once, asks each subscription's viewer what they may see of it, and groups the
subscriptions that would get the same result: the same operation (document, operation name,
variables), the same audience (role and teams) and the same object shown. One member of each
group (the one with the least queued) is *handed* the event and runs it through Strawberry as
any subscription does; its execution is serialized once (:mod:`pagerline.graphql.core.fanout`)
and the other members get those bytes, which each writes to its own socket with its own
subscription id. So the cost per event is one execution per group plus one socket write per
subscriber, not an execution, a Strawberry pipeline and an encoding per subscriber.

When a result cannot be shared (it has errors, or it read who its viewer is rather than what
they may see), or the member handed the event went away before running it, every other member
is handed the event and runs it itself (executions stay shared per user, see ``fanout``).

A group's events go out in bus order: the next one is handed only once the last one's result
has been passed on. Each member has a bounded queue (:class:`pagerline.bus.Subscription`): one
that falls behind (a client that stops reading) is told to resync (closed with 1012) instead of
holding up its group. Auth events go to the members of the user they name, RESYNC to all.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import time
import weakref
from datetime import UTC, datetime
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pagerline.bus import Bus, Fanout, Subscription, is_resync
from pagerline.engine.people.accounts import Viewer, refreshed
from pagerline.graphql.core.creation_order import CreationOrder
from pagerline.graphql.core.fanout import Delivery, audience

log = logging.getLogger(__name__)

# Set by the WebSocket protocol handler for each operation's task (see view.py): the id a
# member writes into the messages it is given ready-made.
operation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("pagerline_operation_id", default=None)

Loader = Callable[[dict[str, Any]], Awaitable[Any]]

# How long the member handed an event may take to run it before the others run it themselves
# (it went away, or its queue was cleared when it fell behind).
HANDOFF_TIMEOUT = 2.0


@dataclass(eq=False)
class Member:
    """One subscription of one topic, as the hub sees it."""

    topic: str
    viewer: Viewer
    load: Callable[[dict[str, Any]], Awaitable[Any]]
    view: Callable[[Viewer, Any], Any]
    operation_key: tuple[Any, ...]
    subscription: Subscription
    id_json: str | None  # the subscription id as JSON, when it may be written ready-made messages
    handed: set[Handoff] = field(default_factory=set)  # events it was handed and has not finished
    idle: bool = True  # waiting for its next item (not busy writing to a socket that may be slow)
    signed_out: bool = False  # its token stopped working: shown nothing more (it closes at the auth event)

    async def items(self) -> AsyncIterator[Any]:
        while True:
            self.idle = True
            item = await self.subscription.queue.get()
            self.idle = False
            yield item


@dataclass(frozen=True, slots=True)
class Prepared:
    """A group's result, serialized once: ``payload`` is the ``next`` message's payload JSON."""

    payload: str
    topic: str


@dataclass(frozen=True, slots=True)
class LoadFailed:
    """What an event names could not be loaded (the database is away): raised in each member."""

    error: Exception


@dataclass(eq=False)
class Handoff:
    """An event handed to one member to run; ``followers`` get its result when it finishes."""

    hub: Hub | None
    group: tuple[Any, ...]
    event: dict[str, Any]
    shown: object
    followers: list[Member]
    delivery: Delivery | None = None  # made by the member as it runs the event
    finished: bool = False

    def start(self) -> Delivery:
        self.delivery = Delivery.of(self.event, self.shown)
        self.delivery.executed = self.finish
        return self.delivery

    def finish(self, abandoned: bool = False) -> None:
        """Pass the result on to the followers (idempotent)."""
        if self.finished:
            return
        self.finished = True
        outcome = None if self.delivery is None else self.delivery.outcome
        if abandoned or (outcome is not None and outcome.payload is None and not outcome.shared):
            # Not run, or not shareable: each follower runs it itself.
            for member in self.followers:
                handoff = Handoff(None, (), self.event, self.shown, [])
                member.handed.add(handoff)
                member.subscription.offer(handoff)  # type: ignore[arg-type]
        elif outcome is not None and outcome.payload is not None:
            prepared = Prepared(outcome.payload, self.event.get("topic", ""))
            for member in self.followers:
                member.subscription.offer(prepared)  # type: ignore[arg-type]
        # Otherwise the caller's own filter left it out, or it showed the group nothing new:
        # the followers, alike in every way, would too.
        if self.hub is not None:
            self.hub.finished(self)


class Hub:
    def __init__(self, bus: Bus) -> None:
        self._bus = bus
        self._members: dict[str, set[Member]] = {}
        self._queues = Fanout()  # the members' own bounded queues (RESYNC goes to all of them)
        self._task: asyncio.Task[None] | None = None
        self._busy: set[tuple[Any, ...]] = set()  # groups with an event handed and not finished
        self._backlog: dict[tuple[Any, ...], deque[tuple[dict[str, Any], object, list[Member]]]] = {}
        self._creation_order = CreationOrder()  # a new thing's CREATED before its other events
        self._routing = asyncio.Lock()  # the reader and the release of held events take turns
        self._release: asyncio.TimerHandle | None = None  # the timer that releases held events

    def join(self, topic: str, viewer: Viewer, load: Callable[[dict[str, Any]], Awaitable[Any]],
             view: Callable[[Viewer, Any], Any], operation_key: tuple[Any, ...]) -> Member:
        oid = operation_id.get()
        member = Member(topic, viewer, load, view, operation_key, self._queues.add(), None if oid is None else json.dumps(oid))
        self._members.setdefault(topic, set()).add(member)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._read(), name="pagerline-subscription-hub", context=contextvars.Context())
        return member

    def leave(self, member: Member) -> None:
        member.subscription.close()
        self._members.get(member.topic, set()).discard(member)
        for handoff in list(member.handed):
            handoff.finish(abandoned=True)
        if not any(self._members.values()) and self._task is not None:
            self._task.cancel()  # nobody listens; the next join starts it again
            self._task = None

    async def _read(self) -> None:
        subscription = self._bus.subscribe()
        self._creation_order.listening()
        try:
            async for event in subscription:
                await self._route_safely(event)
        finally:
            subscription.close()

    async def _route_safely(self, event: dict[str, Any]) -> None:
        async with self._routing:
            await self._route_or_fail(event)

    async def _route_or_fail(self, event: dict[str, Any]) -> None:
        try:
            await self._route(event)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # What the event names could not be loaded (the database is away): its
            # subscriptions end as on any outage, and their clients refetch.
            for member in self._members.get(str(event.get("topic")), ()):
                member.subscription.offer(LoadFailed(exc))  # type: ignore[arg-type]

    def _release_later(self) -> None:
        """Release held events when the first of them is overdue (once, however many wait)."""
        deadline = self._creation_order.next_deadline()
        if deadline is None or self._release is not None:
            return
        loop = asyncio.get_running_loop()
        # A timer may fire a hair before its time by the loop's clock; _release_overdue looks again.
        self._release = loop.call_at(loop.time() + max(0.0, deadline - time.monotonic()), lambda: asyncio.ensure_future(self._release_overdue()))

    async def _release_overdue(self) -> None:
        """Held events whose CREATED did not come in time go out, a CREATED in its place first."""
        self._release = None
        async with self._routing:  # all of them in order, no event of the reader's in between
            for event in self._creation_order.overdue():
                await self._route_or_fail(dict(event))  # a copy: loaded afresh, as of now
        self._release_later()

    async def _route(self, event: dict[str, Any]) -> None:
        if is_resync(event):
            self._queues.deliver(event)  # each member's queue decides whether it missed anything
            return
        topic = event.get("topic")
        if topic == "auth":
            user_id = (event.get("ids") or {}).get("user_id")
            for members in self._members.values():
                for member in members:
                    if member.viewer.user.id == user_id:
                        await self._judge_again(member)
                        member.subscription.offer(event)
            return
        members = list(self._members.get(str(topic), ()))
        if event.get("kind") == "CREATED":
            first, waiting = self._creation_order.created(event)
            if not first:
                # One was routed in its place when it was late: this one is news of a change at most.
                event = {**event, "kind": "UPDATED"}
            if members:
                loaded = await asyncio.shield(load_once(event, members[0].load))
                if loaded is not None:
                    self._group_and_hand(event, loaded, members)
            for held in waiting:
                # Held while the CREATED was on its way, routed right after it. A copy is loaded
                # afresh, so none shows an older state than the CREATED did.
                await self._route(dict(held))
            return
        if not members:
            return
        loaded = await asyncio.shield(load_once(event, members[0].load))
        if loaded is None:
            return
        if self._creation_order.hold(event, loaded):
            self._release_later()
            return
        self._group_and_hand(event, loaded, members)

    def _group_and_hand(self, event: dict[str, Any], loaded: Any, members: list[Member]) -> None:
        groups: dict[tuple[Any, ...], tuple[object, list[Member]]] = {}
        for member in members:
            if member.signed_out:
                continue
            shown = member.view(member.viewer, loaded)
            if shown is None:
                continue  # not for this viewer's eyes
            key = (member.operation_key, audience(member.viewer), id(shown)) if member.id_json is not None else (id(member),)
            groups.setdefault(key, (shown, []))[1].append(member)
        for key, (shown, group) in groups.items():
            if key in self._busy:
                self._backlog.setdefault(key, deque()).append((event, shown, group))
            else:
                self._hand(key, event, shown, group)

    async def _judge_again(self, member: Member) -> None:
        """The events routed after an auth event are judged by who the member is now: the member
        itself reloads its viewer only when it reaches that event in its queue, and events routed
        meanwhile would be shown by the old role and teams (an admin just demoted would still see
        what only admins see). One whose token stopped working is shown nothing more; it closes
        when it reaches the auth event."""
        try:
            fresh = await refreshed(member.viewer, datetime.now(UTC))
        except Exception:  # the database is away: the member finds out when it reloads itself
            log.warning("could not reload a subscriber's viewer", exc_info=True)
            return
        if fresh is None:
            member.signed_out = True
        else:
            member.viewer = fresh

    def _hand(self, key: tuple[Any, ...], event: dict[str, Any], shown: object, group: list[Member]) -> None:
        present = [m for m in group if m in self._members.get(m.topic, ())]
        if not present:
            return
        # The one likeliest to run it at once: not behind, not busy writing, least queued.
        runner = min(present, key=lambda m: (m.subscription.resync_owed, not m.idle, m.subscription.queue.qsize()))
        handoff = Handoff(self, key, event, shown, [m for m in present if m is not runner])
        self._busy.add(key)
        runner.handed.add(handoff)
        runner.subscription.offer(handoff)  # type: ignore[arg-type]
        asyncio.get_running_loop().call_later(HANDOFF_TIMEOUT, handoff.finish, True)

    def finished(self, handoff: Handoff) -> None:
        self._busy.discard(handoff.group)
        backlog = self._backlog.get(handoff.group)
        if backlog:
            event, shown, group = backlog.popleft()
            if not backlog:
                del self._backlog[handoff.group]
            self._hand(handoff.group, event, shown, group)


# How long a load stays shared: longer than the routing of an event takes.
SHARED_SECONDS = 10.0
# (id of the event dict, loader) -> (the event, its load). Holding the event keeps its id from
# being reused while the entry lives.
_shared: dict[tuple[int, Loader], tuple[dict[str, Any], asyncio.Future[Any]]] = {}


def load_once(event: dict[str, Any], load: Loader) -> asyncio.Future[Any]:
    """The result of ``load(event["ids"])``, started by the first subscription that asks."""
    key = (id(event), load)
    hit = _shared.get(key)
    if hit is not None and hit[0] is event:
        return hit[1]
    future = asyncio.ensure_future(load(event.get("ids") or {}))
    _shared[key] = (event, future)
    asyncio.get_running_loop().call_later(SHARED_SECONDS, _forget, key, event)
    return future


def _forget(key: tuple[int, Loader], event: dict[str, Any]) -> None:
    hit = _shared.get(key)
    if hit is not None and hit[0] is event:
        del _shared[key]


_hubs: weakref.WeakKeyDictionary[Any, Hub] = weakref.WeakKeyDictionary()


def hub_for(bus: Bus) -> Hub:
    hub = _hubs.get(bus)
    if hub is None:
        hub = _hubs[bus] = Hub(bus)
    return hub


async def write_prepared(socket: Any, id_json: str, prepared: Prepared) -> None:
    """Write a group's ready-made message with this subscription's id."""
    from pagerline.graphql.core.fanout import MESSAGES

    with contextlib.suppress(Exception):  # a closing socket: the protocol handler ends the operation
        await socket.send_text('{"id":' + id_json + ',"type":"next","payload":' + prepared.payload + "}")
        MESSAGES.labels(prepared.topic).inc()
