"""The change bus that feeds GraphQL subscriptions.

Changes are published after commit, as small dicts of ids. With Redis, every process (servers
and workers) publishes to one pub/sub channel and every server process listens, so a change a
worker makes reaches subscribers on any server. Without Redis, an in-process fan-out does the
same inside the one embedded process.

Each subscriber has a bounded queue; a subscriber that falls behind loses its oldest events
(and is told so) instead of holding up everyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol

log = logging.getLogger(__name__)

CHANNEL = "pagerline:events"
QUEUE_SIZE = 256


class Subscription:
    def __init__(self, hub: Fanout, maxsize: int = QUEUE_SIZE) -> None:
        self._hub = hub
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=maxsize)
        self.dropped = 0

    def offer(self, event: dict[str, Any]) -> None:
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(event)

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        while True:
            yield await self.queue.get()

    def close(self) -> None:
        self._hub.remove(self)


class Fanout:
    """Hands every event to every local subscription."""

    def __init__(self) -> None:
        self._subs: set[Subscription] = set()

    def add(self) -> Subscription:
        sub = Subscription(self)
        self._subs.add(sub)
        return sub

    def remove(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    def deliver(self, event: dict[str, Any]) -> None:
        for sub in list(self._subs):
            sub.offer(event)

    @property
    def count(self) -> int:
        return len(self._subs)


class Bus(Protocol):
    async def publish(self, event: dict[str, Any]) -> None: ...

    def subscribe(self) -> Subscription: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def ping(self) -> bool: ...


class InProcessBus:
    def __init__(self) -> None:
        self.fanout = Fanout()

    async def publish(self, event: dict[str, Any]) -> None:
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
        self._listen = listen
        self.fanout = Fanout()
        self._task: asyncio.Task[None] | None = None

    async def publish(self, event: dict[str, Any]) -> None:
        await self._redis.publish(CHANNEL, json.dumps(event))

    def subscribe(self) -> Subscription:
        return self.fanout.add()

    async def start(self) -> None:
        if self._listen:
            self._task = asyncio.create_task(self._reader(), name="pagerline-bus-reader")

    async def _reader(self) -> None:
        # Reconnects forever: a Redis restart must not silence subscriptions for good.
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CHANNEL)
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    try:
                        self.fanout.deliver(json.loads(message["data"]))
                    except (ValueError, TypeError):
                        log.warning("ignoring a malformed bus message")
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("bus connection lost; reconnecting", exc_info=True)
                await asyncio.sleep(0.5)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

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
