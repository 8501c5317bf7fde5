"""Reading the change bus for a subscription: the events of one topic that the viewer may see.

The process's subscription hub (:mod:`pagerline.graphql.core.hub`) reads the bus once for all
subscriptions: it loads what an event names once, decides in memory what each viewer may see,
and hands the event to one subscription of each group of alike ones. That one runs it here, and
its result, executed and serialized once (:mod:`pagerline.graphql.core.fanout`), reaches the
others ready-made. Each event run gets fresh DataLoaders (a WebSocket context lives for the whole connection, so
loaders made once would serve stale rows).

When the bus says events may have been lost (``RESYNC``: Redis went away and came back, a
publisher dropped events, or this subscription fell too far behind), the subscription must not
go on as if nothing happened: over a WebSocket the connection is closed with code 1012 (Service
Restart), which graphql-ws clients answer by reconnecting, and the client refetches what it
shows (the docs tell apps to). Elsewhere the subscription ends with the error code ``RESYNC``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from strawberry.types import Info

from pagerline.bus import is_resync

from pagerline.engine.people.accounts import Viewer, refreshed
from pagerline.graphql.core.context import WS_SIGN_IN_AGAIN, app_state, close_connection, viewer_of
from pagerline.graphql.core.errors import unauthenticated, user_error
from pagerline.graphql.core.fanout import current_delivery, operation_key
from pagerline.graphql.core.hub import Handoff, LoadFailed, Prepared, hub_for, write_prepared
from pagerline.graphql.core.loaders import Loaders
from pagerline.graphql.core.outage import close_if_database_outage
from pagerline.graphql.core.permissions import require_viewer

T = TypeVar("T")
R = TypeVar("R")

RESYNC_CLOSE_CODE = 1012  # Service Restart: clients reconnect, then refetch
RESYNC_REASON = "missed events: reconnect and refetch"

async def visible_changes(
    info: Info, topic: str, load: Callable[[dict[str, Any]], Awaitable[T | None]], view: Callable[[Viewer, T], R | None]
) -> AsyncIterator[tuple[str, R]]:
    """(kind, what the viewer sees) for each event of ``topic`` this subscription is handed to
    run for its group: ``load`` reads what the event names (once per process), ``view`` returns
    the part a viewer may see, or None to skip the event (:mod:`pagerline.graphql.core.hub`).
    Results run by another member of the group arrive ready-made and are written to the socket
    here. Ends with UNAUTHENTICATED once the viewer's token stops working."""
    viewer = require_viewer(viewer_of(info))
    member = hub_for(app_state(info).bus).join(topic, viewer, load, view, operation_key(info.operation, info.variable_values))  # type: ignore[arg-type]
    try:
        async for item in member.items():
            if viewer.expired(datetime.now(UTC)):
                # A session runs out without any event saying so: checked as events arrive, so
                # nothing is delivered after it, and the client learns it must sign in again.
                await close_connection(info, WS_SIGN_IN_AGAIN, "signed out: the session has expired")
                raise unauthenticated()
            if isinstance(item, Prepared):
                await write_prepared(info.context["response"], member.id_json or "null", item)
                continue
            if isinstance(item, LoadFailed):
                raise item.error
            if isinstance(item, Handoff):
                try:
                    info.context["loaders"] = Loaders()
                    # What the caller yields for this is executed once for the group (see
                    # fanout.shared_execution); the hub passes the result on to the others.
                    current_delivery.set(item.start())
                    yield str(item.event.get("kind", "UPDATED")), item.shown  # type: ignore[misc]
                    current_delivery.set(None)
                finally:
                    member.handed.discard(item)
                    item.finish()
                continue
            event: dict[str, Any] = item  # type: ignore[assignment]
            if is_resync(event):
                await end_for_resync(info)
            if event.get("topic") == "auth":
                # A token, device, team or role of this user changed: a signed-out, revoked or
                # unbound token must not keep receiving (closed with 4403, the client signs in
                # again), and what the viewer may see follows their teams and role at once.
                fresh = await refreshed(viewer, datetime.now(UTC))
                if fresh is None:
                    await close_connection(info, WS_SIGN_IN_AGAIN, "signed out: the token was revoked or has expired")
                    raise unauthenticated()
                viewer = member.viewer = info.context["viewer"] = fresh
    except Exception as exc:
        await close_if_database_outage(info, exc)  # the client reconnects and refetches
        raise
    finally:
        hub_for(app_state(info).bus).leave(member)


async def end_for_resync(info: Info) -> None:
    """Close the subscriber's WebSocket with 1012 (every subscription on it ends with it, and
    the client's reconnect starts them again). Never returns over a WebSocket; without one,
    raises a ``RESYNC`` error."""
    await close_connection(info, RESYNC_CLOSE_CODE, RESYNC_REASON)
    raise user_error("RESYNC", RESYNC_REASON)
