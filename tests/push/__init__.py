"""Transport tests: each drives the real library (firebase-admin, aioapns, httpx, aiosmtplib)
against a local fake provider (:mod:`tests.fakes`) and asserts what the fake received."""

from __future__ import annotations

from typing import Any

from pagerline.models import Channel
from pagerline.push.base import Destination, OutgoingMessage


#: The data fields a :func:`page` carries to the app, strings only: FCM's ``message.data`` and
#: the custom keys beside ``aps`` in an APNs payload are the same.
PAGE_DATA = {
    "notification_id": "1001",
    "kind": "PAGE",
    "alert_id": "42",
    "priority": "HIGH",
    "status": "PENDING",
    "title": "[HIGH] Database disk full",
    "collapse_id": "alert-42",
    "action_token": "act.tok.en",
    "critical": "1",
}


def device(token: str, *, platform: str = "IOS", provider: str = "FCM", critical: bool = True, **extra: Any) -> Destination:
    return Destination(address=token, device_id=7, provider=provider, platform=platform, critical=critical, **extra)


def page(destination: Destination, **overrides: Any) -> OutgoingMessage:
    """A HIGH page for alert 42 as the engine renders it; ``critical`` follows the product rule
    unless overridden."""
    fields: dict[str, Any] = {
        "notification_id": 1001,
        "channel": Channel.PUSH,
        "kind": "PAGE",
        "title": "[HIGH] Database disk full",
        "body": "db-1: /var/lib/postgresql at 99%",
        "user_id": 3,
        "destination": destination,
        "alert_id": 42,
        "priority": "HIGH",
        "alert_status": "PENDING",
        "collapse_id": "alert-42",
        "action_token": "act.tok.en",
        "badge": 2,
        "thread_id": "source-9",
        "ttl_seconds": 600,
    }
    fields.update(overrides)
    if "critical" not in overrides:
        fields["critical"] = (
            fields["kind"] == "PAGE" and fields["priority"] == "HIGH" and fields["destination"].critical
        )
    return OutgoingMessage(**fields)


def update(destination: Destination, **overrides: Any) -> OutgoingMessage:
    """An "accepted by" update about alert 42: normal priority, no action token."""
    fields: dict[str, Any] = {
        "kind": "UPDATE",
        "title": "Accepted: Database disk full",
        "body": "Ada accepted the alert",
        "alert_status": "ACCEPTED",
        "action_token": "",
        "critical": False,
    }
    fields.update(overrides)
    return page(destination, **fields)
