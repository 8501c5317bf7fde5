"""The ASGI GraphQL view: Bearer auth on HTTP, ``authToken`` in ``connection_init`` on WebSocket."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError

from pagerline.engine.accounts import Viewer, authenticate
from pagerline.graphql.loaders import Loaders
from pagerline.web.routes import STATIC_DIR

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


class PagerlineGraphQL(GraphQL):  # type: ignore[type-arg]
    async def render_graphql_ide(self, request: Request) -> Response:
        return FileResponse(GRAPHIQL_PAGE, media_type="text/html; charset=utf-8", headers=GRAPHIQL_HEADERS)

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
