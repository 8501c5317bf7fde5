"""``setupWarnings`` and the admins' banner on a real server (embedded defaults, console
transport on): an admin in an escalation policy with no device and no phone is named, to
admins only, over GraphQL and on the dashboard; ``pagerline doctor`` says the same."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pagerline.engine.people.accounts import create_token, create_user
from pagerline.models import EscalationPolicy, EscalationRule, Role, TokenKind
from tests.support.browser import chromium, needs_chromium, new_page, sign_in
from tests.support.databases import TemplateDatabases
from tests.support.graphql import data, error_code, gql, in_db
from tests.support.live import embedded_env, seed_database
from tests.support.processes import Server, base_env, serving, start_server
from tests.support.seed import Org

ANN_PROBLEM = (
    "Ann <ann@ops.test> cannot be reached for HIGH and LOW alerts (PUSH: no active device; "
    "SMS: no verified phone number; VOICE: no verified phone number); needed by escalation policy \"Night\" level 1"
)
SETUP = "{ setupWarnings { ok problems channels { channel provider state } unreachablePeople { user { email } priorities neededBy } } }"


@dataclass
class Site:
    server: Server
    org: Org
    env: dict[str, str]
    admin_token: str


async def _add_unreachable_admin() -> str:
    ann = await create_user("ann@ops.test", "Ann", "ann-password", Role.ADMIN, "UTC", ["Ops"])
    policy = await EscalationPolicy.create(name="Night")
    rule = await EscalationRule.create(policy=policy, position=0, timeout_minutes=5)
    await rule.users.add(ann)
    _, token = await create_token(ann.id, TokenKind.API, datetime.now(UTC), "test")
    return token


def _start(templates: TemplateDatabases, workdir: Path) -> Site:
    url = templates.sqlite(workdir)
    org = seed_database(url)
    token = in_db(url, _add_unreachable_admin)
    env = embedded_env(url, workdir)
    return Site(start_server(env, workdir), org, env, token)


@pytest.fixture(scope="module")
def site(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    made = _start(templates, tmp_path_factory.mktemp("setup"))
    with serving(made.server):
        yield made


def test_admins_get_the_setup_warnings_and_others_are_refused(site: Site) -> None:
    report = data(site.server.url, site.admin_token, SETUP)["setupWarnings"]
    assert report["ok"] is False
    assert report["problems"] == [ANN_PROBLEM]  # Alice and Bob have console devices
    # Console transport for every provider but Web Push and ntfy, which need no settings and are on.
    states = {(c["channel"], c["provider"]): c["state"] for c in report["channels"]}
    assert states.pop(("PUSH", "WEB_PUSH")) == "CONFIGURED"
    assert states.pop(("NTFY", "NTFY")) == "CONFIGURED"
    assert set(states.values()) == {"CONSOLE"}
    assert report["unreachablePeople"] == [
        {"user": {"email": "ann@ops.test"}, "priorities": ["HIGH", "LOW"], "neededBy": ['escalation policy "Night" level 1']}
    ]
    assert error_code(gql(site.server.url, site.org.alice_token, SETUP)) == "FORBIDDEN"  # a USER, not an admin
    assert error_code(gql(site.server.url, None, SETUP)) == "UNAUTHENTICATED"


def test_pagerline_doctor_prints_the_same_problems(site: Site) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pagerline", "doctor"], env=base_env(site.env), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stdout.splitlines()[-2:] == ["1 problem:", f"  - {ANN_PROBLEM}"]


@needs_chromium
def test_the_dashboard_shows_the_banner_to_admins_only(site: Site) -> None:
    with chromium() as browser:
        admin = new_page(browser, site.server.url)
        sign_in(admin, "ann@ops.test", "ann-password")
        banner = admin.get_by_role("region", name="Setup problems: some pages would reach nobody")
        banner.wait_for()
        assert banner.locator("li").all_text_contents() == [ANN_PROBLEM]

        alice = new_page(browser, site.server.url)
        sign_in(alice, "alice@ops.test", "alice-password")
        alice.wait_for_load_state("networkidle")
        assert alice.locator("#setup-warnings").is_hidden()

        # Signing out hides it; the next person to sign in on that browser starts clean.
        admin.get_by_role("button", name="Log out").click()
        admin.get_by_label("Email").wait_for()
        assert admin.locator("#setup-warnings").is_hidden()
