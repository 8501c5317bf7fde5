"""The ASGI GraphQL view: Bearer auth on HTTP, ``authToken`` in ``connection_init`` on WebSocket."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError

from pagerline.engine.accounts import Viewer, authenticate
from pagerline.graphql.loaders import Loaders


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


class PagerlineGraphQL(GraphQL):  # type: ignore[type-arg]
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
