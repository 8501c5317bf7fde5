"""``POST /api/pushover/callback``: Pushover's call when a responder acknowledges an emergency page.

Pushover POSTs form fields (``receipt``, ``acknowledged``, ``acknowledged_at``,
``acknowledged_by``, ``acknowledged_by_device``) to the ``callback`` URL the page was sent with,
and signs nothing. What makes the call ours is the page's signed, single-use action token in the
URL's query string (see :mod:`pagerline.push.pushover`): it names the alert and the responder,
and redeeming it accepts the alert through the engine's one accept path, "via Pushover".

- No token, or one that does not verify: 403 ``INVALID_ACTION_TOKEN``, nothing changes.
- The same token again (Pushover calling twice, two calls at once, a replay): 409
  ``ACTION_TOKEN_USED``; the token's row is claimed by one conditional UPDATE, so only one call
  accepts. 409 rather than 2xx so a replay is visible in the logs; Pushover needs nothing
  from the answer, the first call got its 200.
- An expired token: 410; an alert resolved meanwhile: 409 ``CONFLICT``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pagerline.api.actions import STATUS_OF
from pagerline.api.body import read_form
from pagerline.api.errors import ApiError, answering_errors
from pagerline.engine.delivery import action_tokens as actions

MAX_BODY_BYTES = 4 * 1024  # a receipt, a user key, a device name and three numbers


async def callback(request: Request) -> Response:
    key: bytes = request.app.state.settings.signing_key()
    token = request.query_params.get("token", "")
    if not token:
        raise ApiError(403, actions.InvalidActionToken.code, "The callback URL carries no action token")
    actions.verify(key, token)  # a forged token is refused before the body is even read
    await read_form(request, MAX_BODY_BYTES)  # the fields add nothing the token does not say
    alert = await actions.redeem(key, token, "accept", datetime.now(UTC))
    return JSONResponse({"alertId": str(alert.id), "status": alert.status.value})


routes = [Route("/api/pushover/callback", answering_errors(callback, STATUS_OF), methods=["POST"])]
