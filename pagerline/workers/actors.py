"""Actors: load, call the engine, done. Safe to run twice: the engine claims before acting.

Actors are declared per broker (no import-time global broker), with the same names in every
process, so a server can enqueue what a worker consumes. What they need at run time (the
transports) is handed over by the runtime through :class:`ActorContext`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import dramatiq

from pagerline.engine.delivery.outbox import DeliveryContext, DeliveryPolicy, deliver
from pagerline.push.registry import Transports
from pagerline.workers.alert_action_actor import declare_alert_action_actor
from pagerline.workers.broker import QUEUE


@dataclass
class ActorContext:
    delivery: DeliveryContext = field(default_factory=lambda: DeliveryContext(Transports(), DeliveryPolicy()))


@dataclass(frozen=True)
class Actors:
    deliver_notification: dramatiq.Actor  # type: ignore[type-arg]
    deliver_alert_action: dramatiq.Actor  # type: ignore[type-arg]
    context: ActorContext


def declare_actors(broker: dramatiq.Broker) -> Actors:
    context = ActorContext()

    async def deliver_notification(notification_id: int) -> None:
        await deliver(notification_id, datetime.now(UTC), context.delivery)

    # Few quick retries: a message lost for good is covered by the sweeper anyway.
    options = {"queue_name": QUEUE, "max_retries": 3, "min_backoff": 500, "max_backoff": 10_000, "time_limit": 120_000}
    return Actors(
        deliver_alert_action=declare_alert_action_actor(broker, context, options),
        deliver_notification=dramatiq.actor(deliver_notification, broker=broker, actor_name="deliver_notification", **options),
        context=context,
    )
