"""The HTTP client the ntfy, Pushover, Telegram and Twilio transports share
(:class:`pagerline.push.http.LoopClient`): it never has more requests in flight than its
concurrency, and it keeps its connections: a busy sender reuses the same keep-alive connections
rather than opening new ones as requests end (httpcore's single large pool churned 92 to 155
connections for 64 senders and spent about 10 ms of CPU per request).

Runs the real transports against the fake ntfy server (no mocks)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from pagerline.models import Channel
from pagerline.push.base import Destination, OutgoingMessage, Outcome
from pagerline.push.http import SHARD_CONNECTIONS, LoopClient
from pagerline.push.ntfy import NtfyTransport
from tests.fakes.ntfy import FakeNtfy


@pytest.fixture
def slow_ntfy() -> Iterator[FakeNtfy]:
    with FakeNtfy(delay=0.02) as fake:
        yield fake


def _page(n: int) -> OutgoingMessage:
    return OutgoingMessage(
        notification_id=n, channel=Channel.NTFY, kind="PAGE", title=f"Page {n}", body="", user_id=1, destination=Destination(f"topic-{n % 7}")
    )


@pytest.mark.parametrize("concurrency", [1, 5, SHARD_CONNECTIONS, 20, 64])
async def test_requests_in_flight_never_exceed_the_concurrency_and_connections_are_kept(slow_ntfy: FakeNtfy, concurrency: int) -> None:
    transport = NtfyTransport(base_url=slow_ntfy.url, concurrency=concurrency)
    senders, per_sender = concurrency * 2, 6  # twice as many senders as slots: some always wait
    try:

        async def sender(first: int) -> list[Outcome]:
            return [(await transport.send(_page(first + i))).outcome for i in range(per_sender)]

        outcomes = await asyncio.gather(*(sender(s * per_sender) for s in range(senders)))
    finally:
        await transport.close()
    assert {o for sent in outcomes for o in sent} == {Outcome.DELIVERED}
    assert slow_ntfy.count == senders * per_sender
    assert slow_ntfy.max_in_flight == concurrency
    # Every connection opened once and reused for the next requests: as many as could be busy.
    assert slow_ntfy.connections_made == concurrency


async def test_a_long_poll_client_is_outside_the_slots(slow_ntfy: FakeNtfy) -> None:
    """Telegram's ``getUpdates`` holds a request open for up to a minute; pages must not wait
    behind it. With every slot taken, the side client still gets through."""
    client = LoopClient(2, base_url=slow_ntfy.url, timeout=5)
    try:
        async with client.slot(), client.slot():
            slots_taken = asyncio.create_task(_first_slot(client))
            answer = await asyncio.wait_for(client.side_client().post("/", json={"topic": "long-poll", "message": "m"}), 5)
            assert answer.status_code == 200
            assert not slots_taken.done()  # a third request for a slot waits while two are held
        await asyncio.wait_for(slots_taken, 5)  # and starts once one is given back
    finally:
        await client.aclose()


async def _first_slot(client: LoopClient) -> None:
    async with client.slot():
        pass


def test_a_concurrency_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        LoopClient(0)
