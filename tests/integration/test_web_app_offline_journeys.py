"""The connection drops while the app is open (the browser goes offline), on a desktop window and
on a phone (390 × 844): the open-alert list and the on-call card stay, marked "Not live since
HH:MM", with no error messages on top, axe clean; back online, the list reconnects, refetches
(an alert raised meanwhile appears) and the marks go. Opening the app offline is
test_pwa_browser.py's."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from tests.integration.test_web_app_journeys import VIEWPORTS, accessible, open_in
from tests.support.browser import Site, alert_item, needs_axe, needs_chromium, needs_web_app, sign_in
from tests.support.live import post_alert

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [needs_chromium, needs_web_app, needs_axe]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_list_stays_marked_stale_while_the_connection_is_down(browser: Browser, site: Site, viewport: str) -> None:
    page = open_in(browser, site, viewport)
    sign_in(page, "bob@ops.test", "bob-password")
    before = post_alert(site.server.url, site.org, f"stale-before-{viewport}", "Queue backlog on worker-3")
    page.locator(alert_item(before)).wait_for()
    assert page.locator("#alerts-stale").count() == 0

    went_offline = datetime.now(UTC).replace(microsecond=0)
    page.context.set_offline(True)
    try:
        mark = page.locator("#alerts-stale")
        mark.wait_for()
        assert re.fullmatch(r"Not live since \d\d:\d\d: .+", mark.inner_text()), mark.inner_text()
        since = datetime.fromisoformat(mark.locator("time").get_attribute("datetime") or "")
        assert went_offline <= since <= datetime.now(UTC)
        page.locator("#oncall-stale").wait_for()
        page.locator('.open-alerts[data-stale="true"]').wait_for()
        # What was live is still there, readable.
        assert page.locator(f"{alert_item(before)} .alert-summary").text_content() == "Queue backlog on worker-3"
        assert page.locator("#oncall li").count() > 0
        page.locator('#connection[data-state="reconnecting"]').wait_for()
        assert page.locator("#message").is_hidden()  # no "Failed to fetch" on top of the mark
        accessible(page, "open alerts, not live")
        # Raised while this browser cannot hear of it.
        during = post_alert(site.server.url, site.org, f"stale-during-{viewport}", "Replica lag on db-2")
        # Nothing reaches an offline context, so no wait: the page must simply not claim it (it
        # appears once the connection is back, below).
        assert page.locator(alert_item(during)).count() == 0
        assert page.locator("#alerts-stale").is_visible()
    finally:
        page.context.set_offline(False)

    # Back online: reconnected, refetched, live again.
    page.locator('#connection[data-state="live"]').wait_for()
    page.locator(alert_item(during)).wait_for()
    page.locator("#alerts-stale").wait_for(state="detached")
    page.locator("#oncall-stale").wait_for(state="detached")
    assert page.locator(".open-alerts[data-stale]").count() == 0
    assert page.locator("#message").is_hidden()
    page.context.close()
