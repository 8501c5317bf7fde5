"""After-commit dispatch: enqueue wake-ups with Dramatiq and publish changes on the bus."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from pagerline.bus import Bus
from pagerline.engine.effects import Effects
from pagerline.workers.actors import Actors

log = logging.getLogger(__name__)


# A notification due later than this is left to the sweeper (every few seconds in every worker)
# instead of a delayed message: delayed messages sit in every worker's memory until they are
# due, and a page due in five minutes does not need millisecond timing.
ENQUEUE_HORIZON = timedelta(seconds=1)


def due_now(effects: Effects) -> list[int]:
    horizon = datetime.now(UTC) + ENQUEUE_HORIZON
    return [notification_id for notification_id, due_at in effects.notifications if due_at <= horizon]


class QueueDispatcher:
    def __init__(self, actors: Actors, bus: Bus) -> None:
        self._actors = actors
        self._bus = bus

    def _enqueue(self, notification_ids: list[int], action_delivery_ids: list[int]) -> None:
        for notification_id in notification_ids:
            self._actors.deliver_notification.send(notification_id)
        for delivery_id in action_delivery_ids:
            self._actors.deliver_alert_action.send(delivery_id)

    async def dispatch(self, effects: Effects) -> None:
        notification_ids = due_now(effects)
        if notification_ids or effects.action_deliveries:
            try:
                # redis-py is synchronous: keep it off the event loop.
                await asyncio.to_thread(self._enqueue, notification_ids, effects.action_deliveries)
            except Exception:
                log.warning("enqueue failed; the sweeper will deliver from the database", exc_info=True)
        for event in effects.events:
            try:
                await self._bus.publish(event.to_dict())
            except Exception:
                log.warning("publishing a change failed", exc_info=True)
                break
