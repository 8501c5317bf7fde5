"""Event semantics (ilert's): event types, generated keys, priority rules, routing keys, and two
workers ticking at once without double-processing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from pagerline.engine.alerts.escalation import tick
from pagerline.engine.sources.intake import EventInput, ingest_event
from pagerline.engine.sources.policy import clear_policy_cache
from pagerline.engine.sources.lookup import SourceInfo, clear_cache, find_source_by_key
from pagerline.models import Alert, AlertLogEntry, AlertSource, AlertStatus, EscalationPolicy, EscalationRule, Notification, Priority, User
from tests.support.seed import Org, seed_org

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


async def source_of(org: Org) -> SourceInfo:
    source = await find_source_by_key(org.api_key)
    assert source is not None
    return source


async def test_event_types_act_on_the_open_alert_with_that_key(db: str) -> None:
    org = await seed_org()
    source = await source_of(org)
    opened = await ingest_event(source, EventInput("ALERT", summary="API errors", alert_key="api-5xx"), T0)
    assert opened.response_code == "NEW_ALERT_CREATED"
    comment = await ingest_event(
        source, EventInput("COMMENT", alert_key="API-5XX", comments=[("deploy-bot", "rolled back v42")]), T0 + timedelta(seconds=5)
    )
    assert (comment.response_code, comment.alert_id) == ("COMMENT_ADDED", opened.alert_id)
    accepted = await ingest_event(source, EventInput("ACCEPT", alert_key="api-5xx"), T0 + timedelta(seconds=10))
    assert accepted.response_code == "ALERT_ACCEPTED"
    again = await ingest_event(source, EventInput("ALERT", summary="API errors", alert_key="api-5xx"), T0 + timedelta(seconds=15))
    assert again.response_code == "EVENT_ADDED_TO_ALERT"
    alert = await Alert.get(id=opened.alert_id)
    assert alert.status is AlertStatus.ACCEPTED  # an event on an accepted alert does not re-page
    resolved = await ingest_event(source, EventInput("RESOLVE", alert_key="api-5xx"), T0 + timedelta(seconds=20))
    assert resolved.response_code == "ALERT_RESOLVED"
    nothing = await ingest_event(source, EventInput("RESOLVE", alert_key="api-5xx"), T0 + timedelta(seconds=25))
    assert (nothing.response_code, nothing.alert_id) == ("NO_OPEN_ALERT", None)
    texts = await AlertLogEntry.filter(alert_id=opened.alert_id).order_by("id").values_list("kind", "text")
    assert ("COMMENT", "deploy-bot: rolled back v42") in texts
    assert ("ACCEPTED", "Accepted by an event via API") in texts
    assert texts[-1] == ("RESOLVED", "Resolved by an event via API")


async def test_a_key_is_generated_when_none_is_given(db: str) -> None:
    org = await seed_org()
    source = await source_of(org)
    first = await ingest_event(source, EventInput("ALERT", summary="one"), T0)
    second = await ingest_event(source, EventInput("ALERT", summary="one"), T0)
    assert len(first.alert_key) == 32 and first.alert_key != second.alert_key
    assert first.alert_id != second.alert_id


async def test_event_priority_wins_unless_the_source_is_fixed_to_low(db: str) -> None:
    org = await seed_org()
    source = await source_of(org)
    low = await ingest_event(source, EventInput("ALERT", summary="x", alert_key="a", priority=Priority.LOW), T0)
    default = await ingest_event(source, EventInput("ALERT", summary="x", alert_key="b"), T0)
    assert (await Alert.get(id=low.alert_id)).priority is Priority.LOW
    assert (await Alert.get(id=default.alert_id)).priority is Priority.HIGH
    await AlertSource.filter(id=org.api_source_id).update(default_priority=Priority.LOW)
    clear_cache()
    clear_policy_cache()  # what the admin mutations do after a change
    fixed_low = await source_of(org)
    assert fixed_low.default_priority is Priority.LOW
    raised = await ingest_event(fixed_low, EventInput("ALERT", summary="x", alert_key="c", priority=Priority.HIGH), T0)
    assert (await Alert.get(id=raised.alert_id)).priority is Priority.LOW


async def test_routing_key_picks_the_policy_and_an_unknown_one_falls_back(db: str) -> None:
    org = await seed_org()
    source = await source_of(org)
    night = await EscalationPolicy.create(name="Night shift", routing_key="night")
    rule = await EscalationRule.create(policy=night, position=0, timeout_minutes=15)
    await rule.users.add(await User.get(id=org.bob_id))
    routed = await ingest_event(source, EventInput("ALERT", summary="x", alert_key="r1", routing_key="night"), T0)
    alert = await Alert.get(id=routed.alert_id)
    assert alert.policy_id == night.id  # type: ignore[attr-defined]
    assert await Notification.filter(alert_id=alert.id).values_list("user_id", flat=True) == [org.bob_id]
    entry = await AlertLogEntry.get(alert_id=alert.id, kind="ROUTED")
    assert entry.text == "Routed by routing key 'night' to policy 'Night shift'"

    fallback = await ingest_event(source, EventInput("ALERT", summary="x", alert_key="r2", routing_key="nope"), T0)
    alert = await Alert.get(id=fallback.alert_id)
    assert alert.policy_id == org.policy_id  # type: ignore[attr-defined]
    entry = await AlertLogEntry.get(alert_id=alert.id, kind="ROUTED")
    assert entry.text == "No escalation policy has routing key 'nope'; using the source's policy"


async def test_two_ticks_at_once_escalate_each_alert_exactly_once(db: str) -> None:
    org = await seed_org()
    source = await source_of(org)
    ids = [(await ingest_event(source, EventInput("ALERT", summary="x", alert_key=f"k{i}"), T0)).alert_id for i in range(20)]
    later = T0 + timedelta(minutes=5)
    moved = await asyncio.gather(tick(later, batch_size=7), tick(later, batch_size=7), tick(later, batch_size=7))
    assert sum(moved) == 20
    for alert_id in ids:
        level2 = await Notification.filter(alert_id=alert_id, escalation_rule_index=1).count()
        assert level2 == 1
        assert await AlertLogEntry.filter(alert_id=alert_id, kind="ESCALATED").count() == 1
