"""The chat sync loops: in each process that sweeps, beside the sweeper, a task per platform.

Chat never shares a task, a lane or a queue with pages, nor one platform with another: a chat
platform that hangs or answers 429 for minutes delays its own messages and nothing else. Each round plans new posts and
brings due ones up to date (:func:`pagerline.engine.chat.posts.sync_due`); rows are claimed,
so any number of processes may run it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from pagerline.chat.mattermost import MattermostClient
from pagerline.chat.slack import SlackClient
from pagerline.chat.teams import TeamsClient
from pagerline.engine.chat.client import ChatClient
from pagerline.engine.chat.posts import Held, sync_due
from pagerline.models import ChatPlatform
from pagerline.settings import Settings

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 1.0


def chat_clients(settings: Settings) -> dict[ChatPlatform, ChatClient]:
    """A client for each chat platform this installation is set up for."""
    clients: dict[ChatPlatform, ChatClient] = {}
    if settings.slack_bot_token:
        clients[ChatPlatform.SLACK] = SlackClient(settings.slack_bot_token, settings.slack_api_url)
    if settings.mattermost_url and settings.mattermost_bot_token:
        clients[ChatPlatform.MATTERMOST] = MattermostClient(settings.mattermost_url, settings.mattermost_bot_token, settings.public_url, settings.signing_key())
    # Teams needs no setting: each Teams channel's Workflows webhook URL is its own credential, so
    # adding a channel is all it takes. Its loop costs a query or two a second where none exists.
    clients[ChatPlatform.TEAMS] = TeamsClient(settings.signing_key, settings.public_url)
    return clients


class ChatSync:
    """A loop per configured platform, each a task of its own: a platform whose API hangs (a
    10-s timeout on every call) delays its own messages, never another platform's."""

    def __init__(self, settings: Settings) -> None:
        self._base_url = settings.public_url
        self._clients = chat_clients(settings)
        self._tasks: list[asyncio.Task[None]] = []
        # Each platform's leases still held after a round that failed part-way (see sync_due).
        self._held: dict[ChatPlatform, dict[int, Held]] = {platform: {} for platform in self._clients}

    @property
    def configured(self) -> bool:
        return bool(self._clients)

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._forever(platform, client), name=f"pagerline-chat-{platform.value.lower()}")
            for platform, client in self._clients.items()
        ]

    async def _round(self, platform: ChatPlatform, client: ChatClient) -> int:
        return await sync_due(datetime.now(UTC), client, platform, self._base_url, self._held[platform])

    async def _forever(self, platform: ChatPlatform, client: ChatClient) -> None:
        while True:
            try:
                await self._round(platform, client)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away: the next round tries again
                log.warning("chat sync for %s failed", platform.value, exc_info=True)
            await asyncio.sleep(INTERVAL_SECONDS)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
