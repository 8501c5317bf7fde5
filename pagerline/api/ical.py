"""Calendar feeds: ``GET /ical/{token}.ics``.

The secret in the URL is a feed token (see :mod:`pagerline.engine.schedules.calendars`): it reads that one
feed and is not accepted anywhere else. Unknown and revoked tokens get the same 404.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pagerline.api.errors import READ_UNAVAILABLE, answering_errors, error_response
from pagerline.engine.schedules.calendars import feed_for, render_ics

MEDIA_TYPE = "text/calendar; charset=utf-8"
CACHE_CONTROL = "private, max-age=300"


def not_found() -> Response:
    return error_response(404, "UNKNOWN_CALENDAR_FEED", "No calendar feed has this token, or it was revoked")


async def calendar_body(secret: str, now: datetime) -> str | None:
    token = await feed_for(secret, now)
    return None if token is None else await render_ics(token, now)


async def get_feed(request: Request) -> Response:
    secret = str(request.path_params["token"])  # the pattern keeps ".ics" out of it
    body = await calendar_body(secret, datetime.now(UTC))
    if body is None:
        return not_found()
    return Response(body, media_type=MEDIA_TYPE, headers={"Cache-Control": CACHE_CONTROL})


routes = [Route("/ical/{token:str}.ics", answering_errors(get_feed, unavailable_message=READ_UNAVAILABLE), methods=["GET"])]
