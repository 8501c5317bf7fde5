"""Creating and changing users: admins only (a role decides what someone may do)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tortoise.exceptions import IntegrityError

from pagerline.engine.accounts import Viewer, create_user as create_account
from pagerline.engine.errors import BadInput, Conflict, NotFound
from pagerline.engine.roles import require_admin
from pagerline.models import Role, Team, User

MIN_PASSWORD = 8


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: a name too long for a file
        raise BadInput(f"Unknown time zone '{name}'") from exc


def _check_name(name: str) -> None:
    if not 0 < len(name.strip()) <= 200:
        raise BadInput("A name of 1 to 200 characters is required")


async def create_user(
    viewer: Viewer,
    email: str,
    name: str,
    role: Role,
    password: str | None = None,
    timezone: str = "UTC",
    team_ids: list[int] | None = None,
) -> User:
    require_admin(viewer, "create users")
    _check_name(name)
    _check_timezone(timezone)
    if password is not None and len(password) < MIN_PASSWORD:
        raise BadInput(f"A password needs at least {MIN_PASSWORD} characters")
    teams = dict(await Team.filter(id__in=team_ids or []).values_list("id", "name"))
    if len(teams) != len(set(team_ids or [])):
        raise NotFound("Team not found")
    return await create_account(email, name, password, role, timezone, sorted(teams.values()))


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
        _check_name(name)
        user.name = name.strip()
    if timezone is not None:
        _check_timezone(timezone)
        user.timezone = timezone
    if email is not None:
        if "@" not in email:
            raise BadInput("A valid email address is required")
        user.email = email.strip().lower()
    if role is not None and role is not user.role:
        if user.role is Role.ADMIN and await User.filter(role=Role.ADMIN).count() <= 1:
            raise Conflict("This is the last admin; make someone else an admin first")
        user.role = role
    try:
        await user.save()
    except IntegrityError as exc:
        raise Conflict(f"A user with email {user.email} exists already") from exc
    return user
