"""PushoverTransport over httpx against the fake Pushover API: emergency pages with their
receipt and callback, normal priority for the rest, cancelling the receipt on an update, the
user-key check, and Pushover's errors (429 with Retry-After, 5xx, 4xx)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from pagerline.models import Channel
from pagerline.push.base import Destination, Outcome
from pagerline.push.pushover import PushoverTransport
from pagerline.push.registry import build_transports
from pagerline.settings import Settings
from tests.fakes import free_port, wait_until
from tests.fakes.pushover import FakePushover
from tests.push import page, update

APP = "aPPt0ken" + "x" * 22
PUBLIC = "https://pager.example.com"
DATA = {"alert_url": f"{PUBLIC}/#/alerts/42", "actions_url": f"{PUBLIC}/api/actions"}
TOKEN = "eyJuIjoiYWJjIn0.c2lnbmF0dXJl"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakePushover]:
    with FakePushover(app_token=APP) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(fake: FakePushover) -> Iterator[None]:
    with fake.for_one_test():
        yield


@pytest.fixture
def alice(fake: FakePushover) -> str:
    return fake.user(devices=("pixel", "iphone"))


@pytest.fixture
async def pushover(fake: FakePushover) -> AsyncIterator[PushoverTransport]:
    transport = PushoverTransport(app_token=APP, public_url=PUBLIC + "/", base_url=fake.url + "/", timeout=3)
    yield transport
    await transport.close()


def pushover_page(user: str, **overrides: object):
    fields: dict[str, object] = {"channel": Channel.PUSHOVER, "data": DATA, "action_token": TOKEN}
    fields.update(overrides)
    return page(Destination(address=user), **fields)


async def test_a_high_page_is_an_emergency_with_retry_expire_and_a_callback(fake: FakePushover, pushover: PushoverTransport, alice: str) -> None:
    result = await pushover.send(pushover_page(alice))

    [sent] = fake.messages_to(alice)
    assert sent.status == 200 and len(sent.receipt) == 30
    assert (result.outcome, result.provider_id) == (Outcome.DELIVERED, sent.receipt)
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    callback = sent.form.pop("callback")
    assert sent.form == {
        "token": APP,
        "user": alice,
        "title": "[HIGH] Database disk full",
        "message": "db-1: /var/lib/postgresql at 99%",
        "priority": "2",
        "retry": "60",
        "expire": "3600",
        "url": f"{PUBLIC}/#/alerts/42",
        "url_title": "Open the alert",
    }
    parts = urlsplit(callback)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{PUBLIC}/api/pushover/callback"
    assert parse_qs(parts.query) == {"token": [TOKEN]}
    assert fake.emergencies[sent.receipt].callback == callback


@pytest.mark.parametrize(("kind", "priority"), [("PAGE", "LOW"), ("INFO", "HIGH")])
async def test_low_pages_and_info_are_normal_priority_without_receipt(
    fake: FakePushover, pushover: PushoverTransport, alice: str, kind: str, priority: str
) -> None:
    result = await pushover.send(pushover_page(alice, kind=kind, priority=priority))
    [sent] = fake.messages_to(alice)
    assert (result.outcome, result.provider_id) == (Outcome.DELIVERED, "")
    assert sent.form["priority"] == "0"
    assert not {"retry", "expire", "callback"} & set(sent.form)


async def test_accepted_elsewhere_cancels_the_receipt(fake: FakePushover, pushover: PushoverTransport, alice: str) -> None:
    receipt = (await pushover.send(pushover_page(alice))).provider_id
    for status in ("ACCEPTED", "RESOLVED"):
        result = await pushover.send(update(Destination(address=receipt), channel=Channel.PUSHOVER, alert_status=status))
        assert (result.outcome, result.provider_id) == (Outcome.DELIVERED, receipt)
    assert [(c.receipt, c.form, c.status) for c in fake.cancels()] == [(receipt, {"token": APP}, 200)] * 2
    assert fake.emergencies[receipt].cancelled


async def test_escalated_keeps_the_page_repeating(fake: FakePushover, pushover: PushoverTransport, alice: str) -> None:
    receipt = (await pushover.send(pushover_page(alice))).provider_id
    result = await pushover.send(update(Destination(address=receipt), channel=Channel.PUSHOVER, alert_status="PENDING"))
    assert result.outcome is Outcome.DELIVERED
    assert fake.cancels() == [] and not fake.emergencies[receipt].cancelled


async def test_cancelling_an_unknown_or_expired_receipt_is_done(fake: FakePushover, pushover: PushoverTransport) -> None:
    result = await pushover.send(update(Destination(address="r" * 30), channel=Channel.PUSHOVER))
    assert (result.outcome, result.reason) == (Outcome.DELIVERED, "Pushover 400: receipt not found; may be invalid or expired")
    nothing = await pushover.send(update(Destination(address="../../1/messages"), channel=Channel.PUSHOVER))
    assert (nothing.outcome, nothing.reason) == (Outcome.FAILED, "Pushover: no emergency receipt to cancel")
    assert len(fake.cancels()) == 1  # the odd address never reached a URL


async def test_validate_tells_known_unknown_and_cannot_tell(fake: FakePushover, pushover: PushoverTransport, alice: str) -> None:
    assert await pushover.validate(alice) is True
    assert await pushover.validate("u" + "z" * 29) is False
    fake.error(alice, 503, ["service unavailable"])
    assert await pushover.validate(alice) is None
    fake.rate_limit(alice)
    assert await pushover.validate(alice) is None
    wrong_app = PushoverTransport(app_token="nope", public_url=PUBLIC, base_url=fake.url)
    try:
        assert await wrong_app.validate(alice) is None  # our own token is refused: says nothing about the key
    finally:
        await wrong_app.close()
    [form] = [r.form for r in fake.received if r.resource == "validate"][:1]
    assert form == {"token": APP, "user": alice}


async def test_unknown_user_key_fails_with_pushovers_words(pushover: PushoverTransport) -> None:
    result = await pushover.send(pushover_page("u" + "q" * 29))
    assert (result.outcome, result.reason) == (
        Outcome.FAILED, "Pushover 400: user identifier is not a valid user, group, or subscribed user key"
    )


async def test_429_is_retry_no_sooner_than_retry_after(fake: FakePushover, pushover: PushoverTransport, alice: str) -> None:
    fake.rate_limit(alice, retry_after=9)
    result = await pushover.send(pushover_page(alice))
    assert (result.outcome, result.retry_after_seconds) == (Outcome.RETRY, 9.0)
    assert result.reason == "Pushover 429: application has exceeded its message limit (Retry-After 9 s)"


@pytest.mark.parametrize("status", [500, 503])
async def test_server_errors_are_retry_and_not_repeated(fake: FakePushover, pushover: PushoverTransport, alice: str, status: int) -> None:
    fake.error(alice, status, ["something went wrong"], times=None)
    result = await pushover.send(pushover_page(alice))
    assert (result.outcome, result.reason, result.retry_after_seconds) == (Outcome.RETRY, f"Pushover {status}: something went wrong", None)
    assert [m.status for m in fake.messages_to(alice)] == [status]


async def test_a_server_error_on_cancel_is_retry(fake: FakePushover, pushover: PushoverTransport, alice: str) -> None:
    receipt = (await pushover.send(pushover_page(alice))).provider_id
    fake.error(receipt, 502, ["bad gateway"])
    result = await pushover.send(update(Destination(address=receipt), channel=Channel.PUSHOVER))
    assert (result.outcome, result.reason) == (Outcome.RETRY, "Pushover 502: bad gateway")


async def test_timeout_is_retry_and_the_request_was_made_once(fake: FakePushover, alice: str) -> None:
    transport = PushoverTransport(app_token=APP, public_url=PUBLIC, base_url=fake.url, timeout=0.3)
    try:
        fake.hold(alice)
        result = await transport.send(pushover_page(alice))
        assert (result.outcome, result.reason) == (Outcome.RETRY, "Pushover timed out after 0.3s")
        fake.release()
        await asyncio.to_thread(wait_until, lambda: fake.messages_to(alice)[0].status == 200, 5, 0.005, "held answer")
        assert len(fake.messages_to(alice)) == 1
    finally:
        await transport.close()


async def test_unreachable_pushover_is_retry_and_cannot_validate() -> None:
    transport = PushoverTransport(app_token=APP, public_url=PUBLIC, base_url=f"http://127.0.0.1:{free_port()}")
    try:
        result = await transport.send(pushover_page("u" + "a" * 29))
        assert result.outcome is Outcome.RETRY and result.reason.startswith("Pushover unreachable: ConnectError")
        assert await transport.validate("u" + "a" * 29) is None
    finally:
        await transport.close()


def test_fake_acknowledgement_posts_pushovers_form_to_the_callback(fake: FakePushover, alice: str) -> None:
    async def send() -> str:
        transport = PushoverTransport(app_token=APP, public_url="http://127.0.0.1:9", base_url=fake.url)
        try:
            return (await transport.send(pushover_page(alice))).provider_id
        finally:
            await transport.close()

    receipt = asyncio.run(send())

    class Recorder:
        def __init__(self) -> None:
            self.calls: list[tuple[str, dict[str, str]]] = []

        def post(self, url: str, data: dict[str, str]) -> str:
            self.calls.append((url, data))
            return "ok"

    recorder = Recorder()
    assert fake.acknowledge(receipt, client=recorder) == "ok"
    [(url, form)] = recorder.calls
    assert url == fake.emergencies[receipt].callback and fake.emergencies[receipt].acknowledged
    assert {k: form[k] for k in ("receipt", "acknowledged", "acknowledged_by", "acknowledged_by_device")} == {
        "receipt": receipt, "acknowledged": "1", "acknowledged_by": alice, "acknowledged_by_device": "pixel",
    }
    assert form["acknowledged_at"].isdigit()


def test_off_without_a_token_and_limits_checked() -> None:
    assert "PUSHOVER" not in build_transports(Settings(secret_key="x")).by_key
    on = build_transports(Settings(secret_key="x", pushover_token=APP, public_url="https://pager.example.com"))
    transport = on.by_key["PUSHOVER"]
    assert isinstance(transport, PushoverTransport) and transport.public_url == "https://pager.example.com"
    with pytest.raises(ValueError, match="retry >= 30 s and expire <= 10800 s"):
        PushoverTransport(app_token=APP, public_url=PUBLIC, retry_seconds=10)
