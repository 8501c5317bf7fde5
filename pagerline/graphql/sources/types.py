"""GraphQL types of source policies, support hours, maintenance windows, dropped events,
heartbeats, deployment events and alert actions. Built from model rows; this module imports no
other type module, so :mod:`pagerline.graphql.alerts.types` can use :class:`DeploymentEvent`."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from pagerline import models


def _id(value: int | None) -> strawberry.ID | None:
    return strawberry.ID(str(value)) if value is not None else None


@strawberry.enum
class AlertCreation(Enum):
    ONE_ALERT_PER_KEY = "ONE_ALERT_PER_KEY"
    ONE_PENDING_ALERT = "ONE_PENDING_ALERT"
    ONE_OPEN_ALERT = "ONE_OPEN_ALERT"
    ONE_ALERT_GROUPED_PER_WINDOW = "ONE_ALERT_GROUPED_PER_WINDOW"


@strawberry.enum
class PriorityRule(Enum):
    HIGH = "HIGH"
    LOW = "LOW"
    HIGH_DURING_SUPPORT_HOURS = "HIGH_DURING_SUPPORT_HOURS"
    LOW_DURING_SUPPORT_HOURS = "LOW_DURING_SUPPORT_HOURS"


@strawberry.enum
class DropReason(Enum):
    FILTERED = "FILTERED"
    MAINTENANCE = "MAINTENANCE"


@strawberry.enum
class HeartbeatState(Enum):
    UNKNOWN = "UNKNOWN"
    HEALTHY = "HEALTHY"
    OVERDUE = "OVERDUE"


@strawberry.enum
class AlertActionKind(Enum):
    WEBHOOK = "WEBHOOK"
    SLACK = "SLACK"


@strawberry.enum
class AlertActionMode(Enum):
    AUTOMATIC = "AUTOMATIC"
    MANUAL = "MANUAL"


@strawberry.enum
class AlertActionTrigger(Enum):
    ALERT_CREATED = "ALERT_CREATED"
    ALERT_ACCEPTED = "ALERT_ACCEPTED"
    ALERT_RESOLVED = "ALERT_RESOLVED"
    ALERT_ESCALATED = "ALERT_ESCALATED"
    COMMENT_ADDED = "COMMENT_ADDED"
    MANUAL = "MANUAL"


@strawberry.enum
class ActionDeliveryStatus(Enum):
    PENDING = "PENDING"
    SENDING = "SENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


@strawberry.type
class AlertSourcePolicy:
    source_id: strawberry.ID
    alert_creation: AlertCreation
    alert_grouping_window_sec: int
    auto_resolution_timeout_sec: int | None
    priority_rule: PriorityRule
    support_hours_id: strawberry.ID | None
    auto_raise_alerts: bool
    event_filter: JSON | None
    templates: JSON | None
    intake_settings: JSON | None = strawberry.field(
        description="How the email, PagerDuty- and Opsgenie-compatible intakes read this source's events; null: the defaults."
    )
    in_maintenance: bool
    dropped_event_count: int


@strawberry.type
class SupportHours:
    id: strawberry.ID
    name: str
    timezone: str
    weekly: JSON
    exceptions: JSON
    team_id: strawberry.ID | None
    in_support_now: bool
    next_change: datetime | None


@strawberry.type
class MaintenanceWindow:
    id: strawberry.ID
    summary: str
    start: datetime
    end: datetime
    source_ids: list[strawberry.ID]

    @classmethod
    def of(cls, row: models.MaintenanceWindow, source_ids: list[int]) -> MaintenanceWindow:
        return cls(
            id=strawberry.ID(str(row.id)), summary=row.summary, start=row.start, end=row.end,
            source_ids=[strawberry.ID(str(i)) for i in source_ids],
        )


@strawberry.type
class DroppedEvent:
    id: strawberry.ID
    source_id: strawberry.ID
    reason: DropReason
    maintenance_window_id: strawberry.ID | None
    event_type: str
    summary: str
    alert_key: str | None
    event: JSON
    at: datetime

    @classmethod
    def of(cls, row: models.DroppedEvent) -> DroppedEvent:
        return cls(
            id=strawberry.ID(str(row.id)), source_id=strawberry.ID(str(row.source_id)),  # type: ignore[attr-defined]
            reason=DropReason(row.reason.value), maintenance_window_id=_id(row.maintenance_window_id),  # type: ignore[attr-defined]
            event_type=row.event_type, summary=row.summary, alert_key=row.alert_key, event=row.event, at=row.at,
        )


@strawberry.type
class Heartbeat:
    id: strawberry.ID
    name: str
    source_id: strawberry.ID
    interval_sec: int
    state: HeartbeatState
    last_ping_at: datetime | None
    due_at: datetime | None
    alert_id: strawberry.ID | None
    key_prefix: str
    key: str | None = strawberry.field(default=None, description="Only in createHeartbeat's answer (it is stored hashed).")
    url: str | None = strawberry.field(default=None, description="The ping URL, only in createHeartbeat's answer.")

    @classmethod
    def of(cls, row: models.Heartbeat, key: str | None = None, url: str | None = None) -> Heartbeat:
        return cls(
            id=strawberry.ID(str(row.id)), name=row.name, source_id=strawberry.ID(str(row.source_id)),  # type: ignore[attr-defined]
            interval_sec=row.interval_sec, state=HeartbeatState(row.state.value), last_ping_at=row.last_ping_at,
            due_at=row.due_at, alert_id=_id(row.alert_id), key_prefix=row.key_prefix, key=key, url=url,  # type: ignore[attr-defined]
        )


@strawberry.type
class DeploymentEvent:
    id: strawberry.ID
    source_id: strawberry.ID
    summary: str
    at: datetime
    user_email: str | None
    custom_details: JSON
    links: JSON

    @classmethod
    def of(cls, row: models.DeploymentEvent) -> DeploymentEvent:
        return cls(
            id=strawberry.ID(str(row.id)), source_id=strawberry.ID(str(row.source_id)),  # type: ignore[attr-defined]
            summary=row.summary, at=row.at, user_email=row.user_email, custom_details=row.custom_details, links=row.links,
        )


@strawberry.type
class AlertAction:
    id: strawberry.ID
    name: str
    kind: AlertActionKind
    url: str
    triggers: list[AlertActionTrigger]
    mode: AlertActionMode
    enabled: bool
    source_id: strawberry.ID | None
    team_id: strawberry.ID | None
    secret: str | None = strawberry.field(
        default=None, description="The signing secret, only in createAlertAction's answer: X-Pagerline-Signature is sha256=<hex HMAC-SHA256 of the body> with it."
    )

    @classmethod
    def of(cls, row: models.AlertAction, secret: str | None = None) -> AlertAction:
        return cls(
            id=strawberry.ID(str(row.id)), name=row.name, kind=AlertActionKind(row.kind.value), url=row.url,
            triggers=[AlertActionTrigger(t) for t in row.triggers], mode=AlertActionMode(row.mode.value), enabled=row.enabled,
            source_id=_id(row.source_id), team_id=_id(row.team_id), secret=secret,  # type: ignore[attr-defined]
        )


@strawberry.type
class AlertActionDelivery:
    id: strawberry.ID
    action_id: strawberry.ID
    alert_id: strawberry.ID
    trigger: AlertActionTrigger
    status: ActionDeliveryStatus
    attempts: int
    status_code: int | None
    latency_ms: int | None
    last_error: str | None
    next_attempt_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, row: models.AlertActionDelivery) -> AlertActionDelivery:
        return cls(
            id=strawberry.ID(str(row.id)), action_id=strawberry.ID(str(row.action_id)),  # type: ignore[attr-defined]
            alert_id=strawberry.ID(str(row.alert_id)), trigger=AlertActionTrigger(row.trigger),  # type: ignore[attr-defined]
            status=ActionDeliveryStatus(row.status.value), attempts=row.attempts, status_code=row.status_code,
            latency_ms=row.latency_ms, last_error=row.last_error, next_attempt_at=row.next_attempt_at, delivered_at=row.delivered_at,
        )


@strawberry.type
class TemplatePreview:
    """What the webhook templates make of a sample payload."""

    summary: str
    details: str
    alert_key: str
    priority: str
    event_type: str
    links: JSON
    problem: str | None = strawberry.field(default=None, description="Why the payload would be refused (422), if it would.")
