"""``GET /api/widget``: the on-call widget feed (see :mod:`pagerline.widgets.feed`).

Bearer auth with a user token (session, API, device) or a widget token, the one route a widget
token opens. ``levels`` selects policy levels (``?levels=1,7:2``). The response is compact JSON
with a weak ``ETag``; ``If-None-Match`` with it gets 304 until something the widget shows
changes. ``Cache-Control: private, max-age=<refreshAfter>`` and ``Vary: Authorization`` keep
shared caches out and tell the widget when to ask again. ``Server-Timing`` says how long the
server spent (benchmarks read it).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pagerline.api.errors import READ_UNAVAILABLE, answering_errors, error_response
from pagerline.engine.people.accounts import authenticate
from pagerline.graphql.core.view import bearer_token
from pagerline.widgets.feed import build_feed, compact_json, document, etag
from pagerline.widgets.levels import parse_levels


def _unauthenticated() -> Response:
    response = error_response(401, "UNAUTHENTICATED", "Send 'Authorization: Bearer <token>' with a user or widget token")
    response.headers["WWW-Authenticate"] = 'Bearer realm="pagerline"'
    return response


def _matches(if_none_match: str | None, tag: str) -> bool:
    """Weak comparison (RFC 9110 13.1.2), as If-None-Match uses."""
    if not if_none_match:
        return False
    wanted = tag.removeprefix("W/")
    return any(c.strip() == "*" or c.strip().removeprefix("W/") == wanted for c in if_none_match.split(","))


async def get_widget(request: Request) -> Response:
    started = time.perf_counter()
    now = datetime.now(UTC)
    secret = bearer_token(request.headers.get("authorization"))
    viewer = await authenticate(secret, now) if secret else None
    if viewer is None:
        return _unauthenticated()
    levels = parse_levels(request.query_params.getlist("levels"))  # an EngineError: its 400
    feed = await build_feed(viewer.user, now, public_url=request.app.state.settings.public_url, levels=levels)
    doc = document(feed)
    tag = etag(doc)
    headers = {
        "ETag": tag,
        "Cache-Control": f"private, max-age={feed.refresh_after}",
        "Vary": "Authorization",
        "Server-Timing": f"feed;dur={(time.perf_counter() - started) * 1000:.2f}",
    }
    if _matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    return Response(compact_json(doc), media_type="application/json", headers=headers)


routes = [Route("/api/widget", answering_errors(get_widget, unavailable_message=READ_UNAVAILABLE), methods=["GET"])]
