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
from pagerline.engine.chat.posts import sync_due
from pagerline.models import ChatPlatform
from pagerline.settings import Settings

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 1.0


class ChatSync:
    def __init__(self, settings: Settings) -> None:
        self._base_url = settings.public_url
        self._slack = SlackClient(settings.slack_bot_token, settings.slack_api_url) if settings.slack_bot_token else None
        self._task: asyncio.Task[None] | None = None

    @property
    def configured(self) -> bool:
        return self._slack is not None

    async def start(self) -> None:
        if self.configured:
            self._task = asyncio.create_task(self._forever(), name="pagerline-chat-sync")

    async def round(self) -> int:
        if self._slack is None:
            return 0
        return await sync_due(datetime.now(UTC), self._slack, ChatPlatform.SLACK, self._base_url)

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
