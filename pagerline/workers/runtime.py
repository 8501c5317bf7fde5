"""Running actors and the sweeper inside a process's own event loop.

Dramatiq runs actors on worker threads; our async actors must run on the loop that owns the
Tortoise connections. :class:`LoopBridge` stands in for Dramatiq's event-loop thread and sends
each coroutine to that loop. The same runtime serves ``pagerline worker`` and the embedded
server, so there is one code path for both.

Each queue (one per channel, one for alert actions: :mod:`pagerline.workers.queues`) gets a
``dramatiq.Worker`` of its own, with its own consumer and ``threads`` worker threads. That is
what isolates the channels: a worker thread stays blocked in :meth:`LoopBridge.run_coroutine`
until its delivery ends, so with one shared pool a provider that hangs (each send waits for the
20 s send timeout) would soon hold every thread, and the SMS of the same alert would sit in
memory behind it. With a pool per queue it holds only its own channel's threads, and its own
prefetch: the other queues' consumers go on handing messages to their own threads. (Per-channel
semaphores behind one pool would not do: the thread is taken before the semaphore is reached.)
Dramatiq's guarantees stay as they were: a message is acknowledged once its delivery ended, and
what a stopped worker holds in memory goes back to its queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Collection
from datetime import UTC, datetime
from typing import TypeVar

import dramatiq
from dramatiq.asyncio import set_event_loop_thread

from pagerline.chat.slack_socket import slack_socket
from pagerline.engine.delivery.lanes import ChannelLanes
from pagerline.engine.delivery.outbox import DeliveryContext, DeliveryPolicy
from pagerline.engine.retention import Retention, RetentionPolicy
from pagerline.engine.sweeper import sweep_once
from pagerline.workers.chat_sync import ChatSync
from pagerline.models.enums import Channel
from pagerline.push.registry import Transports, build_transports
from pagerline.settings import Settings
from pagerline.workers.actors import Actors
from pagerline.workers.queues import all_queues, channel_queue
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


class _RepeatedWorkerMiddleware(logging.Filter):
    """Each ``dramatiq.Worker`` adds its own consumer middleware to the shared broker, and the
    broker warns that a middleware of that type was added twice: expected here, one per queue."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "_WorkerMiddleware" not in record.getMessage()


class WorkerRuntime:
    def __init__(
        self,
        settings: Settings,
        broker: dramatiq.Broker,
        actors: Actors,
        *,
        threads: int = 8,
        consume: bool = True,
        sweep: bool = True,
        queues: Collection[str] | None = None,
    ) -> None:
        """``threads``: messages in flight per queue. ``queues``: the Dramatiq queues to
        consume (default all); the sweeper then delivers only those channels' rows."""
        self.settings = settings
        self.broker = broker
        self.actors = actors
        self.threads = threads
        self.consume = consume
        self.sweep = sweep
        self.queues = frozenset(queues) if queues is not None else all_queues()
        self.channels = [channel for channel in Channel if channel_queue(channel) in self.queues]
        self.transports: Transports = build_transports(settings)
        self.delivery = DeliveryContext(
            self.transports, delivery_policy(settings), settings.signing_key(), settings.public_url
        )
        self.retention = Retention(RetentionPolicy.from_settings(settings))
        self.lanes = ChannelLanes(clock=lambda: datetime.now(UTC))
        self._workers: list[dramatiq.Worker] = []
        self._sweeper: asyncio.Task[None] | None = None
        # A process that sends Telegram pages also hears the bot's updates (button presses,
        # /start codes); one started for other queues (`--queues sms,voice`) leaves them alone.
        hears_telegram = consume and channel_queue(Channel.TELEGRAM) in self.queues
        self.telegram = telegram_updates(settings, self.transports.by_key.get("TELEGRAM")) if hears_telegram else None
        self.chat = ChatSync(settings)  # Slack messages: beside the sweeper, in a task of their own
        # Slack's Socket Mode goes with the chat sync loop: each process that sweeps holds one
        # connection (why that is the right set: pagerline.chat.slack_socket).
        self.slack_socket = slack_socket(settings) if sweep else None

    async def start(self) -> None:
        set_event_loop_thread(LoopBridge(asyncio.get_running_loop()))  # type: ignore[arg-type]
        self.actors.context.delivery = self.delivery
        if self.consume:
            self.broker.logger.addFilter(_RepeatedWorkerMiddleware())
            self._workers = [
                dramatiq.Worker(self.broker, queues={queue}, worker_timeout=100, worker_threads=self.threads)
                for queue in sorted(self.queues)
            ]
            for worker in self._workers:
                await asyncio.to_thread(worker.start)
        if self.sweep:
            self._sweeper = asyncio.create_task(self._sweep_forever(), name="pagerline-sweeper")
        if self.telegram is not None:
            await self.telegram.start()
        if self.sweep:
            await self.chat.start()
        if self.slack_socket is not None:
            await self.slack_socket.start()

    async def sweep_now(self) -> None:
        report = await sweep_once(
            datetime.now(UTC), self.delivery, retention=self.retention, lanes=self.lanes, channels=self.channels
        )
        if report.escalated or report.started:
            log.info("sweeper: escalated %d, started %d deliveries", report.escalated, report.started)

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
        if self.slack_socket is not None:
            await self.slack_socket.stop()
        if self.telegram is not None:
            await self.telegram.stop()
        await self.chat.stop()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        await self.lanes.close()
        # All at once: each waits up to 5 s for its threads' deliveries to end.
        await asyncio.gather(*(asyncio.to_thread(worker.stop, 5_000) for worker in self._workers))
        await self.transports.close()
