"""The whole loop through real processes: Alertmanager fires → level 1 is paged → the timeout
passes → level 2 is paged → acceptAlert over GraphQL stops further pages → Alertmanager's
resolved payload resolves → the timeline shows each step in order.

Two ways to run it: production (PostgreSQL + Redis, `pagerline serve` and a separate
`pagerline worker`) and the embedded defaults (SQLite, in-process worker and bus).

Time: the escalation timeout is minutes. Instead of sleeping, the test moves this alert's clock
forward by rewriting its stored due times (``next_escalation_at`` and pending notifications'
``due_at``) into the past; the worker's own tick then finds it due, exactly as it would five
minutes later.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from pagerline.db import close_db, init_db
from pagerline.models import Alert, AlertLogEntry, AlertStatus, Notification, NotificationStatus
from tests.conftest import run
from tests.support import console
from tests.support.processes import start_server, start_worker, wait_until
from tests.support.seed import Org, seed_org
from tests.support.ws import Subscriber

SAMPLES = Path(__file__).resolve().parents[1] / "samples"  # copies of ../shared/samples


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_text())


async def _seed(url: str) -> Org:
    await init_db(url)
    try:
        return await seed_org(level1_timeout=5, level2_timeout=10)
    finally:
        await close_db()


async def _db(url: str, body: Any) -> Any:
    await init_db(url)
    try:
        return await body()
    finally:
        await close_db()


def move_clock(url: str, alert_id: int, minutes: int) -> None:
    """Make `minutes` pass for this alert: its stored due times move into the past."""

    async def body() -> None:
        alert = await Alert.get(id=alert_id)
        if alert.next_escalation_at is not None:
            alert.next_escalation_at -= timedelta(minutes=minutes)
            await alert.save(update_fields=["next_escalation_at"])
        for row in await Notification.filter(alert_id=alert_id, status=NotificationStatus.PENDING):
            row.due_at -= timedelta(minutes=minutes)
            await row.save(update_fields=["due_at"])

    run(_db(url, body))


def gql(server_url: str, token: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = httpx.post(
        f"{server_url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


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
    response = httpx.post(f"{server_url}/api/events/alertmanager/{org.alertmanager_key}", json=firing, timeout=10)
    assert response.status_code == 202, response.text
    [result] = response.json()["alerts"]
    assert result["responseCode"] == "NEW_ALERT_CREATED"
    assert result["alertKey"] == "ea6e6a2b5a91e010"
    alert_id = int(result["alertUrl"].rsplit("/", 1)[1])

    # Level 1: Alice's push is handed to the transport.
    wait_until(lambda: console.sent_to(console_log, org.alice_id, alert_id), what="Alice's page")
    assert console.sent_to(console_log, org.bob_id, alert_id) == []
    data = gql(server_url, org.alice_token, "query($id: ID!) { alert(id: $id) { status summary priority alertKey } }", {"id": str(alert_id)})
    assert data["alert"] == {"status": "PENDING", "summary": "web-1 is down", "priority": "HIGH", "alertKey": "ea6e6a2b5a91e010"}

    # Five minutes pass: the worker's tick escalates to Bob.
    move_clock(url, alert_id, 5)
    wait_until(lambda: console.sent_to(console_log, org.bob_id, alert_id), what="Bob's page after the timeout")

    # Bob accepts over GraphQL: escalation halts, nothing more is due.
    data = gql(server_url, org.bob_token, "mutation($id: ID!) { acceptAlert(id: $id) { status } }", {"id": str(alert_id)})
    assert data["acceptAlert"]["status"] == "ACCEPTED"

    async def after_accept() -> tuple[Any, list[Any]]:
        alert = await Alert.get(id=alert_id)
        pending = await Notification.filter(
            alert_id=alert_id, kind="PAGE", status__in=[NotificationStatus.PENDING, NotificationStatus.SENDING]
        )
        return alert, pending

    alert, pending = run(_db(url, after_accept))
    assert alert.status is AlertStatus.ACCEPTED and alert.next_escalation_at is None
    assert pending == []
    move_clock(url, alert_id, 60)  # an hour later: nobody else is paged
    pages_before = len(console.pages(console_log))

    resolved = sample("alertmanager-resolved.json")
    response = httpx.post(f"{server_url}/api/events/alertmanager/{org.alertmanager_key}", json=resolved, timeout=10)
    assert response.status_code == 202
    assert response.json()["alerts"][0]["responseCode"] == "ALERT_RESOLVED"
    data = gql(server_url, org.alice_token, "query($id: ID!) { alert(id: $id) { status logEntries { kind text } } }", {"id": str(alert_id)})
    assert data["alert"]["status"] == "RESOLVED"
    assert len(console.pages(console_log)) == pages_before

    steps = [
        (e["kind"], e["text"])
        for e in data["alert"]["logEntries"]
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

    assert run(_db(url, timeline_ids)) == sorted(run(_db(url, timeline_ids)))


def _env(url: str, console_log: Path, **extra: str) -> dict[str, str]:
    return {
        "PAGERLINE_DATABASE_URL": url,
        "PAGERLINE_CONSOLE_TRANSPORT": "1",
        "PAGERLINE_CONSOLE_LOG": str(console_log),
        "PAGERLINE_SWEEP_INTERVAL_SECONDS": "0.2",
        **extra,
    }


def test_production_mode_postgres_redis_separate_worker(pg_database_url: str, redis_url: str, tmp_path: Path) -> None:
    org = run(_seed(pg_database_url))
    console_log = tmp_path / "console.log"
    env = _env(pg_database_url, console_log, PAGERLINE_REDIS_URL=redis_url)
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
    org = run(_seed(url))
    console_log = tmp_path / "console.log"
    server = start_server(_env(url, console_log), tmp_path)
    try:
        run_flow(url, server.url, org, console_log)
    finally:
        server.stop()
    assert "Traceback" not in server.log(), server.log()


@pytest.mark.parametrize("path", ["grafana"])
def test_grafana_webhook_opens_and_resolves(templates: Any, tmp_path: Path, path: str) -> None:
    url = templates.sqlite(tmp_path)
    org = run(_seed(url))
    server = start_server(_env(url, tmp_path / "console.log"), tmp_path)
    try:
        body = sample("grafana-firing.json")
        response = httpx.post(f"{server.url}/api/events/{path}/{org.grafana_key}", json=body, timeout=10)
        assert response.status_code == 202, response.text
        [result] = response.json()["alerts"]
        assert (result["alertKey"], result["responseCode"]) == ("c6eadffa33fcdf37", "NEW_ALERT_CREATED")
        alert_id = int(result["alertUrl"].rsplit("/", 1)[1])

        async def load() -> Alert:
            return await Alert.get(id=alert_id)

        alert = run(_db(url, load))
        assert alert.summary == "This alert was triggered for zone us-1"
        assert "The system has high memory usage" in (alert.details or "")
        assert {"href": "https://runbooks.example/1234", "text": "Runbook"} in alert.links
        assert {"href": "https://grafana.example/alerting/1afz29v7z/edit", "text": "Source"} in alert.links
        assert alert.labels == {"alertname": "High memory usage", "team": "blue", "zone": "us-1"}
        body["alerts"][0]["status"] = "resolved"
        response = httpx.post(f"{server.url}/api/events/{path}/{org.grafana_key}", json=body, timeout=10)
        assert response.json()["alerts"][0]["responseCode"] == "ALERT_RESOLVED"
        assert run(_db(url, load)).status is AlertStatus.RESOLVED
    finally:
        server.stop()
