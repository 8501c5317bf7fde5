"""``POST /api/mattermost/actions``, ``/api/mattermost/dialogs`` and ``/api/mattermost/commands``:
what Mattermost sends when someone presses a button under an alert's post, sends a form (Comment,
or open an alert), or types ``/pagerline``.

Mattermost signs neither. A button press is trusted because of its ``context``, which pagerline
wrote into the post and signed (:func:`pagerline.engine.chat.mattermost_message.signed`); a
context that does not verify, or that names another alert than the post it came from, is a 403
and changes nothing. A form's ``state`` is signed too, and says which form it is
(:func:`pagerline.engine.chat.mattermost_message.form_state`): what a submission does follows
the state, never the unsigned ``callback_id``; an open-an-alert form is taken only from the
person it was opened for. Who pressed (or sent the form) is the ``user_id`` Mattermost itself
fills in. The slash command carries the token Mattermost gave it, compared in constant time: a
wrong one is a 401. What a press, a form or a command does is decided by the engine
(:mod:`pagerline.engine.chat`).
"""

from __future__ import annotations

import hmac
import logging
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pagerline.api.body import read_form, read_json_object
from pagerline.api.errors import ApiError, answering_errors, error_response
from pagerline.chat.mattermost import MattermostClient
from pagerline.engine.chat.card import card_for
from pagerline.engine.chat.client import ChatFailed, ChatRateLimited
from pagerline.engine.chat.commands import answer
from pagerline.engine.chat.mattermost_message import COMMENT_FIELD, COMMENT_FORM, FormState, comment_dialog, form_state, open_alert_dialog, signed
from pagerline.engine.chat.opening import open_alert, open_form
from pagerline.engine.chat.presses import comment, press
from pagerline.models import Alert, ChatPlatform, ChatPost

log = logging.getLogger(__name__)

VIA = "Mattermost"
MAX_BODY_BYTES = 64 * 1024
UNREACHABLE = "pagerline could not ask Mattermost who you are just now; try again in a moment."
NOT_OPENED = "pagerline could not open the form just now; try again in a moment."
# An open-an-alert form is taken for a day: long enough for one left open over a meeting, short
# enough that a state copied from somewhere is soon worth nothing.
OPEN_FORM_MAX_AGE_SECONDS = 24 * 3600


def _client(request: Request) -> MattermostClient | None:
    state = request.app.state
    settings = state.settings
    if not settings.mattermost_url or not settings.mattermost_bot_token:
        return None
    client: MattermostClient | None = getattr(state, "mattermost_client", None)
    if client is None:
        client = state.mattermost_client = MattermostClient(settings.mattermost_url, settings.mattermost_bot_token, settings.public_url, settings.signing_key())
    return client


async def _request(request: Request) -> tuple[MattermostClient, dict[str, Any]]:
    """The client and the JSON body of a press or a form sent (a 403 when Mattermost is off)."""
    client = _client(request)
    if client is None:
        raise ApiError(403, "INVALID_SIGNATURE", "Mattermost is not configured on this server")
    return client, await read_json_object(request, MAX_BODY_BYTES)


async def actions(request: Request) -> Response:
    client, body = await _request(request)
    pressed = signed(request.app.state.settings.signing_key(), body.get("context"))
    post_id = _text(body, "post_id")
    post = await ChatPost.filter(message_ref=post_id, channel__platform=ChatPlatform.MATTERMOST).first() if post_id else None
    if pressed is None or (post is not None and str(post.alert_id) != pressed[0]):  # type: ignore[attr-defined]
        return error_response(403, "INVALID_SIGNATURE", "The button's context is not signed by this server, or is for another alert")
    alert_ref, action = pressed
    if action == "comment":
        return await _open_comment(request, client, alert_ref, _text(body, "trigger_id"))
    try:
        refusal = await press(action, alert_ref, _text(body, "user_id"), client, datetime.now(UTC), VIA)
    except (ChatFailed, ChatRateLimited) as failed:
        log.warning("mattermost: a button press could not be answered: %s", failed)
        refusal = UNREACHABLE
    if refusal is not None:
        return JSONResponse({"ephemeral_text": refusal})
    # The post as it is now, so whoever pressed sees the change at once (the outbox edits it too).
    alert = await Alert.get(id=int(alert_ref)).select_related("source", "accepted_by", "resolved_by")
    card = card_for(alert, request.app.state.settings.public_url, post.incident_channel if post is not None else None)
    try:
        return JSONResponse({"update": await client.rendered(card)})
    except (ChatFailed, ChatRateLimited):
        return JSONResponse({})  # the incident channel's name was not to be had: the outbox edits the post


async def _open_comment(request: Request, client: MattermostClient, alert_ref: str, trigger_id: str) -> Response:
    """The Comment form for whoever pressed; who they are and what they may do is checked when
    they send it, as on Slack."""
    alert = await Alert.get_or_none(id=int(alert_ref)) if alert_ref.isdigit() else None
    if alert is None:
        return JSONResponse({"ephemeral_text": "This alert is not one you can see in pagerline."})
    settings = request.app.state.settings
    try:
        await client.open_dialog(trigger_id, comment_dialog(alert.id, alert.summary, settings.public_url, settings.signing_key()))
    except (ChatFailed, ChatRateLimited) as failed:
        log.warning("mattermost: the comment form could not be opened: %s", failed)
        return JSONResponse({"ephemeral_text": "pagerline could not open the comment form just now; try again in a moment."})
    return JSONResponse({})


async def dialogs(request: Request) -> Response:
    """A form sent: the one its signed ``state`` names. ``errors`` keeps the form open with why
    not under each field; ``{}`` closes it."""
    client, body = await _request(request)
    form = form_state(request.app.state.settings.signing_key(), body.get("state"))
    if form is None:
        return error_response(403, "INVALID_SIGNATURE", "The form's state is not signed by this server")
    submission = body.get("submission")
    if body.get("cancelled") is True or not isinstance(submission, dict):
        return JSONResponse({})
    if form.kind == COMMENT_FORM:
        return await _comment_sent(client, form.ref, submission, _text(body, "user_id"))
    return await _open_alert_sent(client, form, submission, _text(body, "user_id"))


async def _comment_sent(client: MattermostClient, alert_ref: str, submission: dict[str, Any], user_id: str) -> Response:
    """The Comment form sent: comments as the person."""
    try:
        refusal = await comment(alert_ref, _text(submission, COMMENT_FIELD), user_id, client, datetime.now(UTC), VIA)
    except (ChatFailed, ChatRateLimited) as failed:
        log.warning("mattermost: a comment could not be taken: %s", failed)
        refusal = UNREACHABLE
    return JSONResponse({} if refusal is None else {"errors": {COMMENT_FIELD: refusal}})


async def _open_alert_sent(client: MattermostClient, form: FormState, submission: dict[str, Any], user_id: str) -> Response:
    """The open-an-alert form sent: opens the alert as the person, on the service they chose."""
    if form.ref != user_id:  # a state pagerline signed for someone else, sent in another's name
        return error_response(403, "INVALID_SIGNATURE", "The form was opened for someone else")
    now = datetime.now(UTC)
    if form.issued is None or now.timestamp() - form.issued > OPEN_FORM_MAX_AGE_SECONDS:
        return JSONResponse({"error": "This form is more than a day old: type /pagerline alert again."})
    source, summary, details, priority = (_text(submission, name) for name in ("source", "summary", "details", "priority"))
    try:
        _, errors = await open_alert(user_id, client, source, summary, details, priority, now, VIA)
    except (ChatFailed, ChatRateLimited) as failed:
        log.warning("mattermost: an alert could not be opened: %s", failed)
        errors = {"summary": UNREACHABLE}
    return JSONResponse({"errors": errors} if errors else {})


async def commands(request: Request) -> Response:
    client = _client(request)
    expected = request.app.state.settings.mattermost_command_token
    if client is None or not expected:
        return error_response(403, "INVALID_TOKEN", "Mattermost's slash command is not configured on this server")
    fields = await read_form(request, MAX_BODY_BYTES)
    scheme, _, header_token = request.headers.get("authorization", "").partition(" ")
    given = fields.get("token") or (header_token.strip() if scheme.lower() == "token" else "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return error_response(401, "INVALID_TOKEN", "The request does not carry this server's slash command token")
    words = fields.get("text", "").strip().split(maxsplit=1)
    try:
        if words and words[0].lower() == "alert":
            text = await _open_alert_form(request, client, fields, words[1] if len(words) > 1 else "")
        else:
            text = await answer(fields.get("text", ""), fields.get("user_id", ""), client, datetime.now(UTC), VIA)
    except (ChatFailed, ChatRateLimited) as failed:
        log.warning("mattermost: a command could not be answered: %s", failed)
        text = UNREACHABLE
    # An empty ephemeral answer posts nothing: the form that opened is the answer.
    return JSONResponse({"response_type": "ephemeral", "text": text})


async def _open_alert_form(request: Request, client: MattermostClient, fields: dict[str, str], summary: str) -> str:
    """``/pagerline alert <summary>``: the open-an-alert form for whoever typed it; what to tell
    them ("" when the form opened). Who they are is asked of Mattermost on the way (the
    caller answers a failure of that)."""
    user_id = fields.get("user_id", "")
    form = await open_form(user_id, client, summary, "", VIA)
    if isinstance(form, str):
        return form
    settings = request.app.state.settings
    dialog = open_alert_dialog(form, user_id, settings.public_url, settings.signing_key(), datetime.now(UTC))
    try:
        await client.open_dialog(fields.get("trigger_id", ""), dialog)
    except (ChatFailed, ChatRateLimited) as failed:
        log.warning("mattermost: the open-an-alert form could not be opened: %s", failed)
        return NOT_OPENED
    return ""


def _text(holder: dict[str, Any], key: str) -> str:
    value = holder.get(key)
    return value if isinstance(value, str) else ""


routes = [
    Route("/api/mattermost/actions", answering_errors(actions), methods=["POST"]),
    Route("/api/mattermost/dialogs", answering_errors(dialogs), methods=["POST"]),
    Route("/api/mattermost/commands", answering_errors(commands), methods=["POST"]),
]
