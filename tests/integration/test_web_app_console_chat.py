"""The admin console's Chat section in Chromium against a real server, on a desktop window and
on a phone (390 × 844), axe on each: a Slack channel id that is not one is refused beside its
input; a channel added for the Ops team is listed (and is there through the GraphQL API); deleting
it asks first, then it is gone from the page and from the API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

# site and admin_token: the fixtures of a server of its own for this module (module-scoped) and of
# the admin the journeys sign in as.
from tests.integration.test_web_app_console_sources import admin_token, open_console, site  # noqa: F401
from tests.integration.test_web_app_journeys import VIEWPORTS, accessible
from tests.support.browser import Site, needs_axe, needs_chromium, needs_web_app
from tests.support.graphql import data

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [needs_chromium, needs_web_app, needs_axe]


def channels(site: Site, token: str) -> dict[str, dict[str, Any]]:
    answer = data(site.server.url, token, "{ chatChannels { name platform target dedicatedHigh team { name } source { name } } }")
    return {c["name"]: c for c in answer["chatChannels"]}


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_channel_is_added_listed_and_deleted(browser: Browser, site: Site, admin_token: str, viewport: str) -> None:  # noqa: F811
    name, target = f"ops-alerts-{viewport}", f"C0{viewport.upper()[:4]}OPS1"
    page = open_console(browser, site, viewport, "Chat")
    page.get_by_role("heading", name="Chat", level=2).wait_for()
    page.get_by_label("Slack channel ID").fill("#ops-alerts")  # the channel's name, not its id
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Alerts of").select_option(label="Every source of team Ops")
    page.get_by_role("button", name="Add channel").click()
    page.locator("#chat-target-error", has_text="C…").wait_for()
    accessible(page, "chat channel refused")
    assert name not in channels(site, admin_token)

    page.get_by_label("Slack channel ID").fill(target)
    page.get_by_label("A channel of its own for each HIGH alert, its responders invited").check()
    page.get_by_role("button", name="Add channel").click()
    page.locator("#chat-result", has_text=f"{name} added.").wait_for()
    item = page.locator("#chat-channels li", has_text=name)
    item.wait_for()
    assert target in item.inner_text() and "team Ops" in item.inner_text() and "0 alerts posted" in item.inner_text()
    assert "each HIGH alert gets a channel of its own" in item.inner_text()
    assert channels(site, admin_token)[name] == {
        "name": name, "platform": "SLACK", "target": target, "dedicatedHigh": True, "team": {"name": "Ops"}, "source": None,
    }
    accessible(page, "chat channel listed")
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]

    item.get_by_role("button", name=f"Delete {name}").click()
    item.get_by_role("button", name="Keep it").wait_for()  # asks first; the safe answer has the focus
    accessible(page, "chat channel delete asked")
    item.get_by_role("button", name=f"Yes, delete {name}").click()
    page.locator("#chat-result", has_text=f"{name} deleted.").wait_for()
    page.locator("#chat-channels li", has_text=name).wait_for(state="detached")
    assert name not in channels(site, admin_token)
