"""What the Telegram bot does with an update, however it arrived (webhook or long polling).

The two adapters only check where an update came from (the webhook's secret header; the
poller's own ``getUpdates``) and hand it to :func:`answer_update`; every decision is made here:

- ``/start <code>`` in a private chat links that chat to the contact method waiting for the code
  (:func:`pagerline.engine.people.contacts.link_telegram_chat`) and says so.
- A button press (``callback_query``) acts only for a user whose *verified* Telegram contact
  method is the presser's own chat: Telegram authenticates ``from.id``, and in the private chat
  a page is sent to, the chat id is the user's id. ``a:<nonce>`` / ``r:<nonce>`` (a page's
  buttons) redeem that page's action token, single-use, and only for its user (a nonce of
  anybody else is refused before it is spent); ``A:<id>`` / ``R:<id>`` (the buttons of an edited
  page) act on an alert the user was paged for on Telegram. Every act goes through the engine's
  one accept/resolve path with ``via`` "Telegram" ("Accepted by Alice via Telegram"), and
  every press gets an ``answerCallbackQuery`` (Telegram shows a spinner until it does).

Anything else is ignored. Nothing here trusts text the presser could choose beyond looking it up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pagerline.engine.core.errors import EngineError
from pagerline.engine.delivery import action_tokens
from pagerline.engine.delivery.replies import act_on_alert
from pagerline.engine.people.contacts import link_telegram_chat
from pagerline.models import Channel, ContactKind, ContactMethod, Notification, NotificationKind, NotificationStatus, User

log = logging.getLogger(__name__)

VIA = "Telegram"
_NONCE_ACTIONS = {"a": "accept", "r": "resolve"}
_ALERT_ACTIONS = {"A": "accept", "R": "resolve"}
MAX_ANSWER_CHARS = 200  # answerCallbackQuery: 0-200 characters

START_HELP = (
    "This bot sends pagerline pages. To link this chat, open the Telegram link shown where you added "
    "Telegram as a contact method in pagerline."
)
_TOKEN_ANSWERS = {
    "INVALID_ACTION_TOKEN": "This button is not for this chat.",
    "ACTION_TOKEN_USED": "This page's buttons were used already.",
    "ACTION_TOKEN_EXPIRED": "This page's buttons have expired; open the alert in pagerline.",
}


class BotApi(Protocol):
    """What answering needs of the bot client (:class:`pagerline.push.telegram.TelegramTransport`)."""

    async def call(self, method: str, params: dict[str, Any], *, timeout: float | None = None) -> Any: ...


@dataclass(frozen=True, slots=True)
class BotCall:
    """The Bot API call that answers an update."""

    method: str
    params: dict[str, Any] = field(default_factory=dict)


async def answer_update(update: Any, now: datetime, bot: BotApi) -> BotCall | None:
    """Handle one update and send its answer; returns the answer (None: nothing to say).
    A failed answer is logged, not raised: the update itself was handled."""
    reply = await handle_update(update, now)
    if reply is not None:
        answer = await bot.call(reply.method, reply.params)
        if not getattr(answer, "ok", True):
            log.warning("telegram: %s failed: %s", reply.method, getattr(answer, "description", answer))
    return reply


async def handle_update(update: Any, now: datetime) -> BotCall | None:
    if not isinstance(update, dict):
        return None
    if isinstance(query := update.get("callback_query"), dict):
        return await _button(query, now)
    if isinstance(message := update.get("message"), dict):
        return await _message(message, now)
    return None


async def _message(message: dict[str, Any], now: datetime) -> BotCall | None:
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    text = message.get("text") if isinstance(message.get("text"), str) else ""
    if chat.get("type") != "private" or not _is_id(chat.get("id")):
        return None  # groups and channels: pages go to people's own chats only
    chat_id = str(chat["id"])
    command, _, argument = text.strip().partition(" ")
    if command.split("@")[0] != "/start":
        return None
    code = argument.strip()
    if not code:
        return _say(chat_id, START_HELP)
    method = await link_telegram_chat(code, chat_id, now)
    if method is None:
        return _say(chat_id, "This link is not valid or has expired. Add Telegram again in pagerline to get a new one.")
    user = await User.get(id=method.user_id)  # type: ignore[attr-defined]
    return _say(chat_id, f"This chat is linked to pagerline as {user.name}. Pages will arrive here, with Accept and Resolve buttons.")


async def _button(query: dict[str, Any], now: datetime) -> BotCall | None:
    query_id = query.get("id")
    if not isinstance(query_id, str) or not query_id:
        return None
    return BotCall("answerCallbackQuery", {"callback_query_id": query_id, "text": (await _press(query, now))[:MAX_ANSWER_CHARS]})


async def _press(query: dict[str, Any], now: datetime) -> str:
    """What to tell the presser; acts when the press is theirs to make."""
    data = query.get("data") if isinstance(query.get("data"), str) else ""
    kind, _, ref = data.partition(":")
    presser = (query.get("from") or {}).get("id") if isinstance(query.get("from"), dict) else None
    message = query.get("message") if isinstance(query.get("message"), dict) else {}
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    # The press must come from the presser's own chat (where pages are sent), not a group.
    if not _is_id(presser) or (chat and str(chat.get("id")) != str(presser)):
        return _TOKEN_ANSWERS["INVALID_ACTION_TOKEN"]
    user_ids = await _linked_users(str(presser))
    if not user_ids:
        return "This chat is not linked to pagerline."
    if kind in _NONCE_ACTIONS and ref:
        try:
            alert = await action_tokens.redeem_nonce(ref, _NONCE_ACTIONS[kind], now, via=VIA, user_ids=user_ids)
        except EngineError as exc:
            return _TOKEN_ANSWERS.get(exc.code, exc.message)
        return f"Alert #{alert.id} {alert.status.value.lower()}."
    if kind in _ALERT_ACTIONS and ref.isascii() and ref.isdigit() and len(ref) <= 18:
        user = await _paged_user(int(ref), user_ids)
        if user is None:
            return _TOKEN_ANSWERS["INVALID_ACTION_TOKEN"]
        return await act_on_alert(_ALERT_ACTIONS[kind], int(ref), user, now, via=VIA)
    return "This button does nothing."


async def _linked_users(chat_id: str) -> list[int]:
    """The users whose verified Telegram contact method is this chat (usually one)."""
    rows = await ContactMethod.filter(kind=ContactKind.TELEGRAM, verified=True, value=chat_id).values_list("user_id", flat=True)
    return sorted({int(r) for r in rows})


async def _paged_user(alert_id: int, user_ids: list[int]) -> User | None:
    """One of ``user_ids`` who was paged for the alert on Telegram (their edited page has buttons)."""
    paged = await Notification.filter(
        alert_id=alert_id, user_id__in=user_ids, channel=Channel.TELEGRAM, kind=NotificationKind.PAGE, status=NotificationStatus.SENT
    ).order_by("id").values_list("user_id", flat=True)
    return await User.get_or_none(id=paged[0]) if paged else None


def _say(chat_id: str, text: str) -> BotCall:
    return BotCall("sendMessage", {"chat_id": chat_id, "text": text})


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
