"""Retention: rows past their keeping time go in small batches, nothing younger and nothing of an
open alert is touched, the deletions are counted on /metrics, and the sweeper keeps paging on
time while it deletes. Alerts are made by the engine (an event, the page delivered by a sweep,
a resolve) at times long before ``T0``; every run is given ``now`` explicitly."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from pydantic import ValidationError
from starlette.applications import Starlette
from tortoise import fields

from pagerline.api import health
from pagerline.engine.alerts.transitions import accept_alert, resolve_alert
from pagerline.engine.retention import ALERT_PARTS, Retention, RetentionPolicy, RetentionReport, run_retention
from pagerline.engine.sources.intake import EventInput, ingest_event
from pagerline.engine.sources.lookup import find_source_by_key
from pagerline.engine.sweeper import sweep_once
from pagerline.models import (
    ActionDeliveryStatus,
    ActionToken,
    Alert,
    AlertAction,
    AlertActionDelivery,
    AlertActionKind,
    AlertLogEntry,
    Channel,
    DroppedEvent,
    DropReason,
    Notification,
    NotificationKind,
    RetentionTotal,
    NotificationStatus,
)
from pagerline.settings import Settings, describe_invalid
from tests.support.queries import count_statements
from tests.support.seed import Org, seed_org
from tests.support.transports import ScriptedTransport, ctx

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
TABLES = ("alerts", "alert_log_entries", "notifications", "action_tokens", "alert_action_deliveries", "dropped_events")


async def history(org: Org, key: str, opened: datetime, resolved: datetime | None = None, accepted: datetime | None = None) -> int:
    """An alert as the engine makes it: opened by an event, its page delivered by the sweep of
    that moment (which issues an action token), a webhook delivery logged, then maybe accepted
    and resolved (the notices of that sent too). Returns its id."""
    source = await find_source_by_key(org.api_key)
    assert source is not None
    result = await ingest_event(source, EventInput("ALERT", summary=f"{key} down", alert_key=key), opened)
    assert result.alert_id is not None
    await sweep_once(opened, ctx(ScriptedTransport()))
    action = await AlertAction.get_or_none(name="Ticketing") or await AlertAction.create(
        name="Ticketing", source_id=org.api_source_id, kind=AlertActionKind.WEBHOOK, url="https://tickets.test/hook"
    )
    await AlertActionDelivery.create(
        action=action, alert_id=result.alert_id, trigger="ALERT_CREATED", dedup_key=f"{action.id}:{result.alert_id}:created",
        status=ActionDeliveryStatus.DELIVERED, next_attempt_at=opened, created_at=opened, delivered_at=opened,
    )
    if accepted is not None:
        await accept_alert(result.alert_id, org.alice_id, accepted)
    if resolved is not None:
        await resolve_alert(result.alert_id, org.alice_id, resolved)
        await sweep_once(resolved, ctx(ScriptedTransport()))  # the "resolved" notices go out
    return result.alert_id


async def info_notification(org: Org, name: str, due: datetime, status: NotificationStatus) -> int:
    """A notification of no alert, as reminders and on-call changes make them."""
    row = await Notification.create(
        dedup_key=f"info:{name}", user_id=org.alice_id, kind=NotificationKind.INFO, channel=Channel.PUSH, status=status,
        due_at=due, title="Your shift starts soon", body=name, created_at=due,
    )
    return int(row.id)


async def dropped_event(org: Org, at: datetime) -> int:
    row = await DroppedEvent.create(source_id=org.api_source_id, reason=DropReason.FILTERED, event_type="ALERT", summary="noise", at=at)
    return int(row.id)


async def everything() -> dict[str, set[object]]:
    """The key of every row of every table retention deletes from."""
    return {
        "alerts": set(await Alert.all().values_list("id", flat=True)),
        "alert_log_entries": set(await AlertLogEntry.all().values_list("id", flat=True)),
        "notifications": set(await Notification.all().values_list("id", flat=True)),
        "action_tokens": set(await ActionToken.all().values_list("nonce", flat=True)),
        "alert_action_deliveries": set(await AlertActionDelivery.all().values_list("id", flat=True)),
        "dropped_events": set(await DroppedEvent.all().values_list("id", flat=True)),
    }


async def parts_of(alert_ids: list[int]) -> dict[str, set[object]]:
    """The rows that belong to these alerts, by table (the alerts' own rows included)."""
    return {
        "alerts": set(alert_ids),
        "alert_log_entries": set(await AlertLogEntry.filter(alert_id__in=alert_ids).values_list("id", flat=True)),
        "notifications": set(await Notification.filter(alert_id__in=alert_ids).values_list("id", flat=True)),
        "action_tokens": set(await ActionToken.filter(alert_id__in=alert_ids).values_list("nonce", flat=True)),
        "alert_action_deliveries": set(await AlertActionDelivery.filter(alert_id__in=alert_ids).values_list("id", flat=True)),
    }


async def deleted_total(table: str) -> int:
    """The all-time count /metrics shows, kept in the database by the job's own batches."""
    row = await RetentionTotal.get_or_none(table_name=table)
    return row.deleted_rows if row else 0


async def run_until_done(now: datetime, policy: RetentionPolicy) -> RetentionReport:
    """Runs until one finds nothing left; the reports added up."""
    total = RetentionReport()
    for _ in range(100):
        report = await run_retention(now, policy)
        total.deleted.update(report.deleted)
        total.batches += report.batches
        if not report.deleted:
            return total
    raise AssertionError("retention never finished")


async def due_rows(policy: RetentionPolicy, now: datetime) -> dict[str, set[object]]:
    """What the policy says must go at ``now``: each part table's rows of the alerts resolved
    before its own limit, the alerts resolved before theirs."""
    days = {"alert_log_entries": policy.timeline_days, "notifications": policy.notification_days,
            "action_tokens": policy.action_token_days, "alert_action_deliveries": policy.action_delivery_days}
    due = {"alerts": set(await Alert.filter(resolved_at__lt=now - policy.alert_days * DAY).values_list("id", flat=True))}
    for table, limit in days.items():
        alert_ids = list(await Alert.filter(resolved_at__lt=now - policy.part_days(limit) * DAY).values_list("id", flat=True))
        due[table] = (await parts_of(alert_ids))[table]
    return due


async def test_old_resolved_alerts_go_in_batches_and_nothing_younger_or_open_is_touched(db: str) -> None:
    org = await seed_org(level1_timeout=5)
    # In the order they happened. Open for 700 days, resolved 10 days ago: its timeline stays.
    long_lived = await history(org, "long-lived", T0 - 700 * DAY)
    # Open for 600 days, pending or accepted: never touched, nor anything of theirs.
    pending = await history(org, "pending", T0 - 600 * DAY)
    accepted = await history(org, "accepted", T0 - 600 * DAY, accepted=T0 - 599 * DAY)
    # Resolved 499 and 401 days before T0: past the 400 days.
    old = [await history(org, f"old-{n}", T0 - 500 * DAY, resolved=T0 - 499 * DAY) for n in range(4)]
    old.append(await history(org, "just-past", T0 - 402 * DAY, resolved=T0 - 401 * DAY))
    young = [await history(org, f"young-{n}", T0 - 100 * DAY, resolved=T0 - 99 * DAY) for n in range(2)]
    await resolve_alert(long_lived, org.alice_id, T0 - 10 * DAY)
    old_info = await info_notification(org, "old-sent", T0 - 500 * DAY, NotificationStatus.SENT)
    await info_notification(org, "old-pending", T0 - 500 * DAY, NotificationStatus.PENDING)  # unfinished: stays
    await info_notification(org, "young-sent", T0 - 10 * DAY, NotificationStatus.SENT)
    old_drops = [await dropped_event(org, T0 - 31 * DAY) for _ in range(5)]
    await dropped_event(org, T0 - 29 * DAY)

    policy = RetentionPolicy(batch_size=3, batches_per_table=50)  # the default days
    doomed = await due_rows(policy, T0)
    doomed["notifications"].add(old_info)
    doomed["dropped_events"] = set(old_drops)
    assert doomed["alerts"] == set(old)
    assert doomed["alert_log_entries"] == (await parts_of(old))["alert_log_entries"]
    # Tokens (7 days) and webhook logs (30 days) of the young alerts go too; the open alerts' never.
    assert (await parts_of(young))["action_tokens"] <= doomed["action_tokens"]
    kept = await parts_of([pending, accepted])
    assert all(kept[t] and not kept[t] & doomed[t] for t in kept)
    before = await everything()
    counters = {t: await deleted_total(t) for t in TABLES}

    with count_statements() as statements:
        report = await run_until_done(T0, policy)

    after = await everything()
    assert after == {t: before[t] - doomed[t] for t in TABLES}
    assert report.deleted == {t: len(doomed[t]) for t in TABLES}
    for table in TABLES:
        assert await deleted_total(table) - counters[table] == len(doomed[table])
    # In batches: every DELETE names at most 3 keys, no batch deletes more than 3 rows of a table.
    deletes = [s for s in statements.statements if s.lstrip().upper().startswith("DELETE")]
    assert deletes and max(s.count("?") + len(re.findall(r"\$\d+", s)) for s in deletes) <= 3
    assert all(batch.scanned <= 3 and batch.deleted <= 3 for batch in report.batches)
    assert [b.deleted for b in report.batches if b.table == "alerts" and b.deleted] == [3, 2]  # 5 alerts, 3 at a time
    assert [b.deleted for b in report.batches if b.table == "dropped_events" and b.deleted] == [3, 2]
    # What Prometheus scrapes: the real /metrics route.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=Starlette(routes=health.routes)), base_url="http://pagerline.test") as client:
        exposition = (await client.get("/metrics")).text
    for table in TABLES:
        [shown] = re.findall(rf'^pagerline_retention_deleted_rows_total\{{table="{table}"\}} (\S+)$', exposition, re.M)
        assert int(shown) == await deleted_total(table) >= len(doomed[table])


async def test_an_alerts_parts_go_on_their_own_days_and_the_alert_stays(db: str) -> None:
    org = await seed_org(level1_timeout=5)
    trimmed = await history(org, "trimmed", T0 - 100 * DAY, resolved=T0 - 99 * DAY)
    tokens_only = await history(org, "tokens-only", T0 - 20 * DAY, resolved=T0 - 19 * DAY)
    recent = await history(org, "recent", T0 - 3 * DAY, resolved=T0 - 2 * DAY)
    still_open = await history(org, "open", T0 - 200 * DAY)
    before = await everything()
    trimmed_parts, tokens_parts = await parts_of([trimmed]), await parts_of([tokens_only])

    policy = RetentionPolicy(timeline_days=90, notification_days=90, action_token_days=7, action_delivery_days=10, batch_size=4)
    report = await run_until_done(T0, policy)

    after = await everything()
    gone = {t: trimmed_parts.get(t, set()) for t in TABLES if t != "alerts"}
    gone["action_tokens"] = gone["action_tokens"] | tokens_parts["action_tokens"]
    gone["alert_action_deliveries"] = gone["alert_action_deliveries"] | tokens_parts["alert_action_deliveries"]
    assert after == {t: before[t] - gone.get(t, set()) for t in TABLES}
    assert {trimmed, tokens_only, recent, still_open} <= after["alerts"]  # the alerts themselves stay 400 days
    assert report.deleted["alerts"] == 0 and report.deleted["alert_log_entries"] == len(trimmed_parts["alert_log_entries"])
    assert await AlertLogEntry.filter(alert_id=tokens_only).count() > 0  # 19 days: its timeline stays


async def test_the_sweeper_pages_on_time_while_it_deletes_a_little_each_run(db: str) -> None:
    org = await seed_org(level1_timeout=5)
    old = [await history(org, f"old-{n}", T0 - 500 * DAY, resolved=T0 - 499 * DAY) for n in range(3)]
    # Bulk history of those alerts: many timeline rows past their time.
    await AlertLogEntry.bulk_create(
        [AlertLogEntry(alert_id=old[n % 3], kind="COMMENT", text=f"note {n}", at=T0 - 499 * DAY) for n in range(300)]
    )
    doomed = await parts_of(old)
    total = sum(len(rows) for rows in doomed.values())
    retention = Retention(RetentionPolicy(batch_size=10, batches_per_table=2))
    most_batches = (len(ALERT_PARTS) + 3) * 2  # the parts, alerts, notifications of no alert, dropped events
    transport = ScriptedTransport()
    source = await find_source_by_key(org.api_key)
    assert source is not None
    fired = await ingest_event(source, EventInput("ALERT", summary="Checkout down", alert_key="checkout"), T0)

    def pages() -> list[tuple[int, str]]:
        return [(m.user_id, m.kind) for m in transport.sent if m.alert_id == fired.alert_id]

    first = await sweep_once(T0, ctx(transport), retention=retention)
    assert pages() == [(org.alice_id, "PAGE")]  # paged in this very sweep
    assert first.retention is not None and 0 < len(first.retention.batches) <= most_batches
    assert all(batch.deleted <= 10 for batch in first.retention.batches)
    assert sum(first.retention.deleted.values()) < total  # a little, not everything

    assert (await sweep_once(T0 + timedelta(seconds=30), ctx(transport), retention=retention)).retention is None  # once a minute

    # Level 2 falls due at +5 min: Bob is paged by the sweep of that moment, retention or not.
    due = T0 + timedelta(minutes=5)
    second = await sweep_once(due, ctx(transport), retention=retention)
    assert pages() == [(org.alice_id, "PAGE"), (org.bob_id, "PAGE")]
    [bobs] = await Notification.filter(alert_id=fired.alert_id, user_id=org.bob_id, kind=NotificationKind.PAGE)
    assert bobs.status is NotificationStatus.SENT and bobs.sent_at == due
    assert second.retention is not None and len(second.retention.batches) <= most_batches

    deleted = sum(first.retention.deleted.values()) + sum(second.retention.deleted.values())
    now = due
    for _ in range(60):
        now += timedelta(minutes=1)
        report = (await sweep_once(now, ctx(transport), retention=retention)).retention
        assert report is not None and len(report.batches) <= most_batches
        deleted += sum(report.deleted.values())
        if not report.deleted:
            break
    assert deleted == total and not await Alert.filter(id__in=old).exists()
    assert await Alert.filter(id=fired.alert_id).exists()


async def test_two_runs_at_once_share_the_work_and_count_each_row_once(db: str) -> None:
    org = await seed_org(level1_timeout=5)
    old = [await history(org, f"old-{n}", T0 - 500 * DAY, resolved=T0 - 499 * DAY) for n in range(6)]
    keep = await history(org, "young", T0 - 10 * DAY, resolved=T0 - 9 * DAY)  # loses its tokens only
    policy = RetentionPolicy(batch_size=2, batches_per_table=3)
    doomed = await due_rows(policy, T0)
    assert doomed["alerts"] == set(old)
    before = await everything()

    totals: Counter[str] = Counter()
    for _ in range(30):
        reports = await asyncio.gather(run_retention(T0, policy), run_retention(T0, policy))
        for report in reports:
            totals.update(report.deleted)
        if not any(report.deleted for report in reports):
            break
    assert totals == Counter({t: len(rows) for t, rows in doomed.items() if rows})
    assert await everything() == {t: before[t] - doomed.get(t, set()) for t in TABLES}
    assert await AlertLogEntry.filter(alert_id=keep).exists()


async def test_rows_another_transaction_holds_are_passed_over_not_waited_for(db: str, backend: str) -> None:
    """What a second worker's batch (or any transaction) has locked is skipped, not waited for,
    and goes in a later run once it is free."""
    if backend != "postgres":
        pytest.skip("row locks and SKIP LOCKED exist only on PostgreSQL")
    import asyncpg

    org = await seed_org()
    old = [await history(org, f"old-{n}", T0 - 500 * DAY, resolved=T0 - 499 * DAY) for n in range(3)]
    held = old[0]
    parts = urlsplit(db)
    other = await asyncpg.connect(urlunsplit(("postgresql", parts.netloc, parts.path, "", "")))
    try:
        transaction = other.transaction()
        await transaction.start()
        await other.execute("SELECT id FROM alerts WHERE id = $1 FOR UPDATE", held)
        held_entries = {r["id"] for r in await other.fetch("SELECT id FROM alert_log_entries WHERE alert_id = $1 FOR UPDATE", held)}
        report = await run_until_done(T0, RetentionPolicy(batch_size=2))
        # A wait would have ended in a lock timeout error instead of a report.
        assert set(await Alert.filter(id__in=old).values_list("id", flat=True)) == {held}
        assert set(await AlertLogEntry.filter(alert_id__in=old).values_list("id", flat=True)) == held_entries
        assert report.deleted["alerts"] == 2
        await transaction.rollback()
    finally:
        await other.close()
    again = await run_until_done(T0, RetentionPolicy(batch_size=2))
    assert (again.deleted["alerts"], again.deleted["alert_log_entries"]) == (1, len(held_entries))
    assert not await Alert.filter(id__in=old).exists()


async def test_a_batch_of_the_largest_size_the_settings_allow_is_one_statement(db: str) -> None:
    # PAGERLINE_RETENTION_BATCH_SIZE goes up to 10,000: one DELETE with 10,000 keys, which once
    # ran out of PostgreSQL placeholders at 9,999 and failed every run.
    largest = Settings.model_fields["retention_batch_size"].metadata
    size = next(rule.le for rule in largest if hasattr(rule, "le"))
    org = await seed_org()
    await DroppedEvent.bulk_create(
        [DroppedEvent(source_id=org.api_source_id, reason=DropReason.FILTERED, event_type="ALERT", summary="noise", at=T0 - 40 * DAY)
         for _ in range(size + 1)],
        batch_size=1000,
    )
    report = await run_retention(T0, RetentionPolicy(batch_size=size, batches_per_table=1))
    assert [(b.table, b.deleted) for b in report.batches if b.deleted] == [("dropped_events", size)]
    assert await DroppedEvent.all().count() == 1


async def test_nothing_is_deleted_when_every_limit_is_off(db: str) -> None:
    org = await seed_org()
    await history(org, "ancient", T0 - 5000 * DAY, resolved=T0 - 4999 * DAY)
    await dropped_event(org, T0 - 5000 * DAY)
    before = await everything()
    off = RetentionPolicy(alert_days=0, timeline_days=0, notification_days=0, action_token_days=0, action_delivery_days=0, dropped_event_days=0)
    report = await run_retention(T0, off)
    assert report.batches == [] and await everything() == before


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"retention_timeline_days": 500}, "PAGERLINE_RETENTION_TIMELINE_DAYS=500: longer than PAGERLINE_RETENTION_ALERT_DAYS (400)"),
        ({"retention_alert_days": -1}, "PAGERLINE_RETENTION_ALERT_DAYS=-1: retention is 1 to 36500 days, or 0 for no limit"),
        ({"retention_batch_size": 5}, "PAGERLINE_RETENTION_BATCH_SIZE=5: Input should be greater than or equal to 10"),
    ],
)
def test_a_bad_retention_setting_stops_start_up_naming_the_variable(env: dict[str, int], message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**env)  # type: ignore[arg-type]
    assert message in describe_invalid(refused.value)


def test_the_settings_make_the_policy_and_zero_keeps_a_part_as_long_as_its_alert() -> None:
    policy = RetentionPolicy.from_settings(Settings(retention_alert_days=0, retention_timeline_days=900, retention_batch_size=50))
    assert (policy.alert_days, policy.timeline_days, policy.batch_size) == (0, 900, 50)
    assert policy.part_days(900) == 900 and policy.part_days(0) == 0
    defaults = RetentionPolicy.from_settings(Settings())
    assert defaults == RetentionPolicy() and defaults.part_days(0) == 400 and defaults.part_days(7) == 7


async def test_every_table_whose_rows_cascade_from_an_alert_is_one_of_its_parts(db: str) -> None:
    """An alert is deleted once its parts are gone: a new table that cascades from alerts and
    is not a part would be deleted with it, uncounted and in one unbounded cascade."""
    cascading = set()
    for name in Alert._meta.backward_fk_fields:
        model = Alert._meta.fields_map[name].related_model
        forward = [f for f in model._meta.fk_fields if model._meta.fields_map[f].related_model is Alert]
        if any(model._meta.fields_map[f].on_delete == fields.CASCADE for f in forward):
            cascading.add(model._meta.db_table)
    assert cascading == {part.table for part in ALERT_PARTS}
