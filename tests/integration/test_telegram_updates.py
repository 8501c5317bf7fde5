"""Telegram updates in: button presses and ``/start`` through ``POST /api/telegram/webhook``
(checked by the secret header) and through the worker's long polling, both against the fake Bot
API. A press accepts exactly once (twice, or two at once, too); a wrong or missing secret, or a
press from a chat not linked to the token's user, is refused and changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from starlette.applications import Starlette

from pagerline.app import create_app
from pagerline.engine.delivery import action_tokens
from pagerline.engine.people import contacts
from pagerline.models import ActionToken, Alert, AlertStatus, Channel, ContactKind, ContactMethod
from pagerline.push.base import Destination
from pagerline.push.telegram import TelegramTransport, webhook_secret
from pagerline.settings import Settings
from pagerline.workers.actors import declare_actors
from pagerline.workers.broker import build_broker
from pagerline.workers.queues import parse_queues
from pagerline.workers.runtime import WorkerRuntime
from pagerline.workers.telegram_poller import TelegramUpdates
from tests.fakes.telegram import FakeTelegram, SentMessage
from tests.push import page
from tests.support.polling import wait_until_async
from tests.support.seed import Org, raise_alert, seed_org, timeline_texts

TOKEN = "555001:telegram-updates-test"
SECRET_KEY = "telegram-updates-secret-key"
ALICE_CHAT, BOB_CHAT, STRANGER_CHAT = 7001, 7002, 7999
HOOK = "http://pagerline.test/api/telegram/webhook"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram(token=TOKEN) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(fake: FakeTelegram) -> Iterator[None]:
    with fake.for_one_test():
        yield


def settings_for(fake: FakeTelegram, database_url: str, updates: str = "polling") -> Settings:
    return Settings(
        database_url=database_url, secret_key=SECRET_KEY, public_url="https://pager.example.com",
        telegram_bot_token=TOKEN, telegram_base_url=fake.url, telegram_updates=updates,  # type: ignore[arg-type]
    )


@dataclass
class Paged:
    org: Org
    alert_id: int
    nonce: str
    page: SentMessage  # the page as Alice's chat shows it


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[TelegramTransport]:
    transport = TelegramTransport(token=TOKEN, base_url=fake.url, timeout=5)
    yield transport
    await transport.close()


@pytest.fixture
async def paged(db: str, fake: FakeTelegram, bot: TelegramTransport) -> Paged:
    """Alice and Bob have linked their chats; a HIGH alert's page reached Alice's."""
    now = datetime.now(UTC)
    org = await seed_org()
    for user_id, chat in ((org.alice_id, ALICE_CHAT), (org.bob_id, BOB_CHAT)):
        await ContactMethod.create(user_id=user_id, kind=ContactKind.TELEGRAM, value=str(chat), verified=True, verified_at=now, created_at=now)
    alert_id = await raise_alert(org.api_key, now, "disk", "Database disk full")
    token = await action_tokens.issue(SECRET_KEY.encode(), alert_id, org.alice_id, None, now)
    await bot.send(page(Destination(address=str(ALICE_CHAT)), channel=Channel.TELEGRAM, alert_id=alert_id, action_token=token))
    [sent] = fake.messages_to(ALICE_CHAT)
    return Paged(org, alert_id, action_tokens.nonce_of(token), sent)


@pytest.fixture
async def app(db: str, fake: FakeTelegram) -> Starlette:
    """The app with its runtime's transports as a server builds them (not started: the test
    database is this test's own)."""
    settings = settings_for(fake, db)
    made = create_app(settings)
    broker = build_broker(None)
    made.state.runtime = WorkerRuntime(settings, broker, declare_actors(broker), consume=False, sweep=False)
    return made


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://pagerline.test") as http:
        yield http
    await app.state.runtime.transports.close()


SECRET = webhook_secret(SECRET_KEY.encode())


async def post(client: httpx.AsyncClient, update: dict[str, object], secret: str | None = SECRET) -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return await client.post(HOOK, json=update, headers=headers)


async def status_of(alert_id: int) -> AlertStatus:
    return (await Alert.get(id=alert_id)).status


async def token_unused(nonce: str) -> bool:
    return (await ActionToken.get(nonce=nonce)).used_at is None


async def test_accept_button_accepts_once_on_the_timeline_as_telegram(client: httpx.AsyncClient, fake: FakeTelegram, paged: Paged) -> None:
    response = await post(client, fake.press(ALICE_CHAT, paged.page, f"a:{paged.nonce}"))

    assert response.status_code == 200
    assert await status_of(paged.alert_id) is AlertStatus.ACCEPTED
    assert await timeline_texts(paged.alert_id, "ACCEPTED") == ["Accepted by Alice via Telegram"]
    assert [a.text for a in fake.answers] == [f"Alert #{paged.alert_id} accepted."]


async def test_pressing_twice_accepts_once(client: httpx.AsyncClient, fake: FakeTelegram, paged: Paged) -> None:
    for _ in range(2):
        assert (await post(client, fake.press(ALICE_CHAT, paged.page, f"a:{paged.nonce}"))).status_code == 200
    assert await timeline_texts(paged.alert_id, "ACCEPTED") == ["Accepted by Alice via Telegram"]
    assert [a.text for a in fake.answers] == [f"Alert #{paged.alert_id} accepted.", "This page's buttons were used already."]


async def test_two_presses_at_once_accept_once(client: httpx.AsyncClient, fake: FakeTelegram, paged: Paged) -> None:
    presses = [fake.press(ALICE_CHAT, paged.page, f"a:{paged.nonce}") for _ in range(2)]
    responses = await asyncio.gather(*(post(client, press) for press in presses))
    assert [r.status_code for r in responses] == [200, 200]
    assert await timeline_texts(paged.alert_id, "ACCEPTED") == ["Accepted by Alice via Telegram"]
    assert sorted(a.text for a in fake.answers) == sorted([f"Alert #{paged.alert_id} accepted.", "This page's buttons were used already."])


async def test_resolve_button_resolves(client: httpx.AsyncClient, fake: FakeTelegram, paged: Paged) -> None:
    await post(client, fake.press(ALICE_CHAT, paged.page, f"r:{paged.nonce}"))
    assert await status_of(paged.alert_id) is AlertStatus.RESOLVED
    assert await timeline_texts(paged.alert_id, "RESOLVED") == ["Resolved by Alice via Telegram"]


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", webhook_secret(b"another-key")])
async def test_a_wrong_or_missing_secret_is_403_and_changes_nothing(
    client: httpx.AsyncClient, fake: FakeTelegram, paged: Paged, secret: str | None
) -> None:
    response = await post(client, fake.press(ALICE_CHAT, paged.page, f"a:{paged.nonce}"), secret=secret)
    assert (response.status_code, response.json()["code"]) == (403, "INVALID_SIGNATURE")
    assert await status_of(paged.alert_id) is AlertStatus.PENDING and await token_unused(paged.nonce)
    assert fake.answers == [] and fake.calls("answerCallbackQuery") == []


@pytest.mark.parametrize("presser", [BOB_CHAT, STRANGER_CHAT], ids=["another-users-chat", "an-unlinked-chat"])
async def test_a_press_from_another_chat_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, fake: FakeTelegram, paged: Paged, presser: int
) -> None:
    # The page's buttons pressed in another chat (a forwarded message, a forged update).
    response = await post(client, fake.press(presser, paged.page, f"a:{paged.nonce}"))
    assert response.status_code == 200  # Telegram would only send it again
    assert await status_of(paged.alert_id) is AlertStatus.PENDING and await token_unused(paged.nonce)
    expected = "This button is not for this chat." if presser == BOB_CHAT else "This chat is not linked to pagerline."
    assert [a.text for a in fake.answers] == [expected]


async def test_a_press_by_someone_else_in_alices_chat_is_refused(client: httpx.AsyncClient, fake: FakeTelegram, paged: Paged) -> None:
    await post(client, fake.press(ALICE_CHAT, paged.page, f"a:{paged.nonce}", from_id=BOB_CHAT))
    assert await status_of(paged.alert_id) is AlertStatus.PENDING and await token_unused(paged.nonce)
    assert [a.text for a in fake.answers] == ["This button is not for this chat."]


async def test_alert_buttons_need_a_telegram_page_for_that_user(client: httpx.AsyncClient, fake: FakeTelegram, paged: Paged) -> None:
    # No Telegram page of this alert was recorded for Alice: an R:<id> button is not hers.
    await post(client, fake.press(ALICE_CHAT, paged.page, f"R:{paged.alert_id}"))
    assert await status_of(paged.alert_id) is AlertStatus.PENDING
    assert [a.text for a in fake.answers] == ["This button is not for this chat."]


@pytest.mark.parametrize("data", ["a:", "a:not-a-nonce", "x:1", "R:notanumber", ""])
async def test_meaningless_buttons_change_nothing(client: httpx.AsyncClient, fake: FakeTelegram, paged: Paged, data: str) -> None:
    assert (await post(client, fake.press(ALICE_CHAT, paged.page, data))).status_code == 200
    assert await status_of(paged.alert_id) is AlertStatus.PENDING and await token_unused(paged.nonce)
    assert len(fake.answers) == 1


async def test_start_with_the_code_links_the_chat_once(client: httpx.AsyncClient, fake: FakeTelegram, paged: Paged) -> None:
    method, code = await contacts.add_contact_method(paged.org.bob_id, ContactKind.TELEGRAM, "", datetime.now(UTC))
    assert code and not method.verified

    assert (await post(client, fake.start_command(STRANGER_CHAT, code, first_name="Bob"))).status_code == 200
    [reply] = fake.messages_to(STRANGER_CHAT)
    assert reply.text.startswith("This chat is linked to pagerline as Bob.")
    linked = await ContactMethod.get(id=method.id)
    assert (linked.value, linked.verified) == (str(STRANGER_CHAT), True)

    # The code is spent: sent again (from anywhere), it links nothing.
    await post(client, fake.start_command(STRANGER_CHAT + 1, code))
    assert fake.messages_to(STRANGER_CHAT + 1)[0].text.startswith("This link is not valid or has expired.")
    assert not await ContactMethod.filter(value=str(STRANGER_CHAT + 1)).exists()


async def test_start_without_a_code_explains_and_links_nothing(client: httpx.AsyncClient, fake: FakeTelegram, paged: Paged) -> None:
    assert (await post(client, fake.start_command(STRANGER_CHAT, ""))).status_code == 200
    [reply] = fake.messages_to(STRANGER_CHAT)
    assert reply.text.startswith("This bot sends pagerline pages.")
    assert not await ContactMethod.filter(value=str(STRANGER_CHAT)).exists()


async def test_start_with_an_unknown_code_links_nothing(client: httpx.AsyncClient, fake: FakeTelegram, paged: Paged) -> None:
    await post(client, fake.start_command(STRANGER_CHAT, "no-such-code"))
    [reply] = fake.messages_to(STRANGER_CHAT)
    assert reply.text.startswith("This link is not valid or has expired.")
    assert not await ContactMethod.filter(value=str(STRANGER_CHAT)).exists()


async def test_start_in_a_group_is_ignored(client: httpx.AsyncClient, fake: FakeTelegram, paged: Paged) -> None:
    assert (await post(client, fake.start_command(-100123, "some-code", chat_type="group"))).status_code == 200
    assert len(fake.calls("sendMessage")) == 1  # the page itself: no answer in the group


async def test_a_body_that_is_not_json_is_400_after_the_secret(client: httpx.AsyncClient) -> None:
    response = await client.post(HOOK, content=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code == 400


# --------------------------------------------------------------------------- long polling


async def test_long_polling_handles_the_same_presses(fake: FakeTelegram, bot: TelegramTransport, paged: Paged, db: str) -> None:
    updates = TelegramUpdates(settings_for(fake, db), bot, poll_timeout=2)
    first = fake.press(ALICE_CHAT, paged.page, f"a:{paged.nonce}")
    again = fake.press(ALICE_CHAT, paged.page, f"a:{paged.nonce}")
    await updates.start()
    try:
        await wait_until_async(lambda: fake.calls("getUpdates"), 10, what="the first long poll")
        fake.queue(first, again)
        await wait_until_async(lambda: len(fake.answers) == 2, 10, what="both presses answered")
        await wait_until_async(lambda: any(c.params.get("offset") == again["update_id"] + 1 for c in fake.calls("getUpdates")), 10,
                               what="the updates confirmed")
    finally:
        await updates.stop()
    assert updates.mode == "polling" and len(fake.calls("deleteWebhook")) == 1
    assert await timeline_texts(paged.alert_id, "ACCEPTED") == ["Accepted by Alice via Telegram"]
    assert [a.text for a in fake.answers] == [f"Alert #{paged.alert_id} accepted.", "This page's buttons were used already."]
    assert fake.pending_updates() == 0


async def test_auto_sets_the_webhook_with_the_secret_when_the_public_url_is_https(fake: FakeTelegram, bot: TelegramTransport, db: str) -> None:
    updates = TelegramUpdates(settings_for(fake, db, updates="auto"), bot)
    await updates.start()
    try:
        await wait_until_async(lambda: updates.mode, 10, what="a mode chosen")
    finally:
        await updates.stop()
    assert updates.mode == "webhook" and fake.calls("getUpdates") == []
    assert fake.webhook == {
        "url": "https://pager.example.com/api/telegram/webhook",
        "secret_token": SECRET,
        "allowed_updates": ["message", "callback_query"],
    }


async def test_auto_falls_back_to_polling_when_telegram_refuses_the_webhook(fake: FakeTelegram, bot: TelegramTransport, db: str) -> None:
    fake.fail("setWebhook", 400, "Bad Request: bad webhook: Failed to resolve host: Name or service not known")
    updates = TelegramUpdates(settings_for(fake, db, updates="auto"), bot, poll_timeout=1)
    await updates.start()
    try:
        await wait_until_async(lambda: fake.calls("getUpdates"), 10, what="polling")
    finally:
        await updates.stop()
    assert updates.mode == "polling" and fake.webhook is None


async def test_polling_backs_off_on_a_conflict_and_carries_on(fake: FakeTelegram, bot: TelegramTransport, paged: Paged, db: str) -> None:
    fake.fail("getUpdates", 409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
    updates = TelegramUpdates(settings_for(fake, db), bot, poll_timeout=1)
    fake.queue(fake.press(ALICE_CHAT, paged.page, f"a:{paged.nonce}"))
    await updates.start()
    try:
        await wait_until_async(lambda: fake.answers, 15, what="the press answered after the conflict")
    finally:
        await updates.stop()
    assert [c.status for c in fake.calls("getUpdates")][:2] == [409, 200]
    assert await status_of(paged.alert_id) is AlertStatus.ACCEPTED


async def test_with_redis_one_worker_polls_and_another_takes_over(
    fake: FakeTelegram, bot: TelegramTransport, paged: Paged, db: str, redis_url: str
) -> None:
    settings = settings_for(fake, db).model_copy(update={"redis_url": redis_url})
    pollers = [TelegramUpdates(settings, bot, poll_timeout=1) for _ in range(2)]
    leases = [p.lease for p in pollers]
    assert None not in leases
    for lease in leases:  # this test's own lease (tests in parallel share the Redis database)
        lease.key = f"test:telegram-poller:{db}"  # type: ignore[union-attr]
    for poller in pollers:
        await poller.start()
    try:
        fake.queue(fake.press(ALICE_CHAT, paged.page, f"a:{paged.nonce}"))
        await wait_until_async(lambda: fake.answers, 15, what="the press answered")
        await wait_until_async(lambda: len(fake.calls("getUpdates")) >= 3, 15, what="a few polls")
        # One long poll at a time: Telegram never had to end one with a conflict.
        assert {c.status for c in fake.calls("getUpdates")} - {None} == {200}  # None: the poll waiting now
        held = [await lease.hold() for lease in leases]  # type: ignore[union-attr]
        assert sorted(held) == [False, True]
        holder, other = (0, 1) if held[0] else (1, 0)
        await pollers[holder].stop()
        assert await leases[other].hold()  # type: ignore[union-attr]  # the holder let go when it stopped
    finally:
        for poller in pollers:
            await poller.stop()
    assert await status_of(paged.alert_id) is AlertStatus.ACCEPTED


@pytest.mark.parametrize(("queues", "hears"), [(None, True), ("telegram", True), ("push,telegram", True), ("sms,voice", False), ("actions", False)])
def test_only_a_worker_that_sends_telegram_pages_hears_the_bots_updates(fake: FakeTelegram, db: str, queues: str | None, hears: bool) -> None:
    settings, chosen = settings_for(fake, db), parse_queues(queues) if queues else None

    def runtime(consume: bool) -> WorkerRuntime:
        broker = build_broker(None)
        return WorkerRuntime(settings, broker, declare_actors(broker), consume=consume, queues=chosen)

    assert (runtime(consume=True).telegram is not None) is hears
    assert runtime(consume=False).telegram is None  # a server's runtime (it does not consume)
