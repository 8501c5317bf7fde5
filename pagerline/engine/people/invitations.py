"""Invitations: an admin makes an account without a password and gets a link; whoever opens
the link sets the password (once) and is signed in.

The link carries a random token (192 bits) that is stored only as its SHA-256 digest and
compared in constant time, like every other secret (:mod:`pagerline.security`). It works for
``VALID_FOR`` (7 days) and once; a new invitation for the same user replaces the old one, so a
resent link retires the earlier one at once. An invited user who has not accepted is an active
account without a password: it cannot sign in, but it can be put on schedules and policies
straight away.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from pagerline.engine.core.config_changes import ConfigAction, ConfigKind, config_changed
from pagerline.engine.core.errors import BadInput, Conflict, NotFound
from pagerline.engine.people import field_rules as people_rules
from pagerline.engine.people.field_rules import checked
from pagerline.engine.people.accounts import Viewer, create_token, create_user, user_by_email
from pagerline.engine.people.roles import require_admin
from pagerline.models import Invitation, Role, Team, TokenKind, User
from pagerline.security import digest, digests_match, hash_password, new_secret

VALID_FOR = timedelta(days=7)
TOKEN_PREFIX = "pli"
INVITE_PATH = "/invite/"


@dataclass(frozen=True, slots=True)
class IssuedInvitation:
    """A new invitation: ``secret`` is the token for the link, shown this once."""

    user: User
    secret: str
    expires_at: datetime

    def url(self, public_url: str) -> str:
        return f"{public_url.rstrip('/')}{INVITE_PATH}{self.secret}"


async def _issue(user_id: int, now: datetime) -> tuple[str, datetime]:
    """A fresh link for the user, replacing any earlier one (inside the caller's transaction)."""
    await Invitation.filter(user_id=user_id).delete()
    secret = new_secret(TOKEN_PREFIX)
    expires_at = now + VALID_FOR
    await Invitation.create(user_id=user_id, token_hash=digest(secret), expires_at=expires_at)
    return secret, expires_at


async def invite_user(
    viewer: Viewer,
    email: str,
    name: str,
    role: Role,
    timezone: str,
    team_ids: list[int],
    now: datetime,
) -> IssuedInvitation:
    """Admins: the account (as ``createUser`` makes it, without a password) and its link. Every
    field is checked before anything is written; a taken address is a Conflict."""
    require_admin(viewer, "invite users")
    address = checked("email", people_rules.email, email)
    checked("name", people_rules.name, name)
    checked("timezone", people_rules.timezone, timezone)
    teams = dict(await Team.filter(id__in=team_ids).values_list("id", "name"))
    if len(teams) != len(set(team_ids)):
        raise BadInput("Team not found", field="teamIds")
    if await user_by_email(address) is not None:
        raise Conflict(f"A user with email {address} exists already")
    async with in_transaction():
        user = await create_user(address, name, None, role, timezone, sorted(teams.values()))
        secret, expires_at = await _issue(user.id, now)
    await config_changed(ConfigKind.USER, user.id, ConfigAction.CREATED)
    for team_id in sorted(teams):
        await config_changed(ConfigKind.TEAM, team_id, ConfigAction.UPDATED)  # a new member
    return IssuedInvitation(user, secret, expires_at)


async def resend_invitation(viewer: Viewer, user_id: int, now: datetime) -> IssuedInvitation:
    """Admins: a new link for a user who has not set a password yet; the old link stops
    working. A Conflict once they have a password (they sign in; an admin may reset it), or
    while the account is deactivated."""
    require_admin(viewer, "invite users")
    async with in_transaction():
        user = await User.filter(id=user_id).select_for_update().first()
        if user is None:
            raise NotFound("User not found")
        if user.password_hash:
            raise Conflict(f"{user.name} has set a password already; they sign in with it")
        if not user.active:
            raise Conflict(f"{user.name} is deactivated; reactivate them first")
        secret, expires_at = await _issue(user.id, now)
    await config_changed(ConfigKind.USER, user.id, ConfigAction.UPDATED)  # a new expiry
    return IssuedInvitation(user, secret, expires_at)


async def _live(secret: str, now: datetime) -> tuple[Invitation, User] | None:
    """The invitation this secret opens and its user, while it can still be accepted."""
    if not secret or not secret.startswith(f"{TOKEN_PREFIX}_"):
        return None
    token_hash = digest(secret)
    invitation = await Invitation.get_or_none(token_hash=token_hash).prefetch_related("user")
    if invitation is None or not digests_match(invitation.token_hash, token_hash) or invitation.expires_at <= now:
        return None
    user: User = invitation.user
    if not user.active or user.password_hash:
        return None
    return invitation, user


async def invitation_for(secret: str, now: datetime) -> tuple[User, datetime] | None:
    """Who the link invites and until when; None when it is unknown, used or expired."""
    found = await _live(secret, now)
    return (found[1], found[0].expires_at) if found is not None else None


async def accept_invitation(secret: str, password: str, now: datetime, lifetime: timedelta) -> tuple[User, str]:
    """Set the invited user's password (the same rules as everywhere) and sign them in: a
    session token, as ``login`` gives. The link works once; a bad password uses nothing up."""
    checked("password", people_rules.password, password)
    password_hash = hash_password(password)
    async with in_transaction():
        found = await _live(secret, now)
        # Deleting the row is what uses the link: of two requests racing, one deletes it.
        if found is None or not await Invitation.filter(id=found[0].id).delete():
            raise NotFound("This invitation link is unknown, used or expired; ask an admin for a new one")
        user = found[1]
        await User.filter(id=user.id).update(password_hash=password_hash)
        user.password_hash = password_hash
        _, session = await create_token(user.id, TokenKind.SESSION, now, "invitation", lifetime)
    await config_changed(ConfigKind.USER, user.id, ConfigAction.UPDATED)  # no longer waiting for a password
    return user, session
