"""Each channel delivers in a lane of its own: a push provider that hangs never delays the SMS
of the same alert, whether a one-off sweep (a test moving time) or a worker's sweeper (which
does not wait for its sends) delivers them; a provider that asks to be retried later (429 with
``Retry-After``, 5xx) is tried again no earlier than asked, and its channel alone waits.

Time is the ``now`` handed to the sweep; the only waiting is for sends the test itself let go.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from pagerline.engine.delivery.lanes import ChannelLanes
from pagerline.engine.delivery.outbox import DeliveryContext, DeliveryPolicy
from pagerline.engine.sweeper import sweep_once
from pagerline.models import Channel, Notification, NotificationRule, NotificationStatus, Priority
from pagerline.push.base import DeliveryResult, OutgoingMessage, Outcome
from pagerline.push.registry import Transports
from tests.support.polling import wait_until_async
from tests.support.seed import Org, raise_alert, seed_org, verified_phone
from tests.support.transports import SIGNING_KEY, ScriptedTransport

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


class HangingPush(ScriptedTransport):
    """A push provider that takes every request and answers none until :meth:`answer`."""

    name = "hanging-push"

    def __init__(self, events: list[str]) -> None:
        super().__init__()
        self.events = events
        self.answered = asyncio.Event()

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        self.events.append(f"push {message.alert_id} taken")
        await self.answered.wait()
        return await super().send(message)


class RecordingSms(ScriptedTransport):
    name = "recording-sms"

    def __init__(self, events: list[str], *script: DeliveryResult) -> None:
        super().__init__(*script)
        self.events = events

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        self.events.append(f"sms {message.alert_id}")
        return await super().send(message)


def context(push: ScriptedTransport, sms: ScriptedTransport, policy: DeliveryPolicy | None = None) -> DeliveryContext:
    # Seeded devices are console devices: the console transport stands in for the push provider.
    return DeliveryContext(Transports(by_key={"SMS": sms}, console=push), policy or DeliveryPolicy(), SIGNING_KEY)


async def paged_by_push_and_sms_at_once(org: Org) -> None:
    """Alice's HIGH rules: her push and her SMS both at 0 minutes (no call)."""
    await verified_phone(org.alice_id)
    await NotificationRule.filter(user_id=org.alice_id, method=Channel.SMS, priority=Priority.HIGH).update(delay_minutes=0)
    await NotificationRule.filter(user_id=org.alice_id, method=Channel.VOICE).delete()


async def statuses(alert_id: int) -> dict[str, str]:
    rows = await Notification.filter(alert_id=alert_id).order_by("id")
    return {row.channel.value: row.status.value for row in rows}


async def test_a_one_off_sweep_sends_the_sms_while_every_push_slot_hangs(db: str) -> None:
    org = await seed_org()
    await paged_by_push_and_sms_at_once(org)
    alerts = [await raise_alert(org.api_key, T0, f"k{n}", f"Checkout {n} is down") for n in range(3)]
    events: list[str] = []
    push, sms = HangingPush(events), RecordingSms(events)

    # Two slots per channel, three pushes that hang: with one shared cap the hung pushes held
    # every slot and the texts waited for the send timeout.
    sweep = asyncio.create_task(sweep_once(T0, context(push, sms), concurrency=2))
    await wait_until_async(lambda: len(sms.sent) == 3 and len(events) == 5, timeout=10, what="the texts, and two pushes stuck")
    assert not sweep.done()
    # Two push slots, both stuck (on the two oldest rows); the third push waits for a slot.
    assert sorted(events) == sorted([*(f"push {a} taken" for a in alerts[:2]), *(f"sms {a}" for a in alerts)])

    push.answered.set()
    report = await sweep
    assert report.delivered == 6
    assert [await statuses(a) for a in alerts] == [{"PUSH": "SENT", "SMS": "SENT"}] * 3


async def test_a_workers_sweeper_goes_on_while_a_channel_hangs(db: str) -> None:
    """A worker's sweeper keeps its lanes and does not wait for the sends: the next round (a
    later SMS, an escalation) runs while the push lane is still stuck, and the full lane takes
    no more rows until one of its sends ends."""
    org = await seed_org()
    await paged_by_push_and_sms_at_once(org)
    events: list[str] = []
    push, sms = HangingPush(events), RecordingSms(events)
    ctx = context(push, sms)
    lanes = ChannelLanes(concurrency=1, backlog=1)  # a row that does not fit waits in the database
    try:
        first = await raise_alert(org.api_key, T0, "first", "Checkout is down")
        report = await sweep_once(T0, ctx, lanes=lanes)
        assert report.started == 2  # the push and the SMS, neither awaited
        await wait_until_async(lambda: len(sms.sent) == 1 and len(events) == 2, timeout=10, what="the text, and the push stuck")
        assert sorted(events) == [f"push {first} taken", f"sms {first}"]  # in either order

        second = await raise_alert(org.api_key, T0 + timedelta(seconds=30), "second", "Payments are down")
        report = await sweep_once(T0 + timedelta(seconds=30), ctx, lanes=lanes)
        assert report.started == 1  # its SMS; its push waits for the stuck lane
        await wait_until_async(lambda: len(sms.sent) == 2, timeout=10, what="the second text")
        await wait_until_async(lambda: lanes.busy(Channel.SMS) == 0, timeout=10, what="the texts to be recorded")
        assert events[2:] == [f"sms {second}"]  # while the first push is still stuck
        assert (await statuses(first), await statuses(second)) == (
            {"PUSH": "SENDING", "SMS": "SENT"},
            {"PUSH": "PENDING", "SMS": "SENT"},
        )

        push.answered.set()
        await wait_until_async(lambda: lanes.busy(Channel.PUSH) == 0, timeout=10, what="the push lane to empty")
        assert (await sweep_once(T0 + timedelta(minutes=2), ctx, lanes=lanes)).started == 1
        await wait_until_async(lambda: len(push.sent) == 2, timeout=10, what="the second push")
        await wait_until_async(lambda: lanes.busy(Channel.PUSH) == 0, timeout=10, what="the push lane to empty")
        assert (await statuses(first), await statuses(second)) == ({"PUSH": "SENT", "SMS": "SENT"},) * 2
    finally:
        push.answered.set()
        await lanes.close()


async def test_a_rate_limited_sms_is_retried_no_earlier_than_asked_and_delays_no_push(db: str) -> None:
    org = await seed_org()
    await paged_by_push_and_sms_at_once(org)
    events: list[str] = []
    sms = RecordingSms(
        events,
        DeliveryResult(Outcome.RETRY, "Twilio 429: Too Many Requests", retry_after_seconds=120),
        DeliveryResult(Outcome.RETRY, "Twilio 503: Service Unavailable"),
    )
    push = ScriptedTransport()
    ctx = context(push, sms, DeliveryPolicy(max_attempts=5, backoff_cap_seconds=300))
    alert = await raise_alert(org.api_key, T0, "k", "Checkout is down")

    await sweep_once(T0, ctx)
    assert await statuses(alert) == {"PUSH": "SENT", "SMS": "PENDING"}  # the push went at once
    sms_row = await Notification.get(alert_id=alert, channel=Channel.SMS)
    assert (sms_row.due_at, sms_row.last_error) == (T0 + timedelta(seconds=120), "Twilio 429: Too Many Requests")

    await sweep_once(T0 + timedelta(seconds=119), ctx)
    assert len(sms.sent) == 1  # one second early: not tried
    await sweep_once(T0 + timedelta(seconds=120), ctx)
    assert len(sms.sent) == 2  # as asked; this time a 503, without Retry-After: the backoff
    sms_row = await Notification.get(alert_id=alert, channel=Channel.SMS)
    assert (sms_row.status, sms_row.due_at) == (NotificationStatus.PENDING, T0 + timedelta(seconds=120 + 5 * 2**2))

    await sweep_once(T0 + timedelta(seconds=139), ctx)
    assert len(sms.sent) == 2
    await sweep_once(T0 + timedelta(seconds=140), ctx)
    assert await statuses(alert) == {"PUSH": "SENT", "SMS": "SENT"}
    assert len(push.sent) == 1 and events == [f"sms {alert}"] * 3


async def test_a_sweeper_of_some_channels_leaves_the_others_rows_alone(db: str) -> None:
    """A worker that consumes only the SMS queue sweeps only SMS rows."""
    org = await seed_org()
    await paged_by_push_and_sms_at_once(org)
    push, sms = ScriptedTransport(), RecordingSms([])
    alert = await raise_alert(org.api_key, T0, "k", "Checkout is down")
    await sweep_once(T0, context(push, sms), channels=[Channel.SMS])
    assert await statuses(alert) == {"PUSH": "PENDING", "SMS": "SENT"}
    await sweep_once(T0, context(push, sms), channels=[])
    assert await statuses(alert) == {"PUSH": "PENDING", "SMS": "SENT"}
    await sweep_once(T0, context(push, sms))
    assert await statuses(alert) == {"PUSH": "SENT", "SMS": "SENT"}
