"""The ASGI GraphQL view: Bearer auth on HTTP, ``authToken`` in ``connection_init`` on WebSocket."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.websockets import WebSocket, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.http.typevars import Context, RootValue
from strawberry.types.unset import UNSET

from pagerline.api.errors import is_database_outage
from pagerline.engine.accounts import Viewer, authenticate
from pagerline.graphql import outage
from pagerline.graphql.loaders import Loaders
from pagerline.logs import new_request_id
from pagerline.web.routes import STATIC_DIR

log = logging.getLogger(__name__)


# GraphiQL's page and its pinned React, ReactDOM and GraphiQL builds are packaged with pagerline
# (static/graphiql), so it works on a machine without internet. The page loads nothing from
# elsewhere, and says so to the browser. GraphiQL styles its editor with inline <style> elements.
GRAPHIQL_PAGE = STATIC_DIR / "graphiql" / "index.html"
GRAPHIQL_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


class _DatabaseUnreachable(Exception):
    """The token could not be checked: the request is answered 503 before it executes."""


async def _authenticate(token: str) -> Viewer | None:
    try:
        return await authenticate(token, datetime.now(UTC))
    except Exception as exc:
        if is_database_outage(exc):
            raise _DatabaseUnreachable from exc
        raise


class ClosableWebSocket(ASGIWebSocketAdapter):
    """A connection pagerline may close itself (a revoked token, an outage at sign-in):
    Strawberry's protocol handler then finds it closed instead of failing to write to it."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        if self.ws.application_state is WebSocketState.DISCONNECTED:
            raise WebSocketDisconnected
        await super().send_json(message)

    async def close(self, code: int, reason: str) -> None:
        if self.ws.application_state is not WebSocketState.DISCONNECTED:
            await super().close(code, reason)


class PagerlineGraphQL(GraphQL):  # type: ignore[type-arg]
    websocket_adapter_class = ClosableWebSocket  # type: ignore[assignment]

    async def render_graphql_ide(self, request: Request) -> Response:
        return FileResponse(GRAPHIQL_PAGE, media_type="text/html; charset=utf-8", headers=GRAPHIQL_HEADERS)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> dict[str, Any]:
        viewer: Viewer | None = None
        context: dict[str, Any] = {"request": request, "response": response, "viewer": None, "loaders": Loaders()}
        if isinstance(request, Request):
            token = bearer_token(request.headers.get("authorization"))
            if token:
                viewer = await _authenticate(token)
        else:
            # Each operation of the connection logs under "<connection's request id>.<n>".
            context["connection_id"] = request.scope.get("state", {}).get("request_id") or new_request_id()
            context["operations"] = itertools.count(1)
        context["viewer"] = viewer
        return context

    async def run(self, request: Request | WebSocket, context: Context = UNSET, root_value: RootValue | None = UNSET) -> Any:
        try:
            return await super().run(request, context, root_value)
        except _DatabaseUnreachable as exc:
            log.warning("GraphQL %s before execution: the token could not be checked (%s)", outage.CODE, outage.describe(exc.__cause__))
            return JSONResponse(
                outage.unavailable_result(), status_code=503, headers={"Retry-After": str(outage.RETRY_AFTER_SECONDS)}
            )

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        if outage.mentions_outage(response_data):
            response.status_code = 503
            response.headers["Retry-After"] = str(outage.RETRY_AFTER_SECONDS)
        return response

    async def on_ws_connect(self, context: dict[str, Any]) -> dict[str, Any] | None:
        params = context.get("connection_params") or {}
        token = None
        if isinstance(params, dict):
            raw = params.get("authToken") or bearer_token(params.get("Authorization") or params.get("authorization"))
            token = raw if isinstance(raw, str) else None
        try:
            viewer = await _authenticate(token) if token else None
        except _DatabaseUnreachable:
            # Not 4403: the token may be fine. 1013 tells the client to try again later.
            await context["response"].close(outage.WS_TRY_AGAIN_LATER, "database unreachable; try again shortly")
            raise ConnectionRejectionError() from None
        if viewer is None:
            raise ConnectionRejectionError({"message": "authToken missing, expired or revoked", "code": "UNAUTHENTICATED"})
        context["viewer"] = viewer
        return None
