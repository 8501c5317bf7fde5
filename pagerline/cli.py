"""The ``pagerline`` command: serve, worker, migrate, demo, user create, token create,
notifications. ``--help`` on each."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pagerline.settings import Settings, get_settings


def _setup_logging() -> None:
    logging.basicConfig(
        level=os.environ.get("PAGERLINE_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _with_db(settings: Settings, body: Callable[[], Awaitable[Any]]) -> Any:
    from pagerline.db import close_db, init_db

    async def run() -> Any:
        await init_db(settings.database_url)
        try:
            return await body()
        finally:
            await close_db()

    return asyncio.run(run())


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    if args.workers > 1 and not settings.uses_redis:
        print(
            "pagerline serve: --workers > 1 needs PAGERLINE_REDIS_URL. Without Redis the worker and the "
            "subscription bus live inside the one server process, so events and live updates would reach "
            "only one of several processes.",
            file=sys.stderr,
        )
        return 2
    uvicorn.run(
        "pagerline.app:app_factory",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=os.environ.get("PAGERLINE_LOG_LEVEL", "info").lower(),
        access_log=args.access_log,
        ws_max_size=1 << 20,
        # Subscription messages are small JSON documents: compressing each one for each
        # subscriber costs more CPU than the bytes it saves on a LAN or a phone link.
        ws_per_message_deflate=False,
    )
    return 0


async def run_worker(settings: Settings, threads: int) -> None:
    """One worker process: consume Dramatiq messages and sweep, until SIGTERM/SIGINT."""
    from pagerline.bus import build_bus
    from pagerline.db import close_db, init_db
    from pagerline.engine.effects import set_dispatcher
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
    runtime = WorkerRuntime(settings, broker, actors, threads=threads)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await runtime.start()
    from pagerline.gc_tuning import settle_after_startup

    settle_after_startup()
    logging.getLogger("pagerline.worker").info("worker ready (pid %d, %d threads)", os.getpid(), threads)
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

        uvloop.run(run_worker(settings, args.threads))
        return 0
    # Several processes: each one is a plain single-process worker; we forward signals.
    children = [
        subprocess.Popen([sys.executable, "-m", "pagerline", "worker", "--processes", "1", "--threads", str(args.threads)])
        for _ in range(args.processes)
    ]

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    return max(child.wait() for child in children)


def cmd_migrate(args: argparse.Namespace) -> int:
    from pagerline.db import migrate

    settings = get_settings()
    asyncio.run(migrate(settings.database_url))
    print(f"migrated {settings.database_url.split('@')[-1]}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from pagerline.demo import demo_json, demo_text, seed_demo

    settings = get_settings()
    info = _with_db(settings, lambda: seed_demo(settings.public_url, settings.database_url))
    print(demo_json(info) if args.json else demo_text(info))
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    from pagerline.engine.accounts import create_user
    from pagerline.engine.errors import EngineError
    from pagerline.models import Role

    settings = get_settings()
    try:
        user = _with_db(
            settings,
            lambda: create_user(args.email, args.name or args.email, args.password, Role(args.role), args.timezone, args.team or []),
        )
    except EngineError as exc:
        print(f"pagerline user create: {exc.message}", file=sys.stderr)
        return 1
    print(f"created user {user.id} {user.email} ({user.role.value})")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from pagerline.engine.accounts import create_token
    from pagerline.models import TokenKind, User

    settings = get_settings()

    async def body() -> str | None:
        user = await User.get_or_none(email=args.email.strip().lower())
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pagerline", description="Self-hosted alerting and on-call.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the HTTP, GraphQL and WebSocket API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="server processes (more than 1 needs Redis)")
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="deliver notifications and run escalations (needs Redis)")
    worker.add_argument("--processes", type=int, default=1)
    worker.add_argument("--threads", type=int, default=16, help="messages in flight per process")
    worker.set_defaults(func=cmd_worker)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(func=cmd_migrate)

    demo = sub.add_parser("demo", help="seed the demo organisation once and print how to use it")
    demo.add_argument("--json", action="store_true", help="print one JSON object")
    demo.set_defaults(func=cmd_demo)

    user = sub.add_parser("user", help="manage users").add_subparsers(dest="user_command", required=True)
    user_create = user.add_parser("create", help="create a user")
    user_create.add_argument("--email", required=True)
    user_create.add_argument("--name")
    user_create.add_argument("--password")
    user_create.add_argument("--role", default="USER", choices=["ADMIN", "USER", "RESPONDER", "STAKEHOLDER"])
    user_create.add_argument("--timezone", default="UTC")
    user_create.add_argument("--team", action="append", help="team name (repeatable; created if missing)")
    user_create.set_defaults(func=cmd_user_create)

    token = sub.add_parser("token", help="manage API tokens").add_subparsers(dest="token_command", required=True)
    token_create = token.add_parser("create", help="create an API token for a user and print it once")
    token_create.add_argument("--email", required=True)
    token_create.add_argument("--name", default="cli")
    token_create.add_argument("--kind", default="API", choices=["API", "SESSION", "WIDGET"])
    token_create.add_argument("--days", type=int, default=0, help="expiry in days (0: never)")
    token_create.set_defaults(func=cmd_token_create)

    notifications = sub.add_parser("notifications", help="show recent notifications (what the console transport sent)")
    notifications.add_argument("--limit", type=int, default=30)
    notifications.set_defaults(func=cmd_notifications)
    return parser


def main(argv: list[str] | None = None) -> int:
    _setup_logging()
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
