"""Coverage in the web app, two people in two browsers, on a desktop window and on a phone
(390 × 844), axe on every page: Alice asks Bob to cover one of her shifts; the request appears in
Bob's inbox without a reload; Bob (whose time zone is New York) accepts a part of it (noon to 16:00 UTC) with the
date and time inputs; Alice, watching the schedule's week, sees Bob's override appear without a
reload, then finds her request accepted by Bob with the rest still asked; Bob sees the override
in his own zone.

The schedule is a daily rotation of Alice and Bob that started long ago; the shift asked for is
Alice's first that starts more than an hour from now, so the request cannot expire during the
test, whatever the day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from pagerline.engine.schedules.editing import LayerInput, create_schedule
from pagerline.models import ScheduleKind, User
from tests.integration.test_web_app_journeys import VIEWPORTS, accessible, open_in
from tests.support.browser import Site, needs_axe, needs_chromium, needs_web_app, outside_playwright, sign_in
from tests.support.graphql import data, in_db

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from playwright.sync_api import Browser

pytestmark = [needs_chromium, needs_web_app, needs_axe]

ROTATION_START = datetime(2020, 1, 6, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")


def make_schedule(site: Site, name: str) -> int:
    async def work() -> int:
        await User.filter(id=site.org.bob_id).update(timezone="America/New_York")
        schedule = await create_schedule(
            name, "UTC", ScheduleKind.RECURRING, site.org.team_id, [LayerInput(ROTATION_START, "P1D", [site.org.alice_id, site.org.bob_id])]
        )
        return schedule.id

    return outside_playwright(lambda: in_db(site.url, work))


def week_of(page: Page, schedule_id: int, day: datetime) -> None:
    monday = day.date() - timedelta(days=day.weekday())
    page.goto(f"{page.url.split('/', 3)[0]}//{page.url.split('/', 3)[2]}/schedules/{schedule_id}?week={day.date().isoformat()}")
    page.locator(f'#schedule-week > li[data-day="{monday.isoformat()}"]').wait_for()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_alice_asks_bob_accepts_a_part_and_both_see_the_override(browser: Browser, site: Site, viewport: str) -> None:
    schedule_id = make_schedule(site, f"Trade {viewport}")
    soon = datetime.now(UTC) + timedelta(hours=1)
    shifts = data(site.server.url, site.org.alice_token, "query($f: DateTime!) { myShifts(from: $f) { start end schedule { id } } }", f=soon.isoformat())
    shift = next(s for s in shifts["myShifts"] if s["schedule"]["id"] == str(schedule_id) and datetime.fromisoformat(s["start"]) > soon)
    start, end = datetime.fromisoformat(shift["start"]), datetime.fromisoformat(shift["end"])
    # Noon to 16:00 UTC: one day in New York too (07:00 or 08:00 to 11:00 or 12:00).
    part = (start + timedelta(hours=12), start + timedelta(hours=16))

    alice = open_in(browser, site, viewport)
    sign_in(alice, "alice@ops.test", "alice-password")
    bob = open_in(browser, site, viewport)
    sign_in(bob, "bob@ops.test", "bob-password")
    bob.get_by_role("navigation", name="Main").get_by_role("link", name="Coverage").click()
    bob.locator("#coverage-page").wait_for()
    accessible(bob, "coverage (Bob, nothing asked)")

    alice.get_by_role("navigation", name="Main").get_by_role("link", name="Coverage").click()
    alice.locator("#coverage-page").wait_for()
    alice.get_by_label("Shift").select_option(value=f"{schedule_id}@{shift['start']}")
    # The shift's times fill the inputs, in Alice's zone (UTC).
    assert (alice.get_by_label("From date").input_value(), alice.get_by_label("From time").input_value()) == (f"{start:%Y-%m-%d}", f"{start:%H:%M}")
    assert (alice.get_by_label("Until date").input_value(), alice.get_by_label("Until time").input_value()) == (f"{end:%Y-%m-%d}", f"{end:%H:%M}")
    alice.get_by_role("checkbox", name="Bob").check()
    alice.get_by_label("Message").fill(f"school play {viewport}")
    accessible(alice, "coverage (Alice asking)")
    assert alice.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
    alice.get_by_role("button", name="Ask for coverage").click()
    alice.locator("#ask-result", has_text="Asked").wait_for()
    message = f"school play {viewport}"
    mine = alice.locator('#my-requests [data-status="PENDING"]', has_text=message)
    mine.first.wait_for()
    request_id = mine.first.get_attribute("data-request-id")

    # Alice watches the schedule's week: nothing overridden yet.
    week_of(alice, schedule_id, part[0])
    assert alice.locator('#schedule-week .shift[data-source="override"]').count() == 0

    # Bob's inbox shows it live; he takes noon to 16:00 UTC of the shift, typed in New York time.
    item = bob.locator(f'#coverage-inbox [data-request-id="{request_id}"]')
    item.wait_for()
    assert message in item.inner_text()
    bob.get_by_role("button", name=f"Accept part of Alice's request {request_id}").click()
    group = bob.get_by_role("group", name=f"The part of Alice's request {request_id} you take")
    assert group.get_by_label("From time").input_value() == f"{start.astimezone(NEW_YORK):%H:%M}"
    local = [t.astimezone(NEW_YORK) for t in part]
    group.get_by_label("From date").fill(f"{local[0]:%Y-%m-%d}")
    group.get_by_label("From time").fill(f"{local[0]:%H:%M}")
    group.get_by_label("Until date").fill(f"{local[1]:%Y-%m-%d}")
    group.get_by_label("Until time").fill(f"{local[1]:%H:%M}")
    accessible(bob, "coverage (Bob taking a part)")
    group.get_by_role("button", name="Accept this part").click()

    # Alice's week changes without a reload: Bob's override appears.
    alice.locator('#schedule-week .shift[data-source="override"]').wait_for()
    assert alice.locator('#schedule-week .shift[data-source="override"]').all_inner_texts() == [
        f"{part[0]:%H:%M}–{part[1]:%H:%M} Bob override"
    ]
    accessible(alice, "schedule week (Alice)")
    # Her requests: the part accepted by Bob, the rest still asked.
    alice.get_by_role("navigation", name="Main").get_by_role("link", name="Coverage").click()
    alice.locator("#my-requests [data-status=ACCEPTED]", has_text=message).filter(has_text="accepted by Bob").wait_for()
    assert mine.count() == 2
    # What remains is still in Bob's inbox (two stretches), the part is not.
    asked = bob.locator("#coverage-inbox > li", has_text=message)
    asked.nth(1).wait_for()
    assert asked.count() == 2
    # Bob sees his override in his own zone.
    week_of(bob, schedule_id, part[0])
    marked = bob.locator('#schedule-week .shift[data-source="override"]')
    marked.wait_for()
    assert marked.all_inner_texts() == [f"{part[0].astimezone(NEW_YORK):%H:%M}–{part[1].astimezone(NEW_YORK):%H:%M} Bob override"]
    accessible(bob, "schedule week (Bob)")
