"""The server's log as an operator reads it (real server processes, their real stderr): errors a
client caused (a wrong password, NOT_FOUND, CONFLICT, BAD_USER_INPUT, a query that does not
validate) are one INFO line each, never a traceback, even fifty conflicts in a row; a real
fault keeps its traceback at ERROR; every line of a request carries its request id (the
client's X-Request-ID, echoed back, or a new one); PAGERLINE_LOG_FORMAT=json writes one JSON
object per line."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from pathlib import Path

import httpx
import websockets

from tests.support.databases import TemplateDatabases
from tests.support.graphql import _seed_world, post_graphql
from tests.support.processes import Server, start_server, wait_until

CONFLICT = 'mutation { createTeam(name: "Ops") { id } }'


def code_of(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


def websocket_operations(server: Server, token: str) -> str:
    """Two failing operations over one graphql-transport-ws connection; the handshake's X-Request-ID."""

    async def main() -> str:
        url = server.url.replace("http://", "ws://") + "/graphql"
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"], additional_headers={"X-Request-ID": "ws-conn"}) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": token}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            for op in ("1", "2"):
                await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": {"query": '{ node(id: "Planet:1") { globalId } }'}}))
                reply = json.loads(await ws.recv())
                assert reply["payload"]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", reply
                assert json.loads(await ws.recv())["type"] == "complete"
            assert ws.response is not None
            return str(ws.response.headers["x-request-id"])

    return asyncio.run(main())


def test_client_errors_are_one_line_each_with_request_ids_in_json(templates: TemplateDatabases, tmp_path: Path) -> None:
    url = templates.sqlite(tmp_path)
    ops, _, _, admin_token, _ = asyncio.run(_seed_world(url))
    env = {"PAGERLINE_DATABASE_URL": url, "PAGERLINE_LOG_LEVEL": "INFO", "PAGERLINE_LOG_FORMAT": "json"}
    server = start_server(env, tmp_path)
    try:
        conflicts = [post_graphql(server.url, admin_token, {"query": CONFLICT}, headers={"X-Request-ID": f"conflict-{i}"}) for i in range(50)]
        assert {code_of(r) for r in conflicts} == {"CONFLICT"}
        assert [r.headers["x-request-id"] for r in conflicts] == [f"conflict-{i}" for i in range(50)]
        expected = {
            "UNAUTHENTICATED": post_graphql(server.url, None, {"query": 'mutation { login(email: "alice@ops.test", password: "wrong") { token } }'}),
            "NOT_FOUND": post_graphql(server.url, ops.alice_token, {"query": 'mutation { acceptAlert(id: "424242") { id } }'}),
            "BAD_USER_INPUT": post_graphql(server.url, admin_token, {"query": 'mutation { createTeam(name: " ") { id } }'}),
            "VALIDATION": post_graphql(server.url, ops.alice_token, {"query": "{ noSuchField }"}),
        }
        assert [code_of(expected[c]) for c in ("UNAUTHENTICATED", "NOT_FOUND", "BAD_USER_INPUT")] == ["UNAUTHENTICATED", "NOT_FOUND", "BAD_USER_INPUT"]
        assert "Cannot query field" in expected["VALIDATION"].json()["errors"][0]["message"]
        assert code_of(expected["VALIDATION"]) == "BAD_USER_INPUT"  # a query that does not validate is the client's
        generated = expected["NOT_FOUND"].headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{16}", generated)
        assert websocket_operations(server, ops.alice_token) == "ws-conn"
        bad_id = post_graphql(server.url, ops.alice_token, {"query": "{ me { name } }"}, headers={"X-Request-ID": "evil\tid"}).headers["x-request-id"]
        assert bad_id != "evil\tid" and re.fullmatch(r"[0-9a-f]{16}", bad_id)  # not a usable id: a new one
    finally:
        server.stop()

    entries = [json.loads(line) for line in server.log().splitlines() if line.strip()]  # every line is JSON
    assert not any("traceback" in e or "Traceback" in e["message"] for e in entries), [e for e in entries if "traceback" in e]
    graphql = [e for e in entries if e["logger"] == "strawberry.execution"]
    assert {e["level"] for e in graphql} == {"INFO"}
    assert next(e for e in entries if "Application startup complete" in e["message"])["request_id"] is None
    conflict_lines = [e for e in graphql if "CONFLICT" in e["message"]]
    assert sorted(e["request_id"] for e in conflict_lines) == sorted(f"conflict-{i}" for i in range(50))
    for code, lines in (("UNAUTHENTICATED", 1), ("NOT_FOUND", 1), ("BAD_USER_INPUT", 2)):  # createTeam, noSuchField
        assert len([e for e in graphql if code in e["message"] and "Planet" not in e["message"]]) == lines, code
    assert len([e for e in graphql if "Cannot query field" in e["message"]]) == 1
    assert [e["request_id"] for e in graphql if "NOT_FOUND" in e["message"]] == [generated]
    # Each operation over the WebSocket has its own id, under the connection's.
    assert [e["request_id"] for e in graphql if "BAD_USER_INPUT" in e["message"] and "Planet" in e["message"]] == ["ws-conn.1", "ws-conn.2"]


def test_a_real_fault_keeps_its_traceback_with_the_request_id(templates: TemplateDatabases, tmp_path: Path) -> None:
    """A database without its tables (never migrated) is a fault of the installation, not of
    the client: the answer is masked, the log has the whole story under the request's id."""
    env = {"PAGERLINE_DATABASE_URL": f"sqlite://{tmp_path}/never-migrated.db", "PAGERLINE_EMBEDDED_WORKER": "0"}
    server = start_server(env, tmp_path)
    try:
        response = post_graphql(server.url, None, {"query": 'mutation { login(email: "a@b.c", password: "whatever-pw") { token } }'}, headers={"X-Request-ID": "fault-1"})
        assert response.json()["errors"][0]["message"] == "Unexpected error."
        assert response.headers["x-request-id"] == "fault-1"
    finally:
        server.stop()
    log = server.log()
    [fault] = [line for line in log.splitlines() if "[fault-1]" in line]
    assert " ERROR strawberry.execution [fault-1] GraphQL internal error at login" in fault, fault
    after = log[log.index(fault) + len(fault):]
    assert after.lstrip("\n").startswith("Traceback (most recent call last):")
    assert "no such table" in after


def send_half_a_request(server: Server, path: str) -> None:
    """Headers that promise a body, half of it, then the connection closed: a browser tab
    closed or a phone losing its network while a mutation is on its way."""
    with socket.create_connection(("127.0.0.1", server.port)) as conn:
        conn.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: 400\r\n\r\n{\"query\": \"{ me".encode())


def test_a_client_that_leaves_mid_request_is_not_a_fault(templates: TemplateDatabases, tmp_path: Path) -> None:
    url = templates.sqlite(tmp_path)
    ops, _, _, _, _ = asyncio.run(_seed_world(url))
    server = start_server({"PAGERLINE_DATABASE_URL": url, "PAGERLINE_LOG_LEVEL": "INFO"}, tmp_path)
    try:
        for path in ("/graphql", "/api/events"):
            send_half_a_request(server, path)
        # The server noticed both (one line each) and still answers.
        wait_until(lambda: server.log().count("client went away") == 2, timeout=10, what="both disconnects logged")
        assert post_graphql(server.url, ops.alice_token, {"query": "{ me { name } }"}).json()["data"]["me"]["name"]
    finally:
        server.stop()
    log = server.log()
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log
