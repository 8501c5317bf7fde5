"""Users, sessions and tokens.

Token secrets are shown once and stored as SHA-256 digests (see :mod:`pagerline.security`).
Passwords use argon2.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from pagerline.engine.people import contacts, field_rules as people_rules
from pagerline.engine.core import sql
from pagerline.engine.core.effects import Effects, dispatch_after_commit
from pagerline.engine.core.errors import BadInput, Conflict, NotFound
from pagerline.engine.notify.planning import create_default_rules
from pagerline.models import ApiToken, Device, Role, Team, TokenKind, User
from pagerline.security import digest, digests_match, hash_password, new_secret, verify_password

TOKEN_PREFIX = {TokenKind.SESSION: "pls", TokenKind.API: "pla", TokenKind.DEVICE: "pld", TokenKind.WIDGET: "plw"}


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking, and with what kind of token."""

    user: User
    token_kind: TokenKind
    token_id: int
    team_ids: frozenset[int]
    expires_at: datetime | None = None  # the token's; a long-lived connection checks it as it goes

    @property
    def is_admin(self) -> bool:
        return self.user.role is Role.ADMIN

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


async def create_user(
    email: str,
    name: str,
    password: str | None = None,
    role: Role = Role.USER,
    timezone: str = "UTC",
    team_names: list[str] | None = None,
) -> User:
    """The one way an account is made (GraphQL ``createUser``, ``pagerline user create``, the
    demo): every field checked by :mod:`pagerline.engine.people.field_rules`, then the user, their default
    notification rules and their team memberships (teams named but missing are created) in one
    transaction. Without a password the account signs in only with tokens until one is set
    (:func:`set_password`)."""
    email = people_rules.email(email)
    name = people_rules.name(name) if name.strip() else email
    people_rules.timezone(timezone)
    password_hash = hash_password(people_rules.password(password)) if password is not None else None
    wanted_teams = sorted({people_rules.team_name(t) for t in team_names or []})
    try:
        async with in_transaction():
            user = await User.create(email=email, name=name, role=role, timezone=timezone, password_hash=password_hash)
            await create_default_rules(user.id)
            # The sign-in address is the first email contact method (email pages went to it before
            # contact methods; an admin gave it, so it needs no code).
            await contacts.move_sign_in_address(user.id, None, email)
            for team_name in wanted_teams:
                team, _ = await Team.get_or_create(name=team_name)
                await team.members.add(user)
    except IntegrityError as exc:
        raise Conflict(f"A user with email {email} exists already", field="email") from exc
    return user


async def set_password(user_id: int, password: str, now: datetime, keep_token_id: int | None = None) -> None:
    """Set or replace a password. Every session of the user ends (but ``keep_token_id``, the
    session a user changes their own password from): whoever knew the old password is signed
    out. API and device tokens stay; revoke them one by one if they leaked too."""
    password_hash = hash_password(people_rules.password(password))
    async with in_transaction():
        if not await User.filter(id=user_id).update(password_hash=password_hash):
            raise NotFound("User not found")
        ended = ApiToken.filter(user_id=user_id, kind=TokenKind.SESSION, revoked_at__isnull=True)
        if keep_token_id is not None:
            ended = ended.exclude(id=keep_token_id)
        await ended.update(revoked_at=now)
    await announce_credentials_changed(user_id)


async def user_by_email(address: str) -> User | None:
    """The account ``address`` names, read as :func:`~pagerline.engine.people.field_rules.email`
    stores addresses (so " Carol@Example.com " finds carol@example.com); None when no account
    has it, or it is not an address at all (no account could have it)."""
    try:
        stored = people_rules.email(address)
    except BadInput:
        return None
    return await User.get_or_none(email=stored)


async def set_password_by_email(address: str, password: str, now: datetime) -> User | None:
    """:func:`set_password` for the account ``address`` names (``pagerline user set-password``);
    None, and nothing changed, when there is none."""
    user = await user_by_email(address)
    if user is not None:
        await set_password(user.id, password, now)
    return user


async def create_token(
    user_id: int,
    kind: TokenKind,
    now: datetime,
    name: str = "",
    ttl: timedelta | None = None,
    device_id: int | None = None,
) -> tuple[ApiToken, str]:
    secret = new_secret(TOKEN_PREFIX[kind], 32)
    token = await ApiToken.create(
        user_id=user_id,
        kind=kind,
        device_id=device_id,
        name=name,
        token_hash=digest(secret),
        # A zero lifetime is a token that has already expired, not one that never does.
        expires_at=now + ttl if ttl is not None else None,
    )
    return token, secret


async def login(email: str, password: str, now: datetime, lifetime: timedelta) -> tuple[User, str] | None:
    """A session token that works until ``now + lifetime`` (``PAGERLINE_SESSION_DAYS``)."""
    user = await user_by_email(email)
    if not verify_password(user.password_hash if user else None, password) or user is None or not user.active:
        return None
    _, secret = await create_token(user.id, TokenKind.SESSION, now, "login", lifetime)
    return user, secret


def _authenticate_sql() -> str:
    # One statement for every API request: the token, its user (only while the account is
    # active: a deactivated user's tokens stop working at once), the user's teams (one row
    # each) and whether a device token's device is still registered, active and the user's.
    return (
        f"SELECT {sql.columns(ApiToken, 't')}, {sql.columns(User, 'u')}, tm.teams_id AS team_id, "
        "d.id AS bound_device_id "
        "FROM api_tokens t JOIN users u ON u.id = t.user_id "
        "LEFT JOIN team_members tm ON tm.user_id = u.id "
        "LEFT JOIN devices d ON d.id = t.device_id AND d.user_id = t.user_id AND d.active "
        "WHERE t.token_hash = ? AND u.active"
    )


async def authenticate(secret: str, now: datetime) -> Viewer | None:
    if not secret:
        return None
    token_hash = digest(secret)
    rows = await sql.fetch(_authenticate_sql(), token_hash)
    if not rows:
        return None
    token, user = sql.from_row(ApiToken, rows[0], "t"), sql.from_row(User, rows[0], "u")
    assert token is not None and user is not None
    if not digests_match(token.token_hash, token_hash) or not _current(token, now):
        return None
    if token.kind is TokenKind.DEVICE and rows[0]["bound_device_id"] is None:
        return None
    team_ids = frozenset(int(row["team_id"]) for row in rows if row["team_id"] is not None)
    return Viewer(user=user, token_kind=token.kind, token_id=token.id, team_ids=team_ids, expires_at=token.expires_at)


async def still_authenticated(viewer: Viewer, now: datetime) -> bool:
    """Whether the token a long-lived connection (a subscription) signed in with still works."""
    token = await ApiToken.get_or_none(id=viewer.token_id)
    return token is not None and await _usable(token, now)


async def refreshed(viewer: Viewer, now: datetime) -> Viewer | None:
    """The viewer of a long-lived connection (a subscription) as it is now: None once its token
    stops working; otherwise with the user's current role and teams, so that a membership or
    role change applies to an open connection at once, not at its next sign-in."""
    if not await still_authenticated(viewer, now):
        return None
    user = await User.get_or_none(id=viewer.user.id)
    if user is None or not user.active:
        return None
    team_ids = frozenset(await Team.filter(members__id=user.id).values_list("id", flat=True))
    return replace(viewer, user=user, team_ids=team_ids)


def _current(token: ApiToken, now: datetime) -> bool:
    return token.revoked_at is None and (token.expires_at is None or token.expires_at > now)


async def _usable(token: ApiToken, now: datetime) -> bool:
    return _current(token, now) and (token.kind is not TokenKind.DEVICE or await _device_still_bound(token))


async def _device_still_bound(token: ApiToken) -> bool:
    """A device token works only while its device is registered, active and still its owner's
    (a push token moves to whoever signs in next on that phone)."""
    return await Device.exists(id=token.device_id, user_id=token.user_id, active=True)  # type: ignore[attr-defined]


async def revoke_token(token_id: int, now: datetime) -> None:
    user_ids = await ApiToken.filter(id=token_id, revoked_at__isnull=True).values_list("user_id", flat=True)
    await ApiToken.filter(id=token_id, revoked_at__isnull=True).update(revoked_at=now)
    await announce_credentials_changed(*user_ids)  # type: ignore[arg-type]


async def announce_credentials_changed(*user_ids: int) -> None:
    """After a commit that may end some of these users' tokens (revoked, device gone) or change
    what they may see (teams, role): open subscriptions of theirs check their token again and
    reload their teams (see pagerline.graphql.core.bus_events)."""
    effects = Effects()
    for user_id in sorted(set(user_ids)):
        effects.publish("auth", "CHANGED", user_id=user_id)
    await dispatch_after_commit(effects)
