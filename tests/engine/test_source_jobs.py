"""Timed source jobs with time moved by ``now``: auto-resolution after a quiet period, and
auto-raising pending LOW alerts to HIGH (paging and escalating) when support hours start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pagerline.engine.alerts.escalation import tick
from pagerline.engine.sources.intake import EventInput, ingest_event
from pagerline.engine.sources.jobs import auto_raise_tick, auto_resolve_tick
from pagerline.engine.sources.settings import PolicyChanges, create_support_hours, update_source_policy
from pagerline.engine.sources.lookup import SourceInfo
from pagerline.models import Alert, AlertLogEntry, AlertStatus, Channel, Notification, Priority, PriorityRule
from tests.support.seed import Org, api_source, seed_org

MONDAY_EARLY = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # 07:00 in Berlin, before support hours
SUPPORT_STARTS = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Berlin


async def fire(source: SourceInfo, key: str, now: datetime, priority: Priority | None = None) -> int:
    result = await ingest_event(source, EventInput("ALERT", summary=f"{key} is failing", alert_key=key, priority=priority), now)
    assert result.alert_id is not None
    return result.alert_id


async def office_hours_source(org: Org, rule: PriorityRule, *, auto_raise: bool) -> SourceInfo:
    """The API source with Monday 09:00-17:00 Berlin support hours and ``rule``."""
    hours = await create_support_hours("Office", "Europe/Berlin", [{"day": "MONDAY", "start": "09:00", "end": "17:00"}])
    await update_source_policy(
        org.api_source_id, PolicyChanges(priority_rule=rule, support_hours_id=hours.id, auto_raise_alerts=auto_raise)
    )
    return await api_source(org)


async def test_auto_resolve_resolves_alerts_quiet_for_the_timeout(db: str) -> None:
    org = await seed_org()
    other = await seed_org(team="Web")  # no timeout: never auto-resolved
    await update_source_policy(org.api_source_id, PolicyChanges(auto_resolution_timeout_sec=600))
    source, untouched = await api_source(org), await api_source(other)
    t0 = MONDAY_EARLY
    noisy = await fire(source, "noisy", t0)
    quiet = await fire(source, "quiet", t0)
    accepted = await fire(source, "accepted", t0)
    never = await fire(untouched, "quiet", t0)
    await ingest_event(source, EventInput("ACCEPT", alert_key="accepted"), t0 + timedelta(minutes=1))
    await fire(source, "noisy", t0 + timedelta(minutes=5))  # a repeat restarts the quiet period

    assert await auto_resolve_tick(t0 + timedelta(minutes=9, seconds=59)) == 0
    assert await auto_resolve_tick(t0 + timedelta(minutes=10)) == 2
    statuses = dict(await Alert.filter(id__in=[noisy, quiet, accepted, never]).values_list("id", "status"))
    assert statuses == {noisy: AlertStatus.PENDING, quiet: AlertStatus.RESOLVED, accepted: AlertStatus.RESOLVED, never: AlertStatus.PENDING}
    [text] = await AlertLogEntry.filter(alert_id=quiet, kind="RESOLVED").values_list("text", flat=True)
    assert text == "Resolved by an event via auto-resolution (10 min without a new event)"

    assert await auto_resolve_tick(t0 + timedelta(minutes=14, seconds=59)) == 0
    assert await auto_resolve_tick(t0 + timedelta(minutes=15)) == 1
    assert (await Alert.get(id=noisy)).status is AlertStatus.RESOLVED
    # Resolved alerts stay resolved; a new event opens a new alert, quiet for its own timeout.
    again = await fire(source, "quiet", t0 + timedelta(minutes=16))
    assert again != quiet
    assert await auto_resolve_tick(t0 + timedelta(minutes=20)) == 0
    assert (await Alert.get(id=never)).status is AlertStatus.PENDING


async def test_low_alerts_are_raised_to_high_and_page_when_support_hours_start(db: str) -> None:
    org = await seed_org()
    source = await office_hours_source(org, PriorityRule.HIGH_DURING_SUPPORT_HOURS, auto_raise=True)
    # Until phase 2 the intake takes the event's priority: a LOW alert, as out of hours.
    alert_id = await fire(source, "disk", MONDAY_EARLY, Priority.LOW)
    accepted_id = await fire(source, "cpu", MONDAY_EARLY, Priority.LOW)
    await ingest_event(source, EventInput("ACCEPT", alert_key="cpu"), MONDAY_EARLY)
    pages = await Notification.filter(alert_id=alert_id).values_list("user_id", "channel")
    assert pages == [(org.alice_id, Channel.PUSH)]  # Alice's LOW rule: one push, no escalation

    assert await auto_raise_tick(SUPPORT_STARTS - timedelta(seconds=1)) == 0
    assert await auto_raise_tick(SUPPORT_STARTS) == 1
    alert = await Alert.get(id=alert_id)
    assert alert.priority is Priority.HIGH and alert.status is AlertStatus.PENDING
    assert alert.next_escalation_at == SUPPORT_STARTS + timedelta(minutes=5)
    assert (await Alert.get(id=accepted_id)).priority is Priority.LOW  # only pending alerts are raised
    raised = await AlertLogEntry.filter(alert_id=alert_id, kind="PRIORITY_RAISED").values_list("text", flat=True)
    assert raised == ["Priority raised to HIGH: support hours started"]
    high_pages = await Notification.filter(alert_id=alert_id, created_at=SUPPORT_STARTS).values_list("user_id", "channel")
    assert high_pages == [(org.alice_id, Channel.PUSH)]  # Alice's HIGH push (SMS and voice: no verified number)
    assert await auto_raise_tick(SUPPORT_STARTS + timedelta(minutes=1)) == 0  # raised once

    # And it escalates like any HIGH alert: level 2 (Bob) after level 1's timeout.
    assert await tick(SUPPORT_STARTS + timedelta(minutes=5)) == 1
    assert await Notification.filter(alert_id=alert_id, user_id=org.bob_id).exists()


async def test_low_during_support_hours_raises_when_support_hours_end(db: str) -> None:
    org = await seed_org()
    source = await office_hours_source(org, PriorityRule.LOW_DURING_SUPPORT_HOURS, auto_raise=True)
    alert_id = await fire(source, "disk", SUPPORT_STARTS, Priority.LOW)
    assert await auto_raise_tick(SUPPORT_STARTS + timedelta(hours=8, seconds=-1)) == 0
    assert await auto_raise_tick(SUPPORT_STARTS + timedelta(hours=8)) == 1
    texts = await AlertLogEntry.filter(alert_id=alert_id, kind="PRIORITY_RAISED").values_list("text", flat=True)
    assert texts == ["Priority raised to HIGH: support hours ended"]


async def test_without_auto_raise_low_alerts_stay_low(db: str) -> None:
    org = await seed_org()
    source = await office_hours_source(org, PriorityRule.HIGH_DURING_SUPPORT_HOURS, auto_raise=False)
    alert_id = await fire(source, "disk", MONDAY_EARLY, Priority.LOW)
    assert await auto_raise_tick(SUPPORT_STARTS) == 0
    assert (await Alert.get(id=alert_id)).priority is Priority.LOW
