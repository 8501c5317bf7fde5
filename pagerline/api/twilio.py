"""Twilio callbacks: voice TwiML and keypresses, inbound SMS replies, delivery status.

Every request must carry a valid ``X-Twilio-Signature`` computed over the *public* URL
(``PAGERLINE_PUBLIC_URL`` + path + query) and the form fields; anything else is a 403 and
changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from pagerline.api.body import read_form
from pagerline.api.errors import answering_errors, error_response
from pagerline.engine.delivery import replies
from pagerline.models import Channel, Notification
from pagerline.push.twilio import twiml_page, twiml_say

TWIML = "application/xml"


def public_url_of(request: Request) -> str:
    base = request.app.state.settings.public_url.rstrip("/")
    query = request.url.query
    return f"{base}{request.url.path}" + (f"?{query}" if query else "")


async def signed_form(request: Request) -> dict[str, str] | None:
    """The form fields, or None when the signature does not match."""
    token = request.app.state.settings.twilio_auth_token
    if not token:
        return None
    params = await read_form(request)
    signature = request.headers.get("x-twilio-signature", "")
    if not signature or not RequestValidator(token).validate(public_url_of(request), params, signature):
        return None
    return params


def forbidden() -> Response:
    return error_response(403, "INVALID_SIGNATURE", "The request is not signed by Twilio for this URL")


def _notification_id(request: Request) -> int | None:
    raw = request.query_params.get("n", "")
    # ASCII digits only ("²".isdigit() is true), and short enough to be a database id.
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


def _gather_url(request: Request, notification_id: int) -> str:
    return f"{request.app.state.settings.public_url.rstrip('/')}/api/twilio/voice/gather?n={notification_id}"


async def voice(request: Request) -> Response:
    params = await signed_form(request)
    if params is None:
        return forbidden()
    notification_id = _notification_id(request)
    notification = await Notification.get_or_none(id=notification_id, channel=Channel.VOICE) if notification_id else None
    if notification is None:
        return Response(twiml_say("This call is no longer valid. Goodbye."), media_type=TWIML)
    return Response(twiml_page(notification.body, _gather_url(request, notification.id)), media_type=TWIML)


async def voice_gather(request: Request) -> Response:
    params = await signed_form(request)
    if params is None:
        return forbidden()
    notification_id = _notification_id(request)
    if notification_id is None:
        return Response(twiml_say("This call is no longer valid. Goodbye."), media_type=TWIML)
    said = await replies.handle_voice_digits(notification_id, params.get("Digits", ""), datetime.now(UTC))
    if said is None:
        notification = await Notification.get(id=notification_id)
        return Response(twiml_page(notification.body, _gather_url(request, notification_id)), media_type=TWIML)
    return Response(twiml_say(f"{said} Goodbye."), media_type=TWIML)


async def sms(request: Request) -> Response:
    params = await signed_form(request)
    if params is None:
        return forbidden()
    text = await replies.handle_sms_reply(params.get("From", ""), params.get("Body", ""), datetime.now(UTC))
    reply = MessagingResponse()
    reply.message(text)
    return Response(str(reply), media_type=TWIML)


async def status(request: Request) -> Response:
    params = await signed_form(request)
    if params is None:
        return forbidden()
    notification_id = _notification_id(request)
    state = params.get("CallStatus") or params.get("MessageStatus") or ""
    if notification_id is not None:
        await replies.record_provider_status(notification_id, state, datetime.now(UTC))
    return Response(status_code=204)


routes = [
    Route("/api/twilio/voice", answering_errors(voice), methods=["POST"]),
    Route("/api/twilio/voice/gather", answering_errors(voice_gather), methods=["POST"]),
    Route("/api/twilio/sms", answering_errors(sms), methods=["POST"]),
    Route("/api/twilio/status", answering_errors(status), methods=["POST"]),
]
