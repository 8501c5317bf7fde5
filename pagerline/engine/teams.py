"""Teams and their members. Admins create teams; admins and the team's USERs manage who is in
it (membership decides what people see and may manage, so RESPONDERs cannot change it)."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from pagerline.engine.accounts import Viewer
from pagerline.engine.errors import BadInput, Conflict, NotFound
from pagerline.engine.roles import require_admin, require_manager
from pagerline.models import Team, User


async def create_team(viewer: Viewer, name: str) -> Team:
    require_admin(viewer, "create teams")
    name = name.strip()
    if not name or len(name) > 200:
        raise BadInput("A team name of 1 to 200 characters is required")
    try:
        return await Team.create(name=name)
    except IntegrityError as exc:
        raise Conflict(f"A team named '{name}' exists already") from exc


async def _team_and_user(viewer: Viewer, team_id: int, user_id: int) -> tuple[Team, User]:
    team = await Team.get_or_none(id=team_id)
    if team is None:
        raise NotFound("Team not found")
    require_manager(viewer, team.id, "team membership")
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound("User not found")
    return team, user


async def add_member(viewer: Viewer, team_id: int, user_id: int) -> Team:
    """Adding someone who is a member already changes nothing."""
    team, user = await _team_and_user(viewer, team_id, user_id)
    if not await team.members.filter(id=user.id).exists():
        await team.members.add(user)
    return team


async def remove_member(viewer: Viewer, team_id: int, user_id: int) -> Team:
    team, user = await _team_and_user(viewer, team_id, user_id)
    if not await team.members.filter(id=user.id).exists():
        raise NotFound(f"{user.name} is not a member of {team.name}")
    await team.members.remove(user)
    return team
