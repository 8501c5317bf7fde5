"""What every resolver gets: the viewer (or None) and fresh DataLoaders."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from starlette.websockets import WebSocket, WebSocketState
from strawberry.types import Info

if TYPE_CHECKING:
    from pagerline.engine.people.accounts import Viewer
    from pagerline.graphql.core.loaders import Loaders

# graphql-transport-ws's "Forbidden": the client must sign in again before reconnecting.
WS_SIGN_IN_AGAIN = 4403


def viewer_of(info: Info) -> Viewer | None:
    return info.context.get("viewer")  # type: ignore[no-any-return]


def loaders_of(info: Info) -> Loaders:
    from pagerline.graphql.core.loaders import Loaders

    loaders = info.context.get("loaders")
    if loaders is None:
        loaders = info.context["loaders"] = Loaders()
    return loaders  # type: ignore[no-any-return]


def app_state(info: Info) -> Any:
    return info.context["request"].app.state


async def close_connection(info: Info, code: int, reason: str) -> None:
    """End the WebSocket this operation runs on with ``code``, and wait here until the
    protocol handler, seeing the connection end, cancels the operation (returning instead
    would make it write "complete" to a closed socket). Returns at once over HTTP (a
    subscription over HTTP has no connection to close; the caller then raises)."""
    socket = info.context.get("response")
    if not isinstance(socket, WebSocket):
        return
    if socket.application_state is not WebSocketState.DISCONNECTED:
        await socket.close(code, reason)
    await asyncio.Event().wait()
