"""Where the SMTP intake listens: on the running event loop, beside whatever else runs there.

aiosmtpd's ``Controller`` would run the server on a thread and loop of its own; the intake's
handler must use the database connections of the loop it runs on, so the server is created on
the current loop instead (:func:`start_smtp_intake`): the app's in ``pagerline serve``
(:func:`start_embedded_intake`), its own in ``pagerline smtp`` (:func:`run_smtp_intake`).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import weakref
from typing import Any

from aiosmtpd.smtp import SMTP

from pagerline.api.ratelimit import TokenBuckets
from pagerline.email_intake.handler import IntakeHandler
from pagerline.settings import Settings

log = logging.getLogger(__name__)

IDENT = "pagerline email intake"
#: How long stopping waits for messages being stored before it closes their connections.
DRAIN_SECONDS = 5.0


class SmtpIntake:
    """A listening intake; :meth:`close` stops it."""

    def __init__(self, server: asyncio.AbstractServer, handler: IntakeHandler, sessions: weakref.WeakSet[SMTP]) -> None:
        self.server = server
        self.handler = handler
        self._sessions = sessions

    @property
    def port(self) -> int:
        return int(self.server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        """Stop listening, let messages being stored finish (up to :data:`DRAIN_SECONDS`), then
        close every connection. A sender cut off before its 250 sends the message again."""
        self.server.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DRAIN_SECONDS
        while self.handler.busy and loop.time() < deadline:
            await asyncio.sleep(0.05)
        for session in list(self._sessions):
            if session.transport is not None:
                session.transport.close()
        await self.server.wait_closed()


async def start_smtp_intake(settings: Settings, buckets: TokenBuckets, host: str, port: int) -> SmtpIntake:
    """Listen for mail on ``host:port`` (0: any free port). Raises OSError when it cannot."""
    domain = settings.email_domain
    if not domain:
        raise RuntimeError("the email intake needs PAGERLINE_EMAIL_DOMAIN")
    # aiosmtpd logs every command at INFO; the intake logs what matters itself. (A level set
    # on purpose, to debug a sender, is left alone.)
    smtp_log = logging.getLogger("mail.log")
    if smtp_log.level == logging.NOTSET:
        smtp_log.setLevel(logging.WARNING)
    loop = asyncio.get_running_loop()
    handler = IntakeHandler(domain, buckets)
    sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()

    def session() -> SMTP:
        made = SMTP(
            handler,
            data_size_limit=settings.smtp_intake_max_bytes,  # announced as SIZE; 552 beyond it
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=domain,  # else aiosmtpd asks DNS for this host's name on every connection
            ident=IDENT,
            loop=loop,
        )
        sessions.add(made)
        return made

    server = await loop.create_server(session, host, port, reuse_address=True)
    return SmtpIntake(server, handler, sessions)


async def start_embedded_intake(settings: Settings, buckets: TokenBuckets) -> SmtpIntake | None:
    """The intake inside ``pagerline serve``: with ``PAGERLINE_SMTP_INTAKE_PORT`` set and no
    Redis (the embedded defaults, one server process). With Redis there may be many server
    processes, and the intake runs as ``pagerline smtp`` instead."""
    port = settings.smtp_intake_port
    if port is None:
        return None
    if settings.uses_redis:
        log.warning("PAGERLINE_SMTP_INTAKE_PORT is set but so is PAGERLINE_REDIS_URL: run `pagerline smtp` for the email intake")
        return None
    try:
        intake = await start_smtp_intake(settings, buckets, settings.smtp_intake_host, port)
    except OSError as exc:
        raise RuntimeError(
            f"cannot listen for mail on {settings.smtp_intake_host}:{port} (PAGERLINE_SMTP_INTAKE_PORT): {exc.strerror or exc}"
        ) from exc
    log.info("email intake listening on %s:%d for <integration key>@%s", settings.smtp_intake_host, intake.port, settings.email_domain)
    return intake


async def run_smtp_intake(settings: Settings, host: str, port: int) -> int:
    """``pagerline smtp``: the intake in a process of its own, until SIGTERM or SIGINT.

    With Redis, new alerts wake the workers and reach live subscribers at once, as from the
    HTTP intake. Without Redis nothing here can reach another process, so their notifications
    wait for the server's sweeper (a few seconds) and the web app shows them on its next load."""
    from pagerline.db import close_db, init_db
    from pagerline.engine.core.effects import Dispatcher, NullDispatcher, set_dispatcher

    await init_db(settings.database_url)
    closers: list[Any] = []
    dispatcher: Dispatcher = NullDispatcher()
    if settings.uses_redis:
        from pagerline.bus import build_bus
        from pagerline.workers.actors import declare_actors
        from pagerline.workers.broker import build_broker
        from pagerline.workers.dispatcher import QueueDispatcher

        bus = build_bus(settings.redis_url, listen=False)
        broker = build_broker(settings.redis_url)
        queue_dispatcher = QueueDispatcher(declare_actors(broker), bus)
        dispatcher = queue_dispatcher
        closers += [queue_dispatcher.close, bus.close, broker.close]
    set_dispatcher(dispatcher)
    try:
        try:
            intake = await start_smtp_intake(settings, TokenBuckets(settings.event_rate_per_key, settings.event_burst_per_key), host, port)
        except OSError as exc:
            print(f"pagerline smtp: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("email intake listening on %s:%d for <integration key>@%s (Ctrl+C to stop)", host, intake.port, settings.email_domain)
        try:
            await stop.wait()
        finally:
            await intake.close()
        return 0
    finally:
        set_dispatcher(NullDispatcher())
        for close in closers:
            result = close()
            if asyncio.iscoroutine(result):
                await result
        await close_db()
