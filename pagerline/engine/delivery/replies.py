"""Answers that come back through a provider: SMS replies, voice keypresses, delivery status.

Every accept or resolve goes through :mod:`pagerline.engine.alerts.transitions`, like any other adapter.
"""

from __future__ import annotations

import re
from datetime import datetime

from pagerline.engine.alerts import transitions as alert_engine
from pagerline.engine.core.errors import EngineError
from pagerline.engine.core.timeline import LogKind, add_entry
from pagerline.models import Alert, Channel, ContactKind, ContactMethod, Notification, NotificationKind, NotificationStatus, Role, User

_ACCEPT = {"1", "a", "ack", "accept", "acknowledge"}
_RESOLVE = {"2", "r", "res", "resolve", "close"}
_REPLY = re.compile(r"^\s*([a-z0-9]+?)\s*#?\s*(\d+)?\s*$", re.IGNORECASE)
FAILED_STATUSES = {"no-answer", "busy", "failed", "undelivered", "canceled"}


def parse_reply(text: str) -> tuple[str, int | None] | None:
    """'1', 'ack 123', 'A123', '2 #123', 'resolve 123' → ("accept"|"resolve", alert id or None)."""
    match = _REPLY.match(text.strip())
    if not match:
        return None
    word, number = match.group(1).lower(), match.group(2)
    if number is None:
        # "a123" arrives as one token: split letters from digits.
        split = re.match(r"^([a-z]+)(\d+)$", word)
        if split:
            word, number = split.group(1), split.group(2)
    if word in _ACCEPT:
        return "accept", int(number) if number else None
    if word in _RESOLVE:
        return "resolve", int(number) if number else None
    return None


async def act_on_alert(action: str, alert_id: int, user: User, now: datetime, via: str) -> str:
    """Accept or resolve as ``user``; the sentence to answer with, whatever happened."""
    if not user.active:
        return "This account is deactivated; nothing was changed."
    if user.role is Role.STAKEHOLDER:
        return "Stakeholders cannot act on alerts."
    try:
        if action == "accept":
            await alert_engine.accept_alert(alert_id, user.id, now, via=via)
            return f"Alert #{alert_id} accepted."
        await alert_engine.resolve_alert(alert_id, user.id, now, via=via)
        return f"Alert #{alert_id} resolved."
    except EngineError as exc:
        return f"Alert #{alert_id}: {exc.message}."


async def handle_sms_reply(phone: str, text: str, now: datetime) -> str:
    """The text to send back. Without an alert number, the reply acts on the latest alert this
    number was paged for by SMS."""
    method = await ContactMethod.filter(kind=ContactKind.SMS, value=phone, verified=True).order_by("id").first()
    user = await User.get_or_none(id=method.user_id) if method is not None else None  # type: ignore[attr-defined]
    if user is None:
        return "This number is not registered with pagerline."
    parsed = parse_reply(text)
    if parsed is None:
        return "Reply 1 to accept or 2 to resolve, optionally followed by the alert number, e.g. '1 123'."
    action, alert_id = parsed
    if alert_id is None:
        latest = (
            await Notification.filter(user_id=user.id, channel=Channel.SMS, kind=NotificationKind.PAGE, status=NotificationStatus.SENT)
            .order_by("-sent_at", "-id")
            .first()
        )
        if latest is None or latest.alert_id is None:  # type: ignore[attr-defined]
            return "There is no alert to act on; add its number, e.g. '1 123'."
        alert_id = latest.alert_id  # type: ignore[attr-defined]
    paged = await Notification.filter(user_id=user.id, alert_id=alert_id).exists()
    if not paged:
        return f"You were not paged for alert #{alert_id}."
    return await act_on_alert(action, alert_id, user, now, via="SMS reply")


async def handle_voice_digits(notification_id: int, digits: str, now: datetime) -> str | None:
    """Returns what to say, or None when the keypress meant nothing (ask again)."""
    notification = await Notification.get_or_none(id=notification_id, channel=Channel.VOICE)
    if notification is None or notification.alert_id is None:  # type: ignore[attr-defined]
        return "This call is no longer valid. Goodbye."
    action = {"1": "accept", "2": "resolve"}.get(digits.strip())
    if action is None:
        return None
    user = await User.get(id=notification.user_id)  # type: ignore[attr-defined]
    return await act_on_alert(action, notification.alert_id, user, now, via="voice call")  # type: ignore[attr-defined]


async def record_provider_status(notification_id: int, status: str, now: datetime) -> bool:
    """A call not answered (or an SMS not delivered) is a failed notification, on the timeline;
    the user's next rule runs as planned. Returns whether anything changed."""
    status = status.strip().lower()
    if status not in FAILED_STATUSES:
        return False
    notification = await Notification.get_or_none(id=notification_id)
    if notification is None:
        return False
    changed = await Notification.filter(id=notification_id, status=NotificationStatus.SENT).update(
        status=NotificationStatus.FAILED, last_error=f"provider reported {status}"
    )
    if changed and notification.alert_id is not None:  # type: ignore[attr-defined]
        user = await User.get(id=notification.user_id)  # type: ignore[attr-defined]
        alert = await Alert.get(id=notification.alert_id)  # type: ignore[attr-defined]
        await add_entry(
            alert.id, LogKind.NOTIFICATION_FAILED, f"{notification.channel.value} to {user.name} failed: {status}", now, user.id,
            {"channel": notification.channel.value, "reason": status},
        )
    return bool(changed)
