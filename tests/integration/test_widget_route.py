"""``GET /api/widget`` and the GraphQL ``widget`` through a real server: user and widget tokens,
ETag / If-None-Match until an override changes the feed, Cache-Control matching refreshAfter,
the same document over GraphQL; a widget token opens nothing else (every GraphQL field, every
subscription over WebSocket, every other route), a revoked one not even the feed; and
``onCallChanges`` shows a subscriber only its teams' schedules and its own on-call."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import websockets
from starlette.routing import Mount, Route, WebSocketRoute

from pagerline.app import create_app
from pagerline.engine.people.accounts import create_token, create_user
from pagerline.models import Role, Schedule, ScheduleLayer, Team, TokenKind
from pagerline.settings import Settings
from pagerline.widgets.feed import stable_part
from tests.support.databases import TemplateDatabases
from tests.support.graphql import World, collect, data, error_code, gql, in_db, running_world, ws_url

FEED_QUERY = """query($levels: [String!]) { widget(levels: $levels) {
  generatedAt onCall through { schedules levels } shift { endsAt secondsLeft } nextShift { startsAt endsAt }
  alerts { pending { high low } accepted { high low } } mutedUntil
  timeline { at onCall through { schedules levels } } refreshAfter coverage { app web }
  schedules { id name } policies { id name } levels } }"""


@dataclass
class Widget:
    world: World
    dana_token: str  # a user on the Ops rotation, named in no escalation rule
    schedule_id: int
    web_schedule_id: int
    warm_up_schedule_id: int  # an Ops schedule edited only to see that a subscription is live
    widget_token: str
    revoked_token: str

    @property
    def url(self) -> str:
        return self.world.url


async def _seed(world: World) -> tuple[str, int, int, int]:
    now = datetime.now(UTC)
    dana = await create_user("dana@ops.test", "Dana", "dana-password", Role.USER, "UTC", ["Ops"])
    _, token = await create_token(dana.id, TokenKind.API, now, "test")
    ops_team = await Team.get(name="Ops")
    web_team = await Team.get(name="Web")
    # Dana's shift began three hours ago and lasts a day; then Bob's.
    primary = await Schedule.create(name="Ops primary", timezone="UTC", team=ops_team)
    await ScheduleLayer.create(schedule=primary, position=0, starts_on=now - timedelta(hours=3), rotation="P1D", user_ids=[dana.id, world.ops.bob_id])
    web = await Schedule.create(name="Web primary", timezone="UTC", team=web_team)
    await ScheduleLayer.create(schedule=web, position=0, starts_on=now - timedelta(hours=3), rotation="P1D", user_ids=[world.web.alice_id])
    warm_up = await Schedule.create(name="Ops warm-up", timezone="UTC", team=ops_team)
    return token, primary.id, web.id, warm_up.id


@pytest.fixture(scope="module")
def widget(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Widget]:
    with running_world(templates, tmp_path_factory.mktemp("widget")) as world:
        token, schedule_id, web_id, warm_up_id = in_db(world.database_url, lambda: _seed(world))
        made = data(world.url, token, 'mutation { createWidgetToken(name: "Dana\'s phone") { secret token { id kind name } } }')
        assert made["createWidgetToken"]["token"]["kind"] == "WIDGET"
        doomed = data(world.url, token, 'mutation { createWidgetToken(name: "old tablet") { secret token { id } } }')
        assert data(world.url, token, "mutation($id: ID!) { revokeWidgetToken(id: $id) }", id=doomed["createWidgetToken"]["token"]["id"])
        yield Widget(world, token, schedule_id, web_id, warm_up_id, made["createWidgetToken"]["secret"], doomed["createWidgetToken"]["secret"])


def get_feed(w: Widget, token: str | None, **headers: str) -> httpx.Response:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.get(f"{w.url}/api/widget", headers=headers, timeout=10)


def test_user_and_widget_tokens_read_the_same_feed(widget: Widget) -> None:
    by_user, by_widget = get_feed(widget, widget.dana_token), get_feed(widget, widget.widget_token)
    for response in (by_user, by_widget):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        assert re.fullmatch(r'W/"[0-9a-f]{32}"', response.headers["etag"])
        assert response.headers["vary"] == "Authorization"
        assert response.headers["cache-control"] == f"private, max-age={response.json()['refreshAfter']}"
        assert b": " not in response.content and b", " not in response.content  # compact
    body = by_user.json()
    assert body["onCall"] is True and body["through"] == {"schedules": [str(widget.schedule_id)], "levels": []}
    assert body["schedules"] == [{"id": str(widget.schedule_id), "name": "Ops primary"}]
    assert [e["onCall"] for e in body["timeline"]] == [False, True]
    assert body["coverage"]["web"].startswith(f"{widget.url}/#/coverage/request?end=")  # links follow the port
    assert stable_part(by_widget.json()) == stable_part(body)
    assert by_widget.headers["etag"] == by_user.headers["etag"]


def test_graphql_widget_is_the_same_document(widget: Widget) -> None:
    http = get_feed(widget, widget.widget_token).json()
    over_graphql = data(widget.url, widget.widget_token, FEED_QUERY)["widget"]
    assert list(over_graphql) == list(http)  # same fields, same order
    assert stable_part(over_graphql) == stable_part(http)
    selected = data(widget.url, widget.dana_token, FEED_QUERY, levels=["1"])["widget"]
    assert selected["levels"] == ["1"] and selected["onCall"] is False  # no escalation rule names her schedule
    assert error_code(gql(widget.url, widget.widget_token, FEED_QUERY, levels=["0"])) == "BAD_USER_INPUT"


def test_304_until_an_override_changes_the_feed(widget: Widget) -> None:
    first = get_feed(widget, widget.widget_token)
    tag = first.headers["etag"]
    again = get_feed(widget, widget.widget_token, **{"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag and again.headers["cache-control"].startswith("private, max-age=")
    assert get_feed(widget, widget.widget_token, **{"If-None-Match": f'"other", {tag.removeprefix("W/")}'}).status_code == 304

    soon = datetime.now(UTC) + timedelta(hours=2)
    data(widget.url, widget.dana_token, "mutation($s: ID!, $u: ID!, $a: DateTime!, $b: DateTime!) { createOverride(scheduleId: $s, userId: $u, start: $a, end: $b) { id } }",
         s=str(widget.schedule_id), u=str(widget.world.ops.bob_id), a=soon.isoformat(), b=(soon + timedelta(hours=1)).isoformat())
    changed = get_feed(widget, widget.widget_token, **{"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    assert [e["onCall"] for e in changed.json()["timeline"]][:2] == [False, True]  # Bob's hour off her shift
    assert get_feed(widget, widget.widget_token, **{"If-None-Match": changed.headers["etag"]}).status_code == 304


def test_bad_or_missing_credentials_and_levels(widget: Widget) -> None:
    for token in (None, "plw_forged", widget.revoked_token, widget.world.ops.api_key):
        response = get_feed(widget, token)
        assert response.status_code == 401, token
        assert response.json()["code"] == "UNAUTHENTICATED" and response.headers["www-authenticate"].startswith("Bearer")
    bad = httpx.get(f"{widget.url}/api/widget?levels=1,x", headers={"Authorization": f"Bearer {widget.widget_token}"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["code"] == "BAD_USER_INPUT" and "'x'" in bad.json()["message"]
    assert error_code(gql(widget.url, widget.revoked_token, "{ widget { onCall } }")) == "UNAUTHENTICATED"


def test_widget_tokens_are_listed_and_only_their_owner_revokes_them(widget: Widget) -> None:
    listed = data(widget.url, widget.dana_token, "{ widgetTokens { id name kind } }")["widgetTokens"]
    assert [(t["name"], t["kind"]) for t in listed] == [("Dana's phone", "WIDGET")]  # the revoked one is gone
    other = gql(widget.url, widget.world.ops.alice_token, "mutation($id: ID!) { revokeWidgetToken(id: $id) }", id=listed[0]["id"])
    assert error_code(other) == "NOT_FOUND"
    assert error_code(gql(widget.url, widget.dana_token, 'mutation { createWidgetToken(name: "  ") { secret } }')) == "BAD_USER_INPUT"
    assert get_feed(widget, widget.widget_token).status_code == 200


# --------------------------------------------------------------------------- nothing else


_INTROSPECTION = """{ __schema {
  queryType { name } mutationType { name } subscriptionType { name }
  types { name kind enumValues { name } inputFields { name type { ...T } }
          fields { name type { ...T } args { name defaultValue type { ...T } } } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }"""

_SCALARS = {"ID": '"1"', "String": '"x"', "Int": "1", "Float": "1.0", "Boolean": "true", "DateTime": '"2026-11-26T09:00:00+00:00"'}


def _unwrap(t: dict[str, Any]) -> dict[str, Any]:
    while t.get("ofType"):
        t = t["ofType"]
    return t


def _literal(t: dict[str, Any], types: dict[str, dict[str, Any]]) -> str:
    """A value of GraphQL type ``t`` (required parts only) as a literal."""
    if t["kind"] == "NON_NULL":
        return _literal(t["ofType"], types)
    if t["kind"] == "LIST":
        return f"[{_literal(t['ofType'], types)}]"
    named = types[t["name"]]
    if named["kind"] == "ENUM":
        return named["enumValues"][0]["name"]
    if named["kind"] == "INPUT_OBJECT":
        fields = [f"{f['name']}: {_literal(f['type'], types)}" for f in named["inputFields"] if f["type"]["kind"] == "NON_NULL"]
        return "{" + ", ".join(fields) + "}"
    return _SCALARS.get(named["name"], '"x"')


def operations(widget: Widget) -> list[tuple[str, str, str]]:
    """(operation type, field, document) for every root field of the live schema, with
    placeholder values for the required arguments."""
    schema = data(widget.url, widget.dana_token, _INTROSPECTION)["__schema"]
    types = {t["name"]: t for t in schema["types"]}
    out = []
    for op, root in (("query", schema["queryType"]), ("mutation", schema["mutationType"]), ("subscription", schema["subscriptionType"])):
        for field in types[root["name"]]["fields"]:
            # Every argument without a default: a resolver must not fail on its arguments before
            # it looks at the token.
            args = [f"{a['name']}: {_literal(a['type'], types)}" for a in field["args"] if a["defaultValue"] is None]
            call = field["name"] + (f"({', '.join(args)})" if args else "")
            selection = " { __typename }" if types[_unwrap(field["type"])["name"]]["kind"] in ("OBJECT", "INTERFACE", "UNION") else ""
            out.append((op, field["name"], f"{op} {{ {call}{selection} }}"))
    return out


PUBLIC_FIELDS = {"login", "invitation", "acceptInvitation"}  # need no token: a widget token adds nothing to them
FEED_FIELDS = {"widget"}


def test_a_widget_token_is_refused_by_every_query_and_mutation(widget: Widget) -> None:
    checked = []
    for op, field, document in operations(widget):
        if op == "subscription" or field in FEED_FIELDS:
            continue
        body = gql(widget.url, widget.widget_token, document)
        if field in PUBLIC_FIELDS:
            # Answered as for anyone: the made-up arguments name no account and no invitation.
            if field == "invitation":
                assert body == {"data": {"invitation": None}}, body
            else:
                assert error_code(body) in ("BAD_USER_INPUT", "UNAUTHENTICATED", "NOT_FOUND"), body
            continue
        assert error_code(body) == "FORBIDDEN", (field, body)
        assert not (body.get("data") or {}).get(field), (field, body)
        checked.append(field)
    assert {"me", "alerts", "schedules", "widgetTokens", "acceptAlert", "createWidgetToken", "createOverride"} <= set(checked)


def test_a_widget_token_is_refused_by_every_subscription(widget: Widget) -> None:
    subscriptions = [(field, document) for op, field, document in operations(widget) if op == "subscription"]
    assert {"alertEvents", "onCallChanges"} <= {field for field, _ in subscriptions}

    async def first_answer(document: str) -> dict[str, Any]:
        async with websockets.connect(ws_url(widget.url), subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": widget.widget_token}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": document}}))
            return json.loads(await asyncio.wait_for(ws.recv(), timeout=5))  # type: ignore[no-any-return]

    for field, document in subscriptions:
        answer = asyncio.run(first_answer(document))
        assert answer["type"] == "error" or answer["payload"].get("errors"), (field, answer)
        errors = answer["payload"] if answer["type"] == "error" else answer["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "FORBIDDEN", (field, answer)


def _routes() -> list[tuple[str, str]]:
    """(method, path template) of every HTTP route the application has (WebSocket GraphQL is
    covered by the subscription test)."""
    app = create_app(Settings(secret_key="x"))
    out = []
    for route in app.routes:
        if isinstance(route, Route):
            out += [(m, route.path) for m in sorted(route.methods or {"GET"}) if m != "HEAD"]
        elif isinstance(route, Mount):
            out.append(("GET", route.path + "/{path}"))  # static files: public, nothing behind a token
        else:
            assert isinstance(route, WebSocketRoute) and route.path == "/graphql", route
    return out


def test_a_widget_token_opens_no_other_route(widget: Widget) -> None:
    """Sent every way a route takes a credential (Bearer header, path secret, body token), a
    widget token never gets a 2xx that an anonymous request would not get too."""
    token = widget.widget_token
    routes = _routes()
    assert ("GET", "/api/widget") in routes and ("POST", "/api/actions") in routes and ("GET", "/ical/{token:str}.ics") in routes
    for method, template in routes:
        if template == "/api/widget":
            continue
        path = re.sub(r"\{[^}]+\}", token, template)
        body = {"token": token, "action": "accept", "integrationKey": token, "apiKey": token, "eventType": "ALERT", "summary": "x",
                "query": "{ me { id } }"}
        sent = {"params": {"token": token, "action": "accept"}, "json": body if method == "POST" else None, "timeout": 10}
        with_token = httpx.request(method, f"{widget.url}{path}", headers={"Authorization": f"Bearer {token}"}, **sent)  # type: ignore[arg-type]
        anonymous = httpx.request(method, f"{widget.url}{path}", **sent)  # type: ignore[arg-type]
        if with_token.is_success:
            assert anonymous.is_success, (method, template, with_token.status_code, with_token.text[:200])
            if "json" in with_token.headers.get("content-type", "") and "/graphql" in path:
                assert "errors" in with_token.json(), (method, template, with_token.text[:200])
        else:
            assert 400 <= with_token.status_code < 500, (method, template, with_token.status_code)


# --------------------------------------------------------------------------- onCallChanges


def test_on_call_changes_show_only_my_teams_schedules_and_my_own_on_call(widget: Widget) -> None:
    world = widget.world
    start = datetime.now(UTC) - timedelta(hours=1)
    override = "mutation($s: ID!, $u: ID!, $a: DateTime!, $b: DateTime!) { createOverride(scheduleId: $s, userId: $u, start: $a, end: $b) { id } }"

    def edit(schedule_id: int, user_id: int, hours_from_now: int) -> None:
        begin = datetime.now(UTC) + timedelta(hours=hours_from_now)
        data(world.url, world.admin_token, override, s=str(schedule_id), u=str(user_id), a=begin.isoformat(),
             b=(begin + timedelta(minutes=30)).isoformat())

    def trigger() -> None:
        edit(widget.web_schedule_id, world.web.alice_id, 40)  # another team's schedule: not for Ops' Alice
        # Ops' Alice takes Web's schedule right now (reaching back an hour): her own on-call.
        data(world.url, world.admin_token, override, s=str(widget.web_schedule_id), u=str(world.ops.alice_id),
             a=start.isoformat(), b=(start + timedelta(hours=2)).isoformat())
        edit(widget.schedule_id, world.ops.bob_id, 41)  # her team's schedule

    query = "subscription { onCallChanges { kind at user { name email } schedules { name } } }"
    events = asyncio.run(collect(
        world.url, world.ops.alice_token, query,
        warm_up=lambda attempt: edit(widget.warm_up_schedule_id, world.ops.bob_id, 50 + attempt),
        is_warm_up=lambda event: event["onCallChanges"]["schedules"] == [{"name": "Ops warm-up"}],
        trigger=trigger,
        done=lambda got: any(e["onCallChanges"]["schedules"] == [{"name": "Ops primary"}] for e in got),
    ))
    seen = [(e["onCallChanges"]["kind"], [s["name"] for s in e["onCallChanges"]["schedules"]],
             (e["onCallChanges"]["user"] or {}).get("email")) for e in events]
    assert ("STARTED", ["Web primary"], "alice@ops.test") in seen
    assert ("CHANGED", ["Ops primary"], None) in seen
    assert all(not (schedules == ["Web primary"] and email != "alice@ops.test") for _, schedules, email in seen), seen
