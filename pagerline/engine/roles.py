"""Who may manage configuration (ilert's roles), decided once for every adapter.

ADMIN manages everything. A USER manages the objects of their own teams (alert sources,
escalation policies, team membership). RESPONDERs act on alerts but manage no configuration;
STAKEHOLDERs only read. Objects without a team belong to the whole organisation, so only
admins manage them (a USER must put what they create into one of their teams).
"""

from __future__ import annotations

from pagerline.engine.accounts import Viewer
from pagerline.engine.errors import Forbidden
from pagerline.models import Role


def may_see(viewer: Viewer, team_id: int | None) -> bool:
    """Everyone sees their teams' objects and the organisation's (no team); admins see all."""
    return viewer.is_admin or team_id is None or team_id in viewer.team_ids


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
