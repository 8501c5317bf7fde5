"""Driving the dashboard in a real browser: Debian's chromium, headless, through Playwright.

Playwright does not download a browser here (``playwright install`` is never run): it launches
/usr/bin/chromium, which ``make test`` installs with apt-get when it runs as root. Tests that
need it carry :data:`needs_chromium`, so they skip (with the reason) where it is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

T = TypeVar("T")
CHROMIUM = Path("/usr/bin/chromium")
SLOW_MS = 20_000  # page loads, sign-in, reconnects: generous, the machine is shared

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


def sign_in(page: Page, email: str, password: str) -> None:
    submit_sign_in(page, email, password)
    wait_live(page)


def wait_live(page: Page) -> None:
    """Connected and the first snapshot loaded (the on-call panel is filled by it)."""
    page.locator('#connection[data-state="live"]').wait_for()
    page.locator("#oncall li").first.wait_for()
