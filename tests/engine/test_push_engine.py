"""What the engine decides for push delivery: critical only where it should be, action tokens,
update pushes, muting, phone verification, replies, devices, and storm protection."""

from __future__ import annotations

import re
from collections import Counter
from unittest.mock import ANY
from datetime import UTC, datetime, timedelta

import pytest
from google.auth.credentials import AnonymousCredentials

from pagerline.engine.delivery import action_tokens as actions, replies
from pagerline.engine.people import contacts, devices, phones
from pagerline.engine.notify import muting
from pagerline.engine.alerts.transitions import accept_alert
from pagerline.engine.core.errors import BadInput, Conflict
from pagerline.engine.alerts.escalation import tick
from pagerline.engine.delivery.outbox import DeliveryContext, DeliveryPolicy, deliver
from pagerline.engine.sweeper import sweep_once
from pagerline.push.fcm import FcmTransport
from pagerline.push.registry import Transports
from pagerline.push.twilio import TwilioTransport
from pagerline.models import (
    Alert,
    AlertLogEntry,
    AlertStatus,
    ContactKind,
    Device,
    Notification,
    NotificationStatus,
    Platform,
    Priority,
    PushProvider,
    User,
)
from tests.support.seed import Org, raise_alert, seed_org, verified_phone
from tests.fakes.fcm import FakeFcm
from tests.fakes.twilio import FakeTwilio
from tests.support.transports import SIGNING_KEY, ScriptedTransport, ctx

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


async def fire(org: Org, now: datetime = T0, key: str = "k", summary: str = "Checkout down", priority: Priority | None = None) -> Alert:
    return await Alert.get(id=await raise_alert(org.api_key, now, key, summary, priority))


async def test_critical_only_for_high_pages_to_devices_that_enabled_it(db: str) -> None:
    org = await seed_org(level1_timeout=30)
    await Device.filter(user_id=org.alice_id).update(critical_alerts=True)
    await Device.create(user_id=org.alice_id, platform=Platform.IOS, provider=PushProvider.CONSOLE, token="plain-ios", critical_alerts=False)
    transport = ScriptedTransport()
    high = await fire(org, key="high")
    await sweep_once(T0, ctx(transport))
    low = await fire(org, key="low", priority=Priority.LOW, summary="Disk 80%")
    await sweep_once(T0, ctx(transport))
    await accept_alert(high.id, org.alice_id, T0 + timedelta(minutes=1))
    await sweep_once(T0 + timedelta(minutes=1), ctx(transport))
    seen = {(m.alert_id, m.kind, m.destination.address): m for m in transport.sent}
    assert seen[(high.id, "PAGE", f"console-alice@ops.test")].critical is True
    assert seen[(high.id, "PAGE", "plain-ios")].critical is False
    assert seen[(low.id, "PAGE", f"console-alice@ops.test")].critical is False
    assert seen[(high.id, "UPDATE", f"console-alice@ops.test")].critical is False
    page = seen[(high.id, "PAGE", f"console-alice@ops.test")]
    assert page.collapse_id == seen[(high.id, "UPDATE", f"console-alice@ops.test")].collapse_id == f"alert-{high.id}"
    assert page.action_token and seen[(high.id, "UPDATE", f"console-alice@ops.test")].action_token == ""
    assert page.thread_id == f"source-{high.source_id}"  # type: ignore[attr-defined]
    assert page.badge == 1


async def test_action_token_accepts_once_and_refuses_replays_forgeries_and_expiry(db: str) -> None:
    org = await seed_org()
    alert = await fire(org)
    token = await actions.issue(SIGNING_KEY, alert.id, org.alice_id, None, T0)
    with pytest.raises(actions.InvalidActionToken):
        await actions.redeem(SIGNING_KEY, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "accept", T0)
    with pytest.raises(actions.InvalidActionToken):
        await actions.redeem(b"another-key", token, "accept", T0)
    assert (await Alert.get(id=alert.id)).status is AlertStatus.PENDING
    accepted = await actions.redeem(SIGNING_KEY, token, "accept", T0 + timedelta(seconds=5))
    assert accepted.status is AlertStatus.ACCEPTED
    with pytest.raises(actions.UsedActionToken):
        await actions.redeem(SIGNING_KEY, token, "resolve", T0 + timedelta(seconds=6))
    assert (await Alert.get(id=alert.id)).status is AlertStatus.ACCEPTED
    old = await actions.issue(SIGNING_KEY, alert.id, org.alice_id, None, T0, ttl=timedelta(minutes=1))
    with pytest.raises(actions.ExpiredActionToken):
        await actions.redeem(SIGNING_KEY, old, "resolve", T0 + timedelta(minutes=2))
    assert (await Alert.get(id=alert.id)).status is AlertStatus.ACCEPTED
    entry = await AlertLogEntry.get(alert_id=alert.id, kind="ACCEPTED")
    assert entry.text == "Accepted by Alice via email link"


async def test_muted_user_is_held_back_but_escalation_goes_on(db: str) -> None:
    org = await seed_org(level1_timeout=5)
    await muting.mute(org.alice_id, T0 + timedelta(hours=1), T0)
    alert = await fire(org)
    transport = ScriptedTransport()
    await sweep_once(T0, ctx(transport))
    assert transport.sent == []
    entry = await AlertLogEntry.get(alert_id=alert.id, kind="NOTIFICATION_SUPPRESSED")
    assert entry.text == "PUSH to Alice held back: Alice muted notifications until 2026-11-26 04:00 UTC"
    await tick(T0 + timedelta(minutes=5))
    await sweep_once(T0 + timedelta(minutes=5), ctx(transport))
    assert [(m.user_id, m.kind) for m in transport.sent] == [(org.bob_id, "PAGE")]
    with pytest.raises(BadInput):
        await muting.mute(org.alice_id, T0 + timedelta(days=31), T0)
    unmuted = await muting.mute(org.alice_id, T0 - timedelta(minutes=1), T0)
    assert unmuted.muted_until is None


async def test_phone_is_verified_by_code_before_sms_pages(db: str) -> None:
    org = await seed_org(level1_timeout=30)
    transport = ScriptedTransport()
    with pytest.raises(BadInput):
        await phones.start_verification(org.alice_id, "0151 123", T0)
    number = await phones.start_verification(org.alice_id, "+49 151 1234 5678", T0)
    assert number == "+4915112345678"
    await sweep_once(T0, ctx(transport))
    [sms] = transport.sent
    assert (sms.channel.value, sms.destination.address) == ("SMS", "+4915112345678")
    code = re.search(r"\b(\d{6})\b", sms.body).group(1)  # type: ignore[union-attr]
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(BadInput):
        await phones.confirm(org.alice_id, wrong, T0)
    assert (await phones.pending_number(org.alice_id)).code_attempts == 1  # type: ignore[union-attr]
    await phones.confirm(org.alice_id, code, T0 + timedelta(minutes=1))
    assert await phones.primary_number(org.alice_id) == "+4915112345678"
    assert await phones.pending_number(org.alice_id) is None
    # The code proved the phone is theirs: the number takes calls too.
    assert await contacts.verified_values(org.alice_id, ContactKind.VOICE) == [(ANY, "+4915112345678")]
    with pytest.raises(Conflict):
        await phones.confirm(org.alice_id, code, T0 + timedelta(minutes=2))
    alert = await fire(org)
    await sweep_once(T0 + timedelta(minutes=5), ctx(transport))
    assert sorted((m.channel.value, m.destination.address) for m in transport.sent if m.alert_id == alert.id) == [
        ("PUSH", "console-alice@ops.test"), ("SMS", "+4915112345678")
    ]


async def test_expired_or_guessed_codes_are_refused(db: str) -> None:
    org = await seed_org()
    await phones.start_verification(org.alice_id, "+15550002", T0)
    with pytest.raises(Conflict):
        await phones.confirm(org.alice_id, "123456", T0 + timedelta(minutes=11))
    await phones.start_verification(org.alice_id, "+15550002", T0)
    for _ in range(contacts.MAX_ATTEMPTS):
        with pytest.raises(BadInput):
            await phones.confirm(org.alice_id, "abcdef", T0)
    with pytest.raises(Conflict):
        await phones.confirm(org.alice_id, "abcdef", T0)
    assert await phones.primary_number(org.alice_id) is None


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("1", ("accept", None)), ("ack 12", ("accept", 12)), ("A12", ("accept", 12)), ("2 #7", ("resolve", 7)),
     ("resolve 7", ("resolve", 7)), (" R ", ("resolve", None)), ("hello", None), ("3", None)],
)
def test_sms_reply_words(text: str, parsed: tuple[str, int | None] | None) -> None:
    assert replies.parse_reply(text) == parsed


async def test_sms_reply_and_voice_keypress_accept_through_the_engine(db: str) -> None:
    org = await seed_org(level1_timeout=30)
    await verified_phone(org.alice_id)
    alert = await fire(org)
    transport = ScriptedTransport()
    await sweep_once(T0 + timedelta(minutes=5), ctx(transport))  # PUSH and the SMS at +5
    assert await replies.handle_sms_reply("+15559999", "1", T0) == "This number is not registered with pagerline."
    assert await replies.handle_sms_reply("+15550001", "1", T0 + timedelta(minutes=6)) == f"Alert #{alert.id} accepted."
    assert (await Alert.get(id=alert.id)).status is AlertStatus.ACCEPTED
    other = await fire(org, key="other", summary="Payments slow")
    assert await replies.handle_sms_reply("+15550001", f"2 {other.id}", T0 + timedelta(minutes=7)) == f"Alert #{other.id} resolved."
    assert await replies.handle_sms_reply("+15550001", "2 999999", T0) == "You were not paged for alert #999999."

    third = await fire(org, key="third", summary="Queue backlog")
    await sweep_once(T0 + timedelta(minutes=20), ctx(transport))
    [call] = await Notification.filter(alert_id=third.id, channel="VOICE")
    assert await replies.handle_voice_digits(call.id, "9", T0 + timedelta(minutes=21)) is None
    assert await replies.handle_voice_digits(call.id, "1", T0 + timedelta(minutes=21)) == f"Alert #{third.id} accepted."
    entry = await AlertLogEntry.get(alert_id=third.id, kind="ACCEPTED")
    assert entry.text == "Accepted by Alice via voice call"


async def test_no_answer_marks_the_call_failed_on_the_timeline(db: str) -> None:
    org = await seed_org(level1_timeout=30)
    await verified_phone(org.alice_id)
    alert = await fire(org)
    transport = ScriptedTransport()
    await sweep_once(T0 + timedelta(minutes=10), ctx(transport))
    [call] = await Notification.filter(alert_id=alert.id, channel="VOICE")
    assert call.status is NotificationStatus.SENT
    assert await replies.record_provider_status(call.id, "completed", T0) is False
    assert await replies.record_provider_status(call.id, "no-answer", T0 + timedelta(minutes=11)) is True
    assert (await Notification.get(id=call.id)).status is NotificationStatus.FAILED
    assert "VOICE to Alice failed: no-answer" in await AlertLogEntry.filter(alert_id=alert.id).values_list("text", flat=True)
    assert await replies.record_provider_status(call.id, "no-answer", T0 + timedelta(minutes=12)) is False


async def test_a_token_moves_with_its_phone_to_the_new_owner(db: str) -> None:
    org = await seed_org()
    first = await devices.register_device(org.alice_id, Platform.IOS, PushProvider.APNS, "tok-1", T0, critical_alerts=True)
    moved = await devices.register_device(org.bob_id, Platform.IOS, PushProvider.APNS, "tok-1", T0, critical_alerts=False)
    assert moved.id == first.id and moved.user_id == org.bob_id  # type: ignore[attr-defined]
    assert await Device.filter(token="tok-1").count() == 1
    with pytest.raises(BadInput):
        await devices.register_device(org.bob_id, Platform.ANDROID, PushProvider.APNS, "tok-2", T0)
    await devices.unregister_device(org.bob_id, "tok-1")
    assert await Device.filter(token="tok-1").count() == 0


async def drain(now: datetime, delivery: DeliveryContext) -> None:
    """Sweep at ``now`` until nothing due is left (a sweep takes at most 200 rows)."""
    while (await sweep_once(now, delivery)).delivered:
        pass


async def test_storm_of_a_thousand_alerts_for_one_user(heavy_db: str) -> None:
    """1,000 alerts for one user in a minute, through the real FCM and Twilio transports to the
    fake servers: at most 20 pushes reach the fake FCM, SMS are bundled into a summary at the
    fake Twilio, and every alert's timeline says what happened to its notifications."""
    org = await seed_org(level1_timeout=30)
    await verified_phone(org.alice_id)
    await Device.filter(user_id=org.alice_id).update(provider=PushProvider.FCM, token="alice-fcm")
    with FakeFcm() as fcm, FakeTwilio() as twilio:
        fcm_transport = FcmTransport(credential=AnonymousCredentials(), project_id=fcm.project_id, endpoint=fcm.url)
        twilio_transport = TwilioTransport(
            account_sid=twilio.account_sid, auth_token=twilio.auth_token, from_number="+15557770000",
            public_url="https://pagerline.test", base_url=twilio.url,
        )
        delivery = DeliveryContext(
            Transports(by_key={"PUSH:FCM": fcm_transport, "SMS": twilio_transport, "VOICE": twilio_transport}),
            DeliveryPolicy(), SIGNING_KEY, "https://pagerline.test",
        )
        try:
            ids = []
            for i in range(1000):
                at = T0 + timedelta(milliseconds=60 * i)  # 1,000 alerts within 60 s
                ids.append((await fire(org, now=at, key=f"storm-{i}", summary=f"node-{i} unreachable")).id)
                if i % 100 == 99:
                    await sweep_once(at, delivery)
            await drain(T0 + timedelta(seconds=59), delivery)
            assert len(fcm.delivered("alice-fcm")) == 20
            # The SMS rule (+5 min) comes due for all of them by 03:06: the first three go out,
            # the rest are carried by one summary, sent when its 3-minute window closes (03:09).
            await drain(T0 + timedelta(minutes=6), delivery)
            await drain(T0 + timedelta(minutes=9), delivery)
        finally:
            await fcm_transport.close()
            await twilio_transport.close()
        texts = [r.form["Body"] for r in twilio.messages_to("+15550001")]
    individual = [t for t in texts if t.startswith("pagerline #")]
    summaries = [t for t in texts if t.startswith("pagerline: ")]
    assert len(individual) == 3
    assert len(summaries) == 1
    assert summaries[0].startswith("pagerline: 997 more alerts in the last 3 minutes: #")
    # Every alert's timeline accounts for its push and its SMS: sent, or held back and why.
    by_alert: dict[int, list[str]] = {alert_id: [] for alert_id in ids}
    for alert_id, text in await AlertLogEntry.filter(
        alert_id__in=ids, kind__in=["NOTIFIED", "NOTIFICATION_SUPPRESSED"]
    ).values_list("alert_id", "text"):
        by_alert[alert_id].append(text)
    outcomes: Counter[str] = Counter()
    for alert_id, texts in by_alert.items():
        push = [t for t in texts if "PUSH" in t]
        sms_texts = [t for t in texts if "SMS" in t]
        assert len(push) == 1 and len(sms_texts) == 1, (alert_id, texts)
        outcomes[push[0]] += 1
        outcomes[sms_texts[0]] += 1
    assert outcomes["Notified Alice by PUSH"] == 20
    assert outcomes["Notified Alice by SMS"] == 3
    assert outcomes["SMS to Alice held back: bundled into a summary"] == 997
    assert sum(n for t, n in outcomes.items() if t.startswith("PUSH to Alice held back: ")) == 980


async def test_a_page_decided_after_its_windows_summary_went_out_joins_the_next_summary(db: str) -> None:
    """A page whose ``now`` was read before its window's summary was claimed (a worker waiting for
    the user's lock in a storm) must not be held back into a summary already written: it would be
    counted nowhere. It joins the next window's summary, which then names it."""
    org = await seed_org(level1_timeout=30)
    await verified_phone(org.alice_id)
    transport = ScriptedTransport()
    delivery = ctx(transport)
    alerts = [await fire(org, now=T0 + timedelta(seconds=i), key=f"late-{i}", summary=f"node-{i} down") for i in range(6)]
    late = alerts[-1]
    # The SMS rule (+5 min) comes due for all six at 03:05:00-05; hold the sixth back for now.
    late_sms = await Notification.get(alert_id=late.id, user_id=org.alice_id, channel="SMS")
    await Notification.filter(id=late_sms.id).update(due_at=T0 + timedelta(hours=1))
    first_window_end = datetime(2026, 11, 26, 3, 6, tzinfo=UTC)  # 180 s windows: 03:03-03:06
    await drain(T0 + timedelta(minutes=5, seconds=10), delivery)
    await drain(first_window_end, delivery)  # the first window's summary: the fourth and fifth pages
    summaries = [m.body for m in transport.sent if m.channel.value == "SMS" and m.body.startswith("pagerline: ")]
    assert summaries == [summaries[0]] and summaries[0].startswith("pagerline: 2 more alerts")

    # The sixth page is decided with a ``now`` inside the first window, after its summary went out.
    await Notification.filter(id=late_sms.id).update(due_at=T0 + timedelta(minutes=5, seconds=30))
    assert await deliver(late_sms.id, T0 + timedelta(minutes=5, seconds=30), delivery) == "SUPPRESSED"
    held = await Notification.get(id=late_sms.id)
    assert held.bundle_key == f"bundle:{org.alice_id}:SMS:{int(first_window_end.timestamp())}"
    await drain(first_window_end + timedelta(minutes=3), delivery)
    summaries = [m.body for m in transport.sent if m.channel.value == "SMS" and m.body.startswith("pagerline: ")]
    assert len(summaries) == 2 and summaries[1].startswith(f"pagerline: 1 more alert in the last 3 minutes: #{late.id} ")
