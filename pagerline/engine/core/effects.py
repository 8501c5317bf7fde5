"""Side effects that must happen only after a transaction commits.

Engine functions run inside :func:`unit_of_work`. While the transaction is open they only
*record* what should happen next (wake a notification, wake an escalation, tell subscribers);
after commit the process's :class:`Dispatcher` acts on it. Enqueueing inside the transaction
would let a worker read a row that is not committed yet, or page for a change that was rolled
back. If dispatching fails (broker down) nothing is lost: the sweeper finds due rows in the
database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from tortoise.transactions import in_transaction

from pagerline.models.enums import Channel

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BusEvent:
    """A change subscribers may care about. Carries ids only: receivers load what they may see."""

    topic: str  # "alert", "oncall", "coverage"
    kind: str  # CREATED, UPDATED, ACCEPTED, RESOLVED, ESCALATED, COMMENTED, ...
    ids: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"topic": self.topic, "kind": self.kind, "ids": self.ids}


class NotificationWake(NamedTuple):
    """A notification to wake once committed. The channel picks its queue, so a channel whose
    provider is slow never holds up another channel's wake-ups."""

    notification_id: int
    due_at: datetime
    channel: Channel


@dataclass(slots=True)
class Effects:
    notifications: list[NotificationWake] = field(default_factory=list)
    action_deliveries: list[int] = field(default_factory=list)  # alert actions due now
    events: list[BusEvent] = field(default_factory=list)

    def wake_notification(self, notification_id: int, due_at: datetime, channel: Channel) -> None:
        self.notifications.append(NotificationWake(notification_id, due_at, channel))

    def wake_action_delivery(self, delivery_id: int) -> None:
        self.action_deliveries.append(delivery_id)

    def publish(self, topic: str, kind: str, **ids: Any) -> None:
        self.events.append(BusEvent(topic, kind, ids))

    def merge(self, other: Effects) -> None:
        self.notifications.extend(other.notifications)
        self.action_deliveries.extend(other.action_deliveries)
        self.events.extend(other.events)


def coalesced(events: list[BusEvent]) -> list[BusEvent]:
    """One publication per change of a thing, however many commits of one batch touched it.

    Events carry ids only and subscribers load what they name when the event arrives, after
    every commit of the batch: one event per thing already shows all of the batch's changes to
    it. So an ``UPDATED`` ("something changed") is dropped when the batch has another event
    for the same thing (``CREATED``, ``ACCEPTED``, ... or an earlier ``UPDATED``), and an event
    repeated exactly is sent once. Distinct kinds other than UPDATED are all kept, in order:
    subscriptions that filter by kind rely on them (an alert created and accepted in one batch
    is both)."""
    meaningful = {(e.topic, _subject(e)) for e in events if e.kind != "UPDATED"}
    seen: set[tuple[str, str, str]] = set()
    kept: list[BusEvent] = []
    for event in events:
        subject = _subject(event)
        if event.kind == "UPDATED" and (event.topic, subject) in meaningful:
            continue
        if (event.topic, event.kind, subject) in seen:
            continue
        seen.add((event.topic, event.kind, subject))
        kept.append(event)
    return kept


def _subject(event: BusEvent) -> str:
    return repr(sorted(event.ids.items()))


class Dispatcher(Protocol):
    """What a process does with committed effects (enqueue with Dramatiq, publish on the bus)."""

    async def dispatch(self, effects: Effects) -> None: ...


class NullDispatcher:
    """Leaves everything to the sweeper. Used by CLI commands and before start-up."""

    async def dispatch(self, effects: Effects) -> None:
        return None


_dispatcher: Dispatcher = NullDispatcher()


def set_dispatcher(dispatcher: Dispatcher) -> None:
    """Installed once per process by the runtime (server lifespan or worker start)."""
    global _dispatcher
    _dispatcher = dispatcher


def get_dispatcher() -> Dispatcher:
    return _dispatcher


async def dispatch_after_commit(effects: Effects) -> None:
    if not (effects.notifications or effects.action_deliveries or effects.events):
        return
    try:
        await _dispatcher.dispatch(effects)
    except Exception:  # the database already holds the truth; the sweeper will catch up
        log.warning("dispatching committed effects failed; the sweeper will pick them up", exc_info=True)


@asynccontextmanager
async def unit_of_work() -> AsyncIterator[Effects]:
    """A transaction plus the effects to dispatch once it has committed."""
    effects = Effects()
    async with in_transaction():
        yield effects
    await dispatch_after_commit(effects)


# Repeated events of one alert are published at most every UPDATE_THROTTLE seconds (and once more
# at the end of a burst), so a storm of repeats does not become a storm of bus messages.
UPDATE_THROTTLE = 0.25
_last_update: dict[int, float] = {}
_trailing: set[int] = set()


async def publish_update_throttled(alert_id: int) -> None:
    now = time.monotonic()
    last = _last_update.get(alert_id, 0.0)
    if now - last >= UPDATE_THROTTLE:
        _last_update[alert_id] = now
        if len(_last_update) > 10_000:
            _last_update.clear()
        effects = Effects()
        effects.publish("alert", "UPDATED", alert_id=alert_id)
        await dispatch_after_commit(effects)
        return
    if alert_id in _trailing:
        return
    _trailing.add(alert_id)

    async def trailing() -> None:
        await asyncio.sleep(UPDATE_THROTTLE - (now - last))
        _trailing.discard(alert_id)
        _last_update[alert_id] = time.monotonic()
        effects = Effects()
        effects.publish("alert", "UPDATED", alert_id=alert_id)
        await dispatch_after_commit(effects)

    task = asyncio.get_running_loop().create_task(trailing())
    _background.add(task)
    task.add_done_callback(_background.discard)


_background: set[asyncio.Task[None]] = set()
