"""Outbox delivery: claims, retries with capped backoff, permanent failures, unconfigured
channels, leases left by a dead worker, and the unique key that forbids a second page."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from tortoise.exceptions import IntegrityError

from pagerline.engine.alerts.transitions import accept_alert
from pagerline.engine.core.effects import Effects
from pagerline.engine.delivery.outbox import DeliveryContext, DeliveryPolicy, deliver
from pagerline.engine.notify.planning import follow_up_late_page
from pagerline.engine.sweeper import sweep_once
from pagerline.models import Alert, Channel, ContactKind, ContactMethod, Device, Notification, NotificationKind, NotificationStatus
from pagerline.push.base import DeliveryResult, OutgoingMessage, Outcome
from pagerline.push.registry import Transports
from tests.support.seed import Org, raise_alert, seed_org, timeline_texts as timeline, verified_phone
from tests.support.transports import ScriptedTransport, console_only, ctx

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
POLICY = DeliveryPolicy(lease_seconds=60, max_attempts=4, backoff_cap_seconds=30)


async def fire(org: Org, now: datetime = T0, key: str = "k") -> Alert:
    return await Alert.get(id=await raise_alert(org.api_key, now, key, "Checkout is failing"))


async def test_transient_failures_retry_with_capped_backoff_then_deliver_once(db: str) -> None:
    org = await seed_org()
    alert = await fire(org)
    [row] = await Notification.filter(alert_id=alert.id)
    transport = ScriptedTransport(
        DeliveryResult(Outcome.RETRY, "HTTP 503"), DeliveryResult(Outcome.RETRY, "HTTP 503"), DeliveryResult(Outcome.RETRY, "HTTP 503")
    )
    transports = console_only(transport)
    now = T0
    backoffs = []
    for _ in range(3):
        assert await deliver(row.id, now, DeliveryContext(transports, POLICY)) == "PENDING"
        row = await Notification.get(id=row.id)
        backoffs.append((row.due_at - now).total_seconds())
        # Not due yet: a second wake-up before the backoff sends nothing.
        assert await deliver(row.id, now + timedelta(seconds=1), DeliveryContext(transports, POLICY)) is None
        now = row.due_at
    assert backoffs == [10.0, 20.0, 30.0]  # 5 * 2**attempt, capped at 30 s
    assert await deliver(row.id, now, DeliveryContext(transports, POLICY)) == "SENT"
    assert await deliver(row.id, now + timedelta(hours=1), DeliveryContext(transports, POLICY)) is None
    assert len(transport.sent) == 4
    row = await Notification.get(id=row.id)
    assert (row.status, row.attempts, row.sent_at) == (NotificationStatus.SENT, 4, now)
    assert await timeline(alert.id, "NOTIFIED") == ["Notified Alice by PUSH"]
    assert len(await timeline(alert.id, "NOTIFICATION_RETRY")) == 3


async def test_retries_stop_at_max_attempts_and_the_failure_is_on_the_timeline(db: str) -> None:
    org = await seed_org()
    alert = await fire(org)
    [row] = await Notification.filter(alert_id=alert.id)
    transport = ScriptedTransport(*[DeliveryResult(Outcome.RETRY, "timed out")] * 10)
    now = T0
    results = []
    for _ in range(POLICY.max_attempts):
        results.append(await deliver(row.id, now, ctx(transport, POLICY)))
        now += timedelta(minutes=5)
    assert results == ["PENDING", "PENDING", "PENDING", "FAILED"]
    assert await timeline(alert.id, "NOTIFICATION_FAILED") == ["PUSH to Alice failed: timed out"]


async def test_permanent_failure_is_recorded_and_the_next_rule_still_runs(db: str) -> None:
    org = await seed_org(level1_timeout=30)
    await verified_phone(org.alice_id)
    alert = await fire(org)
    transport = ScriptedTransport(DeliveryResult(Outcome.FAILED, "InvalidRegistration"))
    await sweep_once(T0, ctx(transport, POLICY))
    assert await timeline(alert.id, "NOTIFICATION_FAILED") == ["PUSH to Alice failed: InvalidRegistration"]
    await sweep_once(T0 + timedelta(minutes=5), ctx(transport, POLICY))
    assert [m.channel.value for m in transport.sent] == ["PUSH", "SMS"]
    assert await timeline(alert.id, "NOTIFIED") == ["Notified Alice by SMS"]


async def test_unconfigured_channel_fails_with_reason_and_next_rule_runs(db: str) -> None:
    org = await seed_org(level1_timeout=30)
    await verified_phone(org.alice_id)
    alert = await fire(org)
    # No console stand-in and no providers configured: every channel is "not configured".
    await sweep_once(T0 + timedelta(minutes=5), DeliveryContext(Transports(), POLICY))
    assert sorted(await timeline(alert.id, "NOTIFICATION_FAILED")) == [
        "PUSH to Alice failed: channel not configured",
        "SMS to Alice failed: channel not configured",
    ]


async def test_two_workers_woken_for_one_row_send_once(db: str) -> None:
    org = await seed_org()
    alert = await fire(org)
    [row] = await Notification.filter(alert_id=alert.id)
    transport = ScriptedTransport()
    results = await asyncio.gather(*(deliver(row.id, T0, ctx(transport, POLICY)) for _ in range(5)))
    assert sorted(r or "" for r in results) == ["", "", "", "", "SENT"]
    assert len(transport.sent) == 1


async def test_a_row_claimed_by_a_dead_worker_is_delivered_after_its_lease(db: str) -> None:
    org = await seed_org()
    alert = await fire(org)
    [row] = await Notification.filter(alert_id=alert.id)
    # What a worker killed after claiming leaves behind.
    await Notification.filter(id=row.id).update(status=NotificationStatus.SENDING, claimed_until=T0 + timedelta(seconds=60), attempts=1)
    transport = ScriptedTransport()
    await sweep_once(T0 + timedelta(seconds=30), ctx(transport, POLICY))
    assert transport.sent == []  # the lease still runs
    await sweep_once(T0 + timedelta(seconds=61), ctx(transport, POLICY))
    await sweep_once(T0 + timedelta(seconds=62), ctx(transport, POLICY))
    assert len(transport.sent) == 1
    assert (await Notification.get(id=row.id)).status is NotificationStatus.SENT
    # It died before anything was sent: not a resend.
    assert await timeline(alert.id, "NOTIFICATION_RETRY") == []


class HangingTransport(ScriptedTransport):
    """Takes the message and never answers: the provider holds it while the worker dies."""

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        self.sent.append(message)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_a_send_cut_off_mid_flight_is_sent_again_after_the_lease_as_the_same_page(db: str) -> None:
    org = await seed_org()
    alert = await fire(org)
    [row] = await Notification.filter(alert_id=alert.id)
    hanging = HangingTransport()
    attempt = asyncio.create_task(deliver(row.id, T0, ctx(hanging, POLICY)))
    while not hanging.sent:
        await asyncio.sleep(0)
    attempt.cancel()  # the worker is gone between handing the push over and recording it
    with pytest.raises(asyncio.CancelledError):
        await attempt

    transport = ScriptedTransport()
    await sweep_once(T0 + timedelta(seconds=59), ctx(transport, POLICY))
    assert transport.sent == []  # the lease still runs
    await sweep_once(T0 + timedelta(seconds=61), ctx(transport, POLICY))
    [first], [again] = hanging.sent, transport.sent
    # The phone shows one page: the resend replaces the first, whether or not that one arrived.
    assert again.collapse_id == first.collapse_id == f"alert-{alert.id}"
    row = await Notification.get(id=row.id)
    assert (row.status, row.attempts) == (NotificationStatus.SENT, 2)
    assert await timeline(alert.id, "NOTIFICATION_RETRY") == ["PUSH to Alice sent again after an interrupted attempt"]
    assert await timeline(alert.id, "NOTIFIED") == ["Notified Alice by PUSH"]


async def test_the_same_page_cannot_be_written_twice(db: str) -> None:
    org = await seed_org()
    alert = await fire(org)
    [row] = await Notification.filter(alert_id=alert.id)
    with pytest.raises(IntegrityError):
        await Notification.create(
            dedup_key=row.dedup_key, alert_id=alert.id, user_id=org.alice_id, channel=row.channel,
            due_at=T0, title="again", body="again", created_at=T0,
        )


async def test_dead_destination_deactivates_the_device(db: str) -> None:
    org = await seed_org()
    alert = await fire(org)
    transport = ScriptedTransport(DeliveryResult(Outcome.FAILED, "Unregistered", destination_dead=True))
    await sweep_once(T0, ctx(transport, POLICY))
    device = await Device.get(user_id=org.alice_id)
    assert (device.active, device.deactivated_reason) == (False, "Unregistered")
    assert "Device of Alice deactivated: Unregistered" in await timeline(alert.id, "NOTIFICATION_FAILED")


async def test_a_provider_asking_to_wait_is_waited_for_up_to_the_cap(db: str) -> None:
    org = await seed_org()
    alert = await fire(org)
    [row] = await Notification.filter(alert_id=alert.id)
    transport = ScriptedTransport(
        DeliveryResult(Outcome.RETRY, "HTTP 429", retry_after_seconds=25),
        DeliveryResult(Outcome.RETRY, "HTTP 429", retry_after_seconds=3600),
        DeliveryResult(Outcome.RETRY, "HTTP 429", retry_after_seconds=1),
    )
    policy = DeliveryPolicy(max_attempts=5, backoff_cap_seconds=300)

    async def next_attempt_after(now: datetime) -> datetime:
        assert await deliver(row.id, now, ctx(transport, policy)) == "PENDING"
        return (await Notification.get(id=row.id)).due_at

    first = await next_attempt_after(T0)
    second = await next_attempt_after(first)
    third = await next_attempt_after(second)
    # Retry-After when it is longer than the backoff (10 s, 20 s, 40 s), never past the cap.
    assert [first - T0, second - first, third - second] == [timedelta(seconds=25), timedelta(seconds=300), timedelta(seconds=40)]


class AcceptedWhileSending(ScriptedTransport):
    """Telegram as it is when the person presses Accept the moment the page arrives: the alert is
    accepted (through the engine's one accept path) while the page's send has not been recorded."""

    def __init__(self, alert_id: int, user_id: int, now: datetime) -> None:
        super().__init__()
        self.alert_id, self.user_id, self.now = alert_id, user_id, now

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        self.sent.append(message)
        if message.kind == "PAGE":
            await accept_alert(self.alert_id, self.user_id, self.now, via="Telegram")
            return DeliveryResult(Outcome.DELIVERED, provider_id=f"{message.destination.address}:{len(self.sent)}")
        return DeliveryResult(Outcome.DELIVERED, provider_id=message.destination.address)


@pytest.mark.parametrize("channel", [Channel.TELEGRAM, Channel.PUSHOVER])
async def test_a_page_accepted_before_its_send_is_recorded_is_still_followed_up(db: str, channel: Channel) -> None:
    org = await seed_org()
    alert = await fire(org)
    await ContactMethod.create(user_id=org.alice_id, kind=ContactKind(channel.value), value="4242", verified=True, verified_at=T0, created_at=T0)
    page = await Notification.create(
        dedup_key=f"late-page:{alert.id}", alert_id=alert.id, user_id=org.alice_id, kind=NotificationKind.PAGE, channel=channel,
        status=NotificationStatus.PENDING, due_at=T0, title="Checkout is failing", body="", created_at=T0,
    )
    transport = AcceptedWhileSending(alert.id, org.alice_id, T0)
    assert await deliver(page.id, T0, ctx(transport)) == "SENT"
    assert (await Alert.get(id=alert.id)).status.value == "ACCEPTED"

    # The accept found no sent page on the channel to follow up; recording the page plans it.
    [follow_up] = await Notification.filter(alert_id=alert.id, kind=NotificationKind.UPDATE, channel=channel)
    assert await deliver(follow_up.id, T0, ctx(transport)) == "SENT"
    [update] = [m for m in transport.sent if m.kind == "UPDATE"]
    assert update.destination.address == "4242:1"  # the page as the provider named it: edited or its receipt cancelled
    # Recorded again (a replayed conclusion), it plans nothing more.
    await follow_up_late_page(alert.id, org.alice_id, channel, T0, Effects())
    assert await Notification.filter(alert_id=alert.id, kind=NotificationKind.UPDATE, channel=channel).count() == 1
