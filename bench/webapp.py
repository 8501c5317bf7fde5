"""Web app benchmark: what the responder app costs a phone, and how fast it shows alerts.

A real ``pagerline serve`` (embedded worker off, so no escalation work competes with the page)
on a temporary SQLite file, or on a throwaway PostgreSQL database when a URL is given
(``--database-url`` or ``PAGERLINE_DATABASE_URL``). The organisation is the test suite's small
one (Alice and Bob on a two-level policy, an API source) with ``--alerts`` open alerts. The web
app is the build in pagerline/web/app (``make web``).

Figures (budgets from the design's table):

1. First-load JavaScript and CSS, gzipped: every script, stylesheet and module preload the
   built index.html references, each gzipped (level 6, what a reverse proxy uses), summed.
   Budget < 200 KB (decimal).
2. Lighthouse (npm ``lighthouse``, pinned below, run with ``npm exec``) on the open-alert list
   with Alice signed in and the open alerts listed: performance >= 90, accessibility >= 95, with
   Lighthouse's defaults (mobile emulation, simulated throttling). The app keeps its session
   token in localStorage, so the run attaches to a Chromium we start ourselves
   (``--port``): Playwright, connected to that same Chromium over CDP, signs in first (the token
   from the app's own ``login`` mutation, stored under the app's key), and Lighthouse runs with
   ``--disable-storage-reset`` so the token stays.
3. 500 open alerts rendered after the data arrives, in headless Chromium driven by Playwright.
   The page's ``fetch`` is wrapped by an init script (nothing in the app changes): the moment the
   Dashboard query's whole body is in the page is the start; a MutationObserver notes when the
   list holds every row of the answer. The server answers at most 100 alerts a page (the app
   reads page after page before it shows them), so the 500 rows are real alerts from the server,
   read with the list's own fragment a page at a time and handed to the page as one Dashboard
   answer, so that only rendering is timed; the number of rows the app shows of its own accord
   (paging itself) is printed beside it. One warm-up load, then ``--render-runs`` loads, each
   in a fresh browser profile; the budget holds for the slowest. The answer is handed to the
   app once the page is otherwise idle (its other start-up requests answered and drawn: the
   server and the harness share the machine's cores with the browser, and their work landed in
   the window at random, 35 to 150 ms for the same rows). The benchmark waits for a console
   message the page sends when the rows are shown rather than polling the page, for the same
   reason.
4. A committed event visible in the open page: ``--events`` events POSTed to /api/events,
   ``--event-gap`` apart; from the HTTP response (the commit) to a MutationObserver in the page
   seeing the alert's row (``Date.now()`` in the page, ``time.time()`` here: the same machine
   clock). p99 < 500 ms; an event never seen within 5 s counts as infinitely late.
5. Peak RSS of the server process over the whole run.

    .venv/bin/python bench/webapp.py                     # SQLite, the full run
    .venv/bin/python bench/webapp.py --quick             # 20 alerts, 5 events: a smoke run
    .venv/bin/python bench/webapp.py --database-url postgres://postgres@127.0.0.1:5432/postgres

Needs Debian's Chromium at /usr/bin/chromium (``CHROME_PATH`` to use another) and npm (for
Lighthouse, fetched into npm's cache on the first run; ``--no-lighthouse`` skips it).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from common import (
    MB,
    REPO_ROOT,
    Figure,
    ManagedProcess,
    ProcessGroup,
    RssSampler,
    bench_database,
    describe_url,
    figures_json,
    free_port,
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

from graphql import FragmentDefinitionNode, parse, print_ast  # noqa: E402

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

LIGHTHOUSE = "lighthouse@12.8.2"  # the last line that runs on Node 20 (13 needs Node 22)
APP_DIR = REPO_ROOT / "pagerline" / "web" / "app"
ALERTS_GRAPHQL = REPO_ROOT / "web" / "src" / "app" / "alerts" / "alerts.graphql"
TOKEN_KEY = "pagerline.token"  # web/src/app/shell/session.ts
CHROMIUM = Path(os.environ.get("CHROME_PATH", "/usr/bin/chromium"))

FIRST_LOAD_BUDGET = 200 * 1000
PERFORMANCE_BUDGET = 90.0
ACCESSIBILITY_BUDGET = 95.0
RENDER_BUDGET_MS = 100.0
VISIBLE_P99_BUDGET_MS = 500.0
SEEN_TIMEOUT_S = 5.0
PAGE_TIMEOUT_MS = 30_000


# --------------------------------------------------------------------------- 1. first load


class _References(HTMLParser):
    """The scripts, stylesheets and module preloads an HTML page makes the browser fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "script" and named.get("src"):
            self.found.append(str(named["src"]))
        elif tag == "link" and named.get("href") and (named.get("rel") or "").lower() in ("stylesheet", "modulepreload", "preload"):
            self.found.append(str(named["href"]))


def first_load_assets(app_dir: Path = APP_DIR) -> dict[str, int]:
    """Path -> gzipped bytes of every JS/CSS file the built index.html references."""
    parser = _References()
    parser.feed((app_dir / "index.html").read_text())
    sizes: dict[str, int] = {}
    for reference in parser.found:
        path = reference.split("?", 1)[0].lstrip("/")
        if not path.endswith((".js", ".mjs", ".css")):
            continue
        sizes[path] = len(gzip.compress((app_dir / path).read_bytes(), compresslevel=6))
    if not sizes:
        raise RuntimeError(f"{app_dir / 'index.html'} references no JavaScript or CSS: is it the built app?")
    return sizes


# --------------------------------------------------------------------------- GraphQL over HTTP


def graphql(base: str, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables}, headers=headers, timeout=30)
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"GraphQL failed ({response.status_code}): {body.get('errors')}")
    return body["data"]  # type: ignore[no-any-return]


def sign_in(base: str, email: str, password: str) -> str:
    """A session token from the app's own ``login`` mutation (what its sign-in form sends)."""
    data = graphql(base, "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }",
                   email=email, password=password)
    return str(data["login"]["token"])


def list_fragment() -> str:
    """The open-alert list's fragment, read from the app's sources so the rows are what it asks for."""
    for definition in parse(ALERTS_GRAPHQL.read_text()).definitions:
        if isinstance(definition, FragmentDefinitionNode) and definition.name.value == "AlertListItem":
            return print_ast(definition)
    raise LookupError(f"{ALERTS_GRAPHQL} no longer defines the fragment AlertListItem")


def open_alert_edges(base: str, token: str, wanted: int) -> list[dict[str, Any]]:
    """Up to ``wanted`` open alerts as Dashboard edges, a page (the server's maximum) at a time."""
    query = (
        "query($after: String) { alerts(status: [PENDING, ACCEPTED], first: 100, after: $after) {"
        " edges { node { ...AlertListItem } } pageInfo { hasNextPage endCursor } } }\n" + list_fragment()
    )
    edges: list[dict[str, Any]] = []
    after: str | None = None
    while len(edges) < wanted:
        page = graphql(base, query, token, after=after)["alerts"]
        edges += page["edges"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    return edges[:wanted]


def post_event(base: str, api_key: str, alert_key: str, summary: str, priority: str = "HIGH") -> tuple[int, float]:
    """An ALERT event; returns the alert's id and the wall time its 202 arrived (the commit)."""
    response = httpx.post(f"{base}/api/events", json={"integrationKey": api_key, "eventType": "ALERT", "alertKey": alert_key,
                                                      "summary": summary, "priority": priority}, timeout=30)
    answered = time.time()
    if response.status_code != 202:
        raise RuntimeError(f"event refused ({response.status_code}): {response.text}")
    return int(response.json()["alertUrl"].rsplit("/", 1)[1]), answered


# --------------------------------------------------------------------------- 3. render


# Runs before the app's scripts (one builder for this page and the admin console's timeline in
# bench/console.py). The answer to ``operation`` is read whole here (the moment the data is in
# the page), then handed to the app as a fresh Response; a MutationObserver notes when the page
# shows as many ``shown`` elements as the answer holds items (``expected``, a JavaScript
# expression over ``data``), counts ``counted`` then, and notes the next animation frame.
def render_probe(done: str, operation: str, expected: str, shown: str, counted: str = "") -> str:
    return """
(() => {
  const DONE = %s;
  const QUIET_MS = %d;
  const marks = (window.__bench = { dataAt: null, expected: null, shown: null, shownAt: null, counted: null, frameAt: null });
  const realFetch = window.fetch.bind(window);
  window.fetch = async (input, init) => {
    const response = await realFetch(input, init);
    const sent = init && typeof init.body === "string" ? init.body : "";
    if (marks.dataAt !== null || !sent.includes(%s)) return response;
    const text = await response.text();
    const data = JSON.parse(text).data;
    const expected = %s;
    const watch = new MutationObserver(() => {
      const shown = document.querySelectorAll(%s).length;
      if (shown < expected) return;
      marks.shownAt = performance.now();
      marks.shown = shown;
      marks.counted = %s;
      watch.disconnect();
      requestAnimationFrame(() => {
        marks.frameAt = performance.now();
        // Pushed to the benchmark (a console event), so that it waits without asking the page
        // every few milliseconds: a poll is work of its own on the same two cores.
        console.debug(DONE);
      });
    });
    // Handed over once the page is otherwise idle: its other start-up requests answered and
    // drawn (the server shares the two cores), so that the window holds this rendering alone.
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    await new Promise((resolve) => requestIdleCallback(resolve, { timeout: 1000 }));
    watch.observe(document, { childList: true, subtree: true });
    marks.expected = expected;
    marks.dataAt = performance.now();
    return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
})();
""" % (
        json.dumps(done), QUIET_MS, json.dumps(operation), expected, json.dumps(shown),
        f"document.querySelectorAll({json.dumps(counted)}).length" if counted else "null",
    )


QUIET_MS = 300
RENDER_DONE = "pagerline-bench: the rows are shown"
RENDER_PROBE = render_probe(RENDER_DONE, "query Dashboard", "data.alerts.edges.length", "#alerts > li")


def poll(page: Page, predicate: str, timeout_s: float, what: str | None) -> bool:
    """Wait until ``predicate`` (a JavaScript function's source) is true in the page. Not
    Playwright's wait_for_function: under the app's Content-Security-Policy (no 'unsafe-eval')
    it cannot evaluate, while evaluate() runs outside the policy. False on timeout when ``what``
    is None, else an error naming it."""
    give_up = time.monotonic() + timeout_s
    while True:
        if page.evaluate(predicate):
            return True
        if time.monotonic() > give_up:
            if what is None:
                return False
            raise RuntimeError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(0.01)


@dataclass
class RenderRun:
    rows: int
    data_to_rows_ms: float
    data_to_frame_ms: float


def signed_in_page(browser: Browser, base: str, token: str, *, probe: str = "") -> Page:
    """A page of its own browser context with the session token already stored, as after a
    sign-in on this browser."""
    context = browser.new_context()
    context.add_init_script(f"localStorage.setItem({json.dumps(TOKEN_KEY)}, {json.dumps(token)});")
    if probe:
        context.add_init_script(probe)
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    return page


def render_once(browser: Browser, base: str, token: str, edges: list[dict[str, Any]] | None) -> RenderRun:
    """One load of the list. With ``edges`` the Dashboard answer (the server's own, headers and
    all) carries those rows instead of its first page; without, the app shows what it asks for."""
    page = signed_in_page(browser, base, token, probe=RENDER_PROBE)
    try:
        if edges is not None:
            def answer(route: Any) -> None:
                request = route.request
                if request.method != "POST" or "query Dashboard" not in (request.post_data or ""):
                    route.continue_()
                    return
                real = route.fetch()
                body = real.json()
                body["data"]["alerts"]["edges"] = edges
                body["data"]["alerts"]["pageInfo"] = {"hasNextPage": False, "endCursor": None}  # all of them, in one answer
                headers = {k: v for k, v in real.headers.items() if k.lower() not in ("content-length", "content-encoding")}
                route.fulfill(status=real.status, headers=headers, body=json.dumps(body))
                # The page's other requests from here on go straight to the server, not through
                # this process (which would compete for the CPU while the rows are made).
                page.unroute("**/graphql", answer)

            page.route("**/graphql", answer)
        with page.expect_console_message(lambda message: message.text == RENDER_DONE, timeout=PAGE_TIMEOUT_MS):
            page.goto(base + "/")
        marks = page.evaluate("window.__bench")
        return RenderRun(int(marks["shown"]), marks["shownAt"] - marks["dataAt"], marks["frameAt"] - marks["dataAt"])
    finally:
        page.context.close()


def measure_render(browser: Browser, base: str, token: str, edges: list[dict[str, Any]], runs: int) -> list[RenderRun]:
    """One warm-up load (not counted: the browser's first compile of the app), then ``runs``,
    each in a fresh profile (nothing cached, the service worker installing)."""
    render_once(browser, base, token, edges)
    return [render_once(browser, base, token, edges) for _ in range(runs)]


# --------------------------------------------------------------------------- 4. commit -> visible


SEEN_PROBE = """
() => {
  window.__seen = {};
  new MutationObserver((records) => {
    const now = Date.now();
    for (const record of records)
      for (const node of record.addedNodes)
        if (node.nodeType === 1 && node.dataset.alertId && !(node.dataset.alertId in window.__seen))
          window.__seen[node.dataset.alertId] = now;
  }).observe(document.getElementById("alerts"), { childList: true });
}
"""


def measure_visible(browser: Browser, base: str, token: str, api_key: str, events: int, gap_s: float,
                    tag: str = "") -> list[float]:
    """Seconds from each event's response to its row in an open, live page (inf if never seen)."""
    page = signed_in_page(browser, base, token)
    try:
        page.goto(base + "/")
        page.locator('#connection[data-state="live"]').wait_for()
        page.locator(".open-alerts[data-ready]").wait_for()
        page.evaluate(SEEN_PROBE)
        tag = tag or f"{os.getpid()}-{int(time.time())}"
        # The server registers the subscription a moment after the page subscribes: events
        # before that would never arrive, so wait for one warm-up row first.
        for attempt in range(40):
            warm_id, _ = post_event(base, api_key, f"bench-warm-{tag}-{attempt}", "warm-up")
            if poll(page, f"() => window.__seen[{json.dumps(str(warm_id))}] !== undefined", 0.5, None):
                break
        else:
            raise RuntimeError("the page never showed a warm-up event: is the live feed working?")
        answered: dict[int, float] = {}
        for i in range(events):
            alert_id, at = post_event(base, api_key, f"bench-live-{tag}-{i}", f"Live event {i}")
            answered[alert_id] = at
            time.sleep(gap_s)
        give_up = time.monotonic() + SEEN_TIMEOUT_S
        seen: dict[str, float] = {}
        while time.monotonic() < give_up:
            seen = page.evaluate("window.__seen")
            if all(str(alert_id) in seen for alert_id in answered):
                break
            time.sleep(0.05)
        return [seen[str(a)] / 1000 - at if str(a) in seen else math.inf for a, at in answered.items()]
    finally:
        page.context.close()


# --------------------------------------------------------------------------- 2. Lighthouse


def npm_exec_lighthouse(args: list[str], workdir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["npm", "exec", "--yes", f"--package={LIGHTHOUSE}", "--", "lighthouse", *args],
                          cwd=workdir, capture_output=True, text=True, timeout=600, env={**os.environ, "CHROME_PATH": str(CHROMIUM)})


@contextmanager
def debuggable_chromium(workdir: Path) -> Iterator[int]:
    """A headless Chromium with a DevTools port and its own profile; yields the port."""
    port = free_port()
    process = ManagedProcess(
        name="chromium",
        args=[str(CHROMIUM), "--headless=new", f"--remote-debugging-port={port}", f"--user-data-dir={workdir / 'profile'}",
              "--no-first-run", "--no-default-browser-check", *(["--no-sandbox"] if os.geteuid() == 0 else []), "about:blank"],
        env=dict(os.environ), log_path=workdir / "chromium.log",
    ).start()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/json/version", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or not process.alive():
                    raise RuntimeError(f"chromium did not open its DevTools port:\n{process.log_tail()}") from None
                time.sleep(0.1)
        yield port
    finally:
        process.stop()


def lighthouse_scores(base: str, token: str, workdir: Path, keep_report: Path | None = None) -> dict[str, float]:
    """Lighthouse's performance and accessibility scores (0-100) for the signed-in alert list."""
    from playwright.sync_api import sync_playwright

    with debuggable_chromium(workdir) as port:
        with sync_playwright() as playwright:
            browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
            page = browser.contexts[0].new_page()
            page.goto(base + "/")
            page.evaluate("([key, token]) => localStorage.setItem(key, token)", [TOKEN_KEY, token])
            page.reload()
            page.locator(".open-alerts[data-ready]").wait_for(timeout=PAGE_TIMEOUT_MS)
            page.close()
            browser.close()  # only disconnects: the browser is ours, not Playwright's
        report = workdir / "lighthouse.json"
        done = npm_exec_lighthouse([base + "/", f"--port={port}", "--disable-storage-reset", "--only-categories=performance,accessibility",
                                    "--output=json", f"--output-path={report}", "--quiet"], workdir)
        if done.returncode != 0 or not report.exists():
            raise RuntimeError(f"lighthouse failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result = json.loads(report.read_text())
    if keep_report is not None:
        keep_report.write_text(report.read_text())
    if result.get("runtimeError"):
        raise RuntimeError(f"lighthouse: {result['runtimeError']}")
    scores = {name: (category["score"] or 0.0) * 100 for name, category in result["categories"].items()}
    scores["signed_in"] = 1.0 if result["finalDisplayedUrl"].rstrip("/") == base and _showed_list(result) else 0.0
    return scores


def _showed_list(result: dict[str, Any]) -> bool:
    """Whether the page Lighthouse measured was the alert list, not the sign-in form (a lost
    token would score the wrong page)."""
    return 'id=\\"alerts\\"' in json.dumps(result.get("audits", {}))  # the list's <ol> in a node snippet (dom-size)


# --------------------------------------------------------------------------- the run


async def _seed(url: str, alerts: int) -> tuple[Any, int]:
    from pagerline.db import close_db, init_db
    from pagerline.engine.sources.intake import EventInput, ingest_event
    from pagerline.engine.sources.lookup import find_source_by_key
    from pagerline.models import Priority
    from tests.support.seed import seed_org

    await init_db(url)
    try:
        org = await seed_org()
        source = await find_source_by_key(org.api_key)
        assert source is not None
        now = datetime.now(UTC)
        for i in range(alerts):
            priority = Priority.HIGH if i % 3 == 0 else Priority.LOW
            await ingest_event(source, EventInput("ALERT", summary=f"Disk {i} on db-{i % 17} at {80 + i % 20}%", alert_key=f"open-{i}",
                                                  priority=priority), now)
        return org, alerts
    finally:
        await close_db()


def main() -> int:
    parser = argparse.ArgumentParser(description="web app benchmark")
    parser.add_argument("--database-url", default=os.environ.get("PAGERLINE_DATABASE_URL", ""),
                        help="a PostgreSQL server to make a throwaway database on (default: SQLite)")
    parser.add_argument("--alerts", type=int, default=500, help="open alerts (the render figure lists all of them)")
    parser.add_argument("--render-runs", type=int, default=10)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--event-gap", type=float, default=0.25, help="seconds between events")
    parser.add_argument("--no-lighthouse", action="store_true")
    parser.add_argument("--lighthouse-report", type=Path, help="keep Lighthouse's JSON report here")
    parser.add_argument("--quick", action="store_true", help="20 alerts, 3 render runs, 5 events: a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.alerts, args.render_runs, args.events = 20, 3, 5
    if not (APP_DIR / "index.html").exists():
        print("the web app is not built: run `make web`", file=sys.stderr)
        return 2

    postgres = args.database_url.startswith(("postgres://", "postgresql://"))
    print_section("machine")
    machine = machine_info()
    print_kv(machine)
    with ProcessGroup() as group, tempfile.TemporaryDirectory(prefix="pl-webapp-") as tmp:
        workdir = Path(tmp)
        url = bench_database(group, args.database_url, workdir)
        print_section("settings")
        print_kv({
            "database": describe_url(url),
            "server": "pagerline serve, 1 process, embedded worker off",
            "browser": f"{CHROMIUM}, headless (Playwright; Lighthouse attaches over --port)",
            "open alerts": f"{args.alerts} (HIGH and LOW), Alice signed in",
            "render": f"1 warm-up + {args.render_runs} loads of the list with {args.alerts} rows",
            "events": f"{args.events}, {args.event_gap}s apart, HIGH, each a new alert",
            "lighthouse": "skipped" if args.no_lighthouse else f"{LIGHTHOUSE}, defaults (mobile, simulated throttling)",
        })
        from pagerline.db import migrate

        asyncio.run(migrate(url))
        org, _ = asyncio.run(_seed(url, args.alerts))
        server, port = start_server({"PAGERLINE_DATABASE_URL": url, "PAGERLINE_EMBEDDED_WORKER": "0", "PAGERLINE_SECRET_KEY": "bench",
                                     "PAGERLINE_LOG_LEVEL": "WARNING"}, workdir)
        group.add(server)
        rss = RssSampler(server.pid, name="serve").start()
        base = f"http://127.0.0.1:{port}"
        token = sign_in(base, "alice@ops.test", "alice-password")
        assets = first_load_assets()
        scores = {} if args.no_lighthouse else lighthouse_scores(base, token, workdir, args.lighthouse_report)
        edges = open_alert_edges(base, token, args.alerts)
        from tests.support.browser import chromium

        with chromium() as browser:
            shown_alone = render_once(browser, base, token, None).rows
            renders = measure_render(browser, base, token, edges, args.render_runs)
            visible = measure_visible(browser, base, token, org.api_key, args.events, args.event_gap)
        rss.stop()

    figures = figures_for(assets, scores, renders, len(edges), shown_alone, args.alerts, visible, rss.peak())
    print_section("first-load files (gzipped)")
    print_kv({path: f"{size:,} B" for path, size in assets.items()}, width=34)
    print_section("render loads (data -> every row in the list, ms, in order)")
    print("  " + ", ".join(f"{run.data_to_rows_ms:.1f}" for run in renders))
    print_section("figures")
    print_figures(figures)
    missed = [f.name for f in figures if f.met is False]
    print(f"budgets: {sum(1 for f in figures if f.met)} met, {len(missed)} MISSED" + (f" ({', '.join(missed)})" if missed else ""))
    summary = {"bench": "webapp", "database": "postgres" if postgres else "sqlite", "alerts": args.alerts, "events": args.events,
               "cpu_count": machine.get("cpu_count"), "python": sys.version.split()[0], "load_before": machine.get("load average (1/5 min)")}
    summary |= figures_json(figures)
    print(json_line(summary))
    return 0


def figures_for(assets: dict[str, int], scores: dict[str, float], renders: list[RenderRun], rows_given: int, shown_alone: int,
                open_alerts: int, visible_s: list[float], peak_rss: int) -> list[Figure]:
    rows_ms = sorted(run.data_to_rows_ms for run in renders)
    frame_ms = sorted(run.data_to_frame_ms for run in renders)
    short = [run.rows for run in renders if run.rows < rows_given]
    seen = latency_summary([s for s in visible_s if math.isfinite(s)])
    lost = sum(1 for s in visible_s if not math.isfinite(s))
    p99 = math.inf if lost and lost / len(visible_s) > 0.01 else seen["p99_ms"]
    figures = [
        Figure("first-load JS + CSS gzipped", sum(assets.values()) / 1000, "KB", FIRST_LOAD_BUDGET / 1000, "<", note=f"{len(assets)} files"),
    ]
    if scores:
        note = "" if scores.get("signed_in") else "the page measured did not look like the alert list"
        figures += [
            Figure("Lighthouse performance", scores.get("performance", math.nan), "", PERFORMANCE_BUDGET, ">=", note=note),
            Figure("Lighthouse accessibility", scores.get("accessibility", math.nan), "", ACCESSIBILITY_BUDGET, ">=", note=note),
        ]
    figures += [
        Figure(f"render {rows_given} rows p50", rows_ms[len(rows_ms) // 2] if rows_ms else math.nan, "ms"),
        Figure(f"render {rows_given} rows max", rows_ms[-1] if rows_ms else math.nan, "ms", RENDER_BUDGET_MS, "<",
               note=f"{len(renders)} loads" + (f"; short of rows: {short}" if short else "")),
        Figure(f"render {rows_given} rows to next frame max", frame_ms[-1] if frame_ms else math.nan, "ms"),
        Figure("rows listed of its own", float(shown_alone), "", float(open_alerts), ">=",
               note=f"of {open_alerts} open (the app reads them 100 a page, the server's largest)"),
        Figure("event commit to row p50", seen["p50_ms"], "ms"),
        Figure("event commit to row p99", p99, "ms", VISIBLE_P99_BUDGET_MS, "<",
               note=f"{len(visible_s)} events" + (f", {lost} never seen" if lost else "")),
        Figure("event commit to row max", seen["max_ms"], "ms"),
        Figure("peak RSS serve", peak_rss / MB, "MB"),
    ]
    return figures


if __name__ == "__main__":
    raise SystemExit(main())
