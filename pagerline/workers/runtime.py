"""Running actors and the sweeper inside a process's own event loop.

Dramatiq runs actors on worker threads; our async actors must run on the loop that owns the
Tortoise connections. :class:`LoopBridge` stands in for Dramatiq's event-loop thread and sends
each coroutine to that loop. The same runtime serves ``pagerline worker`` and the embedded
server, so there is one code path for both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import TypeVar

import dramatiq
from dramatiq.asyncio import set_event_loop_thread

from pagerline.engine.delivery.outbox import DeliveryContext, DeliveryPolicy
from pagerline.engine.retention import Retention, RetentionPolicy
from pagerline.engine.sweeper import sweep_once
from pagerline.push.registry import Transports, build_transports
from pagerline.settings import Settings
from pagerline.workers.actors import Actors
from pagerline.workers.telegram_poller import telegram_updates

log = logging.getLogger(__name__)
R = TypeVar("R")


class LoopBridge:
    """Quacks like dramatiq's EventLoopThread: runs coroutines on an existing loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def run_coroutine(self, coro: Awaitable[R]) -> R:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()  # type: ignore[arg-type]

    def stop(self) -> None:  # dramatiq may call this on shutdown
        return None


def delivery_policy(settings: Settings) -> DeliveryPolicy:
    return DeliveryPolicy(
        lease_seconds=settings.delivery_lease_seconds,
        max_attempts=settings.delivery_max_attempts,
        backoff_cap_seconds=settings.delivery_backoff_cap_seconds,
    )


class WorkerRuntime:
    def __init__(
        self,
        settings: Settings,
        broker: dramatiq.Broker,
        actors: Actors,
        *,
        threads: int = 16,
        consume: bool = True,
        sweep: bool = True,
    ) -> None:
        self.settings = settings
        self.broker = broker
        self.actors = actors
        self.threads = threads
        self.consume = consume
        self.sweep = sweep
        self.transports: Transports = build_transports(settings)
        self.delivery = DeliveryContext(
            self.transports, delivery_policy(settings), settings.signing_key(), settings.public_url
        )
        self.retention = Retention(RetentionPolicy.from_settings(settings))
        self._worker: dramatiq.Worker | None = None
        self._sweeper: asyncio.Task[None] | None = None
        # Where this process works (consumes), it also hears the Telegram bot's updates.
        self.telegram = telegram_updates(settings, self.transports.by_key.get("TELEGRAM")) if consume else None

    async def start(self) -> None:
        set_event_loop_thread(LoopBridge(asyncio.get_running_loop()))  # type: ignore[arg-type]
        self.actors.context.delivery = self.delivery
        if self.consume:
            self._worker = dramatiq.Worker(self.broker, worker_timeout=100, worker_threads=self.threads)
            await asyncio.to_thread(self._worker.start)
        if self.sweep:
            self._sweeper = asyncio.create_task(self._sweep_forever(), name="pagerline-sweeper")
        if self.telegram is not None:
            await self.telegram.start()

    async def sweep_now(self) -> None:
        report = await sweep_once(datetime.now(UTC), self.delivery, retention=self.retention)
        if report.escalated or report.delivered:
            log.info("sweeper: escalated %d, delivered %d", report.escalated, report.delivered)

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.sweep_now()
            except asyncio.CancelledError:
                raise
            except Exception:  # database down: try again next round
                log.warning("sweep failed", exc_info=True)
            await asyncio.sleep(self.settings.sweep_interval_seconds)

    async def stop(self) -> None:
        if self.telegram is not None:
            await self.telegram.stop()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self._worker is not None:
            await asyncio.to_thread(self._worker.stop, 5_000)
        await self.transports.close()
