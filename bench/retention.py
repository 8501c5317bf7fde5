"""Retention benchmark: the retention job's batched deletes on a large PostgreSQL database.

Seeds a throwaway database with ``--alerts`` resolved alerts (default 1,000,000) spread evenly
over the last ``--span-days`` days (default 800, so about half are past the default 400 days),
each with ``--entries`` timeline entries (5), ``--notifications`` notifications (3), one action
token and ``--deliveries`` alert-action deliveries (0): with the defaults about 10M rows, made
with ``INSERT … SELECT generate_series`` in a few minutes. A thousand old alerts stay open.

Then, with the defaults of the ``PAGERLINE_RETENTION_*`` settings:

1. prints the plans of the job's statements (each must read an index, none a whole table);
2. a probe process runs three small statements in a loop (the sweeper's due-notification
   query, the open-alerts list, and appending a timeline entry to an open alert in its own
   transaction) for ``--probe-seconds`` with nothing else running: the baseline;
3. the probe again while the job deletes the backlog, run after run, for at most
   ``--delete-seconds``: every batch's time (BEGIN to COMMIT, which is also the longest a batch
   holds a row lock), rows per second, and the probe's latencies beside the baseline;
4. one run with nothing due (what every worker pays each minute), and one run a day later (a
   day of alerts falling due at once; the job spreads this over the day's runs).

Prints the machine, the settings, table sizes before and after, peak RSS, and one JSON line.

    .venv/bin/python bench/retention.py                       # ~10M rows; minutes
    .venv/bin/python bench/retention.py --alerts 20000        # a quick check that it works

The indexes the job relies on (``alerts.resolved_at``, ``alert_id`` of every part table) come
with the migrations; for a database without them the benchmark creates stand-ins and says so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from common import (
    REPO_ROOT,
    Figure,
    asyncpg_dsn,
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
)

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from pagerline.db import close_db, init_db, migrate  # noqa: E402
from pagerline.engine.retention import Batch, RetentionPolicy, run_retention  # noqa: E402
from pagerline.engine.people.accounts import create_user  # noqa: E402
from pagerline.engine.sources.lookup import create_source  # noqa: E402
from pagerline.models import EscalationPolicy, IntegrationType, Priority, Role  # noqa: E402

# (table, column): what the job walks or checks; created here only when no index starts with it.
NEEDED_INDEXES = (
    ("alerts", "resolved_at"),
    ("notifications", "alert_id"),
    ("action_tokens", "alert_id"),
    ("alert_action_deliveries", "alert_id"),
    ("heartbeats", "alert_id"),
)
TABLES = ("alerts", "alert_log_entries", "notifications", "action_tokens", "alert_action_deliveries")
OPEN_ALERTS = 1000


@dataclass(frozen=True)
class Shape:
    alerts: int
    span_days: int
    entries: int
    notifications: int
    deliveries: int

    @property
    def rows(self) -> int:
        return self.alerts * (1 + self.entries + self.notifications + 1 + self.deliveries)


# --------------------------------------------------------------------------- seeding


async def seed(url: str, shape: Shape, now: datetime) -> dict[str, Any]:
    """The few rows made through the engine (a user, a policy, a source), then the volume with
    ``INSERT … SELECT generate_series``; returns what the probe needs and the seconds it took."""
    import asyncpg

    await init_db(url)
    try:
        user = await create_user("bench@retention.test", "Bench", None, Role.USER, "UTC", ["Bench"])
        policy = await EscalationPolicy.create(name="Bench")
        source, _ = await create_source("Bench", policy.id, IntegrationType.API, Priority.HIGH, None)
        action_id = None
        if shape.deliveries:
            from pagerline.models import AlertAction, AlertActionKind

            action_id = (await AlertAction.create(name="Bench", source_id=source.id, kind=AlertActionKind.WEBHOOK, url="https://hooks.test/x")).id
    finally:
        await close_db()

    conn = await asyncpg.connect(asyncpg_dsn(url))
    started = time.monotonic()
    try:
        step = timedelta(days=shape.span_days) / max(1, shape.alerts)
        first = now - timedelta(days=shape.span_days)
        # Oldest first, so ids grow with created_at as they do in production. Open ones are
        # 600 days old: never to be touched.
        await conn.execute(
            """
            INSERT INTO alerts (summary, status, priority, alert_key, open_key, images, links, custom_details, labels,
                                created_at, updated_at, resolved_at, escalation_rule_index, escalation_round, source_id, policy_id)
            SELECT 'Disk full on db-' || (g % 50), 'RESOLVED', 'HIGH', 'disk-' || g, NULL, '[]', '[]', '{}', '{}',
                   $1::timestamptz + g * $2::interval, $1::timestamptz + g * $2::interval + interval '30 minutes',
                   $1::timestamptz + g * $2::interval + interval '30 minutes', 0, 0, $3, $4
            FROM generate_series(1, $5) AS g
            """,
            first, step, source.id, policy.id, shape.alerts,
        )
        await conn.execute(
            """
            INSERT INTO alerts (summary, status, priority, alert_key, open_key, images, links, custom_details, labels,
                                created_at, updated_at, escalation_rule_index, escalation_round, source_id, policy_id)
            SELECT 'Still open ' || g, 'PENDING', 'LOW', 'open-' || g, $1 || ':open-' || g, '[]', '[]', '{}', '{}',
                   $2::timestamptz, $2::timestamptz, 0, 0, $3, $4
            FROM generate_series(1, $5) AS g
            """,
            str(source.id), now - timedelta(days=600), source.id, policy.id, OPEN_ALERTS,
        )
        await conn.execute(
            """
            INSERT INTO alert_log_entries (alert_id, kind, text, at, data)
            SELECT a.id, CASE k WHEN 1 THEN 'CREATED' ELSE 'NOTIFIED' END,
                   'Pushed to Bench on Pixel 8 (FCM) for rule ' || k, a.created_at + k * interval '1 minute', '{}'
            FROM alerts a CROSS JOIN generate_series(1, $1) AS k ORDER BY a.id, k
            """,
            shape.entries,
        )
        await conn.execute(
            """
            INSERT INTO notifications (dedup_key, kind, channel, status, due_at, attempts, title, body, target, transport,
                                       created_at, sent_at, dispatched_at, alert_id, user_id, content_hash, provider_ids)
            SELECT 'page:' || a.id || ':' || k, 'PAGE', 'PUSH', 'SENT', a.created_at + k * interval '1 minute', 1,
                   a.summary, 'HIGH alert from Bench: ' || a.summary, 'device:1', 'fcm', a.created_at, a.created_at,
                   a.created_at, a.id, $1, md5(a.id::text), 'projects/bench/messages/' || a.id || '-' || k
            FROM alerts a CROSS JOIN generate_series(1, $2) AS k ORDER BY a.id, k
            """,
            user.id, shape.notifications,
        )
        await conn.execute(
            """
            INSERT INTO action_tokens (nonce, alert_id, user_id, expires_at, created_at)
            SELECT md5('token' || a.id), a.id, $1, a.created_at + interval '1 day', a.created_at FROM alerts a ORDER BY a.id
            """,
            user.id,
        )
        if shape.deliveries:
            await conn.execute(
                """
                INSERT INTO alert_action_deliveries (action_id, alert_id, trigger, dedup_key, status, attempts, next_attempt_at,
                                                     status_code, latency_ms, created_at, delivered_at)
                SELECT $1, a.id, 'ALERT_CREATED', $1 || ':' || a.id || ':' || k, 'DELIVERED', 1, a.created_at, 200, 40,
                       a.created_at, a.created_at
                FROM alerts a CROSS JOIN generate_series(1, $2) AS k ORDER BY a.id, k
                """,
                action_id, shape.deliveries,
            )
        seeded = time.monotonic() - started
        created = await ensure_indexes(conn)
        await conn.execute("VACUUM ANALYZE")
        open_alert = await conn.fetchval("SELECT id FROM alerts WHERE status = 'PENDING' ORDER BY id LIMIT 1")
        return {"seconds": seeded, "stand_in_indexes": created, "open_alert": open_alert, "user_id": user.id}
    finally:
        await conn.close()


async def ensure_indexes(conn: Any) -> list[str]:
    """Stand-ins for the migration's indexes, made only where no index starts with the column."""
    created = []
    for table, column in NEEDED_INDEXES:
        exists = await conn.fetchval(
            """
            SELECT count(*) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
            WHERE i.indrelid = $1::regclass AND a.attname = $2
            """,
            table, column,
        )
        if not exists:
            await conn.execute(f"CREATE INDEX bench_{table}_{column} ON {table} ({column})")
            created.append(f"{table}({column})")
    return created


async def table_sizes(url: str) -> dict[str, dict[str, int]]:
    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        out = {}
        for table in TABLES:
            row = await conn.fetchrow(
                "SELECT n_live_tup, n_dead_tup, pg_total_relation_size(relid) AS bytes FROM pg_stat_user_tables WHERE relname = $1", table
            )
            out[table] = {"live": int(row["n_live_tup"]), "dead": int(row["n_dead_tup"]), "mib": int(row["bytes"]) // (1024 * 1024)}
        return out
    finally:
        await conn.close()


async def plans(url: str, now: datetime, policy: RetentionPolicy) -> dict[str, list[str]]:
    """EXPLAIN of the job's statements as it sends them, with the first batch's values."""
    import asyncpg

    cutoff = now - timedelta(days=policy.alert_days)
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        bound = await conn.fetchval("SELECT max(id) FROM alerts WHERE created_at < $1", cutoff)
        statements = {
            "walk bound": ("SELECT id FROM alerts WHERE resolved_at < $1 ORDER BY resolved_at DESC, id DESC LIMIT 1", [cutoff]),
            "timeline walk": (
                "SELECT p.alert_id, p.id AS k FROM alert_log_entries p WHERE p.alert_id <= $1 AND "
                "(SELECT a.resolved_at FROM alerts a WHERE a.id = p.alert_id AND a.status = $2) < $3 "
                "ORDER BY p.alert_id, p.id LIMIT $4 FOR UPDATE SKIP LOCKED",
                [bound, "RESOLVED", cutoff, policy.batch_size],
            ),
            "notification walk, later batch": (
                "SELECT p.alert_id, p.id AS k FROM notifications p WHERE p.alert_id <= $1 AND p.alert_id >= $2 AND (p.alert_id > $3 OR p.id > $4) "
                "AND (SELECT a.resolved_at FROM alerts a WHERE a.id = p.alert_id AND a.status = $5) < $6 "
                "ORDER BY p.alert_id, p.id LIMIT $7 FOR UPDATE SKIP LOCKED",
                [bound, bound // 2, bound // 2, 0, "RESOLVED", cutoff, policy.batch_size],
            ),
            "alert pass": (
                "SELECT id, resolved_at FROM alerts WHERE status = $1 AND resolved_at < $2 ORDER BY resolved_at, id LIMIT $3 FOR UPDATE SKIP LOCKED",
                ["RESOLVED", cutoff, policy.batch_size],
            ),
            "parts left": (
                "SELECT alert_id FROM notifications WHERE alert_id = ANY($1::int[]) UNION SELECT alert_id FROM action_tokens WHERE alert_id = ANY($1::int[])",
                [list(range(1, policy.batch_size + 1))],
            ),
        }
        out = {}
        for name, (statement, params) in statements.items():
            rows = await conn.fetch(f"EXPLAIN {statement}", *params)
            out[name] = [row[0] for row in rows]
        return out
    finally:
        await conn.close()


# --------------------------------------------------------------------------- the probe


async def probe(url: str, seconds: float, interval: float, open_alert: int) -> dict[str, list[float]]:
    """Small statements in a loop, each timed: what pages and dashboards do while retention runs.
    Stops after ``seconds`` or at SIGTERM, whichever comes first."""
    import asyncpg

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    conn = await asyncpg.connect(asyncpg_dsn(url))
    timings: dict[str, list[float]] = {"due notifications": [], "open alerts": [], "timeline append": []}
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline and not stop.is_set():
            started = time.perf_counter()
            await conn.fetch(
                "SELECT id FROM notifications WHERE ((status = 'PENDING' AND due_at <= now()) OR (status = 'SENDING' AND claimed_until < now())) "
                "ORDER BY due_at LIMIT 200"
            )
            timings["due notifications"].append(time.perf_counter() - started)
            started = time.perf_counter()
            await conn.fetch("SELECT id, summary, status FROM alerts WHERE status IN ('PENDING', 'ACCEPTED') ORDER BY created_at DESC LIMIT 50")
            timings["open alerts"].append(time.perf_counter() - started)
            started = time.perf_counter()
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO alert_log_entries (alert_id, kind, text, at, data) VALUES ($1, 'COMMENT', 'probe', now(), '{}')", open_alert
                )
            timings["timeline append"].append(time.perf_counter() - started)
            await asyncio.sleep(interval)
        return timings
    finally:
        await conn.close()


def start_probe(url: str, seconds: float, interval: float, open_alert: int) -> subprocess.Popen[str]:
    """The probe in its own process, so that the job's Python work does not delay its clock."""
    args = [sys.executable, __file__, "--probe", url, "--probe-seconds", str(seconds), "--probe-interval", str(interval),
            "--open-alert", str(open_alert)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT)


def probe_result(process: subprocess.Popen[str], stop: bool = False) -> dict[str, list[float]]:
    if stop:
        process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=600)
    return dict(json.loads(out.strip().splitlines()[-1]))


# --------------------------------------------------------------------------- deleting


async def delete_backlog(url: str, now: datetime, policy: RetentionPolicy, max_seconds: float) -> tuple[list[Batch], float, bool]:
    """Runs of the job, back to back, until one deletes nothing or time is up."""
    await init_db(url)
    batches: list[Batch] = []
    started = time.monotonic()
    finished = False
    try:
        while time.monotonic() - started < max_seconds:
            report = await run_retention(now, policy)
            batches += report.batches
            if not report.deleted:
                finished = True
                break
        return batches, time.monotonic() - started, finished
    finally:
        await close_db()


async def one_run(url: str, now: datetime, policy: RetentionPolicy) -> tuple[float, int, int]:
    """Seconds, batches and rows of a single run (the job's unit of work per interval)."""
    await init_db(url)
    try:
        started = time.perf_counter()
        report = await run_retention(now, policy)
        return time.perf_counter() - started, len(report.batches), sum(report.deleted.values())
    finally:
        await close_db()


def batch_figures(batches: list[Batch]) -> list[Figure]:
    figures = []
    for table in TABLES:
        mine = [b for b in batches if b.table == table and b.deleted]
        if not mine:
            continue
        summary = latency_summary([b.seconds for b in mine])
        rows = sum(b.deleted for b in mine)
        figures.append(Figure(f"{table} batch p50", summary["p50_ms"], "ms", note=f"{len(mine)} batches, {rows:,} rows"))
        figures.append(Figure(f"{table} batch p99", summary["p99_ms"], "ms"))
        figures.append(Figure(f"{table} batch max", summary["max_ms"], "ms"))
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description="retention job benchmark (PostgreSQL)")
    parser.add_argument("--database-url", default=os.environ.get("PAGERLINE_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
                        help="a PostgreSQL server to make a throwaway database on")
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--span-days", type=int, default=800)
    parser.add_argument("--entries", type=int, default=5, help="timeline entries per alert")
    parser.add_argument("--notifications", type=int, default=3, help="notifications per alert")
    parser.add_argument("--deliveries", type=int, default=0, help="alert-action deliveries per alert")
    parser.add_argument("--batch-size", type=int, default=RetentionPolicy().batch_size)
    parser.add_argument("--delete-seconds", type=float, default=300.0, help="longest time spent deleting the backlog (default %(default)s; the default 10M rows take about 2.5 minutes)")
    parser.add_argument("--probe-seconds", type=float, default=15.0, help="baseline probe length")
    parser.add_argument("--probe-interval", type=float, default=0.02)
    parser.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    parser.add_argument("--open-alert", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.probe:  # the probe process
        print(json.dumps(asyncio.run(probe(args.probe, args.probe_seconds, args.probe_interval, args.open_alert))))
        return 0

    shape = Shape(args.alerts, args.span_days, args.entries, args.notifications, args.deliveries)
    policy = RetentionPolicy(batch_size=args.batch_size)
    now = datetime.now(UTC).replace(microsecond=0)
    print_section("machine")
    machine = machine_info()
    print_kv(machine)
    rss = RssSampler(os.getpid(), name="bench").start()
    with ProcessGroup() as group:
        throwaway = ThrowawayPostgres(server_url=args.database_url.rsplit("/", 1)[0])
        url = throwaway.create()
        if not args.keep:
            group.on_exit(throwaway.drop)
        print_section("settings")
        print_kv({
            "database": describe_url(url) + (" (kept)" if args.keep else " (dropped at the end)"),
            "rows": f"{shape.rows:,}: {shape.alerts:,} resolved alerts over {shape.span_days} days, each with {shape.entries} "
                    f"timeline entries, {shape.notifications} notifications, 1 action token, {shape.deliveries} deliveries; "
                    f"{OPEN_ALERTS} alerts open for 600 days",
            "policy": f"alerts/timeline/notifications {policy.alert_days} days, tokens {policy.action_token_days}, "
                      f"deliveries {policy.action_delivery_days}; batch {policy.batch_size}, {policy.batches_per_table} batches per table per run",
            "probe": f"every {args.probe_interval * 1000:.0f} ms: due-notification query, open-alerts list, timeline append (own process)",
        })

        asyncio.run(migrate(url))
        seeded = asyncio.run(seed(url, shape, now))
        print_section("seeded")
        print_kv({"seconds": f"{seeded['seconds']:.1f}", "stand-in indexes": ", ".join(seeded["stand_in_indexes"]) or "none (the migrations have them)"})
        before = asyncio.run(table_sizes(url))
        for table, size in before.items():
            print(f"{table:<26} {size['live']:>12,} rows {size['mib']:>8,} MiB", flush=True)

        print_section("plans")
        for name, lines in asyncio.run(plans(url, now, policy)).items():
            print(f"-- {name}")
            for line in lines:
                print(f"   {line if len(line) <= 140 else line[:140] + ' …'}")

        print_section("baseline probe")
        baseline = probe_result(start_probe(url, args.probe_seconds, args.probe_interval, seeded["open_alert"]))
        print_section("deleting the backlog, probe running")
        probing = start_probe(url, args.delete_seconds + 60, args.probe_interval, seeded["open_alert"])
        time.sleep(1.0)  # connected and probing before the first batch
        batches, spent, finished = asyncio.run(delete_backlog(url, now, policy, args.delete_seconds))
        during = probe_result(probing, stop=True)
        idle = asyncio.run(one_run(url, now, policy)) if finished else (float("nan"), 0, 0)
        next_day = asyncio.run(one_run(url, now + timedelta(days=1), RetentionPolicy(batch_size=args.batch_size, batches_per_table=10**6))) if finished else (float("nan"), 0, 0)
        after = asyncio.run(table_sizes(url))
        rss.stop()

    deleted = sum(b.deleted for b in batches)
    figures = batch_figures(batches)
    longest = max(batches, key=lambda b: b.seconds, default=None)
    figures += [
        Figure("longest batch (row locks held)", longest.seconds * 1000 if longest else float("nan"), "ms",
               note=f"{longest.table}: {longest.scanned} rows read, {longest.deleted} deleted" if longest else ""),
        Figure("rows deleted", float(deleted), "", note="the whole backlog" if finished else f"stopped after {spent:.0f} s"),
        Figure("rows deleted per second", deleted / spent if spent else float("nan"), "/s"),
        Figure("run with nothing due", idle[0] * 1000, "ms", note=f"{idle[1]} batches: what each worker pays every minute"),
        Figure("a day falling due in one run", next_day[0] * 1000, "ms", note=f"{next_day[2]:,} rows in {next_day[1]} batches"),
    ]
    for name in baseline:
        base, busy = latency_summary(baseline[name]), latency_summary(during[name])
        figures.append(Figure(f"probe {name} p50 idle / busy", busy["p50_ms"], "ms", note=f"idle {base['p50_ms']:.2f} ms"))
        figures.append(Figure(f"probe {name} p99 idle / busy", busy["p99_ms"], "ms", note=f"idle {base['p99_ms']:.2f} ms"))
        figures.append(Figure(f"probe {name} max busy", busy["max_ms"], "ms", note=f"idle {base['max_ms']:.2f} ms; {busy['count']} probes"))
    figures.append(Figure("peak RSS bench", rss.peak() / 1024 / 1024, "MiB"))
    print_section("tables after")
    for table, size in after.items():
        print(f"{table:<26} {size['live']:>12,} rows ({size['dead']:,} dead) {size['mib']:>8,} MiB", flush=True)
    print_section("figures")
    print_figures(figures)
    summary = {"bench": "retention", "rows": shape.rows, "alerts": shape.alerts, "batch_size": policy.batch_size, "finished": finished,
               "cpu_count": machine.get("cpu_count"), "python": sys.version.split()[0], "load_before": machine.get("load average (1/5 min)")}
    summary |= figures_json(figures)
    print(json_line(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
