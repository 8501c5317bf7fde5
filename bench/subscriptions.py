"""Live subscriptions at scale: 1,000 (or --subscribers) WebSocket subscribers, commit → receipt
latency, memory per idle subscriber, and the dashboard query while events are ingested.

Run from the repo root:  .venv/bin/python bench/subscriptions.py [--quick] [--embedded]

What runs (all real processes):
  --servers `pagerline serve --workers 1` processes (default 2, one per core, as production runs
  them behind a load balancer; subscribers are spread over them and events reach every one of
  them through Redis) and one `pagerline worker` on PostgreSQL and Redis (a
  throwaway pl_bench_<random> database; Redis db --redis-url, flushed), or with --embedded the
  embedded defaults (SQLite file, in-process worker and bus, no separate worker, one server). Notifications go
  to the console transport. Subscriber processes of their own (--subscriber-procs) hold the
  WebSocket connections; a load-generator process (bench/ingest.py's open loop) posts events;
  another process sends dashboard queries.

Phases:
  0. 50 open alerts are created so the dashboard query has a full page to show.
  1. query    --rate new alerts/s (distinct alertKeys, open loop) for --duration seconds while
              a separate process sends the dashboard query (50 open alerts with source, policy,
              responders and latest log entry) at --query-rate per second over HTTP with a
              Bearer token: p50/p99 (no budget). It runs before any subscriber connects, so
              the figure is the query's and not the fan-out's.
  2. memory   the server's RSS (process tree, median of 2 s of samples while idle) before and
              after --subscribers connections are opened, authenticated (graphql-transport-ws,
              connection_init {authToken}) and subscribed to alertEvents; then one warm-up
              event must reach all of them (proof that every subscription is registered).
              (after - before) / subscribers.                   Budget: < 150 KB each
  3. fan-out  --rate new alerts/s for --duration seconds; every subscriber records when each
              alert's CREATED event arrives.                    Budget: p99 < 250 ms
              (1,000 subscribers; < 500 ms for more, up to 5,000 on 2 servers at 1 alert/s).
              Also: the messages one alert change costs each subscriber (the UPDATED a
              delivered notification publishes is not sent to a feed that does not show the
              timeline), the servers' executions per alert (one per group of alike subscriptions,
              from their /metrics), and server CPU per alert per server and per message.

How commit → receipt is measured. The commit happens inside the request, between the moment the
server stamps the alert's `createdAt` (when it starts handling the event, before its transaction)
and the HTTP 202. Subscribers receive `createdAt` in the event and note the wall clock (same
machine, same clock) when the message arrives; so `receipt - createdAt` is an upper bound of
commit → receipt (it also counts the intake transaction itself): that is the budgeted figure.
`receipt - time the 202 arrived` is a lower bound (it can be negative: an event can beat the HTTP
answer) and is printed beside it. Each (subscriber, alert) pair is one sample; an event that never
arrived within --grace seconds counts as missing. Receipt times include the subscriber
processes' own queueing (one process reads hundreds of sockets), so the figure is pessimistic.

Peak RSS (process tree) of the server for the whole run is printed too, and the CPU (cores) each
group of processes used in each phase; "other" above 0.15 cores means something else on the
machine was busy and the figures are disturbed. The last line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
import traceback
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from collections.abc import Callable
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bench.common import (  # noqa: E402
    MB,
    CpuAccount,
    Figure,
    ProcessGroup,
    RssSampler,
    ThrowawayPostgres,
    describe_url,
    figures_json,
    json_line,
    latency_summary,
    machine_info,
    pid_tree,
    pids_named,
    print_figures,
    print_kv,
    print_section,
    redis_flushdb,
    start_server,
    start_worker,
)
from bench.ingest import LoadGenerators, LoadSpec  # noqa: E402

RECEIPT_P99_BUDGET_MS = 250.0  # 1,000 subscribers
RECEIPT_P99_BUDGET_MS_5000 = 500.0  # 5,000 subscribers on 2 servers at 1 alert/s
IDLE_SUBSCRIBER_BUDGET_KB = 150.0
KB = 1000  # budgets say "KB": the decimal (stricter) reading, as bench/common.py reads "MB"

FEED = "subscription BenchFeed { alertEvents { kind alert { id status summary createdAt } } }"
DASHBOARD_QUERY = """query Dashboard {
  alerts(status: [PENDING, ACCEPTED], first: 50) {
    edges { node {
      id summary status priority createdAt
      source { name }
      escalationPolicy { name }
      responders { user { name } accepted }
      latestLogEntry { kind text at }
    } }
  }
}"""


# =========================================================================== subscriber processes


@dataclass
class SubscriberSpec:
    ws_url: str
    token: str
    count: int
    batch: int = 50  # connections opened at once (the server's accept backlog is finite)
    tag: str = ""


@dataclass
class SubscriberReport:
    connected: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    closed: int = 0
    cpu_seconds: float = 0.0
    # One row per CREATED event received: (subscriber index, alert id, receipt wall time, createdAt).
    rows: list[tuple[int, int, float, float]] = field(default_factory=list)
    failure: str = ""


async def _open_subscriber(spec: SubscriberSpec) -> Any:
    import websockets

    ws = await websockets.connect(spec.ws_url, subprotocols=["graphql-transport-ws"], open_timeout=60, max_size=1 << 20)  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": spec.token}}))
    ack = json.loads(await asyncio.wait_for(ws.recv(), timeout=60))
    if ack.get("type") != "connection_ack":
        raise RuntimeError(f"not acknowledged: {ack}")
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": FEED}}))
    return ws


def _parse_rows(raw: list[tuple[int, float, str | bytes]]) -> tuple[list[tuple[int, int, float, float]], int]:
    """Decoded after the fact, so receiving does as little as possible per message. Returns the
    CREATED rows and how many events (of any kind) arrived."""
    rows = []
    events = 0
    for index, received_at, message in raw:
        parsed = json.loads(message)
        if parsed.get("type") != "next":
            continue
        events += 1
        event = parsed["payload"]["data"]["alertEvents"]
        if event["kind"] == "CREATED":
            created = datetime.fromisoformat(event["alert"]["createdAt"]).timestamp()
            rows.append((index, int(event["alert"]["id"]), received_at, created))
    return rows, events


def subscriber_process(spec_dict: dict[str, Any], pipe: Connection) -> None:
    """Opens ``count`` subscribers, says how many are up, records every message's arrival until
    told "collect" (send what arrived so far) or "stop"."""
    spec = SubscriberSpec(**spec_dict)
    report = SubscriberReport()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    async def main() -> None:
        loop = asyncio.get_running_loop()
        sockets: list[Any] = []
        for start in range(0, spec.count, spec.batch):
            opened = await asyncio.gather(
                *(_open_subscriber(spec) for _ in range(start, min(spec.count, start + spec.batch))), return_exceptions=True
            )
            for result in opened:
                if isinstance(result, BaseException):
                    report.failed[type(result).__name__] = report.failed.get(type(result).__name__, 0) + 1
                else:
                    sockets.append(result)
        report.connected = len(sockets)
        raw: list[tuple[int, float, str | bytes]] = []
        clock = time.time

        async def read(index: int, ws: Any) -> None:
            try:
                async for message in ws:
                    raw.append((index, clock(), message))
            except Exception:
                pass
            report.closed += 1

        readers = [asyncio.create_task(read(i, ws)) for i, ws in enumerate(sockets)]
        cpu0 = time.process_time()
        pipe.send({"connected": report.connected, "failed": report.failed})
        while True:
            command = await loop.run_in_executor(None, pipe.recv)
            taken, raw[:] = list(raw), []
            if command == "collect":
                rows, events = _parse_rows(taken)
                pipe.send({"rows": rows, "events": events, "closed": report.closed, "cpu_seconds": time.process_time() - cpu0})
                continue
            break
        for task in readers:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)

    try:
        asyncio.run(main())
    except BaseException as exc:  # report, never hang the parent
        report.failure = "".join(traceback.format_exception(exc))[-4000:]
        pipe.send({"failure": report.failure})
    pipe.close()


@dataclass
class Arrivals:
    # (subscriber, alert id, receipt wall time, createdAt) of each CREATED event
    rows: list[tuple[int, int, float, float]] = field(default_factory=list)
    events: int = 0  # events of every kind (CREATED, UPDATED, ...) received
    closed: int = 0  # connections closed so far
    cpu_seconds: float = 0.0  # CPU the subscriber processes used so far


class Subscribers:
    """The subscriber processes: start, wait until connected, collect arrivals, stop."""

    def __init__(self, group: ProcessGroup, specs: list[SubscriberSpec]) -> None:
        ctx = mp.get_context("spawn")
        self.connected = 0
        self.procs: list[mp.process.BaseProcess] = []
        self.pipes: list[Connection] = []
        for spec in specs:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=subscriber_process, args=(asdict(spec), child), daemon=True, name=f"subs-{spec.tag}")
            proc.start()
            child.close()
            self.procs.append(proc)
            self.pipes.append(parent)
        group.on_exit(self.stop)

    def wait_connected(self, timeout: float) -> tuple[int, dict[str, int]]:
        connected, failed = 0, {}
        for pipe, proc in zip(self.pipes, self.procs, strict=True):
            if not pipe.poll(timeout):
                raise RuntimeError(f"{proc.name} did not connect within {timeout:g} s")
            message = pipe.recv()
            if "failure" in message:
                raise RuntimeError(f"{proc.name} failed:\n{message['failure']}")
            connected += message["connected"]
            for name, n in message["failed"].items():
                failed[name] = failed.get(name, 0) + n
        self.connected = connected
        return connected, failed

    def collect(self) -> Arrivals:
        """What arrived since the last collect (subscriber indexes made unique across processes)."""
        for pipe in self.pipes:
            pipe.send("collect")
        arrivals = Arrivals()
        for n, pipe in enumerate(self.pipes):
            message = pipe.recv()
            if "failure" in message:
                raise RuntimeError(f"subscriber process failed:\n{message['failure']}")
            arrivals.rows += [(n * 1_000_000 + index, alert_id, got, created) for index, alert_id, got, created in message["rows"]]
            arrivals.events += message["events"]
            arrivals.closed += message["closed"]
            arrivals.cpu_seconds += message["cpu_seconds"]
        return arrivals

    @property
    def pids(self) -> list[int]:
        return [p.pid or 0 for p in self.procs]

    def stop(self) -> None:
        for pipe in self.pipes:
            try:
                pipe.send("stop")
            except (OSError, ValueError):
                pass
        for proc in self.procs:
            proc.join(10)
            if proc.is_alive():
                proc.terminate()
                proc.join(5)


# =========================================================================== dashboard query process


@dataclass
class QuerySpec:
    url: str
    token: str
    rate: float
    duration: float


def query_process(spec_dict: dict[str, Any], pipe: Connection) -> None:
    """Sends the dashboard query on a fixed schedule (open loop: a slow answer does not delay the
    next request); returns latencies in seconds, errors and CPU seconds."""
    spec = QuerySpec(**spec_dict)

    async def main() -> dict[str, Any]:
        latencies: list[float] = []
        errors: dict[str, int] = {}
        headers = {"Authorization": f"Bearer {spec.token}"}
        async with httpx.AsyncClient(timeout=30, headers=headers) as client:

            async def one() -> None:
                t0 = time.perf_counter()
                try:
                    response = await client.post(spec.url, json={"query": DASHBOARD_QUERY})
                    body = response.json()
                    if response.status_code != 200 or body.get("errors"):
                        raise RuntimeError(str(body.get("errors") or response.status_code)[:200])
                    if len(body["data"]["alerts"]["edges"]) != 50:
                        raise RuntimeError("fewer than 50 open alerts")
                    latencies.append(time.perf_counter() - t0)
                except Exception as exc:
                    key = f"{type(exc).__name__}: {exc}"[:200]
                    errors[key] = errors.get(key, 0) + 1

            await asyncio.to_thread(pipe.recv)  # "go"
            cpu0 = time.process_time()
            loop = asyncio.get_running_loop()
            start = loop.time()
            tasks = []
            for i in range(int(spec.rate * spec.duration)):
                delay = start + i / spec.rate - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one()))
            await asyncio.gather(*tasks)
            return {"latencies": latencies, "errors": errors, "cpu_seconds": time.process_time() - cpu0}

    try:
        pipe.send(asyncio.run(main()))
    except BaseException as exc:
        pipe.send({"failure": "".join(traceback.format_exception(exc))[-4000:]})
    pipe.close()


# =========================================================================== measuring


async def _seed(database_url: str, team: str) -> dict[str, Any]:
    """tests/support/seed.py's organisation: an API source whose policy pages Alice, and her token."""
    from pagerline.db import close_db, init_db
    from tests.support.seed import seed_org

    await init_db(database_url)
    try:
        org = await seed_org(team=team)
        return {"api_key": org.api_key, "alice_token": org.alice_token}
    finally:
        await close_db()


def idle_rss(sampler: RssSampler, seconds: float = 2.0) -> float:
    """Median RSS of the sampled process tree over the next ``seconds`` (bytes)."""
    t0 = time.monotonic()
    time.sleep(seconds)
    values = [rss for t, rss in sampler.samples if t >= t0]
    return float(statistics.median(values)) if values else math.nan


def raise_fd_limit(needed: int) -> str:
    """Subscriber processes and the server inherit this process's limit on open files."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed and (hard == resource.RLIM_INFINITY or soft < hard):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else needed, hard))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return f"{soft} (hard {hard})"


def post_alerts(base_url: str, api_key: str, prefix: str, n: int) -> list[int]:
    ids = []
    with httpx.Client(timeout=30) as client:
        for i in range(n):
            response = client.post(
                f"{base_url}/api/events",
                json={"integrationKey": api_key, "eventType": "ALERT", "summary": f"Bench {prefix} {i}", "alertKey": f"{prefix}-{i}"},
            )
            response.raise_for_status()
            ids.append(int(response.json()["alertUrl"].rsplit("/", 1)[1]))
    return ids


def wait_for_arrivals(subscribers: Subscribers, wanted: set[int], expected_each: int, grace: float) -> Arrivals:
    """Collect until every subscriber has the CREATED event of every wanted alert, or ``grace``
    seconds pass; rows of other alerts are left out, events of every kind are counted."""
    total = Arrivals()
    deadline = time.monotonic() + grace
    while True:
        got = subscribers.collect()
        total.rows += [r for r in got.rows if r[1] in wanted]
        total.events += got.events
        total.closed, total.cpu_seconds = got.closed, got.cpu_seconds
        if len(total.rows) >= expected_each * len(wanted) or time.monotonic() > deadline:
            return total
        time.sleep(0.25)


DISTURBED_CORES = 0.15


def cpu_line(cpu: dict[str, float]) -> str:
    line = ", ".join(f"{name} {cores:.2f}" for name, cores in cpu.items())
    if cpu.get("other", 0.0) > DISTURBED_CORES:
        line += f" -- DISTURBED: processes outside this run used {cpu['other']:.2f} cores"
    return line


# =========================================================================== phases


@dataclass
class Bench:
    """What every phase needs: the options, the processes and how to reach the server."""

    args: argparse.Namespace
    run_id: str
    group: ProcessGroup
    base_url: str  # the first server: ingest and the dashboard query go here
    token: str
    api_key: str
    cpu_groups: dict[str, Callable[[], list[int]]]
    loads: LoadGenerators
    server_urls: list[str]

    def ingest_spec(self, phase: str) -> LoadSpec:
        """``--rate`` new alerts/s, open loop, distinct keys (bench/ingest.py's load generator). Its
        httpx client: at a few requests per second its CPU cost does not matter, and unlike the
        raw client it does not reuse a keep-alive connection the server closed while idle."""
        return LoadSpec(mode="open", ports=[int(self.base_url.rsplit(":", 1)[1])], integration_keys=[self.api_key],
                        key_mode="distinct", alert_key=f"bench-{phase}-{self.run_id}", concurrency=2, client="httpx",
                        duration=self.args.duration, rate=self.args.rate, tag=f"{self.run_id}{phase}")


def measure_dashboard_query(bench: Bench) -> list[Figure]:
    """Phase 1: the dashboard query at --query-rate/s while --rate alerts/s are ingested."""
    args = bench.args
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    spec = QuerySpec(f"{bench.base_url}/graphql", bench.token, args.query_rate, args.duration)
    querier = ctx.Process(target=query_process, args=(asdict(spec), child), daemon=True)
    querier.start()
    bench.group.on_exit(lambda: querier.terminate() if querier.is_alive() else None)
    run = bench.loads.prepare([bench.ingest_spec("query")])
    cpu = CpuAccount(bench.cpu_groups)
    c0 = cpu.snapshot()
    parent.send("go")
    bench.loads.go(run)
    ingested, _ = bench.loads.collect(run)
    queried = parent.recv()
    c1 = cpu.snapshot()
    if "failure" in queried:
        raise RuntimeError(f"query process failed:\n{queried['failure']}")
    summary = latency_summary(queried["latencies"])
    print_section(f"phase 1: dashboard query at {args.query_rate:g}/s while {args.rate:g} alerts/s are ingested")
    print_kv({
        "queries answered": f"{summary['count']} (errors {queried['errors'] or 'none'})",
        "alerts ingested": f"{ingested.ok} of {ingested.sent}",
        "cpu (cores)": cpu_line(CpuAccount.delta(c0, c1)),
    })
    figures = [Figure("dashboard query p50", summary["p50_ms"], "ms"), Figure("dashboard query p99", summary["p99_ms"], "ms")]
    print_figures(figures)
    return figures


def measure_idle_memory(bench: Bench, samplers: list[RssSampler]) -> tuple[Subscribers, list[Figure]]:
    """Phase 2: the servers' RSS before and after --subscribers connect and subscribe (spread
    over the servers, one subscriber process after another); then one warm-up event proves every
    subscription is registered (and is not part of the figure)."""
    args = bench.args
    rss_before = sum(idle_rss(sampler) for sampler in samplers)
    ws_urls = [url.replace("http://", "ws://") + "/graphql" for url in bench.server_urls]
    per_proc = [args.subscribers // args.subscriber_procs + (1 if i < args.subscribers % args.subscriber_procs else 0)
                for i in range(args.subscriber_procs)]
    t0 = time.monotonic()
    subscribers = Subscribers(
        bench.group,
        [SubscriberSpec(ws_urls[i % len(ws_urls)], bench.token, n, tag=f"{bench.run_id}-{i}") for i, n in enumerate(per_proc)],
    )
    connected, failed = subscribers.wait_connected(timeout=300)
    connect_s = time.monotonic() - t0
    bench.cpu_groups["subscribers"] = lambda: [pid for pid in subscribers.pids if pid]
    rss_after = sum(idle_rss(sampler) for sampler in samplers)
    warm = set(post_alerts(bench.base_url, bench.api_key, f"warm-{bench.run_id}", 1))
    warm_rows = wait_for_arrivals(subscribers, warm, connected, grace=60).rows
    print_section(f"phase 2: memory of {connected} idle subscribers")
    print_kv({
        "connected": f"{connected} of {args.subscribers} in {connect_s:.1f} s" + (f"; failed {failed}" if failed else ""),
        "server RSS before/after": f"{rss_before / MB:.1f} / {rss_after / MB:.1f} MB (all servers; median of 2 s of samples each)",
        "then a warm-up event reached": f"{len(warm_rows)} of {connected}",
    })
    per_subscriber = (rss_after - rss_before) / max(1, connected)
    figures = [Figure("extra RSS per idle subscriber", per_subscriber / KB, "KB", IDLE_SUBSCRIBER_BUDGET_KB, "<")]
    print_figures(figures)
    return subscribers, figures


SUBSCRIPTION_METRICS = ("pagerline_subscription_executions_total", "pagerline_subscription_messages_total", "pagerline_subscription_unchanged_total")


def subscription_counters(server_urls: list[str]) -> dict[str, float]:
    """The servers' subscription counters (see pagerline.graphql.core.fanout), summed over
    servers and labels; missing ones (a server without them) count 0."""
    totals = dict.fromkeys(SUBSCRIPTION_METRICS, 0.0)
    for url in server_urls:
        for line in httpx.get(f"{url}/metrics", timeout=30).text.splitlines():
            name = line.split("{", 1)[0].split(" ", 1)[0]
            if name in totals:
                totals[name] += float(line.rsplit(" ", 1)[1])
    return totals


def receipt_budget(subscribers: int) -> float:
    return RECEIPT_P99_BUDGET_MS if subscribers <= 1000 else RECEIPT_P99_BUDGET_MS_5000


def measure_fanout(bench: Bench, subscribers: Subscribers, info: dict[str, Any]) -> list[Figure]:
    """Phase 3: --rate new alerts/s for --duration s; when each CREATED event reaches each subscriber."""
    args = bench.args
    run = bench.loads.prepare([bench.ingest_spec("fanout")])
    counters0 = subscription_counters(bench.server_urls)
    cpu = CpuAccount(bench.cpu_groups)
    c0 = cpu.snapshot()
    bench.loads.go(run)
    result, _ = bench.loads.collect(run)
    answered = {alert_id: sent + latency for sent, alert_id, latency, _ in result.open_rows if alert_id > 0}
    connected = subscribers.connected
    arrivals = wait_for_arrivals(subscribers, set(answered), connected, args.grace)
    rows = arrivals.rows
    c1 = cpu.snapshot()
    used = CpuAccount.delta(c0, c1)
    server_cpu_s = used["server"] * (c1[0] - c0[0])
    counters = {name: value - counters0[name] for name, value in subscription_counters(bench.server_urls).items()}
    alerts = max(1, len(answered))
    servers = len(bench.server_urls)
    executions = counters["pagerline_subscription_executions_total"]
    upper = [got - created for _, _, got, created in rows]
    lower = [got - answered[alert_id] for _, alert_id, got, _ in rows]
    last_per_alert: dict[int, float] = {}
    for _, alert_id, got, created in rows:
        last_per_alert[alert_id] = max(last_per_alert.get(alert_id, 0.0), got - created)
    expected = connected * len(answered)
    summary = latency_summary(upper)
    print_section(f"phase 3: fan-out, {args.rate:g} new alerts/s for {args.duration:g} s to {connected} subscribers")
    print_kv({
        "alerts created": f"{len(answered)} (HTTP statuses {result.statuses}, errors {result.errors or 'none'})",
        "CREATED deliveries": f"{len(rows)} of {expected} ({expected - len(rows)} missing after {args.grace:g} s grace; "
        f"{arrivals.closed} connections closed)",
        "messages of all kinds": f"{arrivals.events} received ({arrivals.events / max(1, len(answered) * connected):.2f} per "
        f"alert and subscriber: the messages one alert change costs)",
        "server executions": f"{executions:g} ({executions / alerts / servers:.2f} per alert and server; "
        f"{counters['pagerline_subscription_messages_total']:g} messages written from a shared serialization, "
        f"{counters['pagerline_subscription_unchanged_total']:g} UPDATEDs that showed a group nothing new not sent)",
        "server CPU": f"{server_cpu_s:.2f} s in all: {1000 * server_cpu_s / alerts / servers:.1f} ms per alert per server "
        f"({connected // max(1, servers)} subscribers each), {1000 * server_cpu_s / max(1, arrivals.events):.3f} ms per message delivered",
        "202 -> receipt (lower bound)": "p50 {p50_ms:.1f} ms, p99 {p99_ms:.1f} ms, max {max_ms:.1f} ms".format(**latency_summary(lower)),
        "createdAt -> last subscriber": "p50 {p50_ms:.1f} ms, p99 {p99_ms:.1f} ms".format(**latency_summary(list(last_per_alert.values()))),
        "cpu (cores)": cpu_line(used),
    })
    figures = [
        Figure("commit->receipt p50", summary["p50_ms"], "ms"),
        Figure("commit->receipt p99", summary["p99_ms"], "ms", receipt_budget(args.subscribers), "<", note="(upper bound: createdAt -> receipt)"),
        Figure("commit->receipt max", summary["max_ms"], "ms"),
        Figure("missing deliveries", float(expected - len(rows)), ""),
        Figure("messages per alert and subscriber", arrivals.events / max(1, len(answered) * connected), ""),
        Figure("server CPU per message delivered", 1000 * server_cpu_s / max(1, arrivals.events), "ms"),
        Figure("server CPU per alert per server", 1000 * server_cpu_s / alerts / servers, "ms"),
    ]
    print_figures(figures)
    info["fanout"] = {"cpu_cores": {k: round(v, 3) for k, v in used.items()}, "events": arrivals.events,
                      "server_cpu_s": round(server_cpu_s, 2), "subscriber_cpu_s": round(arrivals.cpu_seconds, 2),
                      "server_counters": counters}
    return figures


# =========================================================================== main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedded", action="store_true", help="embedded defaults: SQLite, in-process worker and bus")
    parser.add_argument("--database-url", help="PostgreSQL URL to use as is (default: a throwaway database on --pg-server)")
    parser.add_argument("--pg-server", default="postgres://postgres@127.0.0.1:5432", help="where the throwaway database is made")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12", help="Redis URL; FLUSHDB'd first (default %(default)s)")
    parser.add_argument("--servers", type=int, default=2, help="pagerline serve processes (default %(default)s; 1 with --embedded)")
    parser.add_argument("--subscribers", type=int, default=1000, help="WebSocket subscribers (default %(default)s)")
    parser.add_argument("--subscriber-procs", type=int, default=2, help="processes holding them (default %(default)s)")
    parser.add_argument("--rate", type=float, default=2.0, help="new alerts/s in phases 1 and 3 (default %(default)s)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of phases 1 and 3 (default %(default)s)")
    parser.add_argument("--query-rate", type=float, default=10.0, help="dashboard queries/s in phase 1 (default %(default)s)")
    parser.add_argument("--grace", type=float, default=20.0, help="seconds to wait for late events after phase 3")
    parser.add_argument("--quick", action="store_true", help="smoke run: 100 subscribers, 5 s phases")
    args = parser.parse_args(argv)
    if args.embedded:
        args.servers = 1  # without Redis, events reach only the process they happen in
    if args.quick:
        args.subscribers = min(args.subscribers, 100)
        args.duration = min(args.duration, 5.0)
        args.grace = min(args.grace, 10.0)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run_id = uuid.uuid4().hex[:8]
    workdir = Path(tempfile.mkdtemp(prefix="pl_bench_subs_"))
    figures: list[Figure] = []
    info: dict[str, Any] = {"bench": "subscriptions", "run_id": run_id}

    print_section("machine")
    info["machine"] = machine_info()
    print_kv(info["machine"])
    fd_limit = raise_fd_limit(args.subscribers + 1024)

    with ProcessGroup() as group:
        try:
            if args.embedded:
                database_url = f"sqlite://{workdir / 'bench.db'}"
            elif args.database_url:
                database_url = args.database_url
            else:
                throwaway = ThrowawayPostgres(args.pg_server)
                database_url = throwaway.create()
                group.on_exit(throwaway.drop)
            from pagerline.db import migrate

            asyncio.run(migrate(database_url))
            seeded = asyncio.run(_seed(database_url, team=f"Subs{run_id}"))
            env = {
                "PAGERLINE_DATABASE_URL": database_url,
                "PAGERLINE_CONSOLE_TRANSPORT": "1",
                "PAGERLINE_CONSOLE_LOG": str(workdir / "console.jsonl"),
                "PAGERLINE_EVENT_RATE_PER_KEY": "1000000",
                "PAGERLINE_EVENT_BURST_PER_KEY": "1000000",
                "PAGERLINE_LOG_LEVEL": "WARNING",
                "PAGERLINE_SECRET_KEY": "bench",
            }
            if not args.embedded:
                redis_flushdb(args.redis_url)
                env["PAGERLINE_REDIS_URL"] = args.redis_url
            servers = []
            for _ in range(args.servers):
                server, port = start_server(env, workdir)
                servers.append((group.add(server), f"http://127.0.0.1:{port}"))
            worker = None if args.embedded else group.add(start_worker(env, workdir))
            base_url = servers[0][1]
            token = seeded["alice_token"]

            print_section("settings")
            settings = {
                "mode": "embedded (SQLite, in-process worker and bus)" if args.embedded else f"PostgreSQL + Redis, {args.servers} servers + 1 worker",
                "database": describe_url(database_url),
                "redis": "none" if args.embedded else describe_url(args.redis_url) + " (flushed)",
                "servers": f"{len(servers)} x pagerline serve --workers 1 (pids {', '.join(str(s.pid) for s, _ in servers)})"
                + ("" if worker is None else f"; pagerline worker (pid {worker.pid})"),
                "subscribers": f"{args.subscribers} in {args.subscriber_procs} process(es), graphql-transport-ws, one user's token",
                "subscription": FEED,
                "ingest": f"{args.rate:g} new alerts/s (open loop) for {args.duration:g} s in phases 1 and 3",
                "dashboard query": f"{args.query_rate:g}/s in phase 1, 50 open alerts with source, policy, responders, latest log entry",
                "open files limit": fd_limit,
                "workdir": str(workdir),
            }
            print_kv(settings)
            info["settings"] = settings

            samplers = [RssSampler(s.pid, name=f"serve{i + 1}").start() for i, (s, _) in enumerate(servers)]
            for sampler in samplers:
                group.on_exit(sampler.stop)
            trees = [pid_tree(s.pid) for s, _ in servers]
            groups = {"server": lambda: [pid for tree in trees for pid in tree()], "postgres": pids_named("postgres"), "redis": pids_named("redis-server")}
            if worker is not None:
                groups["worker"] = pid_tree(worker.pid)
            bench = Bench(args, run_id, group, base_url, token, seeded["api_key"], groups, LoadGenerators(group), [url for _, url in servers])
            post_alerts(base_url, seeded["api_key"], f"open-{run_id}", 50)  # phase 0
            # The dashboard query first, while no subscriber's fan-out can weigh on it.
            figures += measure_dashboard_query(bench)
            subscribers, memory = measure_idle_memory(bench, samplers)
            figures += memory
            figures += measure_fanout(bench, subscribers, info)
            subscribers.stop()
            print_section("server")
            figures.append(Figure("server peak RSS (largest)", max(sampler.peak() for sampler in samplers) / MB, "MB", 250.0, "<"))
            print_figures(figures[-1:])
        except Exception:
            traceback.print_exc()
            info["error"] = traceback.format_exc()[-2000:]
    info["figures"] = figures_json(figures)
    print(json_line(info), flush=True)
    return 1 if "error" in info else 0


if __name__ == "__main__":
    sys.exit(main())
