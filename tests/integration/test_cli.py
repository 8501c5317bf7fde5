"""The `pagerline` command as a user runs it: help, migrate, demo (once, then reused), doctor,
user and token creation, serve's port and public URL, and the refusals that protect embedded
mode."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from pagerline.engine.sources.intake import EventInput, ingest_event
from pagerline.engine.sources.lookup import find_source_by_key
from pagerline.models import Notification, NotificationStatus
from tests.support.graphql import data, fire, in_db
from tests.support.processes import base_env, start_server, wait_until

ROOT = Path(__file__).resolve().parents[2]


def pagerline(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pagerline", *args], env=base_env(env or {}), cwd=cwd, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "command",
    [["--help"], ["serve", "--help"], ["worker", "--help"], ["migrate", "--help"], ["demo", "--help"],
     ["doctor", "--help"], ["user", "create", "--help"], ["token", "create", "--help"], ["notifications", "--help"]],
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
        me = data(server.url, token.stdout.strip(), "{ me { email role } }")
        assert me["me"] == {"email": "carol@example.com", "role": "RESPONDER"}
        login = data(server.url, None, "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { user { name } } }",
                     e=info["email"], p=info["password"])
        assert login["login"]["user"]["name"] == "Demo Admin"
        event = fire(server.url, info["integrationKey"], None, "demo works")
        assert event.status_code == 202 and event.json()["responseCode"] == "NEW_ALERT_CREATED"
        # No PAGERLINE_PUBLIC_URL: links name the port the server listens on, not :8000.
        assert event.json()["alertUrl"] == f"{server.url}/#/alerts/1"
        def sent_gauge() -> bool:
            text = httpx.get(f"{server.url}/metrics", timeout=10).text
            return 'pagerline_notifications_recent{channel="PUSH",status="SENT"} 1' in text

        wait_until(sent_gauge, what="the SENT push in /metrics")
        metrics = httpx.get(f"{server.url}/metrics", timeout=10).text
        assert "pagerline_escalation_overdue_seconds 0.000" in metrics
        assert 'pagerline_alerts{status="PENDING"} 1' in metrics  # the demo alert, still open
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


def demo_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PAGERLINE_DATABASE_URL": f"sqlite://{tmp_path}/var/p.db",
        "PAGERLINE_DEMO_FILE": str(tmp_path / "var" / "demo.json"),
        **extra,
    }


def test_doctor_names_who_cannot_be_reached_and_exits_non_zero(tmp_path: Path) -> None:
    env = demo_env(tmp_path)
    assert pagerline("migrate", env=env).returncode == 0
    assert pagerline("demo", env=env).returncode == 0
    # Demo mode: the console transport serves every channel and the demo's people have
    # console devices and verified numbers.
    fine = pagerline("doctor", env={**env, "PAGERLINE_DEMO": "1"})
    assert fine.returncode == 0, fine.stdout + fine.stderr
    assert fine.stdout.rstrip().endswith("No problems found.")
    # The same database without the console transport: nothing can reach anyone.
    created = pagerline("user", "create", "--email", "new@example.com", "--password", "pw-new-1", env=env)
    assert created.returncode == 0, created.stderr
    broken = pagerline("doctor", env=env)
    assert broken.returncode == 1
    assert "  PUSH (FCM)           NOT CONFIGURED" in broken.stdout
    assert "  PUSHOVER (PUSHOVER)  off (optional)" in broken.stdout  # listed, but no problem while nobody uses it
    assert "  NTFY (NTFY)          configured" in broken.stdout
    assert "  - SMS (TWILIO) is not configured: set PAGERLINE_TWILIO_ACCOUNT_SID" in broken.stdout
    assert '  - Demo Admin <demo@pagerline.local> cannot be reached for HIGH and LOW alerts' in broken.stdout
    assert "new@example.com" not in broken.stdout  # in no policy and on no schedule: never paged
    report = json.loads(pagerline("doctor", "--json", env=env).stdout)
    assert report["ok"] is False and report["peopleChecked"] == 2
    assert {p["email"] for p in report["unreachable"]} == {"demo@pagerline.local", "backup@pagerline.local"}
    assert report["problems"] == [line[4:] for line in broken.stdout.splitlines() if line.startswith("  - ")]
    half = pagerline("doctor", env={**env, "PAGERLINE_TWILIO_ACCOUNT_SID": "AC1"})
    assert half.returncode == 1
    assert "provider settings are invalid: Twilio is not fully configured: set PAGERLINE_TWILIO_AUTH_TOKEN" in half.stdout


def test_serve_on_a_taken_port_fails_at_once_without_starting_the_worker(tmp_path: Path) -> None:
    console = tmp_path / "console.jsonl"
    env = demo_env(tmp_path, PAGERLINE_DEMO="1", PAGERLINE_CONSOLE_LOG=str(console), PAGERLINE_LOG_LEVEL="INFO")
    assert pagerline("migrate", env=env).returncode == 0
    key = json.loads(pagerline("demo", "--json", env=env).stdout)["integrationKey"]

    async def page_due_now() -> int:
        source = await find_source_by_key(key)
        assert source is not None
        await ingest_event(source, EventInput("ALERT", summary="waiting for a worker"), datetime.now(UTC))
        return await Notification.filter(status=NotificationStatus.PENDING).count()

    assert in_db(env["PAGERLINE_DATABASE_URL"], page_due_now) > 0  # the embedded sweeper would send one at once
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        result = pagerline("serve", "--port", str(port), env=env)
        elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stderr
    assert f"pagerline serve: cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr
    assert elapsed < 10
    # The application (database, bus, embedded worker and sweeper) never started...
    assert "Application startup" not in result.stderr
    assert not console.exists()  # ...so nothing was delivered

    async def sent() -> int:
        return await Notification.filter(status=NotificationStatus.SENT).count()

    assert in_db(env["PAGERLINE_DATABASE_URL"], sent) == 0


def test_make_run_passes_port_and_host_to_demo_and_serve() -> None:
    result = subprocess.run(["make", "-n", "run", "PORT=9123", "HOST=0.0.0.0"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    commands = result.stdout.splitlines()
    assert any("pagerline demo --host 0.0.0.0 --port 9123" in line for line in commands), commands
    assert any("pagerline serve --host 0.0.0.0 --port 9123" in line for line in commands), commands
    default = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, timeout=30).stdout
    assert "pagerline serve --host 127.0.0.1 --port 8000" in default


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--port", "70000"], "argument --port: 70000 is not a port number (0 to 65535)"),
        (["serve", "--port", "http"], "argument --port: 'http' is not a port number"),
        (["serve", "--workers", "0"], "argument --workers: 0 is less than 1"),
        (["demo", "--port", "-1"], "argument --port: -1 is not a port number (0 to 65535)"),
        (["worker", "--threads", "0"], "argument --threads: 0 is less than 1"),
        (["notifications", "--limit", "many"], "argument --limit: 'many' is not a whole number"),
    ],
)
def test_bad_numbers_are_refused_with_the_option_named(args: list[str], message: str, tmp_path: Path) -> None:
    result = pagerline(*args, env={"PAGERLINE_DATABASE_URL": f"sqlite://{tmp_path}/p.db"})
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_serve_on_an_address_it_cannot_have_says_so(tmp_path: Path) -> None:
    result = pagerline("serve", "--host", "192.0.2.1", "--port", "0", env={"PAGERLINE_DATABASE_URL": f"sqlite://{tmp_path}/p.db"})
    assert result.returncode == 1
    assert "pagerline serve: cannot listen on 192.0.2.1:0: Cannot assign requested address." in result.stderr
    assert "Traceback" not in result.stderr
