"""A chat message the platform took just before the database went away is not posted again.

The chat loop posts an alert's message, then stores the message's reference; if the database is
gone in between, the row still says "not posted". The loop keeps the reference with its lease
and stores it on its next round, so that round edits the message instead of posting a second
one. PostgreSQL through a proxy the platform stand-in unplugs at the worst moment: after it
took the message, before the reference is stored.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from urllib.parse import urlsplit

from pagerline.db import close_db, init_db
from pagerline.engine.chat.card import AlertCard
from pagerline.engine.chat.posts import Held, sync_due
from pagerline.engine.sources.events import EventInput
from pagerline.engine.sources.intake import ingest_event
from pagerline.engine.sources.lookup import find_source_by_key
from pagerline.models import ChatChannel, ChatPlatform, ChatPost
from tests.support.seed import seed_org
from tests.support.tcp_proxy import TcpProxy, database_through

CHANNEL = "C0OUTAGE02"
BASE_URL = "https://pagerline.example.com"


class UnpluggingPlatform:
    """A chat platform stand-in that takes a message and then cuts the database off."""

    def __init__(self, proxy: TcpProxy) -> None:
        self.proxy = proxy
        self.posted: list[str] = []
        self.edited: list[str] = []

    async def post(self, target: str, card: AlertCard) -> str:
        self.posted.append(card.headline)
        ref = f"ts-{len(self.posted)}"
        if len(self.posted) == 1:
            self.proxy.stop()  # the platform has the message; its reference is not stored yet
        return ref

    async def update(self, target: str, ref: str, card: AlertCard) -> str:
        self.edited.append(ref)
        return ref

    async def reply(self, target: str, ref: str, text: str) -> None:
        return None

    async def email_of(self, user_id: str) -> str | None:
        return None

    async def user_id_of(self, email: str) -> str | None:
        return None

    async def create_channel(self, name: str) -> str:
        raise AssertionError("no dedicated channels here")

    async def invite(self, target: str, user_ids: list[str]) -> None:
        raise AssertionError("no dedicated channels here")


async def _seed(url: str) -> str:
    await init_db(url)
    try:
        org = await seed_org()
        await ChatChannel.create(platform=ChatPlatform.SLACK, target=CHANNEL, name="#ops", team_id=org.team_id, created_at=datetime.now(UTC))
        source = await find_source_by_key(org.api_key)
        assert source is not None
        await ingest_event(source, EventInput("ALERT", summary="Disk full", alert_key="disk"), datetime.now(UTC))
        return org.api_key
    finally:
        await close_db()


async def _round_after_the_outage(platform: UnpluggingPlatform, held: dict[int, Held]) -> None:
    """Rounds until one gets through (the pool's connections were cut and come back)."""
    for _ in range(50):
        try:
            await sync_due(datetime.now(UTC), platform, ChatPlatform.SLACK, BASE_URL, held)
            return
        except Exception:  # the database is still coming back: the loop would try again
            await asyncio.sleep(0.2)
    raise AssertionError("the database did not come back")


async def test_a_message_taken_just_before_the_database_went_away_is_edited_not_posted_again(pg_database_url: str) -> None:
    await _seed(pg_database_url)
    pg = urlsplit(pg_database_url)
    proxy = TcpProxy(pg.hostname or "127.0.0.1", pg.port or 5432).start()
    platform = UnpluggingPlatform(proxy)
    held: dict[int, Held] = {}
    await init_db(database_through(proxy, pg_database_url))
    try:
        try:
            await sync_due(datetime.now(UTC), platform, ChatPlatform.SLACK, BASE_URL, held)
            raise AssertionError("storing the reference should have failed: the database was cut off")
        except AssertionError:
            raise
        except Exception:
            pass  # as in the chat loop, which logs and tries again
        assert platform.posted == ["#1 Disk full"]
        [lease] = held.values()
        assert lease.message_ref == "ts-1"  # kept for the next round

        proxy.start()
        await _round_after_the_outage(platform, held)
        assert platform.posted == ["#1 Disk full"]  # not posted again
        assert platform.edited == ["ts-1"]  # brought up to date in place
        [row] = await ChatPost.all()
        assert (row.message_ref, row.claimed_until) == ("ts-1", None)
        assert held == {}
    finally:
        await close_db()
        proxy.close()
