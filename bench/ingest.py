"""Ingest benchmark: event intake throughput, latency and memory on the production layout.

Run from the repo root:  .venv/bin/python bench/ingest.py [--quick] [--duration S]

What runs (all real processes, PostgreSQL and Redis local):
  two `pagerline serve --port P` processes (1 uvicorn worker each, PAGERLINE_REDIS_URL set so
  neither runs the embedded worker), one `pagerline worker`, the console transport writing JSON
  lines to a temporary file, and load-generator processes of their own (never inside a server)
  that spread keep-alive HTTP/1.1 connections over both ports.

Phases (each after a short unmeasured warm-up, except phase 3, which is measured whole):
  1. dedup       one alertKey, closed loop at --concurrency requests in flight: events/s, HTTP
                 p50/p99/max.                       Budgets: >= 1,000 events/s, p99 < 50 ms
  2. new alerts  a distinct alertKey per event, same concurrency: alerts/s, p50/p99.
                                                    Budget:  >= 300 alerts/s
     (then: wait until the worker has delivered every page phase 2 made, so phase 3 starts
     from an empty outbox; the drain time is printed)
  3. end to end  open loop, --rate alerts/s on a fixed schedule with distinct keys; latency =
                 the console transport's "at" for the alert minus the wall time the request was
                 sent. Missing = no console line within --grace seconds after the last send.
                                                    Budget:  p99 < 250 ms
Peak RSS (process + children, sampled every 50 ms): each server during phases 1-2, the worker
during phase 3.                                     Budgets: < 250 MB each (MB = 10^6 bytes)

Each phase also prints the CPU (in cores) used by the servers, the worker, PostgreSQL, Redis, the
load generator and "other" processes. The machine is 2 cores: when "other" is above 0.15 the run
shared the machine with something else and is flagged as disturbed.

Every figure is what this run measured; a missed budget is printed as MISSED with the figure.
The last line of output is one JSON object with all figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing as mp
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from array import array
from dataclasses import asdict, dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bench.common import (  # noqa: E402
    MB,
    MiB,
    CpuAccount,
    Figure,
    ManagedProcess,
    ProcessGroup,
    RssSampler,
    StampedFakeFcm,
    ThrowawayPostgres,
    describe_url,
    fake_fcm_settings,
    figures_json,
    free_port,
    json_line,
    latency_summary,
    machine_info,
    outbox_backlog,
    pid_tree,
    pids_named,
    print_figures,
    print_kv,
    print_section,
    redis_flushdb,
    start_server,
    start_worker,
)

DEDUP_EPS_BUDGET = 1000.0
DEDUP_P99_BUDGET_MS = 50.0
NEW_ALERTS_BUDGET = 300.0
E2E_P99_BUDGET_MS = 250.0
RSS_BUDGET_MB = 250.0

EVENTS_PATH = "/api/events"
_RESPONSE_CODE = re.compile(rb'"responseCode"\s*:\s*"([A-Z_]+)"')
_ALERT_URL_ID = re.compile(rb'"alertUrl"\s*:\s*"[^"]*?/(\d+)"')


# =========================================================================== load generator
#
# Runs in its own process (multiprocessing, spawn). Two clients: a minimal asyncio HTTP/1.1
# keep-alive client ("raw", the default) and httpx. On a 2-core machine the load generator
# competes with the servers for CPU, so the cheaper client leaves more of the machine to the
# thing being measured. Measured here against a trivial ASGI app on two uvicorn processes,
# 32 in flight: raw ~6,500 req/s at 0.07 ms client CPU per request; httpx (one AsyncClient per
# connection, as below) ~300 req/s at 2.4 ms per request, and one shared AsyncClient with 32
# connections was worse (~75 req/s, 10 ms per request). httpx would be the bottleneck long
# before the server, so it is only an option (--client httpx), for comparison.


@dataclass
class LoadSpec:
    mode: str  # "closed" (fixed requests in flight) or "open" (fixed send schedule)
    ports: list[int]
    integration_keys: list[str]  # event n goes to integration_keys[n % len]
    key_mode: str  # "same": every event has alert_key; "distinct": a new key per event
    alert_key: str
    client: str = "raw"
    concurrency: int = 32  # closed: connections (= requests in flight); open: initial pool
    warmup: float = 1.0  # closed only: seconds run first and not measured
    duration: float = 10.0
    rate: float = 50.0  # open only: requests per second
    tag: str = ""  # makes distinct keys unique per process


@dataclass
class LoadResult:
    sent: int = 0
    ok: int = 0
    measured_seconds: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)  # seconds, measured window only
    # open mode: one row per request: (wall time sent, alert id or -1, HTTP latency s, lateness s)
    open_rows: list[tuple[float, int, float, float]] = field(default_factory=list)
    connections_opened: int = 0
    cpu_seconds: float = 0.0
    failure: str = ""


def _event_body(spec: LoadSpec, n: int) -> bytes:
    if spec.key_mode == "same":
        key = spec.alert_key
        summary = "Disk almost full on db-1"
    else:
        key = f"{spec.alert_key}-{spec.tag}-{n}"
        summary = f"Synthetic outage {spec.tag}-{n}"
    return json.dumps(
        {
            "integrationKey": spec.integration_keys[n % len(spec.integration_keys)],
            "eventType": "ALERT",
            "summary": summary,
            "details": "Filesystem /var at 97% on db-1; growing 1%/h",
            "alertKey": key,
            "priority": "HIGH",
            "customDetails": {"host": "db-1", "mount": "/var", "used_pct": 97},
        },
        separators=(",", ":"),
    ).encode()


class RawConnection:
    """One keep-alive HTTP/1.1 connection; one request at a time."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self._prefix = (
            f"POST {EVENTS_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/json\r\nContent-Length: "
        ).encode()

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def post(self, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            await self.connect()
        assert self.reader is not None and self.writer is not None
        self.writer.write(self._prefix + str(len(body)).encode() + b"\r\n\r\n" + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        at = lower.find(b"\r\ncontent-length:")
        if at < 0:
            raise RuntimeError("response without Content-Length")
        end = lower.find(b"\r\n", at + 2)
        length = int(lower[at + 17 : end])
        payload = await self.reader.readexactly(length) if length else b""
        if b"\r\nconnection: close" in lower:
            self.reset()
        return status, payload

    def reset(self) -> None:
        """Drop the connection (after an error); the next request reconnects."""
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def aclose(self) -> None:
        self.reset()


class HttpxConnection:
    """The same interface over one httpx.AsyncClient limited to one connection."""

    def __init__(self, port: int) -> None:
        import httpx

        self.port = port
        self.url = f"http://127.0.0.1:{port}{EVENTS_PATH}"
        self.client = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1), timeout=30.0
        )
        self.headers = {"Content-Type": "application/json"}

    async def connect(self) -> None:
        return None

    async def post(self, body: bytes) -> tuple[int, bytes]:
        response = await self.client.post(self.url, content=body, headers=self.headers)
        return response.status_code, response.content

    def reset(self) -> None:
        return None  # httpx reconnects by itself

    async def aclose(self) -> None:
        await self.client.aclose()


def _connection(spec: LoadSpec, port: int) -> RawConnection | HttpxConnection:
    return HttpxConnection(port) if spec.client == "httpx" else RawConnection(port)


def _note(counter: dict[str, int], key: str) -> None:
    counter[key] = counter.get(key, 0) + 1


async def _closed_loop(spec: LoadSpec, result: LoadResult, go: asyncio.Event) -> None:
    conns = [_connection(spec, spec.ports[i % len(spec.ports)]) for i in range(spec.concurrency)]
    await asyncio.gather(*(c.connect() for c in conns))
    result.connections_opened = len(conns)
    await go.wait()
    clock = time.perf_counter
    measure_from = clock() + spec.warmup
    stop_at = measure_from + spec.duration
    counter = [0]
    latencies = array("d")
    cpu_at: list[float] = []

    async def cpu_marks() -> None:
        await asyncio.sleep(max(0.0, measure_from - clock()))
        cpu_at.append(time.process_time())

    marker = asyncio.create_task(cpu_marks())

    async def run(conn: RawConnection | HttpxConnection) -> None:
        while True:
            n = counter[0]
            counter[0] += 1
            body = _event_body(spec, n)
            t0 = clock()
            if t0 >= stop_at:
                return
            result.sent += 1
            try:
                status, payload = await conn.post(body)
            except Exception as exc:  # count it, reconnect, carry on
                _note(result.errors, type(exc).__name__)
                conn.reset()
                await asyncio.sleep(0.01)
                continue
            t1 = clock()
            # Completions inside the window count (throughput and latency alike); sending stops
            # at stop_at, so the window sees the steady state to its end.
            if measure_from <= t1 <= stop_at:
                _note(result.statuses, str(status))
                match = _RESPONSE_CODE.search(payload)
                _note(result.codes, match.group(1).decode() if match else "-")
                if status == 202:
                    result.ok += 1
                    latencies.append(t1 - t0)

    await asyncio.gather(*(run(c) for c in conns))
    await marker
    result.cpu_seconds = time.process_time() - cpu_at[0]
    result.measured_seconds = spec.duration
    result.latencies = latencies.tolist()
    for conn in conns:
        await conn.aclose()


async def _open_loop(spec: LoadSpec, result: LoadResult, go: asyncio.Event) -> None:
    """Sends request i at start + i/rate whatever the earlier ones are doing (no coordinated
    omission): a request finding no idle connection opens a new one instead of waiting."""
    idle: dict[int, list[RawConnection | HttpxConnection]] = {p: [] for p in spec.ports}
    for i in range(spec.concurrency):
        conn = _connection(spec, spec.ports[i % len(spec.ports)])
        await conn.connect()
        idle[conn.port].append(conn)
    result.connections_opened = spec.concurrency
    await go.wait()
    cpu0 = time.process_time()
    loop = asyncio.get_running_loop()
    total = int(round(spec.rate * spec.duration))
    start = loop.time() + 0.05
    rows: list[tuple[float, int, float, float]] = [(-1.0, -1, -1.0, -1.0)] * total
    tasks: list[asyncio.Task[None]] = []

    async def one(i: int, due: float) -> None:
        port = spec.ports[i % len(spec.ports)]
        pool = idle[port]
        if pool:
            conn = pool.pop()
        else:
            conn = _connection(spec, port)
            result.connections_opened += 1
        body = _event_body(spec, i)
        lateness = loop.time() - due
        sent_wall = time.time()
        t0 = time.perf_counter()
        result.sent += 1
        try:
            status, payload = await conn.post(body)
        except Exception as exc:
            _note(result.errors, type(exc).__name__)
            conn.reset()
            rows[i] = (sent_wall, -1, -1.0, lateness)
            return
        latency = time.perf_counter() - t0
        pool.append(conn)
        _note(result.statuses, str(status))
        match = _RESPONSE_CODE.search(payload)
        _note(result.codes, match.group(1).decode() if match else "-")
        alert_id = -1
        if status == 202:
            result.ok += 1
            result.latencies.append(latency)
            found = _ALERT_URL_ID.search(payload)
            alert_id = int(found.group(1)) if found else -1
        rows[i] = (sent_wall, alert_id, latency, lateness)

    for i in range(total):
        due = start + i / spec.rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    result.measured_seconds = loop.time() - start
    result.cpu_seconds = time.process_time() - cpu0
    result.open_rows = rows
    for pool in idle.values():
        for conn in pool:
            await conn.aclose()


def load_process(spec_dict: dict[str, Any], pipe: Connection) -> None:
    """Entry point of a load-generator process: connect, say "ready", wait for "go", run,
    send the LoadResult back as a dict."""
    spec = LoadSpec(**spec_dict)
    result = LoadResult()
    try:
        import uvloop  # installed with uvicorn[standard]; a cheaper loop leaves more CPU to the servers

        uvloop.install()
    except ImportError:
        pass

    async def main() -> None:
        go = asyncio.Event()
        loop = asyncio.get_running_loop()

        async def wait_go() -> None:
            await loop.run_in_executor(None, pipe.recv)
            go.set()

        waiter = asyncio.create_task(wait_go())
        runner = _closed_loop if spec.mode == "closed" else _open_loop
        task = asyncio.create_task(runner(spec, result, go))
        # "ready" once connected: the runner is blocked on go.wait() by then.
        while result.connections_opened == 0 and not task.done():
            await asyncio.sleep(0.01)
        pipe.send("ready")
        await task
        await waiter

    try:
        asyncio.run(main())
    except BaseException as exc:  # report, never hang the parent
        result.failure = "".join(traceback.format_exception(exc))[-4000:]
    pipe.send(asdict(result))
    pipe.close()


@dataclass
class LoadRun:
    procs: list[mp.process.BaseProcess]
    pipes: list[Connection]

    def terminate(self) -> None:
        for proc in self.procs:
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
            if proc.is_alive() and proc.pid is not None:
                proc.kill()
                proc.join(5)


class LoadGenerators:
    """Starts N load-generator processes for a phase and merges their results."""

    def __init__(self, group: ProcessGroup) -> None:
        self.ctx = mp.get_context("spawn")
        self.runs: list[LoadRun] = []
        group.on_exit(self.terminate_all)

    def terminate_all(self) -> None:
        for run in self.runs:
            run.terminate()

    def prepare(self, specs: list[LoadSpec]) -> LoadRun:
        procs, pipes = [], []
        for spec in specs:
            parent, child = self.ctx.Pipe()
            proc = self.ctx.Process(target=load_process, args=(asdict(spec), child), daemon=True, name=f"load-{spec.tag}")
            proc.start()
            child.close()
            procs.append(proc)
            pipes.append(parent)
        run = LoadRun(procs, pipes)
        self.runs.append(run)
        for pipe, proc in zip(pipes, procs, strict=True):
            message = pipe.recv()  # "ready", or the failure result if it could not connect
            if message != "ready":
                raise RuntimeError(f"load generator {proc.name} failed:\n{message.get('failure')}")
        return run

    @staticmethod
    def go(run: LoadRun) -> None:
        for pipe in run.pipes:
            pipe.send("go")

    @staticmethod
    def collect(run: LoadRun) -> tuple[LoadResult, list[int]]:
        merged = LoadResult()
        pids = [p.pid or 0 for p in run.procs]
        for pipe, proc in zip(run.pipes, run.procs, strict=True):
            data = pipe.recv()
            proc.join(10)
            part = LoadResult(**data)
            if part.failure:
                raise RuntimeError(f"load generator {proc.name} failed:\n{part.failure}")
            merged.sent += part.sent
            merged.ok += part.ok
            merged.measured_seconds = max(merged.measured_seconds, part.measured_seconds)
            for mine, theirs in ((merged.statuses, part.statuses), (merged.codes, part.codes), (merged.errors, part.errors)):
                for key, value in theirs.items():
                    mine[key] = mine.get(key, 0) + value
            merged.latencies.extend(part.latencies)
            merged.open_rows.extend(tuple(r) for r in part.open_rows)  # type: ignore[misc]
            merged.connections_opened += part.connections_opened
            merged.cpu_seconds += part.cpu_seconds
        return merged, pids


# =========================================================================== set-up


async def _seed(database_url: str, team: str = "Bench") -> dict[str, Any]:
    """The test organisation (two users with a console device each, a two-level policy, an API
    source). A unique ``team`` per run makes a given --database-url reusable."""
    from pagerline.db import close_db, init_db
    from tests.support.seed import seed_org

    await init_db(database_url)
    try:
        org = await seed_org(team=team)
        return {"api_key": org.api_key, "policy_id": org.policy_id, "alice_id": org.alice_id}
    finally:
        await close_db()


PUSH_LIMIT_PER_MINUTE = 20  # pagerline.engine.notify.storm: at most 20 pushes per user per 60 s


def responders_needed(rate: float, duration: float) -> int:
    """Phase 3 spreads its alerts over this many responders, so that no one gets more than half
    the storm-protection limit of pushes in any minute: the figure is then the delivery path,
    not pushes held back on purpose."""
    return max(1, math.ceil(rate * min(duration, 60.0) / (PUSH_LIMIT_PER_MINUTE / 2)))


async def _seed_responders(database_url: str, count: int, tag: str, provider: str = "CONSOLE") -> list[str]:
    """``count`` responders, each alone on a one-rule policy behind an API source of its own,
    reachable by push through a console device. Made with the engine's own functions, as
    tests/support/seed.py does, without passwords (no argon2 hashing to wait for)."""
    from pagerline.db import close_db, init_db
    from pagerline.engine.people.accounts import create_user
    from pagerline.engine.sources.lookup import create_source
    from pagerline.models import Device, EscalationPolicy, EscalationRule, IntegrationType, Platform, Priority, PushProvider, Role, Team

    await init_db(database_url)
    try:
        team, _ = await Team.get_or_create(name=f"Responders {tag}")
        keys = []
        for i in range(count):
            user = await create_user(f"r{i}@{tag.lower()}.bench", f"Responder {i}", None, Role.RESPONDER, "UTC", [team.name])
            await Device.create(user=user, platform=Platform.ANDROID, provider=PushProvider(provider), token=f"{provider.lower()}-r{i}-{tag}")
            policy = await EscalationPolicy.create(name=f"Responder {i} {tag}", team=team)
            rule = await EscalationRule.create(policy=policy, position=0, timeout_minutes=5)
            await rule.users.add(user)
            _, key = await create_source(f"Responder {i} {tag} API", policy.id, IntegrationType.API, Priority.HIGH, team.id)
            keys.append(key)
        return keys
    finally:
        await close_db()


async def _page_statuses(database_url: str, alert_ids: list[int]) -> dict[str, int]:
    """What became of the pages of these alerts (SENT, SUPPRESSED, PENDING, ...)."""
    import asyncpg

    conn = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        rows = await conn.fetch(
            "SELECT status, count(*) AS n FROM notifications WHERE alert_id = ANY($1::bigint[]) AND kind = 'PAGE' "
            "GROUP BY status ORDER BY status",
            alert_ids,
        )
        return {str(r["status"]): int(r["n"]) for r in rows}
    finally:
        await conn.close()


def console_lines(path: Path, offset: int) -> tuple[list[dict[str, Any]], int]:
    """Complete JSON lines appended to the console log since ``offset``; returns the new offset."""
    if not path.exists():
        return [], offset
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read()
    end = data.rfind(b"\n") + 1
    lines = [json.loads(line) for line in data[:end].splitlines() if line.strip()]
    return lines, offset + end


def _phase_figures_closed(
    name: str, result: LoadResult, rate_name: str, rate_budget: float, p99_budget: float | None
) -> tuple[list[Figure], dict[str, Any]]:
    lat = latency_summary(result.latencies)
    rate = result.ok / result.measured_seconds if result.measured_seconds else math.nan
    figures = [
        Figure(f"{name} {rate_name}", rate, "/s", rate_budget, ">="),
        Figure(f"{name} p50", lat["p50_ms"], "ms"),
        Figure(f"{name} p99", lat["p99_ms"], "ms", p99_budget, "<"),
        Figure(f"{name} max", lat["max_ms"], "ms"),
    ]
    extra = {"statuses": result.statuses, "codes": result.codes, "errors": result.errors, "completed": result.ok}
    return figures, extra


def with_load_cpu(cpu: dict[str, float], load_cores: float) -> dict[str, float]:
    """Move the load generator's own CPU out of "other" (its processes are not in a group)."""
    out = dict(cpu)
    out["load generator"] = load_cores
    out["other"] = max(0.0, out.get("other", 0.0) - load_cores)
    return out


def cpu_line(cpu: dict[str, float]) -> str:
    order = ["servers", "worker", "postgres", "redis", "load generator", "other", "machine"]
    text = ", ".join(f"{k} {cpu[k]:.2f}" for k in order if k in cpu)
    if cpu.get("other", 0.0) > 0.15:
        text += "  <- other processes were busy: figures disturbed"
    return text


def _print_phase_detail(extra: dict[str, Any], cpu: dict[str, float]) -> None:
    print_kv(
        {
            "responses": f"{extra['completed']} x 202 in the window; statuses {extra['statuses']}; codes {extra['codes']}"
            + (f"; client errors {extra['errors']}" if extra["errors"] else ""),
            "cpu (cores, avg)": cpu_line(cpu),
        }
    )


# =========================================================================== main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL URL to use as is (default: a throwaway pl_bench_<random> "
                        "database on postgres://postgres@127.0.0.1:5432, dropped at the end)")
    parser.add_argument("--pg-server", default="postgres://postgres@127.0.0.1:5432",
                        help="server for the throwaway database (default %(default)s)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="Redis URL; FLUSHDB'd first (default %(default)s)")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per phase (default %(default)s)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 s phases, short warm-up")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight in phases 1-2 (default %(default)s)")
    parser.add_argument("--rate", type=float, default=50.0, help="alerts/s sent in phase 3 (default %(default)s)")
    parser.add_argument("--load-procs", type=int, default=1, help="load-generator processes (default %(default)s)")
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw",
                        help="load-generator HTTP client (default %(default)s: asyncio HTTP/1.1 keep-alive)")
    parser.add_argument("--grace", type=float, default=10.0, help="phase 3: seconds to wait for console lines after the last send")
    parser.add_argument("--drain-timeout", type=float, default=300.0, help="max seconds to wait for the outbox to drain before phase 3")
    parser.add_argument("--phases", default="1,2,3", help="which phases to run, e.g. 1 or 1,2 (default %(default)s)")
    parser.add_argument("--transport", choices=["console", "fcm"], default="console",
                        help="phase 3: measure to the console transport's line, or to the request received by a fake "
                        "FCM server (real firebase-admin in the worker; the fake runs in this process)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory with logs and the console log")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration = min(args.duration, 2.0)
        args.grace = min(args.grace, 5.0)
    args.warmup = 0.5 if args.quick else min(2.0, max(0.5, args.duration / 5))
    args.phase_set = {int(p) for p in args.phases.split(",") if p.strip()}
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run_id = uuid.uuid4().hex[:8]
    workdir = Path(tempfile.mkdtemp(prefix="pl_bench_ingest_"))
    console_log = workdir / "console.jsonl"
    figures: list[Figure] = []
    info: dict[str, Any] = {"bench": "ingest", "run_id": run_id}
    failed = False

    print_section("machine")
    machine = machine_info()
    print_kv(machine)
    info["machine"] = machine

    throwaway: ThrowawayPostgres | None = None
    with ProcessGroup() as group:
        try:
            if args.database_url:
                database_url = args.database_url
            else:
                throwaway = ThrowawayPostgres(args.pg_server)
                database_url = throwaway.create()
                group.on_exit(throwaway.drop)
            redis_flushdb(args.redis_url)

            from pagerline.db import migrate

            asyncio.run(migrate(database_url))
            seeded = asyncio.run(_seed(database_url, team=f"Bench{run_id}"))
            n_responders = responders_needed(args.rate, args.duration)
            provider = "FCM" if args.transport == "fcm" else "CONSOLE"
            responder_keys = asyncio.run(_seed_responders(database_url, n_responders, run_id, provider)) if 3 in args.phase_set else []
            fake_fcm = None
            if args.transport == "fcm":
                fake_fcm = StampedFakeFcm().start()
                group.on_exit(fake_fcm.stop)

            env = {
                "PAGERLINE_DATABASE_URL": database_url,
                "PAGERLINE_REDIS_URL": args.redis_url,
                "PAGERLINE_CONSOLE_TRANSPORT": "1",
                "PAGERLINE_CONSOLE_LOG": str(console_log),
                "PAGERLINE_EVENT_RATE_PER_KEY": "1000000",
                "PAGERLINE_EVENT_BURST_PER_KEY": "1000000",
                "PAGERLINE_LOG_LEVEL": "WARNING",
                "PAGERLINE_SECRET_KEY": "bench",
            }
            if fake_fcm is not None:
                env.update(fake_fcm_settings(fake_fcm, workdir))
            servers: list[tuple[ManagedProcess, int]] = []
            for _ in range(2):
                proc, port = start_server(env, workdir, port=free_port())
                group.add(proc)
                servers.append((proc, port))
            worker = group.add(start_worker(env, workdir))
            time.sleep(0.5)
            if not worker.alive():
                raise RuntimeError(f"worker exited early:\n{worker.log_tail()}")
            ports = [port for _, port in servers]

            print_section("settings")
            settings = {
                "database": describe_url(database_url) + (" (throwaway)" if throwaway else ""),
                "redis": describe_url(args.redis_url) + " (flushed)",
                "processes": f"2 x pagerline serve --workers 1 (ports {ports[0]}, {ports[1]}; pids "
                f"{servers[0][0].pid}, {servers[1][0].pid}), 1 x pagerline worker (pid {worker.pid}, default threads)",
                "load generator": f"{args.load_procs} process(es), client {args.client}",
                "concurrency": f"{args.concurrency} requests in flight (phases 1-2)",
                "duration": f"{args.duration:g} s measured per phase, after {args.warmup:g} s warm-up (phases 1-2)",
                "phases": args.phases,
                "phase 3": f"open loop {args.rate:g} alerts/s for {args.duration:g} s; grace {args.grace:g} s; "
                f"round robin over {n_responders} responders (own source, policy, {args.transport} device each; storm "
                f"protection allows {PUSH_LIMIT_PER_MINUTE} pushes per user per minute)"
                if 3 in args.phase_set else "not run",
                "phases 1-2 target": "one seeded org (tests/support/seed.py): every page goes to one user, so "
                "storm protection holds back all but 20 per minute (the intake figures do not depend on it)",
                "transport": "console (JSON lines to a file)",
                "workdir": str(workdir),
            }
            print_kv(settings)
            info["settings"] = settings

            samplers = {
                "serve1": RssSampler(servers[0][0].pid, name="serve1").start(),
                "serve2": RssSampler(servers[1][0].pid, name="serve2").start(),
                "worker": RssSampler(worker.pid, name="worker").start(),
            }
            group.on_exit(lambda: [s.stop() for s in samplers.values()])
            cpu = CpuAccount(
                {
                    "servers": lambda: [*pid_tree(servers[0][0].pid)(), *pid_tree(servers[1][0].pid)()],
                    "worker": pid_tree(worker.pid),
                    "postgres": pids_named("postgres"),
                    "redis": pids_named("redis-server"),
                }
            )
            loads = LoadGenerators(group)

            def closed_specs(key_mode: str, alert_key: str) -> list[LoadSpec]:
                per = max(1, args.concurrency // args.load_procs)
                return [
                    LoadSpec(
                        mode="closed",
                        ports=ports,
                        integration_keys=[seeded["api_key"]],
                        key_mode=key_mode,
                        alert_key=alert_key,
                        client=args.client,
                        concurrency=per + (1 if i < args.concurrency - per * args.load_procs else 0),
                        warmup=args.warmup,
                        duration=args.duration,
                        tag=f"{run_id}p{i}",
                    )
                    for i in range(args.load_procs)
                ]

            def run_closed(key_mode: str, alert_key: str) -> tuple[LoadResult, dict[str, float], float, float]:
                """Run one closed-loop phase; returns the merged result, the CPU per group over the
                measured window, and the monotonic start/end of the whole phase (for peak RSS)."""
                run = loads.prepare(closed_specs(key_mode, alert_key))
                t0 = time.monotonic()
                loads.go(run)
                time.sleep(args.warmup)
                c0 = cpu.snapshot()
                result, _ = loads.collect(run)
                c1 = cpu.snapshot()
                t1 = time.monotonic()
                return result, CpuAccount.delta(c0, c1), t0, t1

            window_start = window_end = None
            # ---------------------------------------------------------------- phase 1: dedup
            if 1 in args.phase_set:
                dedup_key = f"bench-dedup-{run_id}"
                # Open the one alert first, so phase 1 measures appending to it and nothing else.
                first = httpx.post(f"http://127.0.0.1:{ports[0]}{EVENTS_PATH}", content=_event_body(
                    LoadSpec(mode="closed", ports=ports, integration_keys=[seeded["api_key"]], key_mode="same", alert_key=dedup_key), 0),
                    headers={"Content-Type": "application/json"}, timeout=30)
                if first.status_code != 202:
                    raise RuntimeError(f"opening the dedup alert failed: {first.status_code} {first.text}")
                result, used, t0, t1 = run_closed("same", dedup_key)
                window_start, window_end = t0, t1
                figs, extra = _phase_figures_closed("dedup", result, "events/s", DEDUP_EPS_BUDGET, DEDUP_P99_BUDGET_MS)
                print_section(f"phase 1: dedup (one alertKey, {args.concurrency} in flight)")
                print_figures(figs)
                used = with_load_cpu(used, result.cpu_seconds / result.measured_seconds)
                _print_phase_detail(extra, used)
                figures += figs
                info["dedup"] = extra | {"cpu_cores": {k: round(v, 3) for k, v in used.items()}}

            # ---------------------------------------------------------------- phase 2: new alerts
            if 2 in args.phase_set:
                result, used, t0, t1 = run_closed("distinct", f"bench-new-{run_id}")
                window_start = window_start or t0
                window_end = t1
                figs, extra = _phase_figures_closed("new alerts", result, "alerts/s", NEW_ALERTS_BUDGET, None)
                print_section(f"phase 2: new alerts (distinct alertKeys, {args.concurrency} in flight)")
                print_figures(figs)
                used = with_load_cpu(used, result.cpu_seconds / result.measured_seconds)
                _print_phase_detail(extra, used)
                figures += figs
                info["new_alerts"] = extra | {"cpu_cores": {k: round(v, 3) for k, v in used.items()}}

            if window_start is not None and window_end is not None:
                print_section("peak RSS of the servers during phases 1-2")
                figs = []
                for name in ("serve1", "serve2"):
                    peak = samplers[name].peak_between(window_start, window_end)
                    figs.append(Figure(f"{name} peak RSS", peak / MB, "MB", RSS_BUDGET_MB, "<", note=f"({peak / MiB:.1f} MiB)"))
                print_figures(figs)
                figures += figs

            # ---------------------------------------------------------------- phase 3: end to end
            if 3 in args.phase_set:
                print_section("outbox drain before phase 3")
                d0 = time.monotonic()
                due, done_before = asyncio.run(outbox_backlog(database_url))
                backlog_at_start = due
                while due > 0 and time.monotonic() - d0 < args.drain_timeout:
                    time.sleep(0.25)
                    due, _ = asyncio.run(outbox_backlog(database_url))
                drain_s = time.monotonic() - d0
                _, done_after = asyncio.run(outbox_backlog(database_url))
                print_kv({
                    "due pages at start": backlog_at_start,
                    "drained in": f"{drain_s:.2f} s" + ("" if due == 0 else f" (TIMED OUT, {due} still due)"),
                    "dealt with meanwhile": f"{done_after - done_before}"
                    + (f" ({(done_after - done_before) / drain_s:.0f}/s)" if drain_s > 0.5 else "")
                    + " (sent, or held back by storm protection)",
                })
                info["drain"] = {"backlog": backlog_at_start, "seconds": round(drain_s, 3), "left": due}

                _, offset = console_lines(console_log, 0)
                spec = LoadSpec(
                    mode="open",
                    ports=ports,
                    integration_keys=responder_keys,
                    key_mode="distinct",
                    alert_key=f"bench-e2e-{run_id}",
                    client=args.client,
                    concurrency=16,
                    duration=args.duration,
                    rate=args.rate,
                    tag=f"{run_id}e",
                )
                run = loads.prepare([spec])
                c0 = cpu.snapshot()
                t0 = time.monotonic()
                loads.go(run)
                result, _ = loads.collect(run)
                t_sent = time.monotonic()
                rows = result.open_rows
                wanted = {alert_id: sent for sent, alert_id, _, _ in rows if alert_id > 0}
                seen: dict[int, float] = {}
                deadline = t_sent + args.grace
                while True:
                    if fake_fcm is not None:
                        arrivals = fake_fcm.arrivals_by_alert()
                        for alert_id, at in arrivals.items():
                            if alert_id in wanted:
                                seen[alert_id] = min(at, seen.get(alert_id, at))
                    else:
                        lines, offset = console_lines(console_log, offset)
                        for line in lines:
                            alert_id = line.get("alert_id")
                            if alert_id in wanted:
                                at = datetime.fromisoformat(line["at"]).timestamp()
                                seen[alert_id] = min(at, seen.get(alert_id, at))
                    if len(seen) >= len(wanted) or time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
                t1 = time.monotonic()
                c1 = cpu.snapshot()
                page_statuses = asyncio.run(_page_statuses(database_url, list(wanted)))
                latencies = [seen[a] - wanted[a] for a in seen]
                # The part after the 202: commit -> worker -> transport (the HTTP part is in "e2e http").
                answered = {alert_id: sent + http_s for sent, alert_id, http_s, _ in rows if alert_id > 0}
                after_202 = latency_summary([seen[a] - answered[a] for a in seen])
                lat = latency_summary(latencies)
                missing = len(rows) - len(seen)
                http = latency_summary(result.latencies)
                worker_peak = samplers["worker"].peak_between(t0, t1)
                lateness = max((r[3] for r in rows), default=math.nan)
                where = "push received by the fake FCM" if fake_fcm is not None else "console transport"
                print_section(f"phase 3: event -> {where}, open loop {args.rate:g}/s for {args.duration:g} s")
                figs = [
                    Figure("e2e p50", lat["p50_ms"], "ms"),
                    Figure("e2e p99", lat["p99_ms"], "ms", E2E_P99_BUDGET_MS, "<"),
                    Figure("e2e max", lat["max_ms"], "ms"),
                    Figure("e2e missing", float(missing), "alerts", note=f"of {len(rows)} sent; no console line within {args.grace:g} s"),
                    Figure("e2e http p99", http["p99_ms"], "ms", note="request sent -> 202 received"),
                    Figure("e2e after 202 p99", after_202["p99_ms"], "ms", note="202 received -> console line written"),
                    Figure("worker peak RSS", worker_peak / MB, "MB", RSS_BUDGET_MB, "<", note=f"({worker_peak / MiB:.1f} MiB)"),
                ]
                print_figures(figs)
                used = with_load_cpu(CpuAccount.delta(c0, c1), result.cpu_seconds / max(1e-9, c1[0] - c0[0]))
                print_kv({
                    "responses": f"statuses {result.statuses}; codes {result.codes}"
                    + (f"; client errors {result.errors}" if result.errors else ""),
                    "pages of these alerts": ", ".join(f"{k} {v}" for k, v in page_statuses.items()) or "none",
                    "send schedule": f"{len(rows)} sent in {result.measured_seconds:.2f} s; latest send "
                    f"{lateness * 1000:.1f} ms behind schedule; {result.connections_opened} connections",
                    "cpu (cores, avg)": cpu_line(used),
                })
                figures += figs
                info["e2e"] = {"sent": len(rows), "seen": len(seen), "pages": page_statuses, "responders": n_responders, "statuses": result.statuses, "errors": result.errors,
                               "max_send_lateness_ms": round(lateness * 1000, 3),
                               "cpu_cores": {k: round(v, 3) for k, v in used.items()}}

            print_section("peak RSS over the whole run (informative)")
            print_kv({name: f"{sampler.peak() / MB:.1f} MB" for name, sampler in samplers.items()})
            info["whole_run_peak_rss_mb"] = {name: round(sampler.peak() / MB, 1) for name, sampler in samplers.items()}

            for name, (proc, _) in zip(("serve1", "serve2"), servers, strict=True):
                if not proc.alive():
                    raise RuntimeError(f"{name} died during the run:\n{proc.log_tail()}")
            if not worker.alive():
                raise RuntimeError(f"worker died during the run:\n{worker.log_tail()}")
        except KeyboardInterrupt:
            print("\ninterrupted; stopping processes", file=sys.stderr)
            failed = True
        except Exception:
            traceback.print_exc()
            failed = True
            args.keep = True

    print_section("summary")
    print_figures(figures)
    missed = [f.name for f in figures if f.met is False]
    print(f"budgets: {sum(1 for f in figures if f.met)} met, {len(missed)} MISSED" + (f" ({', '.join(missed)})" if missed else ""))
    if args.keep or failed:
        print(f"logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    summary = {"bench": "ingest", "run_id": run_id, "quick": args.quick, "duration_s": args.duration,
               "concurrency": args.concurrency, "rate": args.rate, "client": args.client,
               "load_procs": args.load_procs, "cpu_count": os.cpu_count(),
               "python": sys.version.split()[0], "complete": not failed}
    summary |= figures_json(figures)
    for phase in ("dedup", "new_alerts", "e2e", "drain", "whole_run_peak_rss_mb"):
        if phase in info:
            summary[f"{phase}_detail"] = info[phase]
    print(json_line(summary))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
