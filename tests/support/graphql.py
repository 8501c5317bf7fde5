"""Talking to a running server's GraphQL API the way clients do: HTTP POSTs with a Bearer token,
and graphql-transport-ws over a real WebSocket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import websockets

from pagerline.db import close_db, init_db
from pagerline.engine.people.accounts import create_token, create_user
from pagerline.models import Role, TokenKind
from tests.support.databases import TemplateDatabases, pg_base_url
from tests.support.processes import Server, start_server
from tests.support.seed import Org, seed_org
from tests.support.ws import subscribe_live

T = TypeVar("T")


@asynccontextmanager
async def in_process_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The real app with its lifespan, answering in this process through httpx's ASGI transport
    (no embedded worker, so only the requests touch the database)."""
    from pagerline.app import create_app
    from pagerline.settings import Settings

    app = create_app(Settings(database_url=database_url, secret_key="test-secret", embedded_worker=False))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pagerline.test") as client:
            yield client


def post_graphql(
    url: str, token: str | None, body: dict[str, Any] | bytes, *, headers: dict[str, str] | None = None, timeout: float = 10
) -> httpx.Response:
    """One POST to ``/graphql`` as a client sends it, whatever the answer. ``body``: the request
    object, or raw bytes sent as JSON (for requests no JSON encoder would write)."""
    sent = {"Authorization": f"Bearer {token}"} if token else {}
    sent.update(headers or {})
    if isinstance(body, bytes):
        return httpx.post(f"{url}/graphql", content=body, headers={"Content-Type": "application/json", **sent}, timeout=timeout)
    return httpx.post(f"{url}/graphql", json=body, headers=sent, timeout=timeout)


def gql(url: str, token: str | None, query: str, **variables: Any) -> dict[str, Any]:
    response = post_graphql(url, token, {"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def data(url: str, token: str | None, query: str, **variables: Any) -> dict[str, Any]:
    """The data of a query that must succeed."""
    body = gql(url, token, query, **variables)
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


async def data_via(client: httpx.AsyncClient, token: str, query: str, **variables: Any) -> dict[str, Any]:
    """``data`` through an async client, such as one bound to the app in this process (so a
    test can watch what the request does inside it)."""
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {token}"})
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, response.text
    return body["data"]  # type: ignore[no-any-return]


def error_code(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    return str(body["errors"][0]["extensions"]["code"])


def fire(
    url: str, integration_key: str, alert_key: str | None, summary: str = "Something broke", *, timeout: float = 10, **extra: Any
) -> httpx.Response:
    """An ALERT event; ``alert_key`` None leaves the key for the server to make."""
    event = {"integrationKey": integration_key, "eventType": "ALERT", "summary": summary, **extra}
    if alert_key is not None:
        event["alertKey"] = alert_key
    return httpx.post(f"{url}/api/events", json=event, timeout=timeout)


async def event_via(
    client: httpx.AsyncClient, integration_key: str, event_type: str, alert_key: str, summary: str = "Something broke", **extra: Any
) -> httpx.Response:
    """An event of any type through an async client (see :func:`data_via`) that must be
    accepted."""
    event = {"integrationKey": integration_key, "eventType": event_type, "alertKey": alert_key, "summary": summary, **extra}
    response = await client.post("/api/events", json=event)
    assert response.status_code == 202, response.text
    return response


def alert_id_of(response: httpx.Response) -> int:
    """The id of the alert an accepted event made or updated."""
    assert response.status_code == 202, response.text
    return int(response.json()["alertUrl"].rsplit("/", 1)[1])


def fire_ok(url: str, integration_key: str, alert_key: str, summary: str = "Something broke", **extra: Any) -> int:
    return alert_id_of(fire(url, integration_key, alert_key, summary, **extra))


def webhook(url: str, kind: str, integration_key: str, payload: Any) -> list[dict[str, Any]]:
    """A monitoring tool's webhook (``kind``: "alertmanager" or "grafana") that must be
    accepted; returns the outcome per alert in the payload."""
    response = httpx.post(f"{url}/api/events/{kind}/{integration_key}", json=payload, timeout=10)
    assert response.status_code == 202, response.text
    return response.json()["alerts"]  # type: ignore[no-any-return]


def ws_url(url: str) -> str:
    return url.replace("http://", "ws://") + "/graphql"


def websocket_refusal(url: str, token: str) -> int | None:
    """The close code the server answers ``connection_init`` with (None if it acknowledged)."""

    async def attempt() -> int | None:
        async with websockets.connect(ws_url(url), subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": token}}))
            try:
                reply = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None
            assert reply["type"] == "connection_ack", reply
            return None

    return asyncio.run(attempt())


async def collect(
    url: str,
    token: str,
    query: str,
    warm_up: Callable[[int], None],
    is_warm_up: Callable[[dict[str, Any]], bool],
    trigger: Callable[[], None],
    done: Callable[[list[dict[str, Any]]], bool],
    quiet_seconds: float = 1.5,
) -> list[dict[str, Any]]:
    """Subscribe, make sure the subscription is live (the server registers it asynchronously,
    so ``warm_up`` causes events until one arrives), run ``trigger``, and gather what arrives
    (warm-up events excluded) until ``done`` holds or nothing came for ``quiet_seconds``."""
    received: list[dict[str, Any]] = []
    async with websockets.connect(ws_url(url), subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await subscribe_live(ws, token, query, warm_up)
        await asyncio.to_thread(trigger)
        try:
            while not done(received):
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=quiet_seconds))
                assert message["type"] == "next", message
                if not is_warm_up(message["payload"]["data"]):
                    received.append(message["payload"]["data"])
        except TimeoutError:
            pass
    return received


@dataclass
class World:
    """A running server over an organisation of two teams (Ops, Web; see ``seed_org``), an
    admin and a stakeholder of Ops."""

    server: Server
    database_url: str
    ops: Org
    web: Org
    admin_id: int
    admin_token: str
    stakeholder_token: str

    @property
    def url(self) -> str:
        return self.server.url


async def _seed_world(database_url: str) -> tuple[Org, Org, int, str, str]:
    await init_db(database_url)
    try:
        ops = await seed_org(team="Ops")
        web = await seed_org(team="Web")
        now = datetime.now(UTC)
        admin = await create_user("root@org.test", "Root", "root-password", Role.ADMIN)
        watcher = await create_user("watcher@ops.test", "Watcher", "watcher-password", Role.STAKEHOLDER, "UTC", ["Ops"])
        _, admin_token = await create_token(admin.id, TokenKind.API, now, "test")
        _, watcher_token = await create_token(watcher.id, TokenKind.API, now, "test")
        return ops, web, admin.id, admin_token, watcher_token
    finally:
        await close_db()


@contextmanager
def running_world(templates: TemplateDatabases, workdir: Path, database_url: str | None = None) -> Iterator[World]:
    """``database_url``: a fresh database of the test's choosing (default: SQLite in ``workdir``)."""
    database_url = database_url or templates.sqlite(workdir)
    ops, web, admin_id, admin_token, watcher_token = asyncio.run(_seed_world(database_url))
    server = start_server(
        {"PAGERLINE_DATABASE_URL": database_url, "PAGERLINE_CONSOLE_TRANSPORT": "1", "PAGERLINE_CONSOLE_LOG": str(workdir / "console.log")},
        workdir,
    )
    try:
        yield World(server, database_url, ops, web, admin_id, admin_token, watcher_token)
    finally:
        server.stop()


#: Parameters of a module-scoped fixture that runs a world on each backend.
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def world_on(backend: str, templates: TemplateDatabases, workdir: Path) -> Iterator[World]:
    """A running world on SQLite, or on PostgreSQL (skipped unless PAGERLINE_TEST_DATABASE_URL is set)."""
    if backend == "postgres" and not pg_base_url():
        pytest.skip("PostgreSQL variant: set PAGERLINE_TEST_DATABASE_URL to run it")
    with running_world(templates, workdir, templates.postgres() if backend == "postgres" else None) as made:
        yield made


def in_db(database_url: str, work: Callable[[], Awaitable[T]]) -> T:
    """Run engine code against the server's database from the test (its own connection)."""

    async def main() -> T:
        await init_db(database_url)
        try:
            return await work()
        finally:
            await close_db()

    return asyncio.run(main())
