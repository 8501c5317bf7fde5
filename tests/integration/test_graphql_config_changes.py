"""``configChanges`` against real servers and real WebSocket clients.

1. A change one admin (or a team's USER) makes reaches another admin's subscription: one message
   per committed change, in order, with its kind, id and action; two edits of the same thing are
   two messages; a refused mutation announces nothing.
2. Anyone but an admin is refused (FORBIDDEN).
3. Production layout on PostgreSQL and Redis: a change made through a second server reaches an
   admin subscribed on the first (the bus carries it).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import websockets

from pagerline.engine.people.accounts import create_token, create_user
from pagerline.models import Role, TokenKind
from tests.support.databases import TemplateDatabases
from tests.support.graphql import World, collect, data, error_code, gql, in_db, running_world, ws_url
from tests.support.live import embedded_env, seed_database
from tests.support.processes import start_server

SUBSCRIPTION = "subscription { configChanges { kind id action } }"


@pytest.fixture(scope="module")
def world(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world(templates, tmp_path_factory.mktemp("config-changes")) as made:
        yield made


def second_admin(database_url: str, email: str) -> tuple[int, str]:
    async def make() -> tuple[int, str]:
        user = await create_user(email, "Ada", "ada-password-1", Role.ADMIN)
        _, token = await create_token(user.id, TokenKind.API, datetime.now(UTC), "test")
        return user.id, token

    return in_db(database_url, make)


def watch(
    url: str, token: str, warm_up_token: str, warm_up_user: int, trigger: Callable[[], None], expected: int
) -> list[dict[str, Any]]:
    """What ``token``'s subscription receives while ``trigger`` runs: the warm-up renames
    ``warm_up_user`` (through ``url``) until an announcement of that arrives, so the
    subscription is live before the changes under test are made."""

    def warm_up(attempt: int) -> None:
        data(url, warm_up_token, "mutation($id: ID!, $n: String!) { updateUser(id: $id, name: $n) { id } }", id=str(warm_up_user), n=f"Warm {attempt}")

    def is_warm_up(message: dict[str, Any]) -> bool:
        return message["configChanges"] == {"kind": "USER", "id": str(warm_up_user), "action": "UPDATED"}

    received = asyncio.run(collect(url, token, SUBSCRIPTION, warm_up, is_warm_up, trigger, lambda got: len(got) >= expected))
    return [m["configChanges"] for m in received]


def test_a_change_by_one_admin_reaches_another_admins_subscription(world: World) -> None:
    ada_id, ada_token = second_admin(world.database_url, "ada@org.test")
    made: dict[str, str] = {}
    now = datetime.now(UTC).replace(microsecond=0)

    def changes() -> None:
        made["team"] = data(world.url, world.admin_token, 'mutation { createTeam(name: "Config") { id } }')["createTeam"]["id"]
        # Refused: announces nothing.
        assert error_code(gql(world.url, world.admin_token, 'mutation { createTeam(name: "Config") { id } }')) == "CONFLICT"
        # A team's USER manages its membership: changes by anyone are announced.
        data(world.url, world.ops.alice_token, "mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u) { id } }",
             t=str(world.ops.team_id), u=str(ada_id))
        made["schedule"] = data(world.url, world.admin_token, 'mutation { createSchedule(name: "Nights") { id } }')["createSchedule"]["id"]
        for name in ("Nights 1", "Nights 2"):  # the same thing changed twice: two messages
            data(world.url, world.admin_token, "mutation($id: ID!, $n: String!) { updateSchedule(id: $id, name: $n) { id } }", id=made["schedule"], n=name)
        rules = [{"escalationTimeout": 5, "userIds": [str(world.ops.alice_id)]}]
        made["policy"] = data(world.url, world.admin_token, "mutation($r: [EscalationRuleInput!]!) { createEscalationPolicy(name: \"P\", rules: $r) { id } }", r=rules)["createEscalationPolicy"]["id"]
        data(world.url, world.admin_token, "mutation($id: ID!) { deleteEscalationPolicy(id: $id) }", id=made["policy"])
        made["window"] = data(world.url, world.admin_token, """mutation($s: DateTime!, $e: DateTime!, $ids: [ID!]!) {
            createMaintenanceWindow(summary: "Upgrade", start: $s, end: $e, sourceIds: $ids) { id } }""",
            s=(now + timedelta(hours=1)).isoformat(), e=(now + timedelta(hours=2)).isoformat(), ids=[str(world.ops.api_source_id)])["createMaintenanceWindow"]["id"]
        data(world.url, world.admin_token, "mutation($id: ID!) { deleteMaintenanceWindow(id: $id) }", id=made["window"])

    # Waits for one more than expected (until nothing more comes): a stray announcement fails.
    received = watch(world.url, ada_token, world.admin_token, world.admin_id, changes, expected=11)
    assert received == [
        {"kind": "TEAM", "id": made["team"], "action": "CREATED"},
        {"kind": "TEAM", "id": str(world.ops.team_id), "action": "UPDATED"},
        {"kind": "USER", "id": str(ada_id), "action": "UPDATED"},
        {"kind": "SCHEDULE", "id": made["schedule"], "action": "CREATED"},
        {"kind": "SCHEDULE", "id": made["schedule"], "action": "UPDATED"},
        {"kind": "SCHEDULE", "id": made["schedule"], "action": "UPDATED"},
        {"kind": "POLICY", "id": made["policy"], "action": "CREATED"},
        {"kind": "POLICY", "id": made["policy"], "action": "DELETED"},
        {"kind": "MAINTENANCE", "id": made["window"], "action": "CREATED"},
        {"kind": "MAINTENANCE", "id": made["window"], "action": "DELETED"},
    ]


def test_anyone_but_an_admin_is_refused(world: World) -> None:
    async def first_answer(token: str) -> dict[str, Any]:
        async with websockets.connect(ws_url(world.url), subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": token}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))
            return json.loads(await asyncio.wait_for(ws.recv(), timeout=5))  # type: ignore[no-any-return]

    for token in (world.ops.alice_token, world.ops.bob_token, world.stakeholder_token):
        answer = asyncio.run(first_answer(token))
        errors = answer["payload"] if answer["type"] == "error" else answer["payload"].get("errors")
        assert errors and errors[0]["extensions"]["code"] == "FORBIDDEN", answer


@pytest.mark.postgres
@pytest.mark.redis
def test_a_change_made_through_a_second_server_arrives(pg_database_url: str, redis_url: str, tmp_path: Path) -> None:
    org = seed_database(pg_database_url)
    root_id, root_token = second_admin(pg_database_url, "root@org.test")
    _, ada_token = second_admin(pg_database_url, "ada@org.test")
    env = embedded_env(pg_database_url, tmp_path, PAGERLINE_REDIS_URL=redis_url)
    server1 = start_server(env, tmp_path)
    server2 = start_server(env, tmp_path)
    made: dict[str, str] = {}
    try:
        def changes() -> None:
            made["team"] = data(server2.url, root_token, 'mutation { createTeam(name: "Elsewhere") { id } }')["createTeam"]["id"]

        # Warmed up through server 2 as well: the announcements cross the bus both times.
        def warm_up(attempt: int) -> None:
            data(server2.url, root_token, "mutation($id: ID!, $n: String!) { updateUser(id: $id, name: $n) { id } }", id=str(root_id), n=f"Warm {attempt}")

        def is_warm_up(message: dict[str, Any]) -> bool:
            return message["configChanges"]["kind"] == "USER"

        received = asyncio.run(collect(server1.url, ada_token, SUBSCRIPTION, warm_up, is_warm_up, changes, lambda got: len(got) >= 1))
        assert [m["configChanges"] for m in received] == [{"kind": "TEAM", "id": made["team"], "action": "CREATED"}]
        assert org.team_id != int(made["team"])
    finally:
        server1.stop()
        server2.stop()
    for server in (server1, server2):
        assert "Traceback" not in server.log(), server.log()


def test_the_schemas_names_are_the_engines() -> None:
    from pagerline.engine.core import config_changes as engine
    from pagerline.graphql.core import config_changes as api

    assert [k.value for k in api.ConfigKind] == [k.value for k in engine.ConfigKind]
    assert [a.value for a in api.ConfigAction] == [a.value for a in engine.ConfigAction]
