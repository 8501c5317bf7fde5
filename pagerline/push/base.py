"""The transport interface every channel implements.

A transport gets one rendered message for one destination and says what happened: delivered,
retry later (transient: 5xx, timeout, quota), or failed for good (with the provider's reason).
It never touches the database; the engine records the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from pagerline.models import Channel


class Outcome(str, Enum):
    DELIVERED = "DELIVERED"
    RETRY = "RETRY"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class Destination:
    """Where one message goes: a device token (a browser's endpoint), or a contact method's value
    (a phone number, an email address, an ntfy topic, a Pushover user key, a Telegram chat); for
    a follow-up, what the provider called the page it follows (a receipt, a message)."""

    address: str
    device_id: int | None = None
    provider: str = ""  # FCM, APNS, WEB_PUSH, CONSOLE for devices
    platform: str = ""  # IOS, ANDROID, WEB
    critical: bool = False  # the owner enabled critical alerts on this device
    sound: str = "default"
    critical_volume: float = 1.0
    # Web Push: the browser's keys the message is encrypted to (RFC 8291), base64url.
    webpush_p256dh: str = ""
    webpush_auth: str = ""
    # The contact method it is (SMS, email, ntfy, Pushover, Telegram), when it is one.
    contact_method_id: int | None = None


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One rendered notification for one destination. Transports turn it into their wire
    format (see :mod:`pagerline.push.payloads`) and decide nothing about *whether* to send."""

    notification_id: int
    channel: Channel
    kind: str  # PAGE, UPDATE, INFO
    title: str
    body: str
    user_id: int
    destination: Destination
    alert_id: int | None = None
    priority: str = "HIGH"
    alert_status: str = ""
    # Send as a critical alert: a HIGH page to a device whose owner enabled critical alerts.
    critical: bool = False
    # The same for every message about one alert, so an update replaces the page on the lock screen.
    collapse_id: str = ""
    # Signed, single-use token for lock-screen actions (POST /api/actions); empty for updates.
    action_token: str = ""
    # The user's open alerts (iOS badge); None leaves the badge alone.
    badge: int | None = None
    # Groups notifications per alert source (iOS thread-id).
    thread_id: str = ""
    ttl_seconds: int = 3600
    # A content-available push with no alert (tells the widget to refresh).
    silent: bool = False
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    outcome: Outcome
    reason: str = ""
    provider_id: str = ""
    # The destination is gone for good (dead push token): the engine deactivates it.
    destination_dead: bool = False
    # RETRY only: the provider asked us to wait this long (Retry-After); the engine waits at
    # least that, up to its backoff cap.
    retry_after_seconds: float | None = None


class Transport(Protocol):
    name: str

    async def send(self, message: OutgoingMessage) -> DeliveryResult: ...

    async def close(self) -> None: ...
