"""``configChanges``: the admin console's live view of configuration changes.

Each mutation that creates, updates or deletes a configured thing announces it after commit
(:mod:`pagerline.engine.core.config_changes`); this subscription hands those announcements to
admins, whoever made the change and through whichever server. Admins only: a change names ids of
every team's objects. An admin demoted while subscribed stops receiving at once (the bus's
``auth`` event refreshes the subscription's viewer, and :func:`_seen_by` reads its role).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from pagerline.engine.core import config_changes
from pagerline.engine.people.accounts import Viewer
from pagerline.graphql.core.bus_events import visible_changes
from pagerline.graphql.core.context import viewer_of
from pagerline.graphql.core.errors import forbidden
from pagerline.graphql.core.permissions import require_viewer

# The names of pagerline.engine.core.config_changes (a test checks they agree).
@strawberry.enum(description="What kind of configured thing changed.")
class ConfigKind(Enum):
    TEAM = "TEAM"
    USER = "USER"
    SCHEDULE = "SCHEDULE"
    POLICY = "POLICY"
    SOURCE = "SOURCE"
    SUPPORT_HOURS = "SUPPORT_HOURS"
    MAINTENANCE = "MAINTENANCE"
    HEARTBEAT = "HEARTBEAT"
    ALERT_ACTION = "ALERT_ACTION"
    CALENDAR_FEED = "CALENDAR_FEED"


@strawberry.enum
class ConfigAction(Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"


@strawberry.type(description="A configured thing was created, changed or deleted: load it again (or drop it).")
class ConfigChange:
    kind: ConfigKind
    id: strawberry.ID
    action: ConfigAction


@dataclass(frozen=True, slots=True)
class _Announced:
    kind: str
    id: int


async def _load(ids: dict[str, Any]) -> _Announced | None:
    """What the event names: nothing to read from the database (it carries all it says)."""
    kind, row_id = ids.get("config_kind"), ids.get("id")
    if kind not in ConfigKind.__members__ or not isinstance(row_id, int):
        return None
    return _Announced(kind, row_id)


def _seen_by(viewer: Viewer, event: _Announced) -> _Announced | None:
    return event if viewer.is_admin else None


@strawberry.type
class ConfigSubscription:
    @strawberry.subscription(description=(
        "Admins only. Every create, update and delete of teams, users, schedules, policies, sources and their "
        "settings, by anyone, once it has committed. Refetch what the change names."
    ))
    async def config_changes(self, info: Info) -> AsyncGenerator[ConfigChange, None]:
        viewer = require_viewer(viewer_of(info))
        if not viewer.is_admin:
            raise forbidden("Only admins can follow configuration changes")
        async for action, event in visible_changes(info, config_changes.TOPIC, _load, _seen_by):
            yield ConfigChange(
                kind=ConfigKind[event.kind],
                id=strawberry.ID(str(event.id)),
                action=ConfigAction[action],
            )
