"""Apple Push Notification service (HTTP/2, token auth) through aioapns.

Why it looks the way it does:

* aioapns captures the event loop when the client is built, so the client is created lazily
  inside the running loop (and again if another loop calls).
* Host and port are class attributes of the connection protocol (``APNS_SERVER``,
  ``APNS_PORT``). ``PAGERLINE_APNS_HOST/PORT`` set them on a subclass that we install as
  ``client.pool.protocol_class`` (STACK_NOTES.md; guarded by ``tests/push/test_guards.py``).
  ``PAGERLINE_APNS_CA_FILE`` is the CA the TLS context trusts (a proxy's or a test server's).
* aioapns has no response timeout: every send runs under ``asyncio.timeout``.
* That subclass also hardens aioapns 4.0's response handling, which a timeout would otherwise
  turn into a broken connection: a late answer to a request we gave up on called
  ``set_result`` on a cancelled future (an exception inside ``data_received`` kills the
  connection, and aioapns then re-sends every other request in flight on it: duplicate pages).
  It also returns the HTTP/2 receive window for error bodies (aioapns never does, so a
  long-lived connection stalls after ~64 KB of error replies) and forgets finished streams
  (aioapns keeps one map entry per successful push for the life of a connection).
* HTTP 500/503 mean APNs did not take the push; they are retried here a couple of times within
  the timeout. Everything else is mapped once: 200 delivered; 410, and 400 BadDeviceToken /
  Unregistered / DeviceTokenNotForTopic, failed with the device dead; 429 (and 5xx after the
  retries) retry later; the rest failed with Apple's reason.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt
from aioapns import APNs, NotificationRequest, PushType
from aioapns.common import NotificationResult
from aioapns.connection import APNsTLSClientProtocol
from aioapns.exceptions import ConnectionClosed, MaxAttemptsExceeded
from aioapns.exceptions import ConnectionError as ApnsConnectionError

from pagerline.push.base import DeliveryResult, OutgoingMessage, Outcome
from pagerline.push.payloads import build_apns_push

if TYPE_CHECKING:
    from pagerline.settings import Settings

DEFAULT_CONCURRENCY = 64
DEFAULT_TIMEOUT = 10.0
DEAD_REASONS = frozenset({"BadDeviceToken", "Unregistered", "DeviceTokenNotForTopic"})
RETRY_STATUSES = frozenset({"429", "500", "503"})
SERVER_RETRY_STATUSES = frozenset({"500", "503"})


def map_apns_result(result: NotificationResult) -> DeliveryResult:
    status = str(result.status)
    reason = result.description or ""
    if status == "200":
        return DeliveryResult(Outcome.DELIVERED, provider_id=result.notification_id)
    text = f"APNs {status} {reason}".strip()
    if status == "410" or (status == "400" and reason in DEAD_REASONS):
        return DeliveryResult(Outcome.FAILED, text, provider_id=result.notification_id, destination_dead=True)
    if status in RETRY_STATUSES:
        return DeliveryResult(Outcome.RETRY, text, provider_id=result.notification_id)
    return DeliveryResult(Outcome.FAILED, text, provider_id=result.notification_id)


class _HardenedProtocolMixin:
    """Response handling for :class:`aioapns.connection.APNsBaseClientProtocol` that survives
    requests abandoned by a timeout. Replaces aioapns's ``on_response_received`` /
    ``on_data_received`` / ``on_stream_ended`` logic; relies on its ``requests``,
    ``request_streams``, ``request_statuses``, ``conn`` and ``free_channels`` attributes."""

    requests: dict[str, asyncio.Future[NotificationResult]]
    request_streams: dict[int, str]
    request_statuses: dict[str, str]
    conn: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._bodies: dict[int, bytes] = {}
        self.lost = asyncio.Event()  # set once the connection is gone (close() waits for it)

    def on_response_received(self, headers: dict[bytes, bytes]) -> None:
        notification_id = headers.get(b"apns-id", b"").decode("utf8")
        self.request_statuses[notification_id] = headers.get(b":status", b"").decode("utf8")

    def on_data_received(self, data: bytes, stream_id: int) -> None:
        # Give the flow-control window back, then keep the body until the stream ends.
        self.conn.acknowledge_received_data(len(data), stream_id)
        kept = self._bodies.get(stream_id, b"")
        if len(kept) < 16384:
            self._bodies[stream_id] = kept + data

    def on_stream_ended(self, stream_id: int) -> None:
        body = self._bodies.pop(stream_id, b"")
        notification_id = self.request_streams.pop(stream_id, None)
        if notification_id is not None:
            status = self.request_statuses.pop(notification_id, "")
            future = self.requests.pop(notification_id, None)
            if future is not None and not future.done():
                reason, timestamp = "", None
                if body:
                    try:
                        parsed = json.loads(body.decode("utf8"))
                    except ValueError:
                        parsed = {}
                    if isinstance(parsed, dict):
                        reason = str(parsed.get("reason", ""))
                        timestamp = parsed.get("timestamp")
                future.set_result(NotificationResult(notification_id, status, description=reason or None, timestamp=timestamp))
        super().on_stream_ended(stream_id)  # type: ignore[misc]  # releases the stream slot

    def connection_lost(self, exc: Exception | None) -> None:
        # aioapns sets an exception on every pending future: skip the ones we abandoned.
        for notification_id, future in list(self.requests.items()):
            if future.done():
                del self.requests[notification_id]
        try:
            super().connection_lost(exc)  # type: ignore[misc]
        finally:
            self.lost.set()


def make_protocol_class(
    base: type[APNsTLSClientProtocol], host: str | None = None, port: int | None = None
) -> type[APNsTLSClientProtocol]:
    """A subclass of aioapns's production or development protocol with our response handling
    and, when given, another host and port."""
    attrs: dict[str, Any] = {"__module__": __name__}
    if host:
        attrs["APNS_SERVER"] = host
    if port:
        attrs["APNS_PORT"] = int(port)
    return type(f"Pagerline{base.__name__}", (_HardenedProtocolMixin, base), attrs)


@dataclass
class _LoopState:
    loop: asyncio.AbstractEventLoop
    client: APNs
    semaphore: asyncio.Semaphore


class ApnsTransport:
    """Sends PUSH notifications straight to APNs device tokens.

    ``key``: the text of the ``.p8`` signing key (PEM). ``host``/``port``: another APNs
    endpoint (default Apple's production or sandbox host, port 443). ``ca_file``: PEM of the CA
    to trust for it (or pass a ready ``ssl_context``). ``concurrency``: requests in flight at
    once. ``timeout``: seconds for one send including the 5xx retries. ``max_connections``:
    HTTP/2 connections in aioapns's pool (each multiplexes up to the server's stream limit).
    """

    name = "apns"

    def __init__(
        self,
        *,
        key: str,
        key_id: str,
        team_id: str,
        topic: str,
        use_sandbox: bool = False,
        host: str | None = None,
        port: int | None = None,
        ca_file: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout: float = DEFAULT_TIMEOUT,
        max_connections: int = 4,
        server_retries: int = 2,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        try:  # aioapns signs lazily, on connect, and would retry a bad key forever: fail now
            jwt.encode({"iss": team_id, "iat": 0}, key, algorithm="ES256", headers={"kid": key_id})
        except Exception as exc:
            raise ValueError(f"the APNs key is not a usable ES256 (.p8) private key: {exc}") from exc
        self._key = key
        self._key_id = key_id
        self._team_id = team_id
        self.topic = topic
        self.use_sandbox = use_sandbox
        self.host = host
        self.port = port
        self._ssl_context = ssl_context or _tls_context(ca_file)
        self.concurrency = concurrency
        self.timeout = timeout
        self.max_connections = max_connections
        self.server_retries = server_retries
        self._state: _LoopState | None = None
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> ApnsTransport:
        missing = [
            f"PAGERLINE_APNS_{name.upper()}"
            for name in ("key_file", "key_id", "team_id", "topic")
            if not getattr(settings, f"apns_{name}")
        ]
        if missing:
            raise ValueError(f"APNs is not fully configured: set {', '.join(missing)}")
        with open(settings.apns_key_file, encoding="utf-8") as fh:  # type: ignore[arg-type]
            key = fh.read()
        kwargs: dict[str, Any] = {
            "key": key,
            "key_id": settings.apns_key_id,
            "team_id": settings.apns_team_id,
            "topic": settings.apns_topic,
            "use_sandbox": settings.apns_sandbox,
            "host": settings.apns_host,
            "port": settings.apns_port,
            "ca_file": settings.apns_ca_file,
        }
        kwargs.update(overrides)
        return cls(**kwargs)

    def _loop_state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        if self._state is not None and self._state.loop is loop:
            return self._state
        if self._state is not None:
            # Its connections belong to another loop: let them go with it.
            self._state = None
        client = APNs(
            key=self._key,
            key_id=self._key_id,
            team_id=self._team_id,
            topic=self.topic,
            use_sandbox=self.use_sandbox,
            ssl_context=self._ssl_context,
            max_connections=self.max_connections,
            max_connection_attempts=3,
            err_func=_quiet,
        )
        pool = client.pool
        base = getattr(pool, "protocol_class", None)
        if not (isinstance(base, type) and issubclass(base, APNsTLSClientProtocol)):
            raise RuntimeError("aioapns changed: client.pool.protocol_class is not an APNsTLSClientProtocol subclass")
        pool.protocol_class = make_protocol_class(base, self.host, self.port)
        self._state = _LoopState(loop, client, asyncio.Semaphore(self.concurrency))
        return self._state

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        if self._closed:
            raise RuntimeError("ApnsTransport is closed")
        state = self._loop_state()
        push = build_apns_push(message)
        deadline = time.monotonic() + self.timeout
        async with state.semaphore:
            attempt = 0
            while True:
                request = NotificationRequest(
                    device_token=push.device_token,
                    message=push.payload,
                    notification_id=str(uuid.uuid4()),
                    time_to_live=push.ttl_seconds,
                    priority=push.priority,
                    collapse_key=push.collapse_id,
                    push_type=PushType(push.push_type),
                )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return DeliveryResult(Outcome.RETRY, f"APNs timed out after {self.timeout:g}s")
                try:
                    async with asyncio.timeout(remaining):  # aioapns has no timeout of its own
                        result = await state.client.send_notification(request)
                except TimeoutError:
                    return DeliveryResult(Outcome.RETRY, f"APNs timed out after {self.timeout:g}s")
                except (MaxAttemptsExceeded, ApnsConnectionError, ConnectionClosed, OSError) as exc:
                    return DeliveryResult(Outcome.RETRY, f"APNs connection: {type(exc).__name__} {exc}".strip()[:300])
                if str(result.status) in SERVER_RETRY_STATUSES and attempt < self.server_retries:
                    backoff = 0.1 * 2**attempt
                    if deadline - time.monotonic() > backoff:
                        attempt += 1
                        await asyncio.sleep(backoff)
                        continue
                return map_apns_result(result)

    async def close(self) -> None:
        self._closed = True
        state, self._state = self._state, None
        if state is None or state.loop is not asyncio.get_running_loop():
            return
        connections = list(state.client.pool.connections)
        state.client.pool.close()
        # A TLS connection finishes closing in the loop: wait (briefly) so none is left behind.
        waits = [asyncio.ensure_future(c.lost.wait()) for c in connections if isinstance(c, _HardenedProtocolMixin)]
        if waits:
            _, pending = await asyncio.wait(waits, timeout=2)
            for task in pending:
                task.cancel()


async def _quiet(request: NotificationRequest, result: NotificationResult) -> None:
    """aioapns logs every non-200 at ERROR; the engine records the outcome instead."""


def _tls_context(ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
    context.set_alpn_protocols(["h2"])
    return context
