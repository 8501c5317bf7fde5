"""A fake ntfy server: publishing as JSON (``POST /`` with ``{"topic", "message", "title",
"priority", "tags", "click", "actions"}``), as https://docs.ntfy.sh/publish/#publish-as-json
describes it.

It answers like ntfy: 200 with the published message (``{"id", "time", "expires", "event":
"message", "topic", ...}``), and errors as ``{"code", "http", "error", "link"}`` with ntfy's own
codes (40009 topic invalid, 40007 priority invalid, 40017 not message JSON, 40018 actions
invalid, 40101 unauthorized, 42901 too many requests). With ``token`` set it requires
``Authorization: Bearer <token>`` like a server with access control. Answers are scripted per
topic: :meth:`FakeNtfy.rate_limit` (429 with ``Retry-After``), :meth:`FakeNtfy.error` (any
status), :meth:`FakeNtfy.slow` and :meth:`FakeNtfy.hold`; ``delay`` slows every answer.

It can also play the phone: :meth:`FakeNtfy.press` sends the HTTP request of one of a message's
``http`` action buttons, as the ntfy app does when the button is tapped.

    with FakeNtfy() as ntfy:
        ...
        [page] = ntfy.messages_to("alice-7f3k")
        assert page.json["priority"] == 5
        ntfy.press(page, "Accept")
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx

from tests.fakes import Answer, HttpFake, HttpRequest, HttpResponse

TOPIC = re.compile(r"^[-_A-Za-z0-9]{1,64}$")
ACTION_TYPES = ("view", "broadcast", "http", "copy")
LIMITS = "https://ntfy.sh/docs/publish/#limitations"


def ntfy_error(http: int, code: int, error: str, link: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "http": http, "error": error}
    if link:
        body["link"] = link
    return body


@dataclass
class NtfyMessage:
    """One publish request: ``json`` the body as sent (None when it was not JSON), ``headers``
    lower-cased, ``status`` what the fake answered, ``id`` the message id it gave."""

    path: str
    json: dict[str, Any] | None
    headers: dict[str, str]
    status: int | None = None
    id: str = ""

    @property
    def topic(self) -> str:
        return str((self.json or {}).get("topic") or "")

    def action(self, label: str) -> dict[str, Any]:
        [found] = [a for a in (self.json or {}).get("actions") or [] if a.get("label") == label]
        return found  # type: ignore[no-any-return]


class FakeNtfy(HttpFake):
    name = "fake-ntfy"

    def __init__(self, *, token: str | None = None, delay: float = 0.0, max_records: int = 10_000) -> None:
        super().__init__(max_records=max_records)
        self.token = token
        self.delay = delay  # seconds before every answer (a server's round trip, for benchmarks)

    # ------------------------------------------------------------------ scripts (keyed by topic)

    def rate_limit(self, topic: str, retry_after: int | None = 7, times: int | None = 1) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = ntfy_error(429, 42901, "limit reached: too many requests", LIMITS)
        self.script.add(topic, Answer(429, (body, headers), times=times))

    def error(self, topic: str, status: int, code: int, text: str, times: int | None = 1) -> None:
        self.script.add(topic, Answer(status, (ntfy_error(status, code, text), {}), times=times))

    def slow(self, topic: str, seconds: float, times: int | None = 1) -> None:
        self.script.add(topic, Answer(200, None, delay=seconds, times=times))

    def hold(self, topic: str, times: int | None = 1) -> None:
        self.script.add(topic, Answer(200, None, hold=True, times=times))

    # ------------------------------------------------------------------ reading

    def messages_to(self, topic: str) -> list[NtfyMessage]:
        return [m for m in list(self.received) if m.topic == topic]

    def published(self, topic: str | None = None) -> list[NtfyMessage]:
        return [m for m in list(self.received) if m.status == 200 and (topic is None or m.topic == topic)]

    # ------------------------------------------------------------------ the phone

    def press(self, message: NtfyMessage, label: str, *, client: Any = None) -> Any:
        """Tap the ``http`` action button ``label`` of ``message``: its method (POST by
        default), URL, headers and body, as the ntfy app sends them. ``client``: anything with
        ``.request(method, url, content=..., headers=...)`` (default: a fresh ``httpx.Client``)."""
        action = message.action(label)
        assert action["action"] == "http", f"{label} is a {action['action']} action"
        method = str(action.get("method") or "POST")
        args = {"content": str(action.get("body") or "").encode(), "headers": dict(action.get("headers") or {})}
        if client is not None:
            return client.request(method, action["url"], **args)
        with httpx.Client(timeout=10) as http:
            return http.request(method, action["url"], **args)

    # ------------------------------------------------------------------ serving

    async def handle(self, request: HttpRequest) -> HttpResponse:
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            body = None
        record = NtfyMessage(request.path, body if isinstance(body, dict) else None, dict(request.headers))
        self.received.add(record)
        answer = self.script.take(record.topic or None)
        await self.script.wait(answer)
        if self.delay:
            await asyncio.sleep(self.delay)
        response = self._answer(request, record, answer)
        record.status = response.status
        return response

    def _answer(self, request: HttpRequest, record: NtfyMessage, answer: Answer | None) -> HttpResponse:
        if request.method not in ("POST", "PUT") or request.path != "/":
            # A JSON body POSTed to a topic URL would be published as its text: not what we test.
            return HttpResponse(404, ntfy_error(404, 40401, "page not found"))
        auth = request.headers.get("authorization", "")
        if self.token is not None and auth != f"Bearer {self.token}":
            if auth:
                return HttpResponse(401, ntfy_error(401, 40101, "unauthorized", "https://ntfy.sh/docs/publish/#authentication"))
            return HttpResponse(403, ntfy_error(403, 40301, "forbidden", "https://ntfy.sh/docs/publish/#authentication"))
        if answer is not None and answer.status >= 300:
            payload, headers = answer.payload
            return HttpResponse(answer.status, payload, dict(headers))
        message = record.json
        if message is None:
            return HttpResponse(400, ntfy_error(400, 40017, "invalid request: request body must be message JSON",
                                                "https://ntfy.sh/docs/publish/#publish-as-json"))
        if not TOPIC.match(record.topic):
            return HttpResponse(400, ntfy_error(400, 40009, "invalid request: topic invalid"))
        priority = message.get("priority", 3)
        if priority not in (1, 2, 3, 4, 5):
            return HttpResponse(400, ntfy_error(400, 40007, "invalid priority parameter", "https://ntfy.sh/docs/publish/#message-priority"))
        if not _actions_ok(message.get("actions")):
            return HttpResponse(400, ntfy_error(400, 40018, "invalid request: actions invalid", "https://ntfy.sh/docs/publish/#action-buttons"))
        record.id = secrets.token_urlsafe(9)[:12]
        now = int(time.time())
        published = {"id": record.id, "time": now, "expires": now + 43200, "event": "message", "topic": record.topic,
                     "message": message.get("message") or "triggered"}
        for key in ("title", "priority", "tags", "click"):
            if key in message:
                published[key] = message[key]
        if message.get("actions"):
            published["actions"] = [{"id": secrets.token_urlsafe(6), **a} for a in message["actions"]]
        return HttpResponse(200, published)


def _actions_ok(actions: Any) -> bool:
    """Up to three actions, each with a known type and a label; ``view`` and ``http`` need a URL."""
    if actions is None:
        return True
    if not isinstance(actions, list) or len(actions) > 3:
        return False
    for action in actions:
        if not isinstance(action, dict) or action.get("action") not in ACTION_TYPES or not action.get("label"):
            return False
        if action["action"] in ("view", "http") and not str(action.get("url") or "").startswith(("http://", "https://")):
            return False
        if not isinstance(action.get("headers", {}), dict) or not isinstance(action.get("body", ""), str):
            return False
    return True
