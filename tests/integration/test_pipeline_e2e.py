"""The whole loop through real processes: Alertmanager fires → level 1 is paged → the timeout
passes → level 2 is paged → acceptAlert over GraphQL stops further pages → Alertmanager's
resolved payload resolves → the timeline shows each step in order.

Two ways to run it: production (PostgreSQL + Redis, `pagerline serve` and a separate
`pagerline worker`) and the embedded defaults (SQLite, in-process worker and bus).

Time: the escalation timeout is minutes. Instead of sleeping, the test moves this alert's clock
forward by rewriting its stored due times (``next_escalation_at`` and pending notifications'
``due_at``) into the past; the worker's own tick then finds it due, exactly as it would five
minutes later. (The smoke harness's clock, tests/support/world.py, sweeps from the test process
instead; here the point is that the worker process escalates and its bus event reaches a live
subscriber, so the worker must do the sweeping.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pagerline.models import Alert, AlertLogEntry, AlertStatus, Notification, NotificationStatus
from tests.support import console
from tests.support.alert_clock import move_clock
from tests.support.graphql import data, in_db, webhook
from tests.support.live import embedded_env, seed_database
from tests.support.processes import start_server, start_worker, wait_until
from tests.support.seed import Org
from tests.support.ws import Subscriber

SAMPLES = Path(__file__).resolve().parents[1] / "samples"  # copies of ../shared/samples


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_text())


def run_flow(url: str, server_url: str, org: Org, console_log: Path) -> None:
    # A live subscriber sees every step, including the escalation made by the worker process.
    subscriber = Subscriber(server_url, org.alice_token, "subscription { alertEvents { kind alert { id status } } }")
    subscriber.start()
    assert subscriber.ready.wait(10) and subscriber.error is None, subscriber.error
    try:
        _flow(url, server_url, org, console_log, subscriber)
    finally:
        subscriber.close()


def _flow(url: str, server_url: str, org: Org, console_log: Path, subscriber: Subscriber) -> None:
    firing = sample("alertmanager-firing.json")
    [result] = webhook(server_url, "alertmanager", org.alertmanager_key, firing)
    assert result["responseCode"] == "NEW_ALERT_CREATED"
    assert result["alertKey"] == "ea6e6a2b5a91e010"
    alert_id = int(result["alertUrl"].rsplit("/", 1)[1])

    # Level 1: Alice's push is handed to the transport.
    wait_until(lambda: console.sent_to(console_log, org.alice_id, alert_id), what="Alice's page")
    assert console.sent_to(console_log, org.bob_id, alert_id) == []
    shown = data(server_url, org.alice_token, "query($id: ID!) { alert(id: $id) { status summary priority alertKey } }", id=str(alert_id))
    assert shown["alert"] == {"status": "PENDING", "summary": "web-1 is down", "priority": "HIGH", "alertKey": "ea6e6a2b5a91e010"}

    # Five minutes pass: the worker's tick escalates to Bob.
    move_clock(url, alert_id, 5)
    wait_until(lambda: console.sent_to(console_log, org.bob_id, alert_id), what="Bob's page after the timeout")

    # Bob accepts over GraphQL: escalation halts, nothing more is due.
    accepted = data(server_url, org.bob_token, "mutation($id: ID!) { acceptAlert(id: $id) { status } }", id=str(alert_id))
    assert accepted["acceptAlert"]["status"] == "ACCEPTED"

    async def after_accept() -> tuple[Any, list[Any]]:
        alert = await Alert.get(id=alert_id)
        pending = await Notification.filter(
            alert_id=alert_id, kind="PAGE", status__in=[NotificationStatus.PENDING, NotificationStatus.SENDING]
        )
        return alert, pending

    alert, pending = in_db(url, after_accept)
    assert alert.status is AlertStatus.ACCEPTED and alert.next_escalation_at is None
    assert pending == []
    move_clock(url, alert_id, 60)  # an hour later: nobody else is paged
    pages_before = len(console.pages(console_log))

    resolved = sample("alertmanager-resolved.json")
    assert webhook(server_url, "alertmanager", org.alertmanager_key, resolved)[0]["responseCode"] == "ALERT_RESOLVED"
    shown = data(server_url, org.alice_token, "query($id: ID!) { alert(id: $id) { status logEntries { kind text } } }", id=str(alert_id))
    assert shown["alert"]["status"] == "RESOLVED"
    assert len(console.pages(console_log)) == pages_before

    steps = [
        (e["kind"], e["text"])
        for e in shown["alert"]["logEntries"]
        if e["kind"] != "NOTIFICATION_SKIPPED" and not e["text"].endswith("by update")
    ]
    assert steps == [
        ("RECEIVED", "Alert created from an event via Alertmanager on source 'Ops Alertmanager'"),
        ("NOTIFIED", "Notified Alice by PUSH"),
        ("ESCALATED", "Escalated to level 2 (Bob)"),
        ("NOTIFIED", "Notified Bob by PUSH"),
        ("ACCEPTED", "Accepted by Bob via app"),
        ("RESOLVED", "Resolved by an event via Alertmanager"),
    ]
    def kinds_seen() -> list[str]:
        return [e["alertEvents"]["kind"] for e in subscriber.received if e["alertEvents"]["alert"]["id"] == str(alert_id)]

    wait_until(lambda: "RESOLVED" in kinds_seen(), what="the RESOLVED event on the subscription")
    seen = kinds_seen()
    for kind in ("ESCALATED", "ACCEPTED", "RESOLVED"):
        assert kind in seen, seen
    assert seen.index("ESCALATED") < seen.index("ACCEPTED") < seen.index("RESOLVED")

    # Each page went out exactly once; the accept and the resolve each replaced it on both
    # lock screens with an update push.
    ids = [m["notification_id"] for m in console.pages(console_log)]
    assert len(ids) == len(set(ids)) == 2

    def updates() -> list[tuple[int, str]]:
        return sorted((m["user_id"], m["title"].split(":")[0]) for m in console.sent(console_log) if m["kind"] == "UPDATE")

    wait_until(lambda: len(updates()) == 4, what="the update pushes")
    assert updates() == sorted(
        [(org.alice_id, "Accepted"), (org.bob_id, "Accepted"), (org.alice_id, "Resolved"), (org.bob_id, "Resolved")]
    )

    async def timeline_ids() -> list[int]:
        return list(await AlertLogEntry.filter(alert_id=alert_id).order_by("id").values_list("id", flat=True))

    assert in_db(url, timeline_ids) == sorted(in_db(url, timeline_ids))


def test_production_mode_postgres_redis_separate_worker(pg_database_url: str, redis_url: str, tmp_path: Path) -> None:
    org = seed_database(pg_database_url)
    console_log = tmp_path / "console.log"
    env = embedded_env(pg_database_url, tmp_path, PAGERLINE_REDIS_URL=redis_url)
    server = start_server(env, tmp_path)
    worker = start_worker(env, tmp_path)
    try:
        run_flow(pg_database_url, server.url, org, console_log)
    finally:
        server.stop()
        worker.stop()
    assert "Traceback" not in server.log(), server.log()
    assert "Traceback" not in worker.log(), worker.log()


def test_embedded_defaults_sqlite_in_process(templates: Any, tmp_path: Path) -> None:
    url = templates.sqlite(tmp_path)
    org = seed_database(url)
    console_log = tmp_path / "console.log"
    server = start_server(embedded_env(url, tmp_path), tmp_path)
    try:
        run_flow(url, server.url, org, console_log)
    finally:
        server.stop()
    assert "Traceback" not in server.log(), server.log()


@pytest.mark.parametrize("path", ["grafana"])
def test_grafana_webhook_opens_and_resolves(templates: Any, tmp_path: Path, path: str) -> None:
    url = templates.sqlite(tmp_path)
    org = seed_database(url)
    server = start_server(embedded_env(url, tmp_path), tmp_path)
    try:
        body = sample("grafana-firing.json")
        [result] = webhook(server.url, path, org.grafana_key, body)
        assert (result["alertKey"], result["responseCode"]) == ("c6eadffa33fcdf37", "NEW_ALERT_CREATED")
        alert_id = int(result["alertUrl"].rsplit("/", 1)[1])

        async def load() -> Alert:
            return await Alert.get(id=alert_id)

        alert = in_db(url, load)
        assert alert.summary == "This alert was triggered for zone us-1"
        assert "The system has high memory usage" in (alert.details or "")
        assert {"href": "https://runbooks.example/1234", "text": "Runbook"} in alert.links
        assert {"href": "https://grafana.example/alerting/1afz29v7z/edit", "text": "Source"} in alert.links
        assert alert.labels == {"alertname": "High memory usage", "team": "blue", "zone": "us-1"}
        body["alerts"][0]["status"] = "resolved"
        assert webhook(server.url, path, org.grafana_key, body)[0]["responseCode"] == "ALERT_RESOLVED"
        assert in_db(url, load).status is AlertStatus.RESOLVED
    finally:
        server.stop()
