"""Reading the change bus for a subscription: the events of one topic that the viewer may see,
each row loaded afresh with the viewer's visibility, and fresh DataLoaders per event (a
WebSocket context lives for the whole connection, so loaders made once would serve stale rows)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from strawberry.types import Info

from pagerline.engine.accounts import Viewer, still_authenticated
from pagerline.graphql.context import app_state, viewer_of
from pagerline.graphql.errors import unauthenticated
from pagerline.graphql.loaders import Loaders
from pagerline.graphql.permissions import require_viewer

R = TypeVar("R")


async def visible_changes(
    info: Info, topic: str, id_key: str, load_visible: Callable[[Viewer, int], Awaitable[R | None]]
) -> AsyncIterator[tuple[str, R]]:
    """(kind, row) for each event of ``topic`` whose row (id under ``id_key``) ``load_visible``
    returns for this viewer; events about rows the viewer may not see are skipped. Ends with
    UNAUTHENTICATED once the viewer's token stops working."""
    viewer = require_viewer(viewer_of(info))
    subscription = app_state(info).bus.subscribe()
    try:
        async for event in subscription:
            if event.get("topic") == "auth":
                # A token or device of this user changed: a signed-out, revoked or unbound
                # token must not keep receiving (graphql-transport-ws then sends the error).
                if event.get("ids", {}).get("user_id") == viewer.user.id and not await still_authenticated(
                    viewer, datetime.now(UTC)
                ):
                    raise unauthenticated()
                continue
            if event.get("topic") != topic:
                continue
            object_id = event.get("ids", {}).get(id_key)
            if not isinstance(object_id, int):
                continue
            row = await load_visible(viewer, object_id)
            if row is None:
                continue
            info.context["loaders"] = Loaders()
            yield str(event.get("kind", "UPDATED")), row
    finally:
        subscription.close()
