"""Who may see and manage what (ilert's roles), decided once for every adapter.

Seeing: admins see everything. Everyone else sees the objects of their own teams and those
without a team (the organisation's), their own teams and, of people, themselves and their
teammates (someone in none of their teams is not listed, and their id answers as unknown).
People named by something one may see (a responder of a visible alert, a user in a visible
policy's rule or on a visible schedule) are shown there, since one needs to know who is paged.

Managing: ADMIN manages everything. A USER manages the objects of their own teams (alert sources,
escalation policies, team membership). RESPONDERs act on alerts but manage no configuration;
STAKEHOLDERs only read. Objects without a team belong to the whole organisation, so only
admins manage them (a USER must put what they create into one of their teams).
"""

from __future__ import annotations

from tortoise.expressions import Q

from pagerline.engine.people.accounts import Viewer
from pagerline.engine.core.errors import Forbidden
from pagerline.models import Role


def may_see(viewer: Viewer, team_id: int | None) -> bool:
    """Everyone sees their teams' objects and the organisation's (no team); admins see all."""
    return viewer.is_admin or team_id is None or team_id in viewer.team_ids


def may_see_team(viewer: Viewer, team_id: int) -> bool:
    """A team itself (its name, its members): admins, and its members."""
    return viewer.is_admin or team_id in viewer.team_ids


def visible_people(viewer: Viewer) -> Q:
    """Which users ``viewer`` may list or fetch by id: everyone for admins, else themselves
    and their teammates (apply ``.distinct()``: a teammate in two shared teams matches twice)."""
    if viewer.is_admin:
        return Q()
    return Q(id=viewer.user.id) | Q(teams__id__in=sorted(viewer.team_ids))


def may_manage(viewer: Viewer, team_id: int | None) -> bool:
    if viewer.is_admin:
        return True
    return viewer.user.role is Role.USER and team_id is not None and team_id in viewer.team_ids


def require_manager(viewer: Viewer, team_id: int | None, what: str) -> None:
    if may_manage(viewer, team_id):
        return
    if viewer.user.role in (Role.RESPONDER, Role.STAKEHOLDER):
        raise Forbidden(f"{viewer.user.role.value.capitalize()}s cannot manage {what}")
    if team_id is None:
        raise Forbidden(f"Only admins manage {what} without a team; choose one of your teams")
    raise Forbidden(f"You can manage only your own teams' {what}")


def require_admin(viewer: Viewer, what: str) -> None:
    if not viewer.is_admin:
        raise Forbidden(f"Only admins can {what}")
