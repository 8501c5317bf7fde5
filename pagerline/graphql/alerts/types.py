"""The alert's GraphQL types: the alert, its timeline entries, and the connection that pages
through alerts. Built from model rows; relations load through :mod:`pagerline.graphql.core.loaders`."""

from __future__ import annotations

import base64
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from pagerline import models
from pagerline.graphql.alerts.parts import (
    AlertImage, AlertLabel, AlertLink, AlertNotification, Responder, images_of, labels_of, links_of,
)
from pagerline.graphql.alerts.parts import responders as responders_of
from pagerline.graphql.alerts import timeline as alert_timeline
from pagerline.graphql.alerts.timeline import LogEntry, LogEntryEdge
from pagerline.graphql.core.context import loaders_of
from pagerline.graphql.core.types import Node, Priority
from pagerline.graphql.sources.policies import alert_deployments
from pagerline.graphql.sources.routing import AlertSource, EscalationPolicy, visible_policy
from pagerline.graphql.sources.types import DeploymentEvent


@strawberry.enum
class AlertStatus(Enum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    RESOLVED = "RESOLVED"


@strawberry.type
class Alert(Node):
    id: strawberry.ID
    summary: str
    details: str | None
    status: AlertStatus
    priority: Priority
    alert_key: str
    created_at: datetime
    accepted_at: datetime | None
    resolved_at: datetime | None
    escalation_level: int
    next_escalation_at: datetime | None
    source_id: strawberry.Private[int]
    policy_id: strawberry.Private[int | None]
    accepted_by_id: strawberry.Private[int | None]
    stored_links: strawberry.Private[list[dict[str, object]]]
    stored_images: strawberry.Private[list[dict[str, object]]]
    stored_labels: strawberry.Private[dict[str, object]]
    custom_details: JSON = strawberry.field(description="Whatever the source sent besides summary and details (an object).")

    @strawberry.field(description="Links the source sent (runbook, graph, silence, ...), in the order it sent them.")
    def links(self) -> list[AlertLink]:
        return links_of(self.stored_links)  # type: ignore[arg-type]

    @strawberry.field
    def images(self) -> list[AlertImage]:
        return images_of(self.stored_images)  # type: ignore[arg-type]

    @strawberry.field(description="Key/value pairs, sorted by key.")
    def labels(self) -> list[AlertLabel]:
        return labels_of(self.stored_labels)

    @strawberry.field(description="The newest timeline entries, oldest first (all of them when there are no more than `last`).")
    async def log_entries(
        self, info: Info, last: Annotated[int, strawberry.argument(description=alert_timeline.LAST_HELP)] = alert_timeline.DEFAULT_LAST
    ) -> list[LogEntry]:
        return await alert_timeline.newest(info, int(self.id), last)

    @strawberry.field(description="The timeline a page at a time, newest first: pass a page's `endCursor` as `after` for older entries.")
    async def timeline(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description=alert_timeline.FIRST_HELP)] = alert_timeline.DEFAULT_FIRST,
        after: str | None = None,
    ) -> LogEntryConnection:
        edges, older = await alert_timeline.page(info, int(self.id), first, after)
        return LogEntryConnection(edges=edges, page_info=PageInfo(has_next_page=older, end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description=alert_timeline.COUNT_HELP)
    async def log_entry_count(self, info: Info) -> int:
        return await alert_timeline.count(info, int(self.id))

    @strawberry.field(description="Events received: the first one plus every repeat.")
    async def event_count(self, info: Info) -> int:
        return await loaders_of(info).event_counts.load(int(self.id))

    @strawberry.field(description="The newest timeline entry (what a list shows).")
    async def latest_log_entry(self, info: Info) -> LogEntry | None:
        return await alert_timeline.latest(info, int(self.id))

    @strawberry.field
    async def source(self, info: Info) -> AlertSource | None:
        row = await loaders_of(info).sources.load(self.source_id)
        return AlertSource.of(row) if row else None

    @strawberry.field(description="The policy this alert escalates along (null if you cannot see it).")
    async def escalation_policy(self, info: Info) -> EscalationPolicy | None:
        return await visible_policy(info, self.policy_id)

    @strawberry.field(description="Deployments of the alert's team in the hour before it opened, newest first.")
    async def deployments(self, info: Info) -> list[DeploymentEvent]:
        return await alert_deployments(int(self.id))

    @strawberry.field(description="Everyone paged for this alert, and who accepted it.")
    async def responders(self, info: Info) -> list[Responder]:
        return await responders_of(info, int(self.id), self.accepted_by_id)

    @strawberry.field(description="Every notification about this alert: channel, person, status, sent time.")
    async def notifications(self, info: Info) -> list[AlertNotification]:
        return [AlertNotification.of(r) for r in await loaders_of(info).alert_notifications.load(int(self.id))]

    @classmethod
    def of(cls, row: models.Alert) -> Alert:
        return cls(
            id=strawberry.ID(str(row.id)),
            summary=row.summary,
            details=row.details,
            status=AlertStatus(row.status.value),
            priority=Priority(row.priority.value),
            alert_key=row.alert_key,
            created_at=row.created_at,
            accepted_at=row.accepted_at,
            resolved_at=row.resolved_at,
            escalation_level=row.escalation_rule_index + 1,
            next_escalation_at=row.next_escalation_at,
            source_id=row.source_id,  # type: ignore[attr-defined]
            policy_id=row.policy_id,  # type: ignore[attr-defined]
            accepted_by_id=row.accepted_by_id,  # type: ignore[attr-defined]
            stored_links=row.links,
            stored_images=row.images,
            stored_labels=row.labels,
            custom_details=row.custom_details,
        )


@strawberry.type
class AlertEdge:
    cursor: str
    node: Alert


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class AlertConnection:
    edges: list[AlertEdge]
    page_info: PageInfo


@strawberry.type
class LogEntryConnection:
    edges: list[LogEntryEdge]
    page_info: PageInfo


@strawberry.type
class AlertEvent:
    kind: str
    alert: Alert


def encode_cursor(alert_id: int) -> str:
    return base64.urlsafe_b64encode(f"alert:{alert_id}".encode()).decode()


def decode_cursor(cursor: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        prefix, _, value = text.partition(":")
        return int(value) if prefix == "alert" else None
    except (ValueError, UnicodeDecodeError):
        return None
