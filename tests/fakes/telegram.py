"""A fake Telegram Bot API: ``POST /bot<token>/<method>`` for ``getMe``, ``sendMessage``,
``editMessageText``, ``answerCallbackQuery``, ``setWebhook``, ``deleteWebhook`` and
``getUpdates``, with Telegram's envelope: ``{"ok": true, "result": …}``, or
``{"ok": false, "error_code", "description"}`` (plus ``"parameters": {"retry_after"}`` on 429).

It keeps what a bot would see: the messages it sent per chat (text and inline keyboard, as
edits leave them: ``editMessageText`` without ``reply_markup`` removes the keyboard, an edit that
changes nothing is Telegram's 400 "message is not modified"), the webhook set, and a queue of
updates for ``getUpdates`` that honours ``offset`` (older updates are confirmed and forgotten),
``limit`` and ``timeout`` (a long poll waits for an update to be queued), answers 409 while a
webhook is set, and 409 to the older of two concurrent long polls, as Telegram does.

A test plays the people: :meth:`FakeTelegram.start_command` and :meth:`FakeTelegram.press`
build the updates Telegram would send (a ``/start <code>`` message, a button press on a message
the bot sent), :meth:`FakeTelegram.queue` makes them available to ``getUpdates``, and
:meth:`FakeTelegram.deliver` POSTs one to a webhook URL with the secret header, as Telegram does.
``delay`` slows every answer; the messages sent are kept like the records (at most
``max_records``, the oldest forgotten).

    with FakeTelegram() as tg:
        tg.fail("sendMessage", 429, retry_after=7)
        ...
        [page] = tg.messages_to(CHAT)
        tg.deliver(tg.press(CHAT, page, "a:" + nonce), url, secret=secret, client=test_client)
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.fakes import Answer, HttpFake, HttpRequest, HttpResponse

PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
BLOCKED = "Forbidden: bot was blocked by the user"


def telegram_error(status: int, description: str, retry_after: float | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return body


@dataclass
class BotRequest:
    """One Bot API call as the fake got it: ``params`` (JSON or form), the answer's status."""

    method: str
    params: dict[str, Any]
    token_ok: bool
    status: int | None = None


@dataclass
class SentMessage:
    """A message the bot sent, as the chat shows it now (after edits)."""

    chat_id: int
    message_id: int
    text: str
    reply_markup: dict[str, Any] | None
    edits: int = 0

    @property
    def buttons(self) -> list[dict[str, str]]:
        return [b for row in (self.reply_markup or {}).get("inline_keyboard", []) for b in row]

    def callback_data(self) -> list[str]:
        return [b["callback_data"] for b in self.buttons if "callback_data" in b]

    def as_result(self, bot: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {
            "message_id": self.message_id,
            "from": bot,
            "chat": {"id": self.chat_id, "type": "private", "first_name": "Responder"},
            "date": int(time.time()),
            "text": self.text,
        }
        if self.reply_markup and self.reply_markup.get("inline_keyboard"):
            result["reply_markup"] = self.reply_markup
        if self.edits:
            result["edit_date"] = int(time.time())
        return result


@dataclass
class CallbackAnswer:
    query_id: str
    text: str
    show_alert: bool


@dataclass
class _Updates:
    """The getUpdates queue (confirmed updates are dropped) and the long polls waiting on it."""

    items: list[dict[str, Any]] = field(default_factory=list)
    arrived: asyncio.Event | None = None
    poll_generation: int = 0


class FakeTelegram(HttpFake):
    name = "fake-telegram"

    def __init__(
        self, *, token: str = "123456:TEST-token_abc", username: str = "pagerline_test_bot", delay: float = 0.0, max_records: int = 10_000
    ) -> None:
        super().__init__(max_records=max_records)
        self.token = token
        self.delay = delay  # seconds before every answer (a server's round trip, for benchmarks)
        self.max_records = max_records
        self.bot = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": "pagerline", "username": username}
        self.webhook: dict[str, Any] | None = None
        self.blocked: set[int] = set()
        self.answers: list[CallbackAnswer] = []
        self._lock = threading.Lock()
        self._messages: dict[tuple[int, int], SentMessage] = {}
        self._message_ids = itertools.count(1)
        self._update_ids = itertools.count(700_001)
        self._query_ids = itertools.count(1)
        self._open_queries: set[str] = set()
        self._updates = _Updates()

    # ------------------------------------------------------------------ scripts (keyed by method)

    def fail(self, method: str, status: int, description: str = "", *, retry_after: float | None = None, times: int | None = 1) -> None:
        """Answer ``method`` with an error: 429 carries ``parameters.retry_after``."""
        text = description or {429: f"Too Many Requests: retry after {retry_after or 1:g}", 502: "Bad Gateway"}.get(status, "Bad Request")
        self.script.add(method, Answer(status, telegram_error(status, text, retry_after if status == 429 else None), times=times))

    def slow(self, method: str, seconds: float, times: int | None = 1) -> None:
        self.script.add(method, Answer(200, None, delay=seconds, times=times))

    def block(self, chat_id: int | str) -> None:
        """The person in ``chat_id`` blocked the bot: sending there is 403."""
        self.blocked.add(int(chat_id))

    # ------------------------------------------------------------------ reading

    def calls(self, method: str) -> list[BotRequest]:
        return [r for r in list(self.received) if r.method == method]

    def messages_to(self, chat_id: int | str) -> list[SentMessage]:
        with self._lock:
            return sorted((m for m in self._messages.values() if m.chat_id == int(chat_id)), key=lambda m: m.message_id)

    def message(self, chat_id: int | str, message_id: int) -> SentMessage:
        with self._lock:
            return self._messages[(int(chat_id), message_id)]

    def pending_updates(self) -> int:
        with self._lock:
            return len(self._updates.items)

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self._messages.clear()
            self._updates.items.clear()
            self._open_queries.clear()
        self.answers.clear()
        self.blocked.clear()
        self.webhook = None

    # ------------------------------------------------------------------ the people's side

    def start_command(self, chat_id: int | str, code: str, *, first_name: str = "Alice", chat_type: str = "private") -> dict[str, Any]:
        """The update Telegram sends when someone opens ``t.me/<bot>?start=<code>`` and taps Start."""
        user = {"id": int(chat_id), "is_bot": False, "first_name": first_name}
        chat = {"id": int(chat_id), "type": chat_type, "first_name": first_name}
        text = f"/start {code}".strip()
        message = {
            "message_id": next(self._message_ids), "from": user, "chat": chat, "date": int(time.time()), "text": text,
            "entities": [{"offset": 0, "length": 6, "type": "bot_command"}],
        }
        return {"update_id": next(self._update_ids), "message": message}

    def press(self, chat_id: int | str, message: SentMessage, data: str, *, from_id: int | str | None = None) -> dict[str, Any]:
        """The update Telegram sends when a user (``from_id``, default the chat's own user) presses
        the button with ``data`` under ``message``. The fake will accept one answer to it."""
        query_id = f"{self.bot['id']}{next(self._query_ids):08d}"
        with self._lock:
            self._open_queries.add(query_id)
        presser = int(from_id if from_id is not None else chat_id)
        query = {
            "id": query_id,
            "from": {"id": presser, "is_bot": False, "first_name": "Presser"},
            "message": message.as_result(self.bot) | {"chat": {"id": int(chat_id), "type": "private", "first_name": "Responder"}},
            "chat_instance": f"-{abs(hash((self.bot['id'], int(chat_id))))}",
            "data": data,
        }
        return {"update_id": next(self._update_ids), "callback_query": query}

    def queue(self, *updates: dict[str, Any]) -> None:
        """Make updates available to ``getUpdates`` (and wake a waiting long poll)."""
        with self._lock:
            self._updates.items.extend(updates)
        if self._thread is not None:
            self._thread.call(self._wake)

    def _wake(self) -> None:
        if self._updates.arrived is not None:
            self._updates.arrived.set()

    def deliver(self, update: dict[str, Any], url: str, *, secret: str | None = "", client: Any = None) -> Any:
        """POST ``update`` to a webhook ``url`` as Telegram does, with ``secret`` in the secret
        header (default: the ``secret_token`` of the webhook set; None: no header at all).
        ``client``: anything with ``.post(url, json=..., headers=...)`` (a Starlette TestClient)."""
        if secret == "":
            secret = (self.webhook or {}).get("secret_token")
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        if client is not None:
            return client.post(url, json=update, headers=headers)
        with httpx.Client(timeout=10) as http:
            return http.post(url, json=update, headers=headers)

    # ------------------------------------------------------------------ serving

    async def handle(self, request: HttpRequest) -> HttpResponse:
        match = PATH.match(request.path)
        if request.method not in ("GET", "POST") or not match:
            return HttpResponse(404, telegram_error(404, "Not Found"))
        params = self._params(request)
        record = BotRequest(match["method"], params, match["token"] == self.token)
        self.received.add(record)
        answer = self.script.take(match["method"])
        await self.script.wait(answer)
        if self.delay:
            await asyncio.sleep(self.delay)
        if not record.token_ok:
            response = HttpResponse(401, telegram_error(401, "Unauthorized"))
        elif answer is not None and answer.status >= 300:
            response = HttpResponse(answer.status, answer.payload)
        else:
            handler = getattr(self, f"_{match['method']}", None)
            response = await handler(params) if handler else HttpResponse(404, telegram_error(404, "Not Found: method not found"))
        record.status = response.status
        return response

    @staticmethod
    def _params(request: HttpRequest) -> dict[str, Any]:
        if not request.body:
            return {k: v[-1] for k, v in request.query.items()}
        if request.headers.get("content-type", "").startswith("application/json"):
            body = request.json()
            return body if isinstance(body, dict) else {}
        form = request.form()  # form fields carry JSON-serialized objects (reply_markup, lists)
        for key in ("reply_markup", "allowed_updates"):
            if key in form:
                form[key] = json.loads(form[key])  # type: ignore[assignment]
        return form

    @staticmethod
    def _ok(result: Any) -> HttpResponse:
        return HttpResponse(200, {"ok": True, "result": result})

    @staticmethod
    def _bad(description: str, status: int = 400) -> HttpResponse:
        return HttpResponse(status, telegram_error(status, description))

    async def _getMe(self, params: dict[str, Any]) -> HttpResponse:
        return self._ok(self.bot)

    def _markup_problem(self, markup: Any) -> str | None:
        if markup is None:
            return None
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            return "Bad Request: can't parse reply keyboard markup JSON object"
        for button in (b for row in rows for b in row):
            kinds = [k for k in ("url", "callback_data") if k in button]
            if not button.get("text") or len(kinds) != 1:
                return "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
            if "callback_data" in button and not 1 <= len(str(button["callback_data"]).encode()) <= 64:
                return "Bad Request: BUTTON_DATA_INVALID"
            if "url" in button and not str(button["url"]).startswith(("https://", "http://", "tg://")):
                return "Bad Request: BUTTON_URL_INVALID"
        return None

    @staticmethod
    def _chat_id(params: dict[str, Any]) -> int | None:
        try:
            return int(params["chat_id"])
        except (KeyError, TypeError, ValueError):
            return None

    async def _sendMessage(self, params: dict[str, Any]) -> HttpResponse:
        chat_id, text = self._chat_id(params), str(params.get("text") or "")
        if chat_id is None:
            return self._bad("Bad Request: chat not found")
        if not text.strip():
            return self._bad("Bad Request: message text is empty")
        if len(text) > 4096:
            return self._bad("Bad Request: message is too long")
        if problem := self._markup_problem(params.get("reply_markup")):
            return self._bad(problem)
        if chat_id in self.blocked:
            return self._bad(BLOCKED, 403)
        sent = SentMessage(chat_id, next(self._message_ids), text, params.get("reply_markup"))
        with self._lock:
            self._messages[(chat_id, sent.message_id)] = sent
            # At most ``max_records`` kept, the oldest forgotten (editing one is then "message to
            # edit not found"), so a long run stays small.
            while len(self._messages) > self.max_records:
                del self._messages[next(iter(self._messages))]
        return self._ok(sent.as_result(self.bot))

    async def _editMessageText(self, params: dict[str, Any]) -> HttpResponse:
        chat_id, text = self._chat_id(params), str(params.get("text") or "")
        try:
            message_id = int(params["message_id"])
        except (KeyError, TypeError, ValueError):
            return self._bad("Bad Request: message identifier is not specified")
        if not text.strip():
            return self._bad("Bad Request: text must be non-empty")
        if problem := self._markup_problem(params.get("reply_markup")):
            return self._bad(problem)
        with self._lock:
            sent = self._messages.get((chat_id or 0, message_id))
            if sent is None:
                return self._bad("Bad Request: message to edit not found")
            markup = params.get("reply_markup")
            if not (markup or {}).get("inline_keyboard"):
                markup = None  # no reply_markup (or an empty keyboard): the keyboard goes
            if sent.text == text and sent.reply_markup == markup:
                return self._bad(NOT_MODIFIED)
            sent.text, sent.reply_markup, sent.edits = text, markup, sent.edits + 1
        return self._ok(sent.as_result(self.bot))

    async def _answerCallbackQuery(self, params: dict[str, Any]) -> HttpResponse:
        query_id = str(params.get("callback_query_id") or "")
        with self._lock:
            if query_id not in self._open_queries:
                return self._bad("Bad Request: query is too old and response timeout expired or query ID is invalid")
            self._open_queries.discard(query_id)
        text = str(params.get("text") or "")
        if len(text) > 200:
            return self._bad("Bad Request: MESSAGE_TOO_LONG")
        self.answers.append(CallbackAnswer(query_id, text, bool(params.get("show_alert"))))
        return self._ok(True)

    async def _setWebhook(self, params: dict[str, Any]) -> HttpResponse:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if url and not url.startswith("https://"):
            return self._bad("Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        if secret is not None and not SECRET_TOKEN.match(str(secret)):
            return self._bad("Bad Request: secret token contains unallowed characters")
        self.webhook = {"url": url, "secret_token": secret, "allowed_updates": params.get("allowed_updates")} if url else None
        self._wake()  # a waiting long poll ends with the conflict
        return self._ok(True)

    async def _deleteWebhook(self, params: dict[str, Any]) -> HttpResponse:
        self.webhook = None
        if params.get("drop_pending_updates"):
            with self._lock:
                self._updates.items.clear()
        return self._ok(True)

    async def _getUpdates(self, params: dict[str, Any]) -> HttpResponse:
        if self.webhook is not None:
            return self._bad("Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first", 409)
        try:
            offset = int(params.get("offset") or 0)
            limit = max(1, min(100, int(params.get("limit") or 100)))
            timeout = max(0.0, float(params.get("timeout") or 0))
        except (TypeError, ValueError):
            return self._bad("Bad Request: wrong parameter")
        self._updates.poll_generation += 1
        generation = self._updates.poll_generation
        self._wake()  # an older long poll still waiting ends with the conflict
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            with self._lock:
                if offset:
                    # Confirmed: every update below the offset is forgotten.
                    self._updates.items = [u for u in self._updates.items if u["update_id"] >= offset]
                ready = self._updates.items[:limit]
            if ready or timeout <= 0:
                return self._ok(ready)
            if generation != self._updates.poll_generation:
                return self._bad("Conflict: terminated by other getUpdates request; make sure that only one bot instance is running", 409)
            if self.webhook is not None:
                return self._bad("Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first", 409)
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return self._ok([])
            self._updates.arrived = asyncio.Event()
            try:
                await asyncio.wait_for(self._updates.arrived.wait(), left)
            except TimeoutError:
                pass
