"""Helpers shared by the benchmarks in ``bench/``.

What every benchmark needs and should do the same way: describe the machine, compute
percentiles without flattering interpolation, sample a process's peak RSS while it works, start
and always stop the real ``pagerline`` processes, make a throwaway PostgreSQL database, and print
each figure beside its budget as "met" or "MISSED". Figures are never rounded towards a budget:
a verdict is computed from the raw value, and the printed value carries enough digits to show it.

Only the standard library, psutil (a test dependency) and the packages pagerline itself depends
on are used, so ``.venv/bin/python bench/<name>.py`` works on a fresh ``make test`` checkout.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psutil

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

MiB = 1024 * 1024
MB = 1000 * 1000  # budgets say "MB": the decimal (stricter) reading is used


# --------------------------------------------------------------------------- machine


def cpu_model() -> str:
    """The CPU's marketing name; /proc/cpuinfo on Linux, ``platform`` elsewhere."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    load1, load5, _ = os.getloadavg() if hasattr(os, "getloadavg") else (math.nan, math.nan, math.nan)
    return {
        "platform": platform.platform(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_count_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_mib": round(psutil.virtual_memory().total / MiB),
        "python": f"{sys.version.split()[0]} ({platform.python_implementation()})",
        "load average (1/5 min)": f"{load1:.2f} / {load5:.2f} before the run",
    }


def print_section(title: str) -> None:
    print(f"== {title}", flush=True)


def print_kv(items: dict[str, Any], width: int = 22) -> None:
    for key, value in items.items():
        print(f"{key:<{width}} {value}", flush=True)


# --------------------------------------------------------------------------- statistics


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an ascending sequence: always a real sample, never an
    interpolation between two (which would make a p99 look better than any request was)."""
    if not sorted_values:
        return math.nan
    rank = math.ceil(q / 100 * len(sorted_values))
    return sorted_values[max(1, min(len(sorted_values), rank)) - 1]


def latency_summary(values_s: Sequence[float]) -> dict[str, float | int]:
    """p50/p90/p99/max in milliseconds of latencies given in seconds."""
    ordered = sorted(values_s)
    if not ordered:
        return {"count": 0, "p50_ms": math.nan, "p90_ms": math.nan, "p99_ms": math.nan, "max_ms": math.nan}
    return {
        "count": len(ordered),
        "p50_ms": percentile(ordered, 50) * 1000,
        "p90_ms": percentile(ordered, 90) * 1000,
        "p99_ms": percentile(ordered, 99) * 1000,
        "max_ms": ordered[-1] * 1000,
    }


# --------------------------------------------------------------------------- budgets


@dataclass
class Figure:
    """One measured number, its budget and the verdict. ``op`` is how the value must compare
    with the budget: "<" (lower is better) or ">=" (higher is better). ``budget`` None means
    the figure is informative only."""

    name: str
    value: float
    unit: str
    budget: float | None = None
    op: str = "<"
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.budget is None:
            return None
        if math.isnan(self.value):
            return False
        return self.value < self.budget if self.op == "<" else self.value >= self.budget

    @property
    def verdict(self) -> str:
        return {None: "", True: "met", False: "MISSED"}[self.met]

    def shown(self) -> str:
        """The value as printed: if its usual rounding would read as the other side of the
        budget (49.996 shown as "50.00" against "< 50"), more digits are shown until it does not."""
        if math.isnan(self.value):
            return "n/a"
        text = format_value(self.value)
        if self.budget is None:
            return text
        for digits in range(0, 7):
            shown = float(text.replace(",", ""))
            same = (shown < self.budget) == self.met if self.op == "<" else (shown >= self.budget) == self.met
            if same:
                return text
            text = f"{self.value:,.{digits + 1}f}"
        return repr(self.value)

    def line(self, width: int = 34) -> str:
        value = self.shown()
        budget = f"budget {self.op} {format_value(self.budget)} {self.unit}" if self.budget is not None else ""
        parts = [f"{self.name:<{width}} {value:>12} {self.unit:<6}", f"{budget:<26}", f"{self.verdict:<6}"]
        if self.note:
            parts.append(self.note)
        return "  ".join(parts).rstrip()


def format_value(value: float) -> str:
    """Enough digits to see the real figure; no rounding across a budget line."""
    if value != value:  # NaN
        return "n/a"
    if float(value).is_integer():
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def print_figures(figures: Sequence[Figure]) -> None:
    for figure in figures:
        print(figure.line(), flush=True)


def figures_json(figures: Sequence[Figure]) -> dict[str, Any]:
    """Key -> raw value, plus ``<key>_met`` for budgeted figures. Keys are the names with
    spaces replaced, so the JSON line stays greppable."""
    out: dict[str, Any] = {}
    for figure in figures:
        key = figure.name.replace(" ", "_").replace("/", "_per_")
        out[key] = None if math.isnan(figure.value) else round(figure.value, 3)
        if figure.budget is not None:
            out[f"{key}_met"] = figure.met
    return out


# --------------------------------------------------------------------------- peak RSS


def tree_rss(proc: psutil.Process) -> int:
    """RSS of a process plus all its descendants, in bytes (0 once it is gone)."""
    total = 0
    try:
        total += proc.memory_info().rss
        for child in proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += child.memory_info().rss
    except psutil.Error:
        pass
    return total


class RssSampler:
    """Samples the RSS of a process tree every ``interval`` seconds in a daemon thread.

    Keeps every (monotonic time, bytes) sample, so one sampler can answer "peak between t0 and
    t1" for each phase of a benchmark. At 20 samples/s that is a few KB per minute.
    """

    def __init__(self, pid: int, interval: float = 0.05, name: str = "") -> None:
        self.pid = pid
        self.name = name or str(pid)
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rss-{self.name}", daemon=True)
        self._proc = psutil.Process(pid)

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            rss = tree_rss(self._proc)
            if rss:
                self.samples.append((time.monotonic(), rss))
            next_at += self.interval
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)

    def peak_between(self, t0: float, t1: float) -> int:
        return max((rss for t, rss in self.samples if t0 <= t <= t1), default=0)

    def peak(self) -> int:
        return max((rss for _, rss in self.samples), default=0)


# --------------------------------------------------------------------------- CPU accounting


def _cpu_of(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


MACHINE = "machine"


class CpuAccount:
    """CPU seconds used by named groups of processes between two snapshots.

    On a 2-core machine the servers, the worker, PostgreSQL, Redis and the load generator all
    share the same cores, so "who used the CPU during this phase" explains a throughput figure
    better than the figure alone. A group is a callable returning its current pids (PostgreSQL
    starts a backend per connection, so its pid set changes during a run); a pid first seen in
    the second snapshot counts from zero, a pid gone by then is lost (short-lived backends).
    """

    def __init__(self, groups: dict[str, Callable[[], list[int]]]) -> None:
        self.groups = groups

    def snapshot(self) -> tuple[float, dict[str, dict[int, float]]]:
        snap: dict[str, dict[int, float]] = {}
        for name, pids in self.groups.items():
            per_pid: dict[int, float] = {}
            for pid in pids():
                with contextlib.suppress(psutil.Error):
                    per_pid[pid] = _cpu_of(psutil.Process(pid))
            snap[name] = per_pid
        times = psutil.cpu_times()
        snap[MACHINE] = {0: sum(times) - times.idle - getattr(times, "iowait", 0.0)}
        return time.monotonic(), snap

    @staticmethod
    def delta(a: tuple[float, dict[str, dict[int, float]]], b: tuple[float, dict[str, dict[int, float]]]) -> dict[str, float]:
        """Average cores used per group between snapshots ``a`` and ``b`` (1.0 = one full core),
        plus "machine" (all busy CPU) and "other" (busy CPU of processes in no group: on a
        shared machine, anything above ~0.1 there means the figures are disturbed)."""
        wall = max(1e-9, b[0] - a[0])
        out: dict[str, float] = {}
        for name, after in b[1].items():
            if name == MACHINE:
                continue
            before = a[1].get(name, {})
            used = sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in after.items())
            out[name] = used / wall
        machine = (b[1][MACHINE][0] - a[1][MACHINE][0]) / wall
        out["other"] = max(0.0, machine - sum(out.values()))
        out[MACHINE] = machine
        return out


def pids_named(*names: str) -> Callable[[], list[int]]:
    """All pids whose process name is one of ``names`` (e.g. "postgres", "redis-server")."""

    def find() -> list[int]:
        found = []
        for proc in psutil.process_iter(["name"]):
            if proc.info.get("name") in names:
                found.append(proc.pid)
        return found

    return find


def pid_tree(pid: int) -> Callable[[], list[int]]:
    """A pid and its descendants."""

    def find() -> list[int]:
        with contextlib.suppress(psutil.Error):
            proc = psutil.Process(pid)
            return [pid, *(c.pid for c in proc.children(recursive=True))]
        return []

    return find


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM if the benchmark itself dies (even by SIGKILL),
    so no server outlives an interrupted run. Linux only; elsewhere the finally-clean-up has to do."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class ManagedProcess:
    """A child process with its own log file, stopped by pid (SIGTERM, then SIGKILL)."""

    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> ManagedProcess:
        self._log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(
            self.args,
            env=self.env,
            cwd=REPO_ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # Own session: a Ctrl-C in the terminal reaches only the benchmark, which then stops
            # its children in order instead of racing them.
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen is None:
            return
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                # Our child and anything it forked (its own session): nothing else.
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        with contextlib.suppress(Exception):
            self._log.close()

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


class ProcessGroup:
    """Every process a benchmark starts, stopped in reverse order on exit, error, Ctrl-C or
    SIGTERM. Use as a context manager around the whole run."""

    def __init__(self) -> None:
        self.processes: list[ManagedProcess] = []
        self.stoppers: list[Callable[[], None]] = []
        self._old_term: Any = None

    def add(self, process: ManagedProcess) -> ManagedProcess:
        self.processes.append(process)
        return process

    def on_exit(self, stopper: Callable[[], None]) -> None:
        """Any other clean-up (load-generator processes, a database to drop) run at exit."""
        self.stoppers.append(stopper)

    def __enter__(self) -> ProcessGroup:
        def on_term(signum: int, _frame: object) -> None:
            raise KeyboardInterrupt(f"signal {signum}")

        self._old_term = signal.signal(signal.SIGTERM, on_term)
        # A shell starts background jobs with SIGINT ignored; make Ctrl-C / kill -INT work anyway.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        return self

    def __exit__(self, *exc: object) -> None:
        # Ignore further Ctrl-C while cleaning up: a half clean-up leaves servers behind.
        old_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            for process in reversed(self.processes):
                with contextlib.suppress(Exception):
                    process.stop()
            for stopper in reversed(self.stoppers):
                try:
                    stopper()
                except Exception as err:  # keep cleaning up
                    print(f"clean-up step failed: {err!r}", file=sys.stderr)
        finally:
            signal.signal(signal.SIGINT, old_int)
            if self._old_term is not None:
                signal.signal(signal.SIGTERM, self._old_term)


def pagerline_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment for a ``pagerline`` child: ours minus any PAGERLINE_* we happen to
    have, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAGERLINE_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def wait_http_ok(url: str, timeout: float = 30.0, process: ManagedProcess | None = None) -> float:
    """Poll ``url`` until it answers 200; returns the seconds it took."""
    import httpx

    start = time.monotonic()
    while True:
        if process is not None and not process.alive():
            raise RuntimeError(f"{process.name} exited early:\n{process.log_tail()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise RuntimeError(f"timed out after {timeout}s waiting for {url}")
        time.sleep(0.05)


def start_server(
    env: dict[str, str], logdir: Path, port: int | None = None, workers: int = 1, name: str = ""
) -> tuple[ManagedProcess, int]:
    """``pagerline serve --port P --workers N``, returned once /healthz answers 200."""
    port = port or free_port()
    proc = ManagedProcess(
        name=name or f"serve:{port}",
        args=[sys.executable, "-m", "pagerline", "serve", "--port", str(port), "--workers", str(workers)],
        env=pagerline_env(env),
        log_path=logdir / f"serve-{port}.log",
    ).start()
    wait_http_ok(f"http://127.0.0.1:{port}/healthz", process=proc)
    return proc, port


def start_worker(env: dict[str, str], logdir: Path, threads: int | None = None, name: str = "worker") -> ManagedProcess:
    """``pagerline worker`` (its default --threads unless given). There is no health URL; the
    caller waits for work to be done instead."""
    args = [sys.executable, "-m", "pagerline", "worker"]
    if threads is not None:
        args += ["--threads", str(threads)]
    return ManagedProcess(name=name, args=args, env=pagerline_env(env), log_path=logdir / f"{name}.log").start()


# --------------------------------------------------------------------------- PostgreSQL and Redis


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


async def _pg_admin(server_url: str, *statements: str) -> None:
    import asyncpg

    parts = urlsplit(server_url)
    conn = await asyncpg.connect(urlunsplit(("postgresql", parts.netloc, "/postgres", "", "")))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@dataclass
class ThrowawayPostgres:
    """``CREATE DATABASE pl_bench_<random>`` on a server, and ``DROP … WITH (FORCE)`` later."""

    server_url: str = "postgres://postgres@127.0.0.1:5432"
    prefix: str = "pl_bench_"
    name: str = ""

    def create(self) -> str:
        self.name = f"{self.prefix}{uuid.uuid4().hex[:10]}"
        asyncio.run(_pg_admin(self.server_url, f'CREATE DATABASE "{self.name}"'))
        return with_database(self.server_url, self.name)

    def drop(self) -> None:
        if self.name:
            asyncio.run(_pg_admin(self.server_url, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.name = ""


def bench_database(group: ProcessGroup, database_url: str, workdir: Path) -> str:
    """The database a benchmark runs on: a throwaway database on the PostgreSQL server of
    ``database_url`` (dropped when ``group`` exits), or a SQLite file in ``workdir`` when
    ``database_url`` is not PostgreSQL."""
    if database_url.startswith(("postgres://", "postgresql://")):
        throwaway = ThrowawayPostgres(server_url=database_url.rsplit("/", 1)[0])
        url = throwaway.create()
        group.on_exit(throwaway.drop)
        return url
    return f"sqlite://{workdir / 'bench.db'}"


def redis_flushdb(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.flushdb()
    finally:
        client.close()


def asyncpg_dsn(url: str) -> str:
    """A pagerline database URL as asyncpg takes it (its scheme, without Tortoise's pool options)."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))


_DUE = "status IN ('PENDING','SENDING') AND due_at <= now()"


@contextlib.asynccontextmanager
async def pg_connection(database_url: str, patience: float = 120.0) -> AsyncIterator[Any]:
    """One asyncpg connection to a pagerline database, closed on the way out. A server out of
    connection slots (other work on a shared server) is asked again for up to ``patience`` seconds."""
    import asyncpg

    give_up = time.monotonic() + patience
    while True:
        try:
            conn = await asyncpg.connect(asyncpg_dsn(database_url))
            break
        except (asyncpg.exceptions.TooManyConnectionsError, asyncpg.exceptions.CannotConnectNowError):
            if time.monotonic() > give_up:
                raise
            await asyncio.sleep(0.5)
    try:
        yield conn
    finally:
        await conn.close()


async def outbox_backlog(database_url: str, count_done: bool = True) -> tuple[int, int]:
    """(due notifications not yet dealt with, notifications dealt with: sent, held back by storm
    protection, failed, skipped) straight from the database. ``count_done=False`` skips the
    second count (-1), which reads the whole table: on a database of millions of notifications
    the due count alone is an index scan."""
    async with pg_connection(database_url) as conn:
        if not count_done:
            due = await conn.fetchval(f"SELECT count(*) FROM notifications WHERE {_DUE}")
            return int(due), -1
        row = await conn.fetchrow(
            f"SELECT count(*) FILTER (WHERE {_DUE}) AS due, count(*) FILTER (WHERE status NOT IN ('PENDING','SENDING')) AS done FROM notifications"
        )
        return int(row["due"]), int(row["done"])


# --------------------------------------------------------------------------- fake push provider


class StampedFakeFcm:
    """The test suite's fake FCM server, noting the wall time each send request arrived."""

    def __new__(cls):  # type: ignore[no-untyped-def]
        from tests.fakes.fcm import FakeFcm

        class _Stamped(FakeFcm):
            def __init__(self) -> None:
                super().__init__()
                self.arrived: dict[int, float] = {}

            async def handle(self, request):  # type: ignore[no-untyped-def]
                if request.method == "POST" and request.path.endswith("messages:send"):
                    try:
                        data = (request.json().get("message") or {}).get("data") or {}
                        if data.get("kind") == "PAGE":
                            self.arrived.setdefault(int(data["alert_id"]), time.time())
                    except (ValueError, KeyError, TypeError):
                        pass
                return await super().handle(request)

            def arrivals_by_alert(self) -> dict[int, float]:
                return dict(self.arrived)

        return _Stamped()


def fake_fcm_settings(fake: Any, workdir: Path) -> dict[str, str]:
    """The PAGERLINE_FCM_* settings that send a worker's pushes to ``fake`` (a started FakeFcm)."""
    return {
        "PAGERLINE_FCM_CREDENTIALS": str(fake.write_service_account(workdir / "fcm-sa.json")),
        "PAGERLINE_FCM_PROJECT_ID": fake.project_id,
        "PAGERLINE_FCM_ENDPOINT": fake.url,
    }


def describe_url(url: str) -> str:
    """A URL without credentials, for printing."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{host}{port}", parts.path, "", ""))


def json_line(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, default=str)
