"""The change bus that feeds GraphQL subscriptions.

Changes are published after commit, as small dicts of ids. With Redis, every process (servers
and workers) publishes to one pub/sub channel and every server process listens, so a change a
worker makes reaches subscribers on any server. Without Redis, an in-process fan-out does the
same inside the one embedded process.

Each subscriber has a bounded queue; a subscriber that falls behind does not hold up everyone
else.

No subscriber misses events silently. Whenever some may have been lost, the subscriptions get
:data:`RESYNC_EVENT` instead, and the GraphQL layer closes their WebSocket with code 1012 so
clients reconnect and refetch what they show (see :mod:`pagerline.graphql.core.bus_events`). Events
are lost when:

- the Redis connection of a listening process drops, or stops answering its PING: every
  event published until it has subscribed again is gone, so all of that process's
  subscriptions are told once it has;
- a publisher could not reach Redis and dropped events: it publishes ``RESYNC`` once it can
  (:mod:`pagerline.workers.dispatcher`), which tells every subscription on every server that
  was open when the last of those events was dropped (``lost_until``, Unix time); one opened
  later, such as a client's reconnect after the same outage, missed nothing and stays open.
  The publisher's clock and the server's may disagree, so "open then" allows
  :data:`CLOCK_SKEW_MARGIN`: a subscription opened up to that long after ``lost_until`` by the
  server's clock is told as well;
- one subscription falls :data:`QUEUE_SIZE` events behind: only that one is told.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

CHANNEL = "pagerline:events"
QUEUE_SIZE = 256
# Not a change: "you may have missed changes; refetch". Subscriptions end on it.
RESYNC_EVENT: dict[str, Any] = {"topic": "bus", "kind": "RESYNC", "ids": {}}
# After a lost connection, how long the reader waits before it tries Redis again.
RECONNECT_DELAY = 0.5
# A listening connection quiet this long is asked for a PONG, which a live Redis sends in a
# millisecond; no answer within PONG_DEADLINE more and the connection is taken for dead.
QUIET_SECONDS = 1.0
PONG_DEADLINE = 3.0
# How far the clocks of two hosts (a publisher's and a server's) may disagree when a RESYNC's
# ``lost_until`` is compared with when a subscription opened. NTP keeps hosts within
# milliseconds; this covers a host whose clock has drifted for a while. Too wide costs only a
# needless refetch for a subscription opened just after an outage; too narrow would let one
# opened just before it miss the events silently.
CLOCK_SKEW_MARGIN = 5.0


def channel_for(db: int) -> str:
    """The pub/sub channel of the installation whose Redis database is ``db``. Redis pub/sub
    ignores database numbers: two installations sharing one Redis on different databases
    would otherwise hear each other's events (and load whatever their own rows of the same ids
    are). Database 0 keeps the original name."""
    return CHANNEL if db == 0 else f"{CHANNEL}:db{db}"


def is_resync(event: Any) -> bool:
    return isinstance(event, dict) and event.get("topic") == RESYNC_EVENT["topic"] and event.get("kind") == RESYNC_EVENT["kind"]


def resync_event(lost_until: float) -> dict[str, Any]:
    """What a publisher sends after dropping events, the last of them at ``lost_until``."""
    return {**RESYNC_EVENT, "ids": {"lost_until": lost_until}}


class Subscription:
    def __init__(self, hub: Fanout, opened_at: float, maxsize: int = QUEUE_SIZE) -> None:
        self._hub = hub
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=maxsize)
        self.resync_owed = False
        self.opened_at = opened_at  # wall clock, to compare with a publisher's lost_until

    def missed(self, resync: dict[str, Any]) -> bool:
        """Whether events this RESYNC speaks of may have been meant for this subscription
        (allowing for :data:`CLOCK_SKEW_MARGIN` between the publisher's clock and ours)."""
        lost_until = (resync.get("ids") or {}).get("lost_until")
        return not isinstance(lost_until, (int, float)) or lost_until >= self.opened_at - CLOCK_SKEW_MARGIN

    def offer(self, event: dict[str, Any]) -> None:
        if self.resync_owed:
            return  # it ends at the RESYNC already queued; what follows would be refetched anyway
        if is_resync(event) and not self.missed(event):
            return
        if is_resync(event) or self.queue.full():
            # Fell behind (or events were lost upstream): what is queued is incomplete, so
            # replace it with the one thing that is still true.
            while not self.queue.empty():
                self.queue.get_nowait()
            self.resync_owed = True
            self.queue.put_nowait(RESYNC_EVENT)
            return
        self.queue.put_nowait(event)

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        while True:
            yield await self.queue.get()

    def close(self) -> None:
        self._hub.remove(self)


class Fanout:
    """Hands every event to every local subscription."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock  # the wall clock: when a subscription opened (see Subscription.missed)
        self._subs: set[Subscription] = set()

    def add(self) -> Subscription:
        sub = Subscription(self, self._clock())
        self._subs.add(sub)
        return sub

    def remove(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    def deliver(self, event: dict[str, Any]) -> None:
        for sub in list(self._subs):
            sub.offer(event)

    def resync(self) -> None:
        """Events may have been lost: every subscription gets RESYNC."""
        self.deliver(RESYNC_EVENT)

    @property
    def count(self) -> int:
        return len(self._subs)


class Bus(Protocol):
    async def publish(self, event: dict[str, Any]) -> None: ...

    async def publish_many(self, events: list[dict[str, Any]]) -> None:
        """All of them, in order (with Redis, in one round trip)."""

    def subscribe(self) -> Subscription: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def ping(self) -> bool: ...


class InProcessBus:
    def __init__(self) -> None:
        self.fanout = Fanout()

    async def publish(self, event: dict[str, Any]) -> None:
        self.fanout.deliver(event)

    async def publish_many(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            self.fanout.deliver(event)

    def subscribe(self) -> Subscription:
        return self.fanout.add()

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def ping(self) -> bool:
        return True


class RedisBus:
    """Redis pub/sub. ``listen`` is off in worker processes, which only publish."""

    def __init__(self, url: str, *, listen: bool = True) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self.channel = channel_for(int(self._redis.connection_pool.connection_kwargs.get("db") or 0))
        self._listen = listen
        self.fanout = Fanout()
        self._task: asyncio.Task[None] | None = None

    async def publish(self, event: dict[str, Any]) -> None:
        await self._redis.publish(self.channel, json.dumps(event))

    async def publish_many(self, events: list[dict[str, Any]]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for event in events:
                pipe.publish(self.channel, json.dumps(event))
            await pipe.execute()

    def subscribe(self) -> Subscription:
        return self.fanout.add()

    async def start(self) -> None:
        if self._listen:
            self._task = asyncio.create_task(self._reader(), name="pagerline-bus-reader")

    async def _reader(self) -> None:
        # Reconnects forever: a Redis restart must not silence subscriptions for good.
        gap = False  # the connection was lost: events published since then never arrived
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                if gap:
                    # Subscribed again: from here on nothing is missed, so now is the time to
                    # tell subscriptions (those opened during the outage too) to refetch.
                    gap = False
                    log.warning("bus reconnected; telling %d subscriptions to refetch", self.fanout.count)
                    self.fanout.resync()
                await self._listen_while_alive(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception:
                gap = True
                log.warning("bus connection lost; reconnecting", exc_info=True)
                await asyncio.sleep(RECONNECT_DELAY)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def _listen_while_alive(self, pubsub: Any) -> None:
        """Deliver messages until the connection fails, or stops answering: after
        :data:`QUIET_SECONDS` without a message it sends PING, and a connection that has not
        answered within :data:`PONG_DEADLINE` is taken for dead. Without this, a
        connection that died without a word (Redis failed over or froze, a firewall forgot it)
        would leave every subscription open and silent for good."""
        heard_at = time.monotonic()
        pinged = False
        while True:
            message = await pubsub.get_message(timeout=QUIET_SECONDS)
            if message is not None:
                heard_at, pinged = time.monotonic(), False
                if message.get("type") == "message":
                    self._deliver_raw(message["data"])
                continue
            silent_for = time.monotonic() - heard_at
            if pinged and silent_for >= QUIET_SECONDS + PONG_DEADLINE:
                raise ConnectionError(f"no answer from Redis for {silent_for:.1f} s")
            if not pinged and silent_for >= QUIET_SECONDS:
                await asyncio.wait_for(pubsub.ping(), PONG_DEADLINE)
                pinged = True

    def _deliver_raw(self, data: bytes | str) -> None:
        try:
            self.fanout.deliver(json.loads(data))
        except (ValueError, TypeError):
            log.warning("ignoring a malformed bus message")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._redis.aclose()

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except Exception:
            return False


def build_bus(redis_url: str | None, *, listen: bool = True) -> Bus:
    return RedisBus(redis_url, listen=listen) if redis_url else InProcessBus()
