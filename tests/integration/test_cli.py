"""The `pagerline` command as a user runs it: help, migrate, demo (once, then reused), user and
token creation, and the refusals that protect embedded mode."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.processes import base_env, start_server, wait_until


def pagerline(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pagerline", *args], env=base_env(env or {}), cwd=cwd, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "command",
    [["--help"], ["serve", "--help"], ["worker", "--help"], ["migrate", "--help"], ["demo", "--help"],
     ["user", "create", "--help"], ["token", "create", "--help"], ["notifications", "--help"]],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = pagerline(*command)
    assert result.returncode == 0, result.stderr
    assert "usage: pagerline" in result.stdout


def test_migrate_demo_user_and_token(tmp_path: Path) -> None:
    env = {
        "PAGERLINE_DATABASE_URL": f"sqlite://{tmp_path}/var/p.db",
        "PAGERLINE_DEMO_FILE": str(tmp_path / "var" / "demo.json"),
        "PAGERLINE_DEMO": "1",
    }
    assert pagerline("migrate", env=env).returncode == 0
    assert pagerline("migrate", env=env).returncode == 0  # idempotent
    first = pagerline("demo", "--json", env=env)
    assert first.returncode == 0, first.stderr
    info = json.loads(first.stdout)
    assert {"email", "password", "integrationKey", "alertmanagerUrl"} <= info.keys()
    assert info["alertmanagerUrl"].startswith("/api/events/alertmanager/")
    assert len(info["integrationKey"]) >= 24  # at least 128 random bits
    again = json.loads(pagerline("demo", "--json", env=env).stdout)
    assert (again["integrationKey"], again["password"]) == (info["integrationKey"], info["password"])
    assert (tmp_path / "var" / "demo.json").stat().st_mode & 0o077 == 0
    text = pagerline("demo", env=env).stdout
    assert info["integrationKey"] in text and "curl" in text

    created = pagerline("user", "create", "--email", "Carol@Example.com", "--name", "Carol", "--password", "pw-carol-1",
                        "--role", "RESPONDER", "--team", "Demo team", env=env)
    assert created.returncode == 0, created.stderr
    duplicate = pagerline("user", "create", "--email", "carol@example.com", "--no-password", env=env)
    assert duplicate.returncode == 1 and "exists already" in duplicate.stderr
    token = pagerline("token", "create", "--email", "carol@example.com", env=env)
    assert token.returncode == 0 and token.stdout.strip().startswith("pla_")
    assert pagerline("token", "create", "--email", "nobody@example.com", env=env).returncode == 1

    server = start_server(env, tmp_path)
    try:
        me = httpx.post(f"{server.url}/graphql", json={"query": "{ me { email role } }"},
                        headers={"Authorization": f"Bearer {token.stdout.strip()}"}, timeout=10).json()
        assert me["data"]["me"] == {"email": "carol@example.com", "role": "RESPONDER"}
        login = httpx.post(f"{server.url}/graphql", timeout=10, json={
            "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { user { name } } }",
            "variables": {"e": info["email"], "p": info["password"]}}).json()
        assert login["data"]["login"]["user"]["name"] == "Demo Admin"
        event = httpx.post(f"{server.url}/api/events", timeout=10, json={
            "integrationKey": info["integrationKey"], "eventType": "ALERT", "summary": "demo works"})
        assert event.status_code == 202 and event.json()["responseCode"] == "NEW_ALERT_CREATED"
        def sent_gauge() -> bool:
            text = httpx.get(f"{server.url}/metrics", timeout=10).text
            return 'pagerline_notifications{channel="PUSH",status="SENT"} 1' in text

        wait_until(sent_gauge, what="the SENT push in /metrics")
        metrics = httpx.get(f"{server.url}/metrics", timeout=10).text
        assert "pagerline_escalation_overdue_seconds 0.000" in metrics
        assert 'pagerline_notification_deliveries_total{channel="PUSH",outcome="DELIVERED"} 1.0' in metrics
        assert 'pagerline_events_received_total{event_type="ALERT",integration="API"} 1.0' in metrics
        assert 'pagerline_alerts_opened_total{priority="HIGH"} 1.0' in metrics
        assert httpx.get(f"{server.url}/readyz", timeout=10).json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
    finally:
        server.stop()
    listing = pagerline("notifications", env=env)
    assert "demo works" in listing.stdout


def test_serve_refuses_several_workers_without_redis(tmp_path: Path) -> None:
    result = pagerline("serve", "--workers", "2", env={"PAGERLINE_DATABASE_URL": f"sqlite://{tmp_path}/p.db"})
    assert result.returncode == 2
    assert "needs PAGERLINE_REDIS_URL" in result.stderr


def test_worker_explains_it_needs_redis(tmp_path: Path) -> None:
    result = pagerline("worker", env={"PAGERLINE_DATABASE_URL": f"sqlite://{tmp_path}/p.db"})
    assert result.returncode != 0
    assert "PAGERLINE_REDIS_URL is not set" in result.stderr
