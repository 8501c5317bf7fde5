"""Run the clock-sensitive tests again with the wall clock moved to awkward instants (libfaketime).

Every test builds its data from a fixed instant or from the clock it reads, so it must pass
whenever it runs. This keeps that true: the tests that reason about days, shifts, handoffs and
reminders run at an odd and an even day, half a minute before midnight UTC (and a new year),
and half a minute before the US and the EU daylight-saving changes; the web app's journeys
that build shifts from the clock run in Chromium at two of them (WEB_FILES).

The clock is shifted by a relative offset (``FAKETIME="+N"``), not started at an absolute
instant ("@2027-03-14 06:59:30"): with an absolute start every new process starts its clock
there again, so a server started a few seconds into the run would be behind the test that
started it. With an offset every process (pytest, ``pagerline serve``, the worker) sees the same
clock, and it runs. The monotonic clock is left alone (``FAKETIME_DONT_FAKE_MONOTONIC=1``): asyncio
times its sleeps with it, and with it faked every thread wait with a timeout waits for ever;
``faked_clock_site/sitecustomize.py`` mends ``time.sleep``, which libfaketime 0.9.10 breaks in
that mode. ``FAKETIME_FORCE_MONOTONIC_FIX=0`` leaves condition-variable waits on the monotonic
clock alone: Debian's build rewrites their deadlines by default, and Python's GIL hand-off,
which waits on one, then crawled (the reminder tests took eight times as long).

Before each run a probe checks that the faked time reaches Python and a child process, and
that an asyncio sleep, ``time.sleep`` and a thread wait take the time they should; a run whose
clock is not faked would prove nothing, and one whose waits hang would prove it slowly.

    python -m tests.support.faked_clock                 # every instant, the default files
    python -m tests.support.faked_clock --at "2027-03-14 06:59:30" tests/integration/test_graphql_schedules.py
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SITE = Path(__file__).resolve().parent / "faked_clock_site"
LIBRARY_DIRS = ("/usr/lib/x86_64-linux-gnu/faketime", "/usr/lib/aarch64-linux-gnu/faketime", "/usr/lib/faketime")


@dataclass(frozen=True)
class Instant:
    at: datetime
    why: str
    engine_too: bool = False  # also run ENGINE_FILES here
    web_too: bool = False  # also run WEB_FILES here


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


INSTANTS = (
    Instant(utc("2026-11-17 06:30:00"), "an odd day, early morning UTC (before a 09:00 handoff)"),
    Instant(utc("2026-11-18 14:15:00"), "an even day, afternoon UTC"),
    Instant(utc("2026-12-31 23:59:30"), "just before midnight UTC and the new year", engine_too=True, web_too=True),
    Instant(utc("2027-03-14 06:59:30"), "just before the US spring-forward (02:00 America/New_York)"),
    Instant(utc("2027-03-28 00:59:30"), "just before the EU spring-forward (02:00 Europe/Berlin)", engine_too=True, web_too=True),
)

# Through a real server, which reads the clock: schedules, overrides, coverage requests, on-call
# reminder settings, the widget feed and on-call changes, calendar feeds.
SERVER_FILES = (
    "tests/integration/test_graphql_schedules.py",
    "tests/integration/test_widget_route.py",
    "tests/integration/test_ical_route.py",
)
# The engine takes `now` from its caller (tests/unit/test_engine_reads_no_clock.py keeps it so),
# so these tests pass fixed instants; run at two instants they would show a clock read slipping
# in some other way (a library default, SQLite's CURRENT_TIMESTAMP).
ENGINE_FILES = (
    "tests/engine/test_coverage.py",
    "tests/engine/test_reminders.py",
    "tests/engine/test_widget_feed.py",
    "tests/engine/test_calendars.py",
    "tests/engine/test_oncall_changes.py",
)
# The web app's journeys that build shifts and coverage requests from the clock, in Debian's
# Chromium: it inherits LD_PRELOAD and FAKETIME from pytest, so the page's Date.now() and the
# server's clock are the test's (BROWSER_PROBE checks that before such a run). Chromium runs in
# UTC, the journeys' users' zone: the DST instant tests the server's and the week arithmetic's
# days, not a zone's jump. The Me journey is not here: its one clock reading ("tomorrow 09:30",
# typed into the page) stays in the future whenever midnight passes. Two instants only: each
# run of these costs about a minute and a half.
WEB_FILES = (
    "tests/integration/test_web_app_oncall_journeys.py",
    "tests/integration/test_web_app_coverage_journeys.py",
)
# The faked runs use SQLite (PostgreSQL's server would keep the real clock); the full suite runs
# every test on PostgreSQL and Redis at the real time.
REAL_DATABASES = ("PAGERLINE_TEST_DATABASE_URL", "PAGERLINE_TEST_REDIS_URL")

# Faked-clock runs going on at once (see main).
PARALLEL_RUNS = 2

# How far the probe's clock may be from the instant asked for: the time a Python starts in.
PROBE_SLACK_S = 30.0

PROBE = """
import asyncio, subprocess, sys, threading, time
from datetime import UTC, datetime

async def slept() -> float:
    started = time.monotonic()
    await asyncio.sleep(0.05)
    time.sleep(0.05)
    threading.Event().wait(0.05)
    return time.monotonic() - started

child = subprocess.run([sys.executable, "-c", "import time; print(time.time())"], capture_output=True, text=True, check=True)
print(datetime.now(UTC).timestamp(), float(child.stdout), asyncio.run(asyncio.wait_for(slept(), 5)))
"""


# Chromium's clock, when a run drives it: a page's Date.now() under the same LD_PRELOAD.
BROWSER_PROBE = """
from tests.support.browser import chromium
with chromium() as browser:
    page = browser.new_page()
    print(page.evaluate("Date.now() / 1000"))
"""


def library() -> str | None:
    for directory in LIBRARY_DIRS:
        path = Path(directory) / "libfaketime.so.1"
        if path.exists():
            return str(path)
    return None


def faked_env(lib: str, at: datetime) -> dict[str, str]:
    offset = round(at.timestamp() - time.time())
    env = {k: v for k, v in os.environ.items() if k not in REAL_DATABASES}
    env.update({
        "LD_PRELOAD": lib,
        "FAKETIME": f"{offset:+d}",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "FAKETIME_FORCE_MONOTONIC_FIX": "0",
        "PYTHONPATH": os.pathsep.join(p for p in (str(SITE), env.get("PYTHONPATH", "")) if p),
    })
    return env


class ProbeFailed(Exception):
    """What is wrong with a probe's run (it hung, or it failed)."""


def run_probe(name: str, code: str, env: dict[str, str], timeout: float) -> list[str]:
    """The words a probe printed, or ProbeFailed saying why there are none."""
    try:
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise ProbeFailed(f"the {name} hung (a sleep or a wait never ended)") from exc
    if done.returncode != 0:
        raise ProbeFailed(f"the {name} failed: {done.stderr.strip()[-500:]}")
    return done.stdout.split()


def off_clock(who: str, seen: float, at: datetime) -> str | None:
    return f"{who} sees {datetime.fromtimestamp(seen, UTC)}, not {at}" if abs(seen - at.timestamp()) > PROBE_SLACK_S else None


def check_probe(env: dict[str, str], at: datetime) -> str | None:
    """None when Python, a child process and asyncio all run on the faked clock; else what is wrong."""
    try:
        parent, child, slept = (float(value) for value in run_probe("probe", PROBE, env, 30))
    except ProbeFailed as exc:
        return str(exc)
    problem = off_clock("python", parent, at) or off_clock("a child process", child, at)
    if problem is None and not 0.14 <= slept < 1:
        problem = f"asyncio.sleep, time.sleep and Event.wait of 0.05 s took {slept:.3f}s together"
    return problem


def check_browser_probe(env: dict[str, str], at: datetime) -> str | None:
    """None when Chromium's pages run on the faked clock too (or there is no Chromium: those
    tests skip); else what is wrong."""
    if not Path("/usr/bin/chromium").exists():
        return None
    try:
        seen = float(run_probe("browser probe", BROWSER_PROBE, env, 120)[-1])
    except ProbeFailed as exc:
        return str(exc)
    return off_clock("chromium", seen, at)


def run_at(lib: str, instant: Instant, files: list[str], pytest_args: list[str]) -> bool:
    """One pytest run with the clock at ``instant``; its output is printed in one piece when it
    ends, so runs going on side by side do not interleave their lines."""
    files = files or [*SERVER_FILES, *(ENGINE_FILES if instant.engine_too else ()), *(WEB_FILES if instant.web_too else ())]
    env = faked_env(lib, instant.at)
    problem = check_probe(env, instant.at)
    if problem is None and any(file in WEB_FILES for file in files):
        problem = check_browser_probe(env, instant.at)
    if problem:
        print(f"faked clock at {instant.at}: {problem}", flush=True)
        return False
    started = time.monotonic()
    env = faked_env(lib, instant.at)  # the probe took a moment: aim at the instant again
    # The PostgreSQL and Redis variants would only skip here: leave them out of the count.
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not postgres and not redis", *pytest_args, *files],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    print(f"\n=== tests with the clock at {instant.at:%Y-%m-%d %H:%M:%S} UTC: {instant.why}\n{done.stdout.rstrip()}\n"
          f"=== {time.monotonic() - started:.0f}s at {instant.at:%Y-%m-%d %H:%M:%S} UTC", flush=True)
    return done.returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--at", action="append", default=[], help="an instant in UTC (default: the built-in set)")
    parser.add_argument("files", nargs="*", help="test files (default: SERVER_FILES, and ENGINE_FILES and WEB_FILES at some instants)")
    args, pytest_args = parser.parse_known_args(argv)
    lib = library()
    if lib is None:
        # In CI these runs are the guarantee that no test depends on the hour: missing, they fail.
        if os.environ.get("CI"):
            print("libfaketime is not installed (Debian: apt-get install faketime): CI needs the faked-clock runs")
            return 1
        print("libfaketime is not installed (Debian: apt-get install faketime): the faked-clock runs are skipped")
        return 0
    instants = [Instant(utc(text), "asked for") for text in args.at] or list(INSTANTS)
    # Two runs at a time: each spends most of its time waiting on the servers it starts, and
    # the five runs one after another were a sixth of `make test`. Each run has its own
    # temporary directories, SQLite files and ports.
    with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        passed = list(pool.map(lambda instant: run_at(lib, instant, args.files, pytest_args), instants))
    failed = [i.at for i, ok in zip(instants, passed, strict=True) if not ok]
    if failed:
        print("faked-clock runs failed at: " + ", ".join(f"{at:%Y-%m-%d %H:%M:%S}" for at in failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
