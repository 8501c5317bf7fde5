"""Local fake providers that speak the real wire protocols: FCM HTTP v1 (:mod:`.fcm`), APNs
HTTP/2 over TLS (:mod:`.apns`), Twilio REST (:mod:`.twilio`) and SMTP (:mod:`.smtp`).

Every fake is a class with ``start()``/``stop()`` (also a context manager), ``.url``/``.port``,
a ``.received`` list of what it got (capped by ``max_records``; ``.count`` keeps counting past
the cap) and script methods for its answers. It serves on 127.0.0.1 only, from its own event
loop in a daemon thread, so synchronous tests, async tests and separate processes can all use
it. Nothing here sleeps to move time: delays are the fake's *answers* being slow on purpose,
and :func:`wait_until` polls (bounded) for work another thread does.

This module holds what the fakes share: the loop thread, a small HTTP server (HTTP/1.1 in clear
text, or HTTP/2 and HTTP/1.1 over TLS), the base of the push fakes (:class:`PushFake`: answers
scripted per device token), the answer scripts and a self-signed certificate maker. Waiting and
free ports come from tests/support/polling.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import shutil
import tempfile
import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit

from tests.support import polling
from tests.support.polling import LOOPBACK, free_port  # noqa: F401  (re-exported: the fakes' API)

DEFAULT_MAX_RECORDS = 10_000
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 1024 * 1024


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.005, what: str = "") -> Any:
    """:func:`tests.support.polling.wait_until` with a fake's tighter bounds (it answers on this
    machine within milliseconds). For waiting on a fake's thread, never for moving time."""
    return polling.wait_until(predicate, timeout, interval, what or repr(predicate))


# --------------------------------------------------------------------------- loop thread


class LoopThread:
    """An asyncio loop running in a daemon thread."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self) -> None:
        self._thread.start()

    def run(self, coro: Any, timeout: float = 10.0) -> Any:
        """Run ``coro`` on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        self.loop.call_soon_threadsafe(fn, *args)

    def stop(self) -> None:
        if not self._thread.is_alive():
            return

        async def cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            self.run(cancel_all(), timeout=5)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)
            if not self._thread.is_alive():
                self.loop.close()


# --------------------------------------------------------------------------- answer scripts


@dataclass
class Answer:
    """One scripted answer: ``status`` and ``payload`` mean what the fake makes of them;
    ``delay`` seconds before answering; ``hold`` waits for :meth:`Script.release`;
    ``times`` is how many requests it answers (None: all of them)."""

    status: int = 200
    payload: Any = None
    delay: float = 0.0
    hold: bool = False
    times: int | None = 1


class Script:
    """Answers keyed by whatever identifies a request (a push token, a phone number); the key
    ``"*"`` matches any request without a key of its own. Thread-safe."""

    ANY = "*"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: dict[str, deque[Answer]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._gate: asyncio.Event | None = None
        self.held = 0  # requests currently waiting for release()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._gate = None

    def add(self, key: str, answer: Answer) -> None:
        with self._lock:
            self._answers.setdefault(key, deque()).append(answer)

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
        self.release()

    def take(self, key: str | None) -> Answer | None:
        with self._lock:
            for candidate in (key, self.ANY):
                if candidate is None:
                    continue
                queue = self._answers.get(candidate)
                while queue:
                    answer = queue[0]
                    if answer.times is None:
                        return answer
                    if answer.times > 0:
                        answer.times -= 1
                        if answer.times == 0:
                            queue.popleft()
                        return answer
                    queue.popleft()
        return None

    async def wait(self, answer: Answer | None) -> None:
        """Apply an answer's hold and delay (on the fake's loop)."""
        if answer is None:
            return
        if answer.hold:
            if self._gate is None:
                self._gate = asyncio.Event()
            gate = self._gate
            self.held += 1
            try:
                await gate.wait()
            finally:
                self.held -= 1
        if answer.delay > 0:
            await asyncio.sleep(answer.delay)

    def release(self) -> None:
        """Let every held request answer now."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return

        def open_gate() -> None:
            if self._gate is not None:
                self._gate.set()
                self._gate = None

        loop.call_soon_threadsafe(open_gate)


class Records(list):  # type: ignore[type-arg]
    """A list that stops growing at ``cap`` (``count`` keeps counting)."""

    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap
        self.count = 0
        self._lock = threading.Lock()

    def add(self, item: Any) -> None:
        with self._lock:
            self.count += 1
            if self.cap and len(self) < self.cap:
                self.append(item)

    def reset(self) -> None:
        with self._lock:
            self.clear()
            self.count = 0


# --------------------------------------------------------------------------- HTTP/1.1 server


@dataclass
class HttpRequest:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    version: str = "HTTP/1.1"
    pseudo: dict[str, str] = field(default_factory=dict)  # HTTP/2 pseudo headers (":path", ":method", …)

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query, keep_blank_values=True)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def form_lists(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("utf-8"), keep_blank_values=True)

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in self.form_lists().items()}


@dataclass
class HttpResponse:
    status: int = 200
    body: Any = b""  # bytes, or anything JSON-serialisable
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, (bytes, bytearray)):
            body = bytes(self.body)
        else:
            body = json.dumps(self.body).encode()
            headers.setdefault("Content-Type", "application/json; charset=UTF-8")
        headers["Content-Length"] = str(len(body))
        return body, headers


_REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            413: "Payload Too Large", 429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


class FakeControls:
    """What every fake server offers a test: a context manager, forgetting, releasing held answers.
    Subclasses provide ``start``, ``stop``, ``script``, ``received`` and ``in_flight``."""

    script: Script
    received: Records
    in_flight: int
    max_in_flight: int

    def __enter__(self) -> Any:
        return self.start()  # type: ignore[attr-defined]

    def __exit__(self, *exc: object) -> None:
        self.stop()  # type: ignore[attr-defined]

    def reset(self) -> None:
        """Forget what was received and every scripted answer."""
        self.script.clear()
        self.received.reset()
        self.max_in_flight = self.in_flight

    def release(self) -> None:
        """Let answers held by ``hold`` go."""
        self.script.release()

    @contextmanager
    def for_one_test(self) -> Iterator[Any]:
        """One test's turn with a fake shared by a module: nothing scripted or received before
        it counts, and answers it left held are let go after it."""
        self.reset()
        try:
            yield self
        finally:
            self.release()


class HttpFake(FakeControls, ABC):
    """An HTTP server on 127.0.0.1 in its own loop thread: keep-alive HTTP/1.1 in clear text, or,
    with ``tls=True``, HTTP/2 over TLS (ALPN ``h2``, a self-signed certificate in ``ca_file``;
    httpx clients trust it through ``SSL_CERT_FILE``). Subclasses implement
    ``async handle(request) -> HttpResponse``; the answer is written even if it comes late."""

    name = "fake-http"
    host = LOOPBACK
    alpn: tuple[str, ...] = ("h2", "http/1.1")  # what the TLS server offers, preferred first

    def __init__(self, *, max_records: int = DEFAULT_MAX_RECORDS, tls: bool = False) -> None:
        self.received = Records(max_records)
        self.script = Script()
        self.port = 0
        self.tls_enabled = tls
        self.tls: SelfSigned | None = None
        self._thread: LoopThread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._h2_connections: set[_TlsHttpConnection] = set()
        self.in_flight = 0  # requests received and not answered yet
        self.max_in_flight = 0
        self.connections_made = 0

    @property
    def url(self) -> str:
        return f"{'https' if self.tls_enabled else 'http'}://{self.host}:{self.port}"

    @property
    def ca_file(self) -> str:
        assert self.tls is not None, "start a fake with tls=True first"
        return self.tls.cert_file

    @property
    def count(self) -> int:
        return self.received.count

    def start(self) -> HttpFake:
        self._thread = LoopThread(self.name)
        self._thread.start()
        self.script.bind(self._thread.loop)
        loop = self._thread.loop

        async def serve() -> asyncio.AbstractServer:
            if self.tls_enabled:
                self.tls = make_self_signed()
                context = self.tls.server_context(alpn=list(self.alpn))
                return await loop.create_server(lambda: _TlsHttpConnection(self), LOOPBACK, 0, ssl=context, backlog=512)
            return await asyncio.start_server(self._connection, LOOPBACK, 0, limit=MAX_HEADER_BYTES, backlog=512)

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
            for writer in list(self._writers):
                writer.close()
            for connection in list(self._h2_connections):
                if connection.transport is not None:
                    connection.transport.abort()

        try:
            self._thread.run(shutdown())
        finally:
            self._thread.stop()
            self._thread = None
            if self.tls is not None:
                self.tls.remove()

    @property
    def open_connections(self) -> int:
        """Client connections open now (a TLS server holds every one in its protocol set)."""
        return len(self._h2_connections) if self.tls_enabled else len(self._writers)

    def drop_connections(self) -> None:
        """Close every client connection (as a provider does now and then): clients reconnect."""
        assert self._thread is not None, "start() first"

        async def drop() -> None:
            for writer in list(self._writers):
                writer.close()
            for connection in list(self._h2_connections):
                if connection.transport is not None:
                    connection.transport.close()

        self._thread.run(drop())

    @abstractmethod
    async def handle(self, request: HttpRequest) -> HttpResponse:
        """The fake's answer to one request (each fake speaks its provider's API)."""

    async def _respond(self, request: HttpRequest) -> HttpResponse:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self.handle(request)
        except Exception as exc:  # a fake's bug shows as a 500 with the reason
            return HttpResponse(500, {"fake_error": f"{type(exc).__name__}: {exc}"})
        finally:
            self.in_flight -= 1

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections_made += 1
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                try:
                    method, target, _version = lines[0].split(" ", 2)
                except ValueError:
                    return
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    if line:
                        key, _, value = line.partition(":")
                        headers[key.strip().lower()] = value.strip()
                if "chunked" in headers.get("transfer-encoding", "").lower():
                    body = await self._read_chunked(reader)
                    if body is None:
                        await self._write(writer, HttpResponse(413, {"error": "body too large"}), close=True)
                        return
                else:
                    length = int(headers.get("content-length") or 0)
                    if length > MAX_BODY_BYTES:
                        await self._write(writer, HttpResponse(413, {"error": "body too large"}), close=True)
                        return
                    body = await reader.readexactly(length) if length else b""
                request = HttpRequest(method, target, headers, body)
                response = await self._respond(request)
                close = headers.get("connection", "").lower() == "close"
                await self._write(writer, response, close=close)
                self.answered(request, response)
                if close:
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    def answered(self, request: HttpRequest, response: HttpResponse) -> None:
        """Hook: called once the answer to ``request`` was written."""

    @staticmethod
    async def _read_chunked(reader: asyncio.StreamReader) -> bytes | None:
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return bytes(body)
            body += await reader.readexactly(size)
            await reader.readexactly(2)
            if len(body) > MAX_BODY_BYTES:
                return None

    @staticmethod
    async def _write(writer: asyncio.StreamWriter, response: HttpResponse, close: bool) -> None:
        body, headers = response.encoded()
        if close:
            headers["Connection"] = "close"
        head = f"HTTP/1.1 {response.status} {_REASONS.get(response.status, 'Status')}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        writer.write(head.encode("latin-1") + body)
        await writer.drain()


class PushRecord(Protocol):
    """What a push fake records of each request: the device token and the status it answered."""

    @property
    def token(self) -> str | None: ...

    @property
    def status(self) -> int | None: ...


RecordT = TypeVar("RecordT", bound=PushRecord)


class PushFake(HttpFake, Generic[RecordT]):
    """A push provider's fake (FCM, APNs): answers are scripted per device token, every answer
    may wait ``delay`` seconds (a provider's latency), and the records say which token got what."""

    def __init__(self, *, delay: float = 0.0, max_records: int = DEFAULT_MAX_RECORDS, tls: bool = False) -> None:
        super().__init__(max_records=max_records, tls=tls)
        self.delay = delay

    # ------------------------------------------------------------------ scripts

    def slow(self, token: str, seconds: float, times: int | None = 1) -> None:
        """Answer success after ``seconds``."""
        self.script.add(token, Answer(200, None, delay=seconds, times=times))

    def hold(self, token: str, times: int | None = 1) -> None:
        """Answer success only after :meth:`release` (for timeouts without guessing delays)."""
        self.script.add(token, Answer(200, None, hold=True, times=times))

    async def scripted(self, token: str | None) -> Answer | None:
        """The scripted answer for ``token`` (None: answer as the provider would), once its hold,
        its delay and the fake's own ``delay`` have passed."""
        answer = self.script.take(token)
        await self.script.wait(answer)
        if self.delay:
            await asyncio.sleep(self.delay)
        return answer

    # ------------------------------------------------------------------ reading

    def for_token(self, token: str) -> list[RecordT]:
        return [r for r in list(self.received) if r.token == token]

    def delivered(self, token: str | None = None) -> list[RecordT]:
        return [r for r in list(self.received) if r.status == 200 and (token is None or r.token == token)]


class _TlsHttpConnection(asyncio.Protocol):
    """One TLS connection of an :class:`HttpFake`: HTTP/2 (h2 on an ``asyncio.Protocol``) when
    ALPN chose ``h2``, else HTTP/1.1 (what ``requests`` speaks, e.g. google-auth's token fetch)."""

    def __init__(self, fake: HttpFake) -> None:
        from h2.config import H2Configuration
        from h2.connection import H2Connection

        self.fake = fake
        self.conn = H2Connection(H2Configuration(client_side=False, header_encoding="utf-8"))
        self.transport: asyncio.Transport | None = None
        self.streams: dict[int, tuple[dict[str, str], bytearray]] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.http1: asyncio.StreamReader | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        from h2.settings import SettingCodes

        self.transport = transport  # type: ignore[assignment]
        self.fake._h2_connections.add(self)
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is None or ssl_object.selected_alpn_protocol() != "h2":
            self.http1 = asyncio.StreamReader(limit=MAX_HEADER_BYTES)
            self.http1.set_transport(transport)  # type: ignore[arg-type]
            writer = asyncio.StreamWriter(transport, self, self.http1, asyncio.get_running_loop())  # type: ignore[arg-type]
            task = asyncio.get_running_loop().create_task(self.fake._connection(self.http1, writer))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            return
        self.fake.connections_made += 1
        self.conn.initiate_connection()
        self.conn.update_settings({SettingCodes.MAX_CONCURRENT_STREAMS: 1000})
        self.flush()

    def eof_received(self) -> bool | None:
        if self.http1 is not None:
            self.http1.feed_eof()
        return None

    async def _drain_helper(self) -> None:
        """StreamWriter.drain() asks its protocol for this; answers are small, never paused."""

    def connection_lost(self, exc: Exception | None) -> None:
        self.fake._h2_connections.discard(self)
        self.transport = None
        if self.http1 is not None:
            self.http1.feed_eof()

    def flush(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(self.conn.data_to_send())

    def data_received(self, data: bytes) -> None:
        from h2.events import ConnectionTerminated, DataReceived, RequestReceived, StreamEnded, StreamReset
        from h2.exceptions import H2Error

        if self.http1 is not None:
            self.http1.feed_data(data)
            return

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
                if stream is not None and len(stream[1]) <= MAX_BODY_BYTES:
                    stream[1].extend(event.data)
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, StreamEnded):
                stream = self.streams.pop(event.stream_id, None)
                if stream is not None:
                    task = asyncio.get_running_loop().create_task(self._answer(event.stream_id, *stream))
                    self.tasks.add(task)
                    task.add_done_callback(self.tasks.discard)
            elif isinstance(event, StreamReset):
                self.streams.pop(event.stream_id, None)
            elif isinstance(event, ConnectionTerminated):
                self.flush()
                if self.transport is not None:
                    self.transport.close()
                return
        self.flush()

    async def _answer(self, stream_id: int, pseudo: dict[str, str], body: bytearray) -> None:
        from h2.exceptions import H2Error

        headers = {k: v for k, v in pseudo.items() if not k.startswith(":")}
        headers.setdefault("host", pseudo.get(":authority", ""))
        pseudo_only = {k: v for k, v in pseudo.items() if k.startswith(":")}
        request = HttpRequest(
            pseudo.get(":method", ""), pseudo.get(":path", "/"), headers, bytes(body), "HTTP/2", pseudo_only
        )
        response = await self.fake._respond(request)
        data, extra = response.encoded()
        if self.transport is None or self.transport.is_closing():
            return
        try:
            head = [(":status", str(response.status))] + [(k.lower(), v) for k, v in extra.items()]
            # No body: the HEADERS frame ends the stream. (An empty DATA frame after it is valid
            # HTTP/2, but aioapns parses every DATA frame as JSON and then drops the connection.)
            self.conn.send_headers(stream_id, head, end_stream=not data)
            if data:
                self.conn.send_data(stream_id, data, end_stream=True)
        except H2Error:
            return
        self.flush()
        self.fake.answered(request, response)


# --------------------------------------------------------------------------- TLS


@dataclass
class SelfSigned:
    """A self-signed certificate for 127.0.0.1 and localhost, written to a temporary folder."""

    cert_pem: bytes
    key_pem: bytes
    folder: Path

    @property
    def cert_file(self) -> str:
        return str(self.folder / "cert.pem")

    @property
    def key_file(self) -> str:
        return str(self.folder / "key.pem")

    def server_context(self, alpn: list[str] | None = None) -> Any:
        import ssl

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        if alpn:
            context.set_alpn_protocols(alpn)
        return context

    def client_context(self) -> Any:
        import ssl

        return ssl.create_default_context(cafile=self.cert_file)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def make_self_signed(common_name: str = "localhost") -> SelfSigned:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(LOOPBACK))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = Path(tempfile.mkdtemp(prefix="pagerline-fake-tls-"))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (folder / "cert.pem").write_bytes(cert_pem)
    (folder / "key.pem").write_bytes(key_pem)
    return SelfSigned(cert_pem, key_pem, folder)
