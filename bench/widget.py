"""Widget feed benchmark: server time per ``GET /api/widget`` for a user on five schedules.

A real ``pagerline serve`` (uvicorn, embedded worker off so no sweeper competes) on PostgreSQL
when a URL is given (``--database-url`` or ``PAGERLINE_DATABASE_URL``; a throwaway database is
created on that server and dropped afterwards), else on a temporary SQLite file. The database
holds the bench user on five schedules (daily, 12-hour and 8-hour rotations, a weekly one with
weekday restrictions, a static one) with overrides, three escalation policies, open alerts, and
fifty other schedules the user is not on (they must cost nothing).

Figures (budgets from DESIGN.md): server time p50/p99 read from the response's
``Server-Timing`` header (authentication, the feed, JSON and ETag: everything the server does
for the request), target p99 < 10 ms; the client's view of the same requests; 304 answers; SQL
statements for one feed (counted in-process through the database client's statement log),
target <= 3; payload size, target < 4 KB. Prints the machine, the settings and peak RSS.

    .venv/bin/python bench/widget.py                          # SQLite
    .venv/bin/python bench/widget.py --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from common import (
    REPO_ROOT,
    Figure,
    ProcessGroup,
    RssSampler,
    ThrowawayPostgres,
    describe_url,
    figures_json,
    json_line,
    latency_summary,
    machine_info,
    print_figures,
    print_kv,
    print_section,
    start_server,
)

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from pagerline.db import close_db, init_db, migrate  # noqa: E402
from pagerline.engine.people.accounts import create_token, create_user  # noqa: E402
from pagerline.engine.alerts.transitions import accept_alert  # noqa: E402
from pagerline.engine.sources.intake import EventInput, ingest_event  # noqa: E402
from pagerline.engine.schedules.editing import create_override  # noqa: E402
from pagerline.engine.sources.lookup import create_source, find_source_by_key  # noqa: E402
from pagerline.models import (  # noqa: E402
    EscalationPolicy,
    EscalationRule,
    IntegrationType,
    Priority,
    Role,
    Schedule,
    ScheduleKind,
    ScheduleLayer,
    StaticShift,
    Team,
    TokenKind,
    User,
)
from pagerline.widgets.feed import build_feed, compact_json, document  # noqa: E402
from tests.support.queries import count_statements  # noqa: E402

P99_BUDGET_MS = 10.0
STATEMENTS_BUDGET = 3
SIZE_BUDGET = 4096
SERVER_TIMING = re.compile(r"feed;dur=([0-9.]+)")


async def seed(url: str, now: datetime) -> tuple[str, int]:
    """The organisation; returns the bench user's widget token and id."""
    await init_db(url)
    try:
        team = await Team.create(name="Bench")
        users = [await create_user(f"u{i}@bench.test", f"User {i}", None, Role.USER, "Europe/Berlin", ["Bench"]) for i in range(12)]
        me, others = users[0], users[1:]
        start = (now - timedelta(days=30)).replace(hour=8, minute=0, second=0, microsecond=0)
        weekdays = [{"start_day": 0, "start_time": "09:00", "end_day": 4, "end_time": "17:00"}]
        mine: list[Schedule] = []
        for name, rotation, people, restrictions in (
            ("Primary", "P1D", [me, others[0], others[1]], []),
            ("Secondary", "PT12H", [others[2], me], []),
            ("Follow the sun", "PT8H", [others[3], others[4], me], []),
            ("Database", "P7D", [me, others[5]], weekdays),
        ):
            schedule = await Schedule.create(name=name, timezone="Europe/Berlin", team=team)
            await ScheduleLayer.create(schedule=schedule, position=0, starts_on=start, rotation="P1D", user_ids=[o.id for o in others[6:9]])
            await ScheduleLayer.create(schedule=schedule, position=1, starts_on=start, rotation=rotation, user_ids=[p.id for p in people], restrictions=restrictions)
            mine.append(schedule)
        static = await Schedule.create(name="Release duty", timezone="UTC", kind=ScheduleKind.STATIC, team=team)
        for day in range(-2, 20, 3):
            await StaticShift.create(schedule=static, user=me, start=now + timedelta(days=day), end=now + timedelta(days=day, hours=6))
        mine.append(static)
        for i, schedule in enumerate(mine * 4):  # 20 overrides over the next days, hers and others'
            who = me if i % 2 else others[i % len(others)]
            begin = now + timedelta(hours=5 * i + 1)
            await create_override(me, schedule.id, who.id, begin, begin + timedelta(hours=2), now=now)
        for i in range(50):  # schedules she is not on
            other = await Schedule.create(name=f"Other {i}", timezone="UTC", team=team)
            await ScheduleLayer.create(schedule=other, position=0, starts_on=start, rotation="P1D", user_ids=[others[i % 5].id, others[(i + 1) % 5].id])
        for p in range(3):
            policy = await EscalationPolicy.create(name=f"Policy {p}", team=team)
            first = await EscalationRule.create(policy=policy, position=0, timeout_minutes=10)
            await first.schedules.add(*mine[p : p + 3])
            second = await EscalationRule.create(policy=policy, position=1, timeout_minutes=10)
            await second.users.add(others[p])
            _, key = await create_source(f"Source {p}", policy.id, IntegrationType.API, Priority.HIGH, team.id)
            source = await find_source_by_key(key)
            assert source is not None
            for a in range(10):
                priority = Priority.HIGH if a % 2 else Priority.LOW
                opened = await ingest_event(source, EventInput("ALERT", summary=f"Alert {p}-{a}", alert_key=f"{p}-{a}", priority=priority), now)
                if a % 3 == 0:
                    await accept_alert(opened.alert_id, others[p].id, now)
        _, secret = await create_token(me.id, TokenKind.WIDGET, now, "bench widget")
        return secret, me.id
    finally:
        await close_db()


async def in_process(url: str, user_id: int, repeats: int) -> dict[str, float]:
    """Statements and size of one feed, and the engine's own time (no HTTP, no auth)."""
    await init_db(url)
    try:
        user = await User.get(id=user_id)
        with count_statements() as log:
            feed = await build_feed(user, datetime.now(UTC), public_url="https://pagerline.example.com")
        size = len(compact_json(document(feed)))
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            compact_json(document(await build_feed(user, datetime.now(UTC), public_url="https://pagerline.example.com")))
            times.append(time.perf_counter() - t0)
        summary = latency_summary(times)
        return {"statements": log.count, "bytes": size, "timeline": len(feed.timeline), "p50": summary["p50_ms"], "p99": summary["p99_ms"]}
    finally:
        await close_db()


def over_http(base: str, token: str, requests: int, warm_up: int) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {token}"}
    server_ms: list[float] = []
    client_s: list[float] = []
    not_modified_ms: list[float] = []
    with httpx.Client(base_url=base, timeout=10) as client:
        for i in range(warm_up + requests):
            t0 = time.perf_counter()
            response = client.get("/api/widget", headers=headers)
            elapsed = time.perf_counter() - t0
            assert response.status_code == 200, response.text
            if i >= warm_up:
                client_s.append(elapsed)
                server_ms.append(float(SERVER_TIMING.search(response.headers["server-timing"]).group(1)) / 1000)  # type: ignore[union-attr]
        tag = response.headers["etag"]
        for _ in range(requests // 4):
            again = client.get("/api/widget", headers={**headers, "If-None-Match": tag})
            assert again.status_code in (200, 304)
            if again.status_code == 304:
                not_modified_ms.append(float(SERVER_TIMING.search(again.headers["server-timing"]).group(1)) / 1000)  # type: ignore[union-attr]
            else:
                tag = again.headers["etag"]  # a timeline entry passed meanwhile
    return {"server": latency_summary(server_ms), "client": latency_summary(client_s), "not_modified": latency_summary(not_modified_ms),
            "bytes": len(response.content)}


def main() -> int:
    parser = argparse.ArgumentParser(description="widget feed benchmark")
    parser.add_argument("--database-url", default=os.environ.get("PAGERLINE_DATABASE_URL", ""),
                        help="a PostgreSQL server to make a throwaway database on (default: SQLite)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warm-up", type=int, default=200)
    parser.add_argument("--in-process", type=int, default=300, help="engine-only repeats")
    args = parser.parse_args()

    postgres = args.database_url.startswith(("postgres://", "postgresql://"))
    print_section("machine")
    machine = machine_info()
    print_kv(machine)
    with ProcessGroup() as group, tempfile.TemporaryDirectory(prefix="pl-widget-") as tmp:
        workdir = Path(tmp)
        if postgres:
            server_url = args.database_url.rsplit("/", 1)[0]
            throwaway = ThrowawayPostgres(server_url=server_url)
            url = throwaway.create()
            group.on_exit(throwaway.drop)
        else:
            url = f"sqlite://{workdir / 'bench.db'}"
        print_section("settings")
        settings = {
            "database": describe_url(url),
            "user": "on 5 schedules (P1D, PT12H, PT8H, P7D weekdays 09-17 over a base layer; static), 20 overrides",
            "organisation": "55 schedules, 3 policies (2 levels), 30 open alerts",
            "server": "pagerline serve, 1 process, embedded worker off",
            "requests": f"{args.requests} sequential after {args.warm_up} warm-up, keep-alive",
        }
        print_kv(settings)

        asyncio.run(migrate(url))
        now = datetime.now(UTC)
        token, user_id = asyncio.run(seed(url, now))
        engine = asyncio.run(in_process(url, user_id, args.in_process))

        server, port = start_server(
            {"PAGERLINE_DATABASE_URL": url, "PAGERLINE_EMBEDDED_WORKER": "0", "PAGERLINE_SECRET_KEY": "bench",
             "PAGERLINE_LOG_LEVEL": "WARNING"}, workdir,
        )
        group.add(server)
        rss = RssSampler(server.pid, name="serve").start()
        http = over_http(f"http://127.0.0.1:{port}", token, args.requests, args.warm_up)
        rss.stop()

    srv, cli, nm = http["server"], http["client"], http["not_modified"]  # type: ignore[index]
    figures = [
        Figure("feed server time p50", srv["p50_ms"], "ms"),  # type: ignore[index]
        Figure("feed server time p99", srv["p99_ms"], "ms", P99_BUDGET_MS, "<", note="Server-Timing: auth + feed + JSON + ETag"),  # type: ignore[index]
        Figure("client latency p50", cli["p50_ms"], "ms"),  # type: ignore[index]
        Figure("client latency p99", cli["p99_ms"], "ms", note="same requests, seen by the client"),  # type: ignore[index]
        Figure("304 server time p50", nm["p50_ms"], "ms"),  # type: ignore[index]
        Figure("engine only p50", engine["p50"], "ms", note="build_feed + JSON, in-process"),
        Figure("engine only p99", engine["p99"], "ms"),
        Figure("SQL statements per feed", engine["statements"], "", STATEMENTS_BUDGET + 1, "<", note="budget: at most 3"),
        Figure("payload", float(http["bytes"]), "B", SIZE_BUDGET, "<", note=f"{int(engine['timeline'])} timeline entries"),  # type: ignore[arg-type]
        Figure("peak RSS serve", rss.peak() / 1024 / 1024, "MiB"),
    ]
    print_section("figures")
    print_figures(figures)
    missed = [f.name for f in figures if f.met is False]
    print(f"budgets: {sum(1 for f in figures if f.met)} met, {len(missed)} MISSED" + (f" ({', '.join(missed)})" if missed else ""))
    summary = {"bench": "widget", "database": "postgres" if postgres else "sqlite", "requests": args.requests,
               "cpu_count": machine.get("cpu_count"), "python": sys.version.split()[0], "load_before": machine.get("load average (1/5 min)")}
    summary |= figures_json(figures)
    print(json_line(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
