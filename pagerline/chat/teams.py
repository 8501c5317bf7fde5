"""Microsoft Teams through a Workflows webhook: no Azure bot registration, no app in the tenant.

Each Teams chat channel's ``target`` is the URL of a Workflows flow "Post to a channel when a
webhook request is received"; the URL itself is the credential, so this client needs no setting
of its own. The flow answers 202 and never says which message it posted, so a card cannot be
edited: :meth:`TeamsClient.update` posts the card again showing the alert's new state, under a
fresh reference. The reference also carries the fingerprint of what the card showed
(``<uuid>.<fingerprint>``), so a change the card does not show (a comment) posts nothing.

Nor can a webhook thread: :meth:`TeamsClient.reply` posts nothing. The state changes a thread
would carry are in the card posted again; the whole timeline is on the alert's page, one click
away ("Open"). Posting every comment and page as a message of its own would bury the channel.

Failures are sorted for the engine: a 429 is :class:`ChatRateLimited` with ``Retry-After``; a
5xx or a network error may pass (retryable); any other 4xx (a flow deleted or turned off: 404,
a payload refused: 400) will not get better by itself.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from pagerline.engine.chat.card import AlertCard
from pagerline.engine.chat.client import ChatFailed, ChatRateLimited
from pagerline.engine.chat.links import sign_link
from pagerline.engine.chat.teams_card import adaptive_card, fingerprint, webhook_message

TIMEOUT_SECONDS = 10
DEFAULT_RETRY_AFTER = 30.0  # a 429 without Retry-After
_NOT_A_CHANNEL = "a Teams Workflows webhook cannot {}: only Slack channels can"


class _HideWebhookSignatures(logging.Filter):
    """httpx logs each request's URL at INFO; a Workflows URL's query is its signature (``sig=``):
    whoever reads the log could post to the channel. The query is left out of the log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) and b"sig=" in a.query for a in record.args):
            record.args = tuple(f"{a.copy_with(query=None)}?…" if isinstance(a, httpx.URL) and b"sig=" in a.query else a for a in record.args)
        return True


logging.getLogger("httpx").addFilter(_HideWebhookSignatures())


class TeamsClient:
    """``signing_key``: asked for when a card is drawn, not at start-up (a process that never
    posts to Teams needs no key for it); ``base_url``: pagerline's public URL, for the links."""

    def __init__(self, signing_key: Callable[[], bytes], base_url: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self._key = signing_key
        self._base_url = base_url
        self._http = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def post(self, target: str, card: AlertCard) -> str:
        now = datetime.now(UTC)
        key = self._key()
        content = adaptive_card(card, lambda action: sign_link(key, self._base_url, card.alert_id, action, now))
        await self._send(target, webhook_message(content))
        return f"{uuid.uuid4().hex}.{fingerprint(card)}"

    async def update(self, target: str, ref: str, card: AlertCard) -> str:
        if ref.rpartition(".")[2] == fingerprint(card):
            return ref  # the card posted last already shows this
        return await self.post(target, card)

    async def reply(self, target: str, ref: str, text: str) -> None:
        """Nothing: a webhook has no threads (see the module's docstring)."""

    async def email_of(self, user_id: str) -> str | None:
        return None  # a webhook knows nobody: presses arrive as signed links, not as people

    async def user_id_of(self, email: str) -> str | None:
        return None

    async def create_channel(self, name: str) -> str:
        raise ChatFailed(_NOT_A_CHANNEL.format("create channels"), retryable=False)

    async def invite(self, target: str, user_ids: list[str]) -> None:
        raise ChatFailed(_NOT_A_CHANNEL.format("invite people"), retryable=False)

    async def close(self) -> None:
        await self._http.aclose()

    async def _send(self, target: str, payload: dict[str, Any]) -> None:
        host = urlsplit(target).hostname or "?"
        try:
            answer = await self._http.post(target, json=payload)
        except httpx.InvalidURL as error:
            raise ChatFailed(f"Teams webhook at {host}: not a URL", retryable=False) from error
        except httpx.HTTPError as error:
            # The URL is a secret: only its host goes into errors, which admins see.
            raise ChatFailed(f"Teams webhook at {host}: {type(error).__name__}", retryable=True) from error
        if answer.status_code == 429:
            raise ChatRateLimited(_retry_after(answer.headers.get("retry-after")))
        if answer.status_code >= 500:
            raise ChatFailed(f"Teams webhook at {host}: HTTP {answer.status_code}", retryable=True)
        if not answer.is_success:
            raise ChatFailed(f"Teams webhook at {host}: HTTP {answer.status_code} {answer.text[:200]}".rstrip(), retryable=False)


def _retry_after(value: str | None) -> float:
    try:
        return max(1.0, float(value)) if value is not None else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER
