"""Admin console benchmark: how fast a schedule's timeline is drawn once its data is in the page.

A real ``pagerline serve`` (embedded worker off) on a temporary SQLite file, or on a throwaway
PostgreSQL database when a URL is given (``--database-url`` or ``PAGERLINE_DATABASE_URL``). The
organisation is the test suite's small one plus an admin and six more people; one schedule in
Europe/Berlin has three layers (a weekly rotation of four, a daily one of three on weekdays
09:00-17:00, a 12-hour one of two) and ``--overrides`` overrides spread over the four weeks shown,
which start on a Monday a week before the spring-forward (so one day of 23 hours is drawn).

Figure: the console's page ``/admin/schedules/<id>?weeks=4&from=…`` opened in headless Chromium
(Playwright) from the app's start page, the admin signed in. The page's ``fetch`` is wrapped by an init script (nothing in
the app changes): the moment the ConsoleTimeline answer's whole body is in the page is the
start, handed to the app once the page is otherwise idle (its other start-up requests answered
and drawn: the server shares the machine's cores with the browser); a MutationObserver notes
when the final schedule's list holds every shift of the answer, then the next animation frame.
One warm-up load, then ``--runs`` loads, each in a fresh browser profile. Budget: the slowest
< 200 ms; p50 printed beside it.

    .venv/bin/python bench/console.py             # 10 loads, 50 overrides
    .venv/bin/python bench/console.py --quick     # 3 loads: a smoke run

Needs Debian's Chromium at /usr/bin/chromium and the built web app (``make web``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common import (
    MB,
    REPO_ROOT,
    Figure,
    ProcessGroup,
    RssSampler,
    bench_database,
    describe_url,
    figures_json,
    json_line,
    machine_info,
    percentile,
    print_figures,
    print_kv,
    print_section,
    start_server,
)
from webapp import APP_DIR, PAGE_TIMEOUT_MS, render_probe, signed_in_page, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser

RENDER_BUDGET_MS = 200.0
ZONE = "Europe/Berlin"
FROM = datetime(2027, 3, 22)  # a Monday; the clocks go forward on Sunday 28 March 2027
WEEKS = 4

DONE = "pagerline-bench: the timeline is drawn"
PROBE = render_probe(DONE, "query ConsoleTimeline", "data.schedule.shifts.length", "#final-shifts > li[data-start]", "#schedule-timeline .tl-piece")


@dataclass
class Run:
    shifts: int
    pieces: int
    data_to_shown_ms: float
    data_to_frame_ms: float


def load_once(browser: Browser, base: str, token: str, path: str) -> Run:
    page = signed_in_page(browser, base, token, probe=PROBE)
    try:
        page.goto(base + "/")
        page.locator('#connection[data-state="live"]').wait_for()
        # Followed inside the app, as the console's links are.
        with page.expect_console_message(lambda message: message.text == DONE, timeout=PAGE_TIMEOUT_MS):
            page.evaluate("(to) => { history.pushState(null, '', to); dispatchEvent(new PopStateEvent('popstate')); }", path)
        marks = page.evaluate("window.__bench")
        return Run(int(marks["expected"]), int(marks["counted"]), marks["shownAt"] - marks["dataAt"], marks["frameAt"] - marks["dataAt"])
    finally:
        page.context.close()


async def _seed(url: str, overrides: int) -> int:
    from zoneinfo import ZoneInfo

    from pagerline.db import close_db, init_db
    from pagerline.engine.people.accounts import create_user
    from pagerline.engine.schedules.editing import LayerInput, Restriction, create_schedule
    from pagerline.models import Role, ScheduleKind, ScheduleOverride
    from tests.support.seed import seed_org

    await init_db(url)
    try:
        org = await seed_org()
        await create_user("admin@ops.test", "Admin", "admin-password", Role.ADMIN, "UTC", ["Ops"])
        people = [org.alice_id, org.bob_id]
        for i in range(6):
            people.append((await create_user(f"p{i}@ops.test", f"Person {i}", f"person-{i}-password", Role.USER, "UTC", ["Ops"])).id)
        zone = ZoneInfo(ZONE)
        began = datetime(2027, 1, 4, 9, tzinfo=zone)
        weekdays = [Restriction(day, "09:00", day, "17:00") for day in range(5)]
        schedule = await create_schedule("Bench rotation", ZONE, ScheduleKind.RECURRING, org.team_id, [
            LayerInput(began, "P7D", people[0:4]),
            LayerInput(began, "P1D", people[4:7], None, weekdays),
            LayerInput(began, "PT12H", people[6:8]),
        ])
        start = FROM.replace(tzinfo=zone)
        span = timedelta(days=7 * WEEKS)
        for i in range(overrides):
            at = start + span * i / overrides
            await ScheduleOverride.create(schedule_id=schedule.id, user_id=people[i % len(people)], start=at,
                                          end=at + timedelta(hours=3))
        return schedule.id
    finally:
        await close_db()


def main() -> int:
    parser = argparse.ArgumentParser(description="admin console benchmark: a schedule's timeline")
    parser.add_argument("--database-url", default=os.environ.get("PAGERLINE_DATABASE_URL", ""),
                        help="a PostgreSQL server to make a throwaway database on (default: SQLite)")
    parser.add_argument("--overrides", type=int, default=50)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="3 loads: a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.runs = 3
    if not (APP_DIR / "index.html").exists():
        print("the web app is not built: run `make web`", file=sys.stderr)
        return 2

    postgres = args.database_url.startswith(("postgres://", "postgresql://"))
    print_section("machine")
    machine = machine_info()
    print_kv(machine)
    with ProcessGroup() as group, tempfile.TemporaryDirectory(prefix="pl-console-") as tmp:
        workdir = Path(tmp)
        url = bench_database(group, args.database_url, workdir)
        path = f"/admin/schedules/{{id}}?weeks={WEEKS}&from={FROM.date().isoformat()}"
        print_section("settings")
        print_kv({
            "database": describe_url(url),
            "server": "pagerline serve, 1 process, embedded worker off",
            "schedule": f"{ZONE}, 3 layers (weekly, weekdays 09-17 daily, 12-hourly), {args.overrides} overrides",
            "timeline": f"{WEEKS} weeks from {FROM.date()} (a 23-hour day), the admin signed in",
            "render": f"1 warm-up + {args.runs} loads, each in a fresh profile",
        })
        from pagerline.db import migrate

        asyncio.run(migrate(url))
        schedule_id = asyncio.run(_seed(url, args.overrides))
        server, port = start_server({"PAGERLINE_DATABASE_URL": url, "PAGERLINE_EMBEDDED_WORKER": "0", "PAGERLINE_SECRET_KEY": "bench",
                                     "PAGERLINE_LOG_LEVEL": "WARNING"}, workdir)
        group.add(server)
        rss = RssSampler(server.pid, name="serve").start()
        base = f"http://127.0.0.1:{port}"
        token = sign_in(base, "admin@ops.test", "admin-password")
        from tests.support.browser import chromium

        with chromium() as browser:
            load_once(browser, base, token, path.format(id=schedule_id))
            runs = [load_once(browser, base, token, path.format(id=schedule_id)) for _ in range(args.runs)]
        rss.stop()

    figures = figures_for(runs, rss.peak())
    print_section("loads (data -> final schedule listed, ms, in order)")
    print("  " + ", ".join(f"{run.data_to_shown_ms:.1f}" for run in runs))
    print_section("figures")
    print_figures(figures)
    missed = [f.name for f in figures if f.met is False]
    print(f"budgets: {sum(1 for f in figures if f.met)} met, {len(missed)} MISSED" + (f" ({', '.join(missed)})" if missed else ""))
    summary: dict[str, Any] = {"bench": "console", "database": "postgres" if postgres else "sqlite", "overrides": args.overrides,
                               "runs": args.runs, "cpu_count": machine.get("cpu_count"), "python": sys.version.split()[0],
                               "load_before": machine.get("load average (1/5 min)")}
    summary |= figures_json(figures)
    print(json_line(summary))
    return 0


def figures_for(runs: list[Run], peak_rss: int) -> list[Figure]:
    shown = sorted(run.data_to_shown_ms for run in runs)
    frame = sorted(run.data_to_frame_ms for run in runs)
    sizes = f"{runs[0].shifts} final shifts, {runs[0].pieces} pieces drawn" if runs else ""
    return [
        Figure("timeline 4 weeks, data to drawn p50", percentile(shown, 50) if shown else math.nan, "ms", note=sizes),
        Figure("timeline 4 weeks, data to drawn max", shown[-1] if shown else math.nan, "ms", RENDER_BUDGET_MS, "<",
               note=f"{len(runs)} loads"),
        Figure("timeline 4 weeks, data to next frame max", frame[-1] if frame else math.nan, "ms"),
        Figure("peak RSS serve", peak_rss / MB, "MB"),
    ]


if __name__ == "__main__":
    raise SystemExit(main())
