"""TelegramTransport over httpx against the fake Telegram Bot API: a page with Accept/Resolve
buttons, the edit when the alert changes, and what each of Telegram's answers means."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Iterator

import pytest

from pagerline.models import Channel
from pagerline.push.base import Destination, Outcome
from pagerline.push.registry import build_transports
from pagerline.push.telegram import TelegramTransport, webhook_secret
from pagerline.settings import Settings
from tests.fakes import Answer, free_port
from tests.fakes.telegram import BLOCKED, FakeTelegram
from tests.push import page, update

TOKEN = "987654:AAF-test_token"
CHAT = 424242
NONCE = "0123456789abcdef0123456789abcdef"
ALERT_URL = "https://pager.example.com/#/alerts/42"


def action_token(nonce: str = NONCE) -> str:
    """A token shaped as pagerline.engine.delivery.action_tokens issues them (signature unchecked here)."""
    claims = {"n": nonce, "a": 42, "u": 3, "d": None, "e": 1_900_000_000}
    return base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode() + ".signature"


def tg_page(**overrides: object):
    fields: dict[str, object] = {"channel": Channel.TELEGRAM, "action_token": action_token(), "data": {"alert_url": ALERT_URL}}
    fields.update(overrides)
    return page(Destination(address=str(CHAT)), **fields)


def tg_update(address: str, status: str, **overrides: object):
    fields: dict[str, object] = {"channel": Channel.TELEGRAM, "alert_status": status, "data": {"alert_url": ALERT_URL}}
    fields.update(overrides)
    return update(Destination(address=address), **fields)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram(token=TOKEN) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(fake: FakeTelegram) -> Iterator[None]:
    with fake.for_one_test():
        yield


@pytest.fixture
async def telegram(fake: FakeTelegram) -> AsyncIterator[TelegramTransport]:
    transport = TelegramTransport(token=TOKEN, base_url=fake.url, timeout=3)
    yield transport
    await transport.close()


async def test_page_is_a_message_with_accept_resolve_and_open_buttons(fake: FakeTelegram, telegram: TelegramTransport) -> None:
    result = await telegram.send(tg_page())

    [sent] = fake.messages_to(CHAT)
    assert (result.outcome, result.provider_id) == (Outcome.DELIVERED, f"{CHAT}:{sent.message_id}")
    assert sent.text == "[HIGH] Database disk full\n\ndb-1: /var/lib/postgresql at 99%"
    assert sent.reply_markup == {
        "inline_keyboard": [
            [{"text": "Accept", "callback_data": f"a:{NONCE}"}, {"text": "Resolve", "callback_data": f"r:{NONCE}"}],
            [{"text": "Open", "url": ALERT_URL}],
        ]
    }
    [call] = fake.calls("sendMessage")
    assert call.token_ok and call.params["chat_id"] == str(CHAT)


async def test_open_button_only_for_a_public_https_page(fake: FakeTelegram, telegram: TelegramTransport) -> None:
    await telegram.send(tg_page(data={"alert_url": "http://127.0.0.1:8000/#/alerts/42"}))
    [sent] = fake.messages_to(CHAT)
    assert [b["text"] for b in sent.buttons] == ["Accept", "Resolve"]


async def test_info_message_has_no_buttons(fake: FakeTelegram, telegram: TelegramTransport) -> None:
    result = await telegram.send(tg_page(kind="INFO", title="Your pagerline code", body="123456", alert_id=None, action_token=""))
    [sent] = fake.messages_to(CHAT)
    assert result.outcome is Outcome.DELIVERED and sent.reply_markup is None
    assert sent.text == "Your pagerline code\n\n123456"


async def test_updates_edit_the_page_accept_goes_then_every_button(fake: FakeTelegram, telegram: TelegramTransport) -> None:
    sent = await telegram.send(tg_page())
    message_id = fake.messages_to(CHAT)[0].message_id

    accepted = await telegram.send(tg_update(sent.provider_id, "ACCEPTED"))
    message = fake.message(CHAT, message_id)
    assert (accepted.outcome, accepted.provider_id) == (Outcome.DELIVERED, sent.provider_id)
    assert message.text == "Accepted: Database disk full\n\nAda accepted the alert"
    assert message.callback_data() == ["R:42"] and "Accept" not in [b["text"] for b in message.buttons]

    resolved = await telegram.send(tg_update(sent.provider_id, "RESOLVED", title="Resolved: Database disk full", body="Ada resolved it"))
    message = fake.message(CHAT, message_id)
    assert resolved.outcome is Outcome.DELIVERED
    assert (message.text, message.reply_markup, message.edits) == ("Resolved: Database disk full\n\nAda resolved it", None, 2)
    assert "reply_markup" not in fake.calls("editMessageText")[-1].params  # Telegram then drops the keyboard


async def test_escalation_update_keeps_accept_and_resolve(fake: FakeTelegram, telegram: TelegramTransport) -> None:
    sent = await telegram.send(tg_page())
    await telegram.send(tg_update(sent.provider_id, "PENDING", title="Escalated: Database disk full", body="to level 2"))
    assert fake.messages_to(CHAT)[0].callback_data() == ["A:42", "R:42"]


async def test_an_edit_that_changes_nothing_counts_as_delivered(fake: FakeTelegram, telegram: TelegramTransport) -> None:
    sent = await telegram.send(tg_page())
    first = await telegram.send(tg_update(sent.provider_id, "ACCEPTED"))
    again = await telegram.send(tg_update(sent.provider_id, "ACCEPTED"))
    assert (first.outcome, again.outcome) == (Outcome.DELIVERED, Outcome.DELIVERED)
    assert [c.status for c in fake.calls("editMessageText")] == [200, 400]  # Telegram's "message is not modified"


async def test_editing_a_deleted_message_fails_with_telegrams_description(telegram: TelegramTransport) -> None:
    result = await telegram.send(tg_update(f"{CHAT}:999", "ACCEPTED"))
    assert (result.outcome, result.reason) == (Outcome.FAILED, "Telegram 400: Bad Request: message to edit not found")


async def test_429_is_retry_after_telegrams_retry_after(fake: FakeTelegram, telegram: TelegramTransport) -> None:
    fake.fail("sendMessage", 429, retry_after=17)
    result = await telegram.send(tg_page())
    assert (result.outcome, result.retry_after_seconds) == (Outcome.RETRY, 17)
    assert result.reason == "Telegram 429: Too Many Requests: retry after 17"
    assert fake.messages_to(CHAT) == []


@pytest.mark.parametrize("status", [500, 502])
async def test_server_errors_are_retry(fake: FakeTelegram, telegram: TelegramTransport, status: int) -> None:
    fake.fail("sendMessage", status, "Internal Server Error" if status == 500 else "")
    result = await telegram.send(tg_page())
    assert (result.outcome, result.retry_after_seconds) == (Outcome.RETRY, None)
    assert result.reason.startswith(f"Telegram {status}: ")


async def test_a_chat_that_blocked_the_bot_fails_and_keeps_the_method(fake: FakeTelegram, telegram: TelegramTransport) -> None:
    fake.block(CHAT)
    result = await telegram.send(tg_page())
    assert (result.outcome, result.reason, result.destination_dead) == (Outcome.FAILED, f"Telegram 403: {BLOCKED}", False)


async def test_wrong_token_fails(fake: FakeTelegram) -> None:
    transport = TelegramTransport(token="987654:wrong", base_url=fake.url)
    try:
        result = await transport.send(tg_page())
        assert (result.outcome, result.reason) == (Outcome.FAILED, "Telegram 401: Unauthorized")
    finally:
        await transport.close()


async def test_unreachable_telegram_is_retry() -> None:
    transport = TelegramTransport(token=TOKEN, base_url=f"http://127.0.0.1:{free_port()}")
    try:
        result = await transport.send(tg_page())
        assert result.outcome is Outcome.RETRY and result.reason.startswith("Telegram unreachable: ConnectError")
    finally:
        await transport.close()


async def test_timeout_is_retry(fake: FakeTelegram) -> None:
    transport = TelegramTransport(token=TOKEN, base_url=fake.url, timeout=0.3)
    try:
        fake.script.add("sendMessage", Answer(200, None, hold=True))
        result = await transport.send(tg_page())
        assert (result.outcome, result.reason) == (Outcome.RETRY, "Telegram timed out (sendMessage)")
    finally:
        fake.release()
        await transport.close()


async def test_pages_in_flight_at_once_are_bounded(fake: FakeTelegram) -> None:
    transport = TelegramTransport(token=TOKEN, base_url=fake.url, concurrency=3)
    try:
        fake.slow("sendMessage", 0.05, times=None)
        results = await asyncio.gather(*(transport.send(tg_page()) for _ in range(12)))
        assert {r.outcome for r in results} == {Outcome.DELIVERED}
        assert len({r.provider_id for r in results}) == 12 and fake.max_in_flight <= 3
    finally:
        await transport.close()


def test_registry_builds_it_only_with_a_bot_token(fake: FakeTelegram) -> None:
    assert "TELEGRAM" not in build_transports(Settings(demo=True)).by_key
    transport = build_transports(Settings(demo=True, telegram_bot_token=TOKEN, telegram_base_url=fake.url)).by_key["TELEGRAM"]
    assert isinstance(transport, TelegramTransport) and transport.base_url == fake.url


def test_webhook_secret_is_derived_from_the_key_and_fits_telegrams_alphabet() -> None:
    secret = webhook_secret(b"key-1")
    assert secret == webhook_secret(b"key-1") != webhook_secret(b"key-2")
    assert 1 <= len(secret) <= 256 and secret.isalnum()
