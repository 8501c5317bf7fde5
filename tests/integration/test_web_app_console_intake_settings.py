"""The admin console's settings of the email, PagerDuty- and Opsgenie-compatible sources in
Chromium against a real server with an email domain (PAGERLINE_EMAIL_DOMAIN), on a desktop window
and on a phone (390 × 844), axe on each state: an EMAIL source shows its address, the key just
made at the server's domain (and a placeholder for the key after a reload); an invalid resolve
pattern is refused beside its line and nothing is stored; a resolve pattern, an allowed sender
and a key pattern typed (the last save by keyboard) are stored as typed. A PAGERDUTY source
shows /v2/enqueue and saves its severity map (warning → HIGH); an OPSGENIE source shows the API
URL and saves its priority map."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.integration.test_web_app_console_sources import _add_admin, create_source, fits, open_console, source_named, to_console
from tests.integration.test_web_app_journeys import VIEWPORTS, accessible
from tests.support.browser import Site, needs_axe, needs_chromium, needs_web_app, outside_playwright, start_site
from tests.support.databases import TemplateDatabases
from tests.support.graphql import data, in_db
from tests.support.processes import serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [needs_chromium, needs_web_app, needs_axe]

DOMAIN = "alerts.example.test"


@pytest.fixture(scope="module")
def site(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    made = start_site(templates, tmp_path_factory.mktemp("console-intake"), PAGERLINE_EMAIL_DOMAIN=DOMAIN)
    with serving(made.server):
        yield made


@pytest.fixture(scope="module")
def admin_token(site: Site) -> str:
    return outside_playwright(lambda: in_db(site.url, _add_admin))


def intake_settings(site: Site, token: str, source_id: object) -> object:
    query = "query($id: ID!) { alertSourcePolicy(sourceId: $id) { intakeSettings } }"
    return data(site.server.url, token, query, id=source_id)["alertSourcePolicy"]["intakeSettings"]


def new_source(page: Page, name: str, kind: str) -> None:
    page.get_by_role("link", name="New alert source").click()
    create_source(page, name, kind)
    page.locator("#intake-title").wait_for()


def focused(page: Page) -> str:
    return str(page.evaluate("document.activeElement.id || document.activeElement.textContent"))


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_an_email_source_shows_its_address_and_saves_its_intake_settings(browser: Browser, site: Site, admin_token: str, viewport: str) -> None:
    page = open_console(browser, site, viewport, "Alert sources")
    name = f"Mail {viewport}"
    new_source(page, name, "Email")
    source_id = source_named(site, admin_token, name)["id"]

    # The address: the key just made, at the server's email domain.
    key = page.get_by_role("textbox", name="Integration key").input_value()
    address = page.get_by_role("textbox", name="Email address").input_value()
    assert key and address == f"{key}@{DOMAIN}"
    assert page.get_by_role("heading", name="Email intake", level=3).is_visible()
    assert page.get_by_label("Look for the alert key in").input_value() == "SUBJECT"
    accessible(page, "email source made")

    # A pattern that does not compile: refused beside the resolve patterns, by its line; nothing stored.
    page.get_by_label("Resolve patterns (one per line)").fill("RESOLVED\n\n(unclosed")
    page.get_by_label("Allowed senders (one per line)").fill("ops@example.com")
    page.get_by_role("button", name="Save email intake").click()
    refusal = page.locator("#intake-resolve-error")
    refusal.filter(has_text="Line 3 is not a valid regular expression").wait_for()
    assert page.locator("#intake-senders-error").inner_text() == "" and page.locator("#intake-result").inner_text() == ""
    assert "intake-resolve-error" in (page.get_by_label("Resolve patterns (one per line)").get_attribute("aria-describedby") or "")
    assert intake_settings(site, admin_token, source_id) is None
    accessible(page, "resolve pattern refused")

    # Fixed and saved by keyboard: from the allowed senders, Tab reaches the save button.
    page.get_by_label("Alert key pattern").fill(r"ticket #(\d+)")
    page.get_by_label("Resolve patterns (one per line)").fill("RESOLVED|recovered")
    senders = page.get_by_label("Allowed senders (one per line)")
    senders.fill("")
    senders.focus()
    page.keyboard.type("ops@example.com")
    page.keyboard.press("Tab")
    assert focused(page) == "Save email intake"
    page.keyboard.press("Enter")
    page.locator("#intake-result", has_text="Email intake saved.").wait_for()
    assert refusal.inner_text() == ""
    assert intake_settings(site, admin_token, source_id) == {
        "email": {"alertKeyPattern": r"ticket #(\d+)", "resolvePatterns": ["RESOLVED|recovered"], "allowedSenders": ["ops@example.com"]}
    }
    accessible(page, "email intake saved")
    fits(page, viewport)

    # After a reload the key is gone: the address has a placeholder; the settings read back.
    page.goto(site.server.url + "/")
    page.locator('#connection[data-state="live"]').wait_for()
    to_console(page, "Alert sources")
    page.get_by_role("link", name=name, exact=True).click()
    page.locator("#intake-title").wait_for()
    assert page.get_by_role("textbox", name="Email address").input_value() == f"<integration key>@{DOMAIN}"
    assert page.get_by_label("Resolve patterns (one per line)").input_value() == "RESOLVED|recovered"
    assert page.get_by_label("Allowed senders (one per line)").input_value() == "ops@example.com"
    assert page.get_by_label("Alert key pattern").input_value() == r"ticket #(\d+)"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_pagerduty_and_opsgenie_sources_show_their_urls_and_save_their_priority_maps(
    browser: Browser, site: Site, admin_token: str, viewport: str
) -> None:
    page = open_console(browser, site, viewport, "Alert sources")
    name = f"PagerDuty {viewport}"
    new_source(page, name, "PagerDuty Events API v2")
    source_id = source_named(site, admin_token, name)["id"]
    assert page.get_by_role("textbox", name="Integration URL").input_value() == f"{site.server.url}/v2/enqueue"
    assert "routing_key" in page.locator("#integration-hint").inner_text()
    assert page.locator("#intake-title").inner_text() == "PagerDuty severities"
    assert page.get_by_label("Resolve patterns (one per line)").count() == 0  # only the part this type reads
    assert [page.get_by_label(s, exact=True).input_value() for s in ("critical", "error", "warning", "info")] == ["HIGH", "HIGH", "LOW", "LOW"]
    page.get_by_label("warning", exact=True).select_option("HIGH")
    page.get_by_role("button", name="Save PagerDuty severities").click()
    page.locator("#intake-result", has_text="PagerDuty severities saved.").wait_for()
    assert intake_settings(site, admin_token, source_id) == {
        "pagerdutySeverities": {"critical": "HIGH", "error": "HIGH", "warning": "HIGH", "info": "LOW"}
    }
    accessible(page, "pagerduty severities saved")
    fits(page, viewport)

    page.get_by_role("link", name="All alert sources").click()
    name = f"Opsgenie {viewport}"
    new_source(page, name, "Opsgenie Alert API")
    source_id = source_named(site, admin_token, name)["id"]
    assert page.get_by_role("textbox", name="API URL").input_value() == f"{site.server.url}/"
    hint = page.locator("#integration-hint").inner_text()
    assert "GenieKey" in hint and f"{site.server.url}/v2/alerts" in hint
    assert page.locator("#intake-title").inner_text() == "Opsgenie priorities"
    page.get_by_label("P1", exact=True).select_option("LOW")
    page.get_by_label("P3", exact=True).select_option("HIGH")
    page.get_by_role("button", name="Save Opsgenie priorities").click()
    page.locator("#intake-result", has_text="Opsgenie priorities saved.").wait_for()
    assert intake_settings(site, admin_token, source_id) == {
        "opsgeniePriorities": {"P1": "LOW", "P2": "HIGH", "P3": "HIGH", "P4": "LOW", "P5": "LOW"}
    }
    accessible(page, "opsgenie priorities saved")
    fits(page, viewport)
