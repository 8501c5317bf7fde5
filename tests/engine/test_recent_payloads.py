"""Received payloads for the template preview: at most one per source every few seconds, at most
20 kept per source (pruned as they are inserted), never the integration key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pagerline.engine.sources.recent_payloads import EVERY, KEEP, note_payload, recent_payloads
from pagerline.models import ReceivedPayload
from tests.support.seed import seed_org

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


async def test_one_payload_per_source_every_few_seconds_and_the_newest_twenty_kept(db: str) -> None:
    org = await seed_org()
    source = org.api_source_id
    await note_payload(source, {"n": 0, "integrationKey": "il_secret", "apiKey": "il_secret"}, T0)
    for second in range(1, int(EVERY.total_seconds())):  # a burst: none of these is kept
        await note_payload(source, {"n": second}, T0 + timedelta(seconds=second))
    kept = await recent_payloads(source)
    assert [p.payload for p in kept] == [{"n": 0}]  # and without the key

    for step in range(1, KEEP + 5):
        await note_payload(source, {"n": step * 100}, T0 + step * EVERY)
    assert await ReceivedPayload.filter(source_id=source).count() == KEEP
    newest = await recent_payloads(source, 3)
    assert [p.payload["n"] for p in newest] == [2400, 2300, 2200]
    assert [p.received_at for p in newest] == [T0 + step * EVERY for step in (24, 23, 22)]
    assert len(await recent_payloads(source, 100)) == KEEP

    other = await seed_org(team="Web")  # the throttle is per source
    await note_payload(other.api_source_id, {"web": True}, T0 + 24 * EVERY)
    assert [p.payload for p in await recent_payloads(other.api_source_id)] == [{"web": True}]
