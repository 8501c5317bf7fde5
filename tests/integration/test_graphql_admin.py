"""The admin surface against a real server: teams and users (admins), alert sources with
integration keys shown only to their managers and rotated so the old key 404s at once,
escalation policies with rules, notification rules; and bad input changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pagerline.models import AlertSource, EscalationPolicy, NotificationRule, User
from tests.support.databases import TemplateDatabases
from tests.support.graphql import World, data, error_code, fire, gql, in_db, running_world

SOURCE_FIELDS = "id name integrationType defaultPriority integrationKey integrationKeyPrefix team { name } escalationPolicy { name }"
POLICY_FIELDS = "id name repeating frequency routingKey team { name } rules { position escalationTimeout users { name } schedules { name } }"
CREATE_POLICY = """mutation($name: String!, $team: ID, $rules: [EscalationRuleInput!]!, $routing: String) {
  createEscalationPolicy(name: $name, teamId: $team, rules: $rules, routingKey: $routing) { %s } }""" % POLICY_FIELDS
CREATE_SOURCE = """mutation($name: String!, $policy: ID!, $team: ID) {
  createAlertSource(name: $name, escalationPolicyId: $policy, teamId: $team, defaultPriority: LOW) { %s } }""" % SOURCE_FIELDS


@pytest.fixture(scope="module")
def world(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world(templates, tmp_path_factory.mktemp("gql-admin")) as made:
        yield made


def count(world: World, model: Any) -> int:
    return int(in_db(world.database_url, lambda: model.all().count()))


def test_admins_create_teams_and_users_others_may_not(world: World) -> None:
    users_before = count(world, User)
    for token in (world.ops.alice_token, world.ops.bob_token, world.stakeholder_token):
        body = gql(world.url, token, 'mutation { createUser(email: "x@org.test", name: "X", role: ADMIN) { id } }')
        assert error_code(body) == "FORBIDDEN"
        assert error_code(gql(world.url, token, 'mutation { createTeam(name: "Rogue") { id } }')) == "FORBIDDEN"
    assert count(world, User) == users_before

    team = data(world.url, world.admin_token, 'mutation { createTeam(name: "Data") { id name members { name } } }')["createTeam"]
    assert team["name"] == "Data" and team["members"] == []
    assert error_code(gql(world.url, world.admin_token, 'mutation { createTeam(name: "Data") { id } }')) == "CONFLICT"
    created = data(world.url, world.admin_token, """mutation($t: ID!) { createUser(email: "Dana@Org.test", name: "Dana", role: RESPONDER,
        password: "dana-password", teamIds: [$t]) { id email role teams { name } notificationRules { method delayMin priority } } }""", t=team["id"])["createUser"]
    assert (created["email"], created["role"], created["teams"]) == ("dana@org.test", "RESPONDER", [{"name": "Data"}])
    assert created["notificationRules"] == [  # ilert's defaults
        {"method": "PUSH", "delayMin": 0, "priority": "HIGH"}, {"method": "SMS", "delayMin": 5, "priority": "HIGH"},
        {"method": "VOICE", "delayMin": 10, "priority": "HIGH"}, {"method": "PUSH", "delayMin": 0, "priority": "LOW"},
    ]
    duplicate = gql(world.url, world.admin_token, 'mutation { createUser(email: "dana@org.test", name: "Dana 2") { id } }')
    assert error_code(duplicate) == "CONFLICT"
    bad_zone = gql(world.url, world.admin_token, 'mutation { createUser(email: "z@org.test", name: "Z", timezone: "Mars/Base") { id } }')
    assert error_code(bad_zone) == "BAD_USER_INPUT"

    promoted = data(world.url, world.admin_token, 'mutation($id: ID!) { updateUser(id: $id, role: USER, name: "Dana D.") { role name } }', id=created["id"])
    assert promoted["updateUser"] == {"role": "USER", "name": "Dana D."}
    assert error_code(gql(world.url, world.ops.alice_token, 'mutation($id: ID!) { updateUser(id: $id, role: ADMIN) { role } }', id=created["id"])) == "FORBIDDEN"
    last_admin = gql(world.url, world.admin_token, "mutation($id: ID!) { updateUser(id: $id, role: USER) { role } }", id=str(world.admin_id))
    assert error_code(last_admin) == "CONFLICT"

    # Membership: admins, and USERs of the team; nobody else.
    dana = created["id"]
    ops_team = str(world.ops.team_id)
    assert error_code(gql(world.url, world.ops.bob_token, "mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u) { id } }", t=ops_team, u=dana)) == "FORBIDDEN"
    assert error_code(gql(world.url, world.web.alice_token, "mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u) { id } }", t=ops_team, u=dana)) == "NOT_FOUND"  # another team's id is an unknown one
    added = data(world.url, world.ops.alice_token, "mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u) { members { name } } }", t=ops_team, u=dana)
    assert {"name": "Dana D."} in added["addTeamMember"]["members"]
    removed = data(world.url, world.ops.alice_token, "mutation($t: ID!, $u: ID!) { removeTeamMember(teamId: $t, userId: $u) { members { name } } }", t=ops_team, u=dana)
    assert {"name": "Dana D."} not in removed["removeTeamMember"]["members"]
    listed = data(world.url, world.admin_token, "{ users { name } teams { name } }")
    assert {"name": "Dana D."} in listed["users"] and {"name": "Data"} in listed["teams"]
    # Others see their teams and teammates only (tests/integration/test_graphql_visibility.py).
    listed = data(world.url, world.stakeholder_token, "{ users { name } teams { name } }")
    assert {"name": "Dana D."} not in listed["users"] and listed["teams"] == [{"name": "Ops"}]


def _rules(world: World) -> list[dict[str, Any]]:
    return [{"escalationTimeout": 5, "userIds": [str(world.ops.alice_id)]}, {"escalationTimeout": 15, "userIds": [str(world.ops.bob_id)]}]


def test_sources_keys_only_for_managers_and_rotation_retires_the_old_key(world: World) -> None:
    team = str(world.ops.team_id)
    policy = data(world.url, world.ops.alice_token, CREATE_POLICY, name="Ops nights", team=team, rules=_rules(world))["createEscalationPolicy"]
    assert [r["escalationTimeout"] for r in policy["rules"]] == [5, 15]
    assert [r["users"] for r in policy["rules"]] == [[{"name": "Alice"}], [{"name": "Bob"}]]

    created = data(world.url, world.ops.alice_token, CREATE_SOURCE, name="Ops Prometheus", policy=policy["id"], team=team)["createAlertSource"]
    key = created["integrationKey"]
    assert key and created["integrationKeyPrefix"] == key[:8]
    assert (created["defaultPriority"], created["team"], created["escalationPolicy"]) == ("LOW", {"name": "Ops"}, {"name": "Ops nights"})
    assert fire(world.url, key, "k-1").status_code == 202

    def listed(token: str) -> dict[str, Any] | None:
        rows = data(world.url, token, "{ alertSources { %s } }" % SOURCE_FIELDS)["alertSources"]
        return next((r for r in rows if r["id"] == created["id"]), None)

    mine = listed(world.ops.alice_token)
    assert mine is not None and mine["integrationKey"] is None and mine["integrationKeyPrefix"] == key[:8]  # stored hashed
    for token in (world.ops.bob_token, world.stakeholder_token):  # same team, but they do not manage it
        seen = listed(token)
        assert seen is not None and seen["integrationKeyPrefix"] is None and seen["integrationKey"] is None
    assert listed(world.web.alice_token) is None  # another team's source is not even listed
    assert listed(world.admin_token)["integrationKeyPrefix"] == key[:8]  # type: ignore[index]

    # Only managers rotate; someone of another team gets NOT_FOUND, a responder FORBIDDEN.
    rotate = "mutation($id: ID!) { rotateIntegrationKey(id: $id) { integrationKey } }"
    assert error_code(gql(world.url, world.web.alice_token, rotate, id=created["id"])) == "NOT_FOUND"
    assert error_code(gql(world.url, world.ops.bob_token, rotate, id=created["id"])) == "FORBIDDEN"
    assert fire(world.url, key, "k-2").status_code == 202
    new_key = data(world.url, world.ops.alice_token, rotate, id=created["id"])["rotateIntegrationKey"]["integrationKey"]
    assert new_key and new_key != key
    old = fire(world.url, key, "k-3")
    assert old.status_code == 404 and old.json()["code"] == "UNKNOWN_INTEGRATION_KEY"
    assert fire(world.url, new_key, "k-3").status_code == 202

    # Update: rename and change priority; moving it to a team Alice is not in is refused.
    updated = data(world.url, world.ops.alice_token, 'mutation($id: ID!) { updateAlertSource(id: $id, name: "Ops Prom", defaultPriority: HIGH) { name defaultPriority team { name } } }', id=created["id"])
    assert updated["updateAlertSource"] == {"name": "Ops Prom", "defaultPriority": "HIGH", "team": {"name": "Ops"}}
    moved = gql(world.url, world.ops.alice_token, "mutation($id: ID!, $t: ID) { updateAlertSource(id: $id, teamId: $t) { name } }", id=created["id"], t=str(world.web.team_id))
    assert error_code(moved) == "NOT_FOUND"
    teamless = gql(world.url, world.ops.alice_token, "mutation($id: ID!) { updateAlertSource(id: $id, teamId: null) { name } }", id=created["id"])
    assert error_code(teamless) == "FORBIDDEN"

    # Delete: refused while alerts are open, and the policy while a source uses it.
    delete_source = "mutation($id: ID!) { deleteAlertSource(id: $id) }"
    assert error_code(gql(world.url, world.ops.alice_token, delete_source, id=created["id"])) == "CONFLICT"
    assert error_code(gql(world.url, world.ops.alice_token, "mutation($id: ID!) { deleteEscalationPolicy(id: $id) }", id=policy["id"])) == "CONFLICT"
    alerts = data(world.url, world.ops.alice_token, "query($s: ID) { alerts(sourceId: $s, status: [PENDING, ACCEPTED]) { edges { node { id } } } }", s=created["id"])
    for edge in alerts["alerts"]["edges"]:
        data(world.url, world.ops.alice_token, "mutation($id: ID!) { resolveAlert(id: $id) { status } }", id=edge["node"]["id"])
    assert data(world.url, world.ops.alice_token, delete_source, id=created["id"])["deleteAlertSource"] is True
    assert fire(world.url, new_key, "k-4").status_code == 404
    assert data(world.url, world.ops.alice_token, "mutation($id: ID!) { deleteEscalationPolicy(id: $id) }", id=policy["id"])["deleteEscalationPolicy"] is True


def test_responders_and_stakeholders_manage_no_configuration(world: World) -> None:
    before = (count(world, AlertSource), count(world, EscalationPolicy))
    team = str(world.ops.team_id)
    for token in (world.ops.bob_token, world.stakeholder_token):
        body = gql(world.url, token, CREATE_POLICY, name="Mine", team=team, rules=_rules(world))
        assert error_code(body) == "FORBIDDEN", body
        body = gql(world.url, token, CREATE_SOURCE, name="Mine", policy=str(world.ops.policy_id), team=team)
        assert error_code(body) == "FORBIDDEN", body
    # A USER cannot create organisation-wide (teamless) objects, nor use another team's policy.
    assert error_code(gql(world.url, world.ops.alice_token, CREATE_SOURCE, name="Org", policy=str(world.ops.policy_id))) == "FORBIDDEN"
    assert error_code(gql(world.url, world.ops.alice_token, CREATE_SOURCE, name="X", policy=str(world.web.policy_id), team=team)) == "NOT_FOUND"
    assert (count(world, AlertSource), count(world, EscalationPolicy)) == before


def test_policy_bad_input_changes_nothing_and_update_replaces_rules(world: World) -> None:
    team = str(world.ops.team_id)
    before = count(world, EscalationPolicy)
    bad_cases = [
        ([{"escalationTimeout": 5, "userIds": ["999999"]}], "NOT_FOUND"),
        ([{"escalationTimeout": 0, "userIds": [str(world.ops.alice_id)]}], "BAD_USER_INPUT"),
        ([{"escalationTimeout": 5}], "BAD_USER_INPUT"),
        ([], "BAD_USER_INPUT"),
        ([{"escalationTimeout": 5, "userIds": ["not-a-number"]}], "BAD_USER_INPUT"),
        ([{"escalationTimeout": 5, "scheduleIds": ["424242"]}], "NOT_FOUND"),
    ]
    for rules, code in bad_cases:
        body = gql(world.url, world.ops.alice_token, CREATE_POLICY, name="Bad", team=team, rules=rules)
        assert error_code(body) == code, (rules, body)
    assert count(world, EscalationPolicy) == before

    schedule = data(world.url, world.ops.alice_token, 'mutation($t: ID) { createSchedule(name: "Ops primary", teamId: $t) { id } }', t=team)["createSchedule"]
    made = data(world.url, world.ops.alice_token, CREATE_POLICY, name="Routed", team=team, rules=_rules(world), routing="db")["createEscalationPolicy"]
    clash = gql(world.url, world.ops.alice_token, CREATE_POLICY, name="Clash", team=team, rules=_rules(world), routing="db")
    assert error_code(clash) == "CONFLICT"
    update = """mutation($id: ID!, $rules: [EscalationRuleInput!]) {
      updateEscalationPolicy(id: $id, name: "Routed v2", repeating: true, frequency: 2, rules: $rules) { %s } }""" % POLICY_FIELDS
    rules = [{"escalationTimeout": 10, "scheduleIds": [schedule["id"]], "userIds": [str(world.ops.bob_id)]}]
    updated = data(world.url, world.ops.alice_token, update, id=made["id"], rules=rules)["updateEscalationPolicy"]
    assert (updated["name"], updated["repeating"], updated["frequency"], updated["routingKey"]) == ("Routed v2", True, 2, "db")
    assert updated["rules"] == [{"position": 0, "escalationTimeout": 10, "users": [{"name": "Bob"}], "schedules": [{"name": "Ops primary"}]}]
    # A bad update leaves the policy exactly as it was.
    bad = gql(world.url, world.ops.alice_token, 'mutation($id: ID!) { updateEscalationPolicy(id: $id, name: "Broken", frequency: 12) { name } }', id=made["id"])
    assert error_code(bad) == "BAD_USER_INPUT"
    again = data(world.url, world.ops.alice_token, "query($id: ID!) { node(id: $id) { ... on EscalationPolicy { %s } } }" % POLICY_FIELDS, id=f"EscalationPolicy:{made['id']}")
    assert again["node"] == updated
    assert error_code(gql(world.url, world.web.alice_token, update, id=made["id"], rules=rules)) == "NOT_FOUND"


def test_notification_rules_replace_as_a_whole_and_stay_private(world: World) -> None:
    mine = "{ me { notificationRules { method delayMin priority } } }"
    before = data(world.url, world.web.bob_token, mine)["me"]["notificationRules"]
    bad = gql(world.url, world.web.bob_token, "mutation($r: [NotificationRuleInput!]!) { setNotificationRules(rules: $r) { id } }",
              r=[{"method": "PUSH", "delayMin": 0}, {"method": "SMS", "delayMin": 500}])
    assert error_code(bad) == "BAD_USER_INPUT"
    duplicate = gql(world.url, world.web.bob_token, "mutation($r: [NotificationRuleInput!]!) { setNotificationRules(rules: $r) { id } }",
                    r=[{"method": "PUSH", "delayMin": 0}, {"method": "PUSH", "delayMin": 0}])
    assert error_code(duplicate) == "BAD_USER_INPUT"
    assert data(world.url, world.web.bob_token, mine)["me"]["notificationRules"] == before

    wanted = [{"method": "PUSH", "delayMin": 0, "priority": "HIGH"}, {"method": "VOICE", "delayMin": 2, "priority": "HIGH"},
              {"method": "EMAIL", "delayMin": 30, "priority": "LOW"}]
    saved = data(world.url, world.web.bob_token, "mutation($r: [NotificationRuleInput!]!) { setNotificationRules(rules: $r) { method delayMin priority } }", r=wanted)
    assert saved["setNotificationRules"] == wanted
    assert data(world.url, world.web.bob_token, mine)["me"]["notificationRules"] == wanted
    assert in_db(world.database_url, lambda: NotificationRule.filter(user_id=world.web.bob_id).count()) == 3

    people = data(world.url, world.web.alice_token, "{ users { id notificationRules { method } } }")["users"]
    assert {u["id"]: u["notificationRules"] for u in people}[str(world.web.bob_id)] is None  # not Alice's to see
    as_admin = data(world.url, world.admin_token, "{ users { id notificationRules { method } } }")["users"]
    assert len({u["id"]: u["notificationRules"] for u in as_admin}[str(world.web.bob_id)]) == 3


def test_teams_list_members_and_node_finds_visible_objects(world: World) -> None:
    teams = data(world.url, world.ops.bob_token, "{ teams { name globalId members { name } } }")["teams"]
    ops = next(t for t in teams if t["name"] == "Ops")
    assert {"name": "Alice"} in ops["members"] and {"name": "Bob"} in ops["members"]
    found = data(world.url, world.ops.bob_token, "query($id: ID!) { node(id: $id) { globalId ... on Team { name } } }", id=ops["globalId"])
    assert found["node"] == {"globalId": ops["globalId"], "name": "Ops"}
    other_source = f"AlertSource:{world.web.api_source_id}"
    assert data(world.url, world.ops.bob_token, "query($id: ID!) { node(id: $id) { globalId } }", id=other_source)["node"] is None
    assert error_code(gql(world.url, world.ops.bob_token, 'query { node(id: "Planet:3") { globalId } }')) == "BAD_USER_INPUT"
