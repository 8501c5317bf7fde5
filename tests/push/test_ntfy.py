"""NtfyTransport over httpx against the fake ntfy server: JSON publishing, priorities, the
Accept/Resolve buttons, and ntfy's errors (429 with Retry-After, 5xx, 4xx)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import pytest

from pagerline.models import Channel
from pagerline.push.base import Destination, Outcome
from pagerline.push.ntfy import NtfyTransport
from pagerline.push.registry import build_transports
from pagerline.settings import Settings
from tests.fakes import free_port, wait_until
from tests.fakes.ntfy import FakeNtfy
from tests.push import page, update

TOPIC = "alice-pager-7f3kq9"
PUBLIC = "https://pager.example.com"
DATA = {"alert_url": f"{PUBLIC}/#/alerts/42", "actions_url": f"{PUBLIC}/api/actions"}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeNtfy]:
    with FakeNtfy() as server:
        yield server


@pytest.fixture(autouse=True)
def clean(fake: FakeNtfy) -> Iterator[None]:
    with fake.for_one_test():
        yield


@pytest.fixture
async def ntfy(fake: FakeNtfy) -> AsyncIterator[NtfyTransport]:
    transport = NtfyTransport(base_url=fake.url + "/", timeout=3)
    yield transport
    await transport.close()


def ntfy_page(**overrides: object):
    fields: dict[str, object] = {"channel": Channel.NTFY, "data": DATA}
    fields.update(overrides)
    return page(Destination(address=TOPIC), **fields)


async def test_a_high_page_is_priority_5_with_a_click_through_and_accept_and_resolve_buttons(fake: FakeNtfy, ntfy: NtfyTransport) -> None:
    result = await ntfy.send(ntfy_page())

    [published] = fake.messages_to(TOPIC)
    assert (result.outcome, result.provider_id) == (Outcome.DELIVERED, published.id)
    assert published.path == "/" and published.status == 200  # the root URL, as JSON publishing wants
    assert "authorization" not in published.headers
    body = published.json
    assert body is not None
    assert {k: body[k] for k in ("topic", "title", "message", "priority", "click")} == {
        "topic": TOPIC,
        "title": "[HIGH] Database disk full",
        "message": "db-1: /var/lib/postgresql at 99%",
        "priority": 5,
        "click": f"{PUBLIC}/#/alerts/42",
    }
    assert body["tags"] == ["rotating_light", "pagerline"]
    assert [(a["action"], a["label"], a["url"], a["method"], a["clear"]) for a in body["actions"]] == [
        ("http", "Accept", f"{PUBLIC}/api/actions", "POST", True),
        ("http", "Resolve", f"{PUBLIC}/api/actions", "POST", True),
    ]
    assert [json.loads(a["body"]) for a in body["actions"]] == [
        {"token": "act.tok.en", "action": "accept"},
        {"token": "act.tok.en", "action": "resolve"},
    ]
    assert body["actions"][0]["headers"] == {"Content-Type": "application/json"}


@pytest.mark.parametrize(("kind", "priority", "expected"), [("PAGE", "LOW", 3), ("INFO", "HIGH", 3), ("INFO", "LOW", 3)])
async def test_low_pages_and_info_are_the_default_priority(fake: FakeNtfy, ntfy: NtfyTransport, kind: str, priority: str, expected: int) -> None:
    overrides: dict[str, object] = {"kind": kind, "priority": priority}
    if kind == "INFO":
        overrides |= {"title": "Your pagerline code", "body": "Your pagerline code is 482913", "data": {}, "action_token": ""}
    result = await ntfy.send(ntfy_page(**overrides))
    assert result.outcome is Outcome.DELIVERED
    [published] = fake.messages_to(TOPIC)
    assert published.json is not None and published.json["priority"] == expected
    if kind == "INFO":
        assert "actions" not in published.json and "click" not in published.json
        assert published.json["message"] == "Your pagerline code is 482913"
    else:
        assert [a["label"] for a in published.json["actions"]] == ["Accept", "Resolve"]


async def test_an_update_is_a_quiet_note_without_buttons(fake: FakeNtfy, ntfy: NtfyTransport) -> None:
    result = await ntfy.send(update(Destination(address=TOPIC), channel=Channel.NTFY, data=DATA))
    assert result.outcome is Outcome.DELIVERED
    [published] = fake.messages_to(TOPIC)
    assert published.json is not None
    assert (published.json["priority"], published.json["tags"][0], published.json["title"]) == (2, "white_check_mark", "Accepted: Database disk full")
    assert "actions" not in published.json


async def test_the_access_token_is_sent_as_bearer() -> None:
    with FakeNtfy(token="tk_secret") as protected:
        good = NtfyTransport(base_url=protected.url, token="tk_secret")
        bad = NtfyTransport(base_url=protected.url, token="tk_wrong")
        anonymous = NtfyTransport(base_url=protected.url)
        try:
            assert (await good.send(ntfy_page())).outcome is Outcome.DELIVERED
            assert protected.published()[0].headers["authorization"] == "Bearer tk_secret"
            refused = await bad.send(ntfy_page())
            assert (refused.outcome, refused.reason) == (Outcome.FAILED, "ntfy 401 (40101): unauthorized")
            forbidden = await anonymous.send(ntfy_page())
            assert (forbidden.outcome, forbidden.reason) == (Outcome.FAILED, "ntfy 403 (40301): forbidden")
        finally:
            for transport in (good, bad, anonymous):
                await transport.close()


async def test_429_is_retry_no_sooner_than_retry_after(fake: FakeNtfy, ntfy: NtfyTransport) -> None:
    fake.rate_limit(TOPIC, retry_after=7)
    result = await ntfy.send(ntfy_page())
    assert (result.outcome, result.retry_after_seconds) == (Outcome.RETRY, 7.0)
    assert result.reason == "ntfy 429 (42901): limit reached: too many requests (Retry-After 7 s)"
    assert (await ntfy.send(ntfy_page())).outcome is Outcome.DELIVERED  # the next try goes through


async def test_429_without_retry_after_leaves_the_wait_to_the_engine(fake: FakeNtfy, ntfy: NtfyTransport) -> None:
    fake.rate_limit(TOPIC, retry_after=None)
    result = await ntfy.send(ntfy_page())
    assert (result.outcome, result.retry_after_seconds) == (Outcome.RETRY, None)


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_retry_and_not_repeated(fake: FakeNtfy, ntfy: NtfyTransport, status: int) -> None:
    fake.error(TOPIC, status, 50001, "internal server error", times=None)
    result = await ntfy.send(ntfy_page())
    assert (result.outcome, result.reason) == (Outcome.RETRY, f"ntfy {status} (50001): internal server error")
    assert [m.status for m in fake.messages_to(TOPIC)] == [status]


async def test_a_refused_message_fails_with_ntfys_words(fake: FakeNtfy, ntfy: NtfyTransport) -> None:
    result = await ntfy.send(page(Destination(address="not a topic!"), channel=Channel.NTFY, data=DATA))
    assert (result.outcome, result.reason) == (Outcome.FAILED, "ntfy 400 (40009): invalid request: topic invalid")


async def test_timeout_is_retry_and_the_request_was_made_once(fake: FakeNtfy) -> None:
    transport = NtfyTransport(base_url=fake.url, timeout=0.3)
    try:
        fake.hold(TOPIC)
        result = await transport.send(ntfy_page())
        assert (result.outcome, result.reason) == (Outcome.RETRY, "ntfy timed out after 0.3s")
        fake.release()
        await asyncio.to_thread(wait_until, lambda: fake.messages_to(TOPIC)[0].status == 200, 5, 0.005, "held answer")
        assert len(fake.messages_to(TOPIC)) == 1
    finally:
        await transport.close()


async def test_unreachable_ntfy_is_retry() -> None:
    transport = NtfyTransport(base_url=f"http://127.0.0.1:{free_port()}")
    try:
        result = await transport.send(ntfy_page())
        assert result.outcome is Outcome.RETRY and result.reason.startswith("ntfy unreachable: ConnectError")
    finally:
        await transport.close()


async def test_concurrency_limit(fake: FakeNtfy) -> None:
    transport = NtfyTransport(base_url=fake.url, concurrency=2)
    try:
        topics = [f"topic-{i}" for i in range(6)]
        for topic in topics:
            fake.slow(topic, 0.05)
        results = await asyncio.gather(*(transport.send(page(Destination(address=t), channel=Channel.NTFY)) for t in topics))
        assert [r.outcome for r in results] == [Outcome.DELIVERED] * 6
        assert fake.max_in_flight == 2
    finally:
        await transport.close()


def test_on_by_default_and_off_with_an_empty_url() -> None:
    assert build_transports(Settings(secret_key="x")).by_key["NTFY"].base_url == "https://ntfy.sh"  # type: ignore[attr-defined]
    own = build_transports(Settings(secret_key="x", ntfy_url="https://ntfy.example.com/", ntfy_token="tk_1"))
    assert own.by_key["NTFY"].base_url == "https://ntfy.example.com"  # type: ignore[attr-defined]
    assert "NTFY" not in build_transports(Settings(secret_key="x", ntfy_url="")).by_key
