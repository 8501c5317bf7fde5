"""Opsgenie's Alert API against a real server: what a sender written for Opsgenie posts, what it
gets back, and what pagerline makes of it (seen through GraphQL, as the app sees it).

- ``POST /v2/alerts`` answers Opsgenie's 202 with a request id; ``GET /v2/alerts/requests/{id}``
  then says what the request did ("Created alert", the alert's id and alias);
- the same alias again joins the open alert, as Opsgenie deduplicates by alias;
- acknowledge and close by alias and by id (and tiny) accept and resolve the alert; notes are
  comments; an alert that is not there is a 202 whose request status failed with "Alert does
  not exist", as Opsgenie reports it;
- P1..P5 map by the source's ``opsgeniePriorities`` (P1-P2 HIGH, P3-P5 LOW), which GraphQL's
  ``intakeSettings`` overrides per source;
- bad input on every route gets Opsgenie's error answer (``{message, took, requestId}``, with
  ``errors`` field by field for a 422) and changes nothing;
- a real client, unchanged: Debian's Prometheus Alertmanager with an ``opsgenie_configs``
  receiver pointed at the server opens the alert when it fires and closes it when it resolves;
- retention trims request records after ``dropped_event_days``, and a record outlives its alert.

One server per backend for the module, with the embedded worker off, so no background delivery
writes rows while a test compares counts. Runs on SQLite, and on PostgreSQL when
PAGERLINE_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from pagerline.engine.alerts.transitions import resolve_alert
from pagerline.engine.people.accounts import create_token, create_user
from pagerline.engine.retention import RetentionPolicy, run_retention
from pagerline.engine.sources.events import EventInput
from pagerline.engine.sources.intake import ingest_event
from pagerline.engine.sources.lookup import create_source, find_source_by_key
from pagerline.engine.sources.opsgenie_alerts import Action, Outcome, find_request, record_request, request_status
from pagerline.models import Alert, AlertLogEntry, IntakeRequest, IntegrationType, Notification, Priority, Role, TokenKind
from tests.support.alertmanager import alertmanager_config, needs_alertmanager, running_alertmanager
from tests.support.databases import TemplateDatabases, pg_base_url
from tests.support.graphql import data, in_db
from tests.support.live import embedded_env
from tests.support.polling import wait_until
from tests.support.processes import Server, serving, start_server
from tests.support.seed import Org, seed_org

ALERT = """query($id: ID!) { alert(id: $id) {
    id summary details status priority alertKey customDetails eventCount
    labels { key value } logEntries { kind text } source { name } } }"""
SET_INTAKE = """mutation($id: ID!, $settings: JSON) {
    updateAlertSourcePolicy(id: $id, input: {intakeSettings: $settings}) { intakeSettings } }"""
REQUEST_STATUS_FIELDS = {"success", "action", "processedAt", "integrationId", "isSuccess", "status", "alertId", "alias"}


@dataclass
class Opsgenie:
    server: Server
    database_url: str
    org: Org
    admin_token: str
    source_id: int
    key: str  # an OPSGENIE source of the Ops policy
    other_key: str  # another source's
    alertmanager_source_id: int
    alertmanager_key: str

    @property
    def url(self) -> str:
        return self.server.url

    def post(self, path: str, body: Any = None, *, key: str | None = None, params: dict[str, str] | None = None,
             content: bytes | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
        sent = {"Authorization": f"GenieKey {key or self.key}", **(headers or {})}
        if content is not None:
            return httpx.post(f"{self.url}{path}", content=content, params=params, headers={"Content-Type": "application/json", **sent}, timeout=10)
        return httpx.post(f"{self.url}{path}", json=body, params=params, headers=sent, timeout=10)

    def create(self, **body: Any) -> str:
        """A create that must be accepted; its request id."""
        return accepted(self.post("/v2/alerts", body))

    def act(self, identifier: str | int, verb: str, body: Any = None, identifier_type: str | None = None) -> str:
        params = {"identifierType": identifier_type} if identifier_type else None
        return accepted(self.post(f"/v2/alerts/{quote(str(identifier), safe='')}/{verb}", body, params=params))

    def request_status(self, request_id: str, key: str | None = None) -> httpx.Response:
        return httpx.get(f"{self.url}/v2/alerts/requests/{request_id}", headers={"Authorization": f"GenieKey {key or self.key}"}, timeout=10)

    def status(self, request_id: str) -> dict[str, Any]:
        """The request status's ``data`` (the request must be known)."""
        response = self.request_status(request_id)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"data", "took", "requestId"} and set(body["data"]) == REQUEST_STATUS_FIELDS, body
        assert body["requestId"] != request_id  # the id of this GET itself, as Opsgenie answers
        return body["data"]  # type: ignore[no-any-return]

    def alert(self, alert_id: str | int) -> dict[str, Any]:
        return data(self.url, self.admin_token, ALERT, id=str(alert_id))["alert"]  # type: ignore[no-any-return]

    def timeline(self, alert_id: str | int) -> list[str]:
        return [entry["text"] for entry in self.alert(alert_id)["logEntries"]]


def accepted(response: httpx.Response) -> str:
    """Opsgenie's 202, exactly; returns its request id."""
    assert response.status_code == 202, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"result", "took", "requestId"}, body
    assert body["result"] == "Request will be processed" and isinstance(body["took"], (int, float))
    return str(uuid.UUID(body["requestId"]))


def opsgenie_error(response: httpx.Response, status: int, message: str | None = None, errors: dict[str, str] | None = None) -> dict[str, Any]:
    """Opsgenie's error answer, exactly: ``{message, took, requestId}`` and, for a body with
    faulty fields, ``errors``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"message", "took", "requestId"} | ({"errors"} if errors else set()), body
    assert isinstance(body["message"], str) and body["message"].strip()
    assert isinstance(body["took"], (int, float)) and uuid.UUID(body["requestId"])
    if message is not None:
        assert body["message"] == message
    if errors is not None:
        assert body["errors"] == errors
    return body  # type: ignore[no-any-return]


async def _seed(url: str) -> tuple[Org, str, int, str, str, int, str]:
    org = await seed_org()
    ops, key = await create_source("Ops Opsgenie", org.policy_id, IntegrationType.OPSGENIE, Priority.HIGH, org.team_id)
    _, other_key = await create_source("Other Opsgenie", org.policy_id, IntegrationType.OPSGENIE, Priority.HIGH, org.team_id)
    am, am_key = await create_source("Alertmanager via Opsgenie", org.policy_id, IntegrationType.OPSGENIE, Priority.HIGH, org.team_id)
    admin = await create_user("root@org.test", "Root", "root-password", Role.ADMIN)
    _, admin_token = await create_token(admin.id, TokenKind.API, datetime.now(UTC), "test")
    return org, admin_token, ops.id, key, other_key, am.id, am_key


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def opsgenie(request: pytest.FixtureRequest, templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Opsgenie]:
    if request.param == "postgres" and not pg_base_url():
        pytest.skip("PostgreSQL variant: set PAGERLINE_TEST_DATABASE_URL to run it")
    workdir = tmp_path_factory.mktemp(f"opsgenie-{request.param}")
    url = templates.postgres() if request.param == "postgres" else templates.sqlite(workdir)
    org, admin_token, source_id, key, other_key, am_id, am_key = in_db(url, lambda: _seed(url))
    server = start_server(embedded_env(url, workdir, PAGERLINE_EMBEDDED_WORKER="0"), workdir)
    with serving(server):
        yield Opsgenie(server, url, org, admin_token, source_id, key, other_key, am_id, am_key)


async def _counts() -> dict[str, int]:
    return {
        "alerts": await Alert.all().count(),
        "alert_log_entries": await AlertLogEntry.all().count(),
        "notifications": await Notification.all().count(),
        "intake_requests": await IntakeRequest.all().count(),
    }


def counts(opsgenie: Opsgenie) -> dict[str, int]:
    return in_db(opsgenie.database_url, _counts)


# --- create and request status ------------------------------------------------------------------


def test_a_create_answers_202_and_its_request_status_names_the_alert(opsgenie: Opsgenie) -> None:
    request_id = opsgenie.create(
        message="Checkout is down", alias="checkout-down", description="5xx on every request",
        details={"region": "eu-west", "service": "checkout"}, tags=["web", "critical"], entity="checkout-svc",
        source="synthetics", priority="P2", note="Paging the web team", user="monitor-bot",
        responders=[{"type": "team", "name": "web"}],
    )
    status = opsgenie.status(request_id)
    assert {k: v for k, v in status.items() if k not in ("processedAt", "alertId")} == {
        "success": True, "isSuccess": True, "action": "Create", "status": "Created alert",
        "integrationId": str(opsgenie.source_id), "alias": "checkout-down",
    }
    assert datetime.fromisoformat(status["processedAt"].replace("Z", "+00:00")).tzinfo is not None

    alert = opsgenie.alert(status["alertId"])
    assert (alert["id"], alert["summary"], alert["details"], alert["alertKey"]) == (status["alertId"], "Checkout is down", "5xx on every request", "checkout-down")
    assert (alert["status"], alert["priority"], alert["source"]) == ("PENDING", "HIGH", {"name": "Ops Opsgenie"})
    assert alert["labels"] == [{"key": "region", "value": "eu-west"}, {"key": "service", "value": "checkout"}]
    assert alert["customDetails"] == {
        "tags": ["web", "critical"], "entity": "checkout-svc", "source": "synthetics", "priority": "P2", "user": "monitor-bot",
    }
    timeline = opsgenie.timeline(alert["id"])
    assert "Alert created from an event via Opsgenie API on source 'Ops Opsgenie'" in timeline
    assert "monitor-bot via Opsgenie API: Paging the web team" in timeline  # the note, a comment


def test_a_create_without_an_alias_gets_one_and_the_status_says_which(opsgenie: Opsgenie) -> None:
    status = opsgenie.status(opsgenie.create(message="Queue is backing up"))
    assert status["status"] == "Created alert" and status["alias"]
    assert opsgenie.alert(status["alertId"])["alertKey"] == status["alias"]


def test_the_same_alias_again_joins_the_open_alert(opsgenie: Opsgenie) -> None:
    first = opsgenie.status(opsgenie.create(message="Disk full on db-1", alias="disk-db-1"))
    before = counts(opsgenie)
    again = opsgenie.status(opsgenie.create(message="Disk full on db-1", alias="disk-db-1"))
    assert (again["success"], again["alertId"], again["alias"]) == (True, first["alertId"], "disk-db-1")
    assert again["status"] == "Alert already exists with this alias; the request was added to it"
    assert counts(opsgenie)["alerts"] == before["alerts"]  # one alert
    alert = opsgenie.alert(first["alertId"])
    assert alert["eventCount"] == 2
    assert opsgenie.timeline(first["alertId"])[-1] == "Event received via Opsgenie API: Disk full on db-1"


def test_a_long_alias_dedups_and_closes_like_a_short_one(opsgenie: Opsgenie) -> None:
    alias = "cluster/eu-west/" + "node-pool-" * 40  # 416 characters: past pagerline's 255 for a key
    first = opsgenie.status(opsgenie.create(message="Node pool degraded", alias=alias))
    assert first["alias"] == alias
    assert opsgenie.status(opsgenie.create(message="Node pool degraded", alias=alias))["alertId"] == first["alertId"]
    assert opsgenie.status(opsgenie.act(alias, "close", {}, "alias"))["status"] == "Closed alert"
    assert opsgenie.alert(first["alertId"])["status"] == "RESOLVED"


# --- acknowledge, close, notes --------------------------------------------------------------------


def test_acknowledge_and_close_by_alias(opsgenie: Opsgenie) -> None:
    alert_id = opsgenie.status(opsgenie.create(message="API latency high", alias="api-latency"))["alertId"]

    ack = opsgenie.status(opsgenie.act("api-latency", "acknowledge", {"user": "ops-bot", "note": "Looking"}, "alias"))
    assert (ack["success"], ack["action"], ack["status"], ack["alertId"], ack["alias"]) == (True, "Acknowledge", "Acknowledged alert", alert_id, "api-latency")
    assert opsgenie.alert(alert_id)["status"] == "ACCEPTED"
    assert opsgenie.timeline(alert_id)[-2:] == ["Accepted by an event via Opsgenie API (ops-bot)", "ops-bot via Opsgenie API: Looking"]

    close = opsgenie.status(opsgenie.act("api-latency", "close", {"source": "http://alertmanager:9093"}, "alias"))
    assert (close["action"], close["status"], close["alertId"]) == ("Close", "Closed alert", alert_id)
    assert opsgenie.alert(alert_id)["status"] == "RESOLVED"
    assert opsgenie.timeline(alert_id)[-1] == "Resolved by an event via Opsgenie API"

    # The alias is free again: closing it once more finds nothing, and changes nothing.
    before = counts(opsgenie)
    again = opsgenie.status(opsgenie.act("api-latency", "close", None, "alias"))
    assert (again["success"], again["isSuccess"], again["status"], again["alertId"]) == (False, False, "Alert does not exist", "")
    assert counts(opsgenie) == {**before, "intake_requests": before["intake_requests"] + 1}


def test_acknowledge_and_close_by_id(opsgenie: Opsgenie) -> None:
    alert_id = opsgenie.status(opsgenie.create(message="Cache misses", alias="cache-misses"))["alertId"]
    ack = opsgenie.status(opsgenie.act(alert_id, "acknowledge"))  # identifierType id is the default
    assert (ack["status"], ack["alertId"], ack["alias"]) == ("Acknowledged alert", alert_id, "cache-misses")
    assert opsgenie.alert(alert_id)["status"] == "ACCEPTED"
    assert opsgenie.status(opsgenie.act(alert_id, "close", {"note": "Warmed up"}, "id"))["status"] == "Closed alert"
    assert opsgenie.alert(alert_id)["status"] == "RESOLVED"
    assert opsgenie.timeline(alert_id)[-2:] == ["Resolved by an event via Opsgenie API", "Opsgenie API: Warmed up"]

    # By id a closed alert is still found: closing it again is done already, acknowledging it cannot be.
    before = counts(opsgenie)
    assert opsgenie.status(opsgenie.act(alert_id, "close", {}, "tiny"))["status"] == "Alert is already closed"
    late = opsgenie.status(opsgenie.act(alert_id, "acknowledge", {}, "id"))
    assert (late["success"], late["status"]) == (False, "Alert is already closed")
    assert counts(opsgenie)["alert_log_entries"] == before["alert_log_entries"]
    assert opsgenie.alert(alert_id)["status"] == "RESOLVED"


def test_an_id_of_another_source_or_of_no_alert_does_not_exist(opsgenie: Opsgenie) -> None:
    response = httpx.post(
        f"{opsgenie.url}/api/events",
        json={"integrationKey": opsgenie.org.api_key, "eventType": "ALERT", "summary": "Not Opsgenie's", "alertKey": "api-only"},
        timeout=10,
    )
    other_alert = int(response.json()["alertUrl"].rsplit("/", 1)[1])
    before = counts(opsgenie)
    for identifier in (str(other_alert), "999999999", "99999999999999999999", "not-a-number"):
        status = opsgenie.status(opsgenie.act(identifier, "acknowledge", {}))
        assert (status["success"], status["status"], status["alertId"]) == (False, "Alert does not exist", "")
    # An alias is free text: one with a line break or a slash reaches the route (the fuzz test once
    # got pagerline's own 404 for "ð쫧\n").
    for alias in ("ð쫧\n", "a/b\r\nc"):
        status = opsgenie.status(opsgenie.act(alias, "close", {}, "alias"))
        assert (status["success"], status["status"], status["alertId"]) == (False, "Alert does not exist", "")
    assert opsgenie.alert(other_alert)["status"] == "PENDING"
    assert counts(opsgenie) == {**before, "intake_requests": before["intake_requests"] + 6}


def test_notes_are_comments_by_alias_and_by_id(opsgenie: Opsgenie) -> None:
    alert_id = opsgenie.status(opsgenie.create(message="Backups late", alias="backups-late"))["alertId"]
    by_alias = opsgenie.status(opsgenie.act("backups-late", "notes", {"note": "Storage is slow", "user": "dba"}, "alias"))
    by_id = opsgenie.status(opsgenie.act(alert_id, "notes", {"note": "Restarted the agent"}))
    assert [(s["action"], s["status"], s["alertId"]) for s in (by_alias, by_id)] == [("AddNote", "Added note", alert_id)] * 2
    assert opsgenie.timeline(alert_id)[-2:] == ["dba via Opsgenie API: Storage is slow", "Opsgenie API: Restarted the agent"]
    assert opsgenie.alert(alert_id)["status"] == "PENDING"


# --- priorities ---------------------------------------------------------------------------------


def test_priorities_map_by_the_default_table_and_by_the_sources_own(opsgenie: Opsgenie) -> None:
    def priority_of(alias: str, **extra: Any) -> str:
        alert_id = opsgenie.status(opsgenie.create(message=f"Priority {alias}", alias=alias, **extra))["alertId"]
        return str(opsgenie.alert(alert_id)["priority"])

    assert [priority_of(f"default-{p}", priority=p) for p in ("P1", "P2", "P3", "P4", "P5")] == ["HIGH", "HIGH", "LOW", "LOW", "LOW"]
    assert priority_of("default-none") == "HIGH"  # none sent: the source's default priority

    source = str(opsgenie.source_id)
    saved = data(opsgenie.url, opsgenie.admin_token, SET_INTAKE, id=source, settings={"opsgeniePriorities": {"P3": "HIGH", "P1": "LOW"}})
    assert saved["updateAlertSourcePolicy"]["intakeSettings"]["opsgeniePriorities"] == {"P3": "HIGH", "P1": "LOW"}
    try:
        assert [priority_of(f"override-{p}", priority=p) for p in ("P1", "P2", "P3", "P4")] == ["LOW", "HIGH", "HIGH", "LOW"]
    finally:
        data(opsgenie.url, opsgenie.admin_token, SET_INTAKE, id=source, settings=None)
    assert priority_of("back-to-default-P3", priority="P3") == "LOW"


# --- bad input ----------------------------------------------------------------------------------

NOT_PROCESSABLE = "Request body is not processable. Please check the errors."
UNKNOWN_KEY = "il_thisKeyBelongsToNoSource000000"
NUL = b'{"message": "Disk \\u0000 full", "alias": "nul"}'

# (name, method, path, how it is sent, status, message, errors)
BAD_INPUT: list[tuple[str, str, str, dict[str, Any], int, str | None, dict[str, str] | None]] = [
    ("no key", "POST", "/v2/alerts", {"body": {"message": "m", "alias": "bad-1"}, "headers": {"Authorization": ""}}, 401, "Could not authenticate", None),
    ("not a GenieKey", "POST", "/v2/alerts", {"body": {"message": "m", "alias": "bad-2"}, "auth": "Bearer {key}"}, 401, "Could not authenticate", None),
    ("unknown key", "POST", "/v2/alerts", {"body": {"message": "m", "alias": "bad-3"}, "auth": f"GenieKey {UNKNOWN_KEY}"}, 401, "Could not authenticate", None),
    ("not JSON", "POST", "/v2/alerts", {"content": b'{"message": "m", '}, 400, None, None),
    ("not an object", "POST", "/v2/alerts", {"content": b'[{"message": "m"}]'}, 400, None, None),
    ("NUL in a string", "POST", "/v2/alerts", {"content": NUL}, 400, None, None),
    ("too large", "POST", "/v2/alerts", {"body": {"message": "m", "description": "x" * 300_000}}, 413, None, None),
    ("no message", "POST", "/v2/alerts", {"body": {"alias": "bad-4", "description": "d"}}, 422, NOT_PROCESSABLE, {"message": "Message can not be empty."}),
    ("priority P9", "POST", "/v2/alerts", {"body": {"message": "m", "priority": "P9"}}, 422, NOT_PROCESSABLE, {"priority": "Priority should be one of [P1, P2, P3, P4, P5]."}),
    ("tags not a list", "POST", "/v2/alerts", {"body": {"message": "m", "tags": "a,b"}}, 422, NOT_PROCESSABLE, {"tags": "Tags must be a list of strings."}),
    ("details nested", "POST", "/v2/alerts", {"body": {"message": "m", "details": {"a": {"b": "c"}}}}, 422, NOT_PROCESSABLE, {"details": "Details must be a map of strings."}),
    ("alias too long", "POST", "/v2/alerts", {"body": {"message": "m", "alias": "a" * 513}}, 422, NOT_PROCESSABLE, {"alias": "Alias can not be longer than 512 characters."}),
    ("bad identifierType", "POST", "/v2/alerts/open-one/close", {"body": {}, "params": {"identifierType": "name"}}, 422, "identifierType should be one of [id, tiny, alias].", None),
    ("close without a key", "POST", "/v2/alerts/open-one/close", {"body": {}, "params": {"identifierType": "alias"}, "headers": {"Authorization": ""}}, 401, "Could not authenticate", None),
    ("acknowledge, unknown key", "POST", "/v2/alerts/open-one/acknowledge", {"body": {}, "params": {"identifierType": "alias"}, "auth": f"GenieKey {UNKNOWN_KEY}"}, 401, None, None),
    ("acknowledge, not JSON", "POST", "/v2/alerts/open-one/acknowledge", {"content": b"user=ops", "params": {"identifierType": "alias"}}, 400, None, None),
    ("note without a note", "POST", "/v2/alerts/open-one/notes", {"body": {"user": "ops"}, "params": {"identifierType": "alias"}}, 422, NOT_PROCESSABLE, {"note": "Note can not be empty."}),
    ("note of the wrong type", "POST", "/v2/alerts/open-one/notes", {"body": {"note": 5}, "params": {"identifierType": "alias"}}, 422, NOT_PROCESSABLE, {"note": "Note must be a string."}),
    ("note without a body", "POST", "/v2/alerts/open-one/notes", {"content": b"", "params": {"identifierType": "alias"}}, 400, None, None),
    ("NUL in the identifier", "POST", "/v2/alerts/open%00one/close", {"body": {}, "params": {"identifierType": "alias"}}, 422, None, None),
    ("status without a key", "GET", "/v2/alerts/requests/{request}", {"headers": {"Authorization": ""}}, 401, "Could not authenticate", None),
    ("status of no request", "GET", f"/v2/alerts/requests/{uuid.uuid4()}", {}, 404, "Request not found. It might not be processed, yet.", None),
    ("status of a request of another source", "GET", "/v2/alerts/requests/{request}", {"auth": "GenieKey {other_key}"}, 404, "Request not found. It might not be processed, yet.", None),
    ("status of a NUL id", "GET", "/v2/alerts/requests/%00", {}, 404, None, None),
]


@pytest.mark.parametrize(("name", "method", "path", "how", "status", "message", "errors"), BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_bad_input_gets_opsgenies_error_answer_and_changes_nothing(
    opsgenie: Opsgenie, name: str, method: str, path: str, how: dict[str, Any], status: int, message: str | None, errors: dict[str, str] | None
) -> None:
    open_request = opsgenie.create(message="Stays as it is", alias="open-one")
    alert_id = opsgenie.status(open_request)["alertId"]
    timeline = opsgenie.timeline(alert_id)
    before = counts(opsgenie)

    auth = how.get("auth", "GenieKey {key}").format(key=opsgenie.key, other_key=opsgenie.other_key)
    headers = {"Authorization": auth, **how.get("headers", {})}
    if not headers["Authorization"]:
        del headers["Authorization"]
    url = opsgenie.url + path.format(request=open_request)
    if method == "GET":
        response = httpx.get(url, headers=headers, timeout=10)
    elif "content" in how:
        response = httpx.post(url, content=how["content"], params=how.get("params"), headers={"Content-Type": "application/json", **headers}, timeout=10)
    else:
        response = httpx.post(url, json=how["body"], params=how.get("params"), headers=headers, timeout=10)

    opsgenie_error(response, status, message, errors)
    assert counts(opsgenie) == before, name
    assert opsgenie.timeline(alert_id) == timeline and opsgenie.alert(alert_id)["status"] == "PENDING"


def test_a_request_is_only_answered_to_its_own_sources_key(opsgenie: Opsgenie) -> None:
    request_id = opsgenie.create(message="Mine", alias="mine")
    assert opsgenie.request_status(request_id).status_code == 200
    opsgenie_error(opsgenie.request_status(request_id, key=opsgenie.other_key), 404)
    assert opsgenie.request_status(request_id.upper()).status_code == 200  # a UUID in either case


def test_too_many_requests_get_opsgenies_429_with_retry_after(templates: TemplateDatabases, tmp_path: Path) -> None:
    url = templates.sqlite(tmp_path)
    org = in_db(url, seed_org)
    server = start_server(
        embedded_env(url, tmp_path, PAGERLINE_EMBEDDED_WORKER="0", PAGERLINE_EVENT_RATE_PER_KEY="0.01", PAGERLINE_EVENT_BURST_PER_KEY="2"),
        tmp_path,
    )
    with serving(server):
        headers = {"Authorization": f"GenieKey {org.api_key}"}  # any source's key works
        for n in range(2):
            accepted(httpx.post(f"{server.url}/v2/alerts", json={"message": "Flood", "alias": f"flood-{n}"}, headers=headers, timeout=10))
        refused = httpx.post(f"{server.url}/v2/alerts", json={"message": "Flood", "alias": "flood-2"}, headers=headers, timeout=10)
        opsgenie_error(refused, 429)
        assert int(refused.headers["retry-after"]) >= 1
    assert in_db(url, lambda: Alert.filter(alert_key="flood-2").count()) == 0


# --- a real client --------------------------------------------------------------------------------


async def _source_alerts(source_id: int) -> list[dict[str, Any]]:
    return await Alert.filter(source_id=source_id).order_by("id").values("id", "alert_key", "status", "priority", "summary", "labels", "custom_details")


@needs_alertmanager
def test_alertmanagers_opsgenie_receiver_opens_and_closes_alerts(opsgenie: Opsgenie, tmp_path: Path) -> None:
    config = alertmanager_config(f"""
        - name: pagerline
          opsgenie_configs:
            - api_key: {opsgenie.alertmanager_key}
              api_url: {opsgenie.url}/
              priority: '{{{{ if eq .CommonLabels.severity "critical" }}}}P1{{{{ else }}}}P4{{{{ end }}}}'
              tags: 'disk,{{{{ .CommonLabels.instance }}}}'
              note: 'Runbook: https://runbooks.example/disk-full'
    """)
    source_id = opsgenie.alertmanager_source_id

    def alerts() -> list[dict[str, Any]]:
        return in_db(opsgenie.database_url, lambda: _source_alerts(source_id))

    critical = {"alertname": "DiskFull", "instance": "db-1", "severity": "critical"}
    warning = {"alertname": "DiskFilling", "instance": "db-2", "severity": "warning"}
    with running_alertmanager(config, tmp_path) as am:
        am.fire(critical, {"summary": "Disk full on db-1", "description": "/var is 100% full"})
        am.fire(warning, {"summary": "Disk filling on db-2"})
        opened = wait_until(lambda: found if len(found := alerts()) == 2 else None, timeout=30, what="both alerts in pagerline")
        by_name = {row["labels"]["alertname"]: row for row in opened}
        assert set(by_name) == {"DiskFull", "DiskFilling"}
        full, filling = by_name["DiskFull"], by_name["DiskFilling"]
        assert full["labels"] == critical and filling["labels"] == warning  # Opsgenie's details: the common labels
        assert (full["status"].value, full["priority"].value, filling["priority"].value) == ("PENDING", "HIGH", "LOW")  # P1, P4
        assert len(full["alert_key"]) == 64 and full["alert_key"] != filling["alert_key"]  # Alertmanager's group key hash
        assert full["custom_details"]["priority"] == "P1" and full["custom_details"]["tags"] == ["disk", "db-1"]
        assert full["custom_details"]["source"].startswith("http")  # Alertmanager's own URL
        assert "DiskFull" in full["summary"]
        assert "Opsgenie API: Runbook: https://runbooks.example/disk-full" in opsgenie.timeline(full["id"])

        am.resolve(critical)
        wait_until(lambda: {row["alert_key"]: row["status"].value for row in alerts()}[full["alert_key"]] == "RESOLVED", timeout=30, what="DiskFull closed")
        assert {row["alert_key"]: row["status"].value for row in alerts()}[filling["alert_key"]] == "PENDING"
        assert opsgenie.timeline(full["id"])[-1] == "Resolved by an event via Opsgenie API"
        log = am.log()
    assert "Notify for alerts failed" not in log and "Notify attempt failed" not in log, log[-3000:]
    # One alert per Alertmanager group, however often it notified.
    assert len(alerts()) == 2


# --- retention ------------------------------------------------------------------------------------

T0 = datetime(2031, 3, 10, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


async def test_retention_trims_old_request_records_and_a_young_one_outlives_its_alert(db: str) -> None:
    org = await seed_org()
    source = await find_source_by_key(org.api_key)
    assert source is not None
    ancient = await ingest_event(source, EventInput("ALERT", summary="Ancient", alert_key="ancient"), T0 - 500 * DAY)
    assert ancient.alert_id is not None
    await resolve_alert(ancient.alert_id, None, T0 - 499 * DAY)
    made = Outcome(True, "Created alert", ancient.alert_id, "ancient")
    old_id, young_id = str(uuid.uuid4()), str(uuid.uuid4())
    await record_request(old_id, source.id, Action.CREATE, made, T0 - 31 * DAY)
    await record_request(young_id, source.id, Action.CREATE, made, T0 - 29 * DAY)

    deleted: Counter[str] = Counter()
    for _ in range(10):
        report = await run_retention(T0, RetentionPolicy())  # the defaults: 30 days for dropped events and requests
        deleted.update(report.deleted)
        if not report.deleted:
            break
    assert deleted["intake_requests"] == 1
    assert not await Alert.filter(id=ancient.alert_id).exists()
    assert await find_request(old_id, source.id) is None
    young = await find_request(young_id, source.id)
    assert young is not None  # still answerable, its alert gone
    assert {k: v for k, v in request_status(young).items() if k in ("status", "alertId", "alias")} == {
        "status": "Created alert", "alertId": "", "alias": "ancient",
    }

    kept = RetentionPolicy(dropped_event_days=0)  # 0: no limit, for requests too
    assert "intake_requests" not in (await run_retention(T0 + 100 * DAY, kept)).deleted
    assert await find_request(young_id, source.id) is not None
