"""After-commit dispatch: enqueue wake-ups with Dramatiq and publish changes on the bus.

Nothing that calls :meth:`QueueDispatcher.dispatch` waits for Redis. The HTTP request that
committed an event, the actor that recorded a push and, above all, the sweeper hand their
effects to one pump task per process and go on. The database is the guarantee and the queue is
for speed, so a Redis that hangs (a frozen server, a network path that swallows packets) must
never hold up the path that pages from the database: before this pump, every caller waited for
redis-py's socket timeout (5 s) once per enqueue and once per publish, so an intake request took
10 s and every sweep round stalled 5 s for each step that had something to publish.

The pump sends with a deadline, and after a failure leaves that half of Redis (the queue or the
bus) alone for :data:`COOLDOWN` seconds instead of paying the deadline again for every batch.
Wake-ups it cannot send are dropped: the sweeper finds their rows in the database. Bus events
are held and sent once the bus answers again (late, but a subscriber loads what an event names
when it arrives, so a late event shows the current state). Only when more than
:data:`MAX_HELD` (or the ``max_held`` given) pile up are the oldest dropped; then the first thing the pump publishes once
the bus answers is a ``RESYNC`` that tells subscriptions to refetch (see :mod:`pagerline.bus`).
"""

from __future__ import annotations

import asyncio
import contextvars
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from pagerline.bus import Bus, resync_event
from pagerline.engine.core.effects import BusEvent, Effects, NotificationWake, coalesced
from pagerline.workers.actors import Actors

log = logging.getLogger(__name__)


# A notification due later than this is left to the sweeper (every few seconds in every worker)
# instead of a delayed message: delayed messages sit in every worker's memory until they are
# due, and a page due in five minutes does not need millisecond timing.
ENQUEUE_HORIZON = timedelta(seconds=1)
# How long one batch may wait for Redis. A healthy Redis answers in about a millisecond; a
# loaded event loop may stretch that, so this is generous: it only bounds how long effects
# queue up behind a Redis that stopped answering.
DEADLINE = 1.0
# How long a failed half of Redis is left alone before the next batch tries it again.
COOLDOWN = 1.0
# Bus events held while the bus does not answer; past this the oldest are dropped (a RESYNC).
MAX_HELD = 10_000
# Events sent in one round trip to Redis.
PUBLISH_CHUNK = 500


def due_now(effects: Effects) -> list[NotificationWake]:
    horizon = datetime.now(UTC) + ENQUEUE_HORIZON
    return [wake for wake in effects.notifications if wake.due_at <= horizon]


class Breaker:
    """Open for ``cooldown`` seconds after a failure: while open, callers skip Redis."""

    def __init__(self, cooldown: float) -> None:
        self.cooldown = cooldown
        self._open_until = 0.0

    def allows(self) -> bool:
        return time.monotonic() >= self._open_until

    def failed(self) -> None:
        self._open_until = time.monotonic() + self.cooldown

    def succeeded(self) -> None:
        self._open_until = 0.0


class QueueDispatcher:
    def __init__(
        self,
        actors: Actors,
        bus: Bus,
        *,
        deadline: float = DEADLINE,
        cooldown: float = COOLDOWN,
        max_held: int = MAX_HELD,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._actors = actors
        self._bus = bus
        self._deadline = deadline
        self._max_held = max_held
        self._clock = clock  # the wall clock, for a RESYNC's lost_until
        self._queue_breaker = Breaker(cooldown)
        self._bus_breaker = Breaker(cooldown)
        # redis-py is synchronous: enqueues run on a thread of their own, so a hung Redis ties
        # up that one thread and never the event loop or the default executor.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pagerline-enqueue")
        self._pending: list[Effects] = []
        self._wake = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None
        # Set by close(). Cancelling alone is not enough: Python 3.11's wait_for swallows a
        # cancellation that arrives just as what it waits for finishes (a publish that has just
        # succeeded), and the pump would go back to waiting for work, so close() never returned.
        self._closing = False
        self._held: deque[BusEvent] = deque()  # events not published yet, oldest first
        self.events_lost = False  # held events were dropped; a RESYNC is owed
        self._lost_until = 0.0  # when the last of them was dropped (Unix time)

    async def dispatch(self, effects: Effects) -> None:
        """Queue the effects for the pump; returns at once."""
        if self._pump is None or self._pump.done():
            # A context of its own: the pump outlives the request that started it, whose request id
            # would otherwise label every line the pump logs.
            self._pump = asyncio.get_running_loop().create_task(
                self._run(), name="pagerline-dispatch", context=contextvars.Context()
            )
        self._pending.append(effects)
        self._wake.set()

    async def close(self) -> None:
        """Send what is still queued (each half within its deadline), then stop the pump."""
        if self._pump is not None:
            if self._pending:
                with contextlib.suppress(Exception):
                    await self._send(self._take())
            self._closing = True
            self._wake.set()  # a pump that shrugged off the cancel below sees _closing at once
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _take(self) -> list[Effects]:
        batch, self._pending = self._pending, []
        self._wake.clear()
        return batch

    async def _run(self) -> None:
        while not self._closing:
            if (self._held or self.events_lost) and not self._pending:
                # Held events (or a RESYNC) are owed even if nothing else changes: try again
                # after the cooldown.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._bus_breaker.cooldown)
            else:
                await self._wake.wait()
            try:
                await self._send(self._take())
            except asyncio.CancelledError:
                raise
            except Exception:  # never let the pump die: the next batch tries again
                log.warning("dispatching committed effects failed", exc_info=True)

    async def _send(self, batch: list[Effects]) -> None:
        merged = Effects()
        for effects in batch:
            merged.merge(effects)
        # The change is on the bus before the work it wakes can publish what it changes in
        # turn, so subscribers see an alert CREATED before the UPDATED its first page makes
        # (Redis keeps the order of publishes, and the hub keeps the bus's order). A head start
        # was not enough: on a loaded machine a server's publish reached Redis after a worker had
        # sent the page and published. A healthy publish takes about a millisecond; a bus that
        # stops answering holds the wake-up back by the deadline once (then its breaker is open
        # and the publish returns at once), and the sweeper delivers what a wake-up missed.
        await self._publish(coalesced(merged.events))  # one event per changed thing
        await self._enqueue(due_now(merged), merged.action_deliveries)

    async def _enqueue(self, notifications: list[NotificationWake], action_delivery_ids: list[int]) -> None:
        if not (notifications or action_delivery_ids) or not self._queue_breaker.allows():
            return  # nothing to wake, or Redis failed a moment ago: the sweeper delivers from the database
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(
                loop.run_in_executor(self._executor, self._send_messages, notifications, action_delivery_ids),
                self._deadline,
            )
        except Exception as exc:
            self._queue_breaker.failed()
            # An expected condition (Redis slow or away), not a fault of ours: one line, no traceback.
            log.warning("enqueue failed (%s); the sweeper will deliver from the database", _reason(exc))
        else:
            self._queue_breaker.succeeded()

    def _send_messages(self, notifications: list[NotificationWake], action_delivery_ids: list[int]) -> None:
        for wake in notifications:  # on the queue of the notification's channel
            self._actors.deliver_notification(wake.channel).send(wake.notification_id)
        for delivery_id in action_delivery_ids:
            self._actors.deliver_alert_action.send(delivery_id)

    async def _publish(self, events: list[BusEvent]) -> None:
        self._held.extend(events)
        if len(self._held) > self._max_held:
            for _ in range(len(self._held) - self._max_held):
                self._held.popleft()
            self._lose_events()
        if not (self._held or self.events_lost) or not self._bus_breaker.allows():
            return
        try:
            if self.events_lost:
                await asyncio.wait_for(self._bus.publish(resync_event(self._lost_until)), self._deadline)
                self.events_lost = False
                log.warning("the bus answers again after events were dropped; told subscribers to refetch")
            while self._held:
                chunk = [self._held[i].to_dict() for i in range(min(PUBLISH_CHUNK, len(self._held)))]
                await asyncio.wait_for(self._bus.publish_many(chunk), self._deadline)
                for _ in chunk:
                    self._held.popleft()
        except Exception as exc:
            self._bus_breaker.failed()
            log.warning("publishing a change failed (%s); holding %d events until the bus answers", _reason(exc), len(self._held))
        else:
            self._bus_breaker.succeeded()

    def _lose_events(self) -> None:
        self.events_lost = True
        self._lost_until = self._clock()


def _reason(exc: BaseException) -> str:
    """One line for the log: the exception's type and message (a timeout has no message)."""
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
