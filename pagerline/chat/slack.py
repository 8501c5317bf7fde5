"""The Slack Web API, through the official ``slack_sdk``, as the chat engine needs it.

Failures are sorted for the engine: a 429 is :class:`ChatRateLimited` with Slack's
``Retry-After``; a 5xx or a network error may pass (retryable); any ``ok: false`` answer
(``channel_not_found``, ``not_in_channel``, ``invalid_auth``…) will not get better by itself.
"""

from __future__ import annotations

import secrets
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from pagerline.engine.chat.card import AlertCard
from pagerline.engine.chat.client import ChatFailed, ChatRateLimited
from pagerline.engine.chat.slack_message import alert_message

TIMEOUT_SECONDS = 10
DEFAULT_RETRY_AFTER = 30.0  # a 429 without Retry-After (Slack always sends one)


class SlackClient:
    def __init__(self, bot_token: str, api_url: str) -> None:
        base = api_url if api_url.endswith("/") else api_url + "/"
        # slack_sdk's own retry handlers stay off: the engine postpones a rate-limited post
        # rather than sleep in a worker.
        self._web = AsyncWebClient(token=bot_token, base_url=base, timeout=TIMEOUT_SECONDS, retry_handlers=[])

    async def post(self, target: str, card: AlertCard) -> str:
        message = alert_message(card)
        answer = await self._call("chat_postMessage", channel=target, text=message.text, blocks=message.blocks, unfurl_links=False)
        return str(answer["ts"])

    async def update(self, target: str, ref: str, card: AlertCard) -> str:
        message = alert_message(card)
        await self._call("chat_update", channel=target, ts=ref, text=message.text, blocks=message.blocks)
        return ref  # edited in place

    async def reply(self, target: str, ref: str, text: str) -> None:
        await self._call("chat_postMessage", channel=target, thread_ts=ref, text=text)

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        """Open a modal for whoever pressed (``trigger_id`` is good for 3 seconds)."""
        await self._call("views_open", trigger_id=trigger_id, view=view)

    async def ephemeral(self, target: str, user_id: str, text: str) -> None:
        """A message in ``target`` that only ``user_id`` sees."""
        await self._call("chat_postEphemeral", channel=target, user=user_id, text=text)

    async def email_of(self, user_id: str) -> str | None:
        try:
            answer = await self._call("users_info", user=user_id)
        except ChatFailed as failed:
            if not failed.retryable:
                return None  # user_not_found and the like: nobody pagerline knows
            raise
        email = ((answer.get("user") or {}).get("profile") or {}).get("email")
        return email if isinstance(email, str) else None

    async def user_id_of(self, email: str) -> str | None:
        """The Slack user whose profile shows ``email`` (``users.lookupByEmail``)."""
        try:
            answer = await self._call("users_lookupByEmail", email=email)
        except ChatFailed as failed:
            if not failed.retryable:
                return None
            raise
        user_id = (answer.get("user") or {}).get("id")
        return user_id if isinstance(user_id, str) else None

    async def create_channel(self, name: str) -> str:
        # Slack refuses a name in use (name_taken): a second attempt adds a short suffix.
        for candidate in (name, f"{name[:72]}-{secrets.token_hex(3)}"):
            try:
                answer = await self._call("conversations_create", name=candidate, is_private=False)
            except ChatFailed as failed:
                if "name_taken" in str(failed) and candidate == name:
                    continue
                raise
            return str(answer["channel"]["id"])
        raise ChatFailed("Slack conversations.create: name_taken", retryable=False)

    async def invite(self, target: str, user_ids: list[str]) -> None:
        try:
            await self._call("conversations_invite", channel=target, users=",".join(user_ids))
        except ChatFailed as failed:
            if "already_in_channel" not in str(failed):
                raise

    async def _call(self, method: str, **params: Any) -> Any:
        try:
            return await getattr(self._web, method)(**params)
        except SlackApiError as error:
            status = error.response.status_code
            if status == 429:
                raise ChatRateLimited(_retry_after(error.response.headers)) from error
            code = error.response.get("error") if isinstance(error.response.data, dict) else None
            raise ChatFailed(f"Slack {method.replace('_', '.', 1)}: {code or f'HTTP {status}'}", retryable=status >= 500) from error
        except (SlackRequestError, aiohttp.ClientError, OSError, TimeoutError) as error:
            raise ChatFailed(f"Slack {method.replace('_', '.', 1)}: {error!r}", retryable=True) from error


def _retry_after(headers: Any) -> float:
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            try:
                return max(1.0, float(value[0] if isinstance(value, list) else value))
            except (TypeError, ValueError):
                break
    return DEFAULT_RETRY_AFTER
