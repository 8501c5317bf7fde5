"""The timeline of a flapping alert on its page in the web app, in a real browser (Debian's chromium, headless,
against a real ``pagerline serve`` on SQLite): opened from its alert link, it shows the newest
entries; "Load older entries" pages back until every entry is shown once, in order; and a live
repeat adds the new entry without dropping the older pages already loaded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tests.support.browser import Site, alert_page, needs_chromium, needs_web_app, open_app, outside_playwright, sign_in
from tests.support.graphql import data, in_db
from tests.support.live import post_alert
from tests.support.processes import wait_until
from tests.support.timelines import add_repeats, entry_ids

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [needs_chromium, needs_web_app]

REPEATS = 120  # the page brings 20, each click 50 more: three clicks reach the first entry


def shown_ids(page: Page, alert_id: int) -> list[int]:
    return [int(i) for i in page.locator(f"{alert_page(alert_id)} .timeline li").evaluate_all("rows => rows.map(r => r.dataset.entryId)")]


def stored_ids(site: Site, alert_id: int) -> list[int]:
    return outside_playwright(lambda: in_db(site.url, lambda: entry_ids(alert_id)))


def paged(site: Site, alert_id: int) -> bool:
    query = "query($id: ID!) { alert(id: $id) { notifications { status } } }"
    notifications = data(site.server.url, site.org.bob_token, query, id=str(alert_id))["alert"]["notifications"]
    return bool(notifications) and all(n["status"] == "SENT" for n in notifications)


def test_load_older_pages_back_to_the_first_entry_and_a_live_repeat_keeps_them(browser: Browser, site: Site) -> None:
    alert_id = post_alert(site.server.url, site.org, "flapping-in-browser", "Flapping check")
    wait_until(lambda: paged(site, alert_id), what="the page to Alice (after it the worker writes nothing more here)")
    outside_playwright(lambda: in_db(site.url, lambda: add_repeats(alert_id, REPEATS, datetime.now(UTC))))
    stored = stored_ids(site, alert_id)

    page = open_app(browser, site, f"/#/alerts/{alert_id}")  # an alertUrl: the alert's page opens
    sign_in(page, "bob@ops.test", "bob-password", alert_list=False)
    item = page.locator(alert_page(alert_id))
    item.locator(".timeline li").first.wait_for()
    assert shown_ids(page, alert_id) == stored[-20:]
    assert (item.locator(".timeline li").last.text_content() or "").endswith(f"Repeated event {REPEATS}")

    older = page.get_by_role("button", name=f"Load older timeline entries of alert #{alert_id}")
    clicks = 0
    while older.is_visible():
        before = len(shown_ids(page, alert_id))
        older.click()
        clicks += 1
        wait_until(lambda: len(shown_ids(page, alert_id)) > before or not older.is_visible(), what="an older page")
    assert clicks == 3
    assert shown_ids(page, alert_id) == stored  # every entry once, oldest first
    assert page.locator(f"{alert_page(alert_id)} .timeline li").first.get_attribute("data-kind") == "RECEIVED"

    post_alert(site.server.url, site.org, "flapping-in-browser", "Flapping check")  # one more repeat, live
    wait_until(lambda: len(shown_ids(page, alert_id)) == len(stored) + 1, what="the live repeat on the timeline")
    assert shown_ids(page, alert_id) == stored_ids(site, alert_id)  # the older pages are still there
