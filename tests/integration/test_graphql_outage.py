"""GraphQL while PostgreSQL is unreachable (a TCP proxy in front of it is cut): every request
answers HTTP 503 with Retry-After and a GraphQL error whose extensions.code is
SERVICE_UNAVAILABLE (a signed-in query, whose token cannot be checked, and `login`, which fails
inside its resolver), a WebSocket's connection_init is closed with 1013 (try again later, not
4403: the token may be fine), each is one WARNING line in the log, and everything works again by
itself once the database is back. A subscription whose server loses the database is closed
with 1013 too."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import websockets

from tests.support.graphql import fire, post_graphql, websocket_refusal, ws_url
from tests.support.live import embedded_env, seed_database
from tests.support.processes import Server, start_server, wait_until
from tests.support.tcp_proxy import TcpProxy, database_through
from tests.support.ws import subscribe_live

ME = {"query": "{ me { name } }"}
LOGIN = {"query": 'mutation { login(email: "alice@ops.test", password: "alice-password") { token } }'}


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) >= 1
    errors = response.json()["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["SERVICE_UNAVAILABLE"], errors
    assert "database" in errors[0]["message"] and "Unexpected error" not in errors[0]["message"]


def test_graphql_answers_service_unavailable_while_the_database_is_down_and_recovers(pg_database_url: str, tmp_path: Path) -> None:
    org = seed_database(pg_database_url)
    pg = urlsplit(pg_database_url)
    proxy = TcpProxy(pg.hostname or "127.0.0.1", pg.port or 5432).start()
    server: Server | None = None
    try:
        server = start_server(embedded_env(database_through(proxy, pg_database_url), tmp_path), tmp_path)
        assert post_graphql(server.url, org.alice_token, ME, timeout=15).json() == {"data": {"me": {"name": "Alice"}}}

        proxy.stop()
        assert_unavailable(post_graphql(server.url, org.alice_token, ME, timeout=15))  # the token cannot be checked
        assert_unavailable(post_graphql(server.url, None, LOGIN, timeout=15))  # fails inside the resolver
        assert websocket_refusal(server.url, org.alice_token) == 1013

        proxy.start()

        def answers_again() -> bool:
            response = post_graphql(server.url, org.alice_token, ME, timeout=15)  # type: ignore[arg-type]
            if response.status_code == 503:
                assert_unavailable(response)  # still reconnecting: the same clear answer
                return False
            return response.json() == {"data": {"me": {"name": "Alice"}}}

        wait_until(answers_again, timeout=15, interval=0.2, what="GraphQL to answer again")
        assert post_graphql(server.url, None, LOGIN, timeout=15).json()["data"]["login"]["token"]
        assert websocket_refusal(server.url, org.alice_token) is None

        outage_lines = [line for line in server.log().splitlines() if "SERVICE_UNAVAILABLE" in line]
        # One WARNING line each (the pre-execution refusal and the resolver's), with its request id.
        assert len(outage_lines) >= 2 and all(" WARNING " in line and " [-] " not in line for line in outage_lines), outage_lines
        assert "Unexpected error" not in server.log()
    finally:
        if server is not None:
            server.stop()
        proxy.close()


def test_a_subscription_that_cannot_read_the_database_is_closed_with_1013(
    pg_database_url: str, redis_url: str, tmp_path: Path
) -> None:
    """Server A loses its database while server B still commits: the events B publishes reach
    A's subscriber, whose server cannot load them. Rather than ending the subscription silently,
    A closes the connection with 1013, so the client reconnects and refetches."""
    org = seed_database(pg_database_url)
    pg = urlsplit(pg_database_url)
    proxy = TcpProxy(pg.hostname or "127.0.0.1", pg.port or 5432).start()
    server_a = start_server(embedded_env(database_through(proxy, pg_database_url), tmp_path, PAGERLINE_REDIS_URL=redis_url), tmp_path)
    server_b = start_server(embedded_env(pg_database_url, tmp_path, PAGERLINE_REDIS_URL=redis_url), tmp_path)

    async def main() -> tuple[int | None, list[dict[str, object]]]:
        async with websockets.connect(ws_url(server_a.url), subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await subscribe_live(ws, org.alice_token, "subscription { alertEvents { kind } }", lambda attempt: fire(server_b.url, org.api_key, f"warm-{attempt}"))
            await asyncio.to_thread(proxy.stop)
            assert (await asyncio.to_thread(fire, server_b.url, org.api_key, "while-a-is-cut")).status_code == 202
            after: list[dict[str, object]] = []
            try:
                while True:
                    after.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=10)))
            except websockets.ConnectionClosed as closed:
                return (closed.rcvd.code if closed.rcvd else None), after

    try:
        code, after = asyncio.run(main())
        assert code == 1013, (code, after)
        assert all(m["type"] == "next" for m in after), after  # no silent "complete"
        proxy.start()
        wait_until(lambda: websocket_refusal(server_a.url, org.alice_token) is None, timeout=15, interval=0.2, what="A to accept subscribers again")
    finally:
        server_a.stop()
        server_b.stop()
        proxy.close()
