"""Heartbeat pings: ``GET``, ``HEAD`` or ``POST /api/heartbeats/{key}`` answers 202.

Any method counts as a ping, so the simplest cron line works (``curl -fsS URL``) and so do
tools that can only send HEAD or POST. A POST body is ignored. Unknown keys get 404.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pagerline.api.errors import ApiError
from pagerline.api.events import check_rate, guarded
from pagerline.engine.sources.heartbeats import ping


async def ping_heartbeat(request: Request) -> Response:
    key = str(request.path_params["key"])
    check_rate(request.app.state.rate_limiter, key)
    result = await ping(key, datetime.now(UTC))
    if result is None:
        raise ApiError(404, "UNKNOWN_HEARTBEAT", "No heartbeat monitor has this key")
    if request.method == "HEAD":
        return Response(status_code=202)
    return JSONResponse({"status": result.state.value}, status_code=202)


routes = [Route("/api/heartbeats/{key}", guarded(ping_heartbeat), methods=["GET", "HEAD", "POST"])]
