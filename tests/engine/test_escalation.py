"""Escalation semantics, driven by `now` (no sleeping), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pagerline.engine.alerts.transitions import accept_alert, resolve_alert
from pagerline.engine.delivery.outbox import DeliveryPolicy
from pagerline.engine.alerts.escalation import tick
from pagerline.engine.sweeper import sweep_once
from pagerline.models import (
    Alert,
    AlertLogEntry,
    AlertStatus,
    EscalationRule,
    Notification,
    NotificationStatus,
    Priority,
    Schedule,
    ScheduleKind,
    StaticShift,
    User,
)
from tests.support.seed import Org, raise_alert, seed_org, verified_phone
from tests.support.transports import ScriptedTransport, ctx

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


async def fire(org: Org, now: datetime, key: str = "db-down", priority: Priority | None = None) -> Alert:
    return await Alert.get(id=await raise_alert(org.api_key, now, key, "Database down", priority))


async def pages(alert_id: int) -> list[tuple[int, str, int | None, int | None]]:
    rows = await Notification.filter(alert_id=alert_id).order_by("id")
    return [(r.user_id, r.channel.value, r.escalation_rule_index, r.escalation_round) for r in rows]  # type: ignore[attr-defined]


async def kinds(alert_id: int) -> list[str]:
    return [e.kind for e in await AlertLogEntry.filter(alert_id=alert_id).order_by("id")]


async def test_high_alert_escalates_after_timeout_to_next_level(db: str) -> None:
    org = await seed_org(level1_timeout=5, level2_timeout=10)
    alert = await fire(org, T0)
    assert alert.status is AlertStatus.PENDING
    assert alert.next_escalation_at == T0 + timedelta(minutes=5)
    # Alice's PUSH is an outbox row; SMS and VOICE are skipped (no verified number) with a reason.
    assert await pages(alert.id) == [(org.alice_id, "PUSH", 0, 0)]
    skipped = await AlertLogEntry.filter(alert_id=alert.id, kind="NOTIFICATION_SKIPPED").values_list("text", flat=True)
    assert sorted(skipped) == ["SMS to Alice skipped: no verified phone number", "VOICE to Alice skipped: no verified phone number"]

    assert await tick(T0 + timedelta(minutes=4, seconds=59)) == 0
    assert await tick(T0 + timedelta(minutes=5)) == 1
    assert await tick(T0 + timedelta(minutes=5)) == 0  # a second tick at the same time does nothing
    alert = await Alert.get(id=alert.id)
    assert alert.escalation_rule_index == 1
    assert alert.next_escalation_at == T0 + timedelta(minutes=15)
    assert await pages(alert.id) == [(org.alice_id, "PUSH", 0, 0), (org.bob_id, "PUSH", 1, 0)]
    escalated = await AlertLogEntry.get(alert_id=alert.id, kind="ESCALATED")
    assert escalated.text == "Escalated to level 2 (Bob)"

    # After the last level: the alert stays pending, escalation ends, written on the timeline.
    assert await tick(T0 + timedelta(minutes=15)) == 1
    alert = await Alert.get(id=alert.id)
    assert alert.next_escalation_at is None and alert.status is AlertStatus.PENDING
    assert (await kinds(alert.id))[-1] == "ESCALATION_ENDED"
    assert await tick(T0 + timedelta(hours=5)) == 0


async def test_repeating_policy_restarts_from_the_first_rule(db: str) -> None:
    org = await seed_org(level1_timeout=5, level2_timeout=5, repeating=True, frequency=1)
    alert = await fire(org, T0)
    await tick(T0 + timedelta(minutes=5))  # level 2
    await tick(T0 + timedelta(minutes=10))  # round 2, level 1
    await tick(T0 + timedelta(minutes=15))  # round 2, level 2
    await tick(T0 + timedelta(minutes=20))  # frequency 1: one repeat only, then the end
    assert await pages(alert.id) == [
        (org.alice_id, "PUSH", 0, 0),
        (org.bob_id, "PUSH", 1, 0),
        (org.alice_id, "PUSH", 0, 1),
        (org.bob_id, "PUSH", 1, 1),
    ]
    alert = await Alert.get(id=alert.id)
    assert alert.next_escalation_at is None
    assert (await kinds(alert.id))[-1] == "ESCALATION_ENDED"


async def test_rule_with_nobody_passes_to_the_next_rule_at_once(db: str) -> None:
    org = await seed_org()
    # Level 1 now targets an empty schedule only: a gap.
    empty = await Schedule.create(name="Empty", timezone="UTC", kind=ScheduleKind.STATIC)
    first = await EscalationRule.get(policy_id=org.policy_id, position=0)
    await first.users.clear()
    await first.schedules.add(empty)
    alert = await fire(org, T0)
    assert await pages(alert.id) == [(org.bob_id, "PUSH", 1, 0)]
    entry = await AlertLogEntry.get(alert_id=alert.id, kind="NOBODY_ON_CALL")
    assert "level 1" in entry.text
    assert alert.escalation_rule_index == 1
    assert alert.next_escalation_at == T0 + timedelta(minutes=10)


async def test_schedule_target_pages_whoever_is_on_call(db: str) -> None:
    org = await seed_org()
    schedule = await Schedule.create(name="Primary", timezone="UTC", kind=ScheduleKind.STATIC)
    await StaticShift.create(schedule=schedule, user_id=org.bob_id, start=T0 - timedelta(hours=1), end=T0 + timedelta(hours=1))
    await StaticShift.create(schedule=schedule, user_id=org.alice_id, start=T0 + timedelta(hours=1), end=T0 + timedelta(hours=9))
    first = await EscalationRule.get(policy_id=org.policy_id, position=0)
    await first.users.clear()
    await first.schedules.add(schedule)
    during_bob = await fire(org, T0, key="a")
    during_alice = await fire(org, T0 + timedelta(hours=2), key="b")
    assert (await pages(during_bob.id))[0][:2] == (org.bob_id, "PUSH")
    assert (await pages(during_alice.id))[0][:2] == (org.alice_id, "PUSH")


async def test_low_alert_notifies_first_rule_with_low_rules_and_never_escalates(db: str) -> None:
    org = await seed_org()
    alert = await fire(org, T0, priority=Priority.LOW)
    assert alert.priority is Priority.LOW
    assert alert.next_escalation_at is None
    assert await pages(alert.id) == [(org.alice_id, "PUSH", 0, 0)]
    assert await tick(T0 + timedelta(days=1)) == 0
    assert await pages(alert.id) == [(org.alice_id, "PUSH", 0, 0)]


async def test_accept_halts_escalation_and_skips_later_rules(db: str) -> None:
    org = await seed_org()
    await verified_phone(org.alice_id, "+15550001")
    alert = await fire(org, T0)
    channels = [c for _, c, _, _ in await pages(alert.id)]
    assert channels == ["PUSH", "SMS", "VOICE"]
    transport = ScriptedTransport()
    policy = DeliveryPolicy()
    await sweep_once(T0, ctx(transport, policy))
    assert [m.channel.value for m in transport.sent] == ["PUSH"]

    await accept_alert(alert.id, org.alice_id, T0 + timedelta(minutes=2))
    alert = await Alert.get(id=alert.id)
    assert alert.status is AlertStatus.ACCEPTED and alert.next_escalation_at is None
    # The SMS at +5 and the call at +10 are no longer needed: she responded first.
    await sweep_once(T0 + timedelta(minutes=30), ctx(transport, policy))
    # Only the update that replaces her page on the lock screen goes out, no SMS, no call.
    assert [(m.channel.value, m.kind) for m in transport.sent] == [("PUSH", "PAGE"), ("PUSH", "UPDATE")]
    statuses = dict(await Notification.filter(alert_id=alert.id, kind="PAGE").values_list("channel", "status"))
    assert statuses == {"PUSH": NotificationStatus.SENT, "SMS": NotificationStatus.SKIPPED, "VOICE": NotificationStatus.SKIPPED}
    assert await tick(T0 + timedelta(hours=1)) == 0


async def test_resolved_is_final_and_a_new_event_opens_a_new_alert(db: str) -> None:
    org = await seed_org()
    first = await fire(org, T0, key="Disk-Full")
    again = await fire(org, T0 + timedelta(seconds=1), key="disk-full")  # case-insensitive dedup
    assert again.id == first.id
    await resolve_alert(first.id, org.bob_id, T0 + timedelta(minutes=1))
    with pytest.raises(Exception) as refused:
        await accept_alert(first.id, org.alice_id, T0 + timedelta(minutes=2))
    assert getattr(refused.value, "code", None) == "CONFLICT"
    assert (await Alert.get(id=first.id)).status is AlertStatus.RESOLVED
    fresh = await fire(org, T0 + timedelta(minutes=3), key="DISK-FULL")
    assert fresh.id != first.id and fresh.status is AlertStatus.PENDING
    assert await tick(T0 + timedelta(hours=1)) == 1  # only the new alert escalates
