"""Source policies through a real server: GraphQL settings (with permissions and positioned
template errors), the generic webhook intake with templates, heartbeat pings, deployment
events (bad input writes nothing), a manual alert action delivered by the embedded worker's
actor to a local receiver that checks the signature, and deleting heartbeats, support hours,
maintenance windows and alert actions (who may, what is refused, what stays)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.webhook import FakeWebhookReceiver
from tests.support.databases import TemplateDatabases
from tests.support.graphql import World, data, fire_ok, gql, running_world
from tests.support.processes import wait_until
from tests.support.templates import DATADOG

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@pytest.fixture(scope="module")
def world(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world(templates, tmp_path_factory.mktemp("sources")) as running:
        yield running


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    return body["errors"][0]["extensions"]  # type: ignore[no-any-return]


POLICY = """mutation($id: ID!, $input: AlertSourcePolicyInput!) {
  updateAlertSourcePolicy(id: $id, input: $input) {
    alertCreation alertGroupingWindowSec autoResolutionTimeoutSec priorityRule eventFilter templates inMaintenance droppedEventCount } }"""


def test_policies_are_set_read_and_guarded(world: World) -> None:
    source = str(world.ops.api_source_id)
    updated = data(world.url, world.ops.alice_token, POLICY, id=source, input={
        "alertCreation": "ONE_ALERT_GROUPED_PER_WINDOW", "alertGroupingWindowSec": 600, "autoResolutionTimeoutSec": 3600,
        "eventFilter": {"field": "labels.env", "op": "eq", "value": "prod"},
    })["updateAlertSourcePolicy"]
    assert (updated["alertCreation"], updated["alertGroupingWindowSec"], updated["autoResolutionTimeoutSec"]) == ("ONE_ALERT_GROUPED_PER_WINDOW", 600, 3600)
    assert updated["eventFilter"] == {"field": "labels.env", "op": "eq", "value": "prod"} and updated["priorityRule"] == "HIGH"
    cleared = data(world.url, world.ops.alice_token, POLICY, id=source, input={"autoResolutionTimeoutSec": None, "eventFilter": None, "alertCreation": "ONE_ALERT_PER_KEY"})
    assert (cleared["updateAlertSourcePolicy"]["autoResolutionTimeoutSec"], cleared["updateAlertSourcePolicy"]["eventFilter"]) == (None, None)

    bad_filter = gql(world.url, world.ops.alice_token, POLICY, id=source, input={"eventFilter": {"field": "severity", "op": "eq", "value": 1}})
    assert error_of(bad_filter)["code"] == "BAD_USER_INPUT" and "$.field" in bad_filter["errors"][0]["message"]
    bad_template = gql(world.url, world.ops.alice_token, POLICY, id=source, input={"templates": {"summary": "{{ title }}", "details": "x\n  {{ a | shout }}"}})
    assert error_of(bad_template) == {"code": "BAD_USER_INPUT", "field": "details", "line": 2, "column": 10}
    assert gql(world.url, world.ops.bob_token, POLICY, id=source, input={"alertCreation": "ONE_OPEN_ALERT"})["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert error_of(gql(world.url, world.web.alice_token, POLICY, id=source, input={"alertCreation": "ONE_OPEN_ALERT"}))["code"] == "NOT_FOUND"
    read = data(world.url, world.ops.bob_token, "query($id: ID!) { alertSourcePolicy(sourceId: $id) { alertCreation templates } }", id=source)
    assert read["alertSourcePolicy"] == {"alertCreation": "ONE_ALERT_PER_KEY", "templates": None}  # the refused changes changed nothing


def test_support_hours_and_maintenance_windows(world: World) -> None:
    team = str(world.ops.team_id)
    created = data(world.url, world.ops.alice_token, """mutation($team: ID!, $weekly: JSON!) {
        createSupportHours(name: "Office", timezone: "Europe/Berlin", weekly: $weekly, teamId: $team) { id timezone nextChange } }""",
        team=team, weekly=[{"day": "MONDAY", "start": "09:00", "end": "17:00"}])["createSupportHours"]
    assert created["timezone"] == "Europe/Berlin" and created["nextChange"] is not None
    bad_zone = gql(world.url, world.ops.alice_token, """mutation($team: ID!) {
        createSupportHours(name: "X", timezone: "Mars/Base", weekly: [], teamId: $team) { id } }""", team=team)
    assert error_of(bad_zone)["code"] == "BAD_USER_INPUT" and "Mars/Base" in bad_zone["errors"][0]["message"]
    teamless = gql(world.url, world.ops.alice_token, """mutation { createSupportHours(name: "X", timezone: "UTC", weekly: []) { id } }""")
    assert error_of(teamless)["code"] == "FORBIDDEN"  # organisation-wide settings are for admins
    rule = data(world.url, world.ops.alice_token, POLICY, id=str(world.ops.api_source_id), input={
        "priorityRule": "HIGH_DURING_SUPPORT_HOURS", "supportHoursId": created["id"], "autoRaiseAlerts": True})
    assert rule["updateAlertSourcePolicy"]["priorityRule"] == "HIGH_DURING_SUPPORT_HOURS"
    data(world.url, world.ops.alice_token, POLICY, id=str(world.ops.api_source_id), input={"priorityRule": "HIGH"})

    now = datetime.now(UTC)
    window = data(world.url, world.ops.alice_token, """mutation($s: DateTime!, $e: DateTime!, $ids: [ID!]!) {
        createMaintenanceWindow(summary: "DB upgrade", start: $s, end: $e, sourceIds: $ids) { id summary sourceIds } }""",
        s=(now - timedelta(minutes=1)).isoformat(), e=(now + timedelta(hours=1)).isoformat(), ids=[str(world.ops.api_source_id)])["createMaintenanceWindow"]
    assert window["sourceIds"] == [str(world.ops.api_source_id)]
    policy = data(world.url, world.ops.bob_token, "query($id: ID!) { alertSourcePolicy(sourceId: $id) { inMaintenance } maintenanceWindows(sourceId: $id) { id } }", id=str(world.ops.api_source_id))
    assert policy == {"alertSourcePolicy": {"inMaintenance": True}, "maintenanceWindows": [{"id": window["id"]}]}
    other_team = gql(world.url, world.web.alice_token, """mutation($s: DateTime!, $e: DateTime!, $ids: [ID!]!) {
        createMaintenanceWindow(summary: "x", start: $s, end: $e, sourceIds: $ids) { id } }""",
        s=now.isoformat(), e=(now + timedelta(hours=1)).isoformat(), ids=[str(world.ops.api_source_id)])
    assert error_of(other_team)["code"] == "NOT_FOUND"
    ended = data(world.url, world.ops.alice_token, "mutation($id: ID!) { endMaintenanceWindow(id: $id) { end } }", id=window["id"])
    assert datetime.fromisoformat(ended["endMaintenanceWindow"]["end"]) <= datetime.now(UTC)


def test_the_webhook_intake_maps_payloads_with_the_source_templates(world: World) -> None:
    source = str(world.web.api_source_id)
    data(world.url, world.web.alice_token, POLICY, id=source, input={"templates": DATADOG})
    payload = json.loads((SAMPLES / "datadog-webhook.json").read_text())
    preview = data(world.url, world.web.alice_token, """mutation($id: ID!, $p: JSON!) {
        previewTemplate(sourceId: $id, payload: $p) { summary alertKey priority eventType links problem } }""", id=source, p=payload)
    assert preview["previewTemplate"]["summary"] == "CPU load is high on web-1" and preview["previewTemplate"]["problem"] is None
    flapping = data(world.url, world.web.alice_token, """mutation($t: JSON!, $p: JSON!) {
        previewTemplate(templates: $t, payload: $p) { eventType problem } }""", t={"eventType": "{{ s }}"}, p={"s": "flapping"})
    assert "rendered 'flapping'" in flapping["previewTemplate"]["problem"]
    bad = gql(world.url, world.web.alice_token, "mutation($t: JSON!) { previewTemplate(templates: $t, payload: {}) { summary } }", t={"summary": "{{#if x}}"})
    assert error_of(bad) == {"code": "BAD_USER_INPUT", "field": "summary", "line": 1, "column": 1}

    hook = f"{world.url}/api/events/webhook/{world.web.api_key}"
    opened = httpx.post(hook, json=payload, timeout=10)
    assert opened.status_code == 202 and opened.json()["responseCode"] == "NEW_ALERT_CREATED"
    assert opened.json()["alertKey"] == "datadog-98765432-web-1"
    again = httpx.post(hook, json=payload, timeout=10).json()
    assert again["responseCode"] == "EVENT_ADDED_TO_ALERT"
    alert_id = opened.json()["alertUrl"].rsplit("/", 1)[1]
    alert = data(world.url, world.web.alice_token, "query($id: ID!) { alert(id: $id) { summary priority status eventCount } }", id=alert_id)["alert"]
    assert alert == {"summary": "CPU load is high on web-1", "priority": "HIGH", "status": "PENDING", "eventCount": 2}
    recovered = httpx.post(hook, json={**payload, "alert_transition": "Recovered"}, timeout=10).json()
    assert recovered["responseCode"] == "ALERT_RESOLVED"

    data(world.url, world.web.alice_token, POLICY, id=source, input={"templates": {"summary": "{{ nothing }}"}})
    empty = httpx.post(hook, json=payload, timeout=10)
    assert (empty.status_code, empty.json()["code"]) == (422, "INVALID_WEBHOOK")
    assert httpx.post(f"{world.url}/api/events/webhook/il_unknown", json=payload, timeout=10).status_code == 404
    data(world.url, world.web.alice_token, POLICY, id=source, input={"templates": None})


def test_heartbeats_are_pinged_with_any_method(world: World) -> None:
    created = data(world.url, world.ops.alice_token, """mutation($id: ID!) {
        createHeartbeat(sourceId: $id, name: "Nightly backup", intervalSec: 3600) { id key url state } }""", id=str(world.ops.api_source_id))["createHeartbeat"]
    assert created["state"] == "UNKNOWN" and created["url"].endswith(f"/api/heartbeats/{created['key']}")
    ping = f"{world.url}/api/heartbeats/{created['key']}"
    got = httpx.get(ping, timeout=10)
    assert (got.status_code, got.json()) == (202, {"status": "HEALTHY"})
    head = httpx.head(ping, timeout=10)
    assert (head.status_code, head.content) == (202, b"")
    assert httpx.post(ping, content=b"anything", timeout=10).status_code == 202
    unknown = httpx.get(f"{world.url}/api/heartbeats/hb_nope", timeout=10)
    assert (unknown.status_code, unknown.json()) == (404, {"status": 404, "message": "No heartbeat monitor has this key", "code": "UNKNOWN_HEARTBEAT"})
    listed = data(world.url, world.ops.bob_token, "query($id: ID!) { heartbeats(sourceId: $id) { name state key lastPingAt } }", id=str(world.ops.api_source_id))
    assert listed["heartbeats"][0]["state"] == "HEALTHY" and listed["heartbeats"][0]["key"] is None
    forbidden = gql(world.url, world.ops.bob_token, 'mutation($id: ID!) { createHeartbeat(sourceId: $id, name: "x", intervalSec: 60) { id } }', id=str(world.ops.api_source_id))
    assert error_of(forbidden)["code"] == "FORBIDDEN"


def deployments(world: World) -> list[dict[str, Any]]:
    body = data(world.url, world.ops.alice_token, "query($id: ID!) { deploymentEvents(sourceId: $id, first: 100) { summary at userEmail } }", id=str(world.ops.api_source_id))
    return body["deploymentEvents"]  # type: ignore[no-any-return]


def test_deployment_events_and_what_alerts_show_of_them(world: World) -> None:
    route = f"{world.url}/api/deployment-events"
    before = len(deployments(world))
    refused = [
        (httpx.post(route, content=b"{nope", timeout=10), 400, "INVALID_JSON"),
        (httpx.post(route, json={"summary": "x"}, timeout=10), 400, "MISSING_INTEGRATION_KEY"),
        (httpx.post(route, json={"integrationKey": world.ops.api_key}, timeout=10), 422, "INVALID_DEPLOYMENT_EVENT"),
        (httpx.post(route, json={"integrationKey": world.ops.api_key, "summary": "x", "timestamp": "last tuesday"}, timeout=10), 422, "INVALID_DEPLOYMENT_EVENT"),
        (httpx.post(route, json={"integrationKey": world.ops.api_key, "summary": "x", "links": "nope"}, timeout=10), 422, "INVALID_DEPLOYMENT_EVENT"),
        (httpx.post(route, json={"integrationKey": "il_unknown", "summary": "x"}, timeout=10), 404, "UNKNOWN_INTEGRATION_KEY"),
    ]
    for response, status, code in refused:
        assert (response.status_code, response.json()["code"], response.json()["status"]) == (status, code, status), response.text
    assert len(deployments(world)) == before  # nothing written

    now = datetime.now(UTC).replace(microsecond=0)
    sent = [
        {"summary": "v41 (seconds)", "timestamp": int((now - timedelta(minutes=30)).timestamp())},
        {"summary": "v42 (milliseconds)", "timestamp": int((now - timedelta(minutes=20)).timestamp() * 1000), "userEmail": "dev@ops.test"},
        {"summary": "v43 (ISO)", "timestamp": (now - timedelta(minutes=10)).isoformat(), "links": [{"href": "https://ci.example/43", "text": "CI"}]},
        {"summary": "old", "timestamp": (now - timedelta(hours=3)).isoformat()},
    ]
    for body in sent:
        response = httpx.post(route, json={"integrationKey": world.ops.api_key, "customDetails": {"sha": "abc"}, **body}, timeout=10)
        assert response.status_code == 202, response.text
    assert datetime.fromisoformat(deployments(world)[1]["at"]) == now - timedelta(minutes=20)

    fired = httpx.post(f"{world.url}/api/events", json={"integrationKey": world.ops.api_key, "eventType": "ALERT", "summary": "5xx", "alertKey": "deploy-check"}, timeout=10)
    alert_id = fired.json()["alertUrl"].rsplit("/", 1)[1]
    shown = data(world.url, world.ops.bob_token, "query($id: ID!) { alert(id: $id) { deployments { summary userEmail } } }", id=alert_id)
    assert [d["summary"] for d in shown["alert"]["deployments"]] == ["v43 (ISO)", "v42 (milliseconds)", "v41 (seconds)"]


def test_a_manual_action_is_delivered_signed_by_the_worker(world: World) -> None:
    with FakeWebhookReceiver() as receiver:
        created = data(world.url, world.ops.alice_token, """mutation($id: ID!, $to: String!) {
            createAlertAction(name: "Open ticket", kind: WEBHOOK, url: $to, mode: MANUAL, sourceId: $id) { id secret mode } }""",
            id=str(world.ops.api_source_id), to=f"{receiver.url}/tickets")["createAlertAction"]
        receiver.secret = created["secret"]
        assert created["secret"].startswith("whsec_")
        fired = httpx.post(f"{world.url}/api/events", json={"integrationKey": world.ops.api_key, "eventType": "ALERT", "summary": "Checkout down", "alertKey": "checkout"}, timeout=10)
        alert_id = fired.json()["alertUrl"].rsplit("/", 1)[1]
        other_team = gql(world.url, world.web.alice_token, "mutation($a: ID!, $b: ID!) { runAlertAction(actionId: $a, alertId: $b) { id } }", a=created["id"], b=alert_id)
        assert error_of(other_team)["code"] == "NOT_FOUND"  # another team cannot see the alert
        watcher = gql(world.url, world.stakeholder_token, "mutation($a: ID!, $b: ID!) { runAlertAction(actionId: $a, alertId: $b) { id } }", a=created["id"], b=alert_id)
        assert error_of(watcher)["code"] == "FORBIDDEN"
        ran = data(world.url, world.ops.bob_token, "mutation($a: ID!, $b: ID!) { runAlertAction(actionId: $a, alertId: $b) { id status trigger } }", a=created["id"], b=alert_id)
        assert ran["runAlertAction"]["trigger"] == "MANUAL"
        [call] = wait_until(receiver.delivered, timeout=10, what="the delivery at the receiver")
        assert call.signature_ok and call.json()["alert"]["summary"] == "Checkout down"

        def delivered() -> bool:
            rows = data(world.url, world.ops.bob_token, "query($id: ID!) { alertActionDeliveries(alertId: $id) { status statusCode attempts } }", id=alert_id)
            return rows["alertActionDeliveries"] == [{"status": "DELIVERED", "statusCode": 200, "attempts": 1}]

        wait_until(delivered, timeout=10, what="the delivery recorded")
        timeline = data(world.url, world.ops.bob_token, "query($id: ID!) { alert(id: $id) { logEntries { kind text } } }", id=alert_id)
        texts = [e["text"] for e in timeline["alert"]["logEntries"] if e["kind"] == "ACTION"]
        assert texts[0] == "Bob ran alert action 'Open ticket'" and texts[1].startswith("Alert action 'Open ticket' (webhook) delivered: HTTP 200")
        assert len(receiver.received) == 1


def test_automatic_actions_follow_the_alert_through_its_life(world: World) -> None:
    """Each transition plans its delivery in its own transaction; the worker sends each once."""
    with FakeWebhookReceiver() as receiver:
        created = data(world.url, world.web.alice_token, """mutation($id: ID!, $to: String!) {
            createAlertAction(name: "Chat", kind: WEBHOOK, url: $to, sourceId: $id,
              triggers: [ALERT_CREATED, ALERT_ESCALATED, ALERT_ACCEPTED, COMMENT_ADDED, ALERT_RESOLVED]) { id secret } }""",
            id=str(world.web.api_source_id), to=f"{receiver.url}/chat")["createAlertAction"]
        receiver.secret = created["secret"]
        fired = httpx.post(f"{world.url}/api/events", json={"integrationKey": world.web.api_key, "eventType": "ALERT", "summary": "Search down", "alertKey": "search"}, timeout=10)
        alert_id = fired.json()["alertUrl"].rsplit("/", 1)[1]
        token = world.web.alice_token
        data(world.url, token, "mutation($id: ID!) { escalateAlert(id: $id) { status } }", id=alert_id)
        data(world.url, token, "mutation($id: ID!) { acceptAlert(id: $id) { status } }", id=alert_id)
        data(world.url, token, 'mutation($id: ID!) { commentAlert(id: $id, text: "looking") { status } }', id=alert_id)
        data(world.url, token, 'mutation($id: ID!) { commentAlert(id: $id, text: "found it") { status } }', id=alert_id)
        data(world.url, token, "mutation($id: ID!) { resolveAlert(id: $id) { status } }", id=alert_id)
        expected = ["ALERT_ACCEPTED", "ALERT_CREATED", "ALERT_ESCALATED", "ALERT_RESOLVED", "COMMENT_ADDED", "COMMENT_ADDED"]
        wait_until(lambda: len(receiver.delivered()) >= len(expected), timeout=10, what="six deliveries")
        assert sorted(c.json()["trigger"] for c in receiver.delivered()) == expected
        assert all(c.signature_ok and c.json()["alert"]["id"] == int(alert_id) for c in receiver.delivered())

        def recorded() -> bool:
            rows = data(world.url, token, "query($id: ID!) { alertActionDeliveries(alertId: $id) { status } }", id=alert_id)
            return [r["status"] for r in rows["alertActionDeliveries"]] == ["DELIVERED"] * len(expected)

        wait_until(recorded, timeout=10, what="six deliveries recorded")
        assert len(receiver.received) == len(expected)  # once each
        data(world.url, token, "mutation($id: ID!) { setAlertActionEnabled(id: $id, enabled: false) { enabled } }", id=created["id"])


REFUSED = ["FORBIDDEN", "FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT"]


def delete(world: World, mutation: str, raw_id: str) -> bool:
    return data(world.url, world.ops.alice_token, f"mutation($id: ID!) {{ {mutation}(id: $id) }}", id=raw_id)[mutation]  # type: ignore[no-any-return]


def refusals(world: World, mutation: str, raw_id: str) -> list[str]:
    """What Ops's responder and stakeholder, Web's user, and a malformed id get."""
    query = f"mutation($id: ID!) {{ {mutation}(id: $id) }}"
    asked = [(world.ops.bob_token, raw_id), (world.stakeholder_token, raw_id), (world.web.alice_token, raw_id), (world.ops.alice_token, "not-an-id")]
    return [error_of(gql(world.url, token, query, id=asked_id))["code"] for token, asked_id in asked]


def test_support_hours_are_edited_and_renamed_and_a_blank_name_changes_nothing(world: World) -> None:
    team = str(world.ops.team_id)
    made = data(world.url, world.ops.alice_token, """mutation($team: ID!) {
        createSupportHours(name: "Desk", timezone: "UTC", weekly: [], teamId: $team) { id } }""", team=team)["createSupportHours"]
    update = """mutation($id: ID!, $name: String, $weekly: JSON!) {
        updateSupportHours(id: $id, name: $name, timezone: "Europe/Berlin", weekly: $weekly) { id name timezone weekly } }"""
    weekly = [{"day": "TUESDAY", "start": "08:00", "end": "16:00"}]
    renamed = data(world.url, world.ops.alice_token, update, id=made["id"], name="  Help desk ", weekly=weekly)["updateSupportHours"]
    assert (renamed["name"], renamed["timezone"], renamed["weekly"]) == ("Help desk", "Europe/Berlin", weekly)
    kept = data(world.url, world.ops.alice_token, update, id=made["id"], name=None, weekly=[])["updateSupportHours"]
    assert (kept["name"], kept["weekly"]) == ("Help desk", [])  # no name given: the name stays
    blank = gql(world.url, world.ops.alice_token, update, id=made["id"], name="  ", weekly=weekly)
    assert error_of(blank)["code"] == "BAD_USER_INPUT" and error_of(blank)["field"] == "name", blank
    [after] = [h for h in data(world.url, world.ops.alice_token, "{ supportHours { id name weekly } }")["supportHours"] if h["id"] == made["id"]]
    assert (after["name"], after["weekly"]) == ("Help desk", [])  # nothing changed


def test_heartbeats_and_support_hours_are_deleted_by_managers_only(world: World) -> None:
    source = str(world.ops.api_source_id)
    heartbeat = data(world.url, world.ops.alice_token, 'mutation($id: ID!) { createHeartbeat(sourceId: $id, name: "Cron", intervalSec: 60) { id } }', id=source)["createHeartbeat"]["id"]

    def heartbeats() -> list[str]:
        return [h["id"] for h in data(world.url, world.ops.bob_token, "query($id: ID!) { heartbeats(sourceId: $id) { id } }", id=source)["heartbeats"]]

    assert refusals(world, "deleteHeartbeat", heartbeat) == REFUSED
    assert heartbeat in heartbeats()  # refused: nothing changed
    assert delete(world, "deleteHeartbeat", heartbeat) is True
    assert heartbeat not in heartbeats()
    assert error_of(gql(world.url, world.ops.alice_token, "mutation($id: ID!) { deleteHeartbeat(id: $id) }", id=heartbeat))["code"] == "NOT_FOUND"

    hours = data(world.url, world.ops.alice_token, """mutation($team: ID!) {
        createSupportHours(name: "Late shift", timezone: "UTC", weekly: [], teamId: $team) { id } }""", team=str(world.ops.team_id))["createSupportHours"]["id"]
    data(world.url, world.ops.alice_token, POLICY, id=source, input={"supportHoursId": hours})
    in_use = gql(world.url, world.ops.alice_token, "mutation($id: ID!) { deleteSupportHours(id: $id) }", id=hours)
    assert error_of(in_use)["code"] == "CONFLICT" and "'Ops API'" in in_use["errors"][0]["message"]
    assert refusals(world, "deleteSupportHours", hours) == REFUSED

    def support_hours() -> list[str]:
        return [h["id"] for h in data(world.url, world.ops.alice_token, "{ supportHours { id } }")["supportHours"]]

    assert hours in support_hours()
    data(world.url, world.ops.alice_token, POLICY, id=source, input={"supportHoursId": None})
    assert delete(world, "deleteSupportHours", hours) is True
    assert hours not in support_hours()


def test_maintenance_windows_are_deleted_before_they_start_or_after_they_end(world: World) -> None:
    source = str(world.ops.api_source_id)
    now = datetime.now(UTC)
    create = """mutation($s: DateTime!, $e: DateTime!, $ids: [ID!]!) {
        createMaintenanceWindow(summary: "Failover drill", start: $s, end: $e, sourceIds: $ids) { id } }"""
    running = data(world.url, world.ops.alice_token, create, s=(now - timedelta(minutes=1)).isoformat(), e=(now + timedelta(hours=1)).isoformat(), ids=[source])
    future = data(world.url, world.ops.alice_token, create, s=(now + timedelta(days=1)).isoformat(), e=(now + timedelta(days=1, hours=1)).isoformat(), ids=[source])
    running_id, future_id = running["createMaintenanceWindow"]["id"], future["createMaintenanceWindow"]["id"]

    def windows() -> list[str]:
        return [w["id"] for w in data(world.url, world.ops.bob_token, "query($id: ID!) { maintenanceWindows(sourceId: $id, includeEnded: true) { id } }", id=source)["maintenanceWindows"]]

    on = gql(world.url, world.ops.alice_token, "mutation($id: ID!) { deleteMaintenanceWindow(id: $id) }", id=running_id)
    assert error_of(on)["code"] == "CONFLICT" and "endMaintenanceWindow" in on["errors"][0]["message"]
    assert refusals(world, "deleteMaintenanceWindow", future_id) == REFUSED
    assert {running_id, future_id} <= set(windows())  # refused: nothing changed
    assert delete(world, "deleteMaintenanceWindow", future_id) is True  # a drill called off
    data(world.url, world.ops.alice_token, "mutation($id: ID!) { endMaintenanceWindow(id: $id) { end } }", id=running_id)
    assert delete(world, "deleteMaintenanceWindow", running_id) is True  # ended: may go too
    assert not {running_id, future_id} & set(windows())


def test_deleting_an_action_cancels_its_pending_delivery_on_the_alert_timeline(world: World) -> None:
    source = str(world.ops.api_source_id)
    with FakeWebhookReceiver() as receiver:
        receiver.fail(500, times=None)
        action = data(world.url, world.ops.alice_token, """mutation($id: ID!, $to: String!) {
            createAlertAction(name: "Pager bridge", kind: WEBHOOK, url: $to, mode: MANUAL, sourceId: $id) { id } }""",
            id=source, to=f"{receiver.url}/bridge")["createAlertAction"]["id"]
        alert_id = fire_ok(world.url, world.ops.api_key, "bridge-down")
        data(world.url, world.ops.bob_token, "mutation($a: ID!, $b: ID!) { runAlertAction(actionId: $a, alertId: $b) { id } }", a=action, b=str(alert_id))

        def actions_timeline() -> list[str]:
            entries = data(world.url, world.ops.bob_token, "query($id: ID!) { alert(id: $id) { logEntries { kind text } } }", id=str(alert_id))
            return [e["text"] for e in entries["alert"]["logEntries"] if e["kind"] == "ACTION"]

        wait_until(lambda: len(actions_timeline()) == 2, timeout=10, what="the first failed attempt")  # the next one is 10 s away
        assert refusals(world, "deleteAlertAction", action) == REFUSED
        assert delete(world, "deleteAlertAction", action) is True

        texts = actions_timeline()
        assert texts[0] == "Bob ran alert action 'Pager bridge'" and texts[1].startswith("Alert action 'Pager bridge' (webhook) failed (attempt 1 of 6)")
        assert texts[2:] == ["Alert action 'Pager bridge' was deleted: its pending MANUAL delivery was cancelled after 1 attempt(s)"]
        left = data(world.url, world.ops.bob_token, "query($a: ID!, $s: ID!) { alertActionDeliveries(alertId: $a) { id } alertActions(sourceId: $s) { id } }", a=str(alert_id), s=source)
        assert left["alertActionDeliveries"] == [] and action not in [a["id"] for a in left["alertActions"]]
        assert len(receiver.received) == 1
