"""Make minutes pass for one alert without sleeping: its stored due times move into the past.

Escalation timeouts are minutes. Rewriting the alert's ``next_escalation_at`` and its pending
notifications' ``due_at`` earlier by the same amount leaves the database exactly as it would be
once that much time had passed; the worker's own tick then finds the alert due with its real clock.
"""

from __future__ import annotations

from datetime import timedelta

from pagerline.models import Alert, Notification, NotificationStatus
from tests.support.graphql import in_db


def move_clock(url: str, alert_id: int, minutes: int) -> None:
    """Make `minutes` pass for this alert: its stored due times move into the past."""

    async def body() -> None:
        alert = await Alert.get(id=alert_id)
        if alert.next_escalation_at is not None:
            alert.next_escalation_at -= timedelta(minutes=minutes)
            await alert.save(update_fields=["next_escalation_at"])
        for row in await Notification.filter(alert_id=alert_id, status=NotificationStatus.PENDING):
            row.due_at -= timedelta(minutes=minutes)
            await row.save(update_fields=["due_at"])

    in_db(url, body)
