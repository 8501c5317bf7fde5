"""What an alert's detail view shows besides its timeline: who was paged (responders) and every
notification with its delivery status."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from pagerline import models
from pagerline.graphql.admin_types import NotificationMethod
from pagerline.graphql.context import loaders_of
from pagerline.graphql.types import User


@strawberry.enum
class NotificationStatus(Enum):
    PENDING = "PENDING"
    SENDING = "SENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    SUPPRESSED = "SUPPRESSED"


@strawberry.type
class Responder:
    user: User
    notified_at: datetime | None = strawberry.field(description="When they were first paged (null: accepted without a page).")
    accepted: bool


@strawberry.type
class AlertNotification:
    id: strawberry.ID
    kind: str
    channel: NotificationMethod
    status: NotificationStatus
    created_at: datetime
    due_at: datetime
    sent_at: datetime | None
    error: str | None
    user_id: strawberry.Private[int]

    @strawberry.field
    async def user(self, info: Info) -> User | None:
        row = await loaders_of(info).users.load(self.user_id)
        return User.of(row) if row else None

    @classmethod
    def of(cls, row: models.Notification) -> AlertNotification:
        return cls(
            id=strawberry.ID(str(row.id)), kind=row.kind.value, channel=NotificationMethod(row.channel.value),
            status=NotificationStatus(row.status.value), created_at=row.created_at, due_at=row.due_at,
            sent_at=row.sent_at, error=row.last_error, user_id=row.user_id,  # type: ignore[attr-defined]
        )


async def responders(info: Info, alert_id: int, accepted_by_id: int | None) -> list[Responder]:
    """Paged users in the order they were first paged; whoever accepted is marked (and listed
    even when they accepted without being paged)."""
    loaders = loaders_of(info)
    paged = await loaders.paged_users.load(alert_id)
    people = list(paged)
    if accepted_by_id is not None and accepted_by_id not in paged:
        people.append(accepted_by_id)
    users = await loaders.users.load_many(people)
    return [
        Responder(user=User.of(user), notified_at=paged.get(user.id), accepted=user.id == accepted_by_id)
        for user in users
        if user is not None
    ]
