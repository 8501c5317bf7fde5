"""What an alert's detail view shows besides its timeline: who was paged (responders), every
notification with its delivery status, and what its source sent along (links, images, labels)."""

from __future__ import annotations

import json
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from pagerline import models
from pagerline.graphql.people.types import NotificationMethod, User
from pagerline.graphql.core.context import loaders_of


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


@strawberry.type(description="A link the source sent: Alertmanager's generatorURL, a runbook, a silence, a dashboard, ...")
class AlertLink:
    href: str = strawberry.field(description="As the source sent it: check the scheme (http/https) before making it clickable.")
    text: str | None


@strawberry.type
class AlertImage:
    src: str
    href: str | None
    alt: str | None


@strawberry.type(description="One label of the alert (Alertmanager's labels, or the events API's labels).")
class AlertLabel:
    key: str
    value: str


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def links_of(stored: list[dict[str, Any]]) -> list[AlertLink]:
    return [
        AlertLink(href=item["href"], text=_text(item.get("text")))
        for item in stored
        if isinstance(item, dict) and isinstance(item.get("href"), str)
    ]


def images_of(stored: list[dict[str, Any]]) -> list[AlertImage]:
    return [
        AlertImage(src=item["src"], href=_text(item.get("href")), alt=_text(item.get("alt")))
        for item in stored
        if isinstance(item, dict) and isinstance(item.get("src"), str)
    ]


def labels_of(stored: dict[str, Any]) -> list[AlertLabel]:
    """Sorted by key. Label values are strings from every source we have; anything else a
    template produced is shown as its JSON text rather than dropped."""
    return [
        AlertLabel(key=key, value=value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
        for key, value in sorted(stored.items())
    ]
