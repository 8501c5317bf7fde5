"""Browsers as devices: their Web Push subscriptions, and the server's VAPID key.

A subscription (``PushSubscription.toJSON()``: ``{endpoint, expirationTime, keys: {p256dh,
auth}}``) becomes a :class:`~pagerline.models.Device` with platform ``WEB`` and provider
``WEB_PUSH``, its endpoint as the token, so the engine pages browsers like phones: same rules,
storm protection, dead-token cleanup. The endpoint is an address the *server* will POST to, so
it is checked before anything is stored: ``https`` only, no credentials, and a host on the
allow list (``PAGERLINE_WEBPUSH_ENDPOINT_ALLOW``, by default the browsers' push services), so a
user cannot make the server post to an address of their choosing.

The VAPID key is ``PAGERLINE_VAPID_PRIVATE_KEY`` when set. Otherwise it is generated once and
stored in ``server_keys``: browsers bind a subscription to the key they were given, so every
server and worker process must sign with the same one, across restarts. Two processes starting
at once both try to insert; the primary key lets one win and both read the winner's key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from tortoise.exceptions import IntegrityError

from pagerline.engine.core.errors import BadInput
from pagerline.engine.people.devices import upsert_device
from pagerline.models import Device, Platform, PushProvider, ServerKey
from pagerline.push.vapid import application_server_key, generate_private_key, load_private_key
from pagerline.push.web_push import is_auth_secret, is_p256_public_key

VAPID_KEY_NAME = "vapid_private_key"
#: The devices table keeps push addresses up to this length.
MAX_ENDPOINT_LENGTH = 512


async def vapid_private_key(configured: str | None) -> str:
    """The VAPID private key every process signs with: the setting, else the stored one
    (generated on first use)."""
    if configured:
        return configured
    stored = await ServerKey.filter(name=VAPID_KEY_NAME).first()
    if stored is not None:
        return stored.value
    try:
        await ServerKey.create(name=VAPID_KEY_NAME, value=generate_private_key())
    except IntegrityError:
        pass  # another process stored its key first: use that one
    return (await ServerKey.get(name=VAPID_KEY_NAME)).value


async def vapid_public_key(configured: str | None) -> str:
    """The application server key browsers subscribe with (base64url, uncompressed point)."""
    return application_server_key(load_private_key(await vapid_private_key(configured)))


@dataclass(frozen=True, slots=True)
class WebSubscription:
    """A checked subscription: the endpoint and its keys as the browser sent them."""

    endpoint: str
    p256dh: str
    auth: str


def host_allowed(host: str, port: int | None, allowed: tuple[str, ...]) -> bool:
    """``host`` (lowercase) against entries ``host``, ``*.domain`` (subdomains only) and
    ``host:port`` (that port only)."""
    for entry in allowed:
        name, _, entry_port = entry.rpartition(":") if _has_port(entry) else (entry, "", "")
        if entry_port and str(port or 443) != entry_port:
            continue
        if name.startswith("*."):
            if host.endswith(name[1:]) and len(host) > len(name) - 1:
                return True
        elif host == name:
            return True
    return False


def _has_port(entry: str) -> bool:
    head, sep, tail = entry.rpartition(":")
    return bool(sep) and tail.isdigit() and not head.endswith(":")


def check_subscription(subscription: Any, allowed_hosts: tuple[str, ...], now: datetime) -> WebSubscription:
    """The subscription if it is one the server may push to; ``BadInput`` naming the field
    otherwise. Pure: nothing is stored or fetched."""
    if not isinstance(subscription, dict):
        raise BadInput("subscription must be the object PushSubscription.toJSON() returns")
    endpoint = subscription.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise BadInput("subscription.endpoint must be a URL")
    _check_endpoint(endpoint, allowed_hosts)
    expires = subscription.get("expirationTime")
    if expires is not None:
        if isinstance(expires, bool) or not isinstance(expires, (int, float)) or not math.isfinite(expires):
            raise BadInput("subscription.expirationTime must be null or milliseconds since 1970")
        if expires <= now.timestamp() * 1000:
            raise BadInput("subscription.expirationTime has passed: subscribe again")
    keys = subscription.get("keys")
    if not isinstance(keys, dict):
        raise BadInput("subscription.keys must be an object with p256dh and auth")
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not isinstance(p256dh, str) or not is_p256_public_key(p256dh):
        raise BadInput("subscription.keys.p256dh must be the base64url of a P-256 public key (65 bytes)")
    if not isinstance(auth, str) or not is_auth_secret(auth):
        raise BadInput("subscription.keys.auth must be the base64url of a 16-byte secret")
    return WebSubscription(endpoint, p256dh.rstrip("="), auth.rstrip("="))


def _check_endpoint(endpoint: str, allowed_hosts: tuple[str, ...]) -> None:
    if len(endpoint) > MAX_ENDPOINT_LENGTH:
        raise BadInput(f"subscription.endpoint is longer than {MAX_ENDPOINT_LENGTH} characters")
    if any(ord(c) <= 32 or ord(c) == 127 for c in endpoint):
        raise BadInput("subscription.endpoint must not contain spaces or control characters")
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        raise BadInput("subscription.endpoint is not a valid URL") from None
    if parts.scheme.lower() != "https":
        raise BadInput("subscription.endpoint must be an https:// URL")
    if "@" in parts.netloc:
        raise BadInput("subscription.endpoint must not carry a user name or password")
    host = (parts.hostname or "").lower()
    if not host:
        raise BadInput("subscription.endpoint has no host")
    if parts.fragment:
        raise BadInput("subscription.endpoint must not have a #fragment")
    if not host_allowed(host, port, allowed_hosts):
        raise BadInput(f"subscription.endpoint: push service {host!r} is not allowed (PAGERLINE_WEBPUSH_ENDPOINT_ALLOW)")


async def register_subscription(user_id: int, subscription: Any, allowed_hosts: tuple[str, ...], now: datetime) -> Device:
    """Store a browser's subscription as the user's device, or update the one with the same
    endpoint (new keys, reactivated, moved to this user)."""
    checked = check_subscription(subscription, allowed_hosts, now)
    return await upsert_device(
        user_id,
        checked.endpoint,
        {
            "platform": Platform.WEB,
            "provider": PushProvider.WEB_PUSH,
            "webpush_p256dh": checked.p256dh,
            "webpush_auth": checked.auth,
            "active": True,
            "deactivated_reason": None,
        },
    )
