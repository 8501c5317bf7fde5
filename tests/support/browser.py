"""Driving the web app in a real browser: Debian's chromium, headless, through Playwright.

Playwright does not download a browser here (``playwright install`` is never run): it launches
/usr/bin/chromium, which ``make test`` installs with apt-get when it runs as root. Tests that
need it carry :data:`needs_chromium`, so they skip (with the reason) where it is missing.

The web app is the build in pagerline/web/app (``make web``, which ``make test`` runs); tests
that open it carry :data:`needs_web_app` too, so a bare ``pytest`` without a build skips them and
says how to make one.

The browser tests open pages on a :class:`Site`: a real ``pagerline serve`` on the embedded
defaults (SQLite, in-process worker and bus) with a seeded organisation. Their ``site`` and
``browser`` fixtures (one of each per test module) are in tests/integration/conftest.py.
"""

from __future__ import annotations

import re

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest

from tests.support.databases import TemplateDatabases
from tests.support.live import embedded_env, seed_database
from tests.support.processes import Server, start_server
from tests.support.seed import Org

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

T = TypeVar("T")
CHROMIUM = Path("/usr/bin/chromium")
SLOW_MS = 20_000  # page loads, sign-in, reconnects: generous, the machine is shared

WEB_APP = Path(__file__).resolve().parents[2] / "pagerline" / "web" / "app" / "index.html"

needs_web_app = pytest.mark.skipif(
    not WEB_APP.exists(), reason="needs the web app built into pagerline/web/app: run `make web` (`make test` does)"
)

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium; `make test` installs it as root)",
)


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless chromium, closed after the block."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield launched
        finally:
            launched.close()


def outside_playwright(work: Callable[[], T]) -> T:
    """Playwright's sync API keeps an event loop running in this thread, so code that calls
    asyncio.run (seeding, engine calls) runs in a thread of its own."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def new_page(browser: Browser, url: str) -> Page:
    """``url`` in a page of its own browser context (its own localStorage: another person's
    browser), with the generous timeout."""
    page = browser.new_context().new_page()
    page.set_default_timeout(SLOW_MS)
    page.goto(url)
    return page


def submit_sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in(page: Page, email: str, password: str, *, alert_list: bool = True) -> None:
    submit_sign_in(page, email, password)
    wait_live(page, alert_list=alert_list)


def wait_live(page: Page, *, alert_list: bool = True) -> None:
    """Connected and signed in; on the open-alert list (``alert_list``), its first snapshot and
    the on-call card loaded too."""
    page.locator('#connection[data-state="live"]').wait_for()
    page.locator("#user-name").filter(has_text=re.compile(".")).wait_for()
    if alert_list:
        page.locator(".open-alerts[data-ready]").wait_for()
        page.locator("#oncall li").first.wait_for()


@dataclass
class Site:
    """A running server for the web app, its seeded organisation and its database URL."""

    server: Server
    org: Org
    url: str


def start_site(templates: TemplateDatabases, workdir: Path, **env: str) -> Site:
    """A seeded SQLite database and ``pagerline serve`` on it (the caller stops the server);
    ``env``: more settings for the server (a fake provider's address)."""

    def seeded() -> tuple[str, Org]:
        url = templates.sqlite(workdir)
        return url, seed_database(url)

    url, org = outside_playwright(seeded)
    return Site(start_server(embedded_env(url, workdir, **env), workdir), org, url)


def open_app(browser: Browser, site: Site, path: str = "/") -> Page:
    return new_page(browser, site.server.url + path)


def alert_item(alert_id: int) -> str:
    """The CSS selector of an alert's item in the open-alert list."""
    return f'#alerts [data-alert-id="{alert_id}"]'


def alert_page(alert_id: int) -> str:
    """The CSS selector of an alert's own page (``/alerts/<id>``)."""
    return f'article.alert-page[data-alert-id="{alert_id}"]'


def shown(page: Page, alert_id: int) -> bool:
    return page.locator(alert_item(alert_id)).count() > 0


AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"

needs_axe = pytest.mark.skipif(not AXE.exists(), reason="needs axe-core in web/node_modules: run `make web` (`make test` does)")


def serious_accessibility_problems(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each.

    axe runs through Playwright's evaluate, which the page's Content-Security-Policy does not
    govern, so the page is checked under the policy it really has."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    found = page.evaluate(
        """async () => {
            const result = await window.axe.run(document, { resultTypes: ["violations"] });
            return result.violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
        }"""
    )
    return list(found)
