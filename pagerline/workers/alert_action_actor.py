"""The actor that sends alert-action deliveries (outbound webhooks, Slack messages).

Woken after commit (through the dispatcher, like notifications) for a delivery that is due now:
a manual run, or an alert transition that planned an automatic action. Like every actor it only claims and calls the engine,
so running twice is harmless. Retries are rows due later: every worker's sweeper picks them up
(:func:`pagerline.engine.alerts.actions.deliver_due`), as it does for notifications, so no
delayed message is needed and none can be lost.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dramatiq

from pagerline.engine.alerts.actions import ActionContext, deliver_action

ACTOR_NAME = "deliver_alert_action"


def declare_alert_action_actor(broker: dramatiq.Broker, context: object, options: dict[str, Any]) -> dramatiq.Actor:  # type: ignore[type-arg]
    """Declared next to the other actors, with their options (``context`` is their
    ActorContext, whose delivery context carries the signing key and public URL once the
    runtime has started)."""

    async def deliver_alert_action(delivery_id: int) -> None:
        delivery = context.delivery  # type: ignore[attr-defined]
        await deliver_action(delivery_id, datetime.now(UTC), ActionContext(delivery.signing_key, delivery.public_url))

    return dramatiq.actor(deliver_alert_action, broker=broker, actor_name=ACTOR_NAME, **options)
