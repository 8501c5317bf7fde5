"""Reading the change bus for a subscription: the events of one topic that the viewer may see.

A bus event reaches every subscription of the process as the same dict. What it names is
loaded once per process (:func:`load_once`), however many subscriptions wait for it, and each
subscription decides in memory what its viewer may see: a thousand subscribers cost one query
per event, not a thousand. Each event gets fresh DataLoaders (a WebSocket context lives for the
whole connection, so loaders made once would serve stale rows).

When the bus says events may have been lost (``RESYNC``: Redis went away and came back, a
publisher dropped events, or this subscription fell too far behind), the subscription must not
go on as if nothing happened: over a WebSocket the connection is closed with code 1012 (Service
Restart), which graphql-ws clients answer by reconnecting, and the client refetches what it
shows (the docs tell apps to). Elsewhere the subscription ends with the error code ``RESYNC``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from strawberry.types import Info

from pagerline.bus import is_resync

from pagerline.engine.people.accounts import Viewer, refreshed
from pagerline.graphql.core.context import WS_SIGN_IN_AGAIN, app_state, close_connection, viewer_of
from pagerline.graphql.core.errors import unauthenticated, user_error
from pagerline.graphql.core.loaders import Loaders
from pagerline.graphql.core.outage import close_if_database_outage
from pagerline.graphql.core.permissions import require_viewer

T = TypeVar("T")
R = TypeVar("R")
Loader = Callable[[dict[str, Any]], Awaitable[Any]]

RESYNC_CLOSE_CODE = 1012  # Service Restart: clients reconnect, then refetch
RESYNC_REASON = "missed events: reconnect and refetch"

# Long enough for every subscription of the process to have taken the event from its queue.
SHARED_SECONDS = 10.0
# (id of the event dict, loader) -> (the event, its load). Holding the event keeps its id from
# being reused while the entry lives.
_shared: dict[tuple[int, Loader], tuple[dict[str, Any], asyncio.Future[Any]]] = {}


def load_once(event: dict[str, Any], load: Loader) -> asyncio.Future[Any]:
    """The result of ``load(event["ids"])``, started by the first subscription that asks."""
    key = (id(event), load)
    hit = _shared.get(key)
    if hit is not None and hit[0] is event:
        return hit[1]
    future = asyncio.ensure_future(load(event.get("ids") or {}))
    _shared[key] = (event, future)
    asyncio.get_running_loop().call_later(SHARED_SECONDS, _forget, key, event)
    return future


def _forget(key: tuple[int, Loader], event: dict[str, Any]) -> None:
    hit = _shared.get(key)
    if hit is not None and hit[0] is event:
        del _shared[key]


async def visible_changes(
    info: Info, topic: str, load: Callable[[dict[str, Any]], Awaitable[T | None]], view: Callable[[Viewer, T], R | None]
) -> AsyncIterator[tuple[str, R]]:
    """(kind, what the viewer sees) for each event of ``topic``: ``load`` reads what the event
    names (once per process), ``view`` returns the part this viewer may see, or None to skip
    the event. Ends with UNAUTHENTICATED once the viewer's token stops working."""
    viewer = require_viewer(viewer_of(info))
    subscription = app_state(info).bus.subscribe()
    try:
        async for event in subscription:
            if viewer.expired(datetime.now(UTC)):
                # A session runs out without any event saying so: checked as events arrive, so
                # nothing is delivered after it, and the client learns it must sign in again.
                await close_connection(info, WS_SIGN_IN_AGAIN, "signed out: the session has expired")
                raise unauthenticated()
            if is_resync(event):
                await end_for_resync(info)
            if event.get("topic") == "auth":
                # A token, device, team or role of this user changed: a signed-out, revoked or
                # unbound token must not keep receiving (closed with 4403, the client signs in
                # again), and what the viewer may see follows their teams and role at once.
                if event.get("ids", {}).get("user_id") == viewer.user.id:
                    fresh = await refreshed(viewer, datetime.now(UTC))
                    if fresh is None:
                        await close_connection(info, WS_SIGN_IN_AGAIN, "signed out: the token was revoked or has expired")
                        raise unauthenticated()
                    viewer = info.context["viewer"] = fresh
                continue
            if event.get("topic") != topic:
                continue
            shared = load_once(event, load)
            # Shielded while it loads (a cancelled subscriber must not cancel the others' load);
            # once loaded, as most subscribers find it, read at no cost.
            loaded = shared.result() if shared.done() else await asyncio.shield(shared)
            shown = view(viewer, loaded) if loaded is not None else None
            if shown is None:
                continue
            info.context["loaders"] = Loaders()
            yield str(event.get("kind", "UPDATED")), shown
    except Exception as exc:
        await close_if_database_outage(info, exc)  # the client reconnects and refetches
        raise
    finally:
        subscription.close()


async def end_for_resync(info: Info) -> None:
    """Close the subscriber's WebSocket with 1012 (every subscription on it ends with it, and
    the client's reconnect starts them again). Never returns over a WebSocket; without one,
    raises a ``RESYNC`` error."""
    await close_connection(info, RESYNC_CLOSE_CODE, RESYNC_REASON)
    raise user_error("RESYNC", RESYNC_REASON)
