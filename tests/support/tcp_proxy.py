"""A TCP proxy the test can pull the plug on: the stand-in for a network path to a database.

``stop()`` closes the listening socket and aborts every open connection (both sides see the
connection drop, as when a database host goes away); until ``start()`` is called again, new
connections are refused. ``start()`` listens on the same port again, so a client configured with
the proxy's address reconnects without being told anything.

``hang()`` is the nastier outage: a server that stops answering (a frozen Redis, a network path
that swallows packets). Connections stay open and new ones are accepted, but nothing is passed
on in either direction, so clients wait for their timeouts instead of failing at once.
``start()`` ends it: the hung connections are dropped (as when the frozen server is restarted)
and new ones are served again.

The proxy runs its own asyncio loop in a daemon thread, so a synchronous test (which drives real
processes) can use it without an event loop of its own.

``redis_through`` and ``database_through`` rewrite a service URL so its client connects through
a proxy instead of straight to the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

_CHUNK = 64 * 1024


@dataclass(eq=False)
class _Link:
    """One client connection; a silent one passes nothing on, in either direction."""

    silent: bool


class TcpProxy:
    def __init__(self, upstream_host: str, upstream_port: int, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.host = host
        self.port = port
        self.accepted = 0  # client connections accepted over the proxy's life
        self.hanging = False
        self._links: set[_Link] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    # --- the synchronous face the test uses -------------------------------------------------

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self, *, drop_hung: bool = True) -> TcpProxy:
        """Listen (again) on ``port``; the first start picks a free port when ``port`` is 0.
        After :meth:`hang`, serves new connections again, and drops the hung ones unless
        ``drop_hung`` is False (then they stay open and silent)."""
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy", daemon=True)
            self._thread.start()
        if self.hanging and drop_hung:
            self._call(self._shutdown())
        self.hanging = False
        self._call(self._listen())
        return self

    def hang(self) -> None:
        """Keep every connection (and accept new ones) but pass nothing on, until ``start()``."""
        self.hanging = True
        for link in list(self._links):
            link.silent = True

    def stop(self) -> None:
        """Refuse new connections and drop every open one."""
        if self._loop is not None:
            self._call(self._shutdown())

    def close(self) -> None:
        """Stop and end the proxy's thread."""
        if self._loop is None:
            return
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join(5)
        self._loop.close()
        self._loop = None
        self._thread = None

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, coro):  # type: ignore[no-untyped-def]
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    # --- the loop side ------------------------------------------------------------------------

    async def _listen(self) -> None:
        if self._server is not None:
            return
        self._server = await asyncio.start_server(self._handle, self.host, self.port, reuse_address=True)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _shutdown(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        self._links.clear()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        self._tasks.clear()
        if server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2)

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if self._server is None:  # accepted in the instant before stop(): refuse it
            client_writer.transport.abort()
            return
        self.accepted += 1
        link = _Link(silent=self.hanging)
        if link.silent:  # swallow what the client sends; never answer
            self._writers.add(client_writer)
            await self._swallow(client_reader)
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        except OSError:
            client_writer.transport.abort()
            return
        if self._server is None:  # stopped while we were connecting upstream
            client_writer.transport.abort()
            upstream_writer.transport.abort()
            return
        self._writers.update((client_writer, upstream_writer))
        self._links.add(link)
        pumps = [
            asyncio.create_task(self._pump(client_reader, upstream_writer, link)),
            asyncio.create_task(self._pump(upstream_reader, client_writer, link)),
        ]
        self._tasks.update(pumps)
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in pumps:
                task.cancel()
                self._tasks.discard(task)
            self._links.discard(link)
            for writer in (client_writer, upstream_writer):
                self._writers.discard(writer)
                writer.transport.abort()

    async def _swallow(self, reader: asyncio.StreamReader) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # so _shutdown() ends it
        with contextlib.suppress(ConnectionError, OSError):
            while await reader.read(_CHUNK):
                pass

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, link: _Link) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while True:
                data = await reader.read(_CHUNK)
                if not data:
                    break
                if not link.silent:  # a hung server neither reads on nor answers
                    writer.write(data)
                    await writer.drain()


def redis_through(proxy: TcpProxy, redis_url: str) -> str:
    """``redis_url`` (same scheme and db number) pointed at ``proxy`` instead of Redis itself."""
    parts = urlsplit(redis_url)
    return urlunsplit((parts.scheme, f"{proxy.host}:{proxy.port}", parts.path, "", ""))


def database_through(proxy: TcpProxy, database_url: str) -> str:
    """``database_url`` (same user and database) pointed at ``proxy``, with a small pool (at
    least one connection kept open, so an outage is seen by a connection already in use)."""
    parts = urlsplit(database_url)
    netloc = f"{parts.username}@{proxy.host}:{proxy.port}" if parts.username else f"{proxy.host}:{proxy.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "min_size=1&max_size=5", ""))
