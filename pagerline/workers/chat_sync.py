"""The chat sync loop: a task of its own in each process that sweeps, beside the sweeper.

Chat never shares a task, a lane or a queue with pages: a chat platform that hangs or answers
429 for minutes delays its own messages and nothing else. Each round plans new posts and
brings due ones up to date (:func:`pagerline.engine.chat.posts.sync_due`); rows are claimed,
so any number of processes may run it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from pagerline.chat.slack import SlackClient
from pagerline.engine.chat.client import ChatClient
from pagerline.engine.chat.posts import sync_due
from pagerline.models import ChatPlatform
from pagerline.settings import Settings

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 1.0


def chat_clients(settings: Settings) -> dict[ChatPlatform, ChatClient]:
    """A client for each chat platform this installation is set up for."""
    clients: dict[ChatPlatform, ChatClient] = {}
    if settings.slack_bot_token:
        clients[ChatPlatform.SLACK] = SlackClient(settings.slack_bot_token, settings.slack_api_url)
    return clients


class ChatSync:
    def __init__(self, settings: Settings) -> None:
        self._base_url = settings.public_url
        self._clients = chat_clients(settings)
        self._task: asyncio.Task[None] | None = None

    @property
    def configured(self) -> bool:
        return bool(self._clients)

    async def start(self) -> None:
        if self.configured:
            self._task = asyncio.create_task(self._forever(), name="pagerline-chat-sync")

    async def round(self) -> int:
        """One round per platform; one platform failing (its API down) never holds up another."""
        synced = 0
        for platform, client in self._clients.items():
            try:
                synced += await sync_due(datetime.now(UTC), client, platform, self._base_url)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("chat sync for %s failed", platform.value, exc_info=True)
        return synced

    async def _forever(self) -> None:
        while True:
            try:
                await self.round()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away: the next round tries again
                log.warning("chat sync failed", exc_info=True)
            await asyncio.sleep(INTERVAL_SECONDS)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
