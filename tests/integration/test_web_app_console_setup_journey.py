"""A new admin sets up an organisation from nothing in the admin console, in Chromium, on a
desktop window and on a phone (390 × 844), with axe on every console page:

a team, three people invited into it, a weekly rotation of them with a weekday window and an
override, an escalation policy of two levels (the rotation, then one person), an Alertmanager
source on that policy. The policy's preview names who would be paged now; then an Alertmanager
notification sent over HTTP to the URL the console gave opens an alert whose timeline pages that
same person, who is the one the schedule's timeline shows on call now.

Each viewport gets its own server on an empty database with one admin, as `pagerline user create
--role ADMIN` leaves a new installation. The rotation starts three days before the test's "now"
at 09:00 in the schedule's zone and its window runs from the day before today to the day after,
so the first person is on call now at any hour the test runs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from pagerline.engine.people.accounts import create_user
from pagerline.models import Role
from tests.integration.test_web_app_journeys import VIEWPORTS, accessible
from tests.support import console
from tests.support.browser import SLOW_MS, needs_axe, needs_chromium, needs_web_app, outside_playwright, submit_sign_in, wait_live
from tests.support.databases import TemplateDatabases
from tests.support.graphql import data, in_db
from tests.support.live import embedded_env
from tests.support.polling import wait_until
from tests.support.processes import Server, serving, start_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [needs_chromium, needs_web_app, needs_axe]

ZONE = "Europe/Berlin"
ADMIN = ("root@new.test", "Rita", "rita-password-1")
PEOPLE = ("Ann", "Ben", "Cat")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


async def _first_admin() -> None:
    email, name, password = ADMIN
    await create_user(email, name, password, Role.ADMIN, "UTC", [])


@dataclass(frozen=True)
class EmptySite:
    server: Server
    console_log: Path  # what the console transport "sent"

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
def empty_site(templates: TemplateDatabases, tmp_path: Path) -> Iterator[EmptySite]:
    """``pagerline serve`` on a new database whose only user is one admin."""

    def made() -> str:
        url = templates.sqlite(tmp_path)
        in_db(url, _first_admin)
        return url

    url = outside_playwright(made)
    server = start_server(embedded_env(url, tmp_path), tmp_path)
    with serving(server):
        yield EmptySite(server, tmp_path / "console.log")


def admin_token(server: EmptySite) -> str:
    email, _, password = ADMIN
    return str(data(server.url, None, "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }", e=email, p=password)["login"]["token"])


def open_section(page: Page, section: str) -> None:
    nav = page.get_by_role("navigation", name="Admin")
    if not nav.is_visible():
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    nav.get_by_role("link", name=section, exact=True).click()
    page.get_by_role("heading", name=section, exact=True).first.wait_for()


def fits(page: Page, viewport: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"], "the page scrolls sideways"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_new_admin_sets_up_an_organisation_and_the_preview_names_who_is_then_paged(
    browser: Browser, empty_site: EmptySite, viewport: str
) -> None:
    phone = viewport == "phone"
    context = browser.new_context(viewport=VIEWPORTS[viewport], is_mobile=phone, has_touch=phone)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(SLOW_MS)
    page.goto(empty_site.url + "/")
    submit_sign_in(page, ADMIN[0], ADMIN[2])
    wait_live(page, alert_list=False)
    token = admin_token(empty_site)

    # 1. A team.
    open_section(page, "Teams")
    accessible(page, "teams")
    page.get_by_label("Team name").fill("Payments")
    page.get_by_role("button", name="Create team").click()
    page.get_by_text("Team Payments created.").wait_for()
    accessible(page, "team")

    # 2. Three people, invited into the team.
    links: dict[str, str] = {}
    for person in PEOPLE:
        open_section(page, "Users")
        page.get_by_role("link", name="Invite a user").click()
        page.get_by_label("Email", exact=True).fill(f"{person.lower()}@new.test")
        page.get_by_label("Name", exact=True).fill(person)
        page.get_by_role("checkbox", name="Payments").check()
        page.get_by_label("Time zone").fill(ZONE)
        page.get_by_role("button", name="Invite", exact=True).click()
        links[person] = page.get_by_label(re.compile("^Invitation link")).input_value()
        accessible(page, f"{person} invited")
        fits(page, viewport)
    people = {u["name"]: u for u in data(empty_site.url, token, "{ users { id name teams { name } } }")["users"]}
    assert all([t["name"] for t in people[p]["teams"]] == ["Payments"] for p in PEOPLE)
    # Ann takes up her invitation and signs in on her phone's app, which registers it for pushes
    # (her side, through the API as the app does; the web app's own invitation page has its
    # journey in test_web_app_console_people_journeys).
    ann = accept_invitation_and_register_a_phone(empty_site, links["Ann"])

    # 3. A weekly rotation of the three, in a window around today, and an override next week.
    now = datetime.now(ZoneInfo(ZONE))
    start = (now - timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    open_section(page, "Schedules")
    accessible(page, "schedules")
    page.get_by_role("link", name="New schedule").click()
    page.get_by_label("Name", exact=True).fill("Payments primary")
    page.get_by_label("Time zone").fill(ZONE)
    page.get_by_label("Time zone").press("Tab")
    page.get_by_label("Team").select_option(label="Payments")
    page.get_by_role("button", name="Create schedule").click()
    page.get_by_role("heading", name="Payments primary").wait_for()
    schedule_id = page.evaluate("location.pathname").rstrip("/").rsplit("/", 1)[1]

    page.get_by_text("Add a layer").click()
    layer = page.get_by_role("form", name="New layer")
    layer.get_by_label("Turn length").fill("1")
    layer.get_by_label("Unit").select_option("weeks")
    layer.get_by_label("Start and first handoff date").fill(start.strftime("%Y-%m-%d"))
    layer.get_by_label("Start and first handoff time").fill("09:00")
    layer.get_by_role("button", name="Add a weekly window").click()
    layer.get_by_label("From", exact=True).select_option(label=WEEKDAYS[(now.weekday() - 1) % 7])
    layer.get_by_label("Window 1 start time").fill("00:00")
    layer.get_by_label("to", exact=True).select_option(label=WEEKDAYS[(now.weekday() + 2) % 7])
    layer.get_by_label("Window 1 end time").fill("00:00")
    for person in PEOPLE:
        layer.get_by_label("Add a person").select_option(label=person)
        layer.get_by_role("button", name="Add person").click()
    layer.get_by_role("button", name="Add layer").click()
    page.locator("#schedule-status", has_text="Layer added.").wait_for()

    override_day = (now + timedelta(days=8)).strftime("%Y-%m-%d")
    page.get_by_text("Add an override").click()
    override = page.get_by_role("form", name="Add override")
    override.get_by_label("Person").select_option(label="Cat")
    override.get_by_label("Start date").fill(override_day)
    override.get_by_label("Start time").fill("10:00")
    override.get_by_label("End date").fill(override_day)
    override.get_by_label("End time").fill("12:00")
    override.get_by_role("button", name="Add override").click()
    page.locator("#schedule-status", has_text="Override added.").wait_for()
    accessible(page, "schedule")
    fits(page, viewport)

    # The schedule as the API has it: the rotation with its window, and the override.
    made = data(
        empty_site.url, token,
        "query($id: ID!) { schedule(id: $id) { timezone layers { rotation userIds restrictions { startDay endDay } } onCall { name } } }",
        id=schedule_id,
    )["schedule"]
    assert made["timezone"] == ZONE
    [rotation] = made["layers"]
    assert rotation["userIds"] == [people[p]["id"] for p in PEOPLE] and len(rotation["restrictions"]) == 1
    assert made["onCall"] == {"name": "Ann"}

    # Who the timeline shows on call now: the final shift covering this moment.
    on_call_in_timeline = page.evaluate(
        """() => {
            const now = Date.now();
            const item = [...document.querySelectorAll('#final-shifts > li[data-start]')]
                .find((li) => Date.parse(li.dataset.start) <= now && now < Date.parse(li.dataset.end));
            return item ? item.querySelector('strong').textContent : null;
        }"""
    )
    assert on_call_in_timeline == "Ann"

    # 4. A policy: the rotation, then Ben.
    open_section(page, "Escalation policies")
    accessible(page, "policies")
    page.get_by_role("link", name="New escalation policy").click()
    page.get_by_label("Name", exact=True).fill("Payments escalation")
    page.get_by_label("Team").select_option(label="Payments")
    page.locator('fieldset[data-level="1"]').get_by_role("checkbox", name="Payments primary").check()
    page.get_by_label("Level 1: minutes before the next level").fill("5")
    page.get_by_role("button", name="Add level").click()
    page.locator('fieldset[data-level="2"]').get_by_role("checkbox", name="Ben").check()
    page.get_by_role("button", name="Create policy").click()
    page.wait_for_url(re.compile(r"/admin/policies/\d+$"))
    page.locator('#preview-result[data-at="now"] li').first.wait_for()
    preview = page.locator("#preview-result").inner_text()
    level_1, level_2 = page.locator("#preview-result li").all_inner_texts()[:2]
    assert "Ann" in level_1 and "Ben" not in level_1 and "Ben" in level_2, preview
    accessible(page, "policy")
    fits(page, viewport)

    # 5. An Alertmanager source on that policy; its URL from the console.
    open_section(page, "Alert sources")
    accessible(page, "sources")
    page.get_by_role("link", name="New alert source").click()
    page.get_by_label("Name").fill("Prometheus")
    page.get_by_label("Integration type").select_option(label="Prometheus Alertmanager")
    page.get_by_label("Escalation policy").select_option(label="Payments escalation")
    page.get_by_role("button", name="Create source").click()
    page.get_by_role("heading", name="Prometheus", level=2).wait_for()
    url = page.get_by_role("textbox", name="Integration URL").input_value()
    assert url.startswith(f"{empty_site.url}/api/events/alertmanager/")
    accessible(page, "source")
    fits(page, viewport)

    # 6. Alertmanager fires: the alert pages the person the preview and the timeline named.
    sent = httpx.post(url, json=alertmanager_notification(), timeout=30)
    assert sent.status_code < 300, sent.text
    wait_until(lambda: console.pages(empty_site.console_log), timeout=30, what="the first page")
    [alert] = [e["node"] for e in data(empty_site.url, token, "{ alerts(first: 5) { edges { node { id summary } } } }")["alerts"]["edges"]]
    assert "Payments API down" in alert["summary"]
    pages = console.pages(empty_site.console_log)
    assert {(page_["user_id"], page_["alert_id"]) for page_ in pages} == {(int(ann), int(alert["id"]))}

    page.goto(f"{empty_site.url}/alerts/{alert['id']}")
    page.locator(f'article.alert-page[data-alert-id="{alert["id"]}"]', has_text="Ann").wait_for()


def accept_invitation_and_register_a_phone(site: EmptySite, link: str) -> str:
    """The invited person's id, once they set a password and their phone's app registered."""
    token = link.rsplit("/", 1)[1]
    accepted = data(
        site.url, None,
        "mutation($t: String!) { acceptInvitation(token: $t, password: \"ann-password-1\") { token user { id } } }", t=token,
    )["acceptInvitation"]
    data(
        site.url, accepted["token"],
        'mutation { registerDevice(platform: ANDROID, provider: FCM, token: "ann-phone") { id } }',
    )
    return str(accepted["user"]["id"])


def alertmanager_notification() -> dict[str, Any]:
    """What Alertmanager's webhook receiver posts (version 4) for one firing alert."""
    labels = {"alertname": "PaymentsDown", "severity": "critical", "instance": "pay-1"}
    return {
        "version": "4",
        "groupKey": '{}:{alertname="PaymentsDown"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "pagerline",
        "groupLabels": {"alertname": "PaymentsDown"},
        "commonLabels": labels,
        "commonAnnotations": {"summary": "Payments API down"},
        "externalURL": "http://alertmanager.test",
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": {"summary": "Payments API down"},
                "startsAt": "2026-12-03T10:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.test/graph",
                "fingerprint": "a1b2c3d4e5f60718",
            }
        ],
    }
