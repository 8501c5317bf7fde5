"""The minimal GraphQL loop against a real server: login, me, alerts (keyset pages), alert,
accept/resolve/comment/escalate, team visibility, stakeholders, and alertEvents over a real
WebSocket (graphql-transport-ws)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import websockets

from pagerline.db import close_db, init_db
from pagerline.engine.people.accounts import create_token, create_user
from pagerline.models import Role, TokenKind
from tests.conftest import run
from tests.support.databases import TemplateDatabases
from tests.support.processes import Server, start_server
from tests.support.seed import Org, seed_org


@dataclass
class World:
    server: Server
    ops: Org
    web: Org
    stakeholder_token: str


async def _seed(url: str) -> tuple[Org, Org, str]:
    await init_db(url)
    try:
        ops = await seed_org(team="Ops")
        web = await seed_org(team="Web")
        watcher = await create_user("watcher@ops.test", "Watcher", "pw-watcher", Role.STAKEHOLDER, "UTC", ["Ops"])
        _, token = await create_token(watcher.id, TokenKind.API, datetime.now(UTC))
        return ops, web, token
    finally:
        await close_db()


@pytest.fixture(scope="module")
def world(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    workdir = tmp_path_factory.mktemp("gql")
    url = templates.sqlite(workdir)
    ops, web, stakeholder = run(_seed(url))
    server = start_server(
        {"PAGERLINE_DATABASE_URL": url, "PAGERLINE_CONSOLE_TRANSPORT": "1", "PAGERLINE_CONSOLE_LOG": str(workdir / "c.log")},
        workdir,
    )
    try:
        yield World(server, ops, web, stakeholder)
    finally:
        server.stop()


def gql(world: World, token: str | None, query: str, **variables: Any) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(f"{world.server.url}/graphql", json={"query": query, "variables": variables}, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def fire(world: World, org: Org, key: str, summary: str = "Something broke") -> int:
    response = httpx.post(
        f"{world.server.url}/api/events",
        json={"integrationKey": org.api_key, "eventType": "ALERT", "summary": summary, "alertKey": key},
        timeout=10,
    )
    assert response.status_code == 202, response.text
    return int(response.json()["alertUrl"].rsplit("/", 1)[1])


def error_code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


def test_login_and_me(world: World) -> None:
    bad = gql(world, None, 'mutation { login(email: "alice@ops.test", password: "nope") { token } }')
    assert error_code(bad) == "UNAUTHENTICATED"
    good = gql(world, None, 'mutation { login(email: "ALICE@ops.test", password: "alice-password") { token user { name email } } }')
    session = good["data"]["login"]
    assert session["user"] == {"name": "Alice", "email": "alice@ops.test"}
    me = gql(world, session["token"], "{ me { name role } }")
    assert me["data"]["me"] == {"name": "Alice", "role": "USER"}
    assert error_code(gql(world, None, "{ me { name } }")) == "UNAUTHENTICATED"
    assert error_code(gql(world, "pla_forged", "{ me { name } }")) == "UNAUTHENTICATED"


def test_alerts_pages_with_keyset_cursors_and_status_filter(world: World) -> None:
    ids = [fire(world, world.ops, f"page-{i}") for i in range(5)]
    seen: list[int] = []
    after = None
    query = "query($after: String) { alerts(first: 2, after: $after, status: [PENDING]) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }"
    while True:
        page = gql(world, world.ops.alice_token, query, after=after)["data"]["alerts"]
        seen += [int(e["node"]["id"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [i for i in seen if i in ids] == sorted(ids, reverse=True)
    assert len(seen) == len(set(seen))
    bad = gql(world, world.ops.alice_token, '{ alerts(after: "garbage") { edges { cursor } } }')
    assert error_code(bad) == "BAD_USER_INPUT"


def test_other_teams_alerts_are_invisible_by_every_path(world: World) -> None:
    alert_id = fire(world, world.ops, "ops-only")
    token = world.web.alice_token
    assert gql(world, token, "query($id: ID!) { alert(id: $id) { id } }", id=str(alert_id))["data"]["alert"] is None
    listed = gql(world, token, "{ alerts(first: 100) { edges { node { id } } } }")["data"]["alerts"]["edges"]
    assert str(alert_id) not in {e["node"]["id"] for e in listed}
    for mutation in ("acceptAlert", "resolveAlert", "escalateAlert"):
        body = gql(world, token, f"mutation($id: ID!) {{ {mutation}(id: $id) {{ status }} }}", id=str(alert_id))
        assert error_code(body) == "NOT_FOUND", (mutation, body)
    still = gql(world, world.ops.alice_token, "query($id: ID!) { alert(id: $id) { status } }", id=str(alert_id))
    assert still["data"]["alert"]["status"] == "PENDING"


def test_stakeholder_reads_but_cannot_act(world: World) -> None:
    alert_id = fire(world, world.ops, "watched")
    token = world.stakeholder_token
    assert gql(world, token, "query($id: ID!) { alert(id: $id) { status } }", id=str(alert_id))["data"]["alert"]["status"] == "PENDING"
    for mutation in ("acceptAlert(id: $id)", "resolveAlert(id: $id)", 'commentAlert(id: $id, text: "hi")'):
        body = gql(world, token, f"mutation($id: ID!) {{ {mutation} {{ status }} }}", id=str(alert_id))
        assert error_code(body) == "FORBIDDEN", body


def test_comment_escalate_accept_resolve(world: World) -> None:
    alert_id = fire(world, world.ops, "lifecycle")
    token = world.ops.alice_token
    fields = "status escalationLevel logEntries { kind text }"
    body = gql(world, token, f'mutation($id: ID!) {{ commentAlert(id: $id, text: "looking") {{ {fields} }} }}', id=str(alert_id))
    assert body["data"]["commentAlert"]["logEntries"][-1] == {"kind": "COMMENT", "text": "Alice: looking"}
    body = gql(world, token, f"mutation($id: ID!) {{ escalateAlert(id: $id) {{ {fields} }} }}", id=str(alert_id))
    assert body["data"]["escalateAlert"]["escalationLevel"] == 2
    assert {"kind": "ESCALATED", "text": "Escalated to level 2 (Bob) by hand"} in body["data"]["escalateAlert"]["logEntries"]
    body = gql(world, token, f"mutation($id: ID!) {{ escalateAlert(id: $id) {{ {fields} }} }}", id=str(alert_id))
    assert error_code(body) == "CONFLICT"  # no level 3
    body = gql(world, token, "mutation($id: ID!) { acceptAlert(id: $id) { status } }", id=str(alert_id))
    assert body["data"]["acceptAlert"]["status"] == "ACCEPTED"
    body = gql(world, token, "mutation($id: ID!) { resolveAlert(id: $id) { status } }", id=str(alert_id))
    assert body["data"]["resolveAlert"]["status"] == "RESOLVED"
    body = gql(world, token, "mutation($id: ID!) { acceptAlert(id: $id) { status } }", id=str(alert_id))
    assert error_code(body) == "CONFLICT"
    assert error_code(gql(world, token, 'mutation { acceptAlert(id: "abc") { status } }')) == "BAD_USER_INPUT"


async def _subscribe(world: World, token: str, expect: int, trigger: Any) -> list[dict[str, Any]]:
    ws_url = world.server.url.replace("http", "ws") + "/graphql"
    received: list[dict[str, Any]] = []
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": token}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "subscription { alertEvents { kind alert { id summary status } } }"}}))
        # The server registers the subscription asynchronously: post warm-up alerts until one
        # arrives, so the real trigger cannot race the registration.
        for attempt in range(50):
            await asyncio.to_thread(fire, world, world.ops, f"warm-up-{attempt}", "warm-up")
            try:
                if json.loads(await asyncio.wait_for(ws.recv(), timeout=0.2))["type"] == "next":
                    break
            except TimeoutError:
                continue
        else:
            raise AssertionError("the subscription never delivered a warm-up event")
        await asyncio.to_thread(trigger)
        try:
            while len(received) < expect:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
                if message["type"] == "next" and message["payload"]["data"]["alertEvents"]["alert"]["summary"] != "warm-up":
                    received.append(message["payload"]["data"]["alertEvents"])
        except TimeoutError:
            pass
    return received


def test_alert_events_subscription_delivers_only_visible_alerts(world: World) -> None:
    marker: dict[str, int] = {}

    def trigger() -> None:
        fire(world, world.web, "web-secret", "Web team only")
        marker["ops"] = fire(world, world.ops, "sub-1", "Ops sees this")

    events = asyncio.run(_subscribe(world, world.ops.alice_token, 1, trigger))
    created = [e for e in events if e["kind"] == "CREATED"]
    assert created and created[0]["alert"] == {"id": str(marker["ops"]), "summary": "Ops sees this", "status": "PENDING"}
    assert all(e["alert"]["summary"] != "Web team only" for e in events)


def test_websocket_without_valid_token_is_refused(world: World) -> None:
    async def attempt() -> int | None:
        ws_url = world.server.url.replace("http", "ws") + "/graphql"
        async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": "pls_forged"}}))
            try:
                await asyncio.wait_for(ws.recv(), timeout=5)
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None
            return None

    assert asyncio.run(attempt()) == 4403


def test_devices_mute_and_update_preferences_over_graphql(world: World) -> None:
    token = world.web.bob_token
    register = """mutation($t: String!) { registerDevice(platform: IOS, provider: APNS, token: $t, appId: "com.pagerline",
                  appVersion: "1.2", criticalAlerts: true, criticalVolume: 0.8, sound: "siren.caf") {
                  platform provider criticalAlerts criticalVolume sound active } }"""
    body = gql(world, token, register, t="apns-bob-1")
    assert body["data"]["registerDevice"] == {
        "platform": "IOS", "provider": "APNS", "criticalAlerts": True, "criticalVolume": 0.8, "sound": "siren.caf", "active": True
    }
    bad = gql(world, token, 'mutation { registerDevice(platform: ANDROID, provider: APNS, token: "x") { active } }')
    assert error_code(bad) == "BAD_USER_INPUT"
    devices = gql(world, token, "{ myDevices { provider } }")["data"]["myDevices"]
    assert {"provider": "APNS"} in devices
    assert gql(world, token, 'mutation { unregisterDevice(token: "apns-bob-1") }')["data"]["unregisterDevice"] is True
    assert error_code(gql(world, token, 'mutation { unregisterDevice(token: "apns-bob-1") }')) == "NOT_FOUND"

    muted = gql(world, token, 'mutation { muteNotifications(until: "2099-01-01T00:00:00+00:00") { mutedUntil } }')
    assert error_code(muted) == "BAD_USER_INPUT"  # more than 30 days
    soon = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0).isoformat()
    muted = gql(world, token, "mutation($u: DateTime) { muteNotifications(until: $u) { mutedUntil } }", u=soon)
    assert muted["data"]["muteNotifications"]["mutedUntil"] is not None
    unmuted = gql(world, token, "mutation { muteNotifications { mutedUntil } }")  # no argument: unmute
    assert unmuted["data"]["muteNotifications"] == {"mutedUntil": None}
    prefs = gql(world, token, "mutation { setUpdateNotifications(accepted: false, resolved: true, escalated: true) { name } }")
    assert prefs["data"]["setUpdateNotifications"] == {"name": "Bob"}
    phone = gql(world, token, 'mutation { setPhoneNumber(phone: "+15550177") { phone phoneVerified phonePending } }')
    assert phone["data"]["setPhoneNumber"] == {"phone": None, "phoneVerified": False, "phonePending": "+15550177"}
    wrong = gql(world, token, 'mutation { verifyPhoneNumber(code: "abcdef") { phoneVerified } }')
    assert error_code(wrong) == "BAD_USER_INPUT"
    # Another user does not see Bob's number.
    other = gql(world, world.web.alice_token, "{ me { phonePending } }")
    assert other["data"]["me"]["phonePending"] is None
