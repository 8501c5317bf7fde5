"""A fake Mattermost server's REST API v4, as a bot account sees it: ``/api/v4/...`` with the
bot's access token as ``Authorization: Bearer``, JSON bodies, and Mattermost's answers: the
object itself on success (201 for something made), ``{"id": "<error id>", "message",
"status_code"}`` on failure. A missing or wrong token is 401; a rate limit is 429 with
``Retry-After`` and ``X-Ratelimit-Reset``.

Routes: ``POST /posts`` (a top-level post, or a thread reply with ``root_id``),
``PUT /posts/{id}/patch`` (an edit: ``message`` and ``props`` as given), ``GET /users/{id}``,
``GET /users/email/{email}``, ``GET /users/me/teams``, ``POST /channels``, ``GET /channels/{id}``,
``POST /channels/{id}/members`` and ``POST /actions/dialogs/open`` (kept in
:attr:`FakeMattermost.dialogs_opened`). Posting to a channel the fake does not know is a 403, as
for a bot that is not a member. A dialog Mattermost would find invalid (``OpenDialogRequest.IsValid``:
a title over 24 bytes, a default longer than its element allows, a select's default that is
not one of its options...) is opened all the same, as Mattermost does, which only logs a
warning; the fake keeps the warning in :attr:`FakeMattermost.dialog_warnings` for a test to read.

It keeps what the server would show: channels and their members, people added by the test
(:meth:`FakeMattermost.add_user`), each channel's top-level posts as edits left them, with their
thread replies. :func:`action_request` builds the request Mattermost sends to a button's
integration URL for a stored post (the context is the one stored with the post, the user the
one who pressed); :func:`dialog_submission` what a form sent from an opened dialog posts to its
URL; :func:`slash_command` the form a slash command sends.

Scripted answers win over everything (an outage does not look at tokens): :meth:`FakeMattermost.fail`
answers an HTTP status for a route named like ``"POST /posts"``.

    with FakeMattermost(token="bot-token") as mm:
        alerts = mm.add_channel("ops-alerts")
        alice = mm.add_user("alice@example.com", "alice")
        mm.fail("POST /posts", 429, retry_after=2)
        ...
        [post] = mm.posts(alerts)
        url, body = action_request(post, "accept", alice, "alice")
"""

from __future__ import annotations

import copy
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from tests.fakes import Answer, HttpFake, HttpRequest, HttpResponse

TEAM_NAME = "pagerline-test"
TAKEN = "store.sql_channel.save_channel.exists.app_error"
_ROUTES = (  # (name, method, path pattern): the name is what a test scripts and reads calls by
    ("POST /posts", "POST", re.compile(r"^/api/v4/posts$")),
    ("PUT /posts/patch", "PUT", re.compile(r"^/api/v4/posts/(?P<id>[a-z0-9]+)/patch$")),
    ("GET /users/me/teams", "GET", re.compile(r"^/api/v4/users/me/teams$")),
    ("GET /users/email", "GET", re.compile(r"^/api/v4/users/email/(?P<email>[^/]+)$")),
    ("GET /users", "GET", re.compile(r"^/api/v4/users/(?P<id>[a-z0-9]+)$")),
    ("POST /channels", "POST", re.compile(r"^/api/v4/channels$")),
    ("GET /channels", "GET", re.compile(r"^/api/v4/channels/(?P<id>[a-z0-9]+)$")),
    ("POST /channels/members", "POST", re.compile(r"^/api/v4/channels/(?P<id>[a-z0-9]+)/members$")),
    ("POST /actions/dialogs/open", "POST", re.compile(r"^/api/v4/actions/dialogs/open$")),
)


def new_id() -> str:
    """A Mattermost id: 26 lowercase letters and digits."""
    return secrets.token_hex(13)


@dataclass
class MattermostCall:
    """One API call as the fake got it, and the status it answered."""

    route: str
    params: dict[str, str]
    body: Any
    token: str | None
    status: int | None = None


@dataclass
class MattermostPost:
    id: str
    channel_id: str
    user_id: str
    message: str
    props: dict[str, Any]
    create_at: int  # milliseconds since the epoch, as Mattermost counts
    root_id: str = ""
    edit_at: int = 0
    edits: int = 0
    replies: list[MattermostPost] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "create_at": self.create_at, "update_at": self.edit_at or self.create_at, "edit_at": self.edit_at,
            "delete_at": 0, "user_id": self.user_id, "channel_id": self.channel_id, "root_id": self.root_id,
            "message": self.message, "type": "", "props": self.props,
        }

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [a for attachment in self.props.get("attachments") or [] for a in attachment.get("actions") or []]


@dataclass
class MattermostUser:
    id: str
    email: str
    username: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "username": self.username, "email": self.email, "first_name": "", "last_name": "", "roles": "system_user"}


@dataclass
class MattermostChannel:
    id: str
    team_id: str
    name: str
    display_name: str
    members: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "team_id": self.team_id, "name": self.name, "display_name": self.display_name, "type": "O"}


class FakeMattermost(HttpFake):
    name = "fake-mattermost"

    def __init__(self, *, token: str = "fake-mattermost-bot-token", max_records: int = 10_000) -> None:
        super().__init__(max_records=max_records)
        self.token = token
        self.team_id = new_id()
        self.bot_user_id = new_id()
        self._lock = threading.Lock()
        self._last_ms = 0
        self._users: dict[str, MattermostUser] = {}
        self._channels: dict[str, MattermostChannel] = {}
        self._posts: dict[str, list[MattermostPost]] = {}  # channel id -> top-level posts, oldest first
        self.dialogs_opened: list[dict[str, Any]] = []  # /actions/dialogs/open bodies: trigger_id, url, dialog
        self.dialog_warnings: list[str] = []  # what Mattermost would log of those dialogs ("Interactive dialog is invalid")

    # ------------------------------------------------------------------ the server's contents

    def add_user(self, email: str, username: str = "") -> str:
        """A person the server knows; their user id back."""
        user = MattermostUser(new_id(), email, username or email.split("@")[0])
        with self._lock:
            self._users[user.id] = user
        return user.id

    def add_channel(self, name: str, channel_id: str | None = None) -> str:
        """A channel the bot is a member of; its id back."""
        channel = MattermostChannel(channel_id or new_id(), self.team_id, name, name, [self.bot_user_id])
        with self._lock:
            self._channels[channel.id] = channel
        return channel.id

    def channel(self, channel_id: str) -> MattermostChannel:
        with self._lock:
            return copy.deepcopy(self._channels[channel_id])

    def channel_named(self, name: str) -> MattermostChannel | None:
        with self._lock:
            return copy.deepcopy(next((c for c in self._channels.values() if c.name == name), None))

    def posts(self, channel_id: str) -> list[MattermostPost]:
        """The top-level posts of ``channel_id``, oldest first, as they look now (copies)."""
        with self._lock:
            return copy.deepcopy(self._posts.get(channel_id, []))

    def post(self, channel_id: str, post_id: str) -> MattermostPost:
        found = next((p for p in self.posts(channel_id) if p.id == post_id), None)
        if found is None:
            raise KeyError(f"no post {post_id} in {channel_id}")
        return found

    def calls(self, route: str) -> list[MattermostCall]:
        return [c for c in list(self.received) if c.route == route]

    # ------------------------------------------------------------------ scripts

    def fail(self, route: str, status: int, retry_after: float | None = None, times: int | None = 1) -> None:
        """The next ``times`` calls of ``route`` (``"*"``: any) answer HTTP ``status``; a 429
        says when to come back (``Retry-After`` and ``X-Ratelimit-Reset``, in seconds)."""
        headers: dict[str, str] = {}
        if status == 429:
            wait = f"{retry_after if retry_after is not None else 1:g}"
            headers = {"Retry-After": wait, "X-Ratelimit-Reset": wait, "X-Ratelimit-Remaining": "0"}
        response = HttpResponse(status, _problem("api.fake.scripted.app_error", "scripted failure", status), headers)
        self.script.add(route, Answer(status, response, times=times))

    # ------------------------------------------------------------------ serving

    async def handle(self, request: HttpRequest) -> HttpResponse:
        route, params = next(((name, m.groupdict()) for name, method, pattern in _ROUTES
                              if request.method == method and (m := pattern.match(request.path))), ("", {}))
        if not route:
            return HttpResponse(404, _problem("api.context.404.app_error", "Sorry, we could not find the page.", 404))
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        body = request.json() if request.body else None
        call = MattermostCall(route, params, body, value.strip() if scheme.lower() == "bearer" else None)
        self.received.add(call)
        response = await self._answer(call)
        call.status = response.status
        return response

    async def _answer(self, call: MattermostCall) -> HttpResponse:
        answer = self.script.take(call.route)
        await self.script.wait(answer)
        if answer is not None and isinstance(answer.payload, HttpResponse):
            return answer.payload
        if call.token != self.token:
            return HttpResponse(401, _problem("api.context.session_expired.app_error", "Invalid or expired session, please login again.", 401))
        body = call.body if isinstance(call.body, dict) else {}
        with self._lock:
            return self._routes()[call.route](call.params, body)

    def _routes(self) -> dict[str, Any]:
        return {
            "POST /posts": self._create_post, "PUT /posts/patch": self._patch_post, "GET /users/me/teams": self._my_teams,
            "GET /users/email": self._user_by_email, "GET /users": self._user, "POST /channels": self._create_channel,
            "GET /channels": self._get_channel, "POST /channels/members": self._add_member,
            "POST /actions/dialogs/open": self._open_dialog,
        }

    def _now_ms(self) -> int:
        self._last_ms = max(int(time.time() * 1000), self._last_ms + 1)
        return self._last_ms

    def _create_post(self, params: dict[str, str], body: dict[str, Any]) -> HttpResponse:
        channel_id, root_id = str(body.get("channel_id") or ""), str(body.get("root_id") or "")
        if channel_id not in self._channels or self.bot_user_id not in self._channels[channel_id].members:
            return HttpResponse(403, _problem("api.context.permissions.app_error", "You do not have the appropriate permissions.", 403))
        message, props = body.get("message"), body.get("props") or {}
        if not isinstance(message, str) or not isinstance(props, dict) or (not message and not props.get("attachments")):
            return HttpResponse(400, _problem("api.context.invalid_body_param.app_error", "Invalid or missing post in request body.", 400))
        post = MattermostPost(new_id(), channel_id, self.bot_user_id, message, props, self._now_ms(), root_id)
        if root_id:
            parent = next((p for p in self._posts.get(channel_id, []) if p.id == root_id), None)
            if parent is None:
                return HttpResponse(400, _problem("api.post.create_post.root_id.app_error", "Invalid RootId parameter.", 400))
            parent.replies.append(post)
        else:
            self._posts.setdefault(channel_id, []).append(post)
        return HttpResponse(201, post.as_dict())

    def _patch_post(self, params: dict[str, str], body: dict[str, Any]) -> HttpResponse:
        post = next((p for posts in self._posts.values() for p in posts if p.id == params["id"]), None)
        if post is None:
            return HttpResponse(404, _problem("app.post.get.app_error", "Unable to get the post.", 404))
        if isinstance(body.get("message"), str):
            post.message = body["message"]
        if isinstance(body.get("props"), dict):
            post.props = body["props"]  # a patch's props replace the post's props
        post.edit_at, post.edits = self._now_ms(), post.edits + 1
        return HttpResponse(200, post.as_dict())

    def _my_teams(self, params: dict[str, str], body: dict[str, Any]) -> HttpResponse:
        return HttpResponse(200, [{"id": self.team_id, "name": TEAM_NAME, "display_name": "pagerline test", "type": "O"}])

    def _user(self, params: dict[str, str], body: dict[str, Any]) -> HttpResponse:
        user = self._users.get(params["id"])
        if user is None:
            return HttpResponse(404, _problem("app.user.missing_account.const", "Unable to find the user.", 404))
        return HttpResponse(200, user.as_dict())

    def _user_by_email(self, params: dict[str, str], body: dict[str, Any]) -> HttpResponse:
        email = unquote(params["email"]).lower()
        user = next((u for u in self._users.values() if u.email.lower() == email), None)
        if user is None:
            return HttpResponse(404, _problem("app.user.missing_account.const", "Unable to find the user.", 404))
        return HttpResponse(200, user.as_dict())

    def _create_channel(self, params: dict[str, str], body: dict[str, Any]) -> HttpResponse:
        name = str(body.get("name") or "")
        if body.get("team_id") != self.team_id or not re.fullmatch(r"[a-z0-9][a-z0-9_-]{1,63}", name):
            return HttpResponse(400, _problem("model.channel.is_valid.name.app_error", "Invalid channel name.", 400))
        if any(c.name == name for c in self._channels.values()):
            return HttpResponse(400, _problem(TAKEN, "A channel with that name already exists on the same team.", 400))
        channel = MattermostChannel(new_id(), self.team_id, name, str(body.get("display_name") or name), [self.bot_user_id])
        self._channels[channel.id] = channel
        return HttpResponse(201, channel.as_dict())

    def _get_channel(self, params: dict[str, str], body: dict[str, Any]) -> HttpResponse:
        channel = self._channels.get(params["id"])
        if channel is None:
            return HttpResponse(404, _problem("app.channel.get.existing.app_error", "Unable to find the existing channel.", 404))
        return HttpResponse(200, channel.as_dict())

    def _add_member(self, params: dict[str, str], body: dict[str, Any]) -> HttpResponse:
        channel, user_id = self._channels.get(params["id"]), str(body.get("user_id") or "")
        if channel is None or user_id not in self._users:
            return HttpResponse(404, _problem("app.channel.get.existing.app_error", "Unable to find the channel or user.", 404))
        if user_id not in channel.members:
            channel.members.append(user_id)
        return HttpResponse(201, {"channel_id": channel.id, "user_id": user_id, "roles": "channel_user"})


    def _open_dialog(self, params: dict[str, str], body: dict[str, Any]) -> HttpResponse:
        dialog = body.get("dialog")
        if not body.get("trigger_id") or not body.get("url") or not isinstance(dialog, dict) or not dialog.get("elements"):
            return HttpResponse(400, _problem("interactive_message.decode_trigger_id.missing_data", "Trigger ID or dialog missing.", 400))
        self.dialogs_opened.append(copy.deepcopy(body))
        self.dialog_warnings.extend(dialog_problems(dialog))
        return HttpResponse(200, {"status": "OK"})


# Mattermost's limits for a dialog (model/integration_action.go), counted in bytes as Go's len() does.
_DIALOG_TITLE_MAX, _DISPLAY_NAME_MAX, _NAME_MAX, _HELP_TEXT_MAX = 24, 24, 300, 150
_DEFAULT_MAX = {"text": 150, "textarea": 3000, "select": 3000}


def dialog_problems(dialog: dict[str, Any]) -> list[str]:
    """What Mattermost's ``Dialog.IsValid`` says of ``dialog`` (the checks of the element types
    pagerline uses: text, textarea, select)."""
    problems = [] if 0 < _bytes(dialog.get("title")) <= _DIALOG_TITLE_MAX else [f"invalid dialog title {dialog.get('title')!r}"]
    names = [str(e.get("name") or "") for e in dialog.get("elements") or []]
    problems += [f"duplicate dialog element {n!r}" for n in sorted({n for n in names if names.count(n) > 1})]
    for element in dialog.get("elements") or []:
        problems += [f"{element.get('name')!r} field is not valid: {why}" for why in _element_problems(element)]
    return problems


def _element_problems(element: dict[str, Any]) -> list[str]:
    kind, default = element.get("type"), str(element.get("default") or "")
    problems = [f"{field} cannot be empty or longer than {limit} characters" for field, limit in
                (("display_name", _DISPLAY_NAME_MAX), ("name", _NAME_MAX)) if not 0 < _bytes(element.get(field)) <= limit]
    if _bytes(element.get("help_text")) > _HELP_TEXT_MAX:
        problems.append(f"help_text cannot be longer than {_HELP_TEXT_MAX} characters")
    if int(element.get("min_length") or 0) > int(element.get("max_length") or 0):
        problems.append("min length should be less then max length")
    if kind not in _DEFAULT_MAX:
        return problems + [f"invalid element type: {kind!r}"]
    if _bytes(default) > _DEFAULT_MAX[kind]:
        problems.append(f"Default cannot be longer than {_DEFAULT_MAX[kind]} characters, got {_bytes(default)}")
    options = element.get("options") or []
    if kind == "select" and not element.get("data_source") and default and default not in [o.get("value") for o in options]:
        problems.append(f"default value {default!r} doesn't exist in options")
    return problems


def _bytes(text: Any) -> int:
    return len(text.encode()) if isinstance(text, str) else 0


def _problem(error_id: str, message: str, status: int) -> dict[str, Any]:
    return {"id": error_id, "message": message, "detailed_error": "", "request_id": new_id(), "status_code": status}


# --------------------------------------------------------------------------- Mattermost calling the app


def action_request(post: MattermostPost, action_id: str, user_id: str, user_name: str, *, team_id: str = "",
                   context: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """The URL and JSON body Mattermost sends when ``user_id`` presses button ``action_id`` of
    ``post``: the context stored with the button, unless ``context`` plays someone forging one."""
    button = next((b for b in post.buttons if b.get("id") == action_id), None)
    if button is None:
        raise KeyError(f"post {post.id} has no button {action_id!r}")
    integration = button["integration"]
    return str(integration["url"]), {
        "user_id": user_id, "user_name": user_name, "channel_id": post.channel_id, "channel_name": "",
        "team_id": team_id or new_id(), "team_domain": TEAM_NAME, "post_id": post.id, "trigger_id": secrets.token_urlsafe(24),
        "type": "", "data_source": "", "context": copy.deepcopy(integration.get("context") if context is None else context),
    }


def dialog_submission(opened: dict[str, Any], user_id: str, submission: dict[str, Any], *, cancelled: bool = False,
                      state: str | None = None) -> tuple[str, dict[str, Any]]:
    """The URL and JSON body Mattermost sends when ``user_id`` sends (or cancels) an opened
    dialog: its own ``state`` unless ``state`` plays someone forging one."""
    dialog = opened["dialog"]
    return str(opened["url"]), {
        "type": "dialog_submission", "callback_id": dialog.get("callback_id", ""), "state": dialog.get("state", "") if state is None else state,
        "user_id": user_id, "channel_id": new_id(), "team_id": new_id(), "submission": {} if cancelled else submission, "cancelled": cancelled,
    }


def slash_command(token: str, text: str, user_id: str, user_name: str, channel_id: str, command: str = "/pagerline") -> dict[str, str]:
    """The form Mattermost posts for ``/pagerline <text>``."""
    return {
        "channel_id": channel_id, "channel_name": "ops-alerts", "command": command, "response_url": "http://127.0.0.1:1/hooks/commands/none",
        "team_domain": TEAM_NAME, "team_id": new_id(), "text": text, "token": token, "trigger_id": secrets.token_urlsafe(24),
        "user_id": user_id, "user_name": user_name,
    }
