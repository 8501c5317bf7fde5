"""``recentPayloads`` and ``sendTestEvent`` against a real server: the bodies the intake received
(without the integration key), and test alerts through each source's own intake path, with its
templates, event filter and dedup. Admins only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.databases import TemplateDatabases
from tests.support.graphql import World, data, error_code, fire, gql, running_world

POLICY = "mutation($id: ID!, $input: AlertSourcePolicyInput!) { updateAlertSourcePolicy(id: $id, input: $input) { droppedEventCount } }"
SEND = "mutation($id: ID!) { sendTestEvent(alertSourceId: $id) { id summary status source { name } timeline { edges { node { text } } } } }"
RECENT = "query($id: ID!, $n: Int!) { recentPayloads(alertSourceId: $id, first: $n) { receivedAt payload } }"


@pytest.fixture(scope="module")
def world(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world(templates, tmp_path_factory.mktemp("test-events")) as made:
        yield made


def new_source(world: World, name: str, kind: str) -> tuple[str, str]:
    """(id, integration key) of a new source of the Ops policy."""
    made = data(world.url, world.admin_token, """mutation($n: String!, $p: ID!, $k: IntegrationType!) {
        createAlertSource(name: $n, escalationPolicyId: $p, integrationType: $k) { id integrationKey } }""",
        n=name, p=str(world.ops.policy_id), k=kind)["createAlertSource"]
    return made["id"], made["integrationKey"]


def send(world: World, source_id: str) -> dict[str, Any]:
    return data(world.url, world.admin_token, SEND, id=source_id)["sendTestEvent"]  # type: ignore[no-any-return]


def test_the_received_bodies_are_kept_without_the_key_for_admins(world: World) -> None:
    source_id, key = new_source(world, "Scripts", "API")
    assert fire(world.url, key, "disk-full", "Disk full", customDetails={"host": "db-1"}).status_code == 202
    payloads = data(world.url, world.admin_token, RECENT, id=source_id, n=5)["recentPayloads"]
    assert [p["payload"] for p in payloads][-1] == {"eventType": "ALERT", "summary": "Disk full", "customDetails": {"host": "db-1"}, "alertKey": "disk-full"}
    assert key not in str(payloads)
    for token in (world.ops.alice_token, world.stakeholder_token):
        assert error_code(gql(world.url, token, RECENT, id=source_id, n=5)) == "FORBIDDEN"
    too_many = gql(world.url, world.admin_token, RECENT, id=source_id, n=21)
    assert too_many["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}


def test_a_test_event_goes_through_the_sources_own_intake(world: World) -> None:
    api_id, _ = new_source(world, "Test API", "API")
    first = send(world, api_id)
    assert (first["summary"], first["status"], first["source"]) == ("Test event from pagerline", "PENDING", {"name": "Test API"})
    assert any("a test event sent by Root" in edge["node"]["text"] for edge in first["timeline"]["edges"])
    again = send(world, api_id)
    assert again["id"] == first["id"]  # dedup: the second test joins the open test alert

    prom_id, _ = new_source(world, "Test Alertmanager", "ALERTMANAGER")
    prom = send(world, prom_id)
    assert prom["summary"] == "Test event from pagerline" and prom["id"] != first["id"]

    # A webhook source with templates replays the newest body it received, as the templates expect.
    hook_id, hook_key = new_source(world, "Test webhook", "WEBHOOK")
    data(world.url, world.admin_token, POLICY, id=hook_id, input={"templates": {"summary": "{{ title }} on {{ host }}", "alertKey": "{{ host }}"}})
    posted = httpx.post(f"{world.url}/api/events/webhook/{hook_key}", json={"title": "CPU high", "host": "web-3"}, timeout=10)
    assert posted.status_code == 202, posted.text
    assert send(world, hook_id)["summary"] == "CPU high on web-3"

    assert error_code(gql(world.url, world.ops.alice_token, SEND, id=api_id)) == "FORBIDDEN"


def test_a_test_event_the_filter_drops_is_refused_saying_so(world: World) -> None:
    source_id, _ = new_source(world, "Filtered", "API")
    data(world.url, world.admin_token, POLICY, id=source_id, input={"eventFilter": {"field": "labels.env", "op": "eq", "value": "prod"}})
    refused = gql(world.url, world.admin_token, SEND, id=source_id)
    error = refused["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "alertSourceId"}
    assert "filter dropped the test event" in error["message"]
    policy = data(world.url, world.admin_token, "query($id: ID!) { alertSourcePolicy(sourceId: $id) { droppedEventCount } }", id=source_id)
    assert policy["alertSourcePolicy"]["droppedEventCount"] == 1  # recorded like any dropped event
    alerts = data(world.url, world.admin_token, "query($id: ID!) { alerts(sourceId: $id) { edges { node { id } } } }", id=source_id)
    assert alerts["alerts"]["edges"] == []
