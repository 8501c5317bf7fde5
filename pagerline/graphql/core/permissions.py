"""Who may see and do what (ilert's roles).

ADMIN sees everything. Everyone else sees alerts of sources that belong to one of their teams,
and of sources with no team (shared with the whole organisation, as in ilert). STAKEHOLDERs
only read; they may not accept, resolve, comment or escalate. WIDGET tokens read the widget
feed and nothing else.
"""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q

from pagerline.engine.people.accounts import Viewer
from pagerline.engine.people.roles import may_see
from pagerline.graphql.core.errors import forbidden, unauthenticated
from pagerline.models import Alert, CoverageRequest, CoverageStatus, Role, Team, TokenKind


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


async def load_event_alert(ids: dict[str, Any]) -> Alert | None:
    """The alert a bus event names, with its source (for :func:`alert_seen_by`)."""
    alert_id = ids.get("alert_id")
    return await Alert.filter(id=alert_id).select_related("source").first() if isinstance(alert_id, int) else None


def alert_seen_by(viewer: Viewer, alert: Alert) -> Alert | None:
    """The rule of :func:`visible_alerts_filter`, in memory."""
    return alert if may_see(viewer, alert.source.team_id) else None  # type: ignore[attr-defined]


def can_see_team(viewer: Viewer, team_id: int | None) -> bool:
    return may_see(viewer, team_id)


def coverage_visible_to(viewer: Viewer, row: CoverageRequest, requester_team_ids: set[int]) -> bool:
    """Admins, the requester, the people asked, and the requester's teammates see a request."""
    if viewer.is_admin or viewer.user.id == row.requester_id or viewer.user.id in row.recipient_ids:  # type: ignore[attr-defined]
        return True
    return bool(requester_team_ids & viewer.team_ids)


async def teams_of(user_ids: list[int]) -> dict[int, set[int]]:
    """Each user's team ids, in one query."""
    teams: dict[int, set[int]] = {user_id: set() for user_id in user_ids}
    for team_id, user_id in await Team.filter(members__id__in=user_ids).values_list("id", "members__id"):
        teams.setdefault(int(user_id), set()).add(int(team_id))
    return teams


async def load_event_coverage_request(ids: dict[str, Any]) -> tuple[CoverageRequest, set[int]] | None:
    """The request a bus event names, with its requester's teams (for :func:`coverage_seen_by`)."""
    request_id = ids.get("coverage_request_id")
    row = await CoverageRequest.get_or_none(id=request_id) if isinstance(request_id, int) else None
    if row is None:
        return None
    return row, (await teams_of([row.requester_id]))[row.requester_id]  # type: ignore[attr-defined]


def coverage_seen_by(viewer: Viewer, loaded: tuple[CoverageRequest, set[int]]) -> CoverageRequest | None:
    row, requester_team_ids = loaded
    return row if coverage_visible_to(viewer, row, requester_team_ids) else None


async def visible_coverage_requests(viewer: Viewer, rows: list[CoverageRequest]) -> list[CoverageRequest]:
    """The requests of ``rows`` the viewer may see (:func:`coverage_visible_to`; one query for the teams)."""
    teams = await teams_of(sorted({r.requester_id for r in rows}))  # type: ignore[attr-defined]
    return [r for r in rows if coverage_visible_to(viewer, r, teams.get(r.requester_id, set()))]  # type: ignore[attr-defined]


async def newest_visible_coverage_requests(
    viewer: Viewer, statuses: list[CoverageStatus] | None = None, limit: int = 200
) -> list[CoverageRequest]:
    """The newest ``limit`` requests the viewer may see. Read page by page until that many are
    found: a cap applied before the visibility rule would hide a team's requests behind other
    teams' newer ones."""
    found: list[CoverageRequest] = []
    before: int | None = None
    while len(found) < limit:
        query = CoverageRequest.all().order_by("-id").limit(limit)
        if statuses:
            query = query.filter(status__in=statuses)
        if before is not None:
            query = query.filter(id__lt=before)
        rows = list(await query)
        if not rows:
            break
        found += await visible_coverage_requests(viewer, rows)
        before = rows[-1].id
    return found[:limit]
