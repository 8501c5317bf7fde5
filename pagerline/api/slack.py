"""``POST /api/slack/interactions``, ``/api/slack/commands`` and ``/api/slack/events``: what the
Slack app sends when someone presses a button under an alert or types ``/pagerline``.

Every request is checked before its body means anything: Slack signs each one with the app's
signing secret (``X-Slack-Signature``, ``v0=`` HMAC-SHA256 of ``v0:<timestamp>:<body>``), and a
timestamp more than five minutes away is refused, so a captured request cannot be replayed.
``slack_sdk``'s verifier does both, comparing in constant time. A bad or missing signature is a
401 and changes nothing. What a press or a command does is decided by the engine
(:mod:`pagerline.engine.chat`).
"""

from __future__ import annotations

import json
from slack_sdk.signature import SignatureVerifier
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pagerline.api.body import parse_form, read_bytes
from pagerline.api.errors import answering_errors, error_response
from pagerline.chat import slack_requests
from pagerline.chat.slack import SlackClient

MAX_BODY_BYTES = 64 * 1024


async def _verified(request: Request) -> bytes | Response:
    """The raw body of a request Slack signed, or the answer refusing it."""
    settings = request.app.state.settings
    if not settings.slack_signing_secret or not settings.slack_bot_token:
        return error_response(403, "INVALID_SIGNATURE", "Slack is not configured on this server")
    body = await read_bytes(request, MAX_BODY_BYTES)
    verifier = SignatureVerifier(settings.slack_signing_secret)
    if not verifier.is_valid(body, request.headers.get("x-slack-request-timestamp", ""), request.headers.get("x-slack-signature", "")):
        return error_response(401, "INVALID_SIGNATURE", "The request is not signed by this Slack app, or its timestamp is more than 5 minutes away")
    return body


def _client(request: Request) -> SlackClient:
    state = request.app.state
    client: SlackClient | None = getattr(state, "slack_client", None)
    if client is None:
        client = state.slack_client = SlackClient(state.settings.slack_bot_token, state.settings.slack_api_url)
    return client


async def interactions(request: Request) -> Response:
    body = await _verified(request)
    if isinstance(body, Response):
        return body
    try:
        payload = json.loads(parse_form(body).get("payload", ""))
    except ValueError:
        return error_response(400, "INVALID_BODY", "An interaction's body is a form with a JSON `payload`")
    owed = await slack_requests.interaction(payload, _client(request))
    # 200 whatever it was: Slack shows the person an error for any other answer.
    return JSONResponse(owed) if owed is not None else Response(status_code=200)


async def commands(request: Request) -> Response:
    body = await _verified(request)
    if isinstance(body, Response):
        return body
    owed = await slack_requests.command(parse_form(body), _client(request))
    return JSONResponse(owed) if owed is not None else Response(status_code=200)


async def events(request: Request) -> Response:
    body = await _verified(request)
    if isinstance(body, Response):
        return body
    try:
        envelope = json.loads(body)
    except ValueError:
        return error_response(400, "INVALID_BODY", "An event's body is JSON")
    owed = await slack_requests.event(envelope, _client(request))
    return JSONResponse(owed) if owed is not None else Response(status_code=200)


routes = [
    Route("/api/slack/interactions", answering_errors(interactions), methods=["POST"]),
    Route("/api/slack/commands", answering_errors(commands), methods=["POST"]),
    Route("/api/slack/events", answering_errors(events), methods=["POST"]),
]
