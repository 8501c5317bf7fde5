"""Alert transitions: open, add event, accept, resolve, comment, escalate by hand.

Every function here is the only code path for its transition: GraphQL, REST events, push
actions, SMS replies and voice keypresses all call these. Each runs in one transaction, writes
its timeline entries, and publishes after commit.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.functions import Count

from pagerline.engine.core import metrics, sql
from pagerline.engine.alerts.actions import plan_for_change as plan_alert_actions
from pagerline.engine.core.effects import Effects, publish_update_throttled, unit_of_work
from pagerline.engine.core.errors import BadInput, Conflict, NotFound
from pagerline.engine.alerts.escalation import apply_level, choose_level, escalate_by_hand, load_policy_plan, set_escalation_state
from pagerline.engine.notify.planning import plan_updates
from pagerline.engine.people.accounts import Viewer
from pagerline.engine.people.roles import may_see
from pagerline.engine.core.timeline import LogKind, add_entry, entry
from pagerline.models import Alert, AlertActionTrigger, AlertLogEntry, AlertStatus, NotificationKind, NotificationStatus, Priority, User


@dataclass(frozen=True, slots=True)
class NewAlert:
    source_id: int
    policy_id: int | None
    summary: str
    details: str | None
    priority: Priority
    alert_key: str
    open_key: str | None = None  # the grouping key (see source_policy); None: per alert key
    images: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    custom_details: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, Any] = field(default_factory=dict)
    received_text: str = "Alert received"
    source_name: str | None = None
    extra_entries: tuple[tuple[str, str], ...] = ()  # (kind, text) written after RECEIVED


def open_key(source_id: int, alert_key: str) -> str:
    """Alert keys compare case-insensitively within one source."""
    return f"{source_id}:{alert_key.strip().lower()}"


async def open_alert(new: NewAlert, now: datetime) -> Alert:
    """Create a PENDING alert and start escalating. Raises IntegrityError if an open alert
    with the same key exists (the caller appends the event to that one instead)."""
    # Who the first level pages is decided before the insert, so the alert is written once
    # with its escalation state (reads only: the policy and who is on call).
    plan = await load_policy_plan(new.policy_id) if new.policy_id else None
    choice = await choose_level(plan, 0, 0, new.priority, now)
    async with unit_of_work() as effects:
        alert = Alert(
            source_id=new.source_id,
            policy_id=new.policy_id,
            summary=new.summary,
            details=new.details,
            priority=new.priority,
            alert_key=new.alert_key,
            open_key=new.open_key or open_key(new.source_id, new.alert_key),
            images=new.images,
            links=new.links,
            custom_details=new.custom_details,
            labels=new.labels,
            created_at=now,
            updated_at=now,
        )
        set_escalation_state(alert, choice, now)
        await alert.save()
        entries = [entry(alert.id, LogKind.RECEIVED, new.received_text, now)]
        entries += [entry(alert.id, kind, text, now) for kind, text in new.extra_entries]
        entries += await apply_level(alert, choice, now, effects, announce=False, source_name=new.source_name)
        await AlertLogEntry.bulk_create(entries)
        await plan_alert_actions(alert, AlertActionTrigger.ALERT_CREATED, now, effects)
        effects.publish("alert", "CREATED", alert_id=alert.id)
    metrics.ALERTS_OPENED.labels(new.priority.value).inc()
    return alert


async def append_event(key: str, text: str, now: datetime) -> int | None:
    """Append a repeated event to the open alert holding ``key`` (its ``open_key``), in one
    statement: find the alert and insert the timeline entry together. Returns the alert id, or
    None when no alert holds the key.

    This is the hottest path of a storm (thousands of repeats per second): it writes no row
    lock and no UPDATE, so concurrent repeats of one alert never queue behind each other. The
    event count is the number of RECEIVED and EVENT entries (see :func:`event_counts`).
    """
    conn = connections.get("default")
    at = _AT_FIELD.to_db_value(now, AlertLogEntry)
    postgres = conn.capabilities.dialect == "postgres"
    statement = (
        'INSERT INTO "alert_log_entries" ("alert_id", "kind", "text", "at", "data") '
        'SELECT "id", {kind}, {text}, {at}, {data} FROM "alerts" WHERE "open_key" = {key} RETURNING "alert_id"'
    ).format(
        **(
            {"kind": "$1", "text": "$2", "at": "$3", "data": "$4::jsonb", "key": "$5"}
            if postgres
            else {"kind": "?", "text": "?", "at": "?", "data": "?", "key": "?"}
        )
    )
    rows = await conn.execute_query_dict(statement, [LogKind.EVENT, text, at, "{}", key])
    if not rows:
        return None
    alert_id = int(rows[0]["alert_id"])
    await publish_update_throttled(alert_id)
    return alert_id


_AT_FIELD = AlertLogEntry._meta.fields_map["at"]
EVENT_KINDS = (LogKind.RECEIVED, LogKind.EVENT)


async def event_counts(alert_ids: list[int]) -> dict[int, int]:
    """How many events each alert received (its first event plus every repeat)."""
    rows = (
        await AlertLogEntry.filter(alert_id__in=alert_ids, kind__in=EVENT_KINDS)
        .annotate(n=Count("id"))
        .group_by("alert_id")
        .values_list("alert_id", "n")
    )
    counts = {alert_id: 0 for alert_id in alert_ids}
    counts.update({int(a): int(n) for a, n in rows})
    return counts


log = logging.getLogger(__name__)
T = TypeVar("T")

# PostgreSQL's "deadlock detected" and "could not serialize access": the transaction was rolled
# back whole, so running it again is safe.
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
TRANSITION_ATTEMPTS = 3


def _retryable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps: Tortoise re-raises the driver's error) is one of them."""
    seen: BaseException | None = exc
    for _ in range(5):  # the chain is short; bounded against a cycle
        if seen is None:
            return False
        if getattr(seen, "sqlstate", None) in _RETRYABLE_SQLSTATES:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def _transition(what: str, run: Callable[[], Awaitable[T]]) -> T:
    """Run one transition's transaction, again (at most TRANSITION_ATTEMPTS in all) when
    PostgreSQL aborted it for a deadlock or a serialization failure. A safety net only: the
    transitions and delivery lock the alert first (see delivery.outbox), so none is expected,
    and each retry is logged. Nothing is done twice: every write is in the rolled-back
    transaction (pages with their outbox rows), and effects are dispatched only after a commit.
    Inside a caller's transaction the abort is the caller's, so it is passed on untouched."""
    if isinstance(connections.get("default"), TransactionalDBClient):
        return await run()
    for attempt in range(1, TRANSITION_ATTEMPTS + 1):
        try:
            return await run()
        except Exception as exc:
            if attempt == TRANSITION_ATTEMPTS or not _retryable(exc):
                raise
            first_line = (str(exc).splitlines() or [type(exc).__name__])[0]
            log.warning("%s rolled back by the database (%s); running it again", what, first_line)
    raise AssertionError("unreachable")


def _locked_sql(postgres: bool) -> str:
    # The actor's name and the source's team come along (scalar subqueries: only the alert's
    # row is locked), so the timeline text and the viewer's check cost no statement of their own.
    return (
        f"SELECT {sql.columns(Alert, 'a')}, (SELECT u.name FROM users u WHERE u.id = ?) AS actor_name, "
        "(SELECT s.team_id FROM alert_sources s WHERE s.id = a.source_id) AS source_team_id "
        f"FROM alerts a WHERE a.id = ?{' FOR UPDATE OF a' if postgres else ''}"
    )


async def _locked(alert_id: int, actor_id: int | None = None, viewer: Viewer | None = None) -> tuple[Alert, str | None]:
    """The alert, its row locked for the rest of the transaction, and the name of the user
    ``actor_id`` (None: no actor, or no such user). An alert that ``viewer`` (when given) may
    not see is not found, as one that does not exist."""
    rows = await sql.fetch(_locked_sql(sql.is_postgres()), actor_id, alert_id)
    alert = sql.from_row(Alert, rows[0], "a") if rows else None
    if alert is None or (viewer is not None and not may_see(viewer, rows[0]["source_team_id"])):
        raise NotFound(f"Alert {alert_id} not found")
    return alert, rows[0]["actor_name"]


async def _cancel_pending_pages(alert_id: int, now: datetime, reason: str) -> None:
    """Pages not yet handed to a transport are no longer needed once someone responded."""
    # Written out: building it through the ORM cost more than running it (every accept and resolve).
    await sql.execute(
        "UPDATE notifications SET status = ?, last_error = ?, claimed_until = NULL WHERE alert_id = ? AND kind = ? AND status = ?",
        NotificationStatus.SKIPPED.value, reason, alert_id, NotificationKind.PAGE.value, NotificationStatus.PENDING.value,
    )


async def _actor_name(user_id: int | None, fallback: str) -> str:
    if user_id is None:
        return fallback
    name = await User.filter(id=user_id).first().values_list("name", flat=True)
    return str(name) if name else fallback


def _actor(name: str | None, fallback: str) -> str:
    """How the timeline names who acted: the user's name, else ``fallback``."""
    return str(name) if name else fallback


_CLOSE_TRIGGERS = {LogKind.ACCEPTED: AlertActionTrigger.ALERT_ACCEPTED, LogKind.RESOLVED: AlertActionTrigger.ALERT_RESOLVED}


async def _close_step(
    alert: Alert, kind: str, verb: str, user_id: int | None, who: str, now: datetime, via: str, effects: Effects, fields: list[str]
) -> None:
    """What accepting and resolving share: stop escalating, save, write the timeline entry,
    cancel pages not yet sent, publish. ``who``: the actor's name (see :func:`_locked`)."""
    alert.next_escalation_at = None
    alert.updated_at = now
    await alert.save(update_fields=[*fields, "next_escalation_at", "updated_at"])
    await add_entry(alert.id, kind, f"{verb} by {who}" + (f" via {via}" if via else ""), now, user_id)
    await _cancel_pending_pages(alert.id, now, f"{verb.lower()} by {who}")
    await plan_updates(alert, kind, who, now, effects)
    await plan_alert_actions(alert, _CLOSE_TRIGGERS[kind], now, effects)
    effects.publish("alert", kind, alert_id=alert.id)


async def accept_alert(alert_id: int, user_id: int | None, now: datetime, via: str = "", *, viewer: Viewer | None = None) -> Alert:
    """PENDING → ACCEPTED; escalation halts. Accepting an accepted alert changes nothing.
    ``viewer``: the alert must be one they may see (else NotFound), checked under the lock."""
    return await _transition(f"accepting alert {alert_id}", lambda: _accept(alert_id, user_id, now, via, viewer))


async def _accept(alert_id: int, user_id: int | None, now: datetime, via: str, viewer: Viewer | None) -> Alert:
    async with unit_of_work() as effects:
        alert, name = await _locked(alert_id, user_id, viewer)
        if alert.status is AlertStatus.RESOLVED:
            raise Conflict("The alert is already resolved")
        if alert.status is AlertStatus.ACCEPTED:
            return alert
        alert.status = AlertStatus.ACCEPTED
        alert.accepted_at = now
        alert.accepted_by_id = user_id  # type: ignore[attr-defined]
        await _close_step(
            alert, LogKind.ACCEPTED, "Accepted", user_id, _actor(name, "an event"), now, via, effects,
            ["status", "accepted_at", "accepted_by_id"],
        )
    return alert


async def resolve_alert(alert_id: int, user_id: int | None, now: datetime, via: str = "", *, viewer: Viewer | None = None) -> Alert:
    """→ RESOLVED, final. The key is released so a new event opens a new alert. ``viewer``: as
    for :func:`accept_alert`."""
    return await _transition(f"resolving alert {alert_id}", lambda: _resolve(alert_id, user_id, now, via, viewer))


async def _resolve(alert_id: int, user_id: int | None, now: datetime, via: str, viewer: Viewer | None) -> Alert:
    async with unit_of_work() as effects:
        alert, name = await _locked(alert_id, user_id, viewer)
        if alert.status is AlertStatus.RESOLVED:
            return alert
        alert.status = AlertStatus.RESOLVED
        alert.resolved_at = now
        alert.resolved_by_id = user_id  # type: ignore[attr-defined]
        alert.open_key = None
        await _close_step(
            alert, LogKind.RESOLVED, "Resolved", user_id, _actor(name, "an event"), now, via, effects,
            ["status", "resolved_at", "resolved_by_id", "open_key"],
        )
    metrics.ALERTS_RESOLVED.inc()
    return alert


async def comment_alert(alert_id: int, user_id: int | None, text: str, now: datetime, author: str = "", origin: dict[str, str] | None = None) -> Alert:
    """``origin``: where the comment was written, when that was outside pagerline (a chat
    thread's message: its thread then needs no copy of it), kept on the timeline entry."""
    text = text.strip()
    if not text:
        raise BadInput("A comment needs some text")
    async with unit_of_work() as effects:
        alert = await Alert.get_or_none(id=alert_id)
        if alert is None:
            raise NotFound(f"Alert {alert_id} not found")
        who = await _actor_name(user_id, author or "an event")
        await add_entry(alert.id, LogKind.COMMENT, f"{who}: {text[:4000]}", now, user_id, {"comment": text[:4000], **({"origin": origin} if origin else {})})
        await Alert.filter(id=alert_id).update(updated_at=now)
        # Each comment is its own change: a fresh occurrence, so each one is delivered.
        await plan_alert_actions(alert, AlertActionTrigger.COMMENT_ADDED, now, effects, occurrence=uuid.uuid4().hex)
        effects.publish("alert", "COMMENTED", alert_id=alert.id)
    return alert


async def escalate_alert(alert_id: int, user_id: int | None, now: datetime, via: str = "", *, viewer: Viewer | None = None) -> Alert:
    """``viewer``: as for :func:`accept_alert`."""
    return await _transition(f"escalating alert {alert_id}", lambda: _escalate(alert_id, user_id, now, via, viewer))


async def _escalate(alert_id: int, user_id: int | None, now: datetime, via: str, viewer: Viewer | None) -> Alert:
    async with unit_of_work() as effects:
        alert, _ = await _locked(alert_id, viewer=viewer)
        await escalate_by_hand(alert, user_id, now, effects, via)
    return alert
