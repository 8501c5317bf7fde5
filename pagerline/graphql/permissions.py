"""Who may see and do what (ilert's roles).

ADMIN sees everything. Everyone else sees alerts of sources that belong to one of their teams,
and of sources with no team (shared with the whole organisation, as in ilert). STAKEHOLDERs
only read; they may not accept, resolve, comment or escalate. WIDGET tokens read the widget
feed and nothing else.
"""

from __future__ import annotations

from tortoise.expressions import Q

from pagerline.engine.accounts import Viewer
from pagerline.graphql.errors import forbidden, unauthenticated
from pagerline.models import Alert, Role, TokenKind


def require_viewer(viewer: Viewer | None) -> Viewer:
    if viewer is None:
        raise unauthenticated()
    if viewer.token_kind is TokenKind.WIDGET:
        raise forbidden("A widget token can only read the widget feed")
    return viewer


def require_responder(viewer: Viewer | None) -> Viewer:
    viewer = require_viewer(viewer)
    if viewer.user.role is Role.STAKEHOLDER:
        raise forbidden("Stakeholders can read alerts but not act on them")
    return viewer


def visible_alerts_filter(viewer: Viewer) -> Q:
    if viewer.is_admin:
        return Q()
    return Q(source__team_id__in=list(viewer.team_ids)) | Q(source__team_id__isnull=True)


async def visible_alert(viewer: Viewer, alert_id: int) -> Alert | None:
    return await Alert.filter(visible_alerts_filter(viewer), id=alert_id).first()


def can_see_team(viewer: Viewer, team_id: int | None) -> bool:
    return viewer.is_admin or team_id is None or team_id in viewer.team_ids
