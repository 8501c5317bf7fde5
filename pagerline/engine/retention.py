"""Retention: deleting what is past its keeping time, a little at a time.

Nothing else in pagerline removes rows, so without this job a busy team's database grows by
millions of rows a year. :meth:`Retention.tick` is the entry point; the sweeper calls it after
its deliveries with the sweep's ``now``, and it works at most once per
:attr:`RetentionPolicy.interval` in each process.

What goes, and when (the days come from ``PAGERLINE_RETENTION_*``; 0 is "no limit"):

- the timeline entries, notifications, action tokens and alert-action deliveries of a resolved
  alert, each after its own days counted from the alert's resolution, and never later than the
  alert itself. An alert's parts go whole: a timeline is kept or gone, never half-trimmed;
- a resolved alert, ``alert_days`` after it was resolved, once its parts are gone (they go
  first, in their own batches, so deleting an alert never cascades into thousands of rows);
- notifications of no alert (reminders, on-call changes, coverage requests) once finished and
  ``notification_days`` past due, and dropped events ``dropped_event_days`` after they came in;
- the records of requests to the Opsgenie-compatible Alert API (what ``GET
  /v2/alerts/requests/{id}`` answers) ``dropped_event_days`` after they came in too: like dropped
  events, they say what happened to what a sender posted, and a sender asks about a request
  within moments of making it.

An open (pending or accepted) alert and everything belonging to it is never touched, however old.

Why it never holds up a page:

- every batch is its own short transaction: select at most ``batch_size`` keys in the order of
  an index, then ``DELETE … WHERE key IN (…)``; on PostgreSQL the select takes row locks with
  ``SKIP LOCKED`` (two workers share the work instead of waiting on each other) and the
  transaction gives up on any lock it would wait more than :data:`LOCK_TIMEOUT` for;
- a run does at most ``batches_per_table`` batches per table, so a backlog (retention switched on
  over years of data) drains over many runs instead of one long one.

How each table is walked, so that a batch reads little more than it deletes:

- dropped events by ``at`` and intake requests by ``created_at``, oldest first; notifications
  of no alert by ``due_at``, once the notifications of alerts past the same cutoff are gone (the
  walk passes over those left);
- an alert's parts by their ``alert_id`` index, each row's alert looked up, from the lowest alert id
  to the highest an alert resolved before the cutoff can have (alert ids grow with creation, see
  :func:`_walk_bound`). Deleted rows have left the index, so a walk starts at the oldest row
  still there; the rows of alerts that are not due (still open, or resolved later) are passed
  over inside the database;
- alerts by ``resolved_at``, oldest first, passing over those that still have parts.

Alerts whose ids do not follow their creation times (made by an import after younger ones)
may keep their parts, and so their rows, past the limit until the alerts created after them
reach it too.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from pagerline.engine.core import sql
from pagerline.engine.core.sql_dialect import in_list
from pagerline.models import Alert, AlertStatus, DroppedEvent, IntakeRequest, Notification, NotificationStatus
from pagerline.settings import Settings

log = logging.getLogger(__name__)

#: On PostgreSQL a batch gives up rather than wait longer than this for a row lock: whatever
#: holds it is live work, and the rows will still be there next run.
LOCK_TIMEOUT = "1s"
FINISHED = tuple(
    s.value for s in (NotificationStatus.SENT, NotificationStatus.FAILED, NotificationStatus.SKIPPED, NotificationStatus.SUPPRESSED)
)


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long each kind of row is kept, in days (0: no limit of its own), and how much one run
    may do. The defaults are the settings' defaults."""

    alert_days: int = 400
    timeline_days: int = 400
    notification_days: int = 400
    action_token_days: int = 7
    action_delivery_days: int = 30
    dropped_event_days: int = 30
    batch_size: int = 500
    batches_per_table: int = 5
    interval: timedelta = timedelta(minutes=1)

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPolicy:
        return cls(
            alert_days=settings.retention_alert_days,
            timeline_days=settings.retention_timeline_days,
            notification_days=settings.retention_notification_days,
            action_token_days=settings.retention_action_token_days,
            action_delivery_days=settings.retention_action_delivery_days,
            dropped_event_days=settings.retention_dropped_event_days,
            batch_size=settings.retention_batch_size,
        )

    def part_days(self, days: int) -> int:
        """Days an alert's part is kept: its own limit, never beyond the alert's (0: no limit)."""
        limits = [d for d in (days, self.alert_days) if d]
        return min(limits) if limits else 0


@dataclass(frozen=True, slots=True)
class AlertPart:
    """A table of rows that belong to one alert each."""

    table: str
    key: str  # the primary key column
    days_field: str  # the RetentionPolicy field with its days


# Alert parts, in the order they are trimmed: every table whose rows cascade from ``alerts``. An
# alert is deleted only once none of its parts is left, so every deleted row is counted.
ALERT_PARTS: tuple[AlertPart, ...] = (
    AlertPart("alert_log_entries", "id", "timeline_days"),
    AlertPart("notifications", "id", "notification_days"),
    AlertPart("action_tokens", "nonce", "action_token_days"),
    AlertPart("alert_action_deliveries", "id", "action_delivery_days"),
    # Which chat message shows the alert: delivery records like the above, kept as long.
    AlertPart("chat_posts", "id", "action_delivery_days"),
)


@dataclass(frozen=True, slots=True)
class Batch:
    """One transaction of a run, on one table."""

    table: str
    scanned: int  # rows it looked at
    deleted: int
    seconds: float  # BEGIN to COMMIT: also the longest it held any row lock


@dataclass(slots=True)
class RetentionReport:
    """What one run deleted, per table, and its batches."""

    deleted: Counter[str] = field(default_factory=Counter)
    batches: list[Batch] = field(default_factory=list)

    def add(self, batch: Batch) -> None:
        """A committed batch (its rows are also in ``retention_totals``, see :func:`_batch`)."""
        self.batches.append(batch)
        if batch.deleted:
            self.deleted[batch.table] += batch.deleted


class Retention:
    """The retention job of one process: its policy, and when it may run next.

    Each worker process (and the embedded server) holds one; with several processes each runs
    it on its own clock and the row locks make them share the work.
    """

    def __init__(self, policy: RetentionPolicy) -> None:
        self.policy = policy
        self.next_run_at: datetime | None = None

    async def tick(self, now: datetime) -> RetentionReport | None:
        """Run if this process has not run within the interval; None when it was not time."""
        if self.next_run_at is not None and now < self.next_run_at:
            return None
        # Set before running: a run that fails (database away) waits its interval like any other.
        self.next_run_at = now + self.policy.interval
        report = await run_retention(now, self.policy)
        if report.deleted:
            log.info("retention: deleted %s in %d batches", dict(sorted(report.deleted.items())), len(report.batches))
        return report


async def run_retention(now: datetime, policy: RetentionPolicy) -> RetentionReport:
    """One bounded run: each table gets at most ``policy.batches_per_table`` batches."""
    report = RetentionReport()
    # Parts first: an alert is deleted only once its parts are gone.
    drained: dict[str, bool] = {}
    for part in ALERT_PARTS:
        days = policy.part_days(getattr(policy, part.days_field))
        drained[part.table] = await _trim_alert_part(part, now - timedelta(days=days), policy, report) if days else True
    if policy.alert_days:
        await _delete_alerts(now - timedelta(days=policy.alert_days), policy, report)
    notification_days = policy.part_days(policy.notification_days)
    if notification_days and drained["notifications"]:
        await _delete_alertless_notifications(now - timedelta(days=notification_days), policy, report)
    if policy.dropped_event_days:
        await _delete_dropped_events(now - timedelta(days=policy.dropped_event_days), policy, report)
        await _delete_intake_requests(now - timedelta(days=policy.dropped_event_days), policy, report)
    return report


# --------------------------------------------------------------------------- one batch


def _locking() -> str:
    """Row locks for the select of a batch: on PostgreSQL a concurrent run skips what this one
    holds; SQLite has one writer at a time and no row locks."""
    return " FOR UPDATE SKIP LOCKED" if sql.is_postgres() else ""


async def _short_lock_waits() -> None:
    if sql.is_postgres():
        await sql.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")


async def _delete_keys(table: str, key: str, keys: list[Any]) -> int:
    if not keys:
        return 0
    return await sql.execute(f"DELETE FROM {table} WHERE {key} IN {in_list(len(keys))}", *keys)


async def _batch(report: RetentionReport, table: str, work: Callable[[], Awaitable[tuple[list[dict[str, Any]], int]]]) -> list[dict[str, Any]]:
    """``work`` (select the keys, delete some) in a transaction of its own, recorded in the
    report once committed; returns the rows it looked at."""
    started = time.perf_counter()
    async with in_transaction():
        await _short_lock_waits()
        rows, deleted = await work()
        if deleted:
            await _count_deleted(table, deleted)
    report.add(Batch(table, len(rows), deleted, time.perf_counter() - started))
    return rows


async def _count_deleted(table: str, deleted: int) -> None:
    """Add to the table's all-time total in the batch's own transaction: exact whichever process
    ran the batch, and read by /metrics (worker processes serve none)."""
    await sql.execute(
        "INSERT INTO retention_totals (table_name, deleted_rows) VALUES (?, ?) "
        "ON CONFLICT (table_name) DO UPDATE SET deleted_rows = retention_totals.deleted_rows + excluded.deleted_rows",
        table,
        deleted,
    )


def _after(column: str, key: str, after: tuple[Any, Any] | None) -> tuple[str, list[Any]]:
    """The condition ``(column, key) > after`` of a keyset walk, and its parameters; spelled out
    rather than a row comparison, so that an index on ``column`` alone serves it."""
    if after is None:
        return "", []
    return f" AND {column} >= ? AND ({column} > ? OR {key} > ?)", [after[0], after[0], after[1]]


async def _delete_oldest(
    table: str, time_column: str, cutoff: Any, policy: RetentionPolicy, report: RetentionReport, extra: str = "", params: tuple[Any, ...] = ()
) -> None:
    """Batches of ``DELETE`` on the rows of ``table`` whose indexed ``time_column`` is before
    ``cutoff`` (and that match ``extra``), oldest first, until none are left or the budget is
    spent. Rows that do not match ``extra`` are passed over inside the database: the caller
    makes sure they are few."""

    async def oldest() -> tuple[list[dict[str, Any]], int]:
        rows = await sql.fetch(
            f"SELECT id FROM {table} WHERE {time_column} < ?{extra} ORDER BY {time_column} LIMIT ?{_locking()}",
            cutoff,
            *params,
            policy.batch_size,
        )
        return rows, await _delete_keys(table, "id", [row["id"] for row in rows])

    for _ in range(policy.batches_per_table):
        if len(await _batch(report, table, oldest)) < policy.batch_size:
            return


# --------------------------------------------------------------------------- the passes


async def _delete_alerts(cutoff: datetime, policy: RetentionPolicy, report: RetentionReport) -> None:
    """Alerts resolved before ``cutoff`` whose parts are all gone (the part walks before this
    pass deleted them), oldest first; so a batch never deletes more than its alerts. An alert
    with parts left is passed over until a later run has trimmed them."""
    resolved, before = AlertStatus.RESOLVED.value, sql.db_time(Alert, "resolved_at", cutoff)
    after: tuple[Any, int] | None = None  # the last (resolved_at, id) this run has looked at
    for _ in range(policy.batches_per_table):
        later, later_params = _after("resolved_at", "id", after)
        where, params = "status = ? AND resolved_at < ?" + later, [resolved, before, *later_params]

        async def bare_alerts(where: str = where, params: list[Any] = params) -> tuple[list[dict[str, Any]], int]:
            rows = await sql.fetch(
                f"SELECT id, resolved_at FROM alerts WHERE {where} ORDER BY resolved_at, id LIMIT ?{_locking()}", *params, policy.batch_size
            )
            ids = [int(row["id"]) for row in rows]
            # The alerts are locked: no part can be added to them until this commits.
            return rows, await _delete_keys("alerts", "id", sorted(set(ids) - await _with_parts(ids)))

        rows = await _batch(report, "alerts", bare_alerts)
        if len(rows) < policy.batch_size:
            return
        after = (rows[-1]["resolved_at"], int(rows[-1]["id"]))


async def _with_parts(alert_ids: list[int]) -> set[int]:
    """Those of ``alert_ids`` that still have a row in one of the part tables."""
    if not alert_ids:
        return set()
    ids = in_list(len(alert_ids))
    union = " UNION ".join(f"SELECT alert_id FROM {part.table} WHERE alert_id IN {ids}" for part in ALERT_PARTS)
    return {int(row["alert_id"]) for row in await sql.fetch(union, *(alert_ids * len(ALERT_PARTS)))}


async def _walk_bound(cutoff: datetime) -> int | None:
    """The highest alert id a part walk must reach: no alert resolved before ``cutoff`` has a
    larger one, as alert ids grow with creation. Two index probes: the newest alert created
    before the cutoff, and the newest resolved before it (which may have been created later
    than the first, if it lived shorter)."""
    created = await sql.fetch(
        "SELECT id FROM alerts WHERE created_at < ? ORDER BY created_at DESC, id DESC LIMIT 1", sql.db_time(Alert, "created_at", cutoff)
    )
    resolved = await sql.fetch(
        "SELECT id FROM alerts WHERE resolved_at < ? ORDER BY resolved_at DESC, id DESC LIMIT 1", sql.db_time(Alert, "resolved_at", cutoff)
    )
    ids = [int(row["id"]) for row in created + resolved]
    return max(ids) if ids else None


async def _trim_alert_part(part: AlertPart, cutoff: datetime, policy: RetentionPolicy, report: RetentionReport) -> bool:
    """The rows of ``part`` whose alert was resolved before ``cutoff``, walked in (alert_id,
    key) order from the oldest row left. The rows of alerts that are not due (still open, or
    resolved later) are passed over inside the database, one primary-key lookup each. True when
    the walk reached its end (nothing is left to delete), False when the budget ran out first."""
    bound = await _walk_bound(cutoff)
    if bound is None:
        return True
    after: tuple[int, Any] | None = None  # the last (alert_id, key) this run deleted
    for _ in range(policy.batches_per_table):
        later, later_params = _after("p.alert_id", f"p.{part.key}", after)
        where, params = "p.alert_id <= ?" + later, [bound, *later_params]

        async def due_rows(where: str = where, params: list[Any] = params) -> tuple[list[dict[str, Any]], int]:
            # A scalar subquery, not a join: the planner cannot make it a merge join that walks
            # the alerts from the first one (past every alert whose parts are already gone).
            rows = await sql.fetch(
                f"SELECT p.alert_id, p.{part.key} AS k FROM {part.table} p WHERE {where} AND "
                f"(SELECT a.resolved_at FROM alerts a WHERE a.id = p.alert_id AND a.status = ?) < ? "
                f"ORDER BY p.alert_id, p.{part.key} LIMIT ?{_locking()}",
                *params,
                AlertStatus.RESOLVED.value,
                sql.db_time(Alert, "resolved_at", cutoff),
                policy.batch_size,
            )
            return rows, await _delete_keys(part.table, part.key, [row["k"] for row in rows])

        rows = await _batch(report, part.table, due_rows)
        if len(rows) < policy.batch_size:
            return True
        after = (int(rows[-1]["alert_id"]), rows[-1]["k"])
    return False


async def _delete_alertless_notifications(cutoff: datetime, policy: RetentionPolicy, report: RetentionReport) -> None:
    """Finished notifications of no alert (reminders, on-call changes, coverage requests). Run
    only once the notifications of alerts past the same cutoff are gone, so that the walk by
    ``due_at`` passes over few of those (the ones of alerts still open, or resolved later)."""
    extra = f" AND alert_id IS NULL AND status IN {in_list(len(FINISHED))}"
    await _delete_oldest("notifications", "due_at", sql.db_time(Notification, "due_at", cutoff), policy, report, extra, FINISHED)


async def _delete_dropped_events(cutoff: datetime, policy: RetentionPolicy, report: RetentionReport) -> None:
    await _delete_oldest("dropped_events", "at", sql.db_time(DroppedEvent, "at", cutoff), policy, report)


async def _delete_intake_requests(cutoff: datetime, policy: RetentionPolicy, report: RetentionReport) -> None:
    """Opsgenie-compatible requests; their alerts are not touched (the alert_id of a request
    whose alert retention deletes first is set to NULL by the database)."""
    await _delete_oldest("intake_requests", "created_at", sql.db_time(IntakeRequest, "created_at", cutoff), policy, report)
