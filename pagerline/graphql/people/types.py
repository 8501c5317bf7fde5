"""People's GraphQL types: users, teams, notification rules. Relations load through
:mod:`pagerline.graphql.core.loaders`."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Protocol

import strawberry
from strawberry.types import Info

from pagerline import models
from pagerline.engine.people.roles import may_see_team
from pagerline.graphql.core.context import loaders_of, viewer_of
from pagerline.graphql.core.types import Node, Priority


@strawberry.enum
class Role(Enum):
    ADMIN = "ADMIN"
    USER = "USER"
    RESPONDER = "RESPONDER"
    STAKEHOLDER = "STAKEHOLDER"


@strawberry.enum
class NotificationMethod(Enum):
    PUSH = "PUSH"
    SMS = "SMS"
    VOICE = "VOICE"
    EMAIL = "EMAIL"


class UserFields(Protocol):
    """What :class:`User` shows of a user: an ORM row, or a lighter read of the same columns
    (:class:`pagerline.graphql.core.loaders.UserRow`)."""

    @property
    def id(self) -> int: ...
    @property
    def email(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def role(self) -> models.Role: ...
    @property
    def timezone(self) -> str: ...
    @property
    def muted_until(self) -> datetime | None: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def phone_verified(self) -> bool: ...
    @property
    def phone_pending(self) -> str | None: ...


@strawberry.type
class User(Node):
    id: strawberry.ID
    email: str
    name: str
    role: Role
    timezone: str
    muted_until: datetime | None
    row: strawberry.Private[UserFields]

    @strawberry.field(description="Only you (and admins) see your number.")
    def phone(self, info: Info) -> str | None:
        return self.row.phone if _is_self_or_admin(info, self.row.id) else None

    @strawberry.field
    def phone_verified(self, info: Info) -> bool | None:
        return self.row.phone_verified if _is_self_or_admin(info, self.row.id) else None

    @strawberry.field
    def phone_pending(self, info: Info) -> str | None:
        return self.row.phone_pending if _is_self_or_admin(info, self.row.id) else None

    @strawberry.field(description="Only you (and admins) see someone's rules.")
    async def notification_rules(self, info: Info) -> list[NotificationRule] | None:
        if not _is_self_or_admin(info, self.row.id):
            return None
        return [NotificationRule.of(r) for r in await loaders_of(info).notification_rules.load(self.row.id)]

    @strawberry.field
    async def teams(self, info: Info) -> list[Team]:
        viewer = viewer_of(info)  # another team's name is not shown through one of its members
        teams = await loaders_of(info).user_teams.load(self.row.id)
        return [Team.of(t) for t in teams if viewer is not None and may_see_team(viewer, t.id)]

    @classmethod
    def of(cls, row: UserFields) -> User:
        return cls(
            id=strawberry.ID(str(row.id)), email=row.email, name=row.name, role=Role(row.role.value),
            timezone=row.timezone, muted_until=row.muted_until, row=row,
        )

    @classmethod
    def shown(cls, info: Info, row: UserFields) -> User:
        """:meth:`of`, made once per user per request (a list showing the same people many
        times makes each once)."""
        made = loaders_of(info).user_objects
        user = made.get(row.id)
        if user is None or user.row is not row:
            user = made[row.id] = cls.of(row)
        return user  # type: ignore[no-any-return]


def _is_self_or_admin(info: Info, user_id: int) -> bool:
    viewer = viewer_of(info)
    return viewer is not None and (viewer.user.id == user_id or viewer.is_admin)


@strawberry.type
class Session:
    token: str
    user: User


@strawberry.type
class Team(Node):
    id: strawberry.ID
    name: str

    @strawberry.field
    async def members(self, info: Info) -> list[User]:
        return [User.of(u) for u in await loaders_of(info).team_members.load(int(self.id))]

    @classmethod
    def of(cls, row: models.Team) -> Team:
        return cls(id=strawberry.ID(str(row.id)), name=row.name)


@strawberry.type
class NotificationRule:
    id: strawberry.ID
    method: NotificationMethod
    delay_min: int = strawberry.field(description="Minutes after the page (0..120).")
    priority: Priority

    @classmethod
    def of(cls, row: models.NotificationRule) -> NotificationRule:
        return cls(id=strawberry.ID(str(row.id)), method=NotificationMethod(row.method.value), delay_min=row.delay_minutes, priority=Priority(row.priority.value))


@strawberry.input
class NotificationRuleInput:
    method: NotificationMethod
    delay_min: int
    priority: Priority = Priority.HIGH
