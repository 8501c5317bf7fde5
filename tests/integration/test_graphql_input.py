"""Bad input over GraphQL gets a clear answer with ``extensions.code``, never a 500 or
"Unexpected error.", and changes nothing: request bodies that are not GraphQL requests,
characters the database cannot store, ids no row can have, LIKE wildcards in a search,
subscriptions sent over HTTP, lists past the cap, date-times that do not parse.

On SQLite, and on PostgreSQL when PAGERLINE_TEST_DATABASE_URL is set: PostgreSQL is the
database that refuses a NUL or an id past 32 bits with an internal error.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from pagerline.graphql.core.errors import MASKED_MESSAGE
from pagerline.graphql.core.view import MAX_LIST_ITEMS
from tests.support.databases import TemplateDatabases
from tests.support.graphql import BACKENDS, World, data, fire_ok, gql, post_graphql, world_on, ws_url

NO_ROW_CAN_HAVE = "99999999999999999999999"


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world_on(request.param, templates, tmp_path_factory.mktemp("gql-input")) as made:
        yield made


def clear_error(body: dict[str, Any], code: str = "BAD_USER_INPUT") -> str:
    """The first error's message, after checking it is a client error with ``code``."""
    errors = body.get("errors")
    assert isinstance(errors, list) and errors, body
    assert errors[0]["message"] != MASKED_MESSAGE, body
    assert errors[0]["extensions"]["code"] == code, body
    return str(errors[0]["message"])


def refused_request(response: httpx.Response) -> str:
    """A 400 in the GraphQL shape: what clients parse for any other error."""
    assert response.status_code == 400, (response.status_code, response.text)
    body = response.json()
    assert body["data"] is None, body
    return clear_error(body)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"null", "not null"),
        (b"5", "not 5"),
        (b'{"query": "{ me { name } }", "variables": {"x": "\xff\xfe"}}', "not valid UTF-8"),
        (b"\xff\xfe{", "not valid UTF-8"),
        (b'{"query": "{ me { name } }", "variables": {"x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}}", "nested deeper than 64"),
        (b'{"query": "{ me { name } }", "variables": {"x": NaN}}', "NaN is not allowed"),
        (b'{"query": "{ me { name } }", "variables": {"x": "a\\u0000b"}}', "NUL"),
        (b'{"query": "{ me { name } }", "variables": {"x": "\\ud800"}}', "lone surrogate"),
        (b'{"query": "{ me { name', "not valid JSON"),
    ],
    ids=["null", "a-number", "bad-utf8-in-variables", "bad-utf8", "50000-deep-variables", "nan", "nul", "lone-surrogate", "truncated"],
)
def test_a_body_that_is_not_a_graphql_request_is_a_400_in_graphql_shape(world: World, body: bytes, says: str) -> None:
    assert says in refused_request(post_graphql(world.url, world.admin_token, body, timeout=30))


def test_an_id_no_row_can_have_is_null_or_not_found(world: World) -> None:
    assert data(world.url, world.admin_token, "query($id: ID!) { alert(id: $id) { id } }", id=NO_ROW_CAN_HAVE) == {"alert": None}
    assert data(world.url, world.admin_token, f'{{ alert(id: "{NO_ROW_CAN_HAVE}") {{ id }} }}') == {"alert": None}
    assert data(world.url, world.admin_token, '{ alert(id: "twelve") { id } }') == {"alert": None}
    for mutation in ("acceptAlert", "resolveAlert", "escalateAlert"):
        answer = gql(world.url, world.admin_token, f'mutation {{ {mutation}(id: "{NO_ROW_CAN_HAVE}") {{ id }} }}')
        assert "alert id" in clear_error(answer, "NOT_FOUND")
    answer = gql(world.url, world.admin_token, f'mutation {{ acceptCoverageRequest(id: "{NO_ROW_CAN_HAVE}") {{ id }} }}')
    clear_error(answer, "NOT_FOUND")
    answer = gql(world.url, world.admin_token, 'mutation { acceptAlert(id: "twelve") { id } }')
    assert "'twelve' is not a valid alert id" in clear_error(answer)


def test_alert_search_takes_percent_underscore_and_backslash_literally(world: World) -> None:
    percent = fire_ok(world.url, world.ops.api_key, "like-1", "CPU at 100% on db_1")
    lookalike = fire_ok(world.url, world.ops.api_key, "like-2", "CPU at 1000 on dbx1")
    backslash = fire_ok(world.url, world.ops.api_key, "like-3", "Disk C:\\temp is full")
    search = "query($t: String) { alerts(text: $t, first: 100) { edges { node { id } } } }"

    def found(text: str) -> set[int]:
        return {int(e["node"]["id"]) for e in data(world.url, world.admin_token, search, t=text)["alerts"]["edges"]}

    assert found("100%") == {percent}
    assert found("db_1") == {percent}
    assert found("%") == {percent}
    assert found("C:\\temp") == {backslash}
    assert lookalike not in found("_") | found("0%")


@pytest.mark.parametrize(
    "operation",
    [
        '{ alerts(text: "%_\\\\\\u0000") { edges { node { id } } } }',
        'mutation { createTeam(name: "Night\\u0000shift") { id } }',
        'mutation { createUser(email: "nul@org.test", name: "N\\u0000", role: USER) { id } }',
        'mutation { registerDevice(platform: ANDROID, provider: FCM, token: "tok\\u0000en") { id } }',
    ],
    ids=["search", "createTeam", "createUser", "registerDevice"],
)
def test_a_literal_the_database_cannot_store_is_refused_and_changes_nothing(world: World, operation: str) -> None:
    before = data(world.url, world.admin_token, "{ teams { id } users { id } myDevices { id } }")
    message = clear_error(gql(world.url, world.admin_token, operation))
    assert "cannot be stored" in message and message.split(" ")[0] in {"text", "name", "token"}, message
    assert data(world.url, world.admin_token, "{ teams { id } users { id } myDevices { id } }") == before


def test_a_subscription_sent_over_http_is_refused(world: World) -> None:
    response = post_graphql(world.url, world.admin_token, json.dumps({"query": "subscription { alertEvents { kind } }"}).encode(), timeout=30)
    assert "subscriptions are not allowed" in refused_request(response)


def test_a_list_longer_than_the_cap_is_refused(world: World) -> None:
    query = "query($s: [AlertStatus!]) { alerts(status: $s) { edges { node { id } } } }"
    at_cap = data(world.url, world.admin_token, query, s=["PENDING"] * MAX_LIST_ITEMS)
    assert "alerts" in at_cap
    response = post_graphql(world.url, world.admin_token, json.dumps({"query": query, "variables": {"s": ["PENDING"] * 200_000}}).encode(), timeout=30)
    assert f"at most {MAX_LIST_ITEMS}" in refused_request(response)


def test_a_datetime_that_does_not_parse_gets_a_clear_message_as_literal_and_as_variable(world: World) -> None:
    as_variable = gql(world.url, world.admin_token, "query($s: DateTime!) { myShifts(from: $s) { start } }", s="tomorrow morning")
    assert "Variable '$s' has invalid value: 'tomorrow morning' is not an ISO-8601 date-time" in clear_error(as_variable)
    as_literal = gql(world.url, world.admin_token, '{ myShifts(from: "tomorrow morning") { start } }')
    assert clear_error(as_literal).startswith("from: 'tomorrow morning' is not an ISO-8601 date-time")


def test_a_websocket_message_the_rule_refuses_closes_with_4400(world: World) -> None:
    async def attempt() -> int | None:
        async with websockets.connect(ws_url(world.url), subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": world.admin_token}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                "query": "subscription($k: [String!]) { alertEvents(filter: {kinds: $k}) { kind } }",
                "variables": {"k": ["a\u0000b"]},
            }}))
            try:
                await asyncio.wait_for(ws.recv(), timeout=5)
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None
            return None

    assert asyncio.run(attempt()) == 4400


@pytest.mark.parametrize(
    ("template", "refused"),
    [("{{ labels.² }}", False), ("{{ labels." + "1" * 5000 + " }}", False), ("{{ labels[" + "9" * 5000 + "] }}", True)],
    ids=["superscript-key", "5000-digit-key", "5000-digit-index"],
)
def test_a_template_with_numbers_int_cannot_read_gets_a_clear_answer(world: World, template: str, refused: bool) -> None:
    """A superscript digit and 5,000 digits both passed str.isdigit() and then failed int()
    inside. Now a path segment that is no sane index is a key (missing here: empty), and such an
    index in brackets is refused."""
    answer = gql(world.url, world.admin_token, "mutation($t: JSON) { previewTemplate(payload: {labels: [1]}, templates: $t) { summary } }",
                 t={"summary": template})
    if refused:
        assert "more than 18 digits" in clear_error(answer)
    else:
        assert answer == {"data": {"previewTemplate": {"summary": ""}}}
