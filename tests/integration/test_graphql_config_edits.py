"""The edits the admin console needs beyond create and delete, over GraphQL against a real server:
layers deleted and reordered, schedules and teams deleted (refused while something depends on
them), teams renamed, heartbeats, maintenance windows and alert actions changed. Refusals are
FORBIDDEN for those who may not, CONFLICT naming what is in the way, BAD_USER_INPUT naming the
field at fault, and change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.databases import TemplateDatabases
from tests.support.graphql import BACKENDS, World, data, error_code, gql, world_on

SCHEDULE = "id layers { id position userIds }"


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    # On PostgreSQL too: the deletes and reorders lock rows (SELECT ... FOR UPDATE).
    with world_on(request.param, templates, tmp_path_factory.mktemp("config-edits")) as made:
        yield made


def error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    return body["errors"][0]  # type: ignore[no-any-return]


def three_layers(world: World, name: str) -> dict[str, Any]:
    """A schedule whose layers 0, 1, 2 name Alice, Bob and Root."""
    start = datetime(2026, 1, 5, 9, tzinfo=UTC).isoformat()
    people = (world.ops.alice_id, world.ops.bob_id, world.admin_id)
    layers = [{"startsOn": start, "rotation": "P7D", "userIds": [str(p)]} for p in people]
    return data(world.url, world.admin_token, f"mutation($n: String!, $l: [LayerInput!]) {{ createSchedule(name: $n, layers: $l) {{ {SCHEDULE} }} }}",
                n=name, l=layers)["createSchedule"]


def order(schedule: dict[str, Any]) -> list[tuple[int, str]]:
    return [(layer["position"], layer["userIds"][0]) for layer in schedule["layers"]]


def test_layers_are_reordered_and_deleted(world: World) -> None:
    schedule = three_layers(world, "Reorder")
    alice, bob, root = str(world.ops.alice_id), str(world.ops.bob_id), str(world.admin_id)
    bottom = schedule["layers"][0]["id"]
    move = f"mutation($id: ID!, $p: Int!) {{ moveLayer(id: $id, position: $p) {{ {SCHEDULE} }} }}"
    moved = data(world.url, world.ops.alice_token, move, id=bottom, p=2)["moveLayer"]
    assert order(moved) == [(0, bob), (1, root), (2, alice)]
    moved = data(world.url, world.admin_token, move, id=bottom, p=1)["moveLayer"]
    assert order(moved) == [(0, bob), (1, alice), (2, root)]

    out_of_range = error(gql(world.url, world.admin_token, move, id=bottom, p=3))
    assert out_of_range["extensions"] == {"code": "BAD_USER_INPUT", "field": "position"}
    assert error_code(gql(world.url, world.ops.bob_token, move, id=bottom, p=0)) == "FORBIDDEN"  # a responder
    after = data(world.url, world.admin_token, f"query($id: ID!) {{ schedule(id: $id) {{ {SCHEDULE} }} }}", id=schedule["id"])["schedule"]
    assert order(after) == [(0, bob), (1, alice), (2, root)]  # the refusals changed nothing

    deleted = data(world.url, world.admin_token, f"mutation($id: ID!) {{ deleteLayer(id: $id) {{ {SCHEDULE} }} }}", id=bottom)["deleteLayer"]
    assert order(deleted) == [(0, bob), (2, root)]
    assert error_code(gql(world.url, world.admin_token, "mutation($id: ID!) { deleteLayer(id: $id) { id } }", id=bottom)) == "NOT_FOUND"


def test_a_schedule_a_policy_pages_is_not_deleted(world: World) -> None:
    schedule = three_layers(world, "Paged")
    policy = data(world.url, world.admin_token, """mutation($s: ID!) {
        createEscalationPolicy(name: "Night desk", rules: [{escalationTimeout: 5, scheduleIds: [$s]}]) { id } }""", s=schedule["id"])["createEscalationPolicy"]
    refused = error(gql(world.url, world.admin_token, "mutation($id: ID!) { deleteSchedule(id: $id) }", id=schedule["id"]))
    assert refused["extensions"]["code"] == "CONFLICT" and "'Night desk'" in refused["message"]
    assert error_code(gql(world.url, world.ops.bob_token, "mutation($id: ID!) { deleteSchedule(id: $id) }", id=schedule["id"])) == "FORBIDDEN"
    assert data(world.url, world.admin_token, "query($id: ID!) { schedule(id: $id) { id } }", id=schedule["id"])["schedule"] is not None

    data(world.url, world.admin_token, "mutation($id: ID!) { deleteEscalationPolicy(id: $id) }", id=policy["id"])
    assert data(world.url, world.admin_token, "mutation($id: ID!) { deleteSchedule(id: $id) }", id=schedule["id"]) == {"deleteSchedule": True}
    assert data(world.url, world.admin_token, "query($id: ID!) { schedule(id: $id) { id } }", id=schedule["id"])["schedule"] is None


def test_teams_are_renamed_and_deleted_once_nothing_belongs_to_them(world: World) -> None:
    team = data(world.url, world.admin_token, 'mutation { createTeam(name: "Platform") { id } }')["createTeam"]["id"]
    rename = "mutation($id: ID!, $n: String!) { updateTeam(id: $id, name: $n) { id name } }"
    assert data(world.url, world.admin_token, rename, id=team, n=" Platform team ")["updateTeam"] == {"id": team, "name": "Platform team"}
    taken = error(gql(world.url, world.admin_token, rename, id=team, n="Ops"))
    assert taken["extensions"] == {"code": "CONFLICT", "field": "name"}
    blank = error(gql(world.url, world.admin_token, rename, id=team, n="  "))
    assert blank["extensions"] == {"code": "BAD_USER_INPUT", "field": "name"}
    assert error_code(gql(world.url, world.ops.alice_token, rename, id=str(world.ops.team_id), n="Mine")) == "FORBIDDEN"
    names = {t["name"] for t in data(world.url, world.admin_token, "{ teams { name } }")["teams"]}
    assert {"Platform team", "Ops"} <= names and "Mine" not in names

    # Ops has sources, a policy, ...: refused, naming them.
    refused = error(gql(world.url, world.admin_token, "mutation($id: ID!) { deleteTeam(id: $id) }", id=str(world.ops.team_id)))
    assert refused["extensions"]["code"] == "CONFLICT" and "'Ops API'" in refused["message"] and "'Ops policy'" in refused["message"]
    assert error_code(gql(world.url, world.ops.alice_token, "mutation($id: ID!) { deleteTeam(id: $id) }", id=team)) == "FORBIDDEN"

    data(world.url, world.admin_token, "mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u) { id } }", t=team, u=str(world.ops.bob_id))
    assert data(world.url, world.admin_token, "mutation($id: ID!) { deleteTeam(id: $id) }", id=team) == {"deleteTeam": True}
    bob = data(world.url, world.admin_token, "query($id: ID!) { node(id: $id) { ... on User { name teams { name } } } }", id=f"User:{world.ops.bob_id}")["node"]
    assert bob == {"name": "Bob", "teams": [{"name": "Ops"}]}


def test_heartbeats_maintenance_windows_and_alert_actions_are_edited(world: World) -> None:
    source = str(world.ops.api_source_id)
    beat = data(world.url, world.ops.alice_token, """mutation($s: ID!) {
        createHeartbeat(sourceId: $s, name: "Backup", intervalSec: 3600) { id } }""", s=source)["createHeartbeat"]["id"]
    edit = "mutation($id: ID!, $n: String, $i: Int) { updateHeartbeat(id: $id, name: $n, intervalSec: $i) { name intervalSec key } }"
    assert data(world.url, world.ops.alice_token, edit, id=beat, n="Nightly backup", i=86_400)["updateHeartbeat"] == {
        "name": "Nightly backup", "intervalSec": 86_400, "key": None,
    }
    assert error(gql(world.url, world.ops.alice_token, edit, id=beat, n="Other", i=5))["extensions"] == {"code": "BAD_USER_INPUT", "field": "intervalSec"}
    assert error_code(gql(world.url, world.ops.bob_token, edit, id=beat, n="Mine")) == "FORBIDDEN"
    assert error_code(gql(world.url, world.web.alice_token, edit, id=beat, n="Mine")) == "NOT_FOUND"
    listed = data(world.url, world.ops.alice_token, "query($s: ID!) { heartbeats(sourceId: $s) { id name intervalSec } }", s=source)["heartbeats"]
    assert {"id": beat, "name": "Nightly backup", "intervalSec": 86_400} in listed  # the refusals changed nothing

    now = datetime.now(UTC).replace(microsecond=0)
    window = data(world.url, world.ops.alice_token, """mutation($s: DateTime!, $e: DateTime!, $ids: [ID!]!) {
        createMaintenanceWindow(summary: "Upgrade", start: $s, end: $e, sourceIds: $ids) { id } }""",
        s=(now + timedelta(days=1)).isoformat(), e=(now + timedelta(days=1, hours=1)).isoformat(), ids=[source])["createMaintenanceWindow"]["id"]
    change = """mutation($id: ID!, $m: String, $s: DateTime, $e: DateTime, $ids: [ID!]) {
        updateMaintenanceWindow(id: $id, summary: $m, start: $s, end: $e, sourceIds: $ids) { summary start end sourceIds } }"""
    changed = data(world.url, world.ops.alice_token, change, id=window, m="Database upgrade", e=(now + timedelta(days=1, hours=3)).isoformat())
    assert changed["updateMaintenanceWindow"]["summary"] == "Database upgrade"
    assert datetime.fromisoformat(changed["updateMaintenanceWindow"]["end"]) == now + timedelta(days=1, hours=3)
    backwards = error(gql(world.url, world.ops.alice_token, change, id=window, e=now.isoformat()))
    assert backwards["extensions"] == {"code": "BAD_USER_INPUT", "field": "end"}
    no_sources = error(gql(world.url, world.ops.alice_token, change, id=window, ids=[]))
    assert no_sources["extensions"] == {"code": "BAD_USER_INPUT", "field": "sourceIds"}
    assert error_code(gql(world.url, world.ops.alice_token, change, id=window, ids=[str(world.web.api_source_id)])) == "NOT_FOUND"
    unchanged = data(world.url, world.ops.alice_token, "query($s: ID!) { maintenanceWindows(sourceId: $s) { id summary end sourceIds } }", s=source)
    assert {"id": window, "summary": "Database upgrade", "end": changed["updateMaintenanceWindow"]["end"], "sourceIds": [source]} in unchanged["maintenanceWindows"]

    action = data(world.url, world.ops.alice_token, """mutation($s: ID!) {
        createAlertAction(name: "Chat", kind: WEBHOOK, url: "https://chat.example/hook", triggers: [ALERT_CREATED], sourceId: $s) { id } }""", s=source)["createAlertAction"]["id"]
    update = """mutation($id: ID!, $n: String, $u: String, $t: [AlertActionTrigger!], $m: AlertActionMode) {
        updateAlertAction(id: $id, name: $n, url: $u, triggers: $t, mode: $m) { name url triggers mode secret } }"""
    updated = data(world.url, world.ops.alice_token, update, id=action, n="Chat room", u="https://chat.example/room", t=["ALERT_CREATED", "ALERT_RESOLVED"])
    assert updated["updateAlertAction"] == {"name": "Chat room", "url": "https://chat.example/room", "triggers": ["ALERT_CREATED", "ALERT_RESOLVED"], "mode": "AUTOMATIC", "secret": None}
    assert error(gql(world.url, world.ops.alice_token, update, id=action, u="ftp://x"))["extensions"] == {"code": "BAD_USER_INPUT", "field": "url"}
    assert error(gql(world.url, world.ops.alice_token, update, id=action, t=[]))["extensions"] == {"code": "BAD_USER_INPUT", "field": "triggers"}
    assert data(world.url, world.ops.alice_token, update, id=action, m="MANUAL", t=[])["updateAlertAction"]["mode"] == "MANUAL"
    assert error_code(gql(world.url, world.ops.bob_token, update, id=action, n="Mine")) == "FORBIDDEN"
    shown = data(world.url, world.ops.alice_token, "query($s: ID!) { alertActions(sourceId: $s) { id name url } }", s=source)["alertActions"]
    assert {"id": action, "name": "Chat room", "url": "https://chat.example/room"} in shown


FIELD_ERRORS = [
    ('mutation { createSchedule(name: "X", timezone: "Mars/Base") { id } }', {}, "timezone"),
    ('mutation { createSchedule(name: " ") { id } }', {}, "name"),
    ('mutation($u: ID!) { createEscalationPolicy(name: "P", frequency: 10, rules: [{escalationTimeout: 5, userIds: [$u]}]) { id } }', {"u": "alice"}, "frequency"),
    ('mutation($u: ID!) { createEscalationPolicy(name: "P", rules: [{escalationTimeout: 0, userIds: [$u]}]) { id } }', {"u": "alice"}, "rules[0].escalationTimeout"),
    ('mutation($s: ID!) { updateAlertSourcePolicy(id: $s, input: {alertGroupingWindowSec: 5}) { sourceId } }', {"s": "source"}, "alertGroupingWindowSec"),
    ('mutation($s: ID!, $f: JSON) { updateAlertSourcePolicy(id: $s, input: {eventFilter: $f}) { sourceId } }', {"s": "source", "f": {"field": "summary", "op": "nope", "value": "x"}}, "eventFilter.op"),
    ('mutation { createUser(email: "not-an-address", name: "N") { id } }', {}, "email"),
    ('mutation { createTeam(name: "") { id } }', {}, "name"),
    ('mutation($s: ID!) { addLayer(scheduleId: $s, layer: {startsOn: "2026-01-05T09:00:00Z", rotation: "weekly", userIds: ["1"]}) { id } }', {"s": "schedule"}, "rotation"),
]


@pytest.mark.parametrize(("document", "variables", "field"), FIELD_ERRORS, ids=[f for _, _, f in FIELD_ERRORS])
def test_bad_input_names_the_field_and_changes_nothing(world: World, document: str, variables: dict[str, Any], field: str) -> None:
    schedule = data(world.url, world.admin_token, 'mutation { createSchedule(name: "Fields") { id } }')["createSchedule"]["id"]
    known = {"alice": str(world.ops.alice_id), "source": str(world.ops.api_source_id), "schedule": schedule}
    given = {name: known.get(value, value) if isinstance(value, str) else value for name, value in variables.items()}
    snapshot = "{ schedules { id name layers { id } } escalationPolicies { id } users { id } teams { id } alertSources { id } }"
    before = data(world.url, world.admin_token, snapshot)
    policy = "query($s: ID!) { alertSourcePolicy(sourceId: $s) { alertGroupingWindowSec eventFilter } }"
    policy_before = data(world.url, world.admin_token, policy, s=str(world.ops.api_source_id))
    refused = error(gql(world.url, world.admin_token, document, **given))
    assert refused["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, refused
    assert data(world.url, world.admin_token, snapshot) == before
    assert data(world.url, world.admin_token, policy, s=str(world.ops.api_source_id)) == policy_before
