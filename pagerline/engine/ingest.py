"""Event intake: one function for every integration (API, Alertmanager, Grafana, ...).

Adapters turn their payloads into :class:`EventInput` and call :func:`ingest_event`. Dedup is
decided by the database: the unique ``open_key`` index lets exactly one of many concurrent
identical events open the alert; the others get an IntegrityError and append to the winner.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from pagerline.engine import metrics
from pagerline.engine.alerts import NewAlert, accept_alert, append_event, comment_alert, open_alert, open_key, resolve_alert
from pagerline.engine.errors import BadInput
from pagerline.engine.sources import SourceInfo
from pagerline.engine.timeline import LogKind
from pagerline.models import Alert, EscalationPolicy, Priority


class EventType:
    ALERT = "ALERT"
    ACCEPT = "ACCEPT"
    RESOLVE = "RESOLVE"
    COMMENT = "COMMENT"
    ALL = (ALERT, ACCEPT, RESOLVE, COMMENT)


class ResponseCode:
    NEW_ALERT_CREATED = "NEW_ALERT_CREATED"
    EVENT_ADDED_TO_ALERT = "EVENT_ADDED_TO_ALERT"
    ALERT_ACCEPTED = "ALERT_ACCEPTED"
    ALERT_RESOLVED = "ALERT_RESOLVED"
    COMMENT_ADDED = "COMMENT_ADDED"
    NO_OPEN_ALERT = "NO_OPEN_ALERT"


@dataclass(frozen=True, slots=True)
class EventInput:
    event_type: str
    summary: str | None = None
    details: str | None = None
    alert_key: str | None = None
    priority: Priority | None = None
    images: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    custom_details: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, Any] = field(default_factory=dict)
    routing_key: str | None = None
    comments: list[tuple[str, str]] = field(default_factory=list)  # (creator, content)
    via: str = "API"


@dataclass(frozen=True, slots=True)
class IngestResult:
    response_code: str
    alert_key: str
    alert_id: int | None


def effective_priority(source: SourceInfo, event: EventInput) -> Priority:
    """The event's priority wins, unless the source is fixed to LOW (then the source decides)."""
    if source.default_priority is Priority.LOW:
        return Priority.LOW
    return event.priority or source.default_priority


def validate(event: EventInput) -> None:
    if event.event_type not in EventType.ALL:
        raise BadInput(f"eventType must be one of {', '.join(EventType.ALL)}")
    if event.event_type == EventType.ALERT and not (event.summary and event.summary.strip()):
        raise BadInput("summary is required for ALERT events")
    if event.event_type != EventType.ALERT and not (event.alert_key and event.alert_key.strip()):
        raise BadInput(f"alertKey is required for {event.event_type} events")


async def _choose_policy(source: SourceInfo, routing_key: str | None) -> tuple[int, tuple[tuple[str, str], ...]]:
    if not routing_key:
        return source.policy_id, ()
    policy = await EscalationPolicy.get_or_none(routing_key=routing_key)
    if policy is None:
        return source.policy_id, (
            (LogKind.ROUTED, f"No escalation policy has routing key '{routing_key}'; using the source's policy"),
        )
    return policy.id, ((LogKind.ROUTED, f"Routed by routing key '{routing_key}' to policy '{policy.name}'"),)


async def _find_open(source_id: int, alert_key: str) -> int | None:
    return await Alert.filter(open_key=open_key(source_id, alert_key)).first().values_list("id", flat=True)  # type: ignore[return-value]


async def ingest_event(source: SourceInfo, event: EventInput, now: datetime) -> IngestResult:
    validate(event)
    metrics.EVENTS_RECEIVED.labels(source.integration_type.value, event.event_type).inc()
    if event.event_type == EventType.ALERT:
        return await _ingest_alert(source, event, now)
    alert_key = (event.alert_key or "").strip()
    alert_id = await _find_open(source.id, alert_key)
    if alert_id is None:
        return IngestResult(ResponseCode.NO_OPEN_ALERT, alert_key, None)
    if event.event_type == EventType.ACCEPT:
        await accept_alert(alert_id, None, now, via=event.via)
        return IngestResult(ResponseCode.ALERT_ACCEPTED, alert_key, alert_id)
    if event.event_type == EventType.RESOLVE:
        await resolve_alert(alert_id, None, now, via=event.via)
        return IngestResult(ResponseCode.ALERT_RESOLVED, alert_key, alert_id)
    comments = event.comments or ([("", event.summary)] if event.summary else [])
    if not comments:
        raise BadInput("COMMENT events need comments or a summary")
    for creator, content in comments:
        await comment_alert(alert_id, None, content, now, author=creator or event.via)
    return IngestResult(ResponseCode.COMMENT_ADDED, alert_key, alert_id)


async def _ingest_alert(source: SourceInfo, event: EventInput, now: datetime) -> IngestResult:
    alert_key = (event.alert_key or "").strip() or uuid.uuid4().hex
    summary = (event.summary or "").strip()
    event_text = f"Event received via {event.via}: {summary}"[:1000]
    # Most repeated events find the open alert here without touching the unique index.
    for _ in range(3):
        existing = await append_event(source.id, alert_key, event_text, now)
        if existing is not None:
            return IngestResult(ResponseCode.EVENT_ADDED_TO_ALERT, alert_key, existing)
        policy_id, routing_entries = await _choose_policy(source, event.routing_key)
        new = NewAlert(
            source_id=source.id,
            policy_id=policy_id,
            summary=summary[:500],
            details=event.details,
            priority=effective_priority(source, event),
            alert_key=alert_key,
            images=event.images,
            links=event.links,
            custom_details=event.custom_details,
            labels=event.labels,
            received_text=f"Alert created from an event via {event.via} on source '{source.name}'",
            source_name=source.name,
            extra_entries=routing_entries,
        )
        try:
            alert = await open_alert(new, now)
        except IntegrityError:
            # Another request opened it first: loop and append to the winner.
            continue
        return IngestResult(ResponseCode.NEW_ALERT_CREATED, alert_key, alert.id)
    raise RuntimeError("could not open or find the alert after three tries")
