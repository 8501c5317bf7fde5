"""Journeys through the web app as a responder makes them, in Debian's chromium against a real
``pagerline serve``, on a desktop-sized window and on a phone-sized one (390 × 844). Every page
on the way passes axe-core with no serious or critical violation, and every control used is
found by its role and accessible name.

- Sign in; an event sent over HTTP appears without a reload; open it, check its runbook link
  (it opens in a new tab), accept, comment, resolve; find it in the history by a word of its
  summary.
- On the phone, the on-call card and the alert list come before anything else, nothing is wider
  than the screen, and the buttons are large enough to hit (44 px).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support.browser import (
    SLOW_MS,
    Site,
    alert_item,
    alert_page,
    needs_axe,
    needs_chromium,
    needs_web_app,
    serious_accessibility_problems,
    sign_in,
)
from tests.support.graphql import data
from tests.support.live import post_alert, warm_up

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [needs_chromium, needs_web_app, needs_axe]

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
TOUCH_PX = 44


def open_in(browser: Browser, site: Site, viewport: str) -> Page:
    phone = viewport == "phone"
    context = browser.new_context(viewport=VIEWPORTS[viewport], is_mobile=phone, has_touch=phone)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(SLOW_MS)
    page.goto(site.server.url + "/")
    return page


def accessible(page: Page, where: str) -> None:
    problems = serious_accessibility_problems(page)
    assert problems == [], f"{where}: {problems}"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_sign_in_see_a_new_alert_live_act_on_it_and_find_it_in_history(browser: Browser, site: Site, viewport: str) -> None:
    page = open_in(browser, site, viewport)
    page.get_by_role("textbox", name="Email").wait_for()
    accessible(page, "sign-in")
    sign_in(page, "bob@ops.test", "bob-password")
    warm_up(site.server.url, site.org, lambda alert_id: page.locator(alert_item(alert_id)).count() > 0)
    page.evaluate("window.sameDocument = true")

    word = f"zebra{viewport}"
    runbook = f"https://runbooks.example/{word}"
    alert_id = post_alert(site.server.url, site.org, f"journey-{viewport}", f"Payments {word} failing", links=[{"href": runbook, "text": "Runbook"}])
    page.get_by_role("link", name=f"Payments {word} failing").wait_for()  # live, no reload
    accessible(page, "open alerts")

    page.get_by_role("link", name=f"Payments {word} failing").click()
    opened = page.locator(alert_page(alert_id))
    opened.wait_for()
    # The runbook opens in a new tab; nothing outside this server is really fetched.
    page.context.route("https://runbooks.example/**", lambda route: route.fulfill(body="<title>Runbook</title>runbook", content_type="text/html"))
    with page.context.expect_page() as popup:
        page.get_by_role("link", name="Runbook").click()
    assert popup.value.url == runbook
    popup.value.close()

    page.get_by_role("button", name="Accept").click()
    opened.locator('.alert-status[data-status="ACCEPTED"]').wait_for()
    page.get_by_role("textbox", name="Comment").fill("rolling back the deploy")
    page.get_by_role("button", name="Add comment").click()
    opened.locator(".timeline li", has_text="rolling back the deploy").wait_for()
    accessible(page, "alert page")
    page.get_by_role("button", name="Resolve").click()
    opened.locator('.alert-status[data-status="RESOLVED"]').wait_for()

    page.get_by_role("link", name="History").click()
    page.get_by_role("searchbox", name="Text").fill(word)
    page.get_by_role("button", name="Search").click()
    found = page.locator("#history > li")
    found.first.wait_for()
    page.wait_for_url(f"**/history?text={word}")
    assert [int(i) for i in found.evaluate_all("rows => rows.map(r => r.dataset.alertId)")] == [alert_id]
    accessible(page, "history")
    # The other filters narrow the same search: its source keeps it, LOW priority leaves nothing.
    page.get_by_role("combobox", name="Source").select_option(label="Ops API")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(f"**/history?source={site.org.api_source_id}&text={word}")
    found.first.wait_for()
    assert [int(i) for i in found.evaluate_all("rows => rows.map(r => r.dataset.alertId)")] == [alert_id]
    page.get_by_role("combobox", name="Priority").select_option(label="Low")
    page.get_by_role("button", name="Search").click()
    page.get_by_text("No alerts match.").wait_for()
    assert found.count() == 0
    assert page.evaluate("window.sameDocument") is True
    status = data(site.server.url, site.org.bob_token, "query($id: ID!) { alert(id: $id) { status } }", id=str(alert_id))
    assert status["alert"]["status"] == "RESOLVED"


def test_on_a_phone_the_on_call_card_and_the_alerts_come_first_and_fit(browser: Browser, site: Site) -> None:
    alert_id = post_alert(site.server.url, site.org, "phone-first", "A summary long enough to wrap on a phone screen " * 3)
    page = open_in(browser, site, "phone")
    sign_in(page, "alice@ops.test", "alice-password")
    page.locator(alert_item(alert_id)).wait_for()

    def top(selector: str) -> float:
        box = page.locator(selector).first.bounding_box()
        assert box is not None, selector
        return box["y"]

    assert top("#oncall-title") < top("#alerts-title") < top(alert_item(alert_id))
    main = page.locator("main").bounding_box()
    assert main is not None and top("#oncall-title") - main["y"] < 60  # the card opens the page
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS["phone"]["width"]
    for button in page.locator(f"{alert_item(alert_id)} button, header button").all():
        box = button.bounding_box()
        assert box is not None and box["height"] >= TOUCH_PX, (button.text_content(), box)
    accessible(page, "open alerts on a phone")
