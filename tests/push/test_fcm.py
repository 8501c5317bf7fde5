"""FcmTransport through firebase-admin's real HTTP client against the fake FCM server."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials

from pagerline.models import Channel
from pagerline.push.base import Outcome
from pagerline.push.fcm import FcmTransport
from pagerline.push.registry import build_transports
from pagerline.settings import Settings
from tests.fakes import wait_until
from tests.fakes.fcm import FakeFcm
from tests.push import PAGE_DATA, device, page, update

PROJECT = "pagerline-test"


@pytest.fixture(scope="module", params=["HTTP/1.1", "HTTP/2"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeFcm]:
    """Every test runs against HTTP/1.1 in clear text, and against HTTP/2 over TLS (what
    firebase-admin's httpx client speaks to Google)."""
    with FakeFcm(project_id=PROJECT, tls=request.param == "HTTP/2") as server:
        yield server


@pytest.fixture(autouse=True)
def clean(fake: FakeFcm, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if fake.tls_enabled:
        # httpx (firebase-admin) and requests (google-auth's token fetch) trust the fake's CA
        # through the standard variables, read when a transport builds its client.
        monkeypatch.setenv("SSL_CERT_FILE", fake.ca_file)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", fake.ca_file)
    with fake.for_one_test():
        yield
    for request in list(fake.received):
        assert request.http_version == ("HTTP/2" if fake.tls_enabled else "HTTP/1.1")


@pytest.fixture
async def fcm(fake: FakeFcm) -> AsyncIterator[FcmTransport]:
    transport = FcmTransport(credential=AnonymousCredentials(), project_id=PROJECT, endpoint=fake.url, timeout=3)
    yield transport
    await transport.close()


def _sent(fake: FakeFcm, token: str) -> dict[str, Any]:
    [request] = fake.for_token(token)
    assert request.project == PROJECT
    return request.body


def _pop_expiration(body: dict[str, Any], before: float, after: float, ttl: int) -> None:
    """apns-expiration is "now + TTL" at build time: check it, then drop it for exact compares."""
    expiration = int(body["message"]["apns"]["headers"].pop("apns-expiration"))
    assert int(before) + ttl <= expiration <= int(after) + ttl


async def test_critical_page_to_ios_device_carries_every_critical_field(fake: FakeFcm, fcm: FcmTransport) -> None:
    destination = device("ios-critical", sound="siren.caf", critical_volume=0.8)
    before = time.time()
    result = await fcm.send(page(destination))
    after = time.time()

    assert result.outcome is Outcome.DELIVERED
    assert result.provider_id == fake.delivered("ios-critical")[0].name
    body = _sent(fake, "ios-critical")
    _pop_expiration(body, before, after, 600)
    assert body == {
        "message": {
            "token": "ios-critical",
            "data": PAGE_DATA,
            "notification": {"title": "[HIGH] Database disk full", "body": "db-1: /var/lib/postgresql at 99%"},
            "android": {
                "priority": "high",
                "ttl": "600s",
                "collapse_key": "alert-42",
                "notification": {"channel_id": "pagerline_critical", "tag": "alert-42", "notification_priority": "PRIORITY_MAX"},
            },
            "apns": {
                "headers": {"apns-priority": "10", "apns-push-type": "alert", "apns-collapse-id": "alert-42"},
                "payload": {
                    "aps": {
                        "alert": {"title": "[HIGH] Database disk full", "body": "db-1: /var/lib/postgresql at 99%"},
                        "badge": 2,
                        "sound": {"critical": 1, "name": "siren.caf", "volume": 0.8},
                        "category": "PAGERLINE_ALERT",
                        "thread-id": "source-9",
                        "interruption-level": "critical",
                    }
                },
            },
        }
    }


async def test_critical_page_to_android_uses_the_critical_channel_and_no_apns_block(fake: FakeFcm, fcm: FcmTransport) -> None:
    result = await fcm.send(page(device("android-critical", platform="ANDROID")))

    assert result.outcome is Outcome.DELIVERED
    message = _sent(fake, "android-critical")["message"]
    assert "apns" not in message
    assert message["android"] == {
        "priority": "high",
        "ttl": "600s",
        "collapse_key": "alert-42",
        "notification": {"channel_id": "pagerline_critical", "tag": "alert-42", "notification_priority": "PRIORITY_MAX"},
    }
    assert message["data"]["critical"] == "1"
    assert message["data"]["action_token"] == "act.tok.en"


@pytest.mark.parametrize(
    ("case", "build", "level", "apns_priority", "android_priority", "category"),
    [
        ("LOW page, critical device", lambda d: page(d, priority="LOW"), "active", "10", "high", True),
        ("HIGH page, device without critical alerts", lambda d: page(d.__class__(**{**_fields(d), "critical": False})), "time-sensitive", "10", "high", True),
        ("update, critical device", lambda d: update(d), "active", "5", "normal", False),
        # The engine's flag alone does not make a LOW page critical: the builder re-checks.
        ("LOW page wrongly flagged critical", lambda d: page(d, priority="LOW", critical=True), "active", "10", "high", True),
    ],
)
async def test_non_critical_pushes_have_no_critical_fields(
    fake: FakeFcm, fcm: FcmTransport, case: str, build: Any, level: str, apns_priority: str, android_priority: str, category: bool
) -> None:
    token = "ios-" + case.replace(" ", "-").replace(",", "")
    message = build(device(token))
    before = time.time()
    result = await fcm.send(message)
    after = time.time()

    assert result.outcome is Outcome.DELIVERED
    body = _sent(fake, token)
    _pop_expiration(body, before, after, 600)
    sent = body["message"]
    assert "critical" not in sent["data"]
    assert sent["android"]["priority"] == android_priority
    assert sent["android"]["notification"]["channel_id"] == "pagerline_default"
    assert sent["android"]["notification"].get("notification_priority") == ("PRIORITY_HIGH" if message.kind == "PAGE" else None)
    assert sent["apns"]["headers"] == {"apns-priority": apns_priority, "apns-push-type": "alert", "apns-collapse-id": "alert-42"}
    expected_aps: dict[str, Any] = {
        "alert": {"title": message.title, "body": message.body},
        "badge": 2,
        "sound": "default",
        "thread-id": "source-9",
        "interruption-level": level,
    }
    if category:
        expected_aps["category"] = "PAGERLINE_ALERT"
    assert sent["apns"]["payload"] == {"aps": expected_aps}
    if message.kind == "UPDATE":
        assert "action_token" not in sent["data"]
        assert sent["data"]["status"] == "ACCEPTED"


def _fields(destination: Any) -> dict[str, Any]:
    return {name: getattr(destination, name) for name in destination.__slots__}


async def test_silent_push_is_data_only(fake: FakeFcm, fcm: FcmTransport) -> None:
    message = page(device("ios-silent"), kind="INFO", silent=True, title="", body="", action_token="", badge=None,
                   data={"refresh": "widget"}, collapse_id="widget", ttl_seconds=60)
    before = time.time()
    assert (await fcm.send(message)).outcome is Outcome.DELIVERED
    after = time.time()

    body = _sent(fake, "ios-silent")
    _pop_expiration(body, before, after, 60)
    assert body == {
        "message": {
            "token": "ios-silent",
            "data": {"notification_id": "1001", "kind": "INFO", "alert_id": "42", "priority": "HIGH", "status": "PENDING",
                     "collapse_id": "widget", "refresh": "widget"},
            "android": {"priority": "normal", "ttl": "60s", "collapse_key": "widget"},
            "apns": {
                "headers": {"apns-priority": "5", "apns-push-type": "background", "apns-collapse-id": "widget"},
                "payload": {"aps": {"content-available": 1}},
            },
        }
    }


async def test_extra_data_is_stringified_and_cannot_override_our_keys(fake: FakeFcm, fcm: FcmTransport) -> None:
    message = page(device("android-data", platform="ANDROID"),
                   data={"alert_url": "https://pager.example/a/42", "count": 3, "ok": True, "labels": {"b": 1, "a": 2},
                         "kind": "FORGED", "skip": None})
    assert (await fcm.send(message)).outcome is Outcome.DELIVERED
    data = _sent(fake, "android-data")["message"]["data"]
    assert data["kind"] == "PAGE"
    assert data["alert_url"] == "https://pager.example/a/42"
    assert (data["count"], data["ok"], data["labels"]) == ("3", "true", '{"a":2,"b":1}')
    assert "skip" not in data


@pytest.mark.parametrize(
    ("script", "reason"),
    [("dead", "FCM UNREGISTERED: Requested entity was not found."), ("sender_mismatch", "FCM SENDER_ID_MISMATCH: SenderId mismatch")],
)
async def test_dead_token_fails_and_marks_the_device_dead(fake: FakeFcm, fcm: FcmTransport, script: str, reason: str) -> None:
    getattr(fake, script)("gone")
    result = await fcm.send(page(device("gone")))

    assert (result.outcome, result.destination_dead, result.reason) == (Outcome.FAILED, True, reason)
    assert [r.status for r in fake.for_token("gone")] == [404 if script == "dead" else 403]


async def test_invalid_argument_fails_without_deactivating_the_token(fake: FakeFcm, fcm: FcmTransport) -> None:
    fake.invalid("weird")
    result = await fcm.send(page(device("weird")))
    assert (result.outcome, result.destination_dead) == (Outcome.FAILED, False)
    assert result.reason.startswith("FCM INVALID_ARGUMENT: ")


async def test_quota_exceeded_is_retried_later_not_now(fake: FakeFcm, fcm: FcmTransport) -> None:
    fake.quota("busy")
    result = await fcm.send(page(device("busy")))
    assert (result.outcome, result.destination_dead) == (Outcome.RETRY, False)
    assert result.reason == "FCM QUOTA_EXCEEDED: Quota exceeded."
    assert [r.status for r in fake.for_token("busy")] == [429]


async def test_503_is_retried_by_firebase_admin_and_delivered_once(fake: FakeFcm, fcm: FcmTransport) -> None:
    fake.fail("flaky", status=503, times=1)
    result = await fcm.send(page(device("flaky")))

    assert result.outcome is Outcome.DELIVERED
    assert [r.status for r in fake.for_token("flaky")] == [503, 200]
    assert len(fake.delivered("flaky")) == 1


async def test_other_server_errors_are_retry_and_not_repeated_by_the_transport(fake: FakeFcm, fcm: FcmTransport) -> None:
    fake.fail("bad-gateway", status=502, times=None)
    result = await fcm.send(page(device("bad-gateway")))
    assert result.outcome is Outcome.RETRY
    assert [r.status for r in fake.for_token("bad-gateway")] == [502]


async def test_timeout_is_retry_and_the_push_was_sent_once(fake: FakeFcm) -> None:
    transport = FcmTransport(credential=AnonymousCredentials(), project_id=PROJECT, endpoint=fake.url, timeout=0.3)
    try:
        fake.hold("slow")
        result = await transport.send(page(device("slow")))
        assert (result.outcome, result.reason) == (Outcome.RETRY, "FCM timed out after 0.3s")

        fake.release()
        await asyncio.to_thread(wait_until, lambda: fake.for_token("slow")[0].status == 200, 5, 0.005, "held answer")
        assert len(fake.for_token("slow")) == 1  # the transport did not send it again by itself
        assert (await transport.send(page(device("after-timeout")))).outcome is Outcome.DELIVERED
    finally:
        await transport.close()


async def test_concurrency_limit_caps_requests_in_flight(fake: FakeFcm) -> None:
    transport = FcmTransport(credential=AnonymousCredentials(), project_id=PROJECT, endpoint=fake.url, concurrency=2)
    try:
        for i in range(6):
            fake.slow(f"c{i}", 0.05)
        results = await transport.send_many([page(device(f"c{i}")) for i in range(6)])
        assert [r.outcome for r in results] == [Outcome.DELIVERED] * 6
        assert fake.max_in_flight == 2
        assert fake.count == 6
    finally:
        await transport.close()


async def test_service_account_file_gets_a_token_from_its_token_uri(fake: FakeFcm, tmp_path: Path) -> None:
    key_file = fake.write_service_account(tmp_path / "sa.json")
    transport = FcmTransport(credential=str(key_file), endpoint=fake.url)  # project id from the file
    try:
        assert (await transport.send(page(device("sa-1")))).outcome is Outcome.DELIVERED
        assert (await transport.send(page(device("sa-2")))).outcome is Outcome.DELIVERED
        assert fake.tokens_issued == 1
        auth = [r.headers["authorization"] for r in fake.for_token("sa-1") + fake.for_token("sa-2")]
        assert len(set(auth)) == 1 and auth[0].startswith("Bearer ya29.fake-")
    finally:
        await transport.close()
        fake._issued.tokens.clear()  # later tests use anonymous credentials again


async def test_build_transports_wires_fcm_from_settings(fake: FakeFcm, tmp_path: Path) -> None:
    key_file = fake.write_service_account(tmp_path / "sa.json")
    settings = Settings(fcm_credentials=str(key_file), fcm_project_id=PROJECT, fcm_endpoint=fake.url)
    transports = build_transports(settings)
    try:
        transport = transports.for_message(Channel.PUSH, "FCM")
        assert isinstance(transport, FcmTransport)
        assert transports.for_message(Channel.PUSH, "APNS") is None
        assert (await transport.send(page(device("from-settings")))).outcome is Outcome.DELIVERED
        assert len(fake.delivered("from-settings")) == 1
    finally:
        await transports.close()
        fake._issued.tokens.clear()


# The first loop ends without close(): its connection cannot be closed from the second loop and
# is left to the garbage collector, which says so.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_one_transport_serves_successive_event_loops(fake: FakeFcm) -> None:
    """A worker restarting its loop (or tests) must not hit connections of a dead loop."""
    transport = FcmTransport(credential=AnonymousCredentials(), project_id=PROJECT, endpoint=fake.url)
    first = asyncio.run(transport.send(page(device("loop-1"))))
    second = asyncio.run(transport.send(page(device("loop-2"))))
    asyncio.run(transport.close())
    gc.collect()  # the abandoned connection's warning belongs to this test, not a later one
    assert (first.outcome, second.outcome) == (Outcome.DELIVERED, Outcome.DELIVERED)
    assert [len(fake.delivered("loop-1")), len(fake.delivered("loop-2"))] == [1, 1]
