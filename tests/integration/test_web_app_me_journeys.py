"""The Me page in the web app, on a desktop window and on a phone (390 × 844), axe on the page:
edit the notification rules (change a delay, add a LOW email rule, remove the voice rule) and
see the server keep them; a bad delay is refused and changes nothing; mute until a time typed in
my zone, then unmute; send myself a test page, which the server's worker delivers."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from pagerline.models import Notification, NotificationStatus
from tests.integration.test_web_app_journeys import VIEWPORTS, accessible, open_in
from tests.support.browser import Site, needs_axe, needs_chromium, needs_web_app, outside_playwright, sign_in
from tests.support.polling import wait_until
from tests.support.graphql import data, in_db

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [needs_chromium, needs_web_app, needs_axe]

RULES = "{ me { mutedUntil notificationRules { method delayMin priority } } }"
DEFAULTS = [("PUSH", 0, "HIGH"), ("SMS", 5, "HIGH"), ("VOICE", 10, "HIGH"), ("PUSH", 0, "LOW")]


def rules(site: Site) -> list[tuple[str, int, str]]:
    found = data(site.server.url, site.org.bob_token, RULES)["me"]["notificationRules"]
    return sorted((r["method"], r["delayMin"], r["priority"]) for r in found)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_edit_rules_mute_and_send_a_test_page(browser: Browser, site: Site, viewport: str) -> None:
    data(site.server.url, site.org.bob_token, """mutation { setNotificationRules(rules: [
        {method: PUSH, delayMin: 0, priority: HIGH}, {method: SMS, delayMin: 5, priority: HIGH},
        {method: VOICE, delayMin: 10, priority: HIGH}, {method: PUSH, delayMin: 0, priority: LOW}]) { id } }""")
    data(site.server.url, site.org.bob_token, "mutation { muteNotifications(until: null) { id } }")
    page = open_in(browser, site, viewport)
    sign_in(page, "bob@ops.test", "bob-password")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Me").click()
    page.locator("#me-page").wait_for()
    page.wait_for_url("**/me")
    accessible(page, "me")
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]

    page.get_by_label("Delay of high rule 2 in minutes").fill("200")
    page.get_by_role("button", name="Save rules").click()
    page.locator("#rules-result", has_text="0 to 120").wait_for()
    assert rules(site) == sorted(DEFAULTS)  # refused in the page: nothing sent

    page.get_by_label("Delay of high rule 2 in minutes").fill("3")
    page.get_by_role("button", name="Remove high rule 3").click()
    page.get_by_role("button", name="Add a low priority rule").click()
    page.get_by_label("Method of low rule 2").select_option("EMAIL")
    page.get_by_label("Delay of low rule 2 in minutes").fill("15")
    page.get_by_role("button", name="Save rules").click()
    page.locator("#rules-result", has_text="Rules saved.").wait_for()
    assert rules(site) == sorted([("PUSH", 0, "HIGH"), ("SMS", 3, "HIGH"), ("PUSH", 0, "LOW"), ("EMAIL", 15, "LOW")])

    # Mute until tomorrow 09:30 in Bob's zone (UTC).
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(hour=9, minute=30, second=0, microsecond=0)
    page.get_by_label("Mute until date").fill(f"{tomorrow:%Y-%m-%d}")
    page.get_by_label("Mute until time").fill("09:30")
    page.get_by_role("button", name="Mute", exact=True).click()
    page.locator("#mute-state", has_text="Muted until").wait_for()
    assert datetime.fromisoformat(data(site.server.url, site.org.bob_token, RULES)["me"]["mutedUntil"]) == tomorrow
    accessible(page, "me, muted")
    page.get_by_role("button", name="Unmute").click()
    page.locator("#mute-state", has_text="Not muted.").wait_for()
    assert data(site.server.url, site.org.bob_token, RULES)["me"]["mutedUntil"] is None

    # The test page: Bob's HIGH rules reach him by push only (no phone), and the worker sends it,
    # unless a test page went to him minutes ago (the other viewport's run on this server):
    # then storm protection drops it as identical, as it would any repeated page.
    async def test_pages() -> list[tuple[NotificationStatus, str]]:
        rows = await Notification.filter(user_id=site.org.bob_id, dedup_key__startswith="test:").order_by("id")
        return [(row.status, row.last_error or "") for row in rows]

    earlier = outside_playwright(lambda: in_db(site.url, test_pages))
    page.get_by_role("button", name="Send me a test page").click()
    page.locator("#test-page-result", has_text="Test page sent on 1 channel.").wait_for()
    def decided() -> list[tuple[NotificationStatus, str]] | None:
        found = outside_playwright(lambda: in_db(site.url, test_pages))
        done = len(found) > len(earlier) and found[-1][0] not in (NotificationStatus.PENDING, NotificationStatus.SENDING)
        return found if done else None

    status, error = wait_until(decided, timeout=20, interval=0.2, what="the test page decided")[-1]
    if any(previous is NotificationStatus.SENT for previous, _ in earlier):
        assert (status, "identical" in error) == (NotificationStatus.SUPPRESSED, True)
    else:
        assert status is NotificationStatus.SENT
