"""Telegram: pages as bot messages with Accept and Resolve buttons, edited when the alert changes.

Everything goes through the official Bot API over HTTP (``<base>/bot<token>/<method>``, JSON in,
``{"ok": true, "result": …}`` or ``{"ok": false, "error_code", "description", "parameters"}``
out), with httpx like the other HTTP providers: the calls are few and small, and a bot library
would bring its own event loop, update dispatcher and retry policy that pagerline already has.

- A page (``kind`` PAGE) is a ``sendMessage`` to the chat id in ``destination.address`` with an
  inline keyboard. A button's ``callback_data`` holds at most 64 bytes, too few for the signed
  action token, so the buttons carry the token's nonce (``a:<nonce>`` accept, ``r:<nonce>``
  resolve); the nonce alone acts only when the press comes from the chat linked to the token's
  user (see :mod:`pagerline.engine.delivery.telegram_updates`). An Open button links to the
  alert's page when that page has a public ``https://`` address (Telegram refuses other URLs).
  The provider id is ``"<chat_id>:<message_id>"``.
- An update (``kind`` UPDATE, ``destination.address`` = that provider id) is an
  ``editMessageText`` with the new text: once the alert is accepted the message has no Accept
  button, once resolved no buttons at all (``editMessageText`` without ``reply_markup`` removes
  the keyboard); see :func:`update_keyboard`.
- Anything else (INFO: verification codes, tests) is a plain ``sendMessage``.

Answers: 429 is RETRY after ``parameters.retry_after`` (or ``Retry-After``); 5xx, timeouts and
connection errors are RETRY; any other error is FAILED with Telegram's ``description``. A chat
that blocked the bot answers 403 ("Forbidden: bot was blocked by the user"): FAILED, so the
timeline says why and the user's next rule runs, but the contact method stays as it is,
because unblocking the bot makes the same chat work again without linking it anew.

The same client serves the update side: ``getUpdates`` (long polling), ``setWebhook``,
``deleteWebhook`` and ``answerCallbackQuery`` through :meth:`TelegramTransport.call`.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from pagerline.engine.delivery import action_tokens
from pagerline.push.base import DeliveryResult, OutgoingMessage, Outcome
from pagerline.push.http import LoopClient

if TYPE_CHECKING:
    from pagerline.settings import Settings

#: The key in :class:`pagerline.push.registry.Transports` (the channel's value).
CHANNEL_KEY = "TELEGRAM"
DEFAULT_BASE_URL = "https://api.telegram.org"
DEFAULT_CONCURRENCY = 16
DEFAULT_TIMEOUT = 10.0
MAX_TEXT_CHARS = 4096  # sendMessage / editMessageText: 1-4096 characters
MAX_CALLBACK_DATA_BYTES = 64
#: Telegram's answer when an edit changes nothing: the message already says it.
NOT_MODIFIED = "message is not modified"


def webhook_secret(signing_key: bytes) -> str:
    """The ``secret_token`` given to ``setWebhook``, which Telegram sends back in the
    ``X-Telegram-Bot-Api-Secret-Token`` header. Derived from the server's secret key (HMAC), so
    every process agrees on it without storing it, and it changes when the key does. Hex: within
    Telegram's 1-256 characters of ``A-Z a-z 0-9 _ -``."""
    return hmac.new(signing_key, b"pagerline-telegram-webhook", hashlib.sha256).hexdigest()


def webhook_url(public_url: str) -> str:
    return f"{public_url.rstrip('/')}/api/telegram/webhook"


def message_text(title: str, body: str) -> str:
    text = f"{title}\n\n{body}".strip() if body else title.strip()
    text = text or "pagerline"
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1] + "…"


def _open_button(message: OutgoingMessage) -> list[dict[str, str]]:
    url = str(message.data.get("alert_url") or "")
    return [{"text": "Open", "url": url}] if url.startswith("https://") else []


def page_keyboard(message: OutgoingMessage, nonce: str) -> dict[str, Any]:
    """Accept and Resolve (the token's nonce) and, with a public address, Open."""
    rows: list[list[dict[str, str]]] = []
    if nonce:
        rows.append([{"text": "Accept", "callback_data": f"a:{nonce}"}, {"text": "Resolve", "callback_data": f"r:{nonce}"}])
    if opened := _open_button(message):
        rows.append(opened)
    return {"inline_keyboard": rows}


def update_keyboard(message: OutgoingMessage) -> dict[str, Any] | None:
    """The buttons of an edited page: none once resolved; Resolve once accepted; Accept and
    Resolve while still pending (escalated). The page's token may be spent by now, so these
    name the alert (``A:<id>`` / ``R:<id>``); they act only for a user paged for it whose
    linked chat pressed them."""
    if message.alert_status == "RESOLVED" or message.alert_id is None:
        return None
    row = [] if message.alert_status == "ACCEPTED" else [{"text": "Accept", "callback_data": f"A:{message.alert_id}"}]
    row.append({"text": "Resolve", "callback_data": f"R:{message.alert_id}"})
    return {"inline_keyboard": [row, *([opened] if (opened := _open_button(message)) else [])]}


@dataclass(frozen=True, slots=True)
class BotAnswer:
    """One Bot API answer: ``ok`` and ``result``, or the error's code, description and wait."""

    status: int
    ok: bool
    result: Any = None
    description: str = ""
    retry_after: float | None = None

    @property
    def transient(self) -> bool:
        return self.status == 429 or self.status >= 500 or self.status == 0


class TelegramTransport:
    """Sends Channel.TELEGRAM through one bot. ``token``: the bot token from BotFather;
    ``base_url``: Telegram's Bot API or a compatible one (a local Bot API server, tests)."""

    name = "telegram"

    def __init__(
        self,
        *,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if not token or "/" in token:
            raise ValueError("PAGERLINE_TELEGRAM_BOT_TOKEN is not a bot token (as BotFather gives it: 123456:ABC…)")
        self.base_url = base_url.rstrip("/")
        self.concurrency = concurrency
        self.timeout = timeout
        self._http = LoopClient(concurrency, base_url=f"{self.base_url}/bot{token}/", timeout=timeout)
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> TelegramTransport:
        kwargs: dict[str, Any] = {"token": settings.telegram_bot_token, "base_url": settings.telegram_base_url}
        kwargs.update(overrides)
        return cls(**kwargs)

    async def call(self, method: str, params: dict[str, Any], *, timeout: float | None = None) -> BotAnswer:
        """One Bot API method with JSON parameters. Network trouble is an answer with status 0
        (transient), never an exception, so callers decide once what a failure means.
        ``timeout``: for ``getUpdates``, whose long poll outlasts the usual timeout."""
        if self._closed:
            raise RuntimeError("TelegramTransport is closed")
        request_timeout = httpx.Timeout(timeout) if timeout is not None else httpx.USE_CLIENT_DEFAULT
        try:
            if method == "getUpdates":  # a long poll must not hold a slot that pages need
                response = await self._http.side_client().post(method, json=params, timeout=request_timeout)
            else:
                async with self._http.slot() as client:
                    response = await client.post(method, json=params, timeout=request_timeout)
        except httpx.TimeoutException:
            return BotAnswer(0, False, description=f"Telegram timed out ({method})")
        except httpx.HTTPError as exc:
            return BotAnswer(0, False, description=f"Telegram unreachable: {type(exc).__name__} {exc}".strip()[:300])
        return _answer_of(response)

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        if message.kind == "UPDATE":
            return await self._edit(message)
        params: dict[str, Any] = {"chat_id": message.destination.address, "text": message_text(message.title, message.body)}
        if message.kind == "PAGE" and message.alert_id is not None:
            keyboard = page_keyboard(message, nonce_of(message.action_token))
            if keyboard["inline_keyboard"]:
                params["reply_markup"] = keyboard
        answer = await self.call("sendMessage", params)
        if not answer.ok:
            return _failure(answer)
        result = answer.result if isinstance(answer.result, dict) else {}
        chat = result.get("chat") if isinstance(result.get("chat"), dict) else {}
        chat_id = chat.get("id", message.destination.address)
        return DeliveryResult(Outcome.DELIVERED, provider_id=f"{chat_id}:{result.get('message_id', '')}")

    async def _edit(self, message: OutgoingMessage) -> DeliveryResult:
        chat_id, _, message_id = message.destination.address.rpartition(":")
        if not chat_id or not message_id.isdigit():
            return DeliveryResult(Outcome.FAILED, f"not a Telegram message: {message.destination.address!r}")
        params: dict[str, Any] = {
            "chat_id": chat_id,
            "message_id": int(message_id),
            "text": message_text(message.title, message.body),
        }
        if (keyboard := update_keyboard(message)) is not None:
            params["reply_markup"] = keyboard
        answer = await self.call("editMessageText", params)
        if answer.ok or NOT_MODIFIED in answer.description:
            return DeliveryResult(Outcome.DELIVERED, provider_id=message.destination.address)
        return _failure(answer)

    async def close(self) -> None:
        self._closed = True
        await self._http.aclose()


def nonce_of(action_token: str) -> str:
    """The nonce inside a signed action token (see
    :mod:`pagerline.engine.delivery.action_tokens`), or "" when there is none. Read without
    checking the signature: the nonce only refers to the token, it authorises nothing alone."""
    nonce = action_tokens.nonce_of(action_token) if action_token else ""
    return nonce if len(f"a:{nonce}".encode()) <= MAX_CALLBACK_DATA_BYTES else ""


def _answer_of(response: httpx.Response) -> BotAnswer:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    if response.is_success and body.get("ok") is True:
        return BotAnswer(response.status_code, True, body.get("result"))
    parameters = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
    wait = parameters.get("retry_after") or response.headers.get("retry-after")
    try:
        retry_after = float(wait) if wait is not None else None
    except ValueError:
        retry_after = None
    status = response.status_code if not response.is_success else int(body.get("error_code") or 502)
    description = str(body.get("description") or response.reason_phrase or "error")
    return BotAnswer(status, False, description=description, retry_after=retry_after)


def _failure(answer: BotAnswer) -> DeliveryResult:
    reason = (f"Telegram {answer.status}: " if answer.status else "") + answer.description
    if answer.transient:
        return DeliveryResult(Outcome.RETRY, reason[:300], retry_after_seconds=answer.retry_after)
    return DeliveryResult(Outcome.FAILED, reason[:300])
