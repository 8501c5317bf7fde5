"""GraphQL object types. Built from model rows; relations load through :mod:`loaders`."""

from __future__ import annotations

import base64
from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from pagerline import models
from pagerline.graphql.context import loaders_of, viewer_of


@strawberry.enum
class AlertStatus(Enum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    RESOLVED = "RESOLVED"


@strawberry.enum
class Priority(Enum):
    HIGH = "HIGH"
    LOW = "LOW"


@strawberry.enum
class Role(Enum):
    ADMIN = "ADMIN"
    USER = "USER"
    RESPONDER = "RESPONDER"
    STAKEHOLDER = "STAKEHOLDER"


@strawberry.type
class User:
    id: strawberry.ID
    email: str
    name: str
    role: Role
    timezone: str
    muted_until: datetime | None
    row: strawberry.Private[models.User]

    @strawberry.field(description="Only you (and admins) see your number.")
    def phone(self, info: Info) -> str | None:
        return self.row.phone if _is_self_or_admin(info, self.row.id) else None

    @strawberry.field
    def phone_verified(self, info: Info) -> bool | None:
        return self.row.phone_verified if _is_self_or_admin(info, self.row.id) else None

    @strawberry.field
    def phone_pending(self, info: Info) -> str | None:
        return self.row.phone_pending if _is_self_or_admin(info, self.row.id) else None

    @classmethod
    def of(cls, row: models.User) -> User:
        return cls(
            id=strawberry.ID(str(row.id)), email=row.email, name=row.name, role=Role(row.role.value),
            timezone=row.timezone, muted_until=row.muted_until, row=row,
        )


def _is_self_or_admin(info: Info, user_id: int) -> bool:
    viewer = viewer_of(info)
    return viewer is not None and (viewer.user.id == user_id or viewer.is_admin)


@strawberry.type
class Session:
    token: str
    user: User


@strawberry.type
class LogEntry:
    kind: str
    text: str
    at: datetime


@strawberry.type
class AlertSourceRef:
    id: strawberry.ID
    name: str


@strawberry.type
class Alert:
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

    @strawberry.field
    async def log_entries(self, info: Info) -> list[LogEntry]:
        rows = await loaders_of(info).log_entries.load(int(self.id))
        return [LogEntry(kind=r.kind, text=r.text, at=r.at) for r in rows]

    @strawberry.field(description="Events received: the first one plus every repeat.")
    async def event_count(self, info: Info) -> int:
        return await loaders_of(info).event_counts.load(int(self.id))

    @strawberry.field
    async def source(self, info: Info) -> AlertSourceRef | None:
        row = await loaders_of(info).sources.load(self.source_id)
        return AlertSourceRef(id=strawberry.ID(str(row.id)), name=row.name) if row else None

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
