"""The ASGI GraphQL view: Bearer auth on HTTP, ``authToken`` in ``connection_init`` on WebSocket.

Every request body, GET parameter and WebSocket message is decoded here under the one input
rule (``engine/input_rules.decode_json``): invalid UTF-8, NUL characters, NaN and nesting past
64 levels are refused before graphql-core sees them, as are lists longer than any screen needs.
So variables need no checking anywhere else. A refused HTTP request is a 400 whose body has the
GraphQL shape (``{"errors": [{"message", "extensions": {"code"}}]}``) clients already parse.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET

from pagerline.engine.accounts import Viewer, authenticate
from pagerline.engine.errors import BadInput
from pagerline.engine.input_rules import decode_json
from pagerline.graphql.loaders import Loaders

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


class PagerlineGraphQL(GraphQL):  # type: ignore[type-arg]
    async def run(self, request: Request | WebSocket, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            return await super().run(request, context, root_value)
        except HTTPException as exc:
            return http_error_response(exc)

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
        if isinstance(request, Request):
            token = bearer_token(request.headers.get("authorization"))
            if token:
                viewer = await authenticate(token, datetime.now(UTC))
        return {"request": request, "response": response, "viewer": viewer, "loaders": Loaders()}

    async def on_ws_connect(self, context: dict[str, Any]) -> dict[str, Any] | None:
        params = context.get("connection_params") or {}
        token = None
        if isinstance(params, dict):
            raw = params.get("authToken") or bearer_token(params.get("Authorization") or params.get("authorization"))
            token = raw if isinstance(raw, str) else None
        viewer = await authenticate(token, datetime.now(UTC)) if token else None
        if viewer is None:
            raise ConnectionRejectionError({"message": "authToken missing, expired or revoked", "code": "UNAUTHENTICATED"})
        context["viewer"] = viewer
        return None
