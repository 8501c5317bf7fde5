"""Event intake: one function for every integration (API, Alertmanager, Grafana, ...).

Adapters turn their payloads into :class:`EventInput` and call :func:`ingest_event`. Dedup is
decided by the database: the unique ``open_key`` index lets exactly one of many concurrent
identical events open the alert; the others get an IntegrityError and append to the winner.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from tortoise.exceptions import IntegrityError

from pagerline.engine.core import metrics
from pagerline.engine.sources import policy as source_policy
from pagerline.engine.alerts.transitions import NewAlert, accept_alert, append_event, comment_alert, open_alert, resolve_alert
from pagerline.engine.core.errors import BadInput
from pagerline.engine.sources.events import EventInput, EventType, ResponseCode
from pagerline.engine.core.input_rules import check_value
from pagerline.engine.sources.lookup import SourceInfo
from pagerline.engine.core.timeline import LogKind
from pagerline.models import DropReason, EscalationPolicy


@dataclass(frozen=True, slots=True)
class IngestResult:
    response_code: str
    alert_key: str
    alert_id: int | None


def _check_storable(event: EventInput) -> None:
    """Every adapter's events (webhook templates' output, e-mail, the CLI) meet the one input
    rule before anything is written; fields are named as in the events API."""
    fields = {
        "summary": event.summary,
        "details": event.details,
        "alertKey": event.alert_key,
        "routingKey": event.routing_key,
        "images": event.images,
        "links": event.links,
        "customDetails": event.custom_details,
        "labels": event.labels,
        "comments": [list(comment) for comment in event.comments],
    }
    for name, value in fields.items():
        check_value(value, name)


MAX_ALERT_KEY = 255  # the events API's limit; keys are compared case-folded (open_key)


def validate(event: EventInput) -> None:
    _check_storable(event)
    # Lower-casing can lengthen a key ("İ" becomes two characters), and the open alert's key is
    # stored lower-cased: measured that way, a key that fits the field cannot overflow the column.
    if event.alert_key is not None and len(event.alert_key.strip().lower()) > MAX_ALERT_KEY:
        raise BadInput(f"alertKey is at most {MAX_ALERT_KEY} characters (compared in lower case)", field="alertKey")
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


async def ingest_event(source: SourceInfo, event: EventInput, now: datetime) -> IngestResult:
    validate(event)
    metrics.EVENTS_RECEIVED.labels(source.integration_type.value, event.event_type).inc()
    if event.event_type == EventType.ALERT:
        return await _ingest_alert(source, event, now)
    alert_key = (event.alert_key or "").strip()
    alert_id = await source_policy.find_open_alert(await source_policy.load_policy(source.id), alert_key)
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


_DROPPED_CODES = {DropReason.FILTERED: ResponseCode.EVENT_FILTERED, DropReason.MAINTENANCE: ResponseCode.SOURCE_IN_MAINTENANCE}


async def _ingest_alert(source: SourceInfo, event: EventInput, now: datetime) -> IngestResult:
    alert_key = (event.alert_key or "").strip() or uuid.uuid4().hex
    # The source's policies first: a maintenance window or the event filter drops the event
    # (recorded, not paged); grouping decides which open alert it joins.
    admission = await source_policy.admit(source, event, alert_key, now)
    if admission.dropped is not None:
        return IngestResult(_DROPPED_CODES[admission.dropped], alert_key, None)
    summary = (event.summary or "").strip()
    event_text = f"Event received via {event.via}: {summary}"[:1000]
    # Most repeated events find the open alert here without touching the unique index.
    for _ in range(3):
        existing = await append_event(admission.open_key, event_text, now)
        if existing is not None:
            return IngestResult(ResponseCode.EVENT_ADDED_TO_ALERT, alert_key, existing)
        policy_id, routing_entries = await _choose_policy(source, event.routing_key)
        new = NewAlert(
            source_id=source.id,
            policy_id=policy_id,
            summary=summary[:500],
            details=event.details,
            priority=admission.priority,
            alert_key=alert_key,
            open_key=admission.open_key,
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
