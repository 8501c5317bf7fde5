"""A fake APNs server: HTTP/2 over TLS (h2 on an ``asyncio.Protocol``), ``POST /3/device/<token>``.

It behaves like Apple's where a client can tell: a self-signed certificate made at start
(trust ``.ca_file``), ALPN ``h2``, ``MAX_CONCURRENT_STREAMS`` 1000, the ``apns-id`` echoed in
every response (aioapns matches answers by it), 200 as a HEADERS frame that ends the stream,
errors as HEADERS plus one DATA frame ``{"reason": ...}`` (410 with a ``timestamp``). It checks
what Apple checks that our code controls: the provider token (ES256 JWT with ``kid``/``iss``,
when built with the key), the topic, the priority, the push type and the 4 KB payload limit.

    with FakeApns(public_key_pem=..., key_id="KEY1", team_id="TEAM1", topic="com.example") as apns:
        apns.dead("old-token")                      # 410 Unregistered
        apns.reject("bad", 400, "BadDeviceToken")
        apns.fail("flaky", 503)                     # one 503 ServiceUnavailable, then 200
        apns.hold("slow")                           # answer after apns.release()
        apns.received[0].headers["apns-priority"]; apns.received[0].payload["aps"]
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import ConnectionTerminated, DataReceived, RequestReceived, StreamEnded, StreamReset
from h2.exceptions import H2Error
from h2.settings import SettingCodes

from tests.fakes import LOOPBACK, Answer, FakeControls, LoopThread, Records, Script, SelfSigned, make_self_signed

MAX_PAYLOAD_BYTES = 4096
PUSH_TYPES = frozenset({"alert", "background", "voip", "complication", "fileprovider", "mdm", "liveactivity"})


@dataclass
class ApnsRequest:
    """One push as received: the device token from the path, the request headers (pseudo
    headers included, e.g. ``:path``), the decoded payload (None if not JSON) and, once
    answered, the status and reason sent back."""

    token: str
    headers: dict[str, str]
    payload: dict[str, Any] | None
    raw: bytes
    apns_id: str
    status: int | None = None
    reason: str | None = None
    jwt_claims: dict[str, Any] | None = None


class _H2Server(asyncio.Protocol):
    def __init__(self, fake: FakeApns) -> None:
        self.fake = fake
        self.conn = H2Connection(H2Configuration(client_side=False, header_encoding="utf-8"))
        self.transport: asyncio.Transport | None = None
        self.streams: dict[int, tuple[dict[str, str], bytearray]] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.fake._connections.add(self)
        self.conn.initiate_connection()
        self.conn.update_settings({SettingCodes.MAX_CONCURRENT_STREAMS: 1000})
        self.flush()

    def connection_lost(self, exc: Exception | None) -> None:
        self.fake._connections.discard(self)
        self.transport = None

    def flush(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(self.conn.data_to_send())

    def data_received(self, data: bytes) -> None:
        try:
            events = self.conn.receive_data(data)
        except H2Error:
            self.flush()
            if self.transport is not None:
                self.transport.close()
            return
        for event in events:
            if isinstance(event, RequestReceived):
                self.streams[event.stream_id] = (dict(event.headers), bytearray())  # type: ignore[arg-type]
            elif isinstance(event, DataReceived):
                stream = self.streams.get(event.stream_id)
                if stream is not None and len(stream[1]) <= MAX_PAYLOAD_BYTES * 4:
                    stream[1].extend(event.data)
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, StreamEnded):
                stream = self.streams.pop(event.stream_id, None)
                if stream is not None:
                    task = asyncio.get_running_loop().create_task(
                        self.fake._handle(self, event.stream_id, stream[0], bytes(stream[1]))
                    )
                    self.fake._tasks.add(task)
                    task.add_done_callback(self.fake._tasks.discard)
            elif isinstance(event, StreamReset):
                self.streams.pop(event.stream_id, None)
            elif isinstance(event, ConnectionTerminated):
                self.flush()
                if self.transport is not None:
                    self.transport.close()
                return
        self.flush()

    def respond(self, stream_id: int, status: int, apns_id: str, reason: str | None) -> bool:
        if self.transport is None or self.transport.is_closing():
            return False
        headers = [(":status", str(status)), ("apns-id", apns_id)]
        try:
            if reason is None:
                self.conn.send_headers(stream_id, headers, end_stream=True)
            else:
                body: dict[str, Any] = {"reason": reason}
                if status == 410:
                    body["timestamp"] = int(time.time() * 1000)
                data = json.dumps(body).encode()
                headers += [("content-type", "application/json"), ("content-length", str(len(data)))]
                self.conn.send_headers(stream_id, headers)
                self.conn.send_data(stream_id, data, end_stream=True)
        except H2Error:
            return False
        self.flush()
        return True


class FakeApns(FakeControls):
    name = "fake-apns"

    def __init__(
        self,
        *,
        public_key_pem: str | bytes | None = None,
        key_id: str | None = None,
        team_id: str | None = None,
        topic: str | None = None,
        delay: float = 0.0,
        max_records: int = 10_000,
    ) -> None:
        self.public_key_pem = public_key_pem
        self.key_id = key_id
        self.team_id = team_id
        self.topic = topic
        self.delay = delay
        self.received = Records(max_records)
        self.script = Script()
        self.host = LOOPBACK
        self.port = 0
        self.tls: SelfSigned | None = None
        self._thread: LoopThread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[_H2Server] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.connections_made = 0
        self.in_flight = 0  # requests received and not answered yet
        self.max_in_flight = 0

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def ca_file(self) -> str:
        assert self.tls is not None, "start() first"
        return self.tls.cert_file

    @property
    def count(self) -> int:
        return self.received.count

    def start(self) -> FakeApns:
        self.tls = make_self_signed()
        context = self.tls.server_context(alpn=["h2"])
        self._thread = LoopThread(self.name)
        self._thread.start()
        self.script.bind(self._thread.loop)

        def factory() -> _H2Server:
            self.connections_made += 1
            return _H2Server(self)

        async def serve() -> asyncio.AbstractServer:
            return await self._thread.loop.create_server(factory, LOOPBACK, 0, ssl=context, backlog=512)  # type: ignore[union-attr]

        self._server = self._thread.run(serve())
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        self.script.release()

        async def shutdown() -> None:
            assert self._server is not None
            self._server.close()
            for connection in list(self._connections):
                if connection.transport is not None:
                    connection.transport.abort()

        try:
            self._thread.run(shutdown())
        finally:
            self._thread.stop()
            self._thread = None
            if self.tls is not None:
                self.tls.remove()


    def drop_connections(self) -> None:
        """Close every client connection (as Apple does now and then)."""
        assert self._thread is not None

        async def drop() -> None:
            for connection in list(self._connections):
                if connection.transport is not None:
                    connection.transport.close()

        self._thread.run(drop())

    # ------------------------------------------------------------------ scripts

    def reject(self, token: str, status: int, reason: str, times: int | None = None) -> None:
        self.script.add(token, Answer(status, reason, times=times))

    def dead(self, token: str, times: int | None = None) -> None:
        """The app was removed from the device: 410 Unregistered."""
        self.reject(token, 410, "Unregistered", times)

    def fail(self, token: str, status: int = 503, reason: str = "ServiceUnavailable", times: int | None = 1) -> None:
        self.reject(token, status, reason, times)

    def slow(self, token: str, seconds: float, times: int | None = 1) -> None:
        self.script.add(token, Answer(200, None, delay=seconds, times=times))

    def hold(self, token: str, times: int | None = 1) -> None:
        self.script.add(token, Answer(200, None, hold=True, times=times))

    # ------------------------------------------------------------------ reading

    def for_token(self, token: str) -> list[ApnsRequest]:
        return [r for r in list(self.received) if r.token == token]

    def delivered(self, token: str | None = None) -> list[ApnsRequest]:
        return [r for r in list(self.received) if r.status == 200 and (token is None or r.token == token)]

    # ------------------------------------------------------------------ serving

    async def _handle(self, connection: _H2Server, stream_id: int, headers: dict[str, str], raw: bytes) -> None:
        path = headers.get(":path", "")
        token = path.removeprefix("/3/device/") if path.startswith("/3/device/") else ""
        apns_id = headers.get("apns-id") or str(uuid.uuid4()).upper()
        try:
            payload = json.loads(raw.decode("utf-8")) if raw else None
        except ValueError:
            payload = None
        record = ApnsRequest(token, headers, payload if isinstance(payload, dict) else None, raw, apns_id)
        self.received.add(record)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            answer = self.script.take(token)
            await self.script.wait(answer)
            if self.delay:
                await asyncio.sleep(self.delay)
            status, reason = self._check(record)
            if status == 200 and answer is not None and answer.status != 200:
                status, reason = answer.status, str(answer.payload)
            record.status, record.reason = status, reason
            connection.respond(stream_id, status, apns_id, reason)
        finally:
            self.in_flight -= 1

    def _check(self, record: ApnsRequest) -> tuple[int, str | None]:
        """What APNs itself would refuse, in the order it checks."""
        headers = record.headers
        if headers.get(":method") != "POST":
            return 405, "MethodNotAllowed"
        if not record.token:
            return 404, "BadPath"
        auth = headers.get("authorization", "")
        if self.public_key_pem is not None:
            if not auth.lower().startswith("bearer "):
                return 403, "MissingProviderToken"
            claims = self._verify_jwt(auth.split(" ", 1)[1])
            if claims is None:
                return 403, "InvalidProviderToken"
            record.jwt_claims = claims
        if self.topic is not None and headers.get("apns-topic") != self.topic:
            return 400, "TopicDisallowed" if headers.get("apns-topic") else "MissingTopic"
        if headers.get("apns-priority", "10") not in ("5", "10", "1"):
            return 400, "BadPriority"
        push_type = headers.get("apns-push-type")
        if push_type is not None and push_type not in PUSH_TYPES:
            return 400, "InvalidPushType"
        if push_type == "background" and headers.get("apns-priority") == "10":
            return 400, "BadPriority"
        collapse = headers.get("apns-collapse-id")
        if collapse is not None and len(collapse.encode()) > 64:
            return 400, "BadCollapseId"
        expiration = headers.get("apns-expiration")
        if expiration is not None and not expiration.isdigit():
            return 400, "BadExpirationDate"
        if len(record.raw) > MAX_PAYLOAD_BYTES:
            return 413, "PayloadTooLarge"
        if record.payload is None:
            return 400, "PayloadEmpty" if not record.raw else "BadMessage"
        return 200, None

    def _verify_jwt(self, token: str) -> dict[str, Any] | None:
        import jwt

        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, self.public_key_pem, algorithms=["ES256"], options={"require": ["iss", "iat"]})
        except jwt.PyJWTError:
            return None
        if self.key_id is not None and header.get("kid") != self.key_id:
            return None
        if self.team_id is not None and claims.get("iss") != self.team_id:
            return None
        return dict(claims)


def make_apns_key() -> tuple[str, str]:
    """A fresh ES256 signing key as Apple issues it (PKCS#8 PEM, the ``.p8`` file) and its
    public key PEM for the fake."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private, public
