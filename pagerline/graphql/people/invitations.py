"""Inviting people by a link that sets their password, and deactivating and reactivating
accounts (see ``engine.people.invitations`` and ``engine.alerts.deactivation``). Admins only, but
for the two the invitation link itself uses (``invitation`` and ``acceptInvitation``), which
need no sign-in: the link's token is the credential."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from pagerline import models
from pagerline.engine.alerts import deactivation
from pagerline.engine.people import invitations
from pagerline.graphql.core.args import now, parse_id, parse_ids
from pagerline.graphql.core.context import app_state, viewer_of
from pagerline.graphql.core.errors import engine_errors
from pagerline.graphql.core.permissions import require_viewer
from pagerline.graphql.people.types import Role, Session, User


@strawberry.type(description="A new invitation link; `url` (with its token) is shown this once.")
class Invitation:
    user: User
    url: str = strawberry.field(description="<public URL>/invite/<token>: opening it lets the user set a password, once.")
    expires_at: datetime

    @classmethod
    def of(cls, info: Info, issued: invitations.IssuedInvitation) -> Invitation:
        return cls(user=User.of(issued.user), url=issued.url(app_state(info).settings.public_url), expires_at=issued.expires_at)


@strawberry.type(description="Who an invitation link invites (for the page that accepts it).")
class InvitationInfo:
    email: str
    name: str
    expires_at: datetime


@strawberry.type
class InvitationQuery:
    @strawberry.field(description="No sign-in needed: who the link's token invites; null when it is unknown, used or expired.")
    async def invitation(self, token: str) -> InvitationInfo | None:
        found = await invitations.invitation_for(token, now())
        if found is None:
            return None
        user, expires_at = found
        return InvitationInfo(email=user.email, name=user.name, expires_at=expires_at)


@strawberry.type
class InvitationMutation:
    @strawberry.mutation(
        description=(
            "Admins only. Make an account without a password and a link (valid 7 days) that lets its owner set one. "
            "CONFLICT when the email is taken."
        )
    )
    async def invite_user(
        self,
        info: Info,
        email: str,
        name: str,
        role: Role = Role.USER,
        timezone: str = "UTC",
        team_ids: list[strawberry.ID] = [],  # noqa: B006 (read, never changed)
    ) -> Invitation:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            issued = await invitations.invite_user(
                viewer, email, name, models.Role(role.value), timezone, parse_ids(team_ids, "team id"), now()
            )
        return Invitation.of(info, issued)

    @strawberry.mutation(
        description="Admins only. A new link for someone who has not set a password yet; the old link stops working. CONFLICT once they have one."
    )
    async def resend_invitation(self, info: Info, user_id: strawberry.ID) -> Invitation:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            issued = await invitations.resend_invitation(viewer, parse_id(user_id, "user id"), now())
        return Invitation.of(info, issued)

    @strawberry.mutation(
        description=(
            "No sign-in needed: set the invited user's password (the usual rules) and sign them in. "
            "The link works once; NOT_FOUND when it is unknown, used or expired."
        )
    )
    async def accept_invitation(self, info: Info, token: str, password: str) -> Session:
        with engine_errors():
            user, session = await invitations.accept_invitation(token, password, now(), app_state(info).settings.session_lifetime)
        return Session(token=session, user=User.of(user))

    @strawberry.mutation(
        description=(
            "Admins only; not yourself. The user can no longer sign in, all their tokens stop working, they are never paged "
            "and their shifts no longer count in any schedule. Doing it again changes nothing."
        )
    )
    async def deactivate_user(self, info: Info, id: strawberry.ID) -> User:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            return User.of(await deactivation.set_active(viewer, parse_id(id, "user id"), False, now()))

    @strawberry.mutation(
        description="Admins only. Undo deactivateUser: paged and on schedules again; their old tokens stay revoked (they sign in again)."
    )
    async def reactivate_user(self, info: Info, id: strawberry.ID) -> User:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            return User.of(await deactivation.set_active(viewer, parse_id(id, "user id"), True, now()))
