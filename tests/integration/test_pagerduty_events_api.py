"""PagerDuty Events API v2 compatibility against a real server: ``POST /v2/enqueue`` and
``POST /v2/change/enqueue`` answer as PagerDuty does, and real PagerDuty senders work unchanged.

- The answers: 202 ``{"status": "success", "message": "Event processed", "dedup_key": ...}``
  exactly (a generated key when the trigger had none); acknowledge and resolve move the alert;
  an acknowledge or resolve of a key with no open alert is processed and changes nothing.
- What an event becomes: the alert's summary, priority (the source's severity map, default
  and overridden through GraphQL ``intakeSettings``), labels, custom details, links and images,
  read back through GraphQL; change events as ``deploymentEvents``.
- Bad input on both routes (not JSON, missing or unknown routing key, a heartbeat source's key,
  a bad action or severity, a missing or over-long summary, a body over 512 KB, text the
  database cannot store, ...) gets PagerDuty's 400 shape and changes no table; too many events
  for a key get 429 with ``Retry-After``.
- Real clients, unchanged: PagerDuty's Python client (the ``pagerduty`` package's
  ``EventsApiV2Client``, which speaks only https, so the server is reached through a TLS front
  with a certificate the client is told to trust) triggers, acknowledges, resolves and sends a
  change event; Debian's Prometheus Alertmanager with a ``pagerduty_configs`` receiver pointed
  at ``/v2/enqueue`` fires and resolves. Both page the on-call person.

The table and shapes use a server without the embedded worker (no background delivery writes
rows while counts are compared); the real clients use one with it, so pages are sent. SQLite,
and PostgreSQL when PAGERLINE_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pagerduty
import pytest

from pagerline.db import close_db, init_db
from pagerline.engine.alerts.transitions import event_counts
from pagerline.engine.people.accounts import create_token, create_user
from pagerline.engine.sources.lookup import create_source
from pagerline.models import (
    Alert, AlertLogEntry, DeploymentEvent, IntegrationType, Notification, Priority, ReceivedPayload, Role, TokenKind,
)
from tests.conftest import run
from tests.fakes import SelfSigned, make_self_signed
from tests.support import console
from tests.support.alertmanager import alertmanager_config, needs_alertmanager, running_alertmanager
from tests.support.databases import TemplateDatabases, pg_base_url
from tests.support.graphql import data
from tests.support.live import embedded_env
from tests.support.processes import Server, start_server, wait_until
from tests.support.seed import Org, seed_org

PUBLIC_URL = "https://pagerline.example"
ENQUEUE = "/v2/enqueue"
CHANGE = "/v2/change/enqueue"
UNKNOWN_KEY = "il_thisKeyBelongsToNoSource000000"
PD_LIMIT = 512 * 1024
SUCCESS = {"status": "success", "message": "Event processed"}
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

ALERT = """query($id: ID!) { alert(id: $id) {
    summary details status priority alertKey customDetails
    links { href text } images { src href alt } labels { key value } logEntries { text } } }"""
POLICY = "mutation($id: ID!, $input: AlertSourcePolicyInput!) { updateAlertSourcePolicy(id: $id, input: $input) { intakeSettings } }"
DEPLOYMENTS = "query($id: ID!) { deploymentEvents(sourceId: $id) { summary at userEmail customDetails links } }"


# --- an organisation with a PagerDuty source, and a server on it --------------------------------


@dataclass
class Site:
    server: Server
    database_url: str
    workdir: Path
    org: Org
    pd_key: str  # a PAGERDUTY-type source's integration key
    pd_source_id: int
    heartbeat_key: str  # a HEARTBEAT-type source's key: takes no events here
    admin_token: str

    @property
    def url(self) -> str:
        return self.server.url

    def post(self, path: str, body: Any, *, chunked: bool = False) -> httpx.Response:
        """``body``: a JSON-able value, or bytes sent as they are."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        content: Any = iter([raw[i : i + 65536] for i in range(0, len(raw), 65536)]) if chunked else raw
        return httpx.post(f"{self.url}{path}", content=content, headers={"content-type": "application/json"}, timeout=15)

    def gql(self, query: str, **variables: Any) -> dict[str, Any]:
        return data(self.url, self.admin_token, query, **variables)


async def _seed(url: str) -> tuple[Org, str, int, str, str]:
    await init_db(url)
    try:
        org = await seed_org()
        source, pd_key = await create_source("Ops PagerDuty", org.policy_id, IntegrationType.PAGERDUTY, Priority.HIGH, org.team_id)
        _, heartbeat_key = await create_source("Ops heartbeats", org.policy_id, IntegrationType.HEARTBEAT, Priority.HIGH, org.team_id)
        admin = await create_user("root@org.test", "Root", "root-password", Role.ADMIN)
        _, admin_token = await create_token(admin.id, TokenKind.API, datetime.now(UTC), "test")
        return org, pd_key, source.id, heartbeat_key, admin_token
    finally:
        await close_db()


@contextlib.contextmanager
def site_on(backend: str, templates: TemplateDatabases, workdir: Path, **env: str) -> Iterator[Site]:
    if backend == "postgres" and not pg_base_url():
        pytest.skip("PostgreSQL variant: set PAGERLINE_TEST_DATABASE_URL to run it")
    url = templates.sqlite(workdir) if backend == "sqlite" else templates.postgres()
    org, pd_key, pd_source_id, heartbeat_key, admin_token = run(_seed(url))
    server = start_server(embedded_env(url, workdir, PAGERLINE_PUBLIC_URL=PUBLIC_URL, **env), workdir)
    try:
        yield Site(server, url, workdir, org, pd_key, pd_source_id, heartbeat_key, admin_token)
    finally:
        server.stop()
    assert "Exception in ASGI application" not in server.log(), server.log()[-4000:]


@pytest.fixture(scope="module", params=BACKENDS)
def site(request: pytest.FixtureRequest, templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """No embedded worker: nothing writes rows behind the test's back while it compares counts."""
    with site_on(request.param, templates, tmp_path_factory.mktemp(f"pd-{request.param}"), PAGERLINE_EMBEDDED_WORKER="0") as made:
        yield made


# --- reading what was stored ------------------------------------------------------------------------


async def _snapshot(url: str) -> dict[str, Any]:
    await init_db(url)
    try:
        return {
            "alerts": sorted(await Alert.all().values_list("id", "status", "priority")),
            "alert_log_entries": await AlertLogEntry.all().count(),
            "notifications": await Notification.all().count(),
            "deployment_events": await DeploymentEvent.all().count(),
            "received_payloads": await ReceivedPayload.all().count(),
        }
    finally:
        await close_db()


def snapshot(site: Site) -> dict[str, Any]:
    """Every row bad input could have written or changed (alerts with their status and priority)."""
    return run(_snapshot(site.database_url))


async def _alerts(url: str, source_id: int, alert_key: str | None, summary_part: str | None) -> list[tuple[int, str, str, int]]:
    await init_db(url)
    try:
        query = Alert.filter(source_id=source_id)
        if alert_key is not None:
            query = query.filter(alert_key=alert_key)
        if summary_part is not None:
            query = query.filter(summary__contains=summary_part)
        rows = await query.order_by("id").values_list("id", "status", "priority")
        counted = await event_counts([row[0] for row in rows])
        return [(alert_id, str(status.value), str(priority.value), counted[alert_id]) for alert_id, status, priority in rows]
    finally:
        await close_db()


def alerts(site: Site, *, source_id: int | None = None, key: str | None = None, summary_part: str | None = None) -> list[tuple[int, str, str, int]]:
    """(id, status, priority, events) of a source's alerts with this key or summary, oldest first."""
    return run(_alerts(site.database_url, source_id or site.pd_source_id, key, summary_part))


def the_alert(site: Site, key: str, **kwargs: Any) -> tuple[int, str, str, int]:
    [found] = alerts(site, key=key, **kwargs)
    return found


def trigger(routing_key: str, dedup_key: str | None, summary: str = "Disk full on db-1", severity: str = "critical", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "routing_key": routing_key, "event_action": "trigger", "payload": {"summary": summary, "source": "db-1", "severity": severity}, **fields,
    }
    if dedup_key is not None:
        body["dedup_key"] = dedup_key
    return body


def action(routing_key: str, event_action: str, dedup_key: str) -> dict[str, Any]:
    return {"routing_key": routing_key, "event_action": event_action, "dedup_key": dedup_key}


def accepted(response: httpx.Response, dedup_key: str) -> None:
    assert response.status_code == 202, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {**SUCCESS, "dedup_key": dedup_key}


# --- the answers and what an event becomes ---------------------------------------------------------

# PagerDuty's example trigger, as documented ("Send an Alert Event").
DOCUMENTED_TRIGGER: dict[str, Any] = {
    "payload": {
        "summary": "DISK at 99% on machine prod-datapipe03.example.com",
        "timestamp": "2015-07-17T08:42:58.315+0000",
        "severity": "critical",
        "source": "prod-datapipe03.example.com",
        "component": "mysql",
        "group": "prod-datapipe",
        "class": "disk",
        "custom_details": {"free space": "1%", "ping time": "1500ms", "load avg": 0.75},
    },
    "dedup_key": "srv01/mysql",
    "event_action": "trigger",
    "client": "Sample Monitoring Service",
    "client_url": "https://monitoring.service.com",
    "links": [{"href": "http://pagerduty.example.com", "text": "An example link."}],
    "images": [{"src": "https://chart.googleapis.com/chart?chs=600x400&chd=t:6,2,9,5,2&cht=lc", "href": "https://google.com", "alt": "An example link with an image"}],
}


def test_a_trigger_answers_202_as_pagerduty_does_and_the_alert_shows_what_was_sent(site: Site) -> None:
    response = site.post(ENQUEUE, {**DOCUMENTED_TRIGGER, "routing_key": site.pd_key})
    accepted(response, "srv01/mysql")
    alert_id, status, priority, events = the_alert(site, "srv01/mysql")
    assert (status, priority, events) == ("PENDING", "HIGH", 1)
    shown = site.gql(ALERT, id=str(alert_id))["alert"]
    assert shown["summary"] == "DISK at 99% on machine prod-datapipe03.example.com"
    assert shown["details"] == "Detected by the sender at 2015-07-17T08:42:58.315+0000"
    assert (shown["status"], shown["priority"], shown["alertKey"]) == ("PENDING", "HIGH", "srv01/mysql")
    assert shown["customDetails"] == {"free space": "1%", "ping time": "1500ms", "load avg": 0.75}
    assert shown["links"] == [
        {"href": "http://pagerduty.example.com", "text": "An example link."},
        {"href": "https://monitoring.service.com", "text": "View in Sample Monitoring Service"},
    ]
    assert shown["images"] == DOCUMENTED_TRIGGER["images"]
    assert shown["labels"] == [
        {"key": "class", "value": "disk"}, {"key": "component", "value": "mysql"}, {"key": "group", "value": "prod-datapipe"},
        {"key": "severity", "value": "critical"}, {"key": "source", "value": "prod-datapipe03.example.com"},
    ]
    assert any("via PagerDuty Events API" in entry["text"] for entry in shown["logEntries"]), shown["logEntries"]

    # The same dedup_key again joins the open alert, as in PagerDuty.
    accepted(site.post(ENQUEUE, {**DOCUMENTED_TRIGGER, "routing_key": site.pd_key}), "srv01/mysql")
    assert the_alert(site, "srv01/mysql") == (alert_id, "PENDING", "HIGH", 2)


def test_a_trigger_without_dedup_key_gets_one_that_acknowledge_and_resolve_then_use(site: Site) -> None:
    response = site.post(ENQUEUE, trigger(site.pd_key, None, "Checkout error rate 12%", "error"))
    assert response.status_code == 202, response.text
    body = response.json()
    assert set(body) == {"status", "message", "dedup_key"} and {k: body[k] for k in SUCCESS} == SUCCESS
    key = body["dedup_key"]
    assert re.fullmatch(r"[0-9a-f]{32}", key), key  # PagerDuty's generated keys are UUIDs too
    alert_id, status, _, _ = the_alert(site, key)
    assert status == "PENDING"

    accepted(site.post(ENQUEUE, action(site.pd_key, "acknowledge", key)), key)
    assert the_alert(site, key)[:2] == (alert_id, "ACCEPTED")
    accepted(site.post(ENQUEUE, action(site.pd_key, "resolve", key)), key)
    assert the_alert(site, key)[:2] == (alert_id, "RESOLVED")

    # Resolved is final: the same key triggers a new alert, as PagerDuty opens a new incident.
    accepted(site.post(ENQUEUE, trigger(site.pd_key, key, "Checkout error rate 12%", "error")), key)
    assert [row[1] for row in alerts(site, key=key)] == ["RESOLVED", "PENDING"]


def test_acknowledge_or_resolve_of_a_key_with_no_open_alert_is_processed_and_changes_nothing(site: Site) -> None:
    before = snapshot(site)
    for event_action in ("acknowledge", "resolve"):
        accepted(site.post(ENQUEUE, action(site.pd_key, event_action, "nothing-open-here")), "nothing-open-here")
    after = snapshot(site)
    after.pop("received_payloads"), before.pop("received_payloads")  # the console's recent bodies
    assert after == before


def test_severity_maps_to_priority_by_the_sources_map_which_graphql_changes(site: Site) -> None:
    def priority(severity: str, key: str, routing_key: str | None = None, source_id: int | None = None) -> str:
        accepted(site.post(ENQUEUE, trigger(routing_key or site.pd_key, key, f"Severity {severity}", severity)), key)
        return the_alert(site, key, source_id=source_id)[2]

    assert [priority(s, f"default-{s}") for s in ("critical", "error", "warning", "info")] == ["HIGH", "HIGH", "LOW", "LOW"]
    changed = site.gql(POLICY, id=str(site.pd_source_id), input={"intakeSettings": {"pagerdutySeverities": {"warning": "HIGH", "critical": "LOW"}}})
    assert changed["updateAlertSourcePolicy"]["intakeSettings"] == {"pagerdutySeverities": {"warning": "HIGH", "critical": "LOW"}}
    try:
        assert [priority(s, f"mapped-{s}") for s in ("critical", "error", "warning", "info")] == ["LOW", "HIGH", "HIGH", "LOW"]
    finally:
        site.gql(POLICY, id=str(site.pd_source_id), input={"intakeSettings": None})
    # Any source's key is a routing key (a team moving over changes only the URL); each source
    # reads severities through its own map (the API source's is the default).
    assert priority("warning", "api-source-warning", site.org.api_key, site.org.api_source_id) == "LOW"
    assert priority("critical", "api-source-critical", site.org.api_key, site.org.api_source_id) == "HIGH"


def test_change_events_are_stored_as_deployments_shown_through_graphql(site: Site) -> None:
    change = {
        "routing_key": site.pd_key,
        "payload": {
            "summary": "Build Success: Increase snapshot create timeout to 30 seconds",
            "timestamp": "2020-07-17T08:42:58.315+0000",
            "source": "prod-build-agent-i-0b148d1040d565540",
            "custom_details": {"build_state": "passed", "build_number": "220", "run_time": "1236s"},
        },
        "links": [{"href": "https://buildpipeline.com/pagerduty/deployment/builds/220", "text": "View in Build Pipeline"}],
    }
    response = site.post(CHANGE, change)
    assert response.status_code == 202, response.text
    assert response.json() == {"status": "success", "message": "Change event processed"}
    [shown] = [d for d in site.gql(DEPLOYMENTS, id=str(site.pd_source_id))["deploymentEvents"] if d["summary"].startswith("Build Success")]
    assert datetime.fromisoformat(shown["at"]) == datetime(2020, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)
    assert shown["userEmail"] is None
    assert shown["customDetails"] == {**change["payload"]["custom_details"], "source": "prod-build-agent-i-0b148d1040d565540"}
    assert shown["links"] == change["links"]


# --- bad input: PagerDuty's 400, and nothing changes ---------------------------------------------

KEY = "<pd-key>"  # stand-ins, filled in with the seeded keys
HEARTBEAT_KEY = "<heartbeat-key>"
OPEN_KEY = "bad-input-open-alert"
MARK = "<literal>"
INVALID = ("invalid event", "Event object is invalid")
UNRECOGNIZED = ("Unrecognized object", "Event object format is unrecognized")


@dataclass(frozen=True)
class Bad:
    path: str
    body: Any  # JSON-able, or bytes as sent
    shape: tuple[str, str]  # PagerDuty's status and message
    error: str  # a text the answer's errors must hold
    chunked: bool = False


def with_literal(body: Any, literal: str) -> bytes:
    return json.dumps(body).replace(json.dumps(MARK), literal).encode()


def bad_trigger(**changes: Any) -> dict[str, Any]:
    body = trigger(KEY, OPEN_KEY)
    for name, value in changes.items():
        target, field = (body["payload"], name.removeprefix("payload_")) if name.startswith("payload_") else (body, name)
        if value is None:
            target.pop(field, None)
        else:
            target[field] = value
    return body


def change(**payload: Any) -> dict[str, Any]:
    return {"routing_key": KEY, "payload": {"summary": "Deployed checkout v42", **payload}}


def too_large(body: dict[str, Any]) -> bytes:
    return json.dumps({**body, "padding": "x" * (PD_LIMIT + 100)}).encode()


BAD_INPUT = {
    "not JSON": Bad(ENQUEUE, b"{this is not json", UNRECOGNIZED, "JSON parse error"),
    "empty body": Bad(ENQUEUE, b"", UNRECOGNIZED, "JSON parse error"),
    "JSON array": Bad(ENQUEUE, [bad_trigger()], UNRECOGNIZED, "must be a JSON object"),
    "NaN": Bad(ENQUEUE, with_literal(bad_trigger(payload_custom_details={"load": MARK}), "NaN"), UNRECOGNIZED, "JSON parse error"),
    "nested 5000 deep": Bad(ENQUEUE, with_literal(bad_trigger(payload_custom_details=MARK), "[" * 5000 + "]" * 5000), UNRECOGNIZED, "JSON parse error"),
    "no routing_key": Bad(ENQUEUE, bad_trigger(routing_key=None), INVALID, "'routing_key' is missing"),
    "routing_key a number": Bad(ENQUEUE, bad_trigger(routing_key=12345), INVALID, "'routing_key' must be a string"),
    "unknown routing_key": Bad(ENQUEUE, bad_trigger(routing_key=UNKNOWN_KEY), INVALID, "Invalid routing key"),
    "a heartbeat source's key": Bad(ENQUEUE, bad_trigger(routing_key=HEARTBEAT_KEY), INVALID, "Invalid routing key"),
    "no event_action": Bad(ENQUEUE, bad_trigger(event_action=None), INVALID, "'event_action' is missing"),
    "event_action escalate": Bad(ENQUEUE, bad_trigger(event_action="escalate"), INVALID, "'event_action' must be one of trigger, acknowledge, resolve"),
    "no payload": Bad(ENQUEUE, bad_trigger(payload=None), INVALID, "'payload' is missing"),
    "no payload.summary": Bad(ENQUEUE, bad_trigger(payload_summary=None), INVALID, "'payload.summary' is missing"),
    "blank payload.summary": Bad(ENQUEUE, bad_trigger(payload_summary="   "), INVALID, "'payload.summary' must not be blank"),
    "summary over 1024": Bad(ENQUEUE, bad_trigger(payload_summary="x" * 1025), INVALID, "'payload.summary' is too long (maximum is 1024 characters)"),
    "no payload.source": Bad(ENQUEUE, bad_trigger(payload_source=None), INVALID, "'payload.source' is missing"),
    "no payload.severity": Bad(ENQUEUE, bad_trigger(payload_severity=None), INVALID, "'payload.severity' is missing"),
    "severity high": Bad(ENQUEUE, bad_trigger(payload_severity="high"), INVALID, "'payload.severity' must be one of critical, error, warning, info"),
    "dedup_key over 255": Bad(ENQUEUE, bad_trigger(dedup_key="k" * 256), INVALID, "'dedup_key' is too long (maximum is 255 characters)"),
    "acknowledge without dedup_key": Bad(ENQUEUE, {"routing_key": KEY, "event_action": "acknowledge"}, INVALID, "'dedup_key' is required for acknowledge events"),
    "resolve with a bad dedup_key": Bad(ENQUEUE, {"routing_key": KEY, "event_action": "resolve", "dedup_key": ["bad-input-open-alert"]}, INVALID, "'dedup_key' must be a string"),
    "links not an array": Bad(ENQUEUE, bad_trigger(links={"href": "https://runbook.example"}), INVALID, "'links' must be an array"),
    "image without src": Bad(ENQUEUE, bad_trigger(images=[{"href": "https://img.example"}]), INVALID, "'images[0].src' is missing"),
    "NUL in summary": Bad(ENQUEUE, bad_trigger(payload_summary="Disk\x00full"), INVALID, "cannot be stored"),
    "lone surrogate in custom_details": Bad(ENQUEUE, bad_trigger(payload_custom_details={"\udfff": 1}), INVALID, "cannot be stored"),
    "over 512 KB": Bad(ENQUEUE, too_large(bad_trigger()), INVALID, f"larger than {PD_LIMIT} bytes"),
    "over 512 KB, chunked": Bad(ENQUEUE, too_large(bad_trigger()), INVALID, f"larger than {PD_LIMIT} bytes", chunked=True),
    "acknowledge with an unknown routing_key": Bad(ENQUEUE, action(UNKNOWN_KEY, "acknowledge", OPEN_KEY), INVALID, "Invalid routing key"),
    # change events
    "change: not JSON": Bad(CHANGE, b"summary=deployed", UNRECOGNIZED, "JSON parse error"),
    "change: no routing_key": Bad(CHANGE, {"payload": {"summary": "Deployed"}}, INVALID, "'routing_key' is missing"),
    "change: unknown routing_key": Bad(CHANGE, {**change(), "routing_key": UNKNOWN_KEY}, INVALID, "Invalid routing key"),
    "change: a heartbeat source's key": Bad(CHANGE, {**change(), "routing_key": HEARTBEAT_KEY}, INVALID, "Invalid routing key"),
    "change: no payload": Bad(CHANGE, {"routing_key": KEY}, INVALID, "'payload' is missing"),
    "change: no summary": Bad(CHANGE, {"routing_key": KEY, "payload": {"source": "ci"}}, INVALID, "'payload.summary' is missing"),
    "change: summary over 1024": Bad(CHANGE, change(summary="s" * 1025), INVALID, "'payload.summary' is too long (maximum is 1024 characters)"),
    "change: bad timestamp": Bad(CHANGE, change(timestamp="last Tuesday"), INVALID, "'payload.timestamp' is not valid"),
    "change: NUL in custom_details": Bad(CHANGE, change(custom_details={"by": "ci\x00"}), INVALID, "cannot be stored"),
    "change: over 512 KB": Bad(CHANGE, too_large(change()), INVALID, f"larger than {PD_LIMIT} bytes"),
}


def fill(site: Site, value: Any) -> Any:
    if isinstance(value, str):
        return value.replace(KEY, site.pd_key).replace(HEARTBEAT_KEY, site.heartbeat_key)
    if isinstance(value, bytes):
        return fill(site, value.decode("latin-1")).encode("latin-1")
    if isinstance(value, dict):
        return {fill(site, k): fill(site, v) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(site, v) for v in value]
    return value


@pytest.fixture(scope="module")
def open_alert(site: Site) -> int:
    """An open alert the bad acknowledges and resolves would have touched."""
    accepted(site.post(ENQUEUE, trigger(site.pd_key, OPEN_KEY)), OPEN_KEY)
    return the_alert(site, OPEN_KEY)[0]


@pytest.mark.parametrize("case", list(BAD_INPUT.values()), ids=list(BAD_INPUT))
def test_bad_input_gets_pagerdutys_400_and_changes_nothing(site: Site, open_alert: int, case: Bad) -> None:
    before = snapshot(site)
    response = site.post(case.path, fill(site, case.body), chunked=case.chunked)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"status", "message", "errors"}, body
    assert (body["status"], body["message"]) == case.shape
    assert any(case.error in line for line in body["errors"]), body
    assert snapshot(site) == before
    assert the_alert(site, OPEN_KEY)[:2] == (open_alert, "PENDING")


def test_too_many_events_for_a_key_get_429_with_retry_after_and_store_nothing(
    backend: str, templates: TemplateDatabases, tmp_path: Path
) -> None:
    with site_on(backend, templates, tmp_path, PAGERLINE_EMBEDDED_WORKER="0",
                 PAGERLINE_EVENT_RATE_PER_KEY="0.05", PAGERLINE_EVENT_BURST_PER_KEY="2") as limited:
        for n in range(2):
            accepted(limited.post(ENQUEUE, trigger(limited.pd_key, f"burst-{n}")), f"burst-{n}")
        before = snapshot(limited)
        for path, body in ((ENQUEUE, trigger(limited.pd_key, "burst-2")), (CHANGE, {"routing_key": limited.pd_key, "payload": {"summary": "Deployed"}})):
            response = limited.post(path, body)
            assert response.status_code == 429, response.text
            assert int(response.headers["retry-after"]) >= 1
            refused = response.json()
            assert (refused["status"], refused["message"]) == ("throttle event", "Request Limit Exceeded")
            assert set(refused) == {"status", "message", "errors"}
        assert snapshot(limited) == before
        # The limit is per key: another source's key is served meanwhile.
        accepted(limited.post(ENQUEUE, trigger(limited.org.api_key, "other-key")), "other-key")


# --- real clients, unchanged --------------------------------------------------------------------------


class TlsFront:
    """Terminates TLS in front of a server: PagerDuty's client only speaks https. A thread runs
    an asyncio server that pipes each decrypted connection to the server's plain port."""

    def __init__(self, upstream_port: int, context: ssl.SSLContext) -> None:
        self.upstream_port = upstream_port
        self.context = context
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tls-front", daemon=True)
        self._server: asyncio.Server | None = None

    def __enter__(self) -> TlsFront:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.context), self._loop
        ).result(10)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def __exit__(self, *exc: object) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
            pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in pending:  # connections the client keeps alive
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while chunk := await source.read(65536):
                    sink.write(chunk)
                    await sink.drain()
            except (ConnectionError, ssl.SSLError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@pytest.fixture(scope="module", params=BACKENDS)
def paging(request: pytest.FixtureRequest, templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A server with the embedded worker: pages go to the console transport's file."""
    with site_on(request.param, templates, tmp_path_factory.mktemp(f"pd-paging-{request.param}")) as made:
        yield made


@pytest.fixture(scope="module")
def certificate() -> Iterator[SelfSigned]:
    made = make_self_signed()
    yield made
    made.remove()


def paged(site: Site, alert_id: int) -> bool:
    return bool(console.sent_to(site.workdir / "console.log", site.org.alice_id, alert_id))


def test_pagerdutys_python_client_triggers_acknowledges_resolves_and_sends_changes(paging: Site, certificate: SelfSigned) -> None:
    with TlsFront(paging.server.port, certificate.server_context()) as front:
        client = pagerduty.EventsApiV2Client(paging.pd_key, base_url=front.url, verify=certificate.client_context())
        key = client.trigger(
            "Checkout p99 latency over 2 s", "checkout-1", severity="critical",
            custom_details={"p99": "2.4s", "region": "eu-west-1"},
            links=[{"href": "https://grafana.example/d/checkout", "text": "Dashboard"}],
        )
        assert re.fullmatch(r"[0-9a-f]{32}", key), key
        alert_id, status, priority, _ = the_alert(paging, key)
        assert (status, priority) == ("PENDING", "HIGH")
        wait_until(lambda: paged(paging, alert_id), timeout=20, what="Alice's page")
        shown = paging.gql(ALERT, id=str(alert_id))["alert"]
        assert shown["customDetails"] == {"p99": "2.4s", "region": "eu-west-1"}
        assert shown["links"] == [{"href": "https://grafana.example/d/checkout", "text": "Dashboard"}]

        assert client.acknowledge(key) == key
        assert the_alert(paging, key)[1] == "ACCEPTED"
        assert client.resolve(key) == key
        assert the_alert(paging, key)[1] == "RESOLVED"

        # A key of the sender's own is returned as sent, and the alert carries it.
        assert client.trigger("Queue backlog", "worker-3", dedup_key="queue/backlog", severity="warning") == "queue/backlog"
        assert the_alert(paging, "queue/backlog")[1:3] == ("PENDING", "LOW")

        client.send_change_event(
            payload={"summary": "Deployed checkout v42", "source": "ci", "timestamp": "2024-05-06T07:08:09Z", "custom_details": {"commit": "abc123"}},
            links=[{"href": "https://ci.example/builds/42", "text": "Build 42"}],
        )
        [deployment] = [d for d in paging.gql(DEPLOYMENTS, id=str(paging.pd_source_id))["deploymentEvents"] if d["summary"] == "Deployed checkout v42"]
        assert deployment["customDetails"] == {"commit": "abc123", "source": "ci"}
        assert deployment["links"] == [{"href": "https://ci.example/builds/42", "text": "Build 42"}]

        # The client reads PagerDuty's 400 as PagerDuty's: an HttpError with the reasons.
        with pytest.raises(pagerduty.HttpError) as refused:
            client.trigger("Bad severity", "web-1", severity="urgent")
        assert refused.value.response.status_code == 400
        assert refused.value.response.json()["errors"] == ["'payload.severity' must be one of critical, error, warning, info"]


@needs_alertmanager
def test_alertmanager_with_a_pagerduty_receiver_fires_and_resolves(paging: Site) -> None:
    config = alertmanager_config(f"""
        - name: pagerline
          pagerduty_configs:
            - routing_key: {paging.pd_key}
              url: {paging.url}{ENQUEUE}
              severity: '{{{{ .CommonLabels.severity }}}}'
              send_resolved: true
    """)
    disk = {"alertname": "DiskAlmostFull", "severity": "warning", "instance": "db-1"}
    down = {"alertname": "CheckoutDown", "severity": "critical", "instance": "web-1"}
    with running_alertmanager(config, paging.workdir) as am:
        am.fire(disk, {"summary": "Disk 91% full on db-1"})
        am.fire(down, {"summary": "Checkout answers 503"})

        def opened(name: str) -> tuple[int, str, str, int] | None:
            found = alerts(paging, summary_part=name)
            return found[0] if found else None

        disk_alert = wait_until(lambda: opened("DiskAlmostFull"), timeout=30, what="Alertmanager's DiskAlmostFull trigger")
        down_alert = wait_until(lambda: opened("CheckoutDown"), timeout=30, what="Alertmanager's CheckoutDown trigger")
        # Alertmanager's default summary ("[FIRING:1] <alertname> ...") and its severity, mapped.
        assert (disk_alert[1], disk_alert[2]) == ("PENDING", "LOW")
        assert (down_alert[1], down_alert[2]) == ("PENDING", "HIGH")
        shown = paging.gql(ALERT, id=str(down_alert[0]))["alert"]
        assert shown["summary"].startswith("[FIRING:1] CheckoutDown"), shown["summary"]
        assert re.fullmatch(r"[0-9a-f]{64}", shown["alertKey"]), shown["alertKey"]  # Alertmanager's group key hash
        assert {"key": "severity", "value": "critical"} in shown["labels"]
        assert shown["customDetails"]["num_firing"] == "1" and "Checkout answers 503" in shown["customDetails"]["firing"]
        assert shown["links"][-1]["text"] == "View in Alertmanager"
        wait_until(lambda: paged(paging, down_alert[0]), timeout=20, what="Alice's page for CheckoutDown")

        am.resolve(disk, {"summary": "Disk 91% full on db-1"})
        am.resolve(down, {"summary": "Checkout answers 503"})
        wait_until(lambda: opened("DiskAlmostFull")[1] == "RESOLVED", timeout=30, what="DiskAlmostFull resolved")  # type: ignore[index]
        wait_until(lambda: opened("CheckoutDown")[1] == "RESOLVED", timeout=30, what="CheckoutDown resolved")  # type: ignore[index]
        assert "level=error" not in am.log(), am.log()[-4000:]
