"""After-commit dispatch: enqueue wake-ups with Dramatiq and publish changes on the bus."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from pagerline.bus import Bus
from pagerline.engine.effects import Effects
from pagerline.workers.actors import Actors

log = logging.getLogger(__name__)


def _delay_ms(at: datetime, slack_ms: int = 0) -> int:
    return max(0, int((at - datetime.now(UTC)).total_seconds() * 1000) + slack_ms)


class QueueDispatcher:
    def __init__(self, actors: Actors, bus: Bus) -> None:
        self._actors = actors
        self._bus = bus

    def _enqueue(self, effects: Effects) -> None:
        for notification_id, due_at in effects.notifications:
            delay = _delay_ms(due_at)
            self._actors.deliver_notification.send_with_options(args=(notification_id,), delay=delay or None)
        for alert_id, at in effects.escalations:
            # A little slack so the wake-up never arrives a hair before the alert is due.
            self._actors.escalate_alert.send_with_options(args=(alert_id,), delay=_delay_ms(at, 50))

    async def dispatch(self, effects: Effects) -> None:
        if effects.notifications or effects.escalations:
            try:
                # redis-py is synchronous: keep it off the event loop.
                await asyncio.to_thread(self._enqueue, effects)
            except Exception:
                log.warning("enqueue failed; the sweeper will deliver from the database", exc_info=True)
        for event in effects.events:
            try:
                await self._bus.publish(event.to_dict())
            except Exception:
                log.warning("publishing a change failed", exc_info=True)
                break
