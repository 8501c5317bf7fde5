"""Lock-screen and email actions: ``POST /api/actions`` with ``{token, action}``, no session.

Email links open ``GET /api/actions/confirm`` first, a page with a button: mail scanners fetch
links, and a GET must never accept an alert.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from pagerline.api.body import read_form, read_json_object
from pagerline.api.errors import ApiError, answering_errors
from pagerline.engine.delivery import action_tokens as actions
from pagerline.engine.core.errors import EngineError

MAX_BODY_BYTES = 16 * 1024  # a token and an action

STATUS_OF = {
    "INVALID_ACTION_TOKEN": 403,
    "ACTION_TOKEN_EXPIRED": 410,
    "ACTION_TOKEN_USED": 409,
    "CONFLICT": 409,
    "NOT_FOUND": 404,
}


def _key(request: Request) -> bytes:
    return request.app.state.settings.signing_key()  # type: ignore[no-any-return]


async def post_action(request: Request) -> Response:
    body = await read_json_object(request, MAX_BODY_BYTES)
    token, action = body.get("token"), body.get("action")
    if not isinstance(token, str) or not isinstance(action, str):
        raise ApiError(400, "BAD_USER_INPUT", "token and action (accept or resolve) are required")
    alert = await actions.redeem(_key(request), token, action.lower(), datetime.now(UTC))
    return JSONResponse({"alertId": str(alert.id), "status": alert.status.value})


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><meta name=viewport content='width=device-width'><title>{html.escape(title)}</title>"
        f"<body style='font-family:system-ui;max-width:30em;margin:3em auto'><h1>{html.escape(title)}</h1>{body}</body>",
        status_code=status,
    )


async def confirm_action(request: Request) -> Response:
    if request.method == "GET":
        action = request.query_params.get("action", "")
        token = request.query_params.get("token", "")
        if action not in actions.ACTIONS or not token:
            return _page("Invalid link", "<p>This link is incomplete.</p>", 400)
        return _page(
            f"{action.capitalize()} this alert?",
            "<form method=post>"
            f"<input type=hidden name=action value='{html.escape(action)}'>"
            f"<input type=hidden name=token value='{html.escape(token)}'>"
            f"<button style='font-size:1.4em'>{html.escape(action.capitalize())}</button></form>",
        )
    form = await read_form(request, MAX_BODY_BYTES)
    try:
        alert = await actions.redeem(_key(request), form.get("token", ""), form.get("action", ""), datetime.now(UTC))
    except EngineError as exc:
        return _page("Not done", f"<p>{html.escape(exc.message)}.</p>", STATUS_OF.get(exc.code, 400))
    return _page("Done", f"<p>Alert #{alert.id} is now {alert.status.value.lower()}.</p>")


routes = [
    Route("/api/actions", answering_errors(post_action, STATUS_OF), methods=["POST"]),
    Route("/api/actions/confirm", answering_errors(confirm_action, STATUS_OF), methods=["GET", "POST"]),
]
