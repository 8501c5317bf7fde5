"""Bad input at the event intake gets a clear 4xx and writes nothing, against a real server.

Each refused request must answer with its documented status and a JSON body of exactly
``{status, message, code}``, and the alerts, alert_log_entries, notifications and deployment
events tables must hold the same number of rows afterwards. The table covers every route that
reads a body: text PostgreSQL cannot store (NUL, lone surrogates), numbers JSON cannot carry
(NaN, Infinity, 1e400) and nesting deep enough to exhaust a recursive reader each get a 400
there, as on SQLite. The servers here run with the embedded worker off
(``PAGERLINE_EMBEDDED_WORKER=0``): the intake behaves the same, and no background delivery writes
rows while the test compares counts, so the comparison can be exact.

Runs on SQLite, and on PostgreSQL when PAGERLINE_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from twilio.request_validator import RequestValidator

from pagerline.engine.alerts.transitions import event_counts
from pagerline.db import close_db, init_db
from pagerline.engine.sources.lookup import create_source
from pagerline.models import Alert, AlertLogEntry, DeploymentEvent, IntegrationType, Notification
from tests.conftest import run
from tests.support.databases import TemplateDatabases, pg_base_url
from tests.support.live import embedded_env, seed_database
from tests.support.processes import Server, start_server, wait_until
from tests.support.seed import Org, seed_org

PUBLIC_URL = "https://pagerline.example"
MAX_EVENT_BYTES = 16 * 1024  # room for the deeply nested bodies below
DEEP = 5000  # levels of nesting: far past the limit, and past Python's recursion limit
SAMPLES = Path(__file__).resolve().parents[1] / "samples"  # copies of ../shared/samples

# Stand-ins for values only known once the organisation is seeded.
API_KEY = "<api-key>"
AM_KEY = "<alertmanager-key>"
GRAFANA_KEY = "<grafana-key>"
WEBHOOK_KEY = "<webhook-key>"
UNKNOWN_KEY = "il_thisKeyBelongsToNoSource000000"
TWILIO_TOKEN = "twilio-test-auth-token"


def alertmanager_sample() -> dict[str, Any]:
    return json.loads((SAMPLES / "alertmanager-firing.json").read_text())


# --- talking to the database from the test process -------------------------------------------


async def _seed_with_webhook(url: str) -> tuple[Org, str]:
    await init_db(url)
    try:
        org = await seed_org()
        _, webhook_key = await create_source("Ops webhook", org.policy_id, IntegrationType.WEBHOOK, team_id=org.team_id)
        return org, webhook_key
    finally:
        await close_db()


async def _counts(url: str) -> dict[str, int]:
    await init_db(url)
    try:
        return {
            "alerts": await Alert.all().count(),
            "alert_log_entries": await AlertLogEntry.all().count(),
            "notifications": await Notification.all().count(),
            "deployment_events": await DeploymentEvent.all().count(),
        }
    finally:
        await close_db()


def counts(url: str) -> dict[str, int]:
    return run(_counts(url))


async def _alerts_with_key(url: str, alert_key: str) -> list[tuple[int, str, int]]:
    await init_db(url)
    try:
        rows = await Alert.filter(alert_key=alert_key).order_by("id").values_list("id", "summary")
        counted = await event_counts([r[0] for r in rows])
        return [(alert_id, summary, counted[alert_id]) for alert_id, summary in rows]
    finally:
        await close_db()


def server_env(database_url: str, workdir: Path, **extra: str) -> dict[str, str]:
    """No embedded worker: these tests look at what the intake stores, not at pages."""
    return embedded_env(database_url, workdir, PAGERLINE_EMBEDDED_WORKER="0", PAGERLINE_PUBLIC_URL=PUBLIC_URL, **extra)


def assert_error_body(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"status", "message", "code"}, body
    assert body["status"] == status
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"].strip(), body
    return body


# --- one server per backend for the whole table -------------------------------------------------


@dataclass
class Intake:
    server: Server
    database_url: str
    org: Org
    webhook_key: str

    def keys(self) -> dict[str, str]:
        return {
            API_KEY: self.org.api_key,
            AM_KEY: self.org.alertmanager_key,
            GRAFANA_KEY: self.org.grafana_key,
            WEBHOOK_KEY: self.webhook_key,
        }

    def fill(self, value: Any) -> Any:
        """Replaces the key stand-ins with the seeded organisation's keys."""
        if isinstance(value, str):
            for stand_in, key in self.keys().items():
                value = value.replace(stand_in, key)
            return value
        if isinstance(value, bytes):
            return self.fill(value.decode("latin-1")).encode("latin-1")
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        return value


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def intake(
    request: pytest.FixtureRequest, templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Intake]:
    """One server per backend for the table below: a server per case would cost ~2.5 s each.
    (The function-scoped ``database_url`` fixture is used by the tests that need their own server.)"""
    if request.param == "postgres" and not pg_base_url():
        pytest.skip("PostgreSQL variant: set PAGERLINE_TEST_DATABASE_URL to run it")
    workdir = tmp_path_factory.mktemp(f"intake-{request.param}")
    url = templates.sqlite(workdir) if request.param == "sqlite" else templates.postgres()
    org, webhook_key = run(_seed_with_webhook(url))
    env = server_env(
        url, workdir, PAGERLINE_MAX_EVENT_BYTES=str(MAX_EVENT_BYTES), PAGERLINE_TWILIO_ACCOUNT_SID="AC0",
        PAGERLINE_TWILIO_AUTH_TOKEN=TWILIO_TOKEN, PAGERLINE_TWILIO_FROM="+15550100",
        # Nothing here sends: pointed at a closed port so a stray send could not leave the machine.
        PAGERLINE_TWILIO_BASE_URL="http://127.0.0.1:9",
    )
    server = start_server(env, workdir)
    try:
        yield Intake(server, url, org, webhook_key)
    finally:
        server.stop()


@dataclass(frozen=True)
class Bad:
    """One bad request: what is sent, and the status and code it must get."""

    path: str  # may hold key stand-ins
    body: Any  # JSON-able value, or raw bytes sent as they are (key stand-ins are replaced in both)
    status: int
    code: str
    chunked: bool = False  # send without Content-Length, so the server must count while reading


def event(**fields: Any) -> dict[str, Any]:
    """A good ALERT event for the API source, changed by ``fields`` (None removes a field)."""
    body: dict[str, Any] = {"integrationKey": API_KEY, "eventType": "ALERT", "summary": "Disk full", "alertKey": "disk-full"}
    for name, value in fields.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def prom(**alert_fields: Any) -> dict[str, Any]:
    body = alertmanager_sample()
    body["alerts"][0].update(alert_fields)
    return body


def _too_large_event() -> bytes:
    return json.dumps(event(details="x" * (MAX_EVENT_BYTES + 100))).encode()


def _too_large_prom() -> bytes:
    return json.dumps(prom(annotations={"summary": "web-1 is down", "description": "y" * (MAX_EVENT_BYTES + 100)})).encode()


MARK = "<literal>"


def with_literal(body: Any, literal: str) -> bytes:
    """``body`` as JSON with the string MARK in it replaced by ``literal``: JSON text that no
    encoder writes (NaN, 1e400, deep nesting) sent as a client could."""
    return json.dumps(body).replace(json.dumps(MARK), literal).encode()


NESTED = "[" * DEEP + "]" * DEEP
EVENTS = "/api/events"
ALERTMANAGER = f"/api/events/alertmanager/{AM_KEY}"
GRAFANA = f"/api/events/grafana/{GRAFANA_KEY}"
WEBHOOK = f"/api/events/webhook/{WEBHOOK_KEY}"
DEPLOYMENTS = "/api/deployment-events"
ACTIONS = "/api/actions"


def deployment(**fields: Any) -> dict[str, Any]:
    return {"integrationKey": API_KEY, "summary": "Deployed checkout v42", **fields}


BAD_INPUT = {
    # key
    "no key": Bad(EVENTS, event(integrationKey=None), 400, "MISSING_INTEGRATION_KEY"),
    "empty key": Bad(EVENTS, event(integrationKey=""), 400, "MISSING_INTEGRATION_KEY"),
    "unknown key": Bad(EVENTS, event(integrationKey=UNKNOWN_KEY), 404, "UNKNOWN_INTEGRATION_KEY"),
    "unknown apiKey": Bad(EVENTS, event(integrationKey=None, apiKey=UNKNOWN_KEY), 404, "UNKNOWN_INTEGRATION_KEY"),
    # not a JSON object
    "not JSON": Bad(EVENTS, b"{this is not json", 400, "INVALID_JSON"),
    "empty body": Bad(EVENTS, b"", 400, "INVALID_JSON"),
    "not UTF-8": Bad(EVENTS, b'{"summary": "\xff\xfe"}', 400, "INVALID_JSON"),
    "JSON array": Bad(EVENTS, [event()], 400, "INVALID_BODY"),
    "JSON string": Bad(EVENTS, "ALERT", 400, "INVALID_BODY"),
    # shape
    "unknown eventType": Bad(EVENTS, event(eventType="TRIGGER"), 422, "INVALID_EVENT"),
    "no eventType": Bad(EVENTS, event(eventType=None), 422, "INVALID_EVENT"),
    "summary is a number": Bad(EVENTS, event(summary=42), 422, "INVALID_EVENT"),
    "labels with a number value": Bad(EVENTS, event(labels={"env": "prod", "replicas": 3}), 422, "INVALID_EVENT"),
    "priority URGENT": Bad(EVENTS, event(priority="URGENT"), 422, "INVALID_EVENT"),
    "priority lower case": Bad(EVENTS, event(priority="high"), 422, "INVALID_EVENT"),
    "images not a list": Bad(EVENTS, event(images="https://img.example/cpu.png"), 422, "INVALID_EVENT"),
    "image without src": Bad(EVENTS, event(images=[{"href": "https://img.example"}]), 422, "INVALID_EVENT"),
    "links not a list": Bad(EVENTS, event(links={"href": "https://runbook.example"}), 422, "INVALID_EVENT"),
    "alertKey too long": Bad(EVENTS, event(alertKey="k" * 256), 422, "INVALID_EVENT"),
    # meaning
    "ACCEPT without alertKey": Bad(EVENTS, event(eventType="ACCEPT", alertKey=None), 400, "BAD_USER_INPUT"),
    "RESOLVE with blank alertKey": Bad(EVENTS, event(eventType="RESOLVE", alertKey="  "), 400, "BAD_USER_INPUT"),
    "ALERT without summary": Bad(EVENTS, event(summary=None), 400, "BAD_USER_INPUT"),
    "ALERT with blank summary": Bad(EVENTS, event(summary="   "), 400, "BAD_USER_INPUT"),
    # text PostgreSQL cannot store (SQLite would have taken it)
    "NUL in summary": Bad(EVENTS, event(summary="Disk\x00full"), 400, "INVALID_TEXT"),
    "NUL in alertKey": Bad(EVENTS, event(alertKey="disk\x00full"), 400, "INVALID_TEXT"),
    "NUL in details": Bad(EVENTS, event(details="see\x00below"), 400, "INVALID_TEXT"),
    "NUL in a label key": Bad(EVENTS, event(labels={"e\x00nv": "prod"}), 400, "INVALID_TEXT"),
    "NUL in a label value": Bad(EVENTS, event(labels={"env": "pr\x00od"}), 400, "INVALID_TEXT"),
    "NUL in customDetails": Bad(EVENTS, event(customDetails={"host": {"name": "db\x001"}}), 400, "INVALID_TEXT"),
    "NUL in a customDetails key": Bad(EVENTS, event(customDetails={"ho\x00st": "db-1"}), 400, "INVALID_TEXT"),
    "NUL in a RESOLVE alertKey": Bad(EVENTS, event(eventType="RESOLVE", alertKey="disk\x00full"), 400, "INVALID_TEXT"),
    "NUL in a comment": Bad(EVENTS, event(eventType="COMMENT", comments=[{"content": "on it\x00"}]), 400, "INVALID_TEXT"),
    "NUL in integrationKey": Bad(EVENTS, event(integrationKey=f"{API_KEY}\x00"), 400, "INVALID_TEXT"),
    "lone surrogate in summary": Bad(EVENTS, event(summary="Disk \ud800 full"), 400, "INVALID_TEXT"),
    "lone surrogate in a customDetails key": Bad(EVENTS, event(customDetails={"\udfff": 1}), 400, "INVALID_TEXT"),
    # numbers JSON cannot carry, nesting that exhausts a recursive reader
    "NaN in customDetails": Bad(EVENTS, with_literal(event(customDetails={"load": MARK}), "NaN"), 400, "INVALID_JSON"),
    "Infinity in customDetails": Bad(EVENTS, with_literal(event(customDetails={"load": MARK}), "Infinity"), 400, "INVALID_JSON"),
    "-Infinity in customDetails": Bad(EVENTS, with_literal(event(customDetails={"load": MARK}), "-Infinity"), 400, "INVALID_JSON"),
    "1e400 in customDetails": Bad(EVENTS, with_literal(event(customDetails={"load": MARK}), "1e400"), 400, "INVALID_JSON"),
    "nested past the limit": Bad(EVENTS, with_literal(event(customDetails={"deep": MARK}), "[" * 70 + "]" * 70), 400, "INVALID_JSON"),
    "nested 5000 deep": Bad(EVENTS, with_literal(event(customDetails={"deep": MARK}), NESTED), 400, "INVALID_JSON"),
    "nested 5000 deep, alone": Bad(EVENTS, NESTED.encode(), 400, "INVALID_JSON"),
    # size
    "too large": Bad(EVENTS, _too_large_event(), 413, "PAYLOAD_TOO_LARGE"),
    "too large, chunked": Bad(EVENTS, _too_large_event(), 413, "PAYLOAD_TOO_LARGE", chunked=True),
    # the Alertmanager and Grafana webhooks
    "alertmanager: unknown key": Bad(f"/api/events/alertmanager/{UNKNOWN_KEY}", alertmanager_sample(), 404, "UNKNOWN_INTEGRATION_KEY"),
    "alertmanager: not JSON": Bad(ALERTMANAGER, b"status=firing", 400, "INVALID_JSON"),
    "alertmanager: JSON array": Bad(ALERTMANAGER, alertmanager_sample()["alerts"], 400, "INVALID_BODY"),
    "alertmanager: no alerts": Bad(ALERTMANAGER, {"version": "4", "status": "firing"}, 422, "INVALID_WEBHOOK"),
    "alertmanager: status pending": Bad(ALERTMANAGER, prom(status="pending"), 422, "INVALID_WEBHOOK"),
    "alertmanager: label is a number": Bad(ALERTMANAGER, prom(labels={"alertname": "Up", "code": 500}), 422, "INVALID_WEBHOOK"),
    "alertmanager: too large": Bad(ALERTMANAGER, _too_large_prom(), 413, "PAYLOAD_TOO_LARGE"),
    "alertmanager: NUL in fingerprint": Bad(ALERTMANAGER, prom(fingerprint="ea6e\x00"), 400, "INVALID_TEXT"),
    "alertmanager: NUL in an annotation": Bad(ALERTMANAGER, prom(annotations={"summary": "web-1\x00"}), 400, "INVALID_TEXT"),
    "alertmanager: lone surrogate in a label": Bad(ALERTMANAGER, prom(labels={"alertname": "Up\ud800"}), 400, "INVALID_TEXT"),
    "alertmanager: NaN": Bad(ALERTMANAGER, with_literal(prom(value=MARK), "NaN"), 400, "INVALID_JSON"),
    "alertmanager: nested 5000 deep": Bad(ALERTMANAGER, with_literal(prom(extra=MARK), NESTED), 400, "INVALID_JSON"),
    "grafana: NUL in a label key": Bad(GRAFANA, prom(labels={"alert\x00name": "Up"}), 400, "INVALID_TEXT"),
    "grafana: nested 5000 deep": Bad(GRAFANA, with_literal(prom(extra=MARK), NESTED), 400, "INVALID_JSON"),
    # the generic webhook: its whole payload becomes customDetails
    "webhook: NUL in summary": Bad(WEBHOOK, {"summary": "Checkout\x00down"}, 400, "INVALID_TEXT"),
    "webhook: NUL deep in the payload": Bad(WEBHOOK, {"summary": "Down", "data": [{"k": "\x00"}]}, 400, "INVALID_TEXT"),
    "webhook: Infinity": Bad(WEBHOOK, with_literal({"summary": "Down", "value": MARK}, "Infinity"), 400, "INVALID_JSON"),
    "webhook: nested 5000 deep": Bad(WEBHOOK, with_literal({"summary": "Down", "data": MARK}, NESTED), 400, "INVALID_JSON"),
    # deployment events and alert actions
    "deployment: NUL in summary": Bad(DEPLOYMENTS, deployment(summary="Deployed\x00"), 400, "INVALID_TEXT"),
    "deployment: NUL in userEmail": Bad(DEPLOYMENTS, deployment(userEmail="a\x00@example.com"), 400, "INVALID_TEXT"),
    "deployment: NaN in customDetails": Bad(DEPLOYMENTS, with_literal(deployment(customDetails={"x": MARK}), "NaN"), 400, "INVALID_JSON"),
    "deployment: 1e400 timestamp": Bad(DEPLOYMENTS, with_literal(deployment(timestamp=MARK), "1e400"), 400, "INVALID_JSON"),
    "deployment: timestamp of 400 digits": Bad(DEPLOYMENTS, deployment(timestamp=10**400), 422, "INVALID_DEPLOYMENT_EVENT"),
    "deployment: nested 5000 deep": Bad(DEPLOYMENTS, with_literal(deployment(customDetails={"x": MARK}), NESTED), 400, "INVALID_JSON"),
    "actions: nested 5000 deep": Bad(ACTIONS, with_literal({"token": MARK, "action": "accept"}, NESTED), 400, "INVALID_JSON"),
    "actions: NUL in token": Bad(ACTIONS, {"token": "t\x00", "action": "accept"}, 400, "INVALID_TEXT"),
}


def send(intake: Intake, case: Bad) -> httpx.Response:
    raw = intake.fill(case.body) if isinstance(case.body, bytes) else json.dumps(intake.fill(case.body)).encode()
    content: Any = iter([raw[i : i + 512] for i in range(0, len(raw), 512)]) if case.chunked else raw
    response = httpx.post(
        f"{intake.server.url}{intake.fill(case.path)}", content=content, headers={"content-type": "application/json"}, timeout=10
    )
    if case.chunked:
        assert "content-length" not in response.request.headers
    return response


@pytest.mark.parametrize("case", list(BAD_INPUT.values()), ids=list(BAD_INPUT))
def test_bad_input_gets_its_status_and_writes_nothing(intake: Intake, case: Bad) -> None:
    before = counts(intake.database_url)
    response = send(intake, case)
    assert_error_body(response, case.status, case.code)
    assert counts(intake.database_url) == before


# Twilio callbacks are forms, read by the same reader: signed correctly, and still refused.
SIGNED_FORMS = {
    "NUL in an SMS sender": ("/api/twilio/sms", b"From=%2B15550100%00&Body=1", 400, "INVALID_TEXT"),
    "lone surrogate (as CESU bytes) in an SMS body": ("/api/twilio/sms", b"From=%2B15550100&Body=%ED%A0%80", 400, "INVALID_FORM"),
    "NUL in a keypress": ("/api/twilio/voice/gather?n=1", b"Digits=1%00", 400, "INVALID_TEXT"),
    "NUL in a delivery status": ("/api/twilio/status?n=1", b"MessageStatus=failed%00", 400, "INVALID_TEXT"),
}


@pytest.mark.parametrize("case", list(SIGNED_FORMS), ids=list(SIGNED_FORMS))
def test_signed_twilio_form_with_unstorable_text_gets_400_and_writes_nothing(intake: Intake, case: str) -> None:
    path, raw, status, code = SIGNED_FORMS[case]
    # Twilio signs the decoded fields; an undecodable body is refused before anyone reads them.
    params = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(f"{PUBLIC_URL}{path}", params)
    before = counts(intake.database_url)
    response = httpx.post(
        f"{intake.server.url}{path}",
        content=raw,
        headers={"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature},
        timeout=10,
    )
    assert_error_body(response, status, code)
    assert counts(intake.database_url) == before


def test_good_event_gets_202_and_a_generated_alert_key(intake: Intake) -> None:
    before = counts(intake.database_url)
    response = httpx.post(
        f"{intake.server.url}/api/events",
        json={"integrationKey": intake.org.api_key, "eventType": "ALERT", "summary": "CPU hot on web-7"},
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert set(body) == {"alertKey", "alertUrl", "responseCode"}
    assert body["responseCode"] == "NEW_ALERT_CREATED"
    assert re.fullmatch(r"[0-9a-f]{32}", body["alertKey"]), body
    stored = run(_alerts_with_key(intake.database_url, body["alertKey"]))
    assert [(summary, n) for _, summary, n in stored] == [("CPU hot on web-7", 1)]
    alert_id = stored[0][0]
    assert body["alertUrl"] == f"{PUBLIC_URL}/#/alerts/{alert_id}"
    after = counts(intake.database_url)
    assert after["alerts"] == before["alerts"] + 1
    # RECEIVED, and SMS and VOICE skipped (no phone); one PUSH row for Alice.
    assert after["alert_log_entries"] == before["alert_log_entries"] + 3
    assert after["notifications"] == before["notifications"] + 1

    # The generated key dedups like any other (case-insensitively).
    again = httpx.post(
        f"{intake.server.url}/api/events",
        json={"apiKey": intake.org.api_key, "eventType": "ALERT", "summary": "CPU hot on web-7", "alertKey": body["alertKey"].upper()},
    )
    assert again.status_code == 202, again.text
    assert again.json() == {
        "alertKey": body["alertKey"].upper(),
        "alertUrl": f"{PUBLIC_URL}/#/alerts/{alert_id}",
        "responseCode": "EVENT_ADDED_TO_ALERT",
    }
    assert [n for _, _, n in run(_alerts_with_key(intake.database_url, body["alertKey"]))] == [2]


def test_good_alertmanager_webhook_gets_202(intake: Intake) -> None:
    response = httpx.post(
        f"{intake.server.url}/api/events/alertmanager/{intake.org.alertmanager_key}", json=alertmanager_sample()
    )
    assert response.status_code == 202, response.text
    [result] = response.json()["alerts"]
    stored = run(_alerts_with_key(intake.database_url, "ea6e6a2b5a91e010"))
    assert [(summary, n) for _, summary, n in stored] == [("web-1 is down", 1)]
    assert result == {
        "alertKey": "ea6e6a2b5a91e010",
        "alertUrl": f"{PUBLIC_URL}/#/alerts/{stored[0][0]}",
        "responseCode": "NEW_ALERT_CREATED",
    }


# --- the rate limit needs its own server (rate 1/s, burst 2) -----------------------------------


def test_too_fast_gets_429_with_retry_after_and_writes_nothing(database_url: str, tmp_path: Path) -> None:
    org = seed_database(database_url)
    env = server_env(database_url, tmp_path, PAGERLINE_EVENT_RATE_PER_KEY="1", PAGERLINE_EVENT_BURST_PER_KEY="2")
    server = start_server(env, tmp_path)
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:

            def post(key: str) -> httpx.Response:
                return client.post(
                    "/api/events",
                    json={"integrationKey": org.api_key, "eventType": "ALERT", "summary": f"Burst {key}", "alertKey": key},
                )

            assert [post(k).status_code for k in ("burst-1", "burst-2")] == [202, 202]
            before = counts(database_url)
            refused = post("burst-3")
            assert_error_body(refused, 429, "RATE_LIMITED")
            # 1 token per second, the bucket just emptied: the next token comes within a second.
            assert refused.headers["retry-after"] == "1"
            assert counts(database_url) == before
            assert run(_alerts_with_key(database_url, "burst-3")) == []

            # The bucket is per integration key: the Alertmanager source is not held up.
            other = client.post(f"/api/events/alertmanager/{org.alertmanager_key}", json=alertmanager_sample())
            assert other.status_code == 202, other.text

            # Tokens come back with time: waiting for the refill (polling, not sleeping a set time).
            tried: list[str] = []

            def retry() -> bool:
                tried.append(f"later-{len(tried)}")
                response = post(tried[-1])
                if response.status_code == 202:
                    return True
                assert_error_body(response, 429, "RATE_LIMITED")
                return False

            wait_until(retry, timeout=5, interval=0.2, what="the rate limit to let an event through")
            assert [len(run(_alerts_with_key(database_url, key))) for key in tried] == [0] * (len(tried) - 1) + [1]
    finally:
        server.stop()
