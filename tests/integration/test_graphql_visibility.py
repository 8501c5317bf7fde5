"""Who sees which people and teams, per role, against a real server: admins see everyone;
a USER, a RESPONDER and a STAKEHOLDER of Ops see Ops and its members (themselves included) and
nothing of Web: not in `users` or `teams`, not by `node(id:)`, not through a person's `teams`,
and Web's ids answer as unknown ones (null / NOT_FOUND, never FORBIDDEN)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.databases import TemplateDatabases
from tests.support.graphql import World, data, error_code, gql, running_world

OPS_PEOPLE = {"alice@ops.test", "bob@ops.test", "watcher@ops.test"}
WEB_PEOPLE = {"alice@web.test", "bob@web.test"}
NODE = "query($id: ID!) { node(id: $id) { globalId } }"


@pytest.fixture(scope="module")
def world(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world(templates, tmp_path_factory.mktemp("gql-visibility")) as made:
        yield made


def ops_members(world: World) -> dict[str, str]:
    """role name -> token of each non-admin role in Ops."""
    return {"USER": world.ops.alice_token, "RESPONDER": world.ops.bob_token, "STAKEHOLDER": world.stakeholder_token}


@pytest.mark.parametrize("role", ["USER", "RESPONDER", "STAKEHOLDER"])
def test_a_team_member_sees_their_team_and_teammates_only(world: World, role: str) -> None:
    token = ops_members(world)[role]
    listed = data(world.url, token, "{ users { email teams { name } } teams { name members { email } } me { teams { name } } }")
    assert {u["email"] for u in listed["users"]} == OPS_PEOPLE
    assert {t["name"] for u in listed["users"] for t in u["teams"]} == {"Ops"}
    assert [t["name"] for t in listed["teams"]] == ["Ops"]
    assert {m["email"] for m in listed["teams"][0]["members"]} == OPS_PEOPLE
    assert listed["me"]["teams"] == [{"name": "Ops"}]

    # Web's team and people by id: unknown, exactly like ids that do not exist.
    for global_id in (f"Team:{world.web.team_id}", f"User:{world.web.alice_id}", f"User:{world.web.bob_id}", "Team:999999", "User:999999"):
        assert data(world.url, token, NODE, id=global_id)["node"] is None, global_id
    # Their own team and a teammate by id.
    assert data(world.url, token, NODE, id=f"Team:{world.ops.team_id}")["node"] == {"globalId": f"Team:{world.ops.team_id}"}
    assert data(world.url, token, NODE, id=f"User:{world.ops.alice_id}")["node"] == {"globalId": f"User:{world.ops.alice_id}"}


@pytest.mark.parametrize("role", ["USER", "RESPONDER", "STAKEHOLDER"])
def test_another_teams_membership_answers_not_found(world: World, role: str) -> None:
    token = ops_members(world)[role]
    for mutation in ("addTeamMember", "removeTeamMember"):
        body = gql(world.url, token, f"mutation($t: ID!, $u: ID!) {{ {mutation}(teamId: $t, userId: $u) {{ members {{ email }} }} }}",
                   t=str(world.web.team_id), u=str(world.web.alice_id))
        assert error_code(body) == "NOT_FOUND", body
        assert "alice@web.test" not in str(body)


def test_admins_see_every_team_and_person(world: World) -> None:
    listed = data(world.url, world.admin_token, "{ users { email teams { name } } teams { name } }")
    assert OPS_PEOPLE | WEB_PEOPLE | {"root@org.test"} == {u["email"] for u in listed["users"]}
    assert {t["name"] for t in listed["teams"]} == {"Ops", "Web"}
    assert data(world.url, world.admin_token, NODE, id=f"Team:{world.web.team_id}")["node"] is not None
    assert data(world.url, world.admin_token, NODE, id=f"User:{world.web.alice_id}")["node"] is not None


def test_someone_paged_by_a_visible_policy_is_shown_there_without_their_other_teams(world: World) -> None:
    """Web's Alice is on a rule of an Ops policy: Ops sees who is paged, not Web's name."""
    policy = data(world.url, world.admin_token, """mutation($t: ID, $u: ID!) { createEscalationPolicy(name: "Ops with outside help",
        teamId: $t, rules: [{escalationTimeout: 5, userIds: [$u]}]) { id } }""", t=str(world.ops.team_id), u=str(world.web.alice_id))
    query = "query($id: ID!) { node(id: $id) { ... on EscalationPolicy { rules { users { email teams { name } } } } } }"
    seen = data(world.url, world.ops.bob_token, query, id=f"EscalationPolicy:{policy['createEscalationPolicy']['id']}")
    assert seen["node"]["rules"] == [{"users": [{"email": "alice@web.test", "teams": []}]}]
    assert "alice@web.test" not in {u["email"] for u in data(world.url, world.ops.bob_token, "{ users { email } }")["users"]}


@pytest.fixture(scope="module")
def web_schedule(world: World) -> str:
    made = data(world.url, world.admin_token, """mutation($t: ID, $s: DateTime!, $a: ID!) { createSchedule(name: "Web rota", teamId: $t,
        layers: [{startsOn: $s, rotation: "P1D", userIds: [$a]}]) { id } }""", t=str(world.web.team_id), s="2026-01-05T09:00:00Z", a=str(world.web.alice_id))
    return str(made["createSchedule"]["id"])


@pytest.mark.parametrize("role", ["USER", "RESPONDER", "STAKEHOLDER"])
def test_no_list_or_node_shows_another_teams_configuration(world: World, role: str, web_schedule: str) -> None:
    token = ops_members(world)[role]
    seen = data(world.url, token, "{ alertSources { name } escalationPolicies { name } schedules { name } onCall { schedule { name } } onCallByPolicy { policyName } }")
    names = str(seen)
    assert "Ops API" in names and "Ops policy" in names
    assert "Web" not in names, seen
    for global_id in (f"AlertSource:{world.web.api_source_id}", f"EscalationPolicy:{world.web.policy_id}"):
        assert data(world.url, token, NODE, id=global_id)["node"] is None, global_id
    assert data(world.url, token, "query($id: ID!) { schedule(id: $id) { name } }", id=web_schedule)["schedule"] is None
    for query in ("{ heartbeats(sourceId: $id) { id } }", "{ alertActions(sourceId: $id) { id } }", "{ droppedEvents(sourceId: $id) { id } }"):
        body = gql(world.url, token, "query($id: ID!) " + query, id=str(world.web.api_source_id))
        assert error_code(body) == "NOT_FOUND", (query, body)
