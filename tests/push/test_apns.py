"""ApnsTransport through aioapns's real HTTP/2 client against the fake APNs server (TLS, h2)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from pagerline.models import Channel
from pagerline.push.apns import ApnsTransport
from pagerline.push.base import Outcome
from pagerline.push.registry import build_transports
from pagerline.settings import Settings
from tests.fakes import Answer, free_port, wait_until
from tests.fakes.apns import ApnsAccount, ApnsRequest, FakeApns
from tests.push import PAGE_DATA, device, page, update

ACCOUNT = ApnsAccount.new()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeApns]:
    with FakeApns.for_account(ACCOUNT) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(fake: FakeApns) -> Iterator[None]:
    with fake.for_one_test():
        yield


def make(fake: FakeApns, **overrides: Any) -> ApnsTransport:
    return ApnsTransport(**{**fake.client_options(), "timeout": 3.0, **overrides})


@pytest.fixture
async def apns(fake: FakeApns) -> AsyncIterator[ApnsTransport]:
    transport = make(fake)
    yield transport
    await transport.close()


def only(fake: FakeApns, token: str) -> ApnsRequest:
    [request] = fake.for_token(token)
    return request


def check_common_headers(request: ApnsRequest, before: float, after: float, ttl: int) -> dict[str, str]:
    """The headers every push has; returns the apns-* ones that differ between pushes."""
    headers = dict(request.headers)
    assert headers.pop(":method") == "POST"
    assert headers.pop(":scheme") == "https"
    assert headers.pop(":path") == f"/3/device/{request.token}"
    assert headers.pop("host") == "127.0.0.1"
    assert headers.pop("apns-topic") == ACCOUNT.topic
    assert headers.pop("authorization").startswith("bearer ")
    assert request.jwt_claims is not None and request.jwt_claims["iss"] == ACCOUNT.team_id  # the fake verified the ES256 JWT
    uuid.UUID(headers.pop("apns-id"))
    expiration = int(headers.pop("apns-expiration"))
    assert int(before) + ttl <= expiration <= int(after) + ttl
    return headers


async def test_critical_page_has_critical_sound_interruption_level_and_priority_10(fake: FakeApns, apns: ApnsTransport) -> None:
    destination = device("a1" * 32, provider="APNS", sound="siren.caf", critical_volume=0.7)
    before = time.time()
    result = await apns.send(page(destination))
    after = time.time()

    request = only(fake, "a1" * 32)
    assert (result.outcome, result.provider_id) == (Outcome.DELIVERED, request.apns_id)
    assert check_common_headers(request, before, after, 600) == {
        "apns-priority": "10",
        "apns-push-type": "alert",
        "apns-collapse-id": "alert-42",
    }
    assert request.payload == {
        "aps": {
            "alert": {"title": "[HIGH] Database disk full", "body": "db-1: /var/lib/postgresql at 99%"},
            "sound": {"critical": 1, "name": "siren.caf", "volume": 0.7},
            "interruption-level": "critical",
            "category": "PAGERLINE_ALERT",
            "thread-id": "source-9",
            "badge": 2,
        },
        **PAGE_DATA,
    }


@pytest.mark.parametrize(
    ("case", "critical_device", "overrides", "level", "priority"),
    [
        ("low-page", True, {"priority": "LOW"}, "active", "10"),
        ("no-critical-permission", False, {}, "time-sensitive", "10"),
        ("update", True, None, "active", "5"),
        ("low-page-flagged", True, {"priority": "LOW", "critical": True}, "active", "10"),
    ],
)
async def test_pushes_that_must_not_be_critical(
    fake: FakeApns, apns: ApnsTransport, case: str, critical_device: bool, overrides: dict[str, Any] | None, level: str, priority: str
) -> None:
    destination = device(case, provider="APNS", critical=critical_device)
    message = update(destination) if overrides is None else page(destination, **overrides)
    before = time.time()
    assert (await apns.send(message)).outcome is Outcome.DELIVERED
    after = time.time()

    request = only(fake, case)
    assert check_common_headers(request, before, after, 600) == {
        "apns-priority": priority,
        "apns-push-type": "alert",
        "apns-collapse-id": "alert-42",
    }
    payload = dict(request.payload or {})
    aps = payload.pop("aps")
    expected_aps: dict[str, Any] = {
        "alert": {"title": message.title, "body": message.body},
        "sound": "default",
        "interruption-level": level,
        "thread-id": "source-9",
        "badge": 2,
    }
    if message.kind == "PAGE":
        expected_aps["category"] = "PAGERLINE_ALERT"
    assert aps == expected_aps
    assert "critical" not in payload
    assert payload["kind"] == message.kind
    assert ("action_token" in payload) is (message.kind == "PAGE")


async def test_silent_push_is_background_content_available_priority_5(fake: FakeApns, apns: ApnsTransport) -> None:
    message = page(device("silent", provider="APNS"), kind="INFO", silent=True, title="", body="", action_token="",
                   collapse_id="", ttl_seconds=30)
    before = time.time()
    assert (await apns.send(message)).outcome is Outcome.DELIVERED
    after = time.time()

    request = only(fake, "silent")
    assert check_common_headers(request, before, after, 30) == {"apns-priority": "5", "apns-push-type": "background"}
    assert request.payload == {
        "aps": {"content-available": 1},
        "notification_id": "1001", "kind": "INFO", "alert_id": "42", "priority": "HIGH", "status": "PENDING",
    }


async def test_long_text_and_collapse_id_are_cut_to_what_apns_accepts(fake: FakeApns, apns: ApnsTransport) -> None:
    long_collapse = "alert-" + "x" * 100
    message = page(device("long", provider="APNS"), title="é" * 400, body="日本" * 2000, collapse_id=long_collapse)
    result = await apns.send(message)

    request = only(fake, "long")
    assert result.outcome is Outcome.DELIVERED  # the fake refuses > 4096 bytes (413) and collapse ids > 64 bytes
    assert len(request.raw) <= 4096
    assert request.payload is not None and request.payload["aps"]["alert"]["body"].endswith("…")
    assert len(request.headers["apns-collapse-id"]) == 42
    assert request.payload["collapse_id"] == long_collapse  # the app still sees the real one


@pytest.mark.parametrize(
    ("status", "reason"),
    [(410, "Unregistered"), (400, "BadDeviceToken"), (400, "Unregistered"), (400, "DeviceTokenNotForTopic")],
)
async def test_dead_device_token_fails_and_is_marked_dead(fake: FakeApns, apns: ApnsTransport, status: int, reason: str) -> None:
    fake.reject("dead", status, reason)
    result = await apns.send(page(device("dead", provider="APNS")))
    assert (result.outcome, result.destination_dead, result.reason) == (Outcome.FAILED, True, f"APNs {status} {reason}")
    assert len(fake.for_token("dead")) == 1


@pytest.mark.parametrize(("status", "reason"), [(400, "BadCollapseId"), (413, "PayloadTooLarge"), (403, "ExpiredProviderToken")])
async def test_other_refusals_fail_without_touching_the_device(fake: FakeApns, apns: ApnsTransport, status: int, reason: str) -> None:
    fake.reject("refused", status, reason)
    result = await apns.send(page(device("refused", provider="APNS")))
    assert (result.outcome, result.destination_dead, result.reason) == (Outcome.FAILED, False, f"APNs {status} {reason}")


async def test_too_many_requests_is_retry_later_and_sent_once(fake: FakeApns, apns: ApnsTransport) -> None:
    fake.reject("hot", 429, "TooManyRequests", times=None)
    result = await apns.send(page(device("hot", provider="APNS")))
    assert (result.outcome, result.reason) == (Outcome.RETRY, "APNs 429 TooManyRequests")
    assert [r.status for r in fake.for_token("hot")] == [429]


async def test_503_is_retried_by_the_transport_and_delivered_once(fake: FakeApns, apns: ApnsTransport) -> None:
    fake.fail("flaky", 503, times=1)
    result = await apns.send(page(device("flaky", provider="APNS")))
    assert result.outcome is Outcome.DELIVERED
    assert [r.status for r in fake.for_token("flaky")] == [503, 200]
    assert len(fake.delivered("flaky")) == 1


async def test_persistent_500_is_retry_after_the_bounded_retries(fake: FakeApns, apns: ApnsTransport) -> None:
    fake.fail("down", 500, "InternalServerError", times=None)
    result = await apns.send(page(device("down", provider="APNS")))
    assert (result.outcome, result.reason) == (Outcome.RETRY, "APNs 500 InternalServerError")
    assert [r.status for r in fake.for_token("down")] == [500, 500, 500]  # 1 + server_retries


async def test_timeout_is_retry_sent_once_and_the_late_answer_keeps_the_connection(fake: FakeApns) -> None:
    transport = make(fake, timeout=0.3)
    try:
        assert (await transport.send(page(device("warm-up", provider="APNS")))).outcome is Outcome.DELIVERED
        connections = fake.connections_made
        fake.hold("slow")
        result = await transport.send(page(device("slow", provider="APNS")))
        assert (result.outcome, result.reason) == (Outcome.RETRY, "APNs timed out after 0.3s")

        fake.release()
        await asyncio.to_thread(wait_until, lambda: only(fake, "slow").status == 200, 5, 0.005, "held answer")
        after = await transport.send(page(device("after", provider="APNS")))
        assert after.outcome is Outcome.DELIVERED
        assert len(fake.for_token("slow")) == 1  # not re-sent by aioapns or by us
        assert fake.connections_made == connections  # aioapns 4.0 alone would have dropped it
    finally:
        await transport.close()


async def test_late_error_answer_after_timeout_is_ignored_too(fake: FakeApns) -> None:
    transport = make(fake, timeout=0.3)
    try:
        assert (await transport.send(page(device("warm-up", provider="APNS")))).outcome is Outcome.DELIVERED
        connections = fake.connections_made
        fake.script.add("slow-error", Answer(410, "Unregistered", hold=True))
        assert (await transport.send(page(device("slow-error", provider="APNS")))).outcome is Outcome.RETRY
        fake.release()
        await asyncio.to_thread(wait_until, lambda: only(fake, "slow-error").status == 410, 5, 0.005, "held answer")
        assert (await transport.send(page(device("next", provider="APNS")))).outcome is Outcome.DELIVERED
        assert fake.connections_made == connections
    finally:
        await transport.close()


async def test_wrong_signing_key_is_refused_by_apns(fake: FakeApns) -> None:
    transport = make(fake, key=ApnsAccount.new().key)
    try:
        result = await transport.send(page(device("any", provider="APNS")))
        assert (result.outcome, result.destination_dead, result.reason) == (Outcome.FAILED, False, "APNs 403 InvalidProviderToken")
    finally:
        await transport.close()


async def test_concurrency_limit_and_many_pushes_over_few_connections(fake: FakeApns) -> None:
    transport = make(fake, concurrency=3, max_connections=2)
    connections = fake.connections_made
    try:
        for i in range(9):
            fake.slow(f"c{i}", 0.05)
        results = await asyncio.gather(*(transport.send(page(device(f"c{i}", provider="APNS"))) for i in range(9)))
        assert [r.outcome for r in results] == [Outcome.DELIVERED] * 9
        assert fake.max_in_flight == 3
        more = await asyncio.gather(*(transport.send(page(device(f"m{i}", provider="APNS"))) for i in range(200)))
        assert all(r.outcome is Outcome.DELIVERED for r in more)
        assert fake.count == 209 and len(fake.delivered()) == 209
        assert 1 <= fake.connections_made - connections <= 2
    finally:
        await transport.close()


async def test_connection_closed_by_apns_between_pushes_reconnects(fake: FakeApns, apns: ApnsTransport) -> None:
    assert (await apns.send(page(device("before", provider="APNS")))).outcome is Outcome.DELIVERED
    fake.drop_connections()
    await asyncio.to_thread(wait_until, lambda: fake.open_connections == 0, 5, 0.005, "connections dropped")
    result = await apns.send(page(device("after-drop", provider="APNS")))
    assert result.outcome is Outcome.DELIVERED
    assert len(fake.delivered("after-drop")) == 1


async def test_unreachable_apns_is_retry() -> None:
    transport = ApnsTransport(
        key=ACCOUNT.key, key_id=ACCOUNT.key_id, team_id=ACCOUNT.team_id, topic=ACCOUNT.topic, host="127.0.0.1", port=free_port(), timeout=0.5
    )
    try:
        result = await transport.send(page(device("nowhere", provider="APNS")))
        assert result.outcome is Outcome.RETRY
    finally:
        await transport.close()


async def test_build_transports_wires_apns_from_settings(fake: FakeApns, tmp_path: Path) -> None:
    key_file = tmp_path / "AuthKey.p8"
    key_file.write_text(ACCOUNT.key)
    settings = Settings(apns_key_file=str(key_file), apns_key_id=ACCOUNT.key_id, apns_team_id=ACCOUNT.team_id, apns_topic=ACCOUNT.topic,
                        apns_host=fake.host, apns_port=fake.port, apns_ca_file=fake.ca_file)
    transports = build_transports(settings)
    try:
        transport = transports.for_message(Channel.PUSH, "APNS")
        assert isinstance(transport, ApnsTransport)
        assert (await transport.send(page(device("configured", provider="APNS")))).outcome is Outcome.DELIVERED
        assert len(fake.delivered("configured")) == 1
    finally:
        await transports.close()


def test_unusable_key_fails_at_construction() -> None:
    with pytest.raises(ValueError, match="not a usable ES256"):
        ApnsTransport(key="-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n", key_id=ACCOUNT.key_id, team_id=ACCOUNT.team_id, topic=ACCOUNT.topic)


def test_partial_apns_settings_fail_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PAGERLINE_APNS_TEAM_ID, PAGERLINE_APNS_TOPIC"):
        build_transports(Settings(apns_key_file=str(tmp_path / "k.p8"), apns_key_id=ACCOUNT.key_id))
