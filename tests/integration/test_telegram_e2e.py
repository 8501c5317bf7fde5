"""Telegram through a real server (and, on PostgreSQL, a separate worker) and the fake Bot API:
Alice links her chat with ``/start <code>``, a HIGH alert reaches it with Accept and Resolve,
pressing Accept (twice) accepts once, and accepting in GraphQL edits the message. The server
polls the fake (its public URL is not HTTPS); the webhook path is driven too, with the secret
Telegram would send and with a wrong one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pagerline.models import AlertStatus, ContactKind, ContactMethod
from pagerline.push.telegram import webhook_secret
from tests.fakes import wait_until
from tests.fakes.telegram import FakeTelegram, SentMessage
from tests.support.graphql import data, in_db
from tests.support.world import SmokeWorld, WorldFactory

TOKEN = "777001:telegram-e2e-token"
BOT = "pagerline_e2e_bot"
ALICE_CHAT = 880001
WAIT = 20.0


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram(token=TOKEN, username=BOT) as fake:
        yield fake


def world_with_telegram(open_world: WorldFactory, telegram: FakeTelegram, backend: str = "sqlite") -> SmokeWorld:
    env = {
        "PAGERLINE_TELEGRAM_BOT_TOKEN": TOKEN,
        "PAGERLINE_TELEGRAM_BASE_URL": telegram.url,
        "PAGERLINE_TELEGRAM_BOT_USERNAME": BOT,
    }
    return open_world(backend=backend, reach={"alice": "TELEGRAM"}, env=env)


def link_alices_chat(world: SmokeWorld, telegram: FakeTelegram) -> None:
    added = data(world.url, world.alice.token, 'mutation { addContactMethod(kind: TELEGRAM, value: "") { id verified telegramLink } }')
    method = added["addContactMethod"]
    assert method["verified"] is False and method["telegramLink"].startswith(f"https://t.me/{BOT}?start=")
    code = method["telegramLink"].partition("?start=")[2]
    telegram.queue(telegram.start_command(ALICE_CHAT, code))
    [reply] = wait_until(lambda: telegram.messages_to(ALICE_CHAT), WAIT, what="the bot's answer to /start")
    assert reply.text.startswith("This chat is linked to pagerline as Alice.")

    async def linked() -> list[tuple[str, bool]]:
        return list(await ContactMethod.filter(user_id=world.alice.id, kind=ContactKind.TELEGRAM).values_list("value", "verified"))

    assert in_db(world.database_url, linked) == [(str(ALICE_CHAT), True)]


def page_after(telegram: FakeTelegram, after: int = 0) -> SentMessage:
    """The first page (a message with an Accept button) the bot sent Alice after message ``after``."""
    pages = wait_until(
        lambda: [m for m in telegram.messages_to(ALICE_CHAT) if m.message_id > after and any(d.startswith("a:") for d in m.callback_data())],
        WAIT, what="a page in Alice's chat",
    )
    return pages[0]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_link_page_accept_once_and_the_message_follows_the_alert(open_world: WorldFactory, telegram: FakeTelegram, backend: str) -> None:
    world = world_with_telegram(open_world, telegram, backend)
    link_alices_chat(world, telegram)

    alert = world.event("disk", "Database disk full")
    page = page_after(telegram)
    assert "Database disk full" in page.text
    accept, resolve = page.callback_data()
    assert accept.startswith("a:") and resolve == "r:" + accept[2:] and len(accept.encode()) <= 64

    # Pressed twice (a double tap): accepted once.
    telegram.queue(telegram.press(ALICE_CHAT, page, accept), telegram.press(ALICE_CHAT, page, accept))
    wait_until(lambda: len(telegram.answers) == 2, WAIT, what="both presses answered")
    assert [a.text for a in telegram.answers] == [f"Alert #{alert.id} accepted.", "This page's buttons were used already."]
    state = world.alert(alert)
    assert state.status is AlertStatus.ACCEPTED and state.next_escalation_at is None
    assert state.timeline.count("Accepted by Alice via Telegram") == 1

    # The page is edited: no Accept button any more.
    edited = wait_until(lambda: (m := telegram.message(ALICE_CHAT, page.message_id)).edits and m, WAIT, what="the page edited")
    assert edited.callback_data() == [f"R:{alert.id}"]

    # Accepting in GraphQL edits the Telegram page of another alert the same way.
    other = world.event("cpu", "CPU on fire")
    second = page_after(telegram, page.message_id)
    world.alice.accepts(other)
    edited = wait_until(lambda: (m := telegram.message(ALICE_CHAT, second.message_id)).edits and m, WAIT, what="the second page edited")
    assert "Accept" not in [b["text"] for b in edited.buttons]

    # Resolving from the edited page's button, as Alice: the buttons go.
    telegram.queue(telegram.press(ALICE_CHAT, edited, f"R:{other.id}"))
    wait_until(lambda: world.alert(other).status is AlertStatus.RESOLVED, WAIT, what="resolved from Telegram")
    assert "Resolved by Alice via Telegram" in world.alert(other).timeline
    wait_until(lambda: telegram.message(ALICE_CHAT, second.message_id).reply_markup is None, WAIT, what="the buttons removed")


def test_the_webhook_of_a_real_server_checks_the_secret(open_world: WorldFactory, telegram: FakeTelegram) -> None:
    world = world_with_telegram(open_world, telegram)
    link_alices_chat(world, telegram)
    alert = world.event("queue", "Queue backlog")
    page = page_after(telegram)
    accept = page.callback_data()[0]
    hook = f"{world.url}/api/telegram/webhook"

    forged = telegram.deliver(telegram.press(ALICE_CHAT, page, accept), hook, secret="not-the-secret")
    assert forged.status_code == 403 and world.alert(alert).status is AlertStatus.PENDING

    secret = webhook_secret(world.settings.signing_key())
    assert telegram.deliver(telegram.press(ALICE_CHAT, page, accept), hook, secret=secret).status_code == 200
    assert world.alert(alert).status is AlertStatus.ACCEPTED
    assert "Accepted by Alice via Telegram" in world.alert(alert).timeline
