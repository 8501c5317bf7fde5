"""The email intake's domain and a source's intakeSettings over GraphQL, through a real server
with PAGERLINE_EMAIL_DOMAIN set: emailIntakeDomain is the server's domain for whoever is signed in
(null on a server without one; refused without a session); intakeSettings are stored as given and
read back, null goes back to the defaults; settings the engine refuses (an unknown key, a pattern
that does not compile, a priority that is not HIGH or LOW, a sender that is no address) come back
as BAD_USER_INPUT with extensions.field naming the JSON path, and change nothing, not even the
other fields of the same update."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pagerline.db import close_db, init_db
from pagerline.engine.people.accounts import create_token, create_user
from pagerline.models import Role, TokenKind
from tests.support.databases import TemplateDatabases
from tests.support.graphql import data, data_via, gql, in_db, in_process_client
from tests.support.live import embedded_env, seed_database
from tests.support.processes import Server, serving, start_server
from tests.support.seed import Org, seed_org

DOMAIN = "alerts.example.test"

POLICY = """mutation($id: ID!, $input: AlertSourcePolicyInput!) {
  updateAlertSourcePolicy(id: $id, input: $input) { alertGroupingWindowSec intakeSettings } }"""
READ = "query($id: ID!) { alertSourcePolicy(sourceId: $id) { alertGroupingWindowSec intakeSettings } }"


@dataclass
class Running:
    server: Server
    org: Org
    admin_token: str

    @property
    def url(self) -> str:
        return self.server.url


async def _admin() -> str:
    root = await create_user("root@org.test", "Root", "root-password", Role.ADMIN)
    _, token = await create_token(root.id, TokenKind.API, datetime.now(UTC), "test")
    return token


@pytest.fixture(scope="module")
def running(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    workdir = tmp_path_factory.mktemp("intake-settings")
    url = templates.sqlite(workdir)
    org = seed_database(url)
    token = in_db(url, _admin)
    with serving(start_server(embedded_env(url, workdir, PAGERLINE_EMAIL_DOMAIN=DOMAIN), workdir)) as server:
        yield Running(server, org, token)


def test_the_email_intake_domain_is_the_servers(running: Running) -> None:
    assert data(running.url, running.org.bob_token, "{ emailIntakeDomain }") == {"emailIntakeDomain": DOMAIN}
    made = data(running.url, running.admin_token, """mutation($p: ID!) {
        createAlertSource(name: "Mail", escalationPolicyId: $p, integrationType: EMAIL) { integrationType integrationKey } }""",
        p=str(running.org.policy_id))["createAlertSource"]
    assert made["integrationType"] == "EMAIL" and made["integrationKey"]  # the address is <key>@emailIntakeDomain, shown once
    refused = gql(running.url, None, "{ emailIntakeDomain }")
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.fixture
def sqlite_url(templates: TemplateDatabases, tmp_path: Path) -> str:
    return templates.sqlite(tmp_path)  # here, outside the test's event loop (it may migrate the template)


async def test_a_server_without_an_email_domain_says_null(sqlite_url: str) -> None:
    database_url = sqlite_url
    await init_db(database_url)
    try:
        org = await seed_org()
    finally:
        await close_db()
    async with in_process_client(database_url) as client:
        assert await data_via(client, org.alice_token, "{ emailIntakeDomain }") == {"emailIntakeDomain": None}


def test_intake_settings_are_stored_as_given_and_null_restores_the_defaults(running: Running) -> None:
    source = str(running.org.api_source_id)
    given = {
        "email": {"alertKeyPattern": r"ticket #(\d+)", "alertKeyFrom": "BODY", "resolvePatterns": ["RESOLVED", "recovered"], "allowedSenders": ["ops@example.com", "@monitoring.example.com"]},
        "pagerdutySeverities": {"warning": "HIGH"},
        "opsgeniePriorities": {"P1": "HIGH", "P5": "LOW"},
    }
    saved = data(running.url, running.org.alice_token, POLICY, id=source, input={"intakeSettings": given})["updateAlertSourcePolicy"]
    assert saved["intakeSettings"] == given
    assert data(running.url, running.org.bob_token, READ, id=source)["alertSourcePolicy"]["intakeSettings"] == given
    cleared = data(running.url, running.org.alice_token, POLICY, id=source, input={"intakeSettings": None})["updateAlertSourcePolicy"]
    assert cleared["intakeSettings"] is None


@pytest.mark.parametrize(
    ("settings", "field", "says"),
    [
        ({"sms": {}}, "intakeSettings.sms", "is not a setting"),
        ({"email": {"resolvePattern": ["RESOLVED"]}}, "intakeSettings.email.resolvePattern", "is not a setting"),
        ({"email": {"resolvePatterns": ["RESOLVED", "(unclosed"]}}, "intakeSettings.email.resolvePatterns[1]", "is not a valid regular expression"),
        ({"email": {"alertKeyPattern": "[a-"}}, "intakeSettings.email.alertKeyPattern", "is not a valid regular expression"),
        ({"opsgeniePriorities": {"P1": "URGENT"}}, "intakeSettings.opsgeniePriorities.P1", "must be HIGH or LOW"),
        ({"pagerdutySeverities": {"warning": "high"}}, "intakeSettings.pagerdutySeverities.warning", "must be HIGH or LOW"),
        ({"email": {"allowedSenders": ["ops@example.com", "nobody"]}}, "intakeSettings.email.allowedSenders[1]", "must be an address"),
    ],
    ids=["unknown part", "unknown email key", "bad resolve pattern", "bad key pattern", "bad priority", "lower-case severity", "bad sender"],
)
def test_refused_intake_settings_name_their_field_and_change_nothing(running: Running, settings: dict[str, Any], field: str, says: str) -> None:
    source = str(running.org.api_source_id)
    stored = {"email": {"resolvePatterns": ["fixed"]}}
    before = data(running.url, running.org.alice_token, POLICY, id=source, input={"intakeSettings": stored, "alertGroupingWindowSec": 300})
    assert before["updateAlertSourcePolicy"] == {"alertGroupingWindowSec": 300, "intakeSettings": stored}

    # The refused update carries another change too: neither is kept.
    refused = gql(running.url, running.org.alice_token, POLICY, id=source, input={"intakeSettings": settings, "alertGroupingWindowSec": 900})
    assert refused["data"] is None
    error = refused["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert error["message"].startswith(f"{field} {says}"), error["message"]
    assert data(running.url, running.org.alice_token, READ, id=source)["alertSourcePolicy"] == {"alertGroupingWindowSec": 300, "intakeSettings": stored}
