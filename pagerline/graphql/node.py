"""Relay's ``node(id:)``: fetch any object again by its global id ``"<Type>:<id>"`` (each node's
``globalId`` field). Object ``id`` fields stay plain numbers (``acceptAlert(id: "12")``), as the
fixed contract says; the type prefix is what makes a global id unambiguous. Unknown ids and
objects the viewer may not see are both ``null``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from strawberry.types import Info

from pagerline import models
from pagerline.engine.people.accounts import Viewer
from pagerline.engine.people.roles import may_see, may_see_team, visible_people
from pagerline.graphql.sources.routing import AlertSource, EscalationPolicy
from pagerline.graphql.people.types import Team, User
from pagerline.graphql.core.args import parse_id
from pagerline.graphql.core.context import viewer_of
from pagerline.graphql.core.errors import user_error
from pagerline.graphql.core.permissions import require_viewer, visible_alert
from pagerline.graphql.alerts.types import Alert
from pagerline.graphql.core.types import Node


async def _alert(viewer: Viewer, pk: int) -> Node | None:
    row = await visible_alert(viewer, pk)
    return Alert.of(row) if row else None


async def _source(viewer: Viewer, pk: int) -> Node | None:
    row = await models.AlertSource.get_or_none(id=pk)
    return AlertSource.of(row) if row and may_see(viewer, row.team_id) else None  # type: ignore[attr-defined]


async def _policy(viewer: Viewer, pk: int) -> Node | None:
    row = await models.EscalationPolicy.get_or_none(id=pk)
    return EscalationPolicy.of(row) if row and may_see(viewer, row.team_id) else None  # type: ignore[attr-defined]


async def _team(viewer: Viewer, pk: int) -> Node | None:
    row = await models.Team.get_or_none(id=pk) if may_see_team(viewer, pk) else None
    return Team.of(row) if row else None


async def _user(viewer: Viewer, pk: int) -> Node | None:
    row = await models.User.filter(visible_people(viewer), id=pk).first()
    return User.of(row) if row else None


FETCHERS: dict[str, Callable[[Viewer, int], Awaitable[Node | None]]] = {
    "Alert": _alert,
    "AlertSource": _source,
    "EscalationPolicy": _policy,
    "Team": _team,
    "User": _user,
}


@strawberry.type
class NodeQuery:
    @strawberry.field(description='Any object by its globalId, e.g. node(id: "Alert:12"); null when not found or not visible.')
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        viewer = require_viewer(viewer_of(info))
        type_name, _, raw = str(id).partition(":")
        fetch = FETCHERS.get(type_name)
        if fetch is None:
            raise user_error("BAD_USER_INPUT", f"'{id}' is not a global id like \"Alert:12\" ({', '.join(FETCHERS)})")
        return await fetch(viewer, parse_id(raw, f"{type_name} id"))
