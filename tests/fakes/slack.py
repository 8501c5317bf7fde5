"""A fake Slack Web API: ``POST /api/<method>`` (``GET`` too, as ``slack_sdk`` sends
``users.lookupByEmail``) with the token as ``Authorization: Bearer``, a form or a JSON body, and
Slack's envelope: HTTP 200 with ``{"ok": true, …}`` or ``{"ok": false, "error": "<code>"}``;
rate limits are HTTP 429 with ``Retry-After`` and ``{"ok": false, "error": "ratelimited"}``.
Point the real client at it: ``WebClient(token=fake.token, base_url=fake.url + "/api/")``.

Methods: ``chat.postMessage``, ``chat.update``, ``chat.postEphemeral``, ``users.info``, ``users.lookupByEmail``,
``conversations.create``, ``conversations.invite`` and ``apps.connections.open``. A wrong token is
``invalid_auth``, none is ``not_authed``, the bot token on ``apps.connections.open`` (or the app
token anywhere else) is ``not_allowed_token_type``.

It keeps what a workspace would show: the channels (``conversations.create``, or
:meth:`FakeSlack.add_channel`) and their members, a directory of people added by the test
(:meth:`FakeSlack.add_user`; a person's ID also works as ``channel``: a DM with the app), each
channel's top-level messages as edits left them with their thread replies, and the ephemeral
messages each person saw. Posting to a channel the fake does not know is ``channel_not_found``.

A test also plays Slack calling pagerline: :func:`block_action`, :func:`message_shortcut` and
:func:`slash_command` build Slack's payloads, :func:`signed_form` signs a form body the way Slack
does (``X-Slack-Signature``, ``X-Slack-Request-Timestamp``), and the fake serves the
``response_url`` those payloads carry (:meth:`FakeSlack.response_url`, read back with
:meth:`FakeSlack.responses`; five uses each, as Slack allows). Socket Mode: the URL from
``apps.connections.open`` is a WebSocket served by the fake; it says ``hello``, then
:meth:`FakeSlack.socket_send` pushes an envelope and :meth:`FakeSlack.socket_ack` (or
:meth:`FakeSlack.socket_ack_async` in an async test, whose loop must stay free to send the ack)
returns the client's answer.

Scripted answers win over everything (an outage does not look at tokens): :meth:`FakeSlack.fail`
answers an HTTP status, :meth:`FakeSlack.error` an ``ok: false`` code. ``delay`` slows every
answer; records are capped at ``max_records`` like the other fakes.

    with FakeSlack() as slack:
        alerts = slack.add_channel("alerts")
        alice = slack.add_user("alice@example.com", name="alice")
        slack.fail("chat.postMessage", 429, retry_after=3)
        ...
        [page] = slack.messages(alerts)
        url = slack.response_url()
        body, headers = signed_form(SECRET, interaction_fields(block_action(alice, "alice", alerts, page.ts,
                                                                            "ack", "alert-1", url)))
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.fakes import Answer, HttpFake, HttpRequest, HttpResponse, wait_until
from tests.support.polling import wait_until_async

PATH = re.compile(r"^/api/(?P<method>[A-Za-z.]+)$")
RESPONSE_PATH = re.compile(r"^/response/(?P<id>[A-Za-z0-9]+)$")
CHANNEL_NAME = re.compile(r"^[a-z0-9_-]+$")  # Slack's rule: lowercase, digits, "-" and "_" only
DEFAULT_TEAM_ID = "T0PAGERLN"
DEFAULT_TEAM_DOMAIN = "pagerline-test"
DEFAULT_APP_ID = "A0PAGERLN"
VERIFICATION_TOKEN = "fake-verification-token"  # the deprecated ``token`` field of payloads
RESPONSE_URL_USES = 5  # Slack accepts at most five posts to one response_url
JSON_FIELDS = ("blocks", "attachments", "metadata")  # form bodies carry these as JSON strings


# --------------------------------------------------------------------------- records


@dataclass
class SlackCall:
    """One Web API call as the fake got it: ``params`` from the query, form or JSON body (JSON
    strings in a form already parsed), the Bearer ``token``, and what it answered."""

    method: str
    params: dict[str, Any]
    token: str | None
    http_method: str = "POST"
    content_type: str = ""
    status: int | None = None
    error: str | None = None  # the ``error`` code of an ok:false answer


@dataclass
class SlackMessage:
    """A message the app posted, as the channel shows it now (after ``chat.update``)."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] | None
    user: str
    bot_id: str
    thread_ts: str | None = None
    edits: int = 0
    replies: list[SlackMessage] = field(default_factory=list)

    def as_dict(self, team_id: str = DEFAULT_TEAM_ID) -> dict[str, Any]:
        """The message object Slack returns (and puts in interaction payloads)."""
        body: dict[str, Any] = {
            "type": "message", "user": self.user, "bot_id": self.bot_id, "app_id": DEFAULT_APP_ID,
            "text": self.text, "ts": self.ts, "team": team_id,
        }
        if self.blocks is not None:
            body["blocks"] = self.blocks
        if self.thread_ts is not None:
            body["thread_ts"] = self.thread_ts
        if self.edits:
            body["edited"] = {"user": self.user, "ts": self.ts}
        if self.replies:
            body["reply_count"] = len(self.replies)
        return body


@dataclass
class Ephemeral:
    """A ``chat.postEphemeral`` message: only ``user`` saw it, in ``channel``."""

    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]] | None
    message_ts: str
    thread_ts: str | None = None


@dataclass
class SlackUser:
    id: str
    email: str
    name: str
    real_name: str
    team_id: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "team_id": self.team_id, "name": self.name, "real_name": self.real_name,
            "deleted": False, "is_bot": False, "tz": "Europe/London",
            "profile": {"email": self.email, "real_name": self.real_name, "display_name": self.name,
                        "team": self.team_id},
        }


@dataclass
class SlackChannel:
    id: str
    name: str
    is_private: bool
    creator: str
    members: list[str] = field(default_factory=list)
    is_im: bool = False
    created: int = field(default_factory=lambda: int(time.time()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "name_normalized": self.name, "is_channel": not self.is_private,
            "is_group": self.is_private, "is_im": self.is_im, "is_private": self.is_private, "created": self.created,
            "creator": self.creator, "is_archived": False, "is_general": False, "is_member": True,
        }


@dataclass
class _ResponseUrl:
    bodies: list[Any] = field(default_factory=list)


# --------------------------------------------------------------------------- the fake


class FakeSlack(HttpFake):
    name = "fake-slack"

    def __init__(
        self, *, token: str = "xoxb-0000-fake-bot-token", app_token: str = "xapp-1-A0PAGERLN-0000-fake",
        team_id: str = DEFAULT_TEAM_ID, delay: float = 0.0, max_records: int = 10_000,
    ) -> None:
        super().__init__(max_records=max_records)
        self.token = token
        self.app_token = app_token  # the app-level token (``xapp-``) Socket Mode needs
        self.team_id = team_id
        self.bot_user_id = "U0PAGERBOT"
        self.bot_id = "B0PAGERBOT"
        self.delay = delay  # seconds before every answer (a server's round trip)
        self.max_records = max_records
        self.tokens: list[str] = []  # every distinct token seen, in order
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._last_ts_us = 0
        self._users: dict[str, SlackUser] = {}  # by id
        self._channels: dict[str, SlackChannel] = {}  # by id
        self._messages: dict[str, list[SlackMessage]] = {}  # channel id -> top level, oldest first
        self._ephemerals: list[Ephemeral] = []
        self._response_urls: dict[str, _ResponseUrl] = {}
        self.views_opened: list[dict[str, Any]] = []  # views.open: trigger_id and the modal
        self._socket = _SocketMode(self)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeSlack:
        super().start()
        assert self._thread is not None
        self._socket.port = self._thread.run(self._socket.serve())
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.run(self._socket.close())
        super().stop()

    def reset(self) -> None:
        """Forget messages, ephemerals, response_urls, tokens, acks and scripts; the workspace
        (people, channels) stays, as a shared fixture set it up."""
        super().reset()
        with self._lock:
            self._messages.clear()
            self._ephemerals.clear()
            self._response_urls.clear()
            self.tokens.clear()
        self._socket.forget()

    # ------------------------------------------------------------------ the workspace

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}0{next(self._ids):07X}"

    def add_user(self, email: str, user_id: str | None = None, *, name: str = "", real_name: str = "") -> str:
        """Put a person in the directory (found by ``users.lookupByEmail``); their Slack ID back."""
        user_id = user_id or self._new_id("U")
        handle = name or email.split("@")[0]
        with self._lock:
            self._users[user_id] = SlackUser(user_id, email, handle, real_name or handle.title(), self.team_id)
        return user_id

    def add_channel(self, name: str, channel_id: str | None = None, *, is_private: bool = False,
                    members: tuple[str, ...] = ()) -> str:
        """A channel that exists already (the app is a member); its ID back."""
        channel_id = channel_id or self._new_id("G" if is_private else "C")
        with self._lock:
            channel = SlackChannel(channel_id, name, is_private, self.bot_user_id, [self.bot_user_id, *members])
            self._channels[channel_id] = channel
        return channel_id

    def channel(self, channel_id: str) -> SlackChannel:
        with self._lock:
            return copy.deepcopy(self._channels[channel_id])

    def channel_named(self, name: str) -> SlackChannel | None:
        with self._lock:
            found = next((c for c in self._channels.values() if c.name == name), None)
            return copy.deepcopy(found)

    def _resolve_channel(self, channel: str) -> str | None:
        """The conversation ID ``channel`` names: a channel ID, ``#name``, or a person's ID (their
        DM with the app, opened on first use as Slack does). Call with the lock held."""
        if channel in self._channels:
            return channel
        if channel.startswith("#"):
            return next((c.id for c in self._channels.values() if c.name == channel[1:]), None)
        if channel in self._users:
            dm = next((c for c in self._channels.values() if c.is_im and c.members == [channel]), None)
            if dm is None:
                dm = SlackChannel(self._new_id("D"), channel, True, channel, [channel], is_im=True)
                self._channels[dm.id] = dm
            return dm.id
        return None

    def _next_ts(self) -> str:
        """A message ts: ``<epoch seconds>.<6 digits>``, unique and increasing (Slack's message ID)."""
        with self._lock:
            self._last_ts_us = max(int(time.time() * 1_000_000), self._last_ts_us + 1)
            seconds, micros = divmod(self._last_ts_us, 1_000_000)
        return f"{seconds}.{micros:06d}"

    # ------------------------------------------------------------------ scripts (keyed by method)

    def fail(self, method: str, status: int, retry_after: float | None = None, times: int | None = 1,
             body: Any = None) -> None:
        """The next ``times`` calls of ``method`` (``"*"``: any) answer HTTP ``status``: 429 is
        Slack's rate limit (``Retry-After``, ``error: ratelimited``), 5xx a server error."""
        headers: dict[str, str] = {}
        if status == 429:
            headers["Retry-After"] = f"{retry_after if retry_after is not None else 1:g}"
            default: Any = {"ok": False, "error": "ratelimited"}
        else:
            default = {"ok": False, "error": "fatal_error" if status >= 500 else "invalid_request"}
        response = HttpResponse(status, default if body is None else body, headers)
        self.script.add(method, Answer(status, response, times=times))

    def error(self, method: str, code: str, times: int | None = 1) -> None:
        """The next ``times`` calls of ``method`` answer HTTP 200 ``{"ok": false, "error": code}``."""
        self.script.add(method, Answer(200, HttpResponse(200, {"ok": False, "error": code}), times=times))

    def slow(self, method: str, seconds: float, times: int | None = 1) -> None:
        """The next ``times`` calls of ``method`` answer normally, ``seconds`` late."""
        self.script.add(method, Answer(200, None, delay=seconds, times=times))

    # ------------------------------------------------------------------ reading

    def calls(self, method: str) -> list[SlackCall]:
        return [c for c in list(self.received) if c.method == method]

    def messages(self, channel: str) -> list[SlackMessage]:
        """The top-level messages in ``channel`` (an ID, ``#name`` or a person's ID for their DM),
        oldest first, as they look now; copies, so the test reads a stable state."""
        with self._lock:
            channel_id = self._resolve_channel(channel) or channel
            return copy.deepcopy(self._messages.get(channel_id, []))

    def message(self, channel: str, ts: str) -> SlackMessage:
        found = next((m for m in self.messages(channel) if m.ts == ts), None)
        if found is None:
            raise KeyError(f"no message {ts} in {channel}")
        return found

    def ephemerals(self, user_id: str) -> list[Ephemeral]:
        with self._lock:
            return [copy.deepcopy(e) for e in self._ephemerals if e.user == user_id]

    # ------------------------------------------------------------------ response_url

    def response_url(self) -> str:
        """A new ``response_url`` served by the fake (put it in a payload)."""
        key = secrets.token_hex(12)
        with self._lock:
            self._response_urls[key] = _ResponseUrl()
        return f"{self.url}/response/{key}"

    def responses(self, url: str) -> list[Any]:
        """The JSON bodies posted to ``url``, in order."""
        match = RESPONSE_PATH.match(urlsplit(url).path)
        assert match, f"not a response_url of this fake: {url}"
        with self._lock:
            return copy.deepcopy(self._response_urls[match["id"]].bodies)

    # ------------------------------------------------------------------ Socket Mode

    @property
    def socket_connections(self) -> int:
        """Socket Mode connections open now."""
        return len(self._socket.connections)

    @property
    def newest_socket(self) -> Any:
        """The newest open Socket Mode connection (a ``websockets`` server connection: its
        ``close_code`` tells a clean close, 1000, from a dropped one), or None."""
        return self._socket.connections[-1] if self._socket.connections else None

    def socket_send(self, type: str, payload: dict[str, Any], *, accepts_response_payload: bool | None = None,
                    timeout: float = 5.0) -> str:
        """Push an envelope (``interactive``, ``slash_commands``, ``events_api``) to the newest
        Socket Mode connection (waiting ``timeout`` for one); its ``envelope_id`` back."""
        assert self._thread is not None, "start() first"
        wait_until(lambda: self._socket.connections, timeout, what="a Socket Mode connection")
        envelope = self._socket.envelope(type, payload, accepts_response_payload)
        self._thread.run(self._socket.send(envelope))
        return str(envelope["envelope_id"])

    def socket_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The client's ack of ``envelope_id`` (``{"envelope_id", "payload"?}``); AssertionError
        if none came within ``timeout``. Blocks: from an async test use :meth:`socket_ack_async`."""
        return dict(wait_until(lambda: self._socket.acks.get(envelope_id), timeout, what=f"ack of {envelope_id}"))

    async def socket_ack_async(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        found = await wait_until_async(lambda: self._socket.acks.get(envelope_id), timeout, 0.005, f"ack of {envelope_id}")
        return dict(found)

    def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Slack's ``disconnect`` message (it rotates connections): clients reconnect."""
        assert self._thread is not None, "start() first"
        self._thread.run(self._socket.send({"type": "disconnect", "reason": reason, "debug_info": {"host": "fake"}}))

    # ------------------------------------------------------------------ serving

    async def handle(self, request: HttpRequest) -> HttpResponse:
        if (match := RESPONSE_PATH.match(request.path)) is not None and request.method == "POST":
            return self._response_posted(match["id"], request)
        match = PATH.match(request.path)
        if request.method not in ("GET", "POST") or match is None:
            return HttpResponse(404, b"Not Found", {"Content-Type": "text/plain"})
        params = self._params(request)
        # Slack also takes ``token`` as a form field (older clients); the header wins.
        token = self._bearer(request) or (str(params["token"]) if params.get("token") else None)
        call = SlackCall(match["method"], params, token, request.method, request.headers.get("content-type", ""))
        self.received.add(call)
        self._saw_token(call.token)
        response = await self._answer(call)
        call.status = response.status
        if isinstance(response.body, dict) and response.body.get("ok") is False:
            call.error = str(response.body.get("error"))
        return response

    async def _answer(self, call: SlackCall) -> HttpResponse:
        answer = self.script.take(call.method)
        await self.script.wait(answer)
        if self.delay:
            await asyncio.sleep(self.delay)
        if answer is not None and isinstance(answer.payload, HttpResponse):
            return answer.payload
        if problem := self._auth_problem(call):
            return _error(problem)
        handler = getattr(self, "_" + call.method.replace(".", "_"), None)
        if handler is None:
            return _error("unknown_method")
        result: HttpResponse = handler(call.params)
        return result

    @staticmethod
    def _bearer(request: HttpRequest) -> str | None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        return value.strip() if scheme.lower() == "bearer" and value.strip() else None

    def _saw_token(self, token: str | None) -> None:
        with self._lock:
            if token and token not in self.tokens:
                self.tokens.append(token)

    def _auth_problem(self, call: SlackCall) -> str | None:
        token = call.token
        if not token:
            return "not_authed"
        if token not in (self.token, self.app_token):
            return "invalid_auth"
        wants_app_token = call.method == "apps.connections.open"
        if (token == self.app_token) != wants_app_token:
            return "not_allowed_token_type"
        return None

    @staticmethod
    def _params(request: HttpRequest) -> dict[str, Any]:
        params: dict[str, Any] = {k: v[-1] for k, v in request.query.items()}
        if not request.body:
            return params
        if request.headers.get("content-type", "").startswith("application/json"):
            body = request.json()
            return params | (body if isinstance(body, dict) else {})
        form: dict[str, Any] = request.form()
        for key in JSON_FIELDS:
            if isinstance(form.get(key), str) and form[key]:
                try:
                    form[key] = json.loads(form[key])
                except ValueError:
                    pass  # kept as sent: the method answers invalid_blocks
        return params | form

    def _response_posted(self, key: str, request: HttpRequest) -> HttpResponse:
        with self._lock:
            target = self._response_urls.get(key)
            if target is None:
                return HttpResponse(404, {"ok": False, "error": "expired_url"})
            if len(target.bodies) >= RESPONSE_URL_USES:
                return HttpResponse(404, {"ok": False, "error": "used_url"})
            try:
                target.bodies.append(request.json())
            except ValueError:
                return HttpResponse(400, {"ok": False, "error": "invalid_payload"})
        return HttpResponse(200, {"ok": True})

    # ------------------------------------------------------------------ methods

    def _chat_postMessage(self, params: dict[str, Any]) -> HttpResponse:
        text, blocks = str(params.get("text") or ""), params.get("blocks")
        if problem := _content_problem(text, blocks, params.get("attachments")):
            return _error(problem)
        with self._lock:
            channel_id = self._resolve_channel(str(params.get("channel") or ""))
            if channel_id is None:
                return _error("channel_not_found")
            thread_ts = str(params["thread_ts"]) if params.get("thread_ts") else None
            parent = self._find(channel_id, thread_ts) if thread_ts else None
            if thread_ts and parent is None:
                return _error("thread_not_found")
        message = SlackMessage(channel_id, self._next_ts(), text, blocks, self.bot_user_id, self.bot_id, thread_ts)
        with self._lock:
            if parent is not None:
                parent.replies.append(message)
            else:
                self._keep(channel_id, message)
            shown = message.as_dict(self.team_id)
        return _ok(channel=channel_id, ts=message.ts, message=shown)

    def _keep(self, channel_id: str, message: SlackMessage) -> None:
        """Store a top-level message; at most ``max_records`` per channel, the oldest forgotten
        (updating it is then message_not_found), so a long run stays small. Lock held."""
        kept = self._messages.setdefault(channel_id, [])
        kept.append(message)
        del kept[: max(0, len(kept) - self.max_records)]

    def _find(self, channel_id: str, ts: str | None) -> SlackMessage | None:
        """A top-level message or thread reply in ``channel_id`` by ts. Lock held."""
        for message in self._messages.get(channel_id, []):
            if message.ts == ts:
                return message
            if reply := next((r for r in message.replies if r.ts == ts), None):
                return reply
        return None

    def _chat_update(self, params: dict[str, Any]) -> HttpResponse:
        text, blocks = params.get("text"), params.get("blocks")  # None (or JSON null): left out
        if text is not None and blocks is None and not str(text).strip():
            return _error("no_text")
        if blocks is not None and not isinstance(blocks, list):
            return _error("invalid_blocks")
        with self._lock:
            channel_id = self._resolve_channel(str(params.get("channel") or ""))
            if channel_id is None:
                return _error("channel_not_found")
            message = self._find(channel_id, str(params.get("ts") or ""))
            if message is None:
                return _error("message_not_found")
            # A field left out keeps its value (Slack: an empty ``blocks`` list removes them).
            if text is not None:
                message.text = str(text)
            if blocks is not None:
                message.blocks = blocks or None
            message.edits += 1
            shown = message.as_dict(self.team_id)
        return _ok(channel=channel_id, ts=message.ts, text=message.text, message=shown)

    def _chat_postEphemeral(self, params: dict[str, Any]) -> HttpResponse:
        text, blocks = str(params.get("text") or ""), params.get("blocks")
        if problem := _content_problem(text, blocks, params.get("attachments")):
            return _error(problem)
        user = str(params.get("user") or "")
        with self._lock:
            channel_id = self._resolve_channel(str(params.get("channel") or ""))
            if channel_id is None:
                return _error("channel_not_found")
            if user not in self._users:
                return _error("user_not_found")
        thread_ts = str(params["thread_ts"]) if params.get("thread_ts") else None
        ephemeral = Ephemeral(channel_id, user, text, blocks, self._next_ts(), thread_ts)
        with self._lock:
            self._ephemerals.append(ephemeral)
            del self._ephemerals[: max(0, len(self._ephemerals) - self.max_records)]
        return _ok(message_ts=ephemeral.message_ts)

    def _users_lookupByEmail(self, params: dict[str, Any]) -> HttpResponse:
        email = str(params.get("email") or "").strip().lower()
        with self._lock:
            user = next((u for u in self._users.values() if u.email.lower() == email), None)
        if user is None:
            return _error("users_not_found")
        return _ok(user=user.as_dict())

    def _views_open(self, params: dict[str, Any]) -> HttpResponse:
        # A modal opened for whoever pressed: Slack needs the press's trigger_id and a modal view.
        view = params.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not params.get("trigger_id"):
            return _error("invalid_arguments")
        if not isinstance(view, dict) or view.get("type") != "modal":
            return _error("invalid_arguments")
        with self._lock:
            self.views_opened.append({"trigger_id": str(params["trigger_id"]), "view": view})
        return _ok(view={**view, "id": self._new_id("V")})

    def _users_info(self, params: dict[str, Any]) -> HttpResponse:
        # What pagerline asks of whoever pressed a button: their profile's email (scope users:read.email).
        with self._lock:
            user = self._users.get(str(params.get("user") or ""))
        return _ok(user=user.as_dict()) if user is not None else _error("user_not_found")

    def _conversations_create(self, params: dict[str, Any]) -> HttpResponse:
        name = str(params.get("name") or "")
        if not name:
            return _error("invalid_name_required")
        if len(name) > 80:
            return _error("invalid_name_maxlength")
        if not CHANNEL_NAME.match(name):
            return _error("invalid_name_specials")
        if self.channel_named(name) is not None:
            return _error("name_taken")
        channel_id = self.add_channel(name, is_private=_truthy(params.get("is_private")))
        return _ok(channel=self.channel(channel_id).as_dict())

    def _conversations_invite(self, params: dict[str, Any]) -> HttpResponse:
        users = [u.strip() for u in str(params.get("users") or "").split(",") if u.strip()]
        if not users:
            return _error("no_user")
        with self._lock:
            channel = self._channels.get(str(params.get("channel") or ""))
            if channel is None or channel.is_im:
                return _error("channel_not_found")
            if self.bot_user_id in users:
                return _error("cant_invite_self")
            if any(u not in self._users for u in users):
                return _error("user_not_found")
            new = [u for u in users if u not in channel.members]
            if not new:
                return _error("already_in_channel")
            channel.members.extend(new)
            shown = channel.as_dict()
        return _ok(channel=shown)

    def _apps_connections_open(self, params: dict[str, Any]) -> HttpResponse:
        return _ok(url=self._socket.new_url())


# --------------------------------------------------------------------------- Socket Mode


class _SocketMode:
    """The fake's Socket Mode WebSocket server (``websockets``), on the fake's loop: tickets from
    ``apps.connections.open``, ``hello`` on connect, envelopes out, acks recorded by envelope ID."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.port = 0
        self.server: Any = None
        self.connections: list[Any] = []  # oldest first; envelopes go to the newest
        self.tickets: set[str] = set()
        self.acks: dict[str, dict[str, Any]] = {}
        self.sent: list[dict[str, Any]] = []

    async def serve(self) -> int:
        from websockets.asyncio.server import serve

        self.server = await serve(self._connection, "127.0.0.1", 0)
        return int(next(iter(self.server.sockets)).getsockname()[1])

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    def forget(self) -> None:
        self.acks.clear()
        self.sent.clear()

    def new_url(self) -> str:
        ticket = str(uuid.uuid4())
        self.tickets.add(ticket)
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={DEFAULT_APP_ID}"

    def envelope(self, type: str, payload: dict[str, Any], accepts_response_payload: bool | None) -> dict[str, Any]:
        # Interactions and slash commands may be answered through the ack; events may not.
        accepts = type != "events_api" if accepts_response_payload is None else accepts_response_payload
        envelope: dict[str, Any] = {"envelope_id": str(uuid.uuid4()), "type": type, "payload": payload,
                                    "accepts_response_payload": accepts}
        if type == "events_api":
            envelope |= {"retry_attempt": 0, "retry_reason": ""}
        return envelope

    async def send(self, message: dict[str, Any]) -> None:
        assert self.connections, "no Socket Mode connection"
        self.sent.append(message)
        await self.connections[-1].send(json.dumps(message))

    async def _connection(self, connection: Any) -> None:
        ticket = parse_qs(urlsplit(connection.request.path).query).get("ticket", [""])[0]
        if ticket not in self.tickets:
            await connection.close(1008, "invalid ticket")
            return
        self.tickets.discard(ticket)  # one connection per ticket, as Slack's URLs are
        self.connections.append(connection)
        try:
            await connection.send(json.dumps(self._hello()))
            async for raw in connection:
                self._received(raw)
        except Exception:  # a client going away mid-read is normal
            pass
        finally:
            self.connections.remove(connection)

    def _hello(self) -> dict[str, Any]:
        return {
            "type": "hello", "num_connections": len(self.connections),
            "connection_info": {"app_id": DEFAULT_APP_ID},
            "debug_info": {"host": "fake-slack", "build_number": 1, "approximate_connection_time": 18060},
        }

    def _received(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if isinstance(message, dict) and message.get("envelope_id"):
            self.acks[str(message["envelope_id"])] = message


# --------------------------------------------------------------------------- answers


def _ok(**fields: Any) -> HttpResponse:
    return HttpResponse(200, {"ok": True, **fields})


def _error(code: str) -> HttpResponse:
    return HttpResponse(200, {"ok": False, "error": code})


def _truthy(value: Any) -> bool:
    """A boolean parameter as Slack reads it (slack_sdk sends ``1``/``0`` in forms)."""
    return str(value).strip().lower() in ("1", "true", "yes")


def _content_problem(text: str, blocks: Any, attachments: Any) -> str | None:
    if blocks is not None and not isinstance(blocks, list):
        return "invalid_blocks"
    if not text.strip() and not blocks and not attachments:
        return "no_text"
    if len(text) > 40_000:
        return "msg_too_long"
    return None


# --------------------------------------------------------------------------- what Slack sends


def slack_signature(signing_secret: str, timestamp: str | int, body: bytes) -> str:
    """Slack's request signature: ``v0=`` + hex HMAC-SHA256 of ``v0:<timestamp>:<body>``."""
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def signed_body(signing_secret: str, body: bytes, content_type: str,
                timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    """``body`` with the headers Slack sends along (``timestamp`` default: now)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return body, {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": slack_signature(signing_secret, stamp, body),
    }


def signed_form(signing_secret: str, fields: dict[str, str], timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    """A form body (slash commands, ``payload=`` interactions) signed as Slack signs it."""
    return signed_body(signing_secret, urlencode(fields).encode(), "application/x-www-form-urlencoded", timestamp)


def signed_json(signing_secret: str, body: dict[str, Any], timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    """A JSON body (Events API) signed as Slack signs it."""
    return signed_body(signing_secret, json.dumps(body).encode(), "application/json", timestamp)


def interaction_fields(payload: dict[str, Any]) -> dict[str, str]:
    """The form Slack posts an interaction as: one field, ``payload``, holding the JSON."""
    return {"payload": json.dumps(payload)}


def _trigger_id() -> str:
    return f"{secrets.randbelow(10**13)}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"


def _action_ts() -> str:
    return f"{time.time():.6f}"


def _team(team_id: str) -> dict[str, str]:
    return {"id": team_id, "domain": DEFAULT_TEAM_DOMAIN}


def _user(user_id: str, user_name: str, team_id: str) -> dict[str, str]:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id}


def _message(message_ts: str, message: dict[str, Any] | None, team_id: str) -> dict[str, Any]:
    return message if message is not None else {
        "type": "message", "user": "U0PAGERBOT", "bot_id": "B0PAGERBOT", "text": "", "ts": message_ts, "team": team_id,
    }


def block_action(
    user_id: str, user_name: str, channel_id: str, message_ts: str, action_id: str, value: str, response_url: str,
    team_id: str = DEFAULT_TEAM_ID, *, channel_name: str = "alerts", block_id: str = "actions",
    button_text: str = "Acknowledge", message: dict[str, Any] | None = None, is_ephemeral: bool = False,
) -> dict[str, Any]:
    """The ``block_actions`` payload Slack sends when ``user_id`` presses the button
    ``action_id``/``value`` on the message ``message_ts`` (``message``: e.g.
    ``SlackMessage.as_dict()``, default a bare bot message)."""
    return {
        "type": "block_actions",
        "user": _user(user_id, user_name, team_id),
        "api_app_id": DEFAULT_APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel_id, "is_ephemeral": is_ephemeral},
        "trigger_id": _trigger_id(),
        "team": _team(team_id),
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_name},
        "message": _message(message_ts, message, team_id),
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [{
            "action_id": action_id, "block_id": block_id,
            "text": {"type": "plain_text", "text": button_text, "emoji": True},
            "value": value, "type": "button", "action_ts": _action_ts(),
        }],
    }


def message_shortcut(
    callback_id: str, user_id: str, user_name: str, channel_id: str, message_ts: str, response_url: str,
    team_id: str = DEFAULT_TEAM_ID, *, channel_name: str = "alerts", message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``message_action`` payload Slack sends when ``user_id`` picks the message shortcut
    ``callback_id`` on the message ``message_ts``."""
    return {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": _action_ts(),
        "team": _team(team_id),
        "user": _user(user_id, user_name, team_id),
        "channel": {"id": channel_id, "name": channel_name},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": _trigger_id(),
        "message_ts": message_ts,
        "message": _message(message_ts, message, team_id),
        "response_url": response_url,
    }


def slash_command(
    command: str, text: str, user_id: str, user_name: str, channel_id: str, response_url: str,
    team_id: str = DEFAULT_TEAM_ID, *, channel_name: str = "alerts",
) -> dict[str, str]:
    """The form fields Slack posts for ``/command text`` typed by ``user_id`` in ``channel_id``."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": DEFAULT_TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": DEFAULT_APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": _trigger_id(),
    }


def view_submission(user_id: str, user_name: str, view: dict[str, Any], values: dict[str, dict[str, str | Selected]],
                    team_id: str = DEFAULT_TEAM_ID) -> dict[str, Any]:
    """What Slack sends when someone submits a modal ``view`` (as views.open got it):
    ``values`` is {block_id: {action_id: the text typed, or Selected(option value)}}, shaped as
    Slack's ``view.state`` (a select's answer is its ``selected_option``)."""
    state = {block: {action: _state_of(answer) for action, answer in fields.items()} for block, fields in values.items()}
    return {
        "type": "view_submission",
        "team": _team(team_id),
        "user": _user(user_id, user_name, team_id),
        "api_app_id": "A0PAGERLN",
        "token": "verification-token-unused",
        "trigger_id": _trigger_id(),
        "view": {
            **view,
            "id": "V0000001",
            "team_id": team_id,
            "state": {"values": state},
            "hash": f"{int(time.time())}.abcdef",
            "previous_view_id": None,
            "root_view_id": "V0000001",
            "app_id": "A0PAGERLN",
            "bot_id": "B0PAGERBOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
    }


@dataclass(frozen=True)
class Selected:
    """The option picked in a ``static_select``."""

    value: str


def _state_of(answer: str | Selected) -> dict[str, Any]:
    if isinstance(answer, Selected):
        return {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": answer.value}, "value": answer.value}}
    return {"type": "plain_text_input", "value": answer}


def message_event(user_id: str, channel_id: str, text: str, *, thread_ts: str | None = None, bot_id: str | None = None,
                  team_id: str = DEFAULT_TEAM_ID, event_id: str | None = None) -> dict[str, Any]:
    """The Events API request Slack sends when someone writes in a channel the app hears
    (``message.channels``): an ``event_callback`` around a ``message`` event. ``thread_ts``
    makes it a reply in that message's thread; ``bot_id`` makes it an app's message. A retry of
    the same event carries the same ``event_id`` (and the message its ``ts``)."""
    ts = f"{time.time():.6f}"
    message: dict[str, Any] = {"type": "message", "channel": channel_id, "user": user_id, "text": text, "ts": ts, "event_ts": ts,
                               "channel_type": "channel", "team": team_id, "client_msg_id": str(uuid.uuid4())}
    if thread_ts:
        message["thread_ts"] = thread_ts
        message["parent_user_id"] = "U0PAGERBOT"
    if bot_id:
        message["bot_id"] = bot_id
    return {
        "token": "verification-token-unused",
        "team_id": team_id,
        "api_app_id": "A0PAGERLN",
        "event": message,
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team_id, "user_id": "U0PAGERBOT", "is_bot": True}],
        "is_ext_shared_channel": False,
        "event_context": "4-" + uuid.uuid4().hex,
    }
