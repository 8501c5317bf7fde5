"""Creating and changing users: admins only (a role decides what someone may do), and
passwords: admins reset anyone's, a user changes their own with the current one."""

from __future__ import annotations

from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from pagerline.engine.people import contacts, field_rules as people_rules
from pagerline.engine.people.accounts import Viewer, create_user as create_account, set_password
from pagerline.engine.core.config_changes import ConfigAction, ConfigKind, config_changed
from pagerline.engine.core.errors import BadInput, Conflict, NotFound
from pagerline.engine.people.accounts import announce_credentials_changed
from pagerline.engine.people.roles import require_admin
from pagerline.models import Role, Team, User
from pagerline.security import verify_password



class WrongPassword(BadInput):
    """The current password given to change it is wrong (adapters count it as a failed sign-in)."""


async def create_user(
    viewer: Viewer,
    email: str,
    name: str,
    role: Role,
    password: str | None = None,
    timezone: str = "UTC",
    team_ids: list[int] | None = None,
) -> User:
    """GraphQL's ``createUser``: the admin check and existing teams by id, then the same
    account creation as ``pagerline user create`` (:func:`accounts.create_user`)."""
    require_admin(viewer, "create users")
    teams = dict(await Team.filter(id__in=team_ids or []).values_list("id", "name"))
    if len(teams) != len(set(team_ids or [])):
        raise NotFound("Team not found")
    user = await create_account(email, name, password, role, timezone, sorted(teams.values()))
    await config_changed(ConfigKind.USER, user.id, ConfigAction.CREATED)
    for team_id in teams:
        await config_changed(ConfigKind.TEAM, team_id, ConfigAction.UPDATED)  # a new member
    return user


async def update_user(
    viewer: Viewer,
    user_id: int,
    *,
    name: str | None = None,
    email: str | None = None,
    role: Role | None = None,
    timezone: str | None = None,
) -> User:
    require_admin(viewer, "change users")
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound("User not found")
    if name is not None:
        user.name = people_rules.name(name)
    if timezone is not None:
        user.timezone = people_rules.timezone(timezone)
    old_email = user.email
    if email is not None:
        user.email = people_rules.email(email)
    role_changed = role is not None and role is not user.role
    if role is not None and role_changed:
        if user.role is Role.ADMIN and await User.filter(role=Role.ADMIN).count() <= 1:
            raise Conflict("This is the last admin; make someone else an admin first", field="role")
        user.role = role
    try:
        async with in_transaction():
            await user.save()
            if user.email != old_email:
                await contacts.move_sign_in_address(user.id, old_email, user.email)
    except IntegrityError as exc:
        raise Conflict(f"A user with email {user.email} exists already", field="email") from exc
    if role_changed:
        await announce_credentials_changed(user.id)  # an open subscription takes the new role at once
    await config_changed(ConfigKind.USER, user.id, ConfigAction.UPDATED)
    return user


async def reset_password(viewer: Viewer, user_id: int, password: str, now: datetime) -> None:
    """An admin sets someone's password (a forgotten one, or an account made without one)."""
    require_admin(viewer, "reset passwords")
    await set_password(user_id, password, now)
    await config_changed(ConfigKind.USER, user_id, ConfigAction.UPDATED)  # e.g. no longer waiting for a password


async def _proven(viewer: Viewer, current: str) -> User:
    """The viewer's row, once the current password proves it is the person and not someone
    holding their token (a stolen session must not take the account over)."""
    user = await User.get(id=viewer.user.id)
    if not verify_password(user.password_hash, current):
        raise WrongPassword("The current password is wrong")
    return user


async def change_own_password(viewer: Viewer, current: str, new: str, now: datetime) -> None:
    """The session used stays signed in; the user's other sessions end."""
    user = await _proven(viewer, current)
    await set_password(user.id, new, now, keep_token_id=viewer.token_id)


async def change_own_email(viewer: Viewer, current: str, email: str) -> User:
    """The address a user signs in with and email pages go to, checked like an admin's change
    (valid, unique); nothing is saved unless every check passes. The password is checked before
    uniqueness, so a stolen session cannot probe which addresses have accounts. Sessions go on:
    the credentials are the same person's."""
    address = people_rules.email(email)
    user = await _proven(viewer, current)
    if await User.filter(email=address).exclude(id=user.id).exists():
        raise Conflict(f"A user with email {address} exists already", field="email")
    old = user.email
    user.email = address
    try:
        async with in_transaction():
            await user.save(update_fields=["email"])
            await contacts.move_sign_in_address(user.id, old, address)
    except IntegrityError as exc:  # taken between the check and the save
        raise Conflict(f"A user with email {address} exists already", field="email") from exc
    await config_changed(ConfigKind.USER, user.id, ConfigAction.UPDATED)
    return user
