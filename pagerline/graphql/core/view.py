"""The ASGI GraphQL view: Bearer auth on HTTP, ``authToken`` in ``connection_init`` on WebSocket.

Every request body, GET parameter and WebSocket message is decoded here under the one input
rule (``engine/core/input_rules.decode_json``): invalid UTF-8, NUL characters, NaN and nesting past
64 levels are refused before graphql-core sees them, as are lists longer than any screen needs.
So variables need no checking anywhere else. A refused HTTP request is a 400 whose body has the
GraphQL shape (``{"errors": [{"message", "extensions": {"code"}}]}``) clients already parse.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.http.typevars import Context, RootValue
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler, Operation
from strawberry.types.unset import UNSET

from pagerline.api.errors import is_database_outage
from pagerline.engine.people.accounts import Viewer, authenticate
from pagerline.engine.core.errors import BadInput
from pagerline.engine.core.input_rules import decode_json
from pagerline.graphql.core import outage
from pagerline.graphql.core.fanout import SKIP, prepared_next
from pagerline.graphql.core.hub import operation_id
from pagerline.graphql.core.loaders import Loaders
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

#: No argument needs more items than this (a page is 100); longer lists would only reach the
#: database as thousands of query parameters (PostgreSQL refuses more than 32,767).
MAX_LIST_ITEMS = 1_000


class RefusedJson(json.JSONDecodeError):
    """A message the input rule refuses; a JSONDecodeError so Strawberry's WebSocket handler
    answers it as it answers any unreadable message (close code 4400)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "", 0)
        self.message = message


def check_list_lengths(value: Any, where: str) -> None:
    """Refuse any list longer than MAX_LIST_ITEMS anywhere in ``value`` (already depth-checked)."""
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            stack.extend(current.values())
        elif isinstance(current, list):
            if len(current) > MAX_LIST_ITEMS:
                raise BadInput(f"a list in the {where} has {len(current)} items; at most {MAX_LIST_ITEMS} are accepted")
            stack.extend(current)


def decode_request_json(raw: str | bytes, where: str) -> Any:
    """A request's JSON under the input rule, or BadInput saying what is wrong."""
    value = decode_json(raw, where)
    check_list_lengths(value, where)
    return value


def http_error_response(exc: HTTPException) -> Response:
    """Strawberry's refusals (bad body, operation type not allowed) in the GraphQL shape."""
    code = "NOT_FOUND" if exc.status_code == 404 else "BAD_USER_INPUT"
    return JSONResponse({"data": None, "errors": [{"message": exc.reason, "extensions": {"code": code}}]}, exc.status_code)


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
        if message.get("type") == "next":
            # A subscription event's result shared with alike subscriptions: its JSON was made
            # once, only this operation's id goes in front (see graphql.core.fanout).
            prepared = prepared_next(str(message["id"]), message.get("payload"))
            if prepared == SKIP:
                return
            if prepared is not None:
                try:
                    await self.ws.send_text(prepared)
                except WebSocketDisconnect as exc:
                    raise WebSocketDisconnected from exc
                return
        await super().send_json(message)

    async def close(self, code: int, reason: str) -> None:
        if self.ws.application_state is not WebSocketState.DISCONNECTED:
            await super().close(code, reason)


class TransportWSHandler(BaseGraphQLTransportWSHandler):  # type: ignore[type-arg]
    """graphql-transport-ws, telling each operation's task its id: a subscription given a
    message ready-made for its group writes it with its own id (graphql.core.hub)."""

    async def run_operation(self, operation: Operation) -> None:  # type: ignore[type-arg]
        operation_id.set(operation.id)
        await super().run_operation(operation)


class PagerlineGraphQL(GraphQL):  # type: ignore[type-arg]
    websocket_adapter_class = ClosableWebSocket  # type: ignore[assignment]
    graphql_transport_ws_handler_class = TransportWSHandler

    async def render_graphql_ide(self, request: Request) -> Response:
        return FileResponse(GRAPHIQL_PAGE, media_type="text/html; charset=utf-8", headers=GRAPHIQL_HEADERS)

    def parse_json(self, data: str | bytes) -> Any:
        """The POST body (and GET's ``variables``/``extensions``): an object, under the rule."""
        try:
            value = decode_request_json(data, "request")
        except BadInput as exc:
            raise HTTPException(400, exc.message) from exc
        if not isinstance(value, (dict, list)):  # a list is a batch, which Strawberry refuses
            raise HTTPException(400, f"Expected a JSON object such as {{\"query\": \"{{ me {{ name }} }}\"}}, not {json.dumps(value)[:40]}")
        return value

    def decode_json(self, data: str | bytes) -> object:
        """A WebSocket message, under the same rule."""
        try:
            return decode_request_json(data, "message")
        except BadInput as exc:
            raise RefusedJson(exc.message) from exc

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
        except HTTPException as exc:  # a body the input rule refuses: 400 in GraphQL's shape
            return http_error_response(exc)
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
