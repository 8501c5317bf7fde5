"""Benchmark for the schedule engine (pagerline.engine.schedules.math).

Run from the repo root:  .venv/bin/python bench/schedules.py [--quick]

Schedule under test (Europe/Berlin, so the year includes both DST changes):
  P1D    daily, 5 users, started 2024
  P7D    weekly, 4 users, restricted Mon-Fri 09:00-17:00, started 2023
  PT12H  follow-the-sun, 3 users, started 2022
  200 overrides of 1-48 h scattered over the year (seeded, reproducible)

Layer order matters for the work done: the engine paints layers top-down and
stops once the layers above cover the whole range.  In the order above
("as-specified") the unrestricted PT12H layer is on top and hides the rest, so
the benchmark also runs "restricted-top" (P1D, PT12H, P7D-restricted), where
the top layer has holes and a second layer is computed and painted under it.
Budgets apply to both orders:

  one year of final_shifts      p99 < 20 ms
  on_call(spec, at)             >= 20,000 lookups/s

on_call memoises the compiled spec per spec *object*; the "cold" figures use a
new (equal) spec object for every call -- what a caller that rebuilds specs
from the database each time pays -- and are informative, not budgeted.
Every figure is measured on this run; nothing is adjusted towards a budget.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time as _time
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    Figure,
    figures_json,
    json_line,
    machine_info,
    percentile,
    print_figures,
    print_kv,
    print_section,
)
from pagerline.engine.schedules.math import Layer, Override, ScheduleSpec, WeeklyWindow, compile_schedule, final_shifts, on_call

TZ_NAME = "Europe/Berlin"
YEAR_START = datetime(2026, 1, 1, tzinfo=timezone.utc)
YEAR_END = datetime(2027, 1, 1, tzinfo=timezone.utc)
ORDERS = ("as-specified", "restricted-top")
FINAL_SHIFTS_BUDGET_MS = 20.0
ON_CALL_BUDGET_PER_S = 20_000.0


def build_spec(n_overrides: int, order: str, seed: int = 1) -> ScheduleSpec:
    """The 3-layer schedule of the module docstring, plus seeded overrides."""
    tz = ZoneInfo(TZ_NAME)
    workdays = tuple(WeeklyWindow(d, time(9), d, time(17)) for d in range(5))
    daily = Layer(datetime(2024, 1, 1, 9, tzinfo=tz), (1, 2, 3, 4, 5), "P1D", id=10)
    weekly = Layer(datetime(2023, 1, 2, 9, tzinfo=tz), (6, 7, 8, 9), "P7D", restrictions=workdays, id=11)
    sun = Layer(datetime(2022, 1, 1, 9, tzinfo=tz), (10, 11, 12), "PT12H", id=12)
    layers = (daily, weekly, sun) if order == "as-specified" else (daily, sun, weekly)
    rng = random.Random(seed)
    year_seconds = int((YEAR_END - YEAR_START).total_seconds())
    overrides = []
    for i in range(n_overrides):
        start = YEAR_START + timedelta(seconds=rng.randrange(0, year_seconds, 900))
        length = timedelta(hours=rng.randint(1, 48))
        overrides.append(Override(rng.randint(20, 40), start, start + length, id=1000 + i))
    return ScheduleSpec(TZ_NAME, layers=layers, overrides=tuple(overrides))


def time_final_shifts(n_overrides: int, order: str, repeats: int) -> dict[str, float]:
    """One year of final_shifts: warm (same spec object) and cold (new one)."""
    spec = build_spec(n_overrides, order)
    count = len(final_shifts(spec, YEAR_START, YEAR_END))  # compile + warm-up
    warm = []
    for _ in range(repeats):
        t0 = _time.perf_counter()
        final_shifts(spec, YEAR_START, YEAR_END)
        warm.append((_time.perf_counter() - t0) * 1000)
    warm.sort()
    fresh_specs = [build_spec(n_overrides, order) for _ in range(max(5, repeats // 5))]
    cold = []
    for fresh in fresh_specs:
        t0 = _time.perf_counter()
        final_shifts(fresh, YEAR_START, YEAR_END)
        cold.append((_time.perf_counter() - t0) * 1000)
    return {
        "count": count,
        "p50": statistics.median(warm),
        "p99": percentile(warm, 99),
        "min": warm[0],
        "cold_p50": statistics.median(cold),
    }


def random_instants(n: int, seed: int) -> list[datetime]:
    rng = random.Random(seed)
    span = int((YEAR_END - YEAR_START).total_seconds() * 1_000_000)
    return [YEAR_START + timedelta(microseconds=rng.randrange(span)) for _ in range(n)]


def rate(calls: int, seconds: float) -> float:
    return calls / seconds if seconds > 0 else float("nan")


def time_on_call(n_overrides: int, order: str, lookups: int) -> dict[str, float]:
    """Lookups per second at random instants of the year."""
    spec = build_spec(n_overrides, order)
    instants = random_instants(lookups, seed=2)
    on_call(spec, instants[0])  # compile once, as a long-lived caller would

    t0 = _time.perf_counter()
    for at in instants:
        on_call(spec, at)
    warm = rate(lookups, _time.perf_counter() - t0)

    compiled = compile_schedule(spec)
    t0 = _time.perf_counter()
    for at in instants:
        compiled.on_call(at)
    compiled_rate = rate(lookups, _time.perf_counter() - t0)

    out = {"warm": warm, "compiled": compiled_rate}
    for label, count in (("cold", n_overrides), ("cold_small", 5)):
        n = max(50, lookups // 500)
        fresh = [build_spec(count, order) for _ in range(n)]
        t0 = _time.perf_counter()
        for spec_i, at in zip(fresh, instants):
            on_call(spec_i, at)
        out[label] = rate(n, _time.perf_counter() - t0)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description="schedule engine benchmark")
    parser.add_argument("--repeats", type=int, default=50, help="final_shifts runs per order")
    parser.add_argument("--lookups", type=int, default=100_000, help="on_call lookups per order")
    parser.add_argument("--overrides", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="10 repeats, 10,000 lookups")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.lookups = 10, 10_000

    print_section("machine")
    machine = machine_info()
    print_kv(machine)
    print_section("settings")
    settings = {
        "time zone": TZ_NAME,
        "range": f"{YEAR_START:%Y-%m-%d} .. {YEAR_END:%Y-%m-%d}",
        "layers": "P1D x5 | P7D x4 Mon-Fri 09-17 | PT12H x3",
        "layer orders": ", ".join(ORDERS),
        "overrides": args.overrides,
        "final_shifts repeats": args.repeats,
        "on_call lookups": args.lookups,
    }
    print_kv(settings)

    figures: list[Figure] = []
    for order in ORDERS:
        print_section(f"layer order {order}")
        fs = time_final_shifts(args.overrides, order, args.repeats)
        oc = time_on_call(args.overrides, order, args.lookups)
        block = [
            Figure(f"{order} final_shifts shifts", fs["count"], "", note="one year"),
            Figure(f"{order} final_shifts p50", fs["p50"], "ms"),
            Figure(f"{order} final_shifts p99", fs["p99"], "ms", FINAL_SHIFTS_BUDGET_MS, "<"),
            Figure(f"{order} final_shifts min", fs["min"], "ms"),
            Figure(f"{order} final_shifts cold p50", fs["cold_p50"], "ms", note="new spec object: includes compile"),
            Figure(f"{order} on_call", oc["warm"], "/s", ON_CALL_BUDGET_PER_S, ">="),
            Figure(f"{order} CompiledSchedule.on_call", oc["compiled"], "/s"),
            Figure(f"{order} on_call cold", oc["cold"], "/s", note=f"new spec each call, {args.overrides} overrides"),
            Figure(f"{order} on_call cold small", oc["cold_small"], "/s", note="new spec each call, 5 overrides"),
        ]
        print_figures(block)
        figures += block

    # ru_maxrss is KiB on Linux (bytes on macOS; this bench targets Linux).
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures.append(Figure("peak RSS", peak_rss_mib, "MiB", note="whole benchmark process"))

    print_section("summary")
    print_figures([f for f in figures if f.budget is not None] + figures[-1:])
    missed = [f.name for f in figures if f.met is False]
    met = sum(1 for f in figures if f.met)
    print(f"budgets: {met} met, {len(missed)} MISSED" + (f" ({', '.join(missed)})" if missed else ""))
    summary = {
        "bench": "schedules",
        "quick": args.quick,
        "overrides": args.overrides,
        "repeats": args.repeats,
        "lookups": args.lookups,
        "cpu_count": machine.get("cpu_count"),
        "python": sys.version.split()[0],
        "load_before": machine.get("load average (1/5 min)"),
    }
    summary |= figures_json(figures)
    print(json_line(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
