"""The ``pagerline`` command: serve, worker, smtp, migrate, demo, doctor, user create, token create,
notifications. ``--help`` on each."""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pagerline.logs import logging_config, setup_logging
from pagerline.settings import DEFAULT_PORT, Settings, get_settings

if TYPE_CHECKING:
    from pagerline.engine.delivery.doctor import SetupReport


def _with_db(settings: Settings, body: Callable[[], Awaitable[Any]]) -> Any:
    from pagerline.db import close_db, init_db

    async def run() -> Any:
        await init_db(settings.database_url)
        try:
            return await body()
        finally:
            await close_db()

    return asyncio.run(run())


def listen_socket(host: str, port: int) -> socket.socket:
    """Bind the server's socket before anything starts: a taken port must stop ``serve`` before
    the database, the bus or the embedded worker (which would start sweeping) are touched.
    Raises OSError (EADDRINUSE when another process listens there)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    # As uvicorn does: lets a restart reuse a port in TIME_WAIT, never one someone listens on.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)  # server processes (--workers N) inherit it
    return sock


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    settings = get_settings()
    if args.workers > 1 and not settings.uses_redis:
        print(
            "pagerline serve: --workers > 1 needs PAGERLINE_REDIS_URL. Without Redis the worker and the "
            "subscription bus live inside the one server process, so events and live updates would reach "
            "only one of several processes.",
            file=sys.stderr,
        )
        return 2
    try:
        sock = listen_socket(args.host, args.port)
    except OSError as exc:
        hint = (
            " Another program (or another pagerline) is using that port; choose another with --port (make run PORT=...)."
            if exc.errno == errno.EADDRINUSE
            else ""
        )
        print(f"pagerline serve: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}.{hint}", file=sys.stderr)
        return 1
    port = int(sock.getsockname()[1])  # --port 0 picks a free one
    # The app reads its settings in each server process: hand the public URL over through the
    # environment, so links (alertUrl, callbacks, widget links) name the port actually served.
    os.environ["PAGERLINE_PUBLIC_URL"] = settings.public_url_for(args.host, port)
    get_settings.cache_clear()
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    logging.getLogger("pagerline.serve").info(
        "listening on http://%s:%d (Ctrl+C to stop); links use %s", shown_host, port, os.environ["PAGERLINE_PUBLIC_URL"]
    )
    config = uvicorn.Config(
        "pagerline.app:app_factory",
        factory=True,
        host=args.host,
        port=port,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        # The same log lines (text or JSON, with request ids) in every server process.
        log_config=logging_config(settings.log_format, settings.log_level),
        access_log=args.access_log,
        ws_max_size=1 << 20,
        # Subscription messages are small JSON documents: compressing each one for each
        # subscriber costs more CPU than the bytes it saves on a LAN or a phone link.
        ws_per_message_deflate=False,
    )
    if args.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
        return 0
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    return 0 if server.started else 1


async def run_worker(settings: Settings, threads: int, queues: frozenset[str] | None = None) -> None:
    """One worker process: consume Dramatiq messages (of ``queues``, default all, each with
    ``threads`` of its own) and sweep, until SIGTERM/SIGINT."""
    from pagerline.bus import build_bus
    from pagerline.db import close_db, init_db
    from pagerline.engine.core.effects import set_dispatcher
    from pagerline.workers.actors import declare_actors
    from pagerline.workers.broker import build_broker
    from pagerline.workers.dispatcher import QueueDispatcher
    from pagerline.workers.runtime import WorkerRuntime

    if not settings.uses_redis:
        raise SystemExit(
            "pagerline worker: PAGERLINE_REDIS_URL is not set. Without Redis the embedded worker runs inside "
            "`pagerline serve`; a separate worker is only for production (PostgreSQL + Redis)."
        )
    await init_db(settings.database_url)
    bus = build_bus(settings.redis_url, listen=False)
    broker = build_broker(settings.redis_url)
    actors = declare_actors(broker)
    dispatcher = QueueDispatcher(actors, bus)
    set_dispatcher(dispatcher)
    runtime = WorkerRuntime(settings, broker, actors, threads=threads, queues=queues)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await runtime.start()
    from pagerline.gc_tuning import settle_after_startup

    settle_after_startup()
    logging.getLogger("pagerline.worker").info(
        "worker ready (pid %d; queues %s, %d threads each)", os.getpid(), ", ".join(sorted(runtime.queues)), threads
    )
    try:
        await stop.wait()
    finally:
        await runtime.stop()
        await dispatcher.close()  # sends what is still queued
        await bus.close()
        broker.close()
        await close_db()


def cmd_worker(args: argparse.Namespace) -> int:
    settings = get_settings()
    if args.processes <= 1:
        import uvloop  # installed with uvicorn[standard]; the servers run on it too

        uvloop.run(run_worker(settings, args.threads, args.queues))
        return 0
    # Several processes: each one is a plain single-process worker; we forward signals.
    command = [sys.executable, "-m", "pagerline", "worker", "--processes", "1", "--threads", str(args.threads)]
    if args.queues is not None:
        command += ["--queues", ",".join(sorted(name.partition(".")[2] for name in args.queues))]
    children = [subprocess.Popen(command) for _ in range(args.processes)]

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    return max(child.wait() for child in children)


def cmd_smtp(args: argparse.Namespace) -> int:
    from pagerline.email_intake import run_smtp_intake
    from pagerline.settings import DEFAULT_SMTP_INTAKE_PORT

    settings = get_settings()
    if not settings.email_domain:
        print(
            "pagerline smtp: PAGERLINE_EMAIL_DOMAIN is not set. The intake takes mail for "
            "<integration key>@<that domain> only; set it to the domain whose mail reaches this host.",
            file=sys.stderr,
        )
        return 2
    host = args.host if args.host is not None else settings.smtp_intake_host
    port = args.port if args.port is not None else (settings.smtp_intake_port or DEFAULT_SMTP_INTAKE_PORT)
    import uvloop  # installed with uvicorn[standard]; the servers run on it too

    return uvloop.run(run_smtp_intake(settings, host, port))


def cmd_migrate(args: argparse.Namespace) -> int:
    from pagerline.db import migrate

    settings = get_settings()
    asyncio.run(migrate(settings.database_url))
    print(f"migrated {settings.database_url.split('@')[-1]}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from pagerline.demo import demo_json, demo_text, seed_demo

    settings = get_settings()
    public_url = settings.public_url_for(args.host, args.port)
    info = _with_db(settings, lambda: seed_demo(public_url, settings.demo_file, datetime.now(UTC)))
    print(demo_json(info) if args.json else demo_text(info))
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from pagerline.engine.delivery.doctor import check_setup, report_json, transports_of

    settings = get_settings()
    transports, config_error = transports_of(settings)

    async def body() -> SetupReport:
        try:
            return await check_setup(datetime.now(UTC), transports, config_error)
        finally:
            await transports.close()

    report = _with_db(settings, body)
    if args.json:
        print(json.dumps(report_json(report), indent=2))
    else:
        print(doctor_text(report))
    return 0 if report.ok else 1


def doctor_text(report: SetupReport) -> str:
    """What ``pagerline doctor`` prints: the channels, then every problem, one per line."""
    from pagerline.engine.delivery.doctor import ChannelState

    states = {
        ChannelState.CONFIGURED: "configured",
        ChannelState.CONSOLE: "console transport only (written to the log, nobody is woken)",
        ChannelState.NOT_CONFIGURED: "NOT CONFIGURED",
    }
    lines = ["Channels:"]
    width = max(len(c.label) for c in report.channels)
    lines += [
        f"  {c.label:{width}}  {'off (optional)' if c.optional and c.state is ChannelState.NOT_CONFIGURED else states[c.state]}"
        for c in report.channels
    ]
    lines.append(
        f"People who could be paged (in an escalation policy, or on call before {report.until:%Y-%m-%d %H:%M} UTC): "
        f"{report.people_checked}, of whom {len(report.unreachable)} cannot be reached"
    )
    problems = report.problems
    if problems:
        lines.append(f"{len(problems)} problem{'s' if len(problems) != 1 else ''}:")
        lines += [f"  - {p}" for p in problems]
    else:
        lines.append("No problems found.")
    return "\n".join(lines)


def _read_password(args: argparse.Namespace, command: str) -> str | None:
    """The password of ``user create`` / ``user set-password``: the first line of stdin with
    ``--password-stdin`` (scripts; nothing in ``ps`` or the shell history), ``--password``, or
    asked twice on a terminal. None when there is no way to get one."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if getattr(args, "password", None) is not None:
        return str(args.password)
    if not sys.stdin.isatty():
        return None
    import getpass

    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise SystemExit(f"pagerline user {command}: the passwords differ; nothing changed")
    return first


def cmd_user_create(args: argparse.Namespace) -> int:
    from pagerline.engine.people.accounts import create_user
    from pagerline.engine.core.errors import EngineError
    from pagerline.models import Role

    password = None if args.no_password else _read_password(args, "create")
    if password is None and not args.no_password:  # no terminal to ask on, and no other source
        print(
            "pagerline user create: no password given. Use --password-stdin (or run it on a terminal to be "
            "asked), or --no-password for an account that signs in only with tokens until "
            "`pagerline user set-password EMAIL`.",
            file=sys.stderr,
        )
        return 2
    settings = get_settings()
    try:
        # The same function (and checks) as GraphQL's createUser.
        user = _with_db(
            settings,
            lambda: create_user(args.email, args.name or "", password, Role(args.role), args.timezone, args.team or []),
        )
    except EngineError as exc:
        print(f"pagerline user create: {exc.message}; nothing was created", file=sys.stderr)
        return 1
    print(f"created user {user.id} {user.email} ({user.role.value})")
    return 0


def cmd_user_set_password(args: argparse.Namespace) -> int:
    from pagerline.engine.people.accounts import set_password_by_email
    from pagerline.engine.core.errors import EngineError

    password = _read_password(args, "set-password")
    if password is None:
        print("pagerline user set-password: no password given; use --password-stdin or run it on a terminal", file=sys.stderr)
        return 2
    try:
        user = _with_db(get_settings(), lambda: set_password_by_email(args.email, password, datetime.now(UTC)))
    except EngineError as exc:
        print(f"pagerline user set-password: {exc.message}; nothing changed", file=sys.stderr)
        return 1
    if user is None:
        print(f"pagerline user set-password: no user {args.email}", file=sys.stderr)
        return 1
    print(f"password set for {user.email}; their sessions were signed out")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from pagerline.engine.people.accounts import create_token, user_by_email
    from pagerline.models import TokenKind

    settings = get_settings()

    async def body() -> str | None:
        user = await user_by_email(args.email)
        if user is None:
            return None
        ttl = timedelta(days=args.days) if args.days else None
        _, secret = await create_token(user.id, TokenKind(args.kind), datetime.now(UTC), args.name, ttl)
        return secret

    secret = _with_db(settings, body)
    if secret is None:
        print(f"pagerline token create: no user {args.email}", file=sys.stderr)
        return 1
    print(secret)
    return 0


def cmd_notifications(args: argparse.Namespace) -> int:
    from pagerline.models import Notification

    settings = get_settings()

    async def body() -> list[Notification]:
        return await Notification.all().order_by("-id").limit(args.limit).prefetch_related("user")

    for row in reversed(_with_db(settings, body)):
        when = (row.sent_at or row.due_at).strftime("%Y-%m-%d %H:%M:%S")
        print(f"{when}  {row.status.value:10} {row.channel.value:5} {row.user.email:28} {row.title}"
              + (f"  ({row.last_error})" if row.last_error else ""))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """``pagerline import pagerduty|opsgenie``: the work is in pagerline.importers.run."""
    from pagerline.importers.run import import_command

    api_key = sys.stdin.readline().strip() if args.api_key_stdin else (args.api_key or "").strip()
    if not api_key:
        print(f"pagerline import {args.import_command}: no API key given (--api-key or --api-key-stdin)", file=sys.stderr)
        return 2
    settings = get_settings()
    return int(_with_db(settings, lambda: import_command(
        args.import_command, api_key, args.base_url, dry_run=args.dry_run, compare=not args.no_compare, weeks=args.weeks,
        public_url=settings.public_url, email_domain=settings.email_domain, now=datetime.now(UTC),
    )))


def port_number(text: str) -> int:
    """A TCP port for ``--port`` (0: any free one)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0 to 65535)")
    return port


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is less than 1")
    return value


def queue_list(text: str) -> frozenset[str]:
    from pagerline.workers.queues import parse_queues  # loads the models: only when asked for

    try:
        return parse_queues(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pagerline", description="Self-hosted alerting and on-call.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the HTTP, GraphQL and WebSocket API")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    serve.add_argument(
        "--port", type=port_number, default=DEFAULT_PORT, help="port to listen on; links follow it unless PAGERLINE_PUBLIC_URL is set"
    )
    serve.add_argument("--workers", type=positive_int, default=1, help="server processes (more than 1 needs Redis)")
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="deliver notifications and run escalations (needs Redis)")
    worker.add_argument("--processes", type=positive_int, default=1, help="worker processes (signals are passed on to each)")
    worker.add_argument("--threads", type=positive_int, default=8, help="messages in flight per queue")
    worker.add_argument(
        "--queues",
        type=queue_list,
        default=None,
        metavar="NAMES",
        help="comma-separated queues to consume (default all): a channel's name in lower case (push, sms, "
        "voice, email, ...) or actions; run a channel on processes of its own this way",
    )
    worker.set_defaults(func=cmd_worker)

    smtp = sub.add_parser(
        "smtp",
        help="receive alert emails: an SMTP server for <integration key>@PAGERLINE_EMAIL_DOMAIN (EMAIL sources); "
        "`serve` runs one itself without Redis when PAGERLINE_SMTP_INTAKE_PORT is set",
    )
    smtp.add_argument("--host", default=None, help="address to listen on (default PAGERLINE_SMTP_INTAKE_HOST, 127.0.0.1; 0.0.0.0: every interface)")
    smtp.add_argument(
        "--port", type=port_number, default=None, help="port to listen on (default PAGERLINE_SMTP_INTAKE_PORT, else 2525; 0: any free one)"
    )
    smtp.set_defaults(func=cmd_smtp)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(func=cmd_migrate)

    demo = sub.add_parser("demo", help="seed the demo organisation once and print how to use it")
    demo.add_argument("--json", action="store_true", help="print one JSON object")
    demo.add_argument("--host", default="127.0.0.1", help="where `serve` will listen, for the links printed (without PAGERLINE_PUBLIC_URL)")
    demo.add_argument("--port", type=port_number, default=DEFAULT_PORT, help="where `serve` will listen, for the links printed (without PAGERLINE_PUBLIC_URL)")
    demo.set_defaults(func=cmd_demo)

    doctor = sub.add_parser(
        "doctor",
        help="list who could be paged in the next 7 days but cannot be reached, and channels not configured "
        "(exit status 1 when there are problems)",
    )
    doctor.add_argument("--json", action="store_true", help="print one JSON object")
    doctor.set_defaults(func=cmd_doctor)

    user = sub.add_parser("user", help="manage users").add_subparsers(dest="user_command", required=True)
    user_create = user.add_parser("create", help="create a user (checked as GraphQL's createUser checks it)")
    user_create.add_argument("--email", required=True)
    user_create.add_argument("--name", help="shown name (default: the email)")
    password_source = user_create.add_mutually_exclusive_group()
    password_source.add_argument("--password", help="visible to other local users in `ps`: prefer --password-stdin")
    password_source.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    password_source.add_argument("--no-password", action="store_true", help="no password: signs in only with tokens until set-password")
    user_create.add_argument("--role", default="USER", choices=["ADMIN", "USER", "RESPONDER", "STAKEHOLDER"])
    user_create.add_argument("--timezone", default="UTC", help="IANA time zone, e.g. Europe/Berlin")
    user_create.add_argument("--team", action="append", help="team name (repeatable; created if missing)")
    user_create.set_defaults(func=cmd_user_create)
    set_pw = user.add_parser("set-password", help="set or reset a user's password (asks on a terminal); ends their sessions")
    set_pw.add_argument("email")
    set_pw.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    set_pw.set_defaults(func=cmd_user_set_password)

    token = sub.add_parser("token", help="manage API tokens").add_subparsers(dest="token_command", required=True)
    token_create = token.add_parser("create", help="create an API token for a user and print it once")
    token_create.add_argument("--email", required=True)
    token_create.add_argument("--name", default="cli")
    token_create.add_argument("--kind", default="API", choices=["API", "SESSION", "WIDGET"])
    token_create.add_argument("--days", type=int, default=0, help="expiry in days (0: never)")
    token_create.set_defaults(func=cmd_token_create)

    notifications = sub.add_parser("notifications", help="show recent notifications (what the console transport sent)")
    notifications.add_argument("--limit", type=positive_int, default=30, help="how many of the newest to show (oldest first)")
    notifications.set_defaults(func=cmd_notifications)

    importing = sub.add_parser(
        "import",
        help="import teams, schedules, escalation policies and services from PagerDuty or Opsgenie",
    ).add_subparsers(dest="import_command", required=True)
    for system, name, base_url, key_help, url_help in (
        ("pagerduty", "PagerDuty", "https://api.pagerduty.com", "a read-only REST API key", "PagerDuty's REST API"),
        ("opsgenie", "Opsgenie", "https://api.opsgenie.com", "an API key with Read and Configuration access",
         "Opsgenie's API (EU accounts: https://api.eu.opsgenie.com)"),
    ):
        what = (
            f"import teams, schedules, escalation policies and services from {name} (users are matched by email, "
            "never created; running it again updates what changed), then compare who is on call; exit status 1: "
            f"{name} could not be read or pagerline refused a change (nothing changed), 3: who is on call differs"
        )
        command = importing.add_parser(system, help=what, description=what)
        key = command.add_mutually_exclusive_group(required=True)
        key.add_argument("--api-key", help=f"{key_help}; visible to other local users in `ps`: prefer --api-key-stdin")
        key.add_argument("--api-key-stdin", action="store_true", help="read the API key from the first line of stdin")
        command.add_argument("--base-url", default=base_url, help=url_help)
        command.add_argument("--dry-run", action="store_true", help="print what would be created, changed and left out; change nothing")
        command.add_argument("--weeks", type=positive_int, default=4, help="how many weeks ahead to compare who is on call")
        command.add_argument("--no-compare", action="store_true", help="skip comparing who is on call after the import")
        command.set_defaults(func=cmd_import)
    return parser


def main(argv: list[str] | None = None) -> int:
    from pydantic import ValidationError

    from pagerline.settings import describe_invalid

    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as exc:  # refused at start-up, before anything runs
        print(f"pagerline: {describe_invalid(exc)}", file=sys.stderr)
        return 2
    setup_logging(settings.log_format, settings.log_level)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
