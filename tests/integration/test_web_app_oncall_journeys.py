"""On call in the web app, as a responder uses it, on a desktop window and on a phone (390 × 844),
axe on every page: the On call page names who is on call for the schedule and for every level of
the policy, lists my shifts for the next four weeks by day, and a schedule's page shows its week
with the override marked, week by week.

The schedule is a daily rotation of Alice and Bob that started long ago, so someone is on call
whatever day the test runs; the override sits on the Wednesday of the week the page opens on
(computed from the same clock the server reads), so it is on the page whatever the day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from pagerline.engine.schedules.editing import LayerInput, create_schedule
from pagerline.models import ScheduleKind, ScheduleOverride
from tests.integration.test_web_app_journeys import VIEWPORTS, accessible, open_in
from tests.support.browser import Site, needs_axe, needs_chromium, needs_web_app, outside_playwright, sign_in
from tests.support.graphql import in_db

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [needs_chromium, needs_web_app, needs_axe]

ROTATION_START = datetime(2020, 1, 6, tzinfo=UTC)  # a Monday


def schedule_with_override(site: Site, name: str, override_start: datetime) -> int:
    async def work() -> int:
        schedule = await create_schedule(
            name, "UTC", ScheduleKind.RECURRING, site.org.team_id, [LayerInput(ROTATION_START, "P1D", [site.org.alice_id, site.org.bob_id])]
        )
        await ScheduleOverride.create(schedule_id=schedule.id, user_id=site.org.bob_id, start=override_start, end=override_start + timedelta(hours=2))
        return schedule.id

    return outside_playwright(lambda: in_db(site.url, work))


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_on_call_page_my_shifts_and_a_schedule_week_with_its_override(browser: Browser, site: Site, viewport: str) -> None:
    now = datetime.now(UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    monday = today - timedelta(days=today.weekday())
    wednesday = monday + timedelta(days=2)
    schedule_id = schedule_with_override(site, f"Primary {viewport}", wednesday + timedelta(hours=10))

    page = open_in(browser, site, viewport)
    # The page's "this week" and "my shifts" come from the same instant as this test's, even when
    # midnight before a Monday passes while it runs (the faked-clock runs start just before
    # midnight; tests/support/faked_clock.py). Timers keep running.
    page.clock.set_fixed_time(now)
    sign_in(page, "alice@ops.test", "alice-password")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="On call").click()
    view = page.locator("#oncall-view[data-ready]")
    view.wait_for()
    page.wait_for_url("**/oncall")
    entry = page.locator(f'#oncall-schedules [data-schedule-id="{schedule_id}"]')
    assert entry.locator(".who").inner_text() in {"Alice", "Bob"}
    policy = page.locator(f'.policy[data-policy-id="{site.org.policy_id}"]')
    assert policy.locator("li").all_inner_texts() == ["Level 1: Alice", "Level 2: Bob"]
    # A daily rotation of two: Alice has a shift every other day, 14 in the four weeks (one of
    # them maybe cut by the window's edge), each a whole day in her zone (UTC) unless Bob's
    # override on Wednesday cuts it.
    days = page.locator("#my-shifts > li")
    assert 13 <= days.count() <= 15
    times = set(page.locator("#my-shifts .shift-time").all_inner_texts())
    assert "00:00–24:00" in times and times <= {"00:00–24:00", "00:00–10:00", "12:00–24:00"}, times
    accessible(page, "on call")

    page.get_by_role("link", name=f"Primary {viewport}").first.click()
    page.locator("#schedule-view").wait_for()
    page.wait_for_url(f"**/schedules/{schedule_id}")
    week = page.locator("#schedule-week > li")
    assert week.count() == 7
    assert week.first.get_attribute("data-day") == monday.date().isoformat()
    marked = week.nth(2).locator('.shift[data-source="override"]')
    assert marked.inner_text() == "10:00–12:00 Bob override"
    assert page.locator('#schedule-week .shift[data-source="override"]').count() == 1
    accessible(page, "schedule week")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]

    page.get_by_role("link", name="Next week").click()
    page.wait_for_url(f"**/schedules/{schedule_id}?week={(monday + timedelta(days=7)).date().isoformat()}")
    page.locator(f'#schedule-week > li[data-day="{(monday + timedelta(days=7)).date().isoformat()}"]').wait_for()
    assert page.locator('#schedule-week .shift[data-source="override"]').count() == 0
    page.get_by_role("link", name="This week").click()
    page.locator(f'#schedule-week > li[data-day="{monday.date().isoformat()}"]').wait_for()
    assert page.locator('#schedule-week .shift[data-source="override"]').count() == 1
