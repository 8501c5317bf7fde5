"""The console's Schedules section in Chromium against a real server.

- The timeline's final schedule, as the page draws and lists it, is exactly the API's ``shifts``
  for the same window, and its gaps the API's ``gaps``, in four zones (two weeks across a
  spring-forward, a fall-back, the southern hemisphere's change, and a half-hour zone with none),
  each shift's times written on the schedule's clock and the changed day drawn 23 or 25 hours long.
- A journey on a desktop window and a phone (390 × 844), axe on every step: an admin creates a
  schedule, a weekly rotation restricted to weekdays, and an override, and sees the final schedule.
- The turn order of a layer reordered by keyboard (arrow keys on a handle, announced, focus kept),
  a Move button and dragging, then saved.

Every window is a fixed date, so the tests do not depend on the day they run.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from pagerline.engine.people.accounts import create_token, create_user
from pagerline.engine.schedules.editing import LayerInput, Restriction, create_schedule
from pagerline.models import Role, ScheduleKind, ScheduleOverride, TokenKind
from tests.integration.test_web_app_journeys import VIEWPORTS, accessible, open_in
from tests.support.browser import Site, needs_axe, needs_chromium, needs_web_app, outside_playwright, sign_in
from tests.support.graphql import data, in_db

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [needs_chromium, needs_web_app, needs_axe]

ADMIN_EMAIL = "admin@ops.test"
ADMIN_PASSWORD = "admin-password"

FINAL = """
query($id: ID!, $from: DateTime!, $until: DateTime!) {
  schedule(id: $id) {
    shifts(from: $from, until: $until) { user { id } start end }
    gaps(from: $from, until: $until) { start end }
    layers { id endsOn userIds }
  }
}
"""


@pytest.fixture(scope="module")
def admin(site: Site) -> tuple[int, str]:
    """An admin (no device: nobody can page them) and an API token of theirs. A short name: the
    header's links and the name beside them share a phone's width."""

    async def work() -> tuple[int, str]:
        user = await create_user(ADMIN_EMAIL, "Ada", ADMIN_PASSWORD, Role.ADMIN, "UTC", ["Ops"])
        _, token = await create_token(user.id, TokenKind.API, datetime.now(UTC), "test")
        return user.id, token

    return outside_playwright(lambda: in_db(site.url, work))


def go(page: Page, path: str) -> None:
    """Follow an address inside the open app, as its links do (no reload)."""
    page.evaluate("(to) => { history.pushState(null, '', to); dispatchEvent(new PopStateEvent('popstate')); }", path)


def local_label(at: datetime, zone: ZoneInfo) -> str:
    """How the page writes an instant: "Mon 22 Mar 09:00" on the schedule's clock."""
    local = at.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M}"


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def page_iso(at: datetime) -> str:
    """``Date.toISOString()`` of an instant."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def open_timeline(page: Page, site: Site, schedule_id: int, first: date, weeks: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    end_day = first + timedelta(days=7 * weeks)
    until = datetime(end_day.year, end_day.month, end_day.day, tzinfo=zone)
    go(page, f"/admin/schedules/{schedule_id}?weeks={weeks}&from={first.isoformat()}")
    page.locator(f'#schedule-timeline[data-from="{page_iso(start)}"][data-until="{page_iso(until)}"]').wait_for()
    return start, until


def listed_final(page: Page) -> list[dict[str, str]]:
    return page.eval_on_selector_all(  # type: ignore[no-any-return]
        "#final-shifts > li[data-start]",
        "items => items.map((item) => ({start: item.dataset.start, end: item.dataset.end, user: item.dataset.userId,"
        " when: item.querySelector('.tl-when').textContent, text: item.textContent}))",
    )


def drawn(page: Page, selector: str) -> set[tuple[datetime, datetime, str]]:
    found = page.eval_on_selector_all(selector, "pieces => pieces.map((p) => [p.dataset.start, p.dataset.end, p.dataset.userId])")
    return {(instant(start), instant(end), user) for start, end, user in found}


def api_final(site: Site, token: str, schedule_id: int, start: datetime, until: datetime) -> dict[str, Any]:
    return data(site.server.url, token, FINAL, id=str(schedule_id), **{"from": start.isoformat(), "until": until.isoformat()})["schedule"]


# Each zone with a Monday two weeks before which its clocks change (or do not), and the length
# of each day of those two weeks on its clock.
ZONES = [
    ("Europe/Berlin", date(2027, 3, 22), {date(2027, 3, 28): 23}),
    ("America/New_York", date(2026, 10, 26), {date(2026, 11, 1): 25}),
    ("Australia/Sydney", date(2027, 3, 29), {date(2027, 4, 4): 25}),
    ("Asia/Kolkata", date(2026, 12, 7), {}),
]


def zoned_schedule(site: Site, admin_id: int, zone_name: str, first: date) -> int:
    """Weekday days handed off daily at 09:00 between Alice and Bob, weekends (Sat 10:00 to Sun
    10:00) in 12-hour turns of Bob and the admin on top, the rest a gap; an override by Alice
    across the night the clocks change."""

    async def work() -> int:
        zone = ZoneInfo(zone_name)
        began = datetime(2026, 1, 5, 9, tzinfo=zone)
        schedule = await create_schedule(f"Zoned {zone_name}", zone_name, ScheduleKind.RECURRING, site.org.team_id, [
            LayerInput(began, "P1D", [site.org.alice_id, site.org.bob_id], None, [Restriction(0, "09:00", 4, "17:00")]),
            LayerInput(began, "PT12H", [site.org.bob_id, admin_id], None, [Restriction(5, "10:00", 6, "10:00")]),
        ])
        sunday = first + timedelta(days=6)
        night = datetime(sunday.year, sunday.month, sunday.day, 0, 30, tzinfo=zone)
        await ScheduleOverride.create(schedule_id=schedule.id, user_id=site.org.alice_id, start=night, end=night + timedelta(hours=4))
        return schedule.id

    return outside_playwright(lambda: in_db(site.url, work))


def test_the_timeline_final_schedule_is_the_api_shifts_in_every_zone(browser: Browser, site: Site, admin: tuple[int, str]) -> None:
    admin_id, token = admin
    page = open_in(browser, site, "desktop")
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD, alert_list=False)
    for zone_name, first, changed in ZONES:
        zone = ZoneInfo(zone_name)
        schedule_id = zoned_schedule(site, admin_id, zone_name, first)
        start, until = open_timeline(page, site, schedule_id, first, 2, zone)
        expected = api_final(site, token, schedule_id, start, until)
        want = [(instant(s["start"]), instant(s["end"]), s["user"]["id"] if s["user"] else "") for s in expected["shifts"]]
        assert len(want) > 10, zone_name

        listed = listed_final(page)
        assert sorted((instant(i["start"]), instant(i["end"]), i["user"]) for i in listed) == sorted(want), zone_name
        # Written on the schedule's clock, whatever the browser's zone.
        assert [i["when"] for i in listed] == [f"{local_label(s, zone)} – {local_label(e, zone)}" for s, e, _ in sorted(want)], zone_name
        # Drawn: the final row's pieces (a shift cut at a week's edge is one shift) are the same shifts.
        assert drawn(page, '.tl-row[data-row="final"] .tl-piece.tl-shift') == set(want), zone_name
        gaps = {(instant(g["start"]), instant(g["end"]), "") for g in expected["gaps"]}
        assert gaps, zone_name
        assert drawn(page, '.tl-row[data-row="final"] .tl-piece.tl-gap') == gaps, zone_name
        assert len(page.locator("#schedule-gaps > li[data-start]").all()) == len(gaps)
        # The admin has no way to be paged: their weekend turns are flagged.
        assert page.locator('.tl-row[data-row="final"] .tl-piece.tl-unreachable').count() > 0, zone_name
        assert "Ada" in page.locator("#timeline-unreachable-warning").inner_text()
        # Each day is drawn as long as it is on the schedule's clock.
        hours = dict(page.eval_on_selector_all(".tl-week .tl-day", "days => days.map((d) => [d.dataset.day, Number(d.dataset.hours)])"))
        assert len(hours) == 14, zone_name
        assert {day: h for day, h in hours.items() if h != 24} == {d.isoformat(): h for d, h in changed.items()}, zone_name


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_an_admin_builds_a_weekday_rotation_with_an_override_and_sees_the_final_schedule(
    browser: Browser, site: Site, admin: tuple[int, str], viewport: str
) -> None:
    _, token = admin
    name = f"Weekdays {viewport}"
    page = open_in(browser, site, viewport)
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD, alert_list=False)
    go(page, "/admin")
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Schedules").click()
    page.get_by_role("heading", name="Schedules", exact=True).wait_for()
    accessible(page, "schedule list")
    page.get_by_role("link", name="New schedule").click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_label("Time zone").press("Tab")  # closes the zone suggestions
    page.get_by_label("Team").select_option(label="Ops")
    accessible(page, "new schedule")
    page.get_by_role("button", name="Create schedule").click()
    page.wait_for_url(re.compile(r"/admin/schedules/\d+$"))
    schedule_id = int(page.url.rsplit("/", 1)[1])
    page.get_by_role("heading", name=name).wait_for()

    page.get_by_text("Add a layer").click()
    layer = page.get_by_role("form", name="New layer")
    layer.get_by_label("Turn length").fill("1")
    layer.get_by_label("Unit").select_option("weeks")
    layer.get_by_label("Start and first handoff date").fill("2026-01-05")
    layer.get_by_label("Start and first handoff time").fill("09:00")
    layer.get_by_role("button", name="Add a weekly window").click()  # Monday 09:00 to Friday 17:00
    for person in ("Alice", "Bob"):
        layer.get_by_label("Add a person").select_option(label=person)
        layer.get_by_role("button", name="Add person").click()
    accessible(page, "new layer")
    layer.get_by_role("button", name="Add layer").click()
    page.locator("#schedule-status", has_text="Layer added.").wait_for()

    page.get_by_text("Add an override").click()
    override = page.get_by_role("form", name="Add override")
    override.get_by_label("Person").select_option(label="Alice")
    override.get_by_label("Start date").fill("2027-03-24")
    override.get_by_label("Start time").fill("10:00")
    override.get_by_label("End date").fill("2027-03-24")
    override.get_by_label("End time").fill("12:00")
    override.get_by_role("button", name="Add override").click()
    page.locator("#schedule-status", has_text="Override added.").wait_for()

    zone = ZoneInfo("Europe/Berlin")
    start, until = open_timeline(page, site, schedule_id, date(2027, 3, 22), 1, zone)
    # 63 weeks after the first handoff: Bob's turn; Alice's override cuts it; weekdays only.
    assert [" ".join(item["text"].split()) for item in listed_final(page)] == [
        "Mon 22 Mar 09:00 – Wed 24 Mar 10:00 Bob",
        "Wed 24 Mar 10:00 – Wed 24 Mar 12:00 Alice override",
        "Wed 24 Mar 12:00 – Fri 26 Mar 17:00 Bob",
    ]
    expected = api_final(site, token, schedule_id, start, until)
    assert [(instant(i["start"]), instant(i["end"])) for i in listed_final(page)] == [
        (instant(s["start"]), instant(s["end"])) for s in expected["shifts"]
    ]
    gaps = [" ".join(text.split()) for text in page.locator("#schedule-gaps > li").all_inner_texts()]
    assert gaps == ["Mon 22 Mar 00:00 – Mon 22 Mar 09:00 nobody on call", "Fri 26 Mar 17:00 – Mon 29 Mar 00:00 nobody on call"]
    assert [" ".join(text.split()) for text in page.locator("#override-list li .tl-when, #override-list li strong").all_inner_texts()] == [
        "Wed 24 Mar 10:00 – Wed 24 Mar 12:00", "Alice"
    ]
    assert page.locator('.tl-row[data-row="overrides"] .tl-piece').count() == 1
    accessible(page, "timeline")
    # Nothing sticks out of the window: the timeline's rows scroll inside it.
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]


def test_a_layers_turn_order_by_keyboard_button_and_drag(browser: Browser, site: Site, admin: tuple[int, str]) -> None:
    from playwright.sync_api import expect

    admin_id, token = admin

    async def work() -> int:
        made = await create_schedule("Order", "UTC", ScheduleKind.RECURRING, site.org.team_id, [
            LayerInput(datetime(2026, 1, 5, 9, tzinfo=UTC), "P7D", [site.org.alice_id, site.org.bob_id, admin_id]),
        ])
        return made.id

    schedule_id = outside_playwright(lambda: in_db(site.url, work))
    page = open_in(browser, site, "desktop")
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD, alert_list=False)
    go(page, f"/admin/schedules/{schedule_id}")
    form = page.get_by_role("form", name="Edit layer 1")
    rows = form.locator(".sched-order > li")
    rows.first.wait_for()

    def order() -> list[str]:
        return rows.locator(".sched-person").all_inner_texts()

    def announced(text: str) -> None:
        form.get_by_role("status").filter(has_text=text).wait_for()

    assert order() == ["Alice", "Bob", "Ada"]
    # The admin cannot be paged, and the row says so.
    assert form.locator(f'.sched-order > li[data-user-id="{admin_id}"] .sched-unreachable').inner_text().strip() == "not reachable"

    form.get_by_role("button", name="Reorder Bob, position 2 of 3").focus()
    page.keyboard.press("ArrowUp")
    announced("Bob moved to position 1 of 3")
    assert order() == ["Bob", "Alice", "Ada"]
    # The focus stays on Bob's handle, so the keys carry him on.
    expect(form.get_by_role("button", name="Reorder Bob, position 1 of 3")).to_be_focused()
    page.keyboard.press("ArrowDown")
    announced("Bob moved to position 2 of 3")
    expect(form.get_by_role("button", name="Reorder Bob, position 2 of 3")).to_be_focused()
    page.keyboard.press("ArrowDown")
    announced("Bob moved to position 3 of 3")
    expect(form.get_by_role("button", name="Reorder Bob, position 3 of 3")).to_be_focused()
    assert order() == ["Alice", "Ada", "Bob"]

    form.get_by_role("button", name="Move up Ada").click()
    announced("Ada moved to position 1 of 3")
    assert order() == ["Ada", "Alice", "Bob"]

    rows.nth(2).locator(".sched-person").drag_to(rows.nth(0).locator(".sched-person"))
    announced("Bob moved to position 1 of 3")
    assert order() == ["Bob", "Ada", "Alice"]
    accessible(page, "layer order")

    form.get_by_role("button", name="Save layer 1").click()
    page.locator("#schedule-status", has_text="Layer saved.").wait_for()
    now = datetime.now(UTC)
    layers = api_final(site, token, schedule_id, now, now + timedelta(days=1))["layers"]
    current = [layer for layer in layers if layer["endsOn"] is None or instant(layer["endsOn"]) > now]
    assert [layer["userIds"] for layer in current] == [[str(site.org.bob_id), str(admin_id), str(site.org.alice_id)]]


def test_a_running_layers_end_is_set_in_its_form(browser: Browser, site: Site, admin: tuple[int, str]) -> None:
    _, token = admin

    async def work() -> int:
        made = await create_schedule("Ends", "UTC", ScheduleKind.RECURRING, site.org.team_id, [
            LayerInput(datetime(2026, 1, 5, 9, tzinfo=UTC), "P7D", [site.org.alice_id, site.org.bob_id]),
        ])
        return made.id

    schedule_id = outside_playwright(lambda: in_db(site.url, work))
    page = open_in(browser, site, "desktop")
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD, alert_list=False)
    go(page, f"/admin/schedules/{schedule_id}")
    form = page.get_by_role("form", name="Edit layer 1")
    end = (datetime.now(UTC) + timedelta(days=10)).replace(hour=9, minute=0, second=0, microsecond=0)
    form.get_by_label("End (empty: no end) date").fill(end.strftime("%Y-%m-%d"))
    form.get_by_label("End (empty: no end) time").fill("09:00")
    form.get_by_role("button", name="Save layer 1").click()
    page.locator("#schedule-status", has_text="Layer saved.").wait_for()
    now = datetime.now(UTC)
    layers = api_final(site, token, schedule_id, now, now + timedelta(days=1))["layers"]
    current = [layer for layer in layers if layer["endsOn"] is None or instant(layer["endsOn"]) > now]
    assert [instant(layer["endsOn"]) for layer in current] == [end]
    page.get_by_role("form", name="Edit layer 1").get_by_label("End (empty: no end) date").wait_for()
    assert page.get_by_role("form", name="Edit layer 1").get_by_label("End (empty: no end) date").input_value() == end.strftime("%Y-%m-%d")
    accessible(page, "layer with an end")


def test_layers_reordered_and_deleted_live_edits_and_a_schedule_in_use_kept(browser: Browser, site: Site, admin: tuple[int, str]) -> None:
    from pagerline.models import EscalationRule

    _, token = admin

    async def made() -> int:
        schedule = await create_schedule("Layers", "UTC", ScheduleKind.RECURRING, site.org.team_id, [
            LayerInput(datetime(2026, 1, 5, 9, tzinfo=UTC), "P7D", [site.org.alice_id]),
            LayerInput(datetime(2026, 1, 5, 9, tzinfo=UTC), "P1D", [site.org.bob_id]),
        ])
        rule = await EscalationRule.filter(policy_id=site.org.policy_id).order_by("position").first()
        assert rule is not None
        await rule.schedules.add(schedule)
        return schedule.id

    async def out_of_policy() -> None:
        rule = await EscalationRule.filter(policy_id=site.org.policy_id).order_by("position").first()
        assert rule is not None
        await rule.schedules.clear()

    schedule_id = outside_playwright(lambda: in_db(site.url, made))

    def layers() -> list[dict[str, Any]]:
        found = data(site.server.url, token, "query($id: ID!) { schedule(id: $id) { layers { id position userIds } } }", id=str(schedule_id))
        return sorted(found["schedule"]["layers"], key=lambda layer: layer["position"])

    alice_layer, bob_layer = (layer["id"] for layer in layers())
    page = open_in(browser, site, "desktop")
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD, alert_list=False)
    go(page, f"/admin/schedules/{schedule_id}")
    cards = page.locator(".sched-layer h4")
    cards.first.wait_for()
    assert [" ".join(text.split()) for text in cards.all_inner_texts()] == ["Layer 2 (1 day turns)", "Layer 1 (1 week turns)"]

    page.get_by_role("button", name="Move layer up from Layer 1").click()
    page.locator("#schedule-status", has_text="Layer 1 is now layer 2.").wait_for()
    assert [layer["id"] for layer in layers()] == [bob_layer, alice_layer]
    page.locator(f'.sched-layer[data-layer-id="{alice_layer}"] h4', has_text="Layer 2").wait_for()

    # Another admin's edit shows up by itself.
    data(site.server.url, token, 'mutation($id: ID!) { updateSchedule(id: $id, name: "Layers renamed") { id } }', id=str(schedule_id))
    page.get_by_role("heading", name="Layers renamed").wait_for()

    bob_card = page.locator(f'.sched-layer[data-layer-id="{bob_layer}"]')
    bob_card.get_by_role("button", name="Delete layer 1").click()
    bob_card.get_by_role("button", name="Yes, delete Layer 1").click()
    page.locator("#schedule-status", has_text="Layer 1 deleted.").wait_for()
    assert [layer["id"] for layer in layers()] == [alice_layer]
    accessible(page, "layers")

    # A policy pages the schedule: the server refuses, naming it, and the schedule stays.
    page.get_by_role("button", name="Delete schedule").click()
    page.get_by_role("button", name="Yes, delete Layers renamed").click()
    assert "Ops policy" in page.locator("#delete-problem").inner_text()
    assert len(layers()) == 1

    outside_playwright(lambda: in_db(site.url, out_of_policy))
    page.get_by_role("button", name="Delete schedule").click()
    page.get_by_role("button", name="Yes, delete Layers renamed").click()
    page.wait_for_url("**/admin/schedules")
    page.locator("#schedule-list, .empty").first.wait_for()
    assert page.locator(f'#schedule-list li[data-schedule-id="{schedule_id}"]').count() == 0
    assert data(site.server.url, token, "query($id: ID!) { schedule(id: $id) { id } }", id=str(schedule_id))["schedule"] is None


def test_a_static_schedule_its_shifts_and_the_servers_refusals_beside_their_fields(browser: Browser, site: Site, admin: tuple[int, str]) -> None:
    _, token = admin

    async def made() -> int:
        return (await create_schedule("Fixed", "Europe/Berlin", ScheduleKind.STATIC, site.org.team_id)).id

    schedule_id = outside_playwright(lambda: in_db(site.url, made))
    zone = ZoneInfo("Europe/Berlin")
    page = open_in(browser, site, "desktop")
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD, alert_list=False)
    start, until = open_timeline(page, site, schedule_id, date(2027, 3, 22), 1, zone)
    assert page.locator(".sched-layers").count() == 0  # a static schedule has no layers

    form = page.get_by_role("form", name="Add shift")
    form.get_by_label("Person").select_option(label="Alice")
    form.get_by_label("Start date").fill("2027-03-23")
    form.get_by_label("Start time").fill("08:00")
    form.get_by_label("End date").fill("2027-03-23")
    form.get_by_label("End time").fill("20:00")
    form.get_by_role("button", name="Add shift").click()
    page.locator("#schedule-status", has_text="Shift added.").wait_for()
    page.locator("#static-shift-list li").first.wait_for()
    assert [" ".join(t.split()) for t in page.locator("#static-shift-list li .tl-when").all_inner_texts()] == ["Tue 23 Mar 08:00 – Tue 23 Mar 20:00"]
    shifts = api_final(site, token, schedule_id, start, until)["shifts"]
    assert [(instant(s["start"]), instant(s["end"]), s["user"]["id"]) for s in shifts] == [
        (datetime(2027, 3, 23, 7, tzinfo=UTC), datetime(2027, 3, 23, 19, tzinfo=UTC), str(site.org.alice_id))
    ]
    assert [(i["start"], i["end"]) for i in listed_final(page)] == [(s["start"], s["end"]) for s in shifts]

    # An end before the start: the server's message beside the end, nothing added.
    form.get_by_label("Person").select_option(label="Bob")
    form.get_by_label("Start date").fill("2027-03-24")
    form.get_by_label("Start time").fill("10:00")
    form.get_by_label("End date").fill("2027-03-24")
    form.get_by_label("End time").fill("09:00")
    form.get_by_role("button", name="Add shift").click()
    assert page.locator("#new-shift-end-error").inner_text() == "A shift must end after it starts"
    assert page.locator("#new-shift-end-date").get_attribute("aria-describedby") == "new-shift-end-error"
    assert len(api_final(site, token, schedule_id, start, until)["shifts"]) == 1

    # An unknown time zone: beside the time zone field, the schedule unchanged.
    page.get_by_label("Time zone", exact=True).fill("Mars/Olympus")
    page.get_by_role("button", name="Save name and time zone").click()
    assert page.locator("#edit-schedule-timezone-error").inner_text() == "Unknown time zone 'Mars/Olympus'"
    assert page.get_by_label("Time zone", exact=True).get_attribute("aria-describedby") == "edit-schedule-timezone-error"
    zone_now = data(site.server.url, token, "query($id: ID!) { schedule(id: $id) { timezone } }", id=str(schedule_id))["schedule"]["timezone"]
    assert zone_now == "Europe/Berlin"
    accessible(page, "static schedule with refusals")

    page.get_by_role("button", name="Delete shift Alice").click()
    page.locator("#schedule-status", has_text="Shift deleted.").wait_for()
    assert api_final(site, token, schedule_id, start, until)["shifts"] == []
