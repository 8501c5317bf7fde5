"""Source policies: the decisions the intake makes about an event before it becomes a page.

:func:`admit` is the one call the intake makes for an ALERT event: it answers whether the event
is dropped (maintenance window, event filter), which open alert it joins (``open_key``, per the
source's ``alertCreation``) and at which priority a new alert opens. Its parts are public for
tests and other callers: :func:`should_drop`, :func:`in_maintenance`, :func:`grouping_key`,
:func:`effective_priority`.

Grouping keeps the database in charge of dedup: each mode names the open alert an event joins by
an ``open_key``, and the unique index on ``alerts.open_key`` lets one of many concurrent events
open it while the rest append. Per-key mode uses the intake's own key
(:func:`pagerline.engine.alerts.transitions.open_key`). The grouped modes use keys that start with ``g:``,
which per-key keys (``<source id>:...``) never do:

- ``ONE_OPEN_ALERT``: ``g:<source>:open``. Every event joins the open alert until it is resolved.
- ``ONE_PENDING_ALERT``: ``g:<source>:pending:<n>``. Events join the newest PENDING alert of the
  group. When none is pending (the last one was accepted), ``n`` is the id of the newest open
  alert of the group, a key no open alert holds, so the next event opens a new alert and
  concurrent events agree on it.
- ``ONE_ALERT_GROUPED_PER_WINDOW``: ``g:<source>:window:<n>``. Events join the newest open
  alert of the group while its first event is less than the window old, otherwise ``n`` moves
  on the same way.

Like the intake's source lookup, a process keeps each source's policy (and its maintenance
windows) for :data:`CACHE_SECONDS`; saving a policy clears this process's copy at once.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pagerline.engine.alerts.transitions import open_key as per_key_open_key
from pagerline.engine.sources.event_filter import Condition, FilterError, compile_filter, matches
from pagerline.engine.sources.events import EventInput
from pagerline.engine.sources.lookup import SourceInfo
from pagerline.engine.sources.support_hours import SupportHoursError, SupportHoursSpec, in_support, parse_support_hours, rule_priority
from pagerline.engine.sources.intake_settings import DEFAULT_SETTINGS, IntakeSettings, IntakeSettingsError, compile_intake_settings
from pagerline.engine.sources.webhook_templates import TemplateFieldError, WebhookTemplates, compile_webhook_templates
from pagerline.models import (
    Alert,
    AlertCreation,
    AlertSource,
    AlertStatus,
    DropReason,
    DroppedEvent,
    MaintenanceWindow,
    Priority,
    PriorityRule,
    SupportHours,
)

log = logging.getLogger(__name__)

CACHE_SECONDS = 5.0
OPEN_STATUSES = (AlertStatus.PENDING, AlertStatus.ACCEPTED)
MAX_DROPPED_EVENT_CHARS = 8_000


@dataclass(frozen=True, slots=True)
class SourcePolicy:
    source_id: int
    alert_creation: AlertCreation = AlertCreation.ONE_ALERT_PER_KEY
    grouping_window: timedelta = timedelta(seconds=300)
    auto_resolution_timeout: timedelta | None = None
    priority_rule: PriorityRule = PriorityRule.HIGH
    support_hours: SupportHoursSpec | None = None
    auto_raise_alerts: bool = False
    event_filter: Condition | None = None
    templates: WebhookTemplates | None = None
    intake: IntakeSettings = DEFAULT_SETTINGS  # the email, PagerDuty- and Opsgenie-compatible intakes


def priority_rule_of(stored_rule: PriorityRule | None, default_priority: Priority) -> PriorityRule:
    """A source without a rule behaves as before rules existed: its default priority is the rule."""
    return stored_rule or PriorityRule(default_priority.value)


def support_hours_spec(row: SupportHours) -> SupportHoursSpec:
    return parse_support_hours(row.timezone, row.weekly, row.exceptions)


def _policy_of(source: AlertSource, hours: SupportHours | None) -> SourcePolicy:
    """Stored settings were validated when saved; one that no longer compiles (an older
    version's) is logged and left out rather than failing every event."""
    spec = condition = templates = None
    intake = DEFAULT_SETTINGS
    try:
        spec = support_hours_spec(hours) if hours is not None else None
        condition = compile_filter(source.event_filter) if source.event_filter is not None else None
        templates = compile_webhook_templates(source.templates) if source.templates is not None else None
        intake = compile_intake_settings(source.intake_settings)
    except (SupportHoursError, FilterError, TemplateFieldError, IntakeSettingsError):
        log.warning("source %s has a stored policy that does not compile", source.id, exc_info=True)
    timeout = source.auto_resolution_timeout_sec
    return SourcePolicy(
        source_id=source.id,
        alert_creation=source.alert_creation,
        grouping_window=timedelta(seconds=source.alert_grouping_window_sec),
        auto_resolution_timeout=timedelta(seconds=timeout) if timeout else None,
        priority_rule=priority_rule_of(source.priority_rule, source.default_priority),
        support_hours=spec,
        auto_raise_alerts=source.auto_raise_alerts,
        event_filter=condition,
        templates=templates,
        intake=intake,
    )


_policies: dict[int, tuple[float, SourcePolicy]] = {}


def clear_policy_cache() -> None:
    _policies.clear()
    _maintenance.clear()


async def load_policy(source_id: int) -> SourcePolicy:
    """The source's policy, cached for a few seconds (the intake asks for every event)."""
    hit = _policies.get(source_id)
    clock = time.monotonic()
    if hit is not None and hit[0] > clock:
        return hit[1]
    source = await AlertSource.get_or_none(id=source_id).select_related("support_hours")
    policy = _policy_of(source, source.support_hours) if source is not None else SourcePolicy(source_id)
    if len(_policies) > 10_000:
        _policies.clear()
    _policies[source_id] = (clock + CACHE_SECONDS, policy)
    return policy


# --------------------------------------------------------------------------- filters and maintenance


def event_fields(event: EventInput, integration: str = "") -> dict[str, Any]:
    """An event as event filters see it (the names of ilert's events API)."""
    return {
        "summary": event.summary,
        "details": event.details,
        "priority": event.priority.value if event.priority else None,
        "alertKey": event.alert_key,
        "eventType": event.event_type,
        "routingKey": event.routing_key,
        "source": integration or None,
        "labels": event.labels,
        "customDetails": event.custom_details,
    }


def should_drop(policy: SourcePolicy, event: EventInput, integration: str = "") -> DropReason | None:
    """FILTERED when the source has a filter and the event does not meet it."""
    if policy.event_filter is None:
        return None
    return None if matches(policy.event_filter, event_fields(event, integration)) else DropReason.FILTERED


@dataclass(frozen=True, slots=True)
class Span:
    window_id: int
    start: datetime
    end: datetime


# source id -> (cache expiry, the `now` it was loaded for, windows not ended at that now)
_maintenance: dict[int, tuple[float, datetime, tuple[Span, ...]]] = {}


async def _maintenance_spans(source_id: int, now: datetime) -> tuple[Span, ...]:
    hit = _maintenance.get(source_id)
    clock = time.monotonic()
    if hit is not None and hit[0] > clock and hit[1] <= now:
        return hit[2]
    rows = await MaintenanceWindow.filter(sources__id=source_id, end__gt=now).order_by("start").limit(100)
    spans = tuple(Span(row.id, row.start, row.end) for row in rows)
    if len(_maintenance) > 10_000:
        _maintenance.clear()
    _maintenance[source_id] = (clock + CACHE_SECONDS, now, spans)
    return spans


async def in_maintenance(source_id: int, now: datetime) -> int | None:
    """The id of a maintenance window covering the source at ``now``, or None."""
    for span in await _maintenance_spans(source_id, now):
        if span.start <= now < span.end:
            return span.window_id
    return None


def _bounded(fields: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(fields, default=str)
    if len(text) <= MAX_DROPPED_EVENT_CHARS:
        return fields
    return {"summary": fields.get("summary"), "alertKey": fields.get("alertKey"), "truncated": True}


async def record_dropped(
    source_id: int, event: EventInput, reason: DropReason, now: datetime, window_id: int | None = None, integration: str = ""
) -> DroppedEvent:
    """Keep a dropped event visible (GraphQL ``droppedEvents``); counting is a COUNT of these."""
    return await DroppedEvent.create(
        source_id=source_id,
        reason=reason,
        maintenance_window_id=window_id,
        event_type=event.event_type,
        summary=(event.summary or "")[:500],
        alert_key=event.alert_key[:255] if event.alert_key else None,
        event=_bounded(event_fields(event, integration)),
        at=now,
    )


# --------------------------------------------------------------------------- grouping


@dataclass(frozen=True, slots=True)
class GroupAlert:
    """An open alert of a source's group, as grouping sees it."""

    id: int
    open_key: str
    status: AlertStatus
    created_at: datetime


_MODE_WORD = {
    AlertCreation.ONE_PENDING_ALERT: "pending",
    AlertCreation.ONE_OPEN_ALERT: "open",
    AlertCreation.ONE_ALERT_GROUPED_PER_WINDOW: "window",
}


def group_prefix(source_id: int, mode: AlertCreation) -> str:
    return f"g:{source_id}:{_MODE_WORD[mode]}"


def grouping_key(
    policy: SourcePolicy, alert_key: str, now: datetime, open_alerts: Sequence[GroupAlert] = ()
) -> str:
    """The ``open_key`` an ALERT event uses: the open alert holding it gets the event, or a new
    alert opens with it. ``open_alerts`` are the source's open alerts of the group (see
    :func:`load_group_alerts`); only the pending and window modes need them."""
    mode = policy.alert_creation
    if mode is AlertCreation.ONE_ALERT_PER_KEY:
        return per_key_open_key(policy.source_id, alert_key)
    prefix = group_prefix(policy.source_id, mode)
    if mode is AlertCreation.ONE_OPEN_ALERT:
        return prefix
    newest = max(open_alerts, key=lambda a: a.id, default=None)
    if mode is AlertCreation.ONE_PENDING_ALERT:
        pending = [a for a in open_alerts if a.status is AlertStatus.PENDING]
        if pending:
            return max(pending, key=lambda a: a.id).open_key
    elif newest is not None and now < newest.created_at + policy.grouping_window:
        return newest.open_key
    return f"{prefix}:{newest.id if newest is not None else 0}"


async def load_group_alerts(policy: SourcePolicy) -> list[GroupAlert]:
    """The open alerts of the source's group (an empty list for the modes that need none)."""
    if policy.alert_creation in (AlertCreation.ONE_ALERT_PER_KEY, AlertCreation.ONE_OPEN_ALERT):
        return []
    prefix = group_prefix(policy.source_id, policy.alert_creation) + ":"
    rows = await Alert.filter(
        status__in=OPEN_STATUSES, source_id=policy.source_id, open_key__startswith=prefix
    ).values_list("id", "open_key", "status", "created_at")
    return [GroupAlert(int(i), str(k), AlertStatus(s), c) for i, k, s, c in rows]


async def open_key_for(policy: SourcePolicy, alert_key: str, now: datetime) -> str:
    return grouping_key(policy, alert_key, now, await load_group_alerts(policy))


async def find_open_alert(policy: SourcePolicy, alert_key: str) -> int | None:
    """The open alert an ACCEPT/RESOLVE/COMMENT event with ``alert_key`` acts on: the alert that
    was opened with that key (keys compare case-insensitively). One indexed query per key mode;
    in the grouped modes the alert holds a group key, so it is found by its ``alert_key``."""
    if policy.alert_creation is AlertCreation.ONE_ALERT_PER_KEY:
        query = Alert.filter(open_key=per_key_open_key(policy.source_id, alert_key))
    else:
        query = Alert.filter(
            source_id=policy.source_id, status__in=OPEN_STATUSES, alert_key__iexact=alert_key.strip()
        ).order_by("-id")
    found = await query.first().values_list("id", flat=True)
    return int(found) if found is not None else None  # type: ignore[arg-type]


# --------------------------------------------------------------------------- priority


def effective_priority(policy: SourcePolicy, requested: Priority | None, now: datetime) -> Priority:
    """The priority a new alert opens with, per the source's rule and support hours."""
    hours = in_support(policy.support_hours, now) if policy.support_hours is not None else False
    return rule_priority(policy.priority_rule, requested, hours)


# --------------------------------------------------------------------------- the one call


@dataclass(frozen=True, slots=True)
class Admission:
    """What the intake does with an ALERT event."""

    dropped: DropReason | None
    open_key: str = ""
    priority: Priority = Priority.HIGH
    maintenance_window_id: int | None = None
    policy: SourcePolicy = field(default_factory=lambda: SourcePolicy(0))


async def admit(source: SourceInfo, event: EventInput, alert_key: str, now: datetime) -> Admission:
    """Decide an ALERT event: dropped (and recorded) during maintenance or when the filter
    does not match; otherwise the open key to join or open and the priority of a new alert.
    Events of other types (ACCEPT, RESOLVE, COMMENT) are never dropped: acting on an alert that
    exists is always allowed, in maintenance too."""
    policy = await load_policy(source.id)
    integration = source.integration_type.value
    window_id = await in_maintenance(source.id, now)
    reason = DropReason.MAINTENANCE if window_id is not None else should_drop(policy, event, integration)
    if reason is not None:
        await record_dropped(source.id, event, reason, now, window_id, integration)
        return Admission(reason, maintenance_window_id=window_id, policy=policy)
    return Admission(
        None,
        open_key=await open_key_for(policy, alert_key, now),
        priority=effective_priority(policy, event.priority, now),
        policy=policy,
    )
