"""A real GraphQL client library talks to a real server: gql's WebsocketsTransport subscribes to
``alertEvents`` over each WebSocket protocol the server speaks, graphql-transport-ws (the
graphql-ws library's protocol) and the legacy graphql-ws (Apollo's subscriptions-transport-ws),
receives the alert an event created, and receives the ACCEPTED event after gql's HTTP
transport accepts it. A made-up token is refused on both protocols.

(The accept goes over HTTP because Strawberry serves only subscriptions on the legacy
protocol's socket: a mutation there is refused with "mutations are not allowed".)

The server is ``pagerline serve`` (uvicorn) on the embedded defaults (SQLite, in-process bus).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportError
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport
from websockets.exceptions import ConnectionClosed

from tests.support.databases import TemplateDatabases
from tests.support.graphql import ws_url
from tests.support.live import embedded_env, post_alert, seed_database, warm_up
from tests.support.processes import Server, start_server, wait_until_async
from tests.support.seed import Org

PROTOCOLS = [WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL, WebsocketsTransport.APOLLO_SUBPROTOCOL]
FEED = gql("subscription { alertEvents { kind alert { id summary status } } }")
ACCEPT = "mutation($id: ID!) { acceptAlert(id: $id) { status } }"


@dataclass
class Site:
    server: Server
    org: Org


@pytest.fixture(scope="module")
def site(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    workdir: Path = tmp_path_factory.mktemp("gql-client")
    url = templates.sqlite(workdir)
    org = seed_database(url)
    server = start_server(embedded_env(url, workdir), workdir)
    try:
        yield Site(server, org)
    finally:
        server.stop()


def transport(site: Site, protocol: str, token: str) -> WebsocketsTransport:
    return WebsocketsTransport(url=ws_url(site.server.url), init_payload={"authToken": token}, subprotocols=[protocol])


async def accept_over_http(site: Site, alert_id: int) -> dict[str, Any]:
    http = HTTPXAsyncTransport(url=site.server.url + "/graphql", headers={"Authorization": f"Bearer {site.org.alice_token}"})
    async with Client(transport=http) as session:
        return await session.execute(GraphQLRequest(ACCEPT, variable_values={"id": str(alert_id)}))


async def wait_for_event(events: list[dict[str, Any]], alert_id: int, kind: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        return next((e for e in events if e["alert"]["id"] == str(alert_id) and e["kind"] == kind), None)

    return await wait_until_async(found, timeout=10, what=f"a {kind} event for alert {alert_id}")  # type: ignore[no-any-return]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_gql_receives_alert_events_over_each_websocket_protocol(site: Site, protocol: str) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        client_transport = transport(site, protocol, site.org.bob_token)
        async with Client(transport=client_transport) as session:
            assert client_transport.subprotocol == protocol  # the server agreed to this protocol
            events: list[dict[str, Any]] = []

            async def consume() -> None:
                async for result in session.subscribe(FEED):
                    events.append(result["alertEvents"])

            consumer = asyncio.create_task(consume())
            try:
                seen = lambda alert_id: any(e["alert"]["id"] == str(alert_id) for e in events)  # noqa: E731
                await asyncio.to_thread(warm_up, site.server.url, site.org, seen)
                alert_id = await asyncio.to_thread(post_alert, site.server.url, site.org, f"gql-{protocol}", "Queue backlog growing")
                created = await wait_for_event(events, alert_id, "CREATED")
                assert await accept_over_http(site, alert_id) == {"acceptAlert": {"status": "ACCEPTED"}}
                return created, await wait_for_event(events, alert_id, "ACCEPTED")
            finally:
                consumer.cancel()

    created, accepted = asyncio.run(scenario())
    assert created["alert"]["summary"] == "Queue backlog growing"
    assert created["alert"]["status"] == "PENDING"
    assert accepted["alert"]["status"] == "ACCEPTED"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_gql_is_refused_with_a_made_up_token(site: Site, protocol: str) -> None:
    async def scenario() -> None:
        async with Client(transport=transport(site, protocol, "pls_made_up")) as session:
            async for _ in session.subscribe(FEED):
                raise AssertionError("an unauthenticated subscriber received an event")

    # Accepted by mistake, the subscription would wait for events: the timeout turns that into a failure.
    with pytest.raises((TransportError, ConnectionClosed)):
        asyncio.run(asyncio.wait_for(scenario(), timeout=10))
