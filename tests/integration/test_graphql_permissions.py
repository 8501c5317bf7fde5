"""Team walls and roles against a real server: a user of Web cannot read, act on or subscribe
to Ops's alerts by any path (alert, alerts, node, mutations, alertEvents over a real WebSocket);
stakeholders only read; coverage request events reach only those who may see the request.
Internal errors are masked."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pagerline.graphql.schema import schema
from pagerline.models import AlertLogEntry, CoverageRequest
from tests.support.databases import TemplateDatabases
from tests.support.graphql import World, collect, data, error_code, fire_ok, gql, in_db, running_world
from tests.support.seed import Org

ALERT_EVENTS = "subscription { alertEvents { kind alert { id summary } } }"
COVERAGE_EVENTS = "subscription { coverageRequestEvents { kind request { id message status } } }"


@pytest.fixture(scope="module")
def world(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world(templates, tmp_path_factory.mktemp("gql-perm")) as made:
        yield made


def test_another_team_cannot_read_an_alert_by_any_query(world: World) -> None:
    alert_id = fire_ok(world.url, world.ops.api_key, "ops-private", "Ops private disk")
    outsider = world.web.alice_token
    assert data(world.url, outsider, "query($id: ID!) { alert(id: $id) { id } }", id=str(alert_id))["alert"] is None
    assert data(world.url, outsider, "query($id: ID!) { node(id: $id) { globalId } }", id=f"Alert:{alert_id}")["node"] is None
    for arguments in ("first: 100", 'text: "ops private"', f"teamId: {world.ops.team_id}", f"sourceId: {world.ops.api_source_id}"):
        edges = data(world.url, outsider, f"{{ alerts({arguments}) {{ edges {{ node {{ id }} }} }} }}")["alerts"]["edges"]
        assert str(alert_id) not in {e["node"]["id"] for e in edges}, arguments
    # Its own team sees it by each path.
    insider = world.ops.bob_token
    assert data(world.url, insider, "query($id: ID!) { node(id: $id) { ... on Alert { summary } } }", id=f"Alert:{alert_id}")["node"] == {"summary": "Ops private disk"}
    edges = data(world.url, insider, f"{{ alerts(teamId: {world.ops.team_id}) {{ edges {{ node {{ id }} }} }} }}")["alerts"]["edges"]
    assert str(alert_id) in {e["node"]["id"] for e in edges}


def _entries(world: World, alert_id: int) -> list[str]:
    return list(in_db(world.database_url, lambda: AlertLogEntry.filter(alert_id=alert_id).order_by("id").values_list("kind", flat=True)))


def test_another_team_and_stakeholders_cannot_act(world: World) -> None:
    alert_id = fire_ok(world.url, world.ops.api_key, "ops-act", "Ops act")
    mutations = ("acceptAlert(id: $id)", "resolveAlert(id: $id)", 'commentAlert(id: $id, text: "mine now")', "escalateAlert(id: $id)")
    for token, code in ((world.web.alice_token, "NOT_FOUND"), (world.stakeholder_token, "FORBIDDEN")):
        for mutation in mutations:
            body = gql(world.url, token, f"mutation($id: ID!) {{ {mutation} {{ status }} }}", id=str(alert_id))
            assert error_code(body) == code, (mutation, body)
            assert body["errors"][0]["message"]
    status = data(world.url, world.ops.alice_token, "query($id: ID!) { alert(id: $id) { status } }", id=str(alert_id))
    assert status["alert"]["status"] == "PENDING"
    # Nothing was written (deliveries by the worker may add NOTIFIED entries meanwhile).
    assert not {"ACCEPTED", "RESOLVED", "COMMENT", "ESCALATED"} & set(_entries(world, alert_id))


def test_alert_events_never_carry_another_teams_alert(world: World) -> None:
    secret: dict[str, int] = {}

    def trigger() -> None:
        secret["id"] = fire_ok(world.url, world.ops.api_key, "ops-sub-secret", "Ops secret")
        data(world.url, world.ops.alice_token, 'mutation($id: ID!) { commentAlert(id: $id, text: "hush") { status } }', id=str(secret["id"]))
        data(world.url, world.ops.alice_token, "mutation($id: ID!) { acceptAlert(id: $id) { status } }", id=str(secret["id"]))
        fire_ok(world.url, world.web.api_key, "web-sentinel", "Web sentinel")

    received = asyncio.run(collect(
        world.url, world.web.alice_token, ALERT_EVENTS,
        warm_up=lambda i: fire_ok(world.url, world.web.api_key, f"web-warm-{i}", "warm-up") and None,
        is_warm_up=lambda event: event["alertEvents"]["alert"]["summary"] == "warm-up",
        trigger=trigger,
        done=lambda got: any(e["alertEvents"]["alert"]["summary"] == "Web sentinel" for e in got),
    ))
    assert any(e["alertEvents"]["alert"]["summary"] == "Web sentinel" for e in received), received
    assert all(e["alertEvents"]["alert"]["id"] != str(secret["id"]) for e in received), received


def _schedule(world: World, org: Org) -> None:
    day0 = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    data(world.url, org.alice_token, """mutation($t: ID, $s: DateTime!, $a: ID!, $b: ID!) {
        createSchedule(name: "Rota", teamId: $t, layers: [{startsOn: $s, rotation: "P1D", userIds: [$a, $b]}]) { id } }""",
         t=str(org.team_id), s=day0.isoformat(), a=str(org.alice_id), b=str(org.bob_id))


def _request(world: World, org: Org, message: str, later_days: int = 0) -> str:
    """Alice asks Bob to cover a two-day window (Alice has a shift in any two days of the rota)."""
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1 + later_days)
    body = data(world.url, org.alice_token, """mutation($s: DateTime!, $e: DateTime!, $m: String!, $u: ID!) {
        requestCoverage(start: $s, end: $e, message: $m, userIds: [$u]) { id } }""",
                s=start.isoformat(), e=(start + timedelta(days=2)).isoformat(), m=message, u=str(org.bob_id))
    return str(body["requestCoverage"]["id"])


def _coverage(event: dict[str, Any]) -> tuple[str, str, str]:
    got = event["coverageRequestEvents"]
    return got["kind"], got["request"]["message"], got["request"]["status"]


@pytest.fixture(scope="module")
def rotas(world: World) -> None:
    _schedule(world, world.ops)
    _schedule(world, world.web)


@pytest.mark.usefixtures("rotas")
def test_coverage_request_events_reach_the_asked_and_nobody_outside(world: World) -> None:
    warm_ups: list[str] = []

    def trigger() -> None:
        _request(world, world.web, "web private")
        real = _request(world, world.ops, "please cover")
        data(world.url, world.ops.bob_token, "mutation($id: ID!) { acceptCoverageRequest(id: $id) { status } }", id=real)
        # A pending request whose start has passed expires (the server's sweeper does it).
        in_db(world.database_url, lambda: CoverageRequest.filter(id=int(warm_ups[0])).update(start=datetime.now(UTC) - timedelta(minutes=1)))

    received = asyncio.run(collect(
        world.url, world.ops.bob_token, COVERAGE_EVENTS,
        warm_up=lambda i: warm_ups.append(_request(world, world.ops, "warm-up")),
        is_warm_up=lambda event: _coverage(event)[:2] == ("REQUESTED", "warm-up"),
        trigger=trigger,
        done=lambda got: any(_coverage(e)[0] == "EXPIRED" for e in got),
        quiet_seconds=15,
    ))
    kinds = [_coverage(e) for e in received]
    assert ("REQUESTED", "please cover", "PENDING") in kinds
    assert ("ACCEPTED", "please cover", "ACCEPTED") in kinds
    assert ("EXPIRED", "warm-up", "EXPIRED") in kinds
    assert all(message != "web private" for _, message, _ in kinds), kinds


@pytest.mark.usefixtures("rotas")
def test_coverage_request_events_of_another_team_stay_there(world: World) -> None:
    def trigger() -> None:
        _request(world, world.ops, "ops private", later_days=4)  # a window nobody has taken over
        _request(world, world.web, "web sentinel")

    received = asyncio.run(collect(
        world.url, world.web.bob_token, COVERAGE_EVENTS,
        warm_up=lambda i: _request(world, world.web, "warm-up") and None,
        is_warm_up=lambda event: _coverage(event)[1] == "warm-up",
        trigger=trigger,
        done=lambda got: any(_coverage(e)[1] == "web sentinel" for e in got),
    ))
    assert [_coverage(e)[1] for e in received] == ["web sentinel"]


def test_internal_errors_are_masked_user_errors_are_not() -> None:
    async def run(query: str, context: dict[str, Any]) -> Any:
        return await schema.execute(query, context_value=context)

    # No request in the context: login fails inside the server, and the client learns nothing.
    internal = asyncio.run(run('mutation { login(email: "a@b.c", password: "x") { token } }', {"viewer": None}))
    assert [e.message for e in internal.errors] == ["Unexpected error."]
    assert not (internal.errors[0].extensions or {}).get("code")
    user = asyncio.run(run("{ me { name } }", {"viewer": None}))
    assert user.errors[0].extensions == {"code": "UNAUTHENTICATED"}
