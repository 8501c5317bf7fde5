"""The admin console's support hours, maintenance windows, heartbeats, alert actions and calendar
feeds sections in Chromium against a real server, on a desktop window and on a phone (390 × 844),
axe on each: create, edit and delete one of each (a maintenance window is ended, a feed revoked),
every change checked through the GraphQL API; the secrets shown once (ping URL, signing secret,
feed address) are the working ones."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.integration.test_web_app_console_sources import open_console, to_console
from tests.integration.test_web_app_journeys import VIEWPORTS, accessible
from tests.support.browser import Site, needs_axe, needs_chromium, needs_web_app, start_site
from tests.support.databases import TemplateDatabases
from tests.support.graphql import data
from tests.support.processes import serving

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [needs_chromium, needs_web_app, needs_axe]

# The admin the console journeys sign in as (made by the sources module's fixture).
from tests.integration.test_web_app_console_sources import admin_token  # noqa: E402,F401


@pytest.fixture(scope="module")
def site(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    made = start_site(templates, tmp_path_factory.mktemp("console-settings"))
    with serving(made.server):
        yield made


def ask(site: Site, token: str, query: str, **variables: object) -> dict[str, object]:
    return data(site.server.url, token, query, **variables)


def fits(page: Page, viewport: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]


def support_hours(page: Page, site: Site, token: str, viewport: str) -> None:
    name = f"Office {viewport}"
    page.get_by_role("link", name="New support hours").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_role("button", name="Remove window 5").click()  # Monday to Thursday
    page.get_by_role("button", name="Add an exception").click()
    page.get_by_label("Exception 1 date").fill("2026-12-24")
    accessible(page, "support hours form")
    page.get_by_role("button", name="Create support hours").click()
    page.get_by_role("heading", name="Support hours", level=2).wait_for()
    page.locator("#support-hours li", has_text=name).wait_for()
    listed = [h for h in ask(site, token, "{ supportHours { id name timezone weekly exceptions } }")["supportHours"] if h["name"] == name]
    assert len(listed) == 1
    assert listed[0]["timezone"] == "Europe/Berlin"
    assert [w["day"] for w in listed[0]["weekly"]] == ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY"]
    assert listed[0]["exceptions"] == [{"date": "2026-12-24", "closed": True}]
    accessible(page, "support hours list")
    fits(page, viewport)

    # A bad zone is refused beside the zone, and changes nothing.
    page.get_by_role("link", name=f"Edit {name}").click()
    page.get_by_label("Time zone").fill("Mars/Olympus")
    page.get_by_role("button", name="Save support hours").click()
    page.locator("#hours-zone-error, #hours-result").filter(has_text="Mars/Olympus").first.wait_for()
    page.get_by_label("Time zone").fill("Europe/Lisbon")
    page.get_by_label("Window 2 to").fill("25:00")  # beside window 2 this time
    page.get_by_role("button", name="Save support hours").click()
    page.locator("#weekly-1-error", has_text="25:00").wait_for()
    assert page.locator("#hours-zone-error").inner_text() == ""
    accessible(page, "support hours refused")
    page.get_by_label("Window 2 to").fill("17:00")
    page.get_by_label("Window 1 to").fill("18:00")
    page.get_by_role("button", name="Save support hours").click()
    page.locator("#support-hours li", has_text=name).wait_for()
    hours = [h for h in ask(site, token, "{ supportHours { name timezone weekly } }")["supportHours"] if h["name"] == name][0]
    assert hours["timezone"] == "Europe/Lisbon" and hours["weekly"][0] == {"day": "MONDAY", "start": "09:00", "end": "18:00"}

    page.get_by_role("button", name=f"Delete {name}").click()
    page.locator("#support-hours-result", has_text=f"{name} deleted.").wait_for()
    assert name not in [h["name"] for h in ask(site, token, "{ supportHours { name } }")["supportHours"]]


def maintenance(page: Page, site: Site, token: str, viewport: str) -> None:
    summary = f"Upgrade {viewport}"
    page.get_by_role("link", name="New maintenance window").click()
    page.get_by_label("Summary").fill(summary)
    page.get_by_label("Ops API").check()
    accessible(page, "maintenance form")
    page.get_by_role("button", name="Create window").click()
    item = page.locator("#maintenance-windows li", has_text=summary)
    item.wait_for()
    assert item.get_attribute("data-state") == "running"
    policy = ask(site, token, "query($id: ID!) { alertSourcePolicy(sourceId: $id) { inMaintenance } }", id=site.org.api_source_id)
    assert policy["alertSourcePolicy"]["inMaintenance"] is True
    accessible(page, "maintenance list")
    fits(page, viewport)

    page.get_by_role("link", name=f"Edit {summary}").click()
    page.get_by_label("Summary").fill(f"{summary} (db)")
    page.get_by_label("Ops Grafana").check()
    page.get_by_role("button", name="Save window").click()
    item = page.locator("#maintenance-windows li", has_text=f"{summary} (db)")
    item.wait_for()
    assert "Ops Grafana" in item.inner_text()

    page.get_by_role("button", name=f"End now: {summary} (db)").click()
    page.locator('#maintenance-windows li[data-state="ended"]', has_text=f"{summary} (db)").wait_for()
    policy = ask(site, token, "query($id: ID!) { alertSourcePolicy(sourceId: $id) { inMaintenance } }", id=site.org.api_source_id)
    assert policy["alertSourcePolicy"]["inMaintenance"] is False
    page.get_by_role("button", name=f"Delete {summary} (db)").click()
    page.locator("#maintenance-result", has_text="deleted.").wait_for()
    windows = ask(site, token, "query($id: ID!) { maintenanceWindows(sourceId: $id, includeEnded: true) { summary } }", id=site.org.api_source_id)
    assert f"{summary} (db)" not in [w["summary"] for w in windows["maintenanceWindows"]]


def heartbeats(page: Page, site: Site, token: str, viewport: str) -> None:
    name = f"Backup {viewport}"
    page.get_by_label("Source").select_option(label="Ops API")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Interval (seconds, 30 s to 30 days)").fill("10")  # too short
    page.get_by_role("button", name="Create monitor").click()
    page.locator("#heartbeat-interval-error", has_text="intervalSec").wait_for()
    page.get_by_label("Interval (seconds, 30 s to 30 days)").fill("3600")
    page.get_by_role("button", name="Create monitor").click()
    item = page.locator("#heartbeats li", has_text=name)
    item.wait_for()
    ping = item.get_by_role("textbox", name="Ping URL").input_value()
    accessible(page, "heartbeat made")
    fits(page, viewport)
    assert httpx.post(ping, timeout=10).status_code == 202  # the address shown once works

    page.get_by_role("button", name=f"Edit {name}").click()
    page.get_by_label(f"Interval of {name} (seconds)").fill("7200")
    page.get_by_role("button", name=f"Save {name}").click()
    page.locator("#heartbeats-result", has_text=f"{name} saved.").wait_for()
    listed = ask(site, token, "query($id: ID!) { heartbeats(sourceId: $id) { name intervalSec state } }", id=site.org.api_source_id)["heartbeats"]
    assert {"name": name, "intervalSec": 7200, "state": "HEALTHY"} in listed

    page.get_by_role("button", name=f"Delete {name}").click()
    page.locator("#heartbeats-result", has_text=f"{name} deleted.").wait_for()
    listed = ask(site, token, "query($id: ID!) { heartbeats(sourceId: $id) { name } }", id=site.org.api_source_id)["heartbeats"]
    assert name not in [h["name"] for h in listed]


def actions(page: Page, site: Site, token: str, viewport: str) -> None:
    name = f"Ticket {viewport}"
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("URL", exact=True).fill("ftp://tickets.example.com/hook")
    page.get_by_label("For").select_option(label="Source Ops API")
    page.get_by_role("button", name="Create action").click()
    page.locator("#action-url-error", has_text="http(s)").wait_for()
    page.get_by_label("URL", exact=True).fill("https://tickets.example.com/hook")
    page.get_by_role("button", name="Create action").click()
    item = page.locator("#alert-actions li", has_text=name)
    item.wait_for()
    assert len(item.get_by_role("textbox", name="Signing secret").input_value()) >= 16
    accessible(page, "action made")
    fits(page, viewport)

    page.get_by_role("button", name=f"Edit {name}").click()
    page.get_by_label(f"URL of {name}").fill("https://tickets.example.com/v2")
    page.get_by_role("button", name=f"Save {name}").click()
    page.locator("#actions-result", has_text=f"{name} saved.").wait_for()
    page.get_by_role("button", name=f"Disable {name}").click()
    page.locator('#alert-actions li[data-enabled="false"]', has_text=name).wait_for()
    query = "query($id: ID!) { alertActions(sourceId: $id) { name url enabled } }"
    assert {"name": name, "url": "https://tickets.example.com/v2", "enabled": False} in ask(site, token, query, id=site.org.api_source_id)["alertActions"]

    page.get_by_role("button", name=f"Delete {name}").click()
    page.locator("#actions-result", has_text=f"{name} deleted.").wait_for()
    assert name not in [a["name"] for a in ask(site, token, query, id=site.org.api_source_id)["alertActions"]]


def feeds(page: Page, site: Site, token: str, viewport: str) -> None:
    schedule = f"Nights {viewport}"
    ask(site, token, "mutation($n: String!) { createSchedule(name: $n) { id } }", n=schedule)
    to_console(page, "Calendar feeds")  # loads the schedules anew
    page.get_by_label("Feed of").select_option(label=f"Schedule {schedule}")
    page.get_by_role("button", name="Create feed").click()
    item = page.locator("#calendar-feeds li", has_text=schedule)
    item.wait_for()
    address = item.get_by_role("textbox", name="Feed address").input_value()
    assert httpx.get(address, timeout=10).text.startswith("BEGIN:VCALENDAR")
    accessible(page, "feed made")
    fits(page, viewport)
    item.get_by_role("button", name="Revoke").click()
    page.locator("#feeds-result", has_text=f"Feed of {schedule} revoked.").wait_for()
    assert httpx.get(address, timeout=10).status_code == 404
    assert schedule not in [f["scheduleName"] for f in ask(site, token, "{ myCalendarFeeds { scheduleName } }")["myCalendarFeeds"]]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_settings_sections_create_edit_delete(browser, site: Site, admin_token: str, viewport: str) -> None:  # type: ignore[no-untyped-def]
    page = open_console(browser, site, viewport, "Support hours")
    support_hours(page, site, admin_token, viewport)
    to_console(page, "Maintenance windows")
    maintenance(page, site, admin_token, viewport)
    to_console(page, "Heartbeats")
    heartbeats(page, site, admin_token, viewport)
    to_console(page, "Alert actions")
    actions(page, site, admin_token, viewport)
    feeds(page, site, admin_token, viewport)
