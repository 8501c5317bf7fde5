"""How the Telegram bot hears from Telegram: its webhook, or long polling where pagerline cannot
be reached from the internet. Started by the worker runtime when a bot token is set.

``PAGERLINE_TELEGRAM_UPDATES`` chooses:

- ``webhook``: at start-up, ``setWebhook`` to ``<PAGERLINE_PUBLIC_URL>/api/telegram/webhook`` with
  the secret Telegram must send back (:func:`pagerline.push.telegram.webhook_secret`), retried
  until Telegram takes it. Updates then arrive at the API servers.
- ``polling``: ``deleteWebhook`` (Telegram refuses ``getUpdates`` while a webhook is set), then
  ``getUpdates`` with ``offset`` and a long ``timeout`` in a loop, each update handled here.
  Telegram serves one long poll per bot at a time (a second one ends the first with 409), so
  with Redis the worker processes take a lease (:class:`PollerLease`) and one of them polls;
  another takes over within a minute when it stops.
- ``auto`` (the default): ``webhook`` when the public URL is ``https://`` (Telegram calls only
  HTTPS webhooks) and ``setWebhook`` succeeds, else ``polling``.

Registering at start-up rather than by a separate command keeps the webhook's URL and secret
in step with the settings on every restart (the secret follows the secret key), and
``setWebhook`` with the same values is harmless when several workers start. Both ways end in
:func:`pagerline.engine.delivery.telegram_updates.answer_update`; handling an update twice
(Telegram resending, a lease taken over mid-batch) acts once, because every act is single-use
or idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from datetime import UTC, datetime
from typing import Any

from pagerline.engine.delivery.telegram_updates import answer_update
from pagerline.push.telegram import TelegramTransport, webhook_secret, webhook_url
from pagerline.settings import Settings

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
POLL_TIMEOUT_SECONDS = 25  # Telegram holds getUpdates open this long when there is nothing
MAX_BACKOFF_SECONDS = 60.0
MAX_TRIES_PER_UPDATE = 5  # an update that fails this often (a bug, not an outage) is skipped
LEASE_KEY = "pagerline:telegram:poller"
LEASE_SECONDS = 60  # well over one long poll: the holder renews it before every poll


class PollerLease:
    """Which worker process polls, with Redis: ``SET NX EX`` takes the lease, a compare-and-renew
    script keeps it. Without Redis there is one worker (embedded in the server) and no lease."""

    _RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) else return 0 end"

    def __init__(self, redis_url: str, key: str = LEASE_KEY, seconds: int = LEASE_SECONDS) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.Redis.from_url(redis_url)
        self.key, self.seconds = key, seconds
        self.holder = secrets.token_hex(8)

    async def hold(self) -> bool:
        """Whether this process holds the lease now (taking it when it is free)."""
        if await self._redis.set(self.key, self.holder, nx=True, ex=self.seconds):
            return True
        return bool(await self._redis.eval(self._RENEW, 1, self.key, self.holder, self.seconds))  # type: ignore[misc]

    async def close(self) -> None:
        with contextlib.suppress(Exception):  # best effort: the lease runs out anyway
            await self._redis.eval(  # type: ignore[misc]
                "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end",
                1, self.key, self.holder,
            )
        await self._redis.aclose()


class TelegramUpdates:
    def __init__(self, settings: Settings, bot: TelegramTransport, *, poll_timeout: int = POLL_TIMEOUT_SECONDS) -> None:
        self.settings = settings
        self.bot = bot
        self.poll_timeout = poll_timeout
        self.mode = ""  # "webhook" or "polling" once chosen
        self._task: asyncio.Task[None] | None = None
        self._tries: dict[int, int] = {}
        self.lease = PollerLease(settings.redis_url) if settings.redis_url else None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="pagerline-telegram-updates")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.lease is not None:
            await self.lease.close()

    def wants_webhook(self) -> bool:
        mode = self.settings.telegram_updates
        return mode == "webhook" or (mode == "auto" and self.settings.public_url.startswith("https://"))

    async def _run(self) -> None:
        try:
            if self.wants_webhook() and await self._set_webhook():
                self.mode = "webhook"
                return
            self.mode = "polling"
            await self._poll_forever()
        except asyncio.CancelledError:
            raise
        except Exception:  # never take the worker down; pages still go out
            log.exception("telegram: updates stopped")

    async def _set_webhook(self) -> bool:
        params = {
            "url": webhook_url(self.settings.public_url),
            "secret_token": webhook_secret(self.settings.signing_key()),
            "allowed_updates": ALLOWED_UPDATES,
        }
        wait = 1.0
        while True:
            answer = await self.bot.call("setWebhook", params)
            if answer.ok:
                log.info("telegram: webhook set to %s", params["url"])
                return True
            if self.settings.telegram_updates == "auto":
                log.warning("telegram: setWebhook failed (%s); using long polling instead", answer.description)
                return False
            log.error("telegram: setWebhook failed (%s); trying again in %.0f s", answer.description, wait)
            await asyncio.sleep(max(wait, answer.retry_after or 0))
            wait = min(wait * 2, MAX_BACKOFF_SECONDS)

    async def _poll_forever(self) -> None:
        deleted = await self.bot.call("deleteWebhook", {})
        if not deleted.ok:
            log.warning("telegram: deleteWebhook failed (%s)", deleted.description)
        offset: int | None = None
        wait = 1.0
        while True:
            if not await self._may_poll():
                await asyncio.sleep(LEASE_SECONDS / 4)
                continue
            params: dict[str, Any] = {"timeout": self.poll_timeout, "allowed_updates": ALLOWED_UPDATES}
            if offset is not None:
                params["offset"] = offset
            answer = await self.bot.call("getUpdates", params, timeout=self.poll_timeout + 10)
            if not answer.ok or not isinstance(answer.result, list):
                # 409: a webhook was set meanwhile, or another process polls with this bot.
                log.warning("telegram: getUpdates failed (%s); again in %.0f s", answer.description, wait)
                await asyncio.sleep(max(wait, answer.retry_after or 0))
                wait = min(wait * 2, MAX_BACKOFF_SECONDS)
                continue
            wait = 1.0
            offset = await self.handle_batch(answer.result, offset)

    async def _may_poll(self) -> bool:
        if self.lease is None:
            return True
        try:
            return await self.lease.hold()
        except Exception:  # Redis down: polling anyway beats hearing nothing (acts are idempotent)
            log.warning("telegram: poller lease unavailable; polling without it", exc_info=True)
            return True

    async def handle_batch(self, updates: list[Any], offset: int | None) -> int | None:
        """Handle updates in order; the next offset. An update that fails (the database is
        down) is asked for again: the offset stays at it, so Telegram keeps it."""
        for update in updates:
            update_id = update.get("update_id") if isinstance(update, dict) else None
            if not isinstance(update_id, int):
                continue
            try:
                await answer_update(update, datetime.now(UTC), self.bot)
            except Exception:
                tries = self._tries[update_id] = self._tries.get(update_id, 0) + 1
                if tries < MAX_TRIES_PER_UPDATE:
                    log.warning("telegram: update %d failed (try %d); asking for it again", update_id, tries, exc_info=True)
                    await asyncio.sleep(min(2.0**tries, MAX_BACKOFF_SECONDS))
                    return update_id
                log.error("telegram: update %d failed %d times; skipped", update_id, tries, exc_info=True)
            self._tries.pop(update_id, None)
            offset = update_id + 1
        return offset


def telegram_updates(settings: Settings, bot: Any) -> TelegramUpdates | None:
    """The updates task for a worker whose transports include a Telegram bot, else None."""
    return TelegramUpdates(settings, bot) if isinstance(bot, TelegramTransport) else None
