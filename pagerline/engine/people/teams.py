"""Teams and their members. Admins create teams; admins and the team's USERs manage who is in
it (membership decides what people see and may manage, so RESPONDERs cannot change it)."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from pagerline.engine.people import field_rules as people_rules
from pagerline.engine.people.accounts import Viewer, announce_credentials_changed
from pagerline.engine.core.config_changes import ConfigAction, ConfigKind, config_changed
from pagerline.engine.core.errors import Conflict, NotFound
from pagerline.engine.people.roles import may_see_team, require_admin, require_manager
from pagerline.models import AlertAction, AlertSource, EscalationPolicy, Schedule, SupportHours, Team, User


async def create_team(viewer: Viewer, name: str) -> Team:
    require_admin(viewer, "create teams")
    name = people_rules.team_name(name)
    try:
        team = await Team.create(name=name)
    except IntegrityError as exc:
        raise Conflict(f"A team named '{name}' exists already") from exc
    await config_changed(ConfigKind.TEAM, team.id, ConfigAction.CREATED)
    return team


async def _team_and_user(viewer: Viewer, team_id: int, user_id: int) -> tuple[Team, User]:
    team = await Team.get_or_none(id=team_id)
    if team is None or not may_see_team(viewer, team.id):
        # Another team's id answers as an unknown one: ids leak nothing.
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
        await announce_credentials_changed(user.id)  # their open subscriptions see the team now
        await _membership_changed(team, user)
    return team


async def remove_member(viewer: Viewer, team_id: int, user_id: int) -> Team:
    team, user = await _team_and_user(viewer, team_id, user_id)
    if not await team.members.filter(id=user.id).exists():
        raise NotFound(f"That user is not a member of {team.name}")
    await team.members.remove(user)
    await announce_credentials_changed(user.id)  # their open subscriptions stop seeing the team
    await _membership_changed(team, user)
    return team


async def _membership_changed(team: Team, user: User) -> None:
    # Both show it: a team lists its members, a user their teams.
    await config_changed(ConfigKind.TEAM, team.id, ConfigAction.UPDATED)
    await config_changed(ConfigKind.USER, user.id, ConfigAction.UPDATED)


async def rename_team(viewer: Viewer, team_id: int, name: str) -> Team:
    require_admin(viewer, "rename teams")
    name = people_rules.team_name(name)
    team = await Team.get_or_none(id=team_id)
    if team is None:
        raise NotFound("Team not found")
    if await Team.filter(name=name).exclude(id=team.id).exists():
        raise Conflict(f"A team named '{name}' exists already", field="name")
    team.name = name
    try:
        await team.save(update_fields=["name"])
    except IntegrityError as exc:  # taken between the check and the save
        raise Conflict(f"A team named '{name}' exists already", field="name") from exc
    await config_changed(ConfigKind.TEAM, team.id, ConfigAction.UPDATED)
    return team


# What belongs to a team (and would be left without one, or deleted with it): (what, model).
_BELONGINGS: tuple[tuple[str, type[Model]], ...] = (
    ("alert sources", AlertSource),
    ("escalation policies", EscalationPolicy),
    ("schedules", Schedule),
    ("support hours", SupportHours),
    ("alert actions", AlertAction),
)


async def delete_team(viewer: Viewer, team_id: int) -> None:
    """Refused (Conflict, naming them) while anything belongs to the team: a source, policy or
    schedule would silently become the whole organisation's, support hours and alert actions
    would go with it. Its members stay users; they are just no longer in it."""
    require_admin(viewer, "delete teams")
    async with in_transaction():
        team = await Team.filter(id=team_id).select_for_update().first()
        if team is None:
            raise NotFound("Team not found")
        held = []
        for what, model in _BELONGINGS:
            names = await model.filter(team_id=team.id).order_by("name").values_list("name", flat=True)
            if names:
                held.append(f"{what} {', '.join(repr(n) for n in names)}")
        if held:
            raise Conflict(f"Team '{team.name}' still has {'; '.join(held)}: move them to another team or delete them first")
        member_ids = list(await team.members.all().values_list("id", flat=True))
        await team.members.clear()
        await team.delete()
    await announce_credentials_changed(*member_ids)  # their open subscriptions stop seeing the team
    await config_changed(ConfigKind.TEAM, team_id, ConfigAction.DELETED)
    for user_id in member_ids:
        await config_changed(ConfigKind.USER, user_id, ConfigAction.UPDATED)
