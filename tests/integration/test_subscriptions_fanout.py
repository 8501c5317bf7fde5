"""Subscriptions across processes, and a subscriber that stops reading.

1. Production layout on PostgreSQL and Redis: two ``pagerline serve`` processes and a separate
   ``pagerline worker``. A subscriber connected to server 1 receives an alert accepted through
   server 2's GraphQL, and the escalation the worker makes when the alert's timeout passes
   (time moves by rewinding the alert's stored due time, as in test_pipeline_e2e; the servers
   run no sweeper when Redis is set, so only the worker can escalate).
2. A subscriber that never reads: the server cannot send it anything once the socket buffers
   between them are full, yet another subscriber on the same server keeps receiving every
   event, with the in-process bus and with the Redis bus, also when both are of one group (the
   same user and document, whose events are executed once for both). Afterwards the stuck subscriber reads
   again and gets what was held for it (the bus keeps a bounded queue per subscriber).
3. Redis goes away and comes back while a subscription is open: whatever was published in
   between never reached the server, so the subscription is not left open as if nothing
   happened: the server closes the WebSocket with 1012, and the client's reconnect and refetch
   show what happened during the outage. One that falls too far behind is told the same way.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import websockets

from pagerline.bus import QUEUE_SIZE, RESYNC_EVENT, Fanout
from pagerline.graphql.core.bus_events import RESYNC_CLOSE_CODE
from tests.support.alert_clock import move_clock
from tests.support.databases import TemplateDatabases
from tests.support.graphql import data, ws_url
from tests.support.live import embedded_env, post_alert, seed_database, warm_up
from tests.support.processes import Server, start_server, start_worker, wait_until, wait_until_async
from tests.support.seed import Org
from tests.support.tcp_proxy import TcpProxy, redis_through
from tests.support.ws import Subscriber

PROTOCOL = "graphql-transport-ws"


def events_of(subscriber: Subscriber, alert_id: int) -> list[dict[str, Any]]:
    return [e["alertEvents"] for e in subscriber.received if e["alertEvents"]["alert"]["id"] == str(alert_id)]


def test_a_subscriber_on_one_server_sees_changes_made_through_another_and_by_the_worker(
    pg_database_url: str, redis_url: str, tmp_path: Path
) -> None:
    org = seed_database(pg_database_url, level1_timeout=5, level2_timeout=10)
    env = embedded_env(pg_database_url, tmp_path, PAGERLINE_REDIS_URL=redis_url)
    server1 = start_server(env, tmp_path)
    server2 = start_server(env, tmp_path)
    worker = start_worker(env, tmp_path)
    subscriber = Subscriber(server1.url, org.alice_token, "subscription { alertEvents { kind alert { id status escalationLevel } } }")
    subscriber.start()
    try:
        assert subscriber.ready.wait(10) and subscriber.error is None, subscriber.error
        warm_up(server2.url, org, lambda alert_id: bool(events_of(subscriber, alert_id)))

        accepted = post_alert(server2.url, org, "fanout-accept", "Accepted elsewhere")
        answer = data(server2.url, org.bob_token, "mutation($id: ID!) { acceptAlert(id: $id) { status } }", id=str(accepted))
        assert answer["acceptAlert"]["status"] == "ACCEPTED"
        wait_until(
            lambda: {"kind": "ACCEPTED", "alert": {"id": str(accepted), "status": "ACCEPTED", "escalationLevel": 1}}
            in events_of(subscriber, accepted),
            what="server 2's accept on server 1's subscription",
        )

        escalated = post_alert(server2.url, org, "fanout-escalate", "Nobody answers")
        assert not [e for e in events_of(subscriber, escalated) if e["kind"] == "ESCALATED"]
        move_clock(pg_database_url, escalated, 5)
        wait_until(
            lambda: {"kind": "ESCALATED", "alert": {"id": str(escalated), "status": "PENDING", "escalationLevel": 2}}
            in events_of(subscriber, escalated),
            what="the worker's escalation on server 1's subscription",
        )
    finally:
        subscriber.close()
        for process in (server1, server2, worker):
            process.stop()
    for process in (server1, server2, worker):
        assert "Traceback" not in process.log(), process.log()


# --------------------------------------------------------------------------- slow subscriber

# Four copies of a 64 KB `details` make each event about 256 KB on the wire, so a few dozen
# events are more than the socket buffers between the server and a client can hold.
BIG_DETAILS = "x" * 65_536
HEAVY_FEED = "subscription { alertEvents { kind alert { id d1: details d2: details d3: details d4: details } } }"


def buffered_bytes_limit(stuck: socket.socket) -> int:
    """The most the path to a client that does not read can hold: the server's send buffer
    (TCP autotuning grows it up to tcp_wmem's maximum), the client's receive buffer, what
    asyncio and the websockets library read ahead on each side, and slack."""
    send_max = int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
    receive = stuck.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    return send_max + receive + 2 * 1024 * 1024


@pytest.fixture(params=["in-process bus", pytest.param("redis bus", marks=[pytest.mark.postgres, pytest.mark.redis])])
def bus_server(request: pytest.FixtureRequest, templates: TemplateDatabases, tmp_path: Path) -> Any:
    if request.param == "in-process bus":
        url = templates.sqlite(tmp_path)
        env = embedded_env(url, tmp_path)
    else:
        url = request.getfixturevalue("pg_database_url")
        env = embedded_env(url, tmp_path, PAGERLINE_REDIS_URL=request.getfixturevalue("redis_url"))
    org = seed_database(url)
    server = start_server(env, tmp_path)
    try:
        yield server, org
    finally:
        server.stop()
    assert "Traceback" not in server.log(), server.log()


async def _subscribe(ws: Any, token: str) -> None:
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": token}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": HEAVY_FEED}}))


def _alert_id(message: str | bytes) -> int | None:
    parsed = json.loads(message)
    return int(parsed["payload"]["data"]["alertEvents"]["alert"]["id"]) if parsed["type"] == "next" else None


async def _stuck_and_reading(server: Server, org: Org, reader_token: str) -> None:
    url = ws_url(server.url)
    stuck_socket = socket.socket()
    stuck_socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # small, and no autotuning
    stuck_socket.connect(("127.0.0.1", server.port))
    limit = buffered_bytes_limit(stuck_socket)
    # max_queue=1: the library stops reading the socket as soon as one message waits unread.
    stuck = await websockets.connect(url, sock=stuck_socket, subprotocols=[PROTOCOL], max_queue=1, max_size=None, ping_interval=None)  # type: ignore[list-item]
    reader = await websockets.connect(url, subprotocols=[PROTOCOL], max_size=None, ping_interval=None)  # type: ignore[list-item]
    try:
        await _subscribe(stuck, org.alice_token)
        await _subscribe(reader, reader_token)
        received: dict[int, int] = {}  # alert id -> message size, as the reading subscriber got it

        async def read_all() -> None:
            async for message in reader:
                alert_id = _alert_id(message)
                if alert_id is not None:
                    received[alert_id] = len(message)

        reading = asyncio.create_task(read_all())
        # The stuck subscriber reads until its subscription is live, then never again.
        stuck_live = asyncio.Event()

        async def stuck_reads_one() -> None:
            while _alert_id(await stuck.recv()) is None:
                continue
            stuck_live.set()

        first = asyncio.create_task(stuck_reads_one())
        await asyncio.to_thread(warm_up, server.url, org, lambda alert_id: stuck_live.is_set() and alert_id in received)
        await first

        # Events until the stuck subscriber is owed more than the path to it can hold: from then
        # on the server has messages for it that it cannot send. The reader gets each one all the same.
        fired: list[int] = []
        while sum(received.get(a, 0) for a in fired) <= limit * 5 // 4:
            fired.append(await asyncio.to_thread(post_alert, server.url, org, f"heavy-{len(fired)}", "Heavy", details=BIG_DETAILS))
            await wait_until_async(lambda: fired[-1] in received, what="the reading subscriber to get every event")

        # Reading again, the stuck subscriber gets what the server held for it, up to the last event.
        async def stuck_catches_up() -> None:
            while _alert_id(await stuck.recv()) != fired[-1]:
                continue

        await asyncio.wait_for(stuck_catches_up(), timeout=30)
        reading.cancel()
    finally:
        await stuck.close()
        await reader.close()


def test_a_subscriber_that_never_reads_does_not_hold_up_another(bus_server: tuple[Server, Org]) -> None:
    server, org = bus_server
    asyncio.run(_stuck_and_reading(server, org, org.bob_token))


def test_a_subscriber_that_never_reads_does_not_hold_up_another_of_its_group(bus_server: tuple[Server, Org]) -> None:
    """The same user and document: one group, whose events are executed once for both. The
    one that reads still gets every event as it happens."""
    server, org = bus_server
    asyncio.run(_stuck_and_reading(server, org, org.alice_token))


# --------------------------------------------------------------------------- a gap in the bus

ALERT_FEED = "subscription { alertEvents { kind alert { id summary } } }"
ALERTS_QUERY = "{ alerts(first: 50) { edges { node { id summary } } } }"


class FeedClient:
    """One graphql-transport-ws connection with the alert feed, as an app holds it: what it
    received, and the close code when the server ends the connection."""

    def __init__(self, server: Server, token: str) -> None:
        self.url = ws_url(server.url)
        self.token = token
        self.alert_ids: list[int] = []
        self.close_code: int | None = None
        self._reading: asyncio.Task[None] | None = None

    async def __aenter__(self) -> FeedClient:
        self.ws = await websockets.connect(self.url, subprotocols=[PROTOCOL])  # type: ignore[list-item]
        await self.ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": self.token}}))
        assert json.loads(await self.ws.recv())["type"] == "connection_ack"
        await self.ws.send(json.dumps({"id": "feed", "type": "subscribe", "payload": {"query": ALERT_FEED}}))
        self._reading = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                alert_id = _alert_id(message)
                if alert_id is not None:
                    self.alert_ids.append(alert_id)
        except websockets.ConnectionClosed:
            pass
        self.close_code = self.ws.close_code

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()
        if self._reading is not None:
            await self._reading


async def _feed_across_an_outage(server: Server, org: Org, cut: Callable[[], None], restore: Callable[[], object]) -> None:
    async with FeedClient(server, org.alice_token) as before:
        await asyncio.to_thread(warm_up, server.url, org, lambda alert_id: alert_id in before.alert_ids)

        cut()
        missed = await asyncio.to_thread(post_alert, server.url, org, "during-bus-outage", "Missed by the feed")
        restore()

        # Not left open as if nothing happened: closed with 1012 once the bus is back.
        await wait_until_async(lambda: before.close_code is not None, timeout=15, what="the server to close the feed")
        assert before.close_code == RESYNC_CLOSE_CODE

    # The client reconnects and refetches: the refetch shows what the feed missed, and the new
    # feed is live again.
    async with FeedClient(server, org.alice_token) as after:
        listed = await asyncio.to_thread(data, server.url, org.alice_token, ALERTS_QUERY)
        assert {"id": str(missed), "summary": "Missed by the feed"} in [e["node"] for e in listed["alerts"]["edges"]]
        await asyncio.to_thread(warm_up, server.url, org, lambda alert_id: alert_id in after.alert_ids)
        live = await asyncio.to_thread(post_alert, server.url, org, "after-bus-outage", "Seen live")
        await wait_until_async(lambda: live in after.alert_ids, what="a live event after the outage")
        assert after.close_code is None


@pytest.fixture
def server_behind_a_proxy(pg_database_url: str, redis_url: str, tmp_path: Path) -> Iterator[tuple[Server, Org, TcpProxy]]:
    """A server (no worker) on PostgreSQL whose Redis is reached through a proxy."""
    org = seed_database(pg_database_url)
    upstream = urlsplit(redis_url)
    proxy = TcpProxy(upstream.hostname or "127.0.0.1", upstream.port or 6379).start()
    server = start_server(embedded_env(pg_database_url, tmp_path, PAGERLINE_REDIS_URL=redis_through(proxy, redis_url)), tmp_path)
    try:
        yield server, org, proxy
    finally:
        server.stop()
        proxy.close()
    # (The outage's warnings carry tracebacks; what must not be there is a crash.)
    assert "Exception in ASGI application" not in server.log() and "Exception in worker task" not in server.log(), server.log()


def test_a_subscription_open_across_a_redis_outage_is_closed_with_1012_and_the_refetch_shows_what_it_missed(
    server_behind_a_proxy: tuple[Server, Org, TcpProxy],
) -> None:
    server, org, proxy = server_behind_a_proxy
    asyncio.run(_feed_across_an_outage(server, org, proxy.stop, proxy.start))


def test_a_server_whose_redis_connection_died_without_a_word_notices_closes_the_feed_with_1012_and_listens_again(
    server_behind_a_proxy: tuple[Server, Org, TcpProxy],
) -> None:
    """Redis stops answering, and comes back for new connections only: the server's old one
    stays open and silent for good (a failover, a firewall that forgot it), so only the
    server's own check of its connection can tell that events stopped arriving."""
    server, org, proxy = server_behind_a_proxy
    asyncio.run(_feed_across_an_outage(server, org, proxy.hang, lambda: proxy.start(drop_hung=False)))


def test_a_subscription_that_falls_too_far_behind_is_told_to_refetch_instead_of_losing_events() -> None:
    async def scenario() -> None:
        hub = Fanout()
        behind, keeping_up = hub.add(), hub.add()
        for n in range(QUEUE_SIZE + 1):
            hub.deliver({"topic": "alert", "kind": "UPDATED", "ids": {"alert_id": n}})
            await keeping_up.queue.get()
        hub.deliver({"topic": "alert", "kind": "UPDATED", "ids": {"alert_id": -1}})
        # The one behind holds one thing only: RESYNC, in place of an incomplete backlog.
        assert [behind.queue.get_nowait() for _ in range(behind.queue.qsize())] == [RESYNC_EVENT]
        assert keeping_up.queue.get_nowait()["ids"] == {"alert_id": -1}

    asyncio.run(scenario())
