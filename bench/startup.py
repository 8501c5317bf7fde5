"""Start-up benchmark: `pagerline serve` from spawning the process to `/healthz` answering 200.

Run from the repo root:  .venv/bin/python bench/startup.py [--runs N]

Each run spawns a fresh `python -m pagerline serve` (a new interpreter: imports, settings,
database connection, migrations check, broker and bus) and polls /healthz every 50 ms until it
answers 200, then stops it. Two layouts: the embedded defaults (SQLite file, in-process worker
and bus) and production (PostgreSQL and Redis). The database is migrated beforehand, as
`make run` and a deployment do.                                     Budget: < 3 s (DESIGN.md)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    Figure,
    ManagedProcess,
    ProcessGroup,
    ThrowawayPostgres,
    free_port,
    json_line,
    latency_summary,
    machine_info,
    pagerline_env,
    print_figures,
    print_kv,
    print_section,
    wait_http_ok,
)

BUDGET_S = 3.0


def time_to_healthy(env: dict[str, str], workdir: Path, run: int) -> float:
    port = free_port()
    started = time.monotonic()
    proc = ManagedProcess(
        name=f"serve-{run}",
        args=[sys.executable, "-m", "pagerline", "serve", "--port", str(port)],
        env=pagerline_env(env),
        log_path=workdir / f"serve-{run}.log",
    ).start()
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/healthz", timeout=30, process=proc)
        return time.monotonic() - started
    finally:
        proc.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="starts per layout (default %(default)s)")
    parser.add_argument("--pg-server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="pl_bench_startup_"))
    print_section("machine")
    print_kv(machine_info())
    figures: list[Figure] = []
    from pagerline.db import migrate

    with ProcessGroup() as group:
        throwaway = ThrowawayPostgres(args.pg_server)
        pg_url = throwaway.create()
        group.on_exit(throwaway.drop)
        sqlite_url = f"sqlite://{workdir / 'startup.db'}"
        layouts = {
            "embedded (SQLite, in-process worker and bus)": {"PAGERLINE_DATABASE_URL": sqlite_url},
            "production (PostgreSQL + Redis)": {"PAGERLINE_DATABASE_URL": pg_url, "PAGERLINE_REDIS_URL": args.redis_url},
        }
        for name, extra in layouts.items():
            asyncio.run(migrate(extra["PAGERLINE_DATABASE_URL"]))
            env = {**extra, "PAGERLINE_SECRET_KEY": "bench", "PAGERLINE_LOG_LEVEL": "WARNING"}
            times = [time_to_healthy(env, workdir, run) for run in range(args.runs)]
            summary = latency_summary(times)
            print_section(name)
            print_kv({"starts": ", ".join(f"{t:.2f} s" for t in times)})
            found = [
                Figure(f"{name.split(' ')[0]} start -> /healthz p50", summary["p50_ms"] / 1000, "s"),
                Figure(f"{name.split(' ')[0]} start -> /healthz max", summary["max_ms"] / 1000, "s", BUDGET_S, "<"),
            ]
            print_figures(found)
            figures += found
    print(json_line({"bench": "startup", "figures": {f.name: round(f.value, 3) for f in figures}}))
    return 0 if all(f.met is not False for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
