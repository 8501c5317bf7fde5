"""Wire payloads for mobile push, built from one :class:`~pagerline.push.base.OutgoingMessage`.

Pure functions: no I/O, no settings, no clock unless one is passed in. The transports call them
and the tests assert on what they build (and on what the fake providers receive).

What decides the shape of a push:

* **critical** (``message.critical``, which the engine sets for a HIGH page to a device whose
  owner enabled critical alerts). The builders re-check the product rule (a ``PAGE``, priority
  ``HIGH``, ``destination.critical``, not silent) so a wrongly flagged update or LOW page can
  never break through a user's Do Not Disturb.
  iOS: ``aps.sound = {"critical": 1, "name": ..., "volume": ...}`` and
  ``"interruption-level": "critical"``. Android: the ``pagerline_critical`` channel (the app
  creates it with DND bypass) and notification priority ``max``.
* **page vs. update**: pages go out at high priority (``apns-priority: 10``, Android
  ``priority: high``) with the ``PAGERLINE_ALERT`` category (the app defines ACCEPT and RESOLVE
  actions for it); updates at normal priority (``apns-priority: 5``), without actions.
* **interruption level** of a non-critical push: ``time-sensitive`` for a HIGH page (it breaks
  through a Focus mode the user allowed time-sensitive notifications for, which is what an
  on-call page needs when critical alerts are off; without the app's Time Sensitive entitlement
  iOS treats it as ``active``), ``active`` for LOW pages and updates.
* **silent** pushes (widget refresh): FCM data-only at normal priority; APNs
  ``content-available: 1`` with ``apns-push-type: background`` and priority 5.

The same ``data`` dict (all values strings) travels as FCM data and as custom keys beside
``aps`` in a direct APNs payload, so the apps parse one shape.
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from dataclasses import dataclass
from typing import Any

from firebase_admin import messaging

from pagerline.push.base import OutgoingMessage

CATEGORY_ALERT = "PAGERLINE_ALERT"
ANDROID_CHANNEL_CRITICAL = "pagerline_critical"
ANDROID_CHANNEL_DEFAULT = "pagerline_default"

PRIORITY_PAGE = "10"
PRIORITY_NORMAL = "5"

# APNs and FCM both cap a payload at 4 KB. The title also travels in ``data``; these byte caps
# keep title twice + body + keys well under the limit even for 3-byte UTF-8 text.
TITLE_MAX_BYTES = 256
BODY_MAX_BYTES = 1536
APNS_COLLAPSE_ID_MAX_BYTES = 64

# Keys the builders set in ``data``; extra ``message.data`` entries never override them.
_RESERVED = frozenset(
    {"notification_id", "kind", "alert_id", "priority", "status", "title", "collapse_id", "action_token", "critical", "aps"}
)


def truncate_utf8(text: str, max_bytes: int) -> str:
    """``text`` cut at a character boundary so its UTF-8 form fits ``max_bytes``, ending in "…"
    when something was cut."""
    raw = text.encode("utf-8")
    if len(raw) <= max_bytes:
        return text
    ellipsis = "…".encode()
    return raw[: max_bytes - len(ellipsis)].decode("utf-8", errors="ignore") + "…"


def is_page(message: OutgoingMessage) -> bool:
    return message.kind == "PAGE"


def is_critical(message: OutgoingMessage) -> bool:
    """Critical only when the engine asked for it *and* the product rule holds."""
    return (
        message.critical
        and is_page(message)
        and message.priority == "HIGH"
        and message.destination.critical
        and not message.silent
    )


def interruption_level(message: OutgoingMessage) -> str:
    if is_critical(message):
        return "critical"
    if is_page(message) and message.priority == "HIGH":
        return "time-sensitive"
    return "active"


def apns_collapse_id(collapse_id: str) -> str:
    """APNs rejects a collapse id over 64 bytes: longer ones become a stable hash."""
    if len(collapse_id.encode("utf-8")) <= APNS_COLLAPSE_ID_MAX_BYTES:
        return collapse_id
    return "h-" + hashlib.sha256(collapse_id.encode("utf-8")).hexdigest()[:40]


def _as_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


def push_data(message: OutgoingMessage) -> dict[str, str]:
    """The app-facing keys, all strings (FCM requires it). Empty optional fields are left out.

    ``notification_id``, ``kind`` and ``priority`` are always present; ``alert_id``,
    ``status``, ``title``, ``collapse_id`` and ``action_token`` (the signed lock-screen action
    token, pages only) when set; ``critical`` is ``"1"`` on critical pushes. Then any extra
    ``message.data`` entries (links and the like) as strings, never overriding those keys.
    """
    data: dict[str, str] = {"notification_id": str(message.notification_id), "kind": message.kind}
    if message.alert_id is not None:
        data["alert_id"] = str(message.alert_id)
    data["priority"] = message.priority
    if message.alert_status:
        data["status"] = message.alert_status
    if message.title:
        data["title"] = truncate_utf8(message.title, TITLE_MAX_BYTES)
    if message.collapse_id:
        data["collapse_id"] = message.collapse_id
    if message.action_token:
        data["action_token"] = message.action_token
    if is_critical(message):
        data["critical"] = "1"
    for key, value in message.data.items():
        if key in _RESERVED or value is None:
            continue
        data[str(key)] = _as_string(value)
    return data


# --------------------------------------------------------------------------- FCM


def _fcm_message(**fields: Any) -> messaging.Message:
    """``messaging.Message`` addressed by registration ``token``. firebase-admin 7.7 deprecates
    ``token`` in favour of ``fid`` (Firebase installation IDs), but what the apps register
    (``FirebaseMessaging.getToken()``) is a registration token, which the HTTP v1 API takes as
    ``message.token``; so the warning is silenced here, and only here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Message\.token is deprecated", category=DeprecationWarning)
        return messaging.Message(**fields)


def _apns_headers(message: OutgoingMessage, now: float) -> dict[str, str]:
    headers: dict[str, str]
    if message.silent:
        headers = {"apns-priority": PRIORITY_NORMAL, "apns-push-type": "background"}
    else:
        headers = {"apns-priority": PRIORITY_PAGE if is_page(message) else PRIORITY_NORMAL, "apns-push-type": "alert"}
    if message.collapse_id:
        headers["apns-collapse-id"] = apns_collapse_id(message.collapse_id)
    headers["apns-expiration"] = str(int(now) + max(0, message.ttl_seconds))
    return headers


def _fcm_aps(message: OutgoingMessage) -> messaging.Aps:
    if message.silent:
        return messaging.Aps(content_available=True)
    sound: str | messaging.CriticalSound
    if is_critical(message):
        sound = messaging.CriticalSound(
            message.destination.sound or "default", critical=True, volume=message.destination.critical_volume
        )
    else:
        sound = message.destination.sound or "default"
    return messaging.Aps(
        alert=messaging.ApsAlert(
            title=truncate_utf8(message.title, TITLE_MAX_BYTES), body=truncate_utf8(message.body, BODY_MAX_BYTES)
        ),
        badge=message.badge,
        sound=sound,
        category=CATEGORY_ALERT if is_page(message) else None,
        thread_id=message.thread_id or None,
        custom_data={"interruption-level": interruption_level(message)},
    )


def build_fcm_message(message: OutgoingMessage, *, now: float | None = None) -> messaging.Message:
    """An FCM HTTP v1 message for ``message.destination.address`` (an FCM registration token).

    Android settings are always included (FCM ignores them for iOS tokens); tokens of iOS apps
    (``destination.platform == "IOS"``) also get an ``apns`` block, because FCM forwards it to
    APNs and that is the only way to make a critical alert through FCM. ``now`` (Unix seconds,
    default the wall clock) only feeds the ``apns-expiration`` header.
    """
    now = time.time() if now is None else now
    ttl = max(0, message.ttl_seconds)
    collapse = message.collapse_id or None
    ios = message.destination.platform == "IOS"
    data = push_data(message)

    if message.silent:
        return _fcm_message(
            token=message.destination.address,
            data=data,
            android=messaging.AndroidConfig(priority="normal", ttl=ttl, collapse_key=collapse),
            apns=messaging.APNSConfig(
                headers=_apns_headers(message, now), payload=messaging.APNSPayload(aps=_fcm_aps(message))
            )
            if ios
            else None,
        )

    critical = is_critical(message)
    page = is_page(message)
    android = messaging.AndroidConfig(
        priority="high" if page else "normal",
        ttl=ttl,
        collapse_key=collapse,
        notification=messaging.AndroidNotification(
            channel_id=ANDROID_CHANNEL_CRITICAL if critical else ANDROID_CHANNEL_DEFAULT,
            # The tag makes an update replace the page in the tray (collapse_key only collapses
            # messages still waiting on FCM's side).
            tag=collapse,
            priority=("max" if critical else "high") if page else None,
        ),
    )
    return _fcm_message(
        token=message.destination.address,
        data=data,
        notification=messaging.Notification(
            title=truncate_utf8(message.title, TITLE_MAX_BYTES), body=truncate_utf8(message.body, BODY_MAX_BYTES)
        ),
        android=android,
        apns=messaging.APNSConfig(headers=_apns_headers(message, now), payload=messaging.APNSPayload(aps=_fcm_aps(message)))
        if ios
        else None,
    )


# --------------------------------------------------------------------------- APNs (direct)


@dataclass(frozen=True, slots=True)
class ApnsPush:
    """One APNs request: the JSON payload and the values of the ``apns-*`` headers.

    ``apns-expiration`` is not stored: it is "now + ttl_seconds" at send time (aioapns computes
    it from ``ttl_seconds``); :meth:`headers` shows the full set for a given ``now``.
    """

    device_token: str
    payload: dict[str, Any]
    priority: int  # 10 pages, 5 updates and silent pushes
    push_type: str  # "alert" or "background"
    collapse_id: str | None
    ttl_seconds: int

    def headers(self, now: float) -> dict[str, str]:
        headers = {"apns-priority": str(self.priority), "apns-push-type": self.push_type}
        if self.collapse_id:
            headers["apns-collapse-id"] = self.collapse_id
        headers["apns-expiration"] = str(int(now) + self.ttl_seconds)
        return headers


def build_apns_push(message: OutgoingMessage) -> ApnsPush:
    """The payload and headers for a direct APNs request to ``message.destination.address``."""
    data = push_data(message)
    collapse = apns_collapse_id(message.collapse_id) if message.collapse_id else None
    ttl = max(0, message.ttl_seconds)
    if message.silent:
        return ApnsPush(
            device_token=message.destination.address,
            payload={"aps": {"content-available": 1}, **data},
            priority=int(PRIORITY_NORMAL),
            push_type="background",
            collapse_id=collapse,
            ttl_seconds=ttl,
        )

    aps: dict[str, Any] = {
        "alert": {
            "title": truncate_utf8(message.title, TITLE_MAX_BYTES),
            "body": truncate_utf8(message.body, BODY_MAX_BYTES),
        }
    }
    if is_critical(message):
        aps["sound"] = {
            "critical": 1,
            "name": message.destination.sound or "default",
            "volume": message.destination.critical_volume,
        }
    else:
        aps["sound"] = message.destination.sound or "default"
    aps["interruption-level"] = interruption_level(message)
    if is_page(message):
        aps["category"] = CATEGORY_ALERT
    if message.thread_id:
        aps["thread-id"] = message.thread_id
    if message.badge is not None:
        aps["badge"] = message.badge
    return ApnsPush(
        device_token=message.destination.address,
        payload={"aps": aps, **data},
        priority=int(PRIORITY_PAGE if is_page(message) else PRIORITY_NORMAL),
        push_type="alert",
        collapse_id=collapse,
        ttl_seconds=ttl,
    )


# --------------------------------------------------------------------------- Web Push


#: The notification buttons a browser page shows; the service worker posts the chosen action
#: with ``action_token`` to ``POST /api/actions`` (as the phone apps do from the lock screen).
WEB_PUSH_ACTIONS = ({"action": "accept", "title": "Accept"}, {"action": "resolve", "title": "Resolve"})


#: What a push may carry before encryption: RFC 8030 push services must take 4096 bytes of
#: body, and aes128gcm (RFC 8291) adds an 86-byte header, a 16-byte tag and a 1-byte delimiter.
WEB_PUSH_MAX_PLAINTEXT = 4096 - 86 - 16 - 1


def encode_web_push_payload(message: OutgoingMessage) -> bytes:
    """:func:`build_web_push_payload` as UTF-8 JSON of at most :data:`WEB_PUSH_MAX_PLAINTEXT`
    bytes. The byte caps on title and body leave room for everything else, but JSON escaping
    can grow a body of quotes or control characters up to six times: then the body is cut by
    what is over (a push service would refuse the whole page with 413)."""
    payload = build_web_push_payload(message)
    while True:
        encoded = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        over = len(encoded) - WEB_PUSH_MAX_PLAINTEXT
        if over <= 0 or not payload["body"]:
            return encoded
        body = payload["body"].encode("utf-8")
        payload["body"] = truncate_utf8(payload["body"], max(0, len(body) - over))


def build_web_push_payload(message: OutgoingMessage) -> dict[str, Any]:
    """The JSON a browser's service worker receives (decrypted) in its ``push`` event.

    ``title`` and ``body`` for ``showNotification``; ``tag`` (the collapse id: an update
    replaces the page); ``url``, the alert's page a tap opens; ``actions`` (Accept, Resolve) on
    pages that carry an action token; ``requireInteraction`` for HIGH pages, so the page stays
    until someone acts; and ``data``, the same string keys FCM and APNs pushes carry
    (``alert_id``, ``kind``, ``priority``, ``action_token``, ``url`` …). A browser cannot break
    through Do Not Disturb, so there is no critical variant.
    """
    data = push_data(message)
    data.pop("title", None)  # it is at the top level; 4 KB is all a push may carry
    data.pop("critical", None)
    page = is_page(message)
    payload: dict[str, Any] = {
        "title": truncate_utf8(message.title, TITLE_MAX_BYTES),
        "body": truncate_utf8(message.body, BODY_MAX_BYTES),
        "tag": message.collapse_id,
        "url": data.get("url", ""),
        "requireInteraction": page and message.priority == "HIGH",
        "actions": list(WEB_PUSH_ACTIONS) if page and message.action_token else [],
        "data": data,
    }
    return payload
