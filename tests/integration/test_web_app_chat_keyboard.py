"""The two chat screens of the web app worked with the keyboard alone (Tab, Shift+Tab, arrow
keys, Space, Enter and typing; nothing clicked), in Chromium against a real server, on a desktop
window and on a phone (390 × 844), axe on each state.

- Admin → Chat: from the page's start, Tab reaches the new channel form through named controls
  only; the platform and whose alerts are chosen with the arrow keys (a Teams webhook offers no
  channel of its own for HIGH alerts, Slack and Mattermost do); a refused id keeps the focus on
  the form and is said beside its input; the channel added is listed and is there through the
  GraphQL API; Shift+Tab reaches its Delete button, Enter asks with the focus on "Keep it",
  Shift+Tab and Space delete, and the focus goes to the section's heading (not the page's start)
  while the result is announced; the API no longer has it.
- The confirm page of a Teams card's button (/chat/act, a signed link): signed in as Bob, Tab
  reaches the Accept button through named controls; Enter twice accepts once, via Microsoft Teams,
  and the focus goes to the announced result; a changed link is refused, the refusal focused and
  announced; an expired link says so in an alert, offers no button, and Tab goes on to the alert's
  own page.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from pagerline.engine.chat.links import sign_link
from tests.integration.test_web_app_console_chat import channels

# site and admin_token: a server of this module's own (module-scoped) and the admin Ann's token.
from tests.integration.test_web_app_console_sources import admin_token, site  # noqa: F401
from tests.integration.test_web_app_journeys import VIEWPORTS, accessible, open_in
from tests.support.browser import Site, needs_axe, needs_chromium, needs_web_app
from tests.support.graphql import data
from tests.support.live import post_alert
from tests.support.processes import base_env

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, LocatorAssertions, Page

pytestmark = [needs_chromium, needs_web_app, needs_axe]

MOST_TABS = 60  # more than every control of either page (header, admin menu, list, form)
NAMED = re.compile(r"\S")


def expect(locator: Locator) -> LocatorAssertions:
    """Playwright's expect, imported where used like the other browser tests do (a bare pytest
    without Playwright still collects the module and skips)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def focused(page: Page) -> Locator:
    return page.locator(":focus")


def described(page: Page) -> str:
    """The focused element's role and accessible name as the accessibility tree has them
    (``button "Refresh"``), or ``body`` when nothing has the focus."""
    if page.evaluate("document.activeElement === null || document.activeElement === document.body"):
        return "body"
    line = focused(page).aria_snapshot().splitlines()[0].removeprefix("- ").rstrip(":")
    if line.startswith("'") and line.endswith("'"):  # YAML quotes a line with "#" or ":" in it
        line = line[1:-1].replace("''", "'")
    return line


def step(page: Page, key: str) -> str:
    """Press ``key``; the element that has the focus then must have a name. Returns it described."""
    page.keyboard.press(key)
    where = described(page)
    assert where != "body", f"{key} lost the focus"
    expect(focused(page)).to_have_accessible_name(NAMED)
    return where


def tab_to(page: Page, wanted: str, key: str = "Tab") -> list[str]:
    """Tab (or Shift+Tab) until the focus is on ``wanted`` (``combobox "Platform"``), each control
    on the way named; returns the way."""
    way: list[str] = []
    for _ in range(MOST_TABS):
        way.append(step(page, key))
        if way[-1] == wanted:
            return way
    raise AssertionError(f"{wanted} not reached with {key}: {way}")


def keyboard_sign_in(page: Page, email: str, password: str) -> None:
    """The sign-in form has the focus in its email field: typed, Tab, typed, Enter."""
    page.get_by_role("textbox", name="Email").wait_for()
    assert page.evaluate("document.activeElement.id") == "email"
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")


def fits(page: Page, viewport: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]


# -- Admin → Chat -------------------------------------------------------------------------------

# Desktop: a Slack channel for team Ops with a channel of its own for HIGH alerts, after a refused
# id. Phone: a Mattermost channel for the source Ops API.
CASES: dict[str, dict[str, Any]] = {
    "desktop": {"platform": "SLACK", "target": "C0KEYBOARD1", "owner": "Every source of team Ops", "high": True},
    "phone": {"platform": "MATTERMOST", "target": "k" * 13 + "0123456789abc", "owner": "Source Ops API", "high": False},
}


def value_of(locator: Locator) -> str:
    return str(locator.evaluate("e => e.value"))


def choose_with_arrows(page: Page, select: Locator, label: str) -> None:
    """Arrow down through the focused select until its chosen option is ``label``."""
    for _ in range(10):
        if select.evaluate("e => e.selectedOptions[0].textContent") == label:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{label} not offered")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_add_and_delete_a_chat_channel_with_the_keyboard(browser: Browser, site: Site, admin_token: str, viewport: str) -> None:  # noqa: F811
    case = CASES[viewport]
    name = f"kb-{viewport}-alerts"
    page = open_in(browser, site, viewport)
    page.goto(site.server.url + "/admin/chat")
    keyboard_sign_in(page, "ann@ops.test", "ann-password")
    page.locator("section[data-ready]").wait_for()
    page.get_by_role("heading", name="Chat", level=2).wait_for()
    accessible(page, "chat section")

    # From the page's start to the form, every control named: the admin menu's "Chat" and
    # "Refresh" on the way.
    way = tab_to(page, 'combobox "Platform"')
    assert 'link "Chat"' in way and 'button "Refresh"' in way, way
    form = page.get_by_role("form", name="New chat channel")
    platform = form.get_by_label("Platform")

    # The platform by arrow keys: the target's label follows it; a Teams webhook offers no
    # dedicated channel (a bot makes those), Slack and Mattermost do.
    choose_with_arrows(page, platform, "Microsoft Teams")
    form.get_by_label("Workflows webhook URL").wait_for()
    assert form.get_by_role("checkbox").count() == 0
    page.keyboard.press("Home")  # back to the first option, Slack
    assert value_of(platform) == "SLACK"
    form.get_by_role("checkbox", name="A channel of its own for each HIGH alert, its responders invited").wait_for()
    if case["platform"] == "MATTERMOST":
        choose_with_arrows(page, platform, "Mattermost")
        form.get_by_label("Mattermost channel ID").wait_for()
    assert value_of(platform) == case["platform"]

    def fill_and_add(target: str) -> None:
        """From the platform: the target, the name (once), whose alerts, HIGH, then Add by Enter."""
        assert step(page, "Tab").startswith("textbox ") and page.evaluate("document.activeElement.id") == "chat-target"
        page.keyboard.type(target)
        assert step(page, "Tab") == 'textbox "Name"'
        page.keyboard.type(name)
        assert step(page, "Tab") == 'combobox "Alerts of"'
        choose_with_arrows(page, form.get_by_label("Alerts of"), case["owner"])
        checkbox = step(page, "Tab")
        assert checkbox.startswith('checkbox "A channel of its own for each HIGH alert'), checkbox
        if case["high"]:
            page.keyboard.press("Space")
            assert form.get_by_role("checkbox").is_checked()
        assert step(page, "Tab") == 'button "Add channel"'
        page.keyboard.press("Enter")

    if viewport == "desktop":
        # A Slack channel's name where its id belongs: refused beside the input (read with it),
        # the focus still on the form's button, nothing made.
        fill_and_add("#ops-alerts")
        error = page.locator("#chat-target-error[role=alert]", has_text="C…")
        error.wait_for()
        assert "chat-target-error" in (form.get_by_label("Slack channel ID").get_attribute("aria-describedby") or "")
        assert described(page) == 'button "Add channel"'
        assert name not in channels(site, admin_token)
        accessible(page, "chat channel refused")
        # Back to the target (Shift+Tab past HIGH, Alerts of, Name), retyped; Enter in it adds.
        assert tab_to(page, 'textbox "Slack channel ID"', "Shift+Tab")[-1] == 'textbox "Slack channel ID"'
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.type(case["target"])
        page.keyboard.press("Enter")
    else:
        fill_and_add(case["target"])

    # Added: announced, listed, made; the focus stays on the form (not the page's start).
    page.locator("#chat-result[role=status]", has_text=f"{name} added.").wait_for()
    item = page.locator("#chat-channels li", has_text=name)
    item.wait_for()
    assert case["target"] in item.inner_text()
    assert described(page) != "body" and page.evaluate("document.activeElement.closest('form') !== null")
    expected_owner = {"team": {"name": "Ops"}, "source": None} if case["owner"].startswith("Every") else {"team": None, "source": {"name": "Ops API"}}
    assert channels(site, admin_token)[name] == {
        "name": name, "platform": case["platform"], "target": case["target"], "dedicatedHigh": case["high"], **expected_owner,
    }
    accessible(page, "chat channel listed")
    fits(page, viewport)

    # Back up to its Delete button; Enter asks, the safe answer focused, the question named.
    tab_to(page, f'button "Delete {name}"', "Shift+Tab")
    page.keyboard.press("Enter")
    expect(item.get_by_role("button", name="Keep it")).to_be_focused()
    question = item.get_by_role("group")
    expect(question).to_have_accessible_name(re.compile(f"^Delete {re.escape(name)}\\?"))
    accessible(page, "chat channel delete asked")
    assert step(page, "Shift+Tab") == f'button "Yes, delete {name}"'
    page.keyboard.press("Space")

    # Deleted: announced, gone from the list and the API; the focus on the section's heading.
    page.locator("#chat-result[role=status]", has_text=f"{name} deleted.").wait_for()
    page.locator("#chat-channels li", has_text=name).wait_for(state="detached")
    expect(page.get_by_role("heading", name="Chat", level=2)).to_be_focused()
    assert name not in channels(site, admin_token)
    accessible(page, "chat channel deleted")
    # The next Tab goes on from there, not from the page's start.
    assert step(page, "Tab") == 'button "Refresh"'


# -- /chat/act ----------------------------------------------------------------------------------

KEY = base_env({})["PAGERLINE_SECRET_KEY"].encode()  # the key every test server signs with
STATUS = "query($id: ID!) { alert(id: $id) { status logEntries { text } } }"


def alert_state(site: Site, alert_id: int) -> tuple[str, list[str]]:
    found = data(site.server.url, site.org.alice_token, STATUS, id=alert_id)["alert"]
    return found["status"], [e["text"] for e in found["logEntries"]]


def open_link(page: Page, url: str) -> None:
    page.goto(url)
    page.locator("#chat-act[data-ready]").wait_for()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_confirm_a_chat_link_with_the_keyboard(browser: Browser, site: Site, viewport: str) -> None:  # noqa: F811
    summary = f"Keyboard {viewport} checkout down"
    alert_id = post_alert(site.server.url, site.org, f"chat-keyboard-{viewport}", summary)
    now = datetime.now(UTC)
    accept = sign_link(KEY, site.server.url, alert_id, "accept", now)

    # A changed link (accept made resolve): Bob signs in on it, Tabs to the button, presses Enter;
    # the refusal gets the focus and is announced; the alert is as it was.
    page = open_in(browser, site, viewport)
    page.goto(accept.replace("action=accept", "action=resolve"))
    keyboard_sign_in(page, "bob@ops.test", "bob-password")
    page.locator("#chat-act[data-ready]").wait_for()
    page.get_by_role("heading", name=f"Resolve alert #{alert_id} {summary}?", level=2).wait_for()
    accessible(page, "changed link asked")
    tab_to(page, 'button "Resolve"')
    page.keyboard.press("Enter")
    result = page.locator("#chat-act-result[role=status]")
    result.filter(has_text="not made by pagerline or has been changed").wait_for()
    expect(result).to_be_focused()
    accessible(page, "changed link refused")
    assert alert_state(site, alert_id)[0] == "PENDING"

    # The real link: Tab from the page's start reaches Accept through named controls only;
    # Enter twice accepts once, as Bob via Teams; the result has the focus and is announced.
    open_link(page, accept)
    page.get_by_role("heading", name=f"Accept alert #{alert_id} {summary}?", level=2).wait_for()
    assert alert_state(site, alert_id)[0] == "PENDING"  # opening the link does nothing
    accessible(page, "link asked")
    way = tab_to(page, 'button "Accept"')
    assert all(w.startswith(("link ", "button ")) for w in way), way
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    result.filter(has_text=f"Done: alert #{alert_id} is accepted.").wait_for()
    expect(result).to_be_focused()
    assert page.get_by_role("button", name="Accept").count() == 0
    accessible(page, "link acted on")
    fits(page, viewport)
    status, timeline = alert_state(site, alert_id)
    assert status == "ACCEPTED" and timeline.count("Accepted by Bob via Microsoft Teams") == 1, timeline
    # From the result, Tab goes on to the alert's own page.
    assert step(page, "Tab") == f'link "Open alert #{alert_id}"'

    # An expired link: said in an alert as the page opens, no button to press; Tab from the
    # page's start reaches the way on (the alert's page), every control named.
    open_link(page, sign_link(KEY, site.server.url, alert_id, "resolve", now - timedelta(days=8)))
    expired = page.get_by_role("alert").filter(has_text="This link has expired, so it does nothing.")
    expired.wait_for()
    assert expired.is_visible()
    assert page.get_by_role("button", name="Resolve").count() == 0
    accessible(page, "expired link")
    way = tab_to(page, f'link "Open alert #{alert_id}"')
    assert not any(w.startswith('button "Resolve') for w in way), way
    assert alert_state(site, alert_id)[0] == "ACCEPTED"
