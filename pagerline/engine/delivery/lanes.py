"""Delivery lanes: how many notifications of each channel a sweeper sends at once.

One lane per channel, each with its own cap, so a provider that hangs (every send waits for the
send timeout) fills only its own lane: the other channels' deliveries start as soon as they are
due. Before lanes the sweeper sent everything due under one shared cap, and a stuck push
provider held every slot while the SMS of the same alert waited.

Two ways to use them. A one-off sweep (a test moving time, ``sweep_once`` without lanes) queues
every row it found behind its lane's cap and waits for all of them. A worker's sweeper keeps one
:class:`ChannelLanes` for its life and does not wait: each round adds what is due to the lanes
and returns, so a lane still busy with a slow provider never holds up the next round's
escalations or another channel's rows. A lane takes at most ``backlog`` rows (queued behind its
cap or sending); the rest stay in the database, due, for a later round. A row may wait in its
lane for a while, so a worker's lanes read the time from their ``clock`` when a row's turn
comes: its claim (and the lease that keeps other workers off it) starts then, not when it was
found.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from pagerline.engine.delivery.outbox import DeliveryContext, deliver
from pagerline.models.enums import Channel

log = logging.getLogger(__name__)


@dataclass
class _Lane:
    slots: asyncio.Semaphore
    busy: set[int] = field(default_factory=set)  # notification ids queued or sending here


class ChannelLanes:
    """``concurrency`` deliveries at once per channel, and at most ``backlog`` rows admitted per
    channel. ``clock``: the time a row's delivery starts with (a worker's wall clock); without
    one, the ``now`` of the sweep that found the row (a one-off sweep, whose time a test sets)."""

    def __init__(self, concurrency: int = 20, backlog: int = 200, clock: Callable[[], datetime] | None = None) -> None:
        self.concurrency = concurrency
        self.backlog = backlog
        self._clock = clock
        self._lanes: dict[Channel, _Lane] = {}
        self._tasks: set[asyncio.Task[str | None]] = set()

    def busy(self, channel: Channel) -> int:
        lane = self._lanes.get(channel)
        return len(lane.busy) if lane else 0

    def start(self, due: Iterable[tuple[int, Channel]], now: datetime, ctx: DeliveryContext) -> list[asyncio.Task[str | None]]:
        """Start delivering each due row whose lane has room; rows already in a lane are
        skipped (a sweep finds a queued row again until it is claimed)."""
        started = []
        for notification_id, channel in due:
            lane = self._lanes.get(channel) or self._lanes.setdefault(channel, _Lane(asyncio.Semaphore(self.concurrency)))
            if notification_id in lane.busy or len(lane.busy) >= self.backlog:
                continue
            lane.busy.add(notification_id)
            task = asyncio.get_running_loop().create_task(self._deliver(lane, notification_id, now, ctx))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            task.add_done_callback(_log_failure)
            started.append(task)
        return started

    async def _deliver(self, lane: _Lane, notification_id: int, now: datetime, ctx: DeliveryContext) -> str | None:
        try:
            async with lane.slots:
                return await deliver(notification_id, self._clock() if self._clock else now, ctx)
        finally:
            lane.busy.discard(notification_id)

    async def close(self) -> None:
        """Cancel what is in flight: a claimed row's lease runs out and another sweep sends it."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task


def _log_failure(task: asyncio.Task[str | None]) -> None:
    """A worker's sweeper does not await its deliveries: say here why one failed (the database
    away, most likely); its row stays due and a later round tries again."""
    if not task.cancelled() and task.exception() is not None:
        log.warning("delivery failed; a later sweep tries again", exc_info=task.exception())
