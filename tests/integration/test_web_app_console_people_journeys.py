"""The admin console's people and policy sections in the web app, on a desktop window and on a
phone (390 × 844), axe on each state, against a real server:

- an admin invites someone (a bad time zone is refused beside its field, nothing is made), the
  link is opened signed out, a password is chosen (a too short one refused beside its field) and
  the new person is signed in; the link then no longer works;
- deactivating someone shows the gaps it leaves in their rotation and the policy level it empties
  (as the API computes them) BEFORE anything changes; confirming deactivates, reactivating undoes;
- an escalation policy is created (a level naming nobody is refused first) and its preview shows
  who each level would page now and at a chosen time, as onCallByPolicy answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from pagerline.engine.people.accounts import create_user
from pagerline.models import Role
from tests.integration.test_web_app_journeys import VIEWPORTS, accessible
from tests.support.browser import SLOW_MS, Site, needs_axe, needs_chromium, needs_web_app, outside_playwright, start_site, submit_sign_in, wait_live
from tests.support.databases import TemplateDatabases
from tests.support.graphql import data, in_db
from tests.support.processes import serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [needs_chromium, needs_web_app, needs_axe]

#: The browser's zone: the preview's "at" input is read in it, not in UTC.
BROWSER_ZONE = "America/New_York"
ROTATION = "Ops rotation"


@dataclass
class Console:
    site: Site
    admin_token: str
    schedule_id: str


async def _add_admin() -> None:
    await create_user("ann@ops.test", "Ann", "ann-password", Role.ADMIN, "UTC", ["Ops"])


@pytest.fixture(scope="module")
def console(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """The seeded organisation, an admin (Ann), and a weekly rotation of Alice and Bob that
    started two weeks and a half day ago (so each has weeks in the next four)."""
    site = start_site(templates, tmp_path_factory.mktemp("console-people"))
    outside_playwright(lambda: in_db(site.url, _add_admin))
    with serving(site.server):
        token = data(site.server.url, None, 'mutation { login(email: "ann@ops.test", password: "ann-password") { token } }')["login"]["token"]
        # Handoffs half a day away from now, whatever the hour the tests run at: "now" in the
        # browser and in the API calls are a few seconds apart and must agree.
        start = (datetime.now(UTC) - timedelta(days=14, hours=12)).replace(minute=0, second=0, microsecond=0)
        schedule = data(
            site.server.url, token,
            "mutation($s: DateTime!, $a: ID!, $b: ID!) { createSchedule(name: \"" + ROTATION + "\", "
            'layers: [{startsOn: $s, rotation: "P7D", userIds: [$a, $b]}]) { id } }',
            s=start.isoformat(), a=str(site.org.alice_id), b=str(site.org.bob_id),
        )["createSchedule"]
        yield Console(site, token, schedule["id"])


def new_browser_page(browser: Browser, viewport: str) -> Page:
    phone = viewport == "phone"
    context = browser.new_context(viewport=VIEWPORTS[viewport], is_mobile=phone, has_touch=phone, timezone_id=BROWSER_ZONE)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(SLOW_MS)
    return page


def open_console(browser: Browser, console: Console, viewport: str, section: str) -> Page:
    """Signed in as the admin, on the console's ``section`` reached through the menus."""
    page = new_browser_page(browser, viewport)
    page.goto(console.site.server.url + "/")
    submit_sign_in(page, "ann@ops.test", "ann-password")
    wait_live(page, alert_list=False)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    page.get_by_role("navigation", name="Admin").get_by_role("link", name=section, exact=True).click()
    page.locator("section[data-ready]").wait_for()
    return page


def fits(page: Page, viewport: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]


def users(console: Console) -> dict[str, dict[str, Any]]:
    found = data(console.site.server.url, console.admin_token, "{ users { id email name role timezone active reachable teams { name } } }")["users"]
    return {user["email"]: user for user in found}


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_invite_someone_who_accepts_and_is_signed_in(browser: Browser, console: Console, viewport: str) -> None:
    email = f"nina.{viewport}@ops.test"
    admin = open_console(browser, console, viewport, "Users")
    admin.get_by_role("link", name="Invite a user").click()
    admin.get_by_label("Email", exact=True).fill(email)
    admin.get_by_label("Name", exact=True).fill("Nina")
    admin.get_by_label("Role").select_option("RESPONDER")
    admin.get_by_role("checkbox", name="Ops").check()

    # A time zone the server does not know: refused beside that field, nobody is made.
    admin.get_by_label("Time zone").fill("Mars/Olympus")
    admin.get_by_role("button", name="Invite", exact=True).click()
    beside = admin.locator("#invite-timezone-error")
    beside.wait_for()
    assert admin.get_by_label("Time zone").get_attribute("aria-invalid") == "true"
    assert email not in users(console)
    accessible(admin, "invite refused")

    admin.get_by_label("Time zone").fill("Europe/Berlin")
    admin.get_by_role("button", name="Invite", exact=True).click()
    link = admin.get_by_label(re.compile("^Invitation link"))
    link.wait_for()
    url = link.input_value()
    assert re.fullmatch(re.escape(console.site.server.url) + r"/invite/[\w-]+", url), url
    made = users(console)[email]
    assert (made["name"], made["role"], made["timezone"], made["active"], [t["name"] for t in made["teams"]]) == (
        "Nina", "RESPONDER", "Europe/Berlin", True, ["Ops"]
    )
    accessible(admin, "invitation made")
    fits(admin, viewport)

    # The list shows her, flagged as nobody can page her yet (no device, no contact method),
    # and flags exactly the people the API says cannot be reached.
    admin.get_by_role("link", name="All users").click()
    admin.locator(f'#users li[data-user-id="{made["id"]}"]', has_text="Cannot be paged").wait_for()
    for user in users(console).values():
        row = admin.locator(f'#users li[data-user-id="{user["id"]}"]').inner_text()
        assert ("Cannot be paged" in row) == (user["active"] and user["reachable"] is False), (row, user)
        assert user["email"] in row
    accessible(admin, "users list")
    fits(admin, viewport)

    # The link, opened signed out in another browser.
    invited = new_browser_page(browser, viewport)
    invited.goto(url)
    invited.get_by_role("heading", name="Invitation").wait_for()
    assert "Welcome, Nina" in invited.locator("#invite-view").inner_text()
    assert email in invited.locator("#invite-view").inner_text()
    accessible(invited, "invitation page")
    fits(invited, viewport)

    invited.get_by_label("New password").fill("short")
    invited.get_by_label("Repeat the password").fill("short")
    invited.get_by_role("button", name="Set password and sign in").click()
    invited.locator("#invite-password-error").wait_for()
    assert invited.get_by_label("New password").get_attribute("aria-invalid") == "true"
    accessible(invited, "password refused")

    invited.get_by_label("New password").fill("nina-password-1")
    invited.get_by_label("Repeat the password").fill("nina-password-1")
    invited.get_by_role("button", name="Set password and sign in").click()
    wait_live(invited, alert_list=False)
    assert invited.locator("#user-name").inner_text() == "Nina"
    assert invited.evaluate("location.pathname") == "/"

    # One use: the same link now says so, and the password works at the sign-in form.
    again = new_browser_page(browser, viewport)
    again.goto(url)
    again.get_by_text("This invitation link is not valid").wait_for()
    accessible(again, "used invitation")
    again.get_by_role("link", name="Sign in").click()
    submit_sign_in(again, email, "nina-password-1")
    wait_live(again, alert_list=False)


def impact(console: Console, user_id: int) -> dict[str, Any]:
    return data(
        console.site.server.url, console.admin_token,
        "query($u: ID!) { deactivationImpact(userId: $u) { gaps { schedule { name } start end } emptyLevels { policy { name } position } } }",
        u=str(user_id),
    )["deactivationImpact"]


def set_active(console: Console, user_id: int, active: bool) -> None:
    field = "reactivateUser" if active else "deactivateUser"
    data(console.site.server.url, console.admin_token, f"mutation($u: ID!) {{ {field}(id: $u) {{ id }} }}", u=str(user_id))


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_deactivating_shows_the_gaps_it_leaves_before_confirming(browser: Browser, console: Console, viewport: str) -> None:
    bob = console.site.org.bob_id
    expected = impact(console, bob)
    # Bob has a week in every two of the rotation and is alone on level 2 of the Ops policy.
    assert expected["gaps"] and all(gap["schedule"]["name"] == ROTATION for gap in expected["gaps"])
    assert [(level["policy"]["name"], level["position"]) for level in expected["emptyLevels"]] == [("Ops policy", 1)]

    admin = open_console(browser, console, viewport, "Users")
    admin.locator(f'#users li[data-user-id="{bob}"]').get_by_role("link", name="Bob").click()
    try:
        admin.get_by_role("button", name="Deactivate Bob…").click()
        review = admin.get_by_role("region", name="What deactivating Bob leaves uncovered")
        review.wait_for()
        # Shown before anything changed: Bob is still active.
        assert users(console)["bob@ops.test"]["active"] is True
        shown = review.locator(".impact-gap")
        assert shown.count() == len(expected["gaps"])
        for item, gap in zip(shown.all(), expected["gaps"], strict=True):
            # The API's instants as the page's formatter writes them (the browser's zone and locale).
            written = admin.evaluate(
                """([start, end]) => {
                    const format = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "medium" });
                    return `${format.format(new Date(start))} to ${format.format(new Date(end))}`;
                }""",
                [gap["start"], gap["end"]],
            )
            assert item.inner_text() == written, (item.inner_text(), gap)
        assert ROTATION in review.locator("#impact-gaps").inner_text()
        assert review.locator("#impact-levels").inner_text() == "Ops policy, level 2"
        accessible(admin, "deactivation impact")
        fits(admin, viewport)

        # Cancel changes nothing; confirming deactivates.
        review.get_by_role("button", name="Cancel").click()
        assert users(console)["bob@ops.test"]["active"] is True
        admin.get_by_role("button", name="Deactivate Bob…").click()
        admin.get_by_role("button", name="Confirm: deactivate Bob").click()
        admin.locator("#activity-result", has_text="Bob is deactivated").wait_for()
        assert users(console)["bob@ops.test"]["active"] is False
        admin.locator("#user-activity").get_by_role("button", name="Reactivate Bob").wait_for()
        accessible(admin, "deactivated")

        admin.get_by_role("button", name="Reactivate Bob").click()
        admin.locator("#activity-result", has_text="Bob is active again").wait_for()
        assert users(console)["bob@ops.test"]["active"] is True
    finally:  # the other viewport's run starts from an active Bob
        set_active(console, bob, True)


def preview_levels(page: Page) -> dict[int, str]:
    rows = page.locator("#preview-result li").all()
    return {int(row.get_attribute("data-level") or 0): row.inner_text().split(": ", 1)[1] for row in rows}


def api_levels(console: Console, policy_id: str, at: datetime | None) -> dict[int, str]:
    found = data(
        console.site.server.url, console.admin_token,
        "query($at: DateTime) { onCallByPolicy(at: $at) { policyId level users { name } } }",
        at=at.isoformat() if at else None,
    )["onCallByPolicy"]
    return {row["level"]: ", ".join(user["name"] for user in row["users"]) or "nobody" for row in found if row["policyId"] == policy_id}


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_create_a_policy_and_preview_who_it_pages_now_and_later(browser: Browser, console: Console, viewport: str) -> None:
    name = f"Night {viewport}"
    admin = open_console(browser, console, viewport, "Escalation policies")
    accessible(admin, "policy list")
    admin.get_by_role("link", name="New escalation policy").click()
    admin.get_by_label("Name", exact=True).fill(name)
    admin.get_by_label("Team").select_option(label="Ops")
    admin.locator('fieldset[data-level="1"]').get_by_role("checkbox", name="Alice").check()
    admin.get_by_label("Level 1: minutes before the next level").fill("5")
    admin.get_by_role("button", name="Add level").click()
    admin.locator('fieldset[data-level="2"]').get_by_role("checkbox", name=ROTATION).check()
    admin.get_by_role("button", name="Add level").click()
    accessible(admin, "policy form")
    fits(admin, viewport)

    # Level 3 names nobody: the server refuses, nothing is made.
    admin.get_by_role("button", name="Create policy").click()
    admin.locator("#policies-section", has_text="names nobody").wait_for()
    policies = data(console.site.server.url, console.admin_token, "{ escalationPolicies { id name } }")["escalationPolicies"]
    assert name not in [policy["name"] for policy in policies]

    admin.get_by_role("button", name="Remove level 3").click()
    admin.get_by_role("button", name="Create policy").click()
    admin.wait_for_url(re.compile(r"/admin/policies/\d+$"))
    policy_id = admin.evaluate("location.pathname").rsplit("/", 1)[1]
    made = data(
        console.site.server.url, console.admin_token,
        "{ escalationPolicies { id name team { name } rules { escalationTimeout users { name } schedules { name } } } }",
    )["escalationPolicies"]
    assert [p for p in made if p["id"] == policy_id] == [{
        "id": policy_id, "name": name, "team": {"name": "Ops"},
        "rules": [
            {"escalationTimeout": 5, "users": [{"name": "Alice"}], "schedules": []},
            {"escalationTimeout": 15, "users": [], "schedules": [{"name": ROTATION}]},
        ],
    }]

    # Now: level 1 is Alice, level 2 whoever the rotation has now.
    admin.locator('#preview-result[data-at="now"] li').first.wait_for()
    assert preview_levels(admin) == api_levels(console, policy_id, None)
    assert preview_levels(admin)[1] == "Alice"

    # A week on (the rotation's other person), typed in the browser's zone.
    later = (datetime.now(ZoneInfo(BROWSER_ZONE)) + timedelta(days=7)).replace(second=0, microsecond=0)
    admin.get_by_label("At (your time zone)").fill(later.strftime("%Y-%m-%dT%H:%M"))
    admin.get_by_role("button", name="Show at this time").click()
    at = later.astimezone(UTC)
    admin.locator(f'#preview-result[data-at="{at.strftime("%Y-%m-%dT%H:%M:%S.000Z")}"]').wait_for()
    assert preview_levels(admin) == api_levels(console, policy_id, at)
    assert preview_levels(admin)[2] != api_levels(console, policy_id, None)[2]  # the rotation moved on
    accessible(admin, "policy preview")
    fits(admin, viewport)


def teams(console: Console) -> dict[str, list[str]]:
    found = data(console.site.server.url, console.admin_token, "{ teams { name members { name } } }")["teams"]
    return {team["name"]: sorted(member["name"] for member in team["members"]) for team in found}


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_teams_create_rename_members_and_delete(browser: Browser, console: Console, viewport: str) -> None:
    name = f"Edge {viewport}"
    admin = open_console(browser, console, viewport, "Teams")
    accessible(admin, "teams list")
    admin.get_by_label("Team name").fill(name)
    admin.get_by_role("button", name="Create team").click()
    admin.locator("#teams li", has_text=name).get_by_role("link").click()
    admin.get_by_role("heading", name=name).wait_for()

    admin.get_by_label("Add a member").select_option(label="Alice (alice@ops.test)")
    admin.get_by_role("button", name="Add member").click()
    admin.get_by_role("button", name=f"Remove Alice from {name}").wait_for()
    assert teams(console)[name] == ["Alice"]
    accessible(admin, "team page")
    fits(admin, viewport)

    # A taken name is refused beside the field; nothing changes.
    admin.get_by_label("Name", exact=True).fill("Ops")
    admin.get_by_role("button", name="Rename team").click()
    admin.locator("#team-name-error", has_text="exists already").wait_for()
    assert name in teams(console)
    accessible(admin, "rename refused")

    admin.get_by_label("Name", exact=True).fill(f"{name} renamed")
    admin.get_by_role("button", name="Rename team").click()
    admin.get_by_role("heading", name=f"{name} renamed").wait_for()

    admin.get_by_role("button", name=f"Remove Alice from {name} renamed").click()
    admin.get_by_text("Nobody is in this team.").wait_for()
    assert teams(console)[f"{name} renamed"] == []

    admin.get_by_role("button", name="Delete team").click()
    admin.get_by_role("button", name="Yes, delete").click()
    admin.wait_for_url(re.compile(r"/admin/teams$"))
    admin.locator("#teams").wait_for()
    assert f"{name} renamed" not in teams(console)
    assert admin.locator("#teams li", has_text=name).count() == 0

    # The seeded team owns a policy, sources and more: deleting it is refused, saying so.
    admin.locator("#teams li", has_text="Ops").first.get_by_role("link", name="Ops", exact=True).click()
    admin.get_by_role("button", name="Delete team").click()
    admin.get_by_role("button", name="Yes, delete").click()
    admin.locator("#team-result", has_text="still has").wait_for()
    assert "Ops" in teams(console)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_edit_a_policy_reordering_its_levels_by_keyboard(browser: Browser, console: Console, viewport: str) -> None:
    policy_id = str(console.site.org.policy_id)  # "Ops policy": level 1 Alice, level 2 Bob
    admin = open_console(browser, console, viewport, "Escalation policies")
    admin.locator(f'#policies li[data-policy-id="{policy_id}"]').get_by_role("link").click()
    admin.locator('#preview-result[data-at="now"] li').first.wait_for()
    try:
        # Level 2 up with the keyboard: focus stays with the level (on its one enabled move
        # button) and the move is announced.
        admin.get_by_role("button", name="Move level 2 up").focus()
        admin.keyboard.press("Enter")
        focused = admin.evaluate("document.activeElement.textContent")
        assert focused == "Move level 1 down", focused
        admin.get_by_role("status").filter(has_text="Level 2 moved to level 1.").wait_for()
        accessible(admin, "levels reordered")
        admin.get_by_role("button", name="Save policy").click()
        admin.locator("#policy-result", has_text="saved").wait_for()
        rules = data(
            console.site.server.url, console.admin_token,
            "{ escalationPolicies { id rules { users { name } } } }",
        )["escalationPolicies"]
        assert [[u["name"] for u in r["users"]] for p in rules if p["id"] == policy_id for r in p["rules"]] == [["Bob"], ["Alice"]]
        # The preview follows the saved policy.
        admin.locator('#preview-result li[data-level="1"]', has_text="Bob").wait_for()
    finally:  # the policy as seeded, for the other tests
        data(
            console.site.server.url, console.admin_token,
            "mutation($id: ID!, $a: ID!, $b: ID!) { updateEscalationPolicy(id: $id, rules: ["
            "{escalationTimeout: 5, userIds: [$a]}, {escalationTimeout: 10, userIds: [$b]}]) { id } }",
            id=policy_id, a=str(console.site.org.alice_id), b=str(console.site.org.bob_id),
        )
