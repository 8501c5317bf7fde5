"""What Slack sends pagerline, handled the same whichever way it arrives: over HTTP
(:mod:`pagerline.api.slack`, signature checked there) or over Socket Mode (the WebSocket
pagerline opens to Slack, authenticated by the app token). Thin: the engine decides
(:mod:`pagerline.engine.chat`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from pagerline.chat.slack import SlackClient
from pagerline.engine.chat.client import ChatFailed, ChatRateLimited
from pagerline.models import ChatPlatform
from pagerline.engine.chat.commands import answer
from pagerline.engine.chat.opening import OpenForm, open_alert, open_form
from pagerline.engine.chat.presses import comment, comment_form, press, thread_reply
from pagerline.engine.chat.slack_message import ACTION_PREFIX, COMMENT_BLOCK, COMMENT_INPUT, COMMENT_VIEW, OPEN_SHORTCUT, OPEN_VIEW, open_alert_view

log = logging.getLogger(__name__)

VIA = "Slack"


async def interaction(payload: Any, client: SlackClient) -> dict[str, Any] | None:
    """An interaction payload: ``block_actions`` (a button under an alert's message),
    ``message_action`` (the shortcut) or ``view_submission`` (a form sent). The answer Slack
    expects, when one is owed. Slack failing a call made on the way (a 429 looking up who
    pressed) is logged: nothing was changed, and the person can press again."""
    try:
        return await _interaction(payload, client)
    except (ChatFailed, ChatRateLimited) as failed:
        log.warning("slack: an interaction could not be answered: %s", failed)
        return None


async def _interaction(payload: Any, client: SlackClient) -> dict[str, Any] | None:
    if not isinstance(payload, dict):
        return None
    if payload.get("type") == "view_submission":
        return await _view_submission(payload, client)
    if payload.get("type") == "message_action" and _text(payload, "callback_id") == OPEN_SHORTCUT:
        text = _text(payload.get("message"), "text")
        await _open_form(client, payload, text.split("\n", 1)[0], text)
        return None
    if payload.get("type") != "block_actions":
        return None
    user_id = _text(payload.get("user"), "id")
    channel_id = _text(payload.get("channel"), "id") or _text(payload.get("container"), "channel_id")
    for action in payload.get("actions") or []:
        action_id, value = _text(action, "action_id"), _text(action, "value")
        if not action_id.startswith(ACTION_PREFIX) or action_id == ACTION_PREFIX + "open":
            continue  # "Open" is a link button: Slack opens the page itself
        if action_id == ACTION_PREFIX + "comment":
            form = await comment_form(value)
            if form is not None:
                await client.open_view(_text(payload, "trigger_id"), form)
            continue
        refusal = await press(action_id.removeprefix(ACTION_PREFIX), value, user_id, client, datetime.now(UTC), VIA)
        if refusal is not None and channel_id and user_id:
            await client.ephemeral(channel_id, user_id, refusal)
    return None


async def _open_form(client: SlackClient, payload: dict[str, Any], summary: str, details: str) -> None:
    """The open-an-alert form for whoever asked, or why they cannot (only they see it)."""
    user_id = _text(payload.get("user"), "id") or _text(payload, "user_id")
    form = await open_form(user_id, client, summary, details, VIA)
    if isinstance(form, OpenForm):
        await client.open_view(_text(payload, "trigger_id"), open_alert_view(form))
        return
    channel_id = _text(payload.get("channel"), "id") or _text(payload, "channel_id")
    if channel_id and user_id:
        await client.ephemeral(channel_id, user_id, form)


async def _view_submission(payload: dict[str, Any], client: SlackClient) -> dict[str, Any] | None:
    view = payload.get("view") if isinstance(payload.get("view"), dict) else {}
    values = ((view.get("state") or {}).get("values") or {}) if isinstance(view, dict) else {}
    if _text(view, "callback_id") == OPEN_VIEW:
        def field(block: str) -> str:
            answer = (values.get(block) or {}).get("value")
            selected = answer.get("selected_option") if isinstance(answer, dict) else None
            return _text(selected, "value") if isinstance(selected, dict) else _text(answer, "value")

        _, errors = await open_alert(_text(payload.get("user"), "id"), client, field("source"), field("summary"), field("details"),
                                     field("priority"), datetime.now(UTC), VIA)
        return {"response_action": "errors", "errors": errors} if errors else None
    if _text(view, "callback_id") != COMMENT_VIEW:
        return None
    text = _text((values.get(COMMENT_BLOCK) or {}).get(COMMENT_INPUT), "value")
    refusal = await comment(_text(view, "private_metadata"), text, _text(payload.get("user"), "id"), client, datetime.now(UTC), VIA)
    # Nothing closes the form; errors keep it open with the reason under the field.
    return None if refusal is None else {"response_action": "errors", "errors": {COMMENT_BLOCK: refusal}}


async def command(fields: dict[str, Any], client: SlackClient) -> dict[str, str] | None:
    """A slash command's fields; the answer, shown only to whoever typed it (None: nothing to
    show, a form was opened)."""
    try:
        words = str(fields.get("text") or "").strip().split(maxsplit=1)
        if words and words[0].lower() == "alert":
            await _open_form(client, fields, words[1] if len(words) > 1 else "", "")
            return None
        text = await answer(str(fields.get("text") or ""), str(fields.get("user_id") or ""), client, datetime.now(UTC), VIA)
    except (ChatFailed, ChatRateLimited) as failed:
        log.warning("slack: a command could not be answered: %s", failed)
        text = "pagerline could not ask Slack who you are just now; try again in a moment."
    return {"response_type": "ephemeral", "text": text}


async def event(envelope: Any, client: SlackClient) -> dict[str, str] | None:
    """An Events API request; the answer when one is owed (the URL check's challenge). A
    person's reply in the thread of an alert's message (``message.channels``) is a comment."""
    if not isinstance(envelope, dict):
        return None
    if envelope.get("type") == "url_verification":
        return {"challenge": str(envelope.get("challenge", ""))}
    message = envelope.get("event") if envelope.get("type") == "event_callback" else None
    if not isinstance(message, dict) or message.get("type") != "message" or message.get("bot_id") or message.get("subtype"):
        return None  # not a person's plain message (our own replies carry bot_id; edits and joins a subtype)
    thread, ts, channel_id, user_id = (_text(message, k) for k in ("thread_ts", "ts", "channel", "user"))
    if not thread or thread == ts or not user_id or not _text(message, "text").strip():
        return None  # not a reply in a thread, or one with no words (a file alone)
    try:
        refusal = await thread_reply(ChatPlatform.SLACK, channel_id, thread, ts, user_id, _text(message, "text"), client, datetime.now(UTC), VIA)
        if refusal is not None:
            await client.ephemeral(channel_id, user_id, refusal)
    except (ChatFailed, ChatRateLimited) as failed:
        log.warning("slack: a thread reply could not be taken as a comment: %s", failed)
    return None


def _text(holder: Any, key: str) -> str:
    value = holder.get(key) if isinstance(holder, dict) else None
    return value if isinstance(value, str) else ""
