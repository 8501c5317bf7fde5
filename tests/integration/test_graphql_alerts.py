"""Alerts over GraphQL against a real server: filters (priority, source, team, text) combined
with the keyset cursor, and what an alert's detail shows: source, policy, responders,
notifications with delivery status, timeline and latest entry."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.databases import TemplateDatabases
from tests.support.graphql import World, collect, data, error_code, fire_ok, gql, running_world
from tests.support.processes import wait_until

PAGE = """query($after: String, $first: Int, $priority: Priority, $source: ID, $team: ID, $text: String) {
  alerts(first: $first, after: $after, priority: $priority, sourceId: $source, teamId: $team, text: $text) {
    edges { node { id } } pageInfo { hasNextPage endCursor } } }"""


@pytest.fixture(scope="module")
def world(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world(templates, tmp_path_factory.mktemp("gql-alerts")) as made:
        yield made


def all_pages(world: World, token: str, first: int = 2, **filters: Any) -> list[int]:
    seen: list[int] = []
    after = None
    while True:
        page = data(world.url, token, PAGE, after=after, first=first, **filters)["alerts"]
        seen += [int(e["node"]["id"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]


def test_filters_combine_with_the_keyset_cursor(world: World) -> None:
    ops, web = world.ops, world.web
    disk_ops = fire_ok(world.url, ops.api_key, "f-1", "Zebra disk full on db-1")
    cpu_low = fire_ok(world.url, ops.api_key, "f-2", "Zebra CPU hot", priority="LOW")
    disk_details = fire_ok(world.url, ops.api_key, "f-3", "Zebra volume", details="Root volume at 99% (DISK)")
    percent_miss = fire_ok(world.url, ops.api_key, "f-4", "Zebra 99 problems", details="99x")
    disk_web = fire_ok(world.url, web.api_key, "f-5", "ZEBRA Disk slow on web-2")
    admin = world.admin_token

    assert all_pages(world, admin, text="zebra") == [disk_web, percent_miss, disk_details, cpu_low, disk_ops]
    assert all_pages(world, admin, text="zebra disk") == [disk_web, disk_ops]
    assert all_pages(world, admin, first=1, text="DISK") == [disk_web, disk_details, disk_ops]
    assert all_pages(world, admin, text="99%") == [disk_details]  # LIKE wildcards are literal
    assert all_pages(world, admin, text="zebra", team=str(web.team_id)) == [disk_web]
    assert all_pages(world, admin, text="zebra", priority="LOW") == [cpu_low]
    assert all_pages(world, admin, text="zebra", priority="HIGH", source=str(ops.api_source_id)) == [percent_miss, disk_details, disk_ops]
    # A team member sees the same filters applied within what they may see.
    assert all_pages(world, web.alice_token, first=1, text="zebra") == [disk_web]

    for arguments in ('teamId: "ops"', 'sourceId: "-1"', f'text: "{"x" * 201}"'):
        assert error_code(gql(world.url, admin, f"{{ alerts({arguments}) {{ edges {{ cursor }} }} }}")) == "BAD_USER_INPUT", arguments


DETAIL = """query($id: ID!) { alert(id: $id) {
  globalId source { name integrationType } escalationPolicy { name rules { escalationTimeout users { name } } }
  responders { user { name } notifiedAt accepted }
  notifications { channel status user { name } sentAt kind }
  logEntries { kind text at } latestLogEntry { kind text at } } }"""


def test_alert_detail_shows_source_policy_responders_notifications_and_timeline(world: World) -> None:
    alert_id = fire_ok(world.url, world.ops.api_key, "detail-1", "Detail disk full")
    token = world.ops.bob_token

    def delivered(kind: str) -> dict[str, Any] | None:
        alert = data(world.url, token, DETAIL, id=str(alert_id))["alert"]
        return alert if any(n["status"] == "SENT" and n["kind"] == kind for n in alert["notifications"]) else None

    alert = wait_until(lambda: delivered("PAGE"), what="the page to Alice's console device")
    assert alert["globalId"] == f"Alert:{alert_id}"
    assert alert["source"] == {"name": "Ops API", "integrationType": "API"}
    assert alert["escalationPolicy"] == {"name": "Ops policy", "rules": [
        {"escalationTimeout": 5, "users": [{"name": "Alice"}]}, {"escalationTimeout": 10, "users": [{"name": "Bob"}]}]}
    push = next(n for n in alert["notifications"] if n["status"] == "SENT")
    assert (push["channel"], push["user"], push["kind"]) == ("PUSH", {"name": "Alice"}, "PAGE") and push["sentAt"]
    assert [(r["user"]["name"], r["accepted"]) for r in alert["responders"]] == [("Alice", False)]
    assert alert["responders"][0]["notifiedAt"]
    assert alert["latestLogEntry"] == alert["logEntries"][-1]

    data(world.url, token, "mutation($id: ID!) { acceptAlert(id: $id) { status } }", id=str(alert_id))
    after = wait_until(lambda: delivered("UPDATE"), what="the update push to Alice")  # then the timeline is at rest
    assert [(r["user"]["name"], r["accepted"]) for r in after["responders"]] == [("Alice", False), ("Bob", True)]
    assert after["responders"][1]["notifiedAt"] is None  # Bob accepted before his level was paged
    assert "ACCEPTED" in [e["kind"] for e in after["logEntries"]]
    assert after["latestLogEntry"] == after["logEntries"][-1]


def test_alert_events_filter_by_kind_and_priority(world: World) -> None:
    """alertEvents(filter): a subscriber that asks for HIGH alerts being accepted gets exactly that."""
    query = 'subscription { alertEvents(filter: {kinds: ["ACCEPTED", "CREATED"], priority: HIGH}) { kind alert { summary priority } } }'
    accepted: list[str] = []

    def trigger() -> None:
        low = fire_ok(world.url, world.ops.api_key, "filter-low", "low one", priority="LOW")
        high = fire_ok(world.url, world.ops.api_key, "filter-high", "high one")
        for alert_id in (low, high):
            data(world.url, world.ops.alice_token, "mutation($id: ID!) { acceptAlert(id: $id) { status } }", id=str(alert_id))
            accepted.append(str(alert_id))

    received = asyncio.run(collect(
        world.url, world.ops.alice_token, query,
        warm_up=lambda i: fire_ok(world.url, world.ops.api_key, f"filter-warm-{i}", "warm-up") and None,
        is_warm_up=lambda event: event["alertEvents"]["alert"]["summary"] == "warm-up",
        trigger=trigger,
        done=lambda got: ("ACCEPTED", "high one") in [(e["alertEvents"]["kind"], e["alertEvents"]["alert"]["summary"]) for e in got],
    ))
    seen = [(e["alertEvents"]["kind"], e["alertEvents"]["alert"]["summary"]) for e in received]
    assert seen == [("CREATED", "high one"), ("ACCEPTED", "high one")], seen  # no LOW, no UPDATED
