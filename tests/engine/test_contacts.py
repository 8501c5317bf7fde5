"""Contact methods: verified by a code sent through them before anything else goes to them; a
rule of a method reaches every verified method of its kind; Telegram linked by the bot's code;
Pushover and Telegram pages followed up when the alert changes elsewhere."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from pagerline.engine.alerts.transitions import accept_alert, resolve_alert
from pagerline.engine.core.errors import BadInput, Conflict, NotFound
from pagerline.engine.delivery import action_tokens as actions
from pagerline.engine.people import contacts
from pagerline.engine.sweeper import sweep_once
from pagerline.models import (
    Alert,
    AlertLogEntry,
    AlertStatus,
    Channel,
    ContactKind,
    ContactMethod,
    Notification,
    NotificationRule,
    NotificationStatus,
    Priority,
)
from pagerline.push.base import DeliveryResult, Outcome, OutgoingMessage
from tests.support.seed import Org, raise_alert, seed_org, verified_contact
from tests.support.transports import SIGNING_KEY, ScriptedTransport, ctx

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
TOPIC = "pagerline-alice-7f3k2"
USER_KEY = "u" + "a1b2c3d4e5" * 2 + "f6g7h8i9j"  # 30 letters and digits


class ProviderIds(ScriptedTransport):
    """Answers each channel's page with that channel's provider id, whatever order the
    concurrent sends take."""

    def __init__(self, ids: dict[Channel, str]) -> None:
        super().__init__()
        self.ids = ids

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        self.sent.append(message)
        return DeliveryResult(Outcome.DELIVERED, provider_id=self.ids.get(message.channel, "") if message.kind == "PAGE" else "")


async def rules_only(user_id: int, *methods: Channel) -> None:
    await NotificationRule.filter(user_id=user_id).delete()
    for method in methods:
        await NotificationRule.create(user_id=user_id, method=method, delay_minutes=0, priority=Priority.HIGH)


async def fire(org: Org, now: datetime = T0, key: str = "k") -> Alert:
    return await Alert.get(id=await raise_alert(org.api_key, now, key, "Checkout down"))


def code_in(body: str) -> str:
    found = re.search(r"\b(\d{6})\b", body)
    assert found, body
    return found.group(1)


async def test_a_method_gets_only_its_code_until_it_is_verified(db: str) -> None:
    org = await seed_org(level1_timeout=30)
    await rules_only(org.alice_id, Channel.NTFY)
    transport = ScriptedTransport()
    method, shown = await contacts.add_contact_method(org.alice_id, ContactKind.NTFY, f" {TOPIC} ", T0)
    assert (method.value, method.verified, shown) == (TOPIC, False, "")  # the code goes through ntfy, not the screen
    alert = await fire(org)
    await sweep_once(T0, ctx(transport))
    sent = [(m.channel.value, m.kind, m.destination.address) for m in transport.sent]
    assert sent == [("NTFY", "INFO", TOPIC)]  # the code; the page found no verified topic
    skipped = await AlertLogEntry.get(alert_id=alert.id, kind="NOTIFICATION_SKIPPED")
    assert "no verified ntfy topic" in skipped.text

    with pytest.raises(BadInput):
        await contacts.verify_contact_method(org.alice_id, method.id, "not it", T0)
    assert (await ContactMethod.get(id=method.id)).code_attempts == 1
    with pytest.raises(NotFound):  # someone else's method is not found, whatever the code
        await contacts.verify_contact_method(org.bob_id, method.id, code_in(transport.sent[0].body), T0)
    verified = await contacts.verify_contact_method(org.alice_id, method.id, code_in(transport.sent[0].body), T0 + timedelta(minutes=1))
    assert verified.verified and verified.verified_at == T0 + timedelta(minutes=1)

    second = await fire(org, T0 + timedelta(minutes=2), key="second")
    await sweep_once(T0 + timedelta(minutes=2), ctx(transport))
    page = transport.sent[-1]
    assert (page.channel, page.kind, page.destination.address, page.destination.contact_method_id) == (
        Channel.NTFY, "PAGE", TOPIC, method.id,
    )
    assert page.alert_id == second.id and page.priority == "HIGH"
    assert page.data["actions_url"] == "https://pagerline.test/api/actions"
    assert page.data["alert_url"].endswith(f"/alerts/{second.id}")
    # The page's token accepts once, and the timeline names the channel.
    await actions.redeem(SIGNING_KEY, page.action_token, "accept", T0 + timedelta(minutes=3))
    entry = await AlertLogEntry.get(alert_id=second.id, kind="ACCEPTED")
    assert entry.text == "Accepted by Alice via ntfy"
    with pytest.raises(actions.UsedActionToken):
        await actions.redeem(SIGNING_KEY, page.action_token, "accept", T0 + timedelta(minutes=3))


async def test_codes_expire_and_guessing_is_limited(db: str) -> None:
    org = await seed_org()
    method, _ = await contacts.add_contact_method(org.alice_id, ContactKind.EMAIL, "Alice.Two@Example.com", T0)
    assert method.value == "alice.two@example.com"
    with pytest.raises(Conflict):
        await contacts.verify_contact_method(org.alice_id, method.id, "123456", T0 + contacts.CODE_TTL + timedelta(seconds=1))
    await contacts.add_contact_method(org.alice_id, ContactKind.EMAIL, "alice.two@example.com", T0)  # a new code
    for _ in range(contacts.MAX_ATTEMPTS):
        with pytest.raises(BadInput):
            await contacts.verify_contact_method(org.alice_id, method.id, "abcdef", T0)
    with pytest.raises(Conflict):
        await contacts.verify_contact_method(org.alice_id, method.id, "abcdef", T0)
    assert not (await ContactMethod.get(id=method.id)).verified


@pytest.mark.parametrize(
    ("kind", "value"),
    [(ContactKind.SMS, "0151 123"), (ContactKind.EMAIL, "not an address"), (ContactKind.NTFY, "has spaces in it"),
     (ContactKind.NTFY, "x" * 65), (ContactKind.PUSHOVER, "too-short"), (ContactKind.TELEGRAM, "12345")],
)
async def test_a_value_written_wrong_is_refused_and_nothing_is_stored(db: str, kind: ContactKind, value: str) -> None:
    org = await seed_org()
    before = await ContactMethod.filter(user_id=org.alice_id).count()
    with pytest.raises(BadInput):
        await contacts.add_contact_method(org.alice_id, kind, value, T0)
    assert await ContactMethod.filter(user_id=org.alice_id).count() == before
    assert not await Notification.filter(user_id=org.alice_id, dedup_key__startswith="verify:").exists()


async def test_a_pushover_key_its_provider_refuses_is_not_stored(db: str) -> None:
    org = await seed_org()
    asked: list[str] = []

    async def pushover_says(valid: bool | None) -> contacts.ValueCheck:
        async def check(user_key: str) -> bool | None:
            asked.append(user_key)
            return valid

        return check

    with pytest.raises(BadInput):
        await contacts.add_contact_method(org.alice_id, ContactKind.PUSHOVER, USER_KEY, T0, await pushover_says(False))
    assert not await ContactMethod.filter(kind=ContactKind.PUSHOVER).exists()
    # Pushover could not tell (down): the code is sent and decides.
    method, _ = await contacts.add_contact_method(org.alice_id, ContactKind.PUSHOVER, USER_KEY, T0, await pushover_says(None))
    assert asked == [USER_KEY, USER_KEY] and not method.verified


async def test_telegram_is_linked_by_the_code_the_bot_receives(db: str) -> None:
    org = await seed_org()
    method, code = await contacts.add_contact_method(org.alice_id, ContactKind.TELEGRAM, "", T0)
    assert code and method.value == "" and not method.verified
    assert not await Notification.filter(user_id=org.alice_id, dedup_key__startswith="verify:").exists()  # nothing to send it to
    with pytest.raises(Conflict):
        await contacts.verify_contact_method(org.alice_id, method.id, "123456", T0)  # nothing to type back
    assert await contacts.link_telegram_chat("wrong-code", "4242", T0) is None
    assert await contacts.link_telegram_chat(code, "4242", T0 + contacts.TELEGRAM_CODE_TTL + timedelta(seconds=1)) is None
    linked = await contacts.link_telegram_chat(code, "4242", T0 + timedelta(minutes=1))
    assert linked is not None and (linked.id, linked.value, linked.verified) == (method.id, "4242", True)
    assert await contacts.link_telegram_chat(code, "4343", T0 + timedelta(minutes=2)) is None  # used


async def test_a_test_goes_through_one_verified_method_only(db: str) -> None:
    org = await seed_org()
    transport = ScriptedTransport()
    await verified_contact(org.alice_id, ContactKind.NTFY, TOPIC)
    other = await contacts.add_verified(org.alice_id, ContactKind.NTFY, "another-topic", T0)
    pending, _ = await contacts.add_contact_method(org.alice_id, ContactKind.SMS, "+15550009", T0)
    with pytest.raises(Conflict):
        await contacts.send_test_notification(org.alice_id, pending.id, T0)
    with pytest.raises(NotFound):
        await contacts.send_test_notification(org.bob_id, other.id, T0)
    await contacts.send_test_notification(org.alice_id, other.id, T0)
    await sweep_once(T0, ctx(transport))
    tests = [(m.channel.value, m.kind, m.destination.address) for m in transport.sent if m.title.startswith("Test")]
    assert tests == [("NTFY", "PAGE", "another-topic")]
    await contacts.remove_contact_method(org.alice_id, other.id)
    with pytest.raises(NotFound):
        await contacts.send_test_notification(org.alice_id, other.id, T0)


async def test_pushover_and_telegram_pages_are_followed_up_when_the_alert_changes(db: str) -> None:
    org = await seed_org(level1_timeout=30)
    await rules_only(org.alice_id, Channel.PUSHOVER, Channel.TELEGRAM, Channel.NTFY)
    await verified_contact(org.alice_id, ContactKind.PUSHOVER, USER_KEY)
    await verified_contact(org.alice_id, ContactKind.TELEGRAM, "4242")
    await verified_contact(org.alice_id, ContactKind.NTFY, TOPIC)
    transport = ProviderIds({Channel.PUSHOVER: "receipt-1", Channel.TELEGRAM: "4242:77", Channel.NTFY: "ntfy-1"})
    alert = await fire(org)
    await sweep_once(T0, ctx(transport))
    assert sorted(m.channel.value for m in transport.sent) == ["NTFY", "PUSHOVER", "TELEGRAM"]
    await accept_alert(alert.id, org.bob_id, T0 + timedelta(minutes=1))
    await sweep_once(T0 + timedelta(minutes=1), ctx(transport))
    follow_ups = sorted((m.channel.value, m.kind, m.destination.address, m.alert_status) for m in transport.sent[3:])
    # ntfy cannot change a sent notification; Pushover's receipt is cancelled, Telegram's message edited.
    assert follow_ups == [("PUSHOVER", "UPDATE", "receipt-1", "ACCEPTED"), ("TELEGRAM", "UPDATE", "4242:77", "ACCEPTED")]
    assert (await Alert.get(id=alert.id)).status is AlertStatus.ACCEPTED
    await resolve_alert(alert.id, org.bob_id, T0 + timedelta(minutes=2))
    await sweep_once(T0 + timedelta(minutes=2), ctx(transport))
    assert sorted((m.channel.value, m.alert_status) for m in transport.sent[5:]) == [("PUSHOVER", "RESOLVED"), ("TELEGRAM", "RESOLVED")]


async def test_the_sign_in_address_is_an_email_method_and_follows_a_change(db: str) -> None:
    org = await seed_org()
    emails = await contacts.verified_values(org.alice_id, ContactKind.EMAIL)
    assert [value for _, value in emails] == ["alice@ops.test"]
    await contacts.move_sign_in_address(org.alice_id, "alice@ops.test", "Alice@New.Example")
    assert [value for _, value in await contacts.verified_values(org.alice_id, ContactKind.EMAIL)] == ["alice@new.example"]
