"""The Mattermost REST API (v4), as the chat engine needs it, through a bot account's token.

pagerline posts through the API rather than an incoming webhook because only the API answers
with the new post's id, and the id is what lets the message be edited in place later.

Failures are sorted for the engine: a 429 is :class:`ChatRateLimited` (Mattermost's
``Retry-After``, else ``X-Ratelimit-Reset``); a 5xx or a network error may pass (retryable);
any other 4xx (an unknown channel, a bot not in it, a bad token) will not get better by itself.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from typing import Any
from urllib.parse import quote

import httpx

from pagerline.engine.chat.card import AlertCard
from pagerline.engine.chat.client import ChatFailed, ChatRateLimited
from pagerline.engine.chat.mattermost_message import alert_post

TIMEOUT_SECONDS = 10
DEFAULT_RETRY_AFTER = 30.0  # a 429 that says nothing about how long to wait
MAX_CHANNEL_NAME = 64  # Mattermost's limit for a channel's (URL) name
TAKEN = "store.sql_channel.save_channel.exists.app_error"  # the error id of a name in use


class MattermostClient:
    def __init__(self, server_url: str, bot_token: str, public_url: str, signing_key: bytes) -> None:
        self._base = server_url.rstrip("/") + "/api/v4"
        self._token = bot_token
        self._public_url = public_url  # where the buttons send their presses
        self._key = signing_key
        self._http: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._channel_names: dict[str, str] = {}  # id -> name, for the incident channel's ~link

    async def post(self, target: str, card: AlertCard) -> str:
        answer = await self._call("POST", "/posts", {"channel_id": target, **await self.rendered(card)})
        return str(answer["id"])

    async def update(self, target: str, ref: str, card: AlertCard) -> str:
        await self._call("PUT", f"/posts/{quote(ref, safe='')}/patch", await self.rendered(card))
        return ref  # edited in place

    async def rendered(self, card: AlertCard) -> dict[str, Any]:
        """The post's ``message`` and ``props`` for ``card``: what a post, an edit and a button's
        ``update`` answer all send."""
        message = alert_post(await self._named(card), self._public_url, self._key)
        return {"message": message.text, "props": message.blocks[0]}

    async def reply(self, target: str, ref: str, text: str) -> None:
        await self._call("POST", "/posts", {"channel_id": target, "message": text, "root_id": ref, "props": {"disable_group_highlight": True}})

    async def open_dialog(self, trigger_id: str, dialog: dict[str, Any]) -> None:
        """Open a form for whoever pressed (``trigger_id`` comes with the press and soon expires)."""
        await self._call("POST", "/actions/dialogs/open", {"trigger_id": trigger_id, **dialog})

    async def email_of(self, user_id: str) -> str | None:
        """The user's email; None for no such user, or a server that hides emails from the bot."""
        if not user_id:
            return None
        answer = await self._lookup(f"/users/{quote(user_id, safe='')}")
        email = answer.get("email") if isinstance(answer, dict) else None
        return email if isinstance(email, str) and email else None

    async def user_id_of(self, email: str) -> str | None:
        if not email:
            return None
        answer = await self._lookup(f"/users/email/{quote(email, safe='')}")
        user_id = answer.get("id") if isinstance(answer, dict) else None
        return user_id if isinstance(user_id, str) else None

    async def create_channel(self, name: str) -> str:
        """A public channel in the bot's (first) team: a bot normally belongs to one team."""
        teams = await self._call("GET", "/users/me/teams")
        if not isinstance(teams, list) or not teams:
            raise ChatFailed("Mattermost: the bot account belongs to no team", retryable=False)
        team_id = str(teams[0]["id"])
        base = name[:MAX_CHANNEL_NAME].rstrip("-")
        for candidate in (base, f"{base[:MAX_CHANNEL_NAME - 7].rstrip('-')}-{secrets.token_hex(3)}"):
            try:
                answer = await self._call("POST", "/channels", {"team_id": team_id, "name": candidate, "display_name": candidate, "type": "O"})
            except ChatFailed as failed:
                if TAKEN in str(failed) and candidate == base:
                    continue
                raise
            self._channel_names[str(answer["id"])] = candidate
            return str(answer["id"])
        raise ChatFailed(f"Mattermost POST /channels: {TAKEN}", retryable=False)

    async def invite(self, target: str, user_ids: list[str]) -> None:
        # One by one: adding someone already in the channel is a no-op for Mattermost.
        for user_id in user_ids:
            await self._call("POST", f"/channels/{quote(target, safe='')}/members", {"user_id": user_id})

    async def _named(self, card: AlertCard) -> AlertCard:
        """``card`` with its incident channel's name in place of its id (``~name`` links in a post)."""
        channel_id = card.incident_channel
        if not channel_id:
            return card
        if channel_id not in self._channel_names:
            answer = await self._lookup(f"/channels/{quote(channel_id, safe='')}")
            name = answer.get("name") if isinstance(answer, dict) else None
            if not isinstance(name, str):
                return dataclasses.replace(card, incident_channel=None)
            self._channel_names[channel_id] = name
        return dataclasses.replace(card, incident_channel=self._channel_names[channel_id])

    async def _lookup(self, path: str) -> Any:
        """A GET whose refusal (404 no such thing, 403 not shown to the bot) means "nobody"."""
        try:
            return await self._call("GET", path)
        except ChatFailed as failed:
            if not failed.retryable:
                return None
            raise

    def _client(self) -> httpx.AsyncClient:
        # One connection pool per event loop: a pool made on another loop cannot be used here.
        loop = asyncio.get_running_loop()
        if self._http is None or self._loop is not loop:
            self._http = httpx.AsyncClient(timeout=TIMEOUT_SECONDS, headers={"Authorization": f"Bearer {self._token}"}, follow_redirects=False)
            self._loop = loop
        return self._http

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        what = f"Mattermost {method} /{path.split('/')[1]}"  # never the rest: it may hold an email
        try:
            response = await self._client().request(method, self._base + path, json=body)
        except httpx.HTTPError as error:
            raise ChatFailed(f"{what}: {error!r}", retryable=True) from error
        if response.status_code == 429:
            raise ChatRateLimited(_retry_after(response.headers))
        if response.status_code >= 400:
            raise ChatFailed(f"{what}: HTTP {response.status_code} {_error_id(response)}".rstrip(), retryable=response.status_code >= 500)
        try:
            return response.json()
        except ValueError as error:
            raise ChatFailed(f"{what}: an answer that is not JSON", retryable=True) from error


def _error_id(response: httpx.Response) -> str:
    """Mattermost's error id (``api.context.invalid_param.app_error`` and the like), when it sent one."""
    try:
        body = response.json()
    except ValueError:
        return ""
    error_id = body.get("id") if isinstance(body, dict) else None
    return error_id if isinstance(error_id, str) else ""


def _retry_after(headers: httpx.Headers) -> float:
    for name in ("retry-after", "x-ratelimit-reset"):
        try:
            return max(1.0, float(headers[name]))
        except (KeyError, ValueError):
            continue
    return DEFAULT_RETRY_AFTER
