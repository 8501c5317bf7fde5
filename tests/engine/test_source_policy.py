"""Source policy decisions against a real database: each grouping mode with time moved by
``now``, maintenance windows, event filters, support-hours priority, and saving settings (bad
ones are refused and change nothing).

The ingest path does not call :func:`admit` yet (phase 2 wires it in), so the grouping tests
open alerts with the key :func:`grouping_key` chose, the way the intake will, and move them
through the real accept and resolve transitions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pagerline.engine.alerts.transitions import accept_alert, resolve_alert, event_counts
from pagerline.engine.core.errors import BadInput
from pagerline.engine.sources.intake import EventInput, ingest_event
from pagerline.engine.sources.policy import admit, find_open_alert, in_maintenance, load_policy, open_key_for
from pagerline.engine.sources.settings import (
    PolicyChanges,
    TemplateInvalid,
    create_maintenance_window,
    create_support_hours,
    end_maintenance_window,
    update_source_policy,
)
from pagerline.engine.sources.lookup import SourceInfo
from pagerline.models import Alert, AlertCreation, AlertLogEntry, AlertSource, DroppedEvent, Notification, Priority, PriorityRule
from tests.support.seed import Org, api_source, seed_org

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # a Monday, 09:00 in Berlin


async def joins(source: SourceInfo, alert_key: str, now: datetime) -> int:
    """The alert an ALERT event with ``alert_key`` joins at ``now``, through the real intake
    (opening one when no open alert holds its grouping key)."""
    result = await ingest_event(source, EventInput("ALERT", summary=f"event {alert_key}", alert_key=alert_key), now)
    assert result.alert_id is not None, result
    return result.alert_id


async def set_mode(org: Org, mode: AlertCreation, window: int | None = None) -> SourceInfo:
    changes = PolicyChanges(alert_creation=mode) if window is None else PolicyChanges(alert_creation=mode, alert_grouping_window_sec=window)
    await update_source_policy(org.api_source_id, changes)
    return await api_source(org)


async def grouped_then_accepted(org: Org, mode: AlertCreation) -> tuple[SourceInfo, int]:
    """The API source in ``mode``, whose first alert ("disk" at T0) took an event with another
    key a minute later and was then accepted (T0 + 2 min); returns the source and that alert."""
    source = await set_mode(org, mode)
    first = await joins(source, "disk", T0)
    assert await joins(source, "cpu", T0 + timedelta(minutes=1)) == first
    await accept_alert(first, org.alice_id, T0 + timedelta(minutes=2))
    return source, first


async def test_one_alert_per_key_groups_by_key_case_insensitively(db: str) -> None:
    org = await seed_org()
    source = await api_source(org)
    first = await joins(source, "Disk-DB-1", T0)
    assert await joins(source, "disk-db-1", T0 + timedelta(hours=5)) == first
    assert await joins(source, "cpu", T0) != first
    await resolve_alert(first, None, T0)
    assert await joins(source, "disk-db-1", T0 + timedelta(hours=6)) != first


async def test_one_open_alert_takes_every_event_until_resolved(db: str) -> None:
    org = await seed_org()
    source, first = await grouped_then_accepted(org, AlertCreation.ONE_OPEN_ALERT)
    assert await joins(source, "memory", T0 + timedelta(minutes=3)) == first  # accepted is still open
    # The grouped events are on the grouping alert's timeline, with their own summaries.
    assert (await event_counts([first]))[first] == 3
    texts = await AlertLogEntry.filter(alert_id=first, kind="EVENT").order_by("id").values_list("text", flat=True)
    assert [t.rsplit(": ", 1)[1] for t in texts] == ["event cpu", "event memory"]
    await resolve_alert(first, org.alice_id, T0 + timedelta(minutes=4))
    second = await joins(source, "disk", T0 + timedelta(minutes=5))
    assert second != first
    assert await joins(source, "other", T0 + timedelta(days=2)) == second


async def test_one_pending_alert_opens_a_new_alert_once_the_pending_one_is_accepted(db: str) -> None:
    org = await seed_org()
    source, first = await grouped_then_accepted(org, AlertCreation.ONE_PENDING_ALERT)
    second = await joins(source, "cpu", T0 + timedelta(minutes=3))
    assert second != first
    assert await joins(source, "x", T0 + timedelta(minutes=4)) == second
    # Both open; concurrent events agree on the same key while the second stays pending.
    policy = await load_policy(source.id)
    keys = {await open_key_for(policy, k, T0 + timedelta(minutes=5)) for k in ("a", "b", "c")}
    assert keys == {(await Alert.get(id=second)).open_key}
    await accept_alert(second, org.alice_id, T0 + timedelta(minutes=6))
    await resolve_alert(first, org.alice_id, T0 + timedelta(minutes=7))
    third = await joins(source, "y", T0 + timedelta(minutes=8))
    assert third not in (first, second)
    # An accepted alert sent back to pending collects events again (the newest pending wins).
    assert await joins(source, "z", T0 + timedelta(minutes=9)) == third


async def test_one_alert_per_window_groups_from_the_first_event(db: str) -> None:
    org = await seed_org()
    source = await set_mode(org, AlertCreation.ONE_ALERT_GROUPED_PER_WINDOW, window=300)
    first = await joins(source, "disk", T0)
    assert await joins(source, "cpu", T0 + timedelta(seconds=299)) == first
    second = await joins(source, "cpu", T0 + timedelta(seconds=300))
    assert second != first
    assert await joins(source, "disk", T0 + timedelta(seconds=599)) == second
    third = await joins(source, "disk", T0 + timedelta(seconds=600))
    assert third not in (first, second)
    # Resolving the newest opens a fresh one with the next event, even inside its window.
    await resolve_alert(third, None, T0 + timedelta(seconds=601))
    assert await joins(source, "disk", T0 + timedelta(seconds=602)) not in (first, second, third)


async def test_actions_by_key_find_the_alert_opened_with_that_key_in_grouped_modes(db: str) -> None:
    org = await seed_org()
    source = await set_mode(org, AlertCreation.ONE_OPEN_ALERT)
    first = await joins(source, "Disk-1", T0)
    await joins(source, "cpu", T0)
    policy = await load_policy(source.id)
    assert await find_open_alert(policy, "disk-1") == first
    assert await find_open_alert(policy, "cpu") is None  # it joined; the alert keeps its first key
    await resolve_alert(first, None, T0)
    assert await find_open_alert(policy, "disk-1") is None
    per_key = await seed_org(team="Web")
    web = await api_source(per_key)
    opened = await joins(web, "API-5xx", T0)
    assert await find_open_alert(await load_policy(web.id), "api-5XX") == opened


async def test_a_maintenance_window_swallows_events_and_keeps_them_visible(db: str) -> None:
    org = await seed_org()
    source = await api_source(org)
    event = EventInput("ALERT", summary="Disk full", alert_key="disk", labels={"env": "prod"})
    window = await create_maintenance_window("DB upgrade", T0 + timedelta(minutes=10), T0 + timedelta(hours=1), [source.id])
    assert await in_maintenance(source.id, T0 + timedelta(minutes=9)) is None
    during = await ingest_event(source, event, T0 + timedelta(minutes=30))
    assert (during.response_code, during.alert_id) == ("SOURCE_IN_MAINTENANCE", None)
    assert not await Alert.filter(source_id=source.id).exists() and not await Notification.all().exists()
    [dropped] = await DroppedEvent.filter(source_id=source.id)
    assert (dropped.reason, dropped.maintenance_window_id, dropped.summary, dropped.alert_key) == ("MAINTENANCE", window.id, "Disk full", "disk")
    assert dropped.event["labels"] == {"env": "prod"}
    # The same event once the window is over (the end is exclusive) opens an alert and pages.
    after = await ingest_event(source, event, T0 + timedelta(hours=1))
    assert after.response_code == "NEW_ALERT_CREATED"
    assert await Notification.filter(alert_id=after.alert_id, kind="PAGE").exists()
    # Ending it early takes effect at once; other sources were never affected.
    await end_maintenance_window(window.id, T0 + timedelta(minutes=40))
    assert await in_maintenance(source.id, T0 + timedelta(minutes=45)) is None
    other = await seed_org(team="Web")
    assert await in_maintenance(other.api_source_id, T0 + timedelta(minutes=30)) is None


async def test_the_event_filter_keeps_matching_events_and_records_the_rest(db: str) -> None:
    org = await seed_org()
    await update_source_policy(
        org.api_source_id,
        PolicyChanges(event_filter={"and": [{"field": "labels.env", "op": "eq", "value": "prod"}, {"not": {"field": "summary", "op": "contains", "value": "test", "ignoreCase": True}}]}),
    )
    source = await api_source(org)
    kept = await admit(source, EventInput("ALERT", summary="Disk full", labels={"env": "prod"}), "k1", T0)
    assert kept.dropped is None and kept.open_key == f"{source.id}:k1"
    staging = await admit(source, EventInput("ALERT", summary="Disk full", labels={"env": "staging"}), "k2", T0)
    test_run = await admit(source, EventInput("ALERT", summary="TEST alert", labels={"env": "prod"}), "k3", T0)
    assert staging.dropped == test_run.dropped == "FILTERED"
    assert await DroppedEvent.filter(source_id=source.id, reason="FILTERED").count() == 2
    # Through the intake: the filtered event is answered, recorded and pages no one.
    filtered = await ingest_event(source, EventInput("ALERT", summary="Disk full", alert_key="k2", labels={"env": "dev"}), T0)
    assert (filtered.response_code, filtered.alert_id) == ("EVENT_FILTERED", None)
    assert await DroppedEvent.filter(source_id=source.id, reason="FILTERED").count() == 3
    assert not await Alert.filter(source_id=source.id).exists()


async def test_priority_follows_the_rule_and_support_hours(db: str) -> None:
    org = await seed_org()
    source = await api_source(org)
    assert (await admit(source, EventInput("ALERT", summary="x", priority=Priority.LOW), "a", T0)).priority is Priority.LOW
    assert (await admit(source, EventInput("ALERT", summary="x"), "a", T0)).priority is Priority.HIGH
    hours = await create_support_hours(
        "Office", "Europe/Berlin", [{"day": d, "start": "09:00", "end": "17:00"} for d in ("MONDAY", "TUESDAY")]
    )
    await update_source_policy(
        org.api_source_id, PolicyChanges(priority_rule=PriorityRule.HIGH_DURING_SUPPORT_HOURS, support_hours_id=hours.id)
    )
    source = await api_source(org)
    low_asked = EventInput("ALERT", summary="x", priority=Priority.LOW)
    high_asked = EventInput("ALERT", summary="x", priority=Priority.HIGH)
    assert (await admit(source, low_asked, "a", T0)).priority is Priority.HIGH  # Monday 09:00 Berlin
    assert (await admit(source, high_asked, "a", T0 - timedelta(seconds=1))).priority is Priority.LOW
    await update_source_policy(org.api_source_id, PolicyChanges(priority_rule=PriorityRule.LOW))
    source = await api_source(org)
    assert (await admit(source, high_asked, "a", T0)).priority is Priority.LOW
    assert source.default_priority is Priority.LOW  # kept in step for code that reads only it


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        (PolicyChanges(alert_grouping_window_sec=60), "between 120 and 86400"),
        (PolicyChanges(alert_grouping_window_sec=86_401), "between 120 and 86400"),
        (PolicyChanges(auto_resolution_timeout_sec=10), "autoResolutionTimeoutSec"),
        (PolicyChanges(priority_rule=PriorityRule.LOW_DURING_SUPPORT_HOURS), "needs support hours"),
        (PolicyChanges(support_hours_id=999_999), "not found"),
        (PolicyChanges(event_filter={"field": "nope", "op": "eq", "value": 1}), "eventFilter $.field"),
        (PolicyChanges(alert_creation=AlertCreation.ONE_OPEN_ALERT, event_filter={"or": []}), "eventFilter $.or"),
    ],
)
async def test_bad_settings_are_refused_and_change_nothing(db: str, changes: PolicyChanges, says: str) -> None:
    org = await seed_org()
    before = await AlertSource.get(id=org.api_source_id)
    with pytest.raises(BadInput, match=says.replace("$", r"\$")):
        await update_source_policy(org.api_source_id, changes)
    after = await AlertSource.get(id=org.api_source_id)
    assert (after.alert_creation, after.event_filter, after.priority_rule, after.alert_grouping_window_sec) == (
        before.alert_creation, before.event_filter, before.priority_rule, before.alert_grouping_window_sec,
    )


async def test_bad_templates_are_refused_with_field_line_and_column(db: str) -> None:
    org = await seed_org()
    with pytest.raises(TemplateInvalid) as caught:
        await update_source_policy(org.api_source_id, PolicyChanges(templates={"summary": "{{ title }}", "details": "ok\n{{#each x}}"}))
    assert (caught.value.field, caught.value.line, caught.value.column) == ("details", 2, 1)
    assert (await AlertSource.get(id=org.api_source_id)).templates is None


async def test_bad_support_hours_and_maintenance_windows_are_refused(db: str) -> None:
    org = await seed_org()
    with pytest.raises(BadInput, match="weekly\\[0\\].end"):
        await create_support_hours("Office", "UTC", [{"day": "MONDAY", "start": "17:00", "end": "09:00"}])
    with pytest.raises(BadInput, match="after start"):
        await create_maintenance_window("x", T0, T0, [org.api_source_id])
    with pytest.raises(BadInput, match="do not exist"):
        await create_maintenance_window("x", T0, T0 + timedelta(hours=1), [org.api_source_id, 999_999])
