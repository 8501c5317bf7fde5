"""Actors: load, call the engine, done. Safe to run twice: the engine claims before acting.

Actors are declared per broker (no import-time global broker), with the same names in every
process, so a server can enqueue what a worker consumes. Delivering a notification is one
function, declared once per channel on that channel's queue (``deliver_sms`` on
``pagerline.sms``, ...), so each channel's wake-ups wait only behind that channel's. What they
need at run time (the transports) is handed over by the runtime through :class:`ActorContext`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import dramatiq

from pagerline.engine.delivery.outbox import DeliveryContext, DeliveryPolicy, deliver
from pagerline.models.enums import Channel
from pagerline.push.registry import Transports
from pagerline.workers.alert_action_actor import declare_alert_action_actor
from pagerline.workers.queues import ACTIONS_QUEUE, channel_queue


@dataclass
class ActorContext:
    delivery: DeliveryContext = field(default_factory=lambda: DeliveryContext(Transports(), DeliveryPolicy()))


@dataclass(frozen=True)
class Actors:
    notifications: Mapping[Channel, dramatiq.Actor]  # type: ignore[type-arg]
    deliver_alert_action: dramatiq.Actor  # type: ignore[type-arg]
    context: ActorContext

    def deliver_notification(self, channel: Channel) -> dramatiq.Actor:  # type: ignore[type-arg]
        """The actor on ``channel``'s queue."""
        return self.notifications[channel]


# Few quick retries: a message lost for good is covered by the sweeper anyway.
OPTIONS: dict[str, Any] = {"max_retries": 3, "min_backoff": 500, "max_backoff": 10_000, "time_limit": 120_000}


def notification_actor_name(channel: Channel) -> str:
    return f"deliver_{channel.value.lower()}"


def declare_actors(broker: dramatiq.Broker) -> Actors:
    context = ActorContext()

    async def deliver_notification(notification_id: int) -> None:
        await deliver(notification_id, datetime.now(UTC), context.delivery)

    notifications = {
        channel: dramatiq.actor(
            deliver_notification,
            broker=broker,
            actor_name=notification_actor_name(channel),
            queue_name=channel_queue(channel),
            **OPTIONS,
        )
        for channel in Channel
    }
    return Actors(
        notifications=notifications,
        deliver_alert_action=declare_alert_action_actor(broker, context, {"queue_name": ACTIONS_QUEUE, **OPTIONS}),
        context=context,
    )
