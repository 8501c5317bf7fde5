"""Serves the live dashboard: ``GET /`` is the page, ``/static/*`` its CSS and JavaScript.

The dashboard is plain files in ``static/`` (packaged with pagerline) that talk to the public
GraphQL API like any other client: HTTP for queries and mutations, graphql-transport-ws for the
live alert feed. Nothing is rendered on the server, so this module only sends files, with a
Content-Security-Policy that lets the page load scripts from this origin only (a summary that
smuggles in markup cannot run).
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"

# 'self' in connect-src covers the same-origin WebSocket (ws:/wss:) in current browsers.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # The page is tiny and its scripts change with releases: always revalidate.
    "Cache-Control": "no-cache",
}


async def dashboard(request: Request) -> Response:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


routes = [
    Route("/", dashboard, methods=["GET", "HEAD"]),
    Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
]
