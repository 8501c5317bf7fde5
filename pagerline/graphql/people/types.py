"""People's GraphQL types: users, teams, notification rules. Relations load through
:mod:`pagerline.graphql.core.loaders`."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Protocol

import strawberry
from strawberry.types import Info

from pagerline import models
from pagerline.engine.people import phones
from pagerline.engine.people.roles import may_see_team
from pagerline.graphql.core.context import loaders_of, viewer_of
from pagerline.graphql.core.types import Node, Priority
from pagerline.graphql.people.reachability import is_reachable


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
    NTFY = "NTFY"
    PUSHOVER = "PUSHOVER"
    TELEGRAM = "TELEGRAM"


@strawberry.enum(description="What a contact method is: a rule of the same method reaches every verified one of its kind.")
class ContactKind(Enum):
    SMS = "SMS"
    VOICE = "VOICE"
    EMAIL = "EMAIL"
    NTFY = "NTFY"
    PUSHOVER = "PUSHOVER"
    TELEGRAM = "TELEGRAM"


@strawberry.type(description="Where pages reach a user besides their devices; used only once verified.")
class ContactMethod:
    id: strawberry.ID
    kind: ContactKind
    value: str = strawberry.field(
        description="A phone number, an email address, an ntfy topic, a Pushover user key or a Telegram chat id (empty until linked)."
    )
    verified: bool
    verified_at: datetime | None
    created_at: datetime
    telegram_link: str | None = strawberry.field(
        default=None,
        description=(
            "Telegram only, right after addContactMethod: the link that opens the bot with this method's one-time code "
            "(or, where the bot's name is unknown, the command to send it: /start <code>)."
        ),
    )

    @classmethod
    def of(cls, row: models.ContactMethod, telegram_link: str | None = None) -> ContactMethod:
        return cls(
            id=strawberry.ID(str(row.id)), kind=ContactKind(row.kind.value), value=row.value, verified=row.verified,
            verified_at=row.verified_at, created_at=row.created_at, telegram_link=telegram_link,
        )


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
    def active(self) -> bool: ...


@strawberry.type
class User(Node):
    id: strawberry.ID
    email: str
    name: str
    role: Role
    timezone: str
    muted_until: datetime | None
    active: bool = strawberry.field(description="False once an admin deactivated the account (it cannot sign in and is never paged).")
    row: strawberry.Private[UserFields]

    @strawberry.field(description="Your SMS number verified last (see contactMethods). Only you (and admins) see it.")
    async def phone(self, info: Info) -> str | None:
        return await phones.primary_number(self.row.id) if _is_self_or_admin(info, self.row.id) else None

    @strawberry.field(description="Whether you have a verified SMS number (see contactMethods).")
    async def phone_verified(self, info: Info) -> bool | None:
        return (await phones.primary_number(self.row.id)) is not None if _is_self_or_admin(info, self.row.id) else None

    @strawberry.field(description="The number last given to setPhoneNumber that waits for its code.")
    async def phone_pending(self, info: Info) -> str | None:
        if not _is_self_or_admin(info, self.row.id):
            return None
        pending = await phones.pending_number(self.row.id)
        return pending.value if pending is not None else None

    @strawberry.field(description="Where pages reach this user besides their devices. Only you (and admins) see them.")
    async def contact_methods(self, info: Info) -> list[ContactMethod] | None:
        if not _is_self_or_admin(info, self.row.id):
            return None
        return [ContactMethod.of(m) for m in await models.ContactMethod.filter(user_id=self.row.id).order_by("kind", "id")]

    @strawberry.field(description="Only you (and admins) see someone's rules.")
    async def notification_rules(self, info: Info) -> list[NotificationRule] | None:
        if not _is_self_or_admin(info, self.row.id):
            return None
        return [NotificationRule.of(r) for r in await loaders_of(info).notification_rules.load(self.row.id)]

    @strawberry.field(description=(
        "Whether a page of every priority can reach them now (a device or verified contact method for their "
        "notification rules, on a channel this server delivers), as setupWarnings judges it. Only you (and admins) see it."
    ))
    async def reachable(self, info: Info) -> bool | None:
        if not _is_self_or_admin(info, self.row.id):
            return None
        return await is_reachable(info, self.row.id)

    @strawberry.field
    async def teams(self, info: Info) -> list[Team]:
        viewer = viewer_of(info)  # another team's name is not shown through one of its members
        teams = await loaders_of(info).user_teams.load(self.row.id)
        return [Team.of(t) for t in teams if viewer is not None and may_see_team(viewer, t.id)]

    @classmethod
    def of(cls, row: UserFields) -> User:
        return cls(
            id=strawberry.ID(str(row.id)), email=row.email, name=row.name, role=Role(row.role.value),
            timezone=row.timezone, muted_until=row.muted_until, active=row.active, row=row,
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
