"""Web Push (RFC 8030) to browsers, encrypted with aes128gcm (RFC 8291) and signed with VAPID
(RFC 8292), through pywebpush.

Why it looks the way it does:

* pywebpush's ``webpush()`` posts with ``requests``, which would block the event loop. Its
  ``WebPusher.send_async`` (pywebpush 2.x) posts with aiohttp instead; we use that, with one
  aiohttp session per event loop (connections belong to the loop that opened them) so pushes
  to one push service reuse connections. The encryption itself (one ECDH and one AES-GCM over
  at most 4 KB) takes well under a millisecond and runs inline.
* The VAPID header is ours (:mod:`pagerline.push.vapid`, PyJWT): py_vapid insists on a
  ``mailto:`` or bare ``https://host`` subject and checks it with a regular expression, and we
  want ``exp`` computed from a ``now`` we can test.
* The key comes from ``key_source``, an async callable (the engine's: the setting, or the key
  stored in the database), asked once per transport: the transport itself never touches the
  database.
* The ``Urgency`` header (RFC 8030 section 5.3) is ``high`` for HIGH pages, so a phone's browser
  wakes for them even in power saving; ``normal`` otherwise. ``Topic`` (section 5.4) is the
  alert's collapse id, so the push service replaces a page it still holds with its update.
* A private CA (tests, a proxy) is trusted through ``SSL_CERT_FILE``: the TLS context is made
  with the system defaults when the first push is sent, and those read that variable.
* Outcomes: 201/202 delivered (the ``Location`` header is the message id); 404 and 410 mean the
  subscription is gone for good (destination dead: the engine deactivates the device); 429,
  5xx, timeouts and network errors are retried (no sooner than a ``Retry-After`` in seconds
  asks, up to the engine's backoff cap); anything else (400, 401, 403 for a key the
  subscription was not made with, 413) fails without touching the subscription.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
from cryptography.hazmat.primitives.asymmetric import ec
from pywebpush import WebPusher, WebPushException

from pagerline.push import vapid
from pagerline.push.base import DeliveryResult, OutgoingMessage, Outcome
from pagerline.push.payloads import encode_web_push_payload

if TYPE_CHECKING:
    from pagerline.settings import Settings

DEFAULT_CONCURRENCY = 64
DEFAULT_TIMEOUT = 10.0
# RFC 8030's Topic: at most 32 characters of the URL-safe base64 alphabet.
_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_DEAD = frozenset({404, 410})

KeySource = Callable[[], Awaitable[str]]


def is_p256_public_key(text: str) -> bool:
    """A subscription's ``keys.p256dh``: base64url of an uncompressed P-256 point on the curve."""
    try:
        raw = vapid.b64url_decode(text)
        if len(raw) != 65 or raw[0] != 4:
            return False
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        return False
    return True


def is_auth_secret(text: str) -> bool:
    """A subscription's ``keys.auth``: base64url of 16 bytes (RFC 8291 section 3.2)."""
    try:
        return len(vapid.b64url_decode(text)) == 16
    except ValueError:
        return False


def urgency(message: OutgoingMessage) -> str:
    if message.kind == "PAGE" and message.priority == "HIGH":
        return "high"
    return "normal"


def push_headers(message: OutgoingMessage, key: ec.EllipticCurvePrivateKey, subject: str, now: float) -> dict[str, str]:
    """The headers beside the encrypted body: VAPID ``Authorization``, ``Urgency``, ``Topic``.
    (pywebpush adds ``TTL`` and ``Content-Encoding``.)"""
    headers = {
        "Authorization": vapid.authorization(key, message.destination.address, subject, now),
        "Urgency": urgency(message),
    }
    if _TOPIC.match(message.collapse_id):
        headers["Topic"] = message.collapse_id
    return headers


def map_status(status: int, body: str, retry_after: str | None) -> DeliveryResult:
    """One push service answer as a delivery outcome."""
    reason = f"Web Push HTTP {status}: {body.strip()[:200]}".rstrip(": ")
    if status in _DEAD:
        return DeliveryResult(Outcome.FAILED, reason, destination_dead=True)
    if status == 429 or status >= 500:
        wait = _seconds(retry_after)
        if wait is not None:
            reason += f" (Retry-After {wait:g} s)"
        return DeliveryResult(Outcome.RETRY, reason, retry_after_seconds=wait)
    return DeliveryResult(Outcome.FAILED, reason)


def _seconds(retry_after: str | None) -> float | None:
    """``Retry-After`` in delta-seconds; an HTTP date (rare from push services) is ignored and
    the engine's own backoff applies."""
    if retry_after is None or not retry_after.strip().isdigit():
        return None
    return float(retry_after.strip())


def subject_for(settings: Settings) -> str:
    """The VAPID ``sub`` claim: how a push service's operator reaches us. The public URL's
    origin when it is https, else the email sender when email is set up, else the public URL."""
    public = urlsplit(settings.public_url)
    if public.scheme == "https" or not settings.smtp_from:
        return f"{public.scheme}://{public.netloc}"
    return f"mailto:{settings.smtp_from}"


@dataclass
class _LoopState:
    loop: asyncio.AbstractEventLoop
    session: aiohttp.ClientSession
    semaphore: asyncio.Semaphore


class WebPushTransport:
    """Sends PUSH notifications to browsers' Web Push subscriptions.

    ``key_source``: returns the VAPID private key (see :mod:`pagerline.push.vapid` for its
    format). ``subject``: the JWT's ``sub``. ``concurrency``: requests in flight at once.
    ``timeout``: seconds for one request. ``clock``: Unix seconds, for the JWT's ``exp``.
    """

    name = "webpush"

    def __init__(
        self,
        *,
        key_source: KeySource,
        subject: str,
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._key_source = key_source
        self._key: ec.EllipticCurvePrivateKey | None = None
        self.subject = subject
        self.concurrency = concurrency
        self.timeout = timeout
        self._clock = clock
        self._state: _LoopState | None = None
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings, key_source: KeySource, **overrides: Any) -> WebPushTransport:
        kwargs: dict[str, Any] = {"key_source": key_source, "subject": subject_for(settings)}
        kwargs.update(overrides)
        return cls(**kwargs)

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        if self._closed:
            raise RuntimeError("WebPushTransport is closed")
        dest = message.destination
        if not (is_p256_public_key(dest.webpush_p256dh) and is_auth_secret(dest.webpush_auth)):
            # Checked at registration; pywebpush would fail on them with an IndexError.
            return DeliveryResult(Outcome.FAILED, "Web Push subscription keys are missing or damaged")
        try:
            key = await self._signing_key()
        except ValueError as exc:
            return DeliveryResult(Outcome.FAILED, f"Web Push VAPID key: {exc}"[:300])
        payload = encode_web_push_payload(message)
        headers = push_headers(message, key, self.subject, self._clock())
        state = self._loop_state()
        subscription = {"endpoint": dest.address, "keys": {"p256dh": dest.webpush_p256dh, "auth": dest.webpush_auth}}
        pusher = WebPusher(subscription, aiohttp_session=state.session)
        async with state.semaphore:
            try:
                response = await pusher.send_async(
                    payload,
                    headers,
                    ttl=max(0, message.ttl_seconds),
                    content_encoding="aes128gcm",
                    timeout=aiohttp.ClientTimeout(total=self.timeout),
                )
            except WebPushException as exc:  # pywebpush refused to encrypt: a retry changes nothing
                return DeliveryResult(Outcome.FAILED, f"Web Push: {exc}"[:300])
            except TimeoutError:
                return DeliveryResult(Outcome.RETRY, f"Web Push timed out after {self.timeout:g}s")
            except aiohttp.ClientError as exc:
                return DeliveryResult(Outcome.RETRY, f"Web Push: {type(exc).__name__}: {exc}"[:300])
        assert isinstance(response, aiohttp.ClientResponse)  # not curl mode
        if response.status in (200, 201, 202):
            return DeliveryResult(Outcome.DELIVERED, provider_id=response.headers.get("Location", "")[-100:])
        return map_status(response.status, await _text(response), response.headers.get("Retry-After"))

    async def _signing_key(self) -> ec.EllipticCurvePrivateKey:
        if self._key is None:
            self._key = vapid.load_private_key(await self._key_source())
        return self._key

    def _loop_state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        state = self._state
        if state is not None and state.loop is loop:
            return state
        # A session of another loop cannot be closed from this one; it is dropped.
        connector = aiohttp.TCPConnector(ssl=ssl.create_default_context(), limit=self.concurrency)
        self._state = _LoopState(loop, aiohttp.ClientSession(connector=connector), asyncio.Semaphore(self.concurrency))
        return self._state

    async def close(self) -> None:
        self._closed = True
        state, self._state = self._state, None
        if state is not None and state.loop is asyncio.get_running_loop():
            with contextlib.suppress(Exception):
                await state.session.close()


async def _text(response: aiohttp.ClientResponse) -> str:
    # pywebpush has read the body already; reading again returns it from aiohttp's buffer.
    with contextlib.suppress(Exception):
        return await response.text()
    return ""
