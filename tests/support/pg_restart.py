"""A PostgreSQL that restarts on the test's word: a :class:`TcpProxy` in front of the real server
which, while "starting up", answers every new connection the way PostgreSQL does in that state.

PostgreSQL drops every session when it restarts, and until recovery is over it answers a client's
startup message with an ErrorResponse, SQLSTATE 57P03 ``the database system is starting up``
(asyncpg raises CannotConnectNowError). That is not a refused connection: the TCP connection is
accepted and the server speaks, so a client that only knows "unreachable" does not recognise it.
The fake speaks just enough of the protocol (version 3) for that: it declines TLS and GSSAPI
encryption requests with ``N``, reads the startup message and sends the ErrorResponse.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct

from tests.support.tcp_proxy import TcpProxy

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
STARTING_UP = {
    "S": "FATAL",
    "V": "FATAL",
    "C": "57P03",
    "M": "the database system is starting up",
}


def error_response(fields: dict[str, str]) -> bytes:
    """A backend ErrorResponse message: 'E', its length, then (code byte, text, NUL) per field
    and a final NUL."""
    body = b"".join(code.encode() + text.encode() + b"\0" for code, text in fields.items()) + b"\0"
    return b"E" + struct.pack("!I", len(body) + 4) + body


async def _read_startup(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Reads up to the startup message, declining the encryption requests that may precede it."""
    while True:
        (length,) = struct.unpack("!I", await reader.readexactly(4))
        payload = await reader.readexactly(length - 4)
        (code,) = struct.unpack("!I", payload[:4])
        if code not in (SSL_REQUEST, GSSENC_REQUEST):
            return
        writer.write(b"N")
        await writer.drain()


class RestartingPostgres(TcpProxy):
    """Forwards to the real PostgreSQL until :meth:`begin_restart`; from then until
    :meth:`finish_restart` every open connection is gone and new ones are told 57P03."""

    starting_up = False
    refused_startups = 0  # connections answered with 57P03

    def begin_restart(self) -> None:
        self.starting_up = True
        self.stop()  # drops every open session, as a restart does
        self.start()

    def finish_restart(self) -> None:
        self.starting_up = False

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if not self.starting_up:
            await super()._handle(client_reader, client_writer)
            return
        self._writers.add(client_writer)
        try:
            with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                await _read_startup(client_reader, client_writer)
                client_writer.write(error_response(STARTING_UP))
                await client_writer.drain()
                self.refused_startups += 1
        finally:
            self._writers.discard(client_writer)
            client_writer.close()
