"""The minimal GraphQL loop against a real server: login, me, alerts (keyset pages), alert,
accept/resolve/comment/escalate, team visibility, stakeholders, and alertEvents over a real
WebSocket (graphql-transport-ws)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.databases import TemplateDatabases
from tests.support.graphql import (
    World,
    collect,
    error_code,
    fire_ok,
    gql,
    running_world,
    websocket_refusal,
)


@pytest.fixture(scope="module")
def world(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world(templates, tmp_path_factory.mktemp("gql")) as made:
        yield made


def test_login_and_me(world: World) -> None:
    bad = gql(world.url, None, 'mutation { login(email: "alice@ops.test", password: "nope") { token } }')
    assert error_code(bad) == "UNAUTHENTICATED"
    good = gql(world.url, None, 'mutation { login(email: "ALICE@ops.test", password: "alice-password") { token user { name email } } }')
    session = good["data"]["login"]
    assert session["user"] == {"name": "Alice", "email": "alice@ops.test"}
    me = gql(world.url, session["token"], "{ me { name role } }")
    assert me["data"]["me"] == {"name": "Alice", "role": "USER"}
    assert error_code(gql(world.url, None, "{ me { name } }")) == "UNAUTHENTICATED"
    assert error_code(gql(world.url, "pla_forged", "{ me { name } }")) == "UNAUTHENTICATED"


def test_alerts_pages_with_keyset_cursors_and_status_filter(world: World) -> None:
    ids = [fire_ok(world.url, world.ops.api_key, f"page-{i}") for i in range(5)]
    seen: list[int] = []
    after = None
    query = "query($after: String) { alerts(first: 2, after: $after, status: [PENDING]) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }"
    while True:
        page = gql(world.url, world.ops.alice_token, query, after=after)["data"]["alerts"]
        seen += [int(e["node"]["id"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [i for i in seen if i in ids] == sorted(ids, reverse=True)
    assert len(seen) == len(set(seen))
    bad = gql(world.url, world.ops.alice_token, '{ alerts(after: "garbage") { edges { cursor } } }')
    assert error_code(bad) == "BAD_USER_INPUT"


def test_other_teams_alerts_are_invisible_by_every_path(world: World) -> None:
    alert_id = fire_ok(world.url, world.ops.api_key, "ops-only")
    token = world.web.alice_token
    assert gql(world.url, token, "query($id: ID!) { alert(id: $id) { id } }", id=str(alert_id))["data"]["alert"] is None
    listed = gql(world.url, token, "{ alerts(first: 100) { edges { node { id } } } }")["data"]["alerts"]["edges"]
    assert str(alert_id) not in {e["node"]["id"] for e in listed}
    for mutation in ("acceptAlert", "resolveAlert", "escalateAlert"):
        body = gql(world.url, token, f"mutation($id: ID!) {{ {mutation}(id: $id) {{ status }} }}", id=str(alert_id))
        assert error_code(body) == "NOT_FOUND", (mutation, body)
    still = gql(world.url, world.ops.alice_token, "query($id: ID!) { alert(id: $id) { status } }", id=str(alert_id))
    assert still["data"]["alert"]["status"] == "PENDING"


def test_stakeholder_reads_but_cannot_act(world: World) -> None:
    alert_id = fire_ok(world.url, world.ops.api_key, "watched")
    token = world.stakeholder_token
    assert gql(world.url, token, "query($id: ID!) { alert(id: $id) { status } }", id=str(alert_id))["data"]["alert"]["status"] == "PENDING"
    for mutation in ("acceptAlert(id: $id)", "resolveAlert(id: $id)", 'commentAlert(id: $id, text: "hi")'):
        body = gql(world.url, token, f"mutation($id: ID!) {{ {mutation} {{ status }} }}", id=str(alert_id))
        assert error_code(body) == "FORBIDDEN", body


def test_comment_escalate_accept_resolve(world: World) -> None:
    alert_id = fire_ok(world.url, world.ops.api_key, "lifecycle")
    token = world.ops.alice_token
    fields = "status escalationLevel logEntries { kind text }"
    body = gql(world.url, token, f'mutation($id: ID!) {{ commentAlert(id: $id, text: "looking") {{ {fields} }} }}', id=str(alert_id))
    assert body["data"]["commentAlert"]["logEntries"][-1] == {"kind": "COMMENT", "text": "Alice: looking"}
    body = gql(world.url, token, f"mutation($id: ID!) {{ escalateAlert(id: $id) {{ {fields} }} }}", id=str(alert_id))
    assert body["data"]["escalateAlert"]["escalationLevel"] == 2
    assert {"kind": "ESCALATED", "text": "Escalated to level 2 (Bob) by hand"} in body["data"]["escalateAlert"]["logEntries"]
    body = gql(world.url, token, f"mutation($id: ID!) {{ escalateAlert(id: $id) {{ {fields} }} }}", id=str(alert_id))
    assert error_code(body) == "CONFLICT"  # no level 3
    body = gql(world.url, token, "mutation($id: ID!) { acceptAlert(id: $id) { status } }", id=str(alert_id))
    assert body["data"]["acceptAlert"]["status"] == "ACCEPTED"
    body = gql(world.url, token, "mutation($id: ID!) { resolveAlert(id: $id) { status } }", id=str(alert_id))
    assert body["data"]["resolveAlert"]["status"] == "RESOLVED"
    body = gql(world.url, token, "mutation($id: ID!) { acceptAlert(id: $id) { status } }", id=str(alert_id))
    assert error_code(body) == "CONFLICT"
    assert error_code(gql(world.url, token, 'mutation { acceptAlert(id: "abc") { status } }')) == "BAD_USER_INPUT"


def test_alert_events_subscription_delivers_only_visible_alerts(world: World) -> None:
    marker: dict[str, int] = {}

    def trigger() -> None:
        fire_ok(world.url, world.web.api_key, "web-secret", "Web team only")
        marker["ops"] = fire_ok(world.url, world.ops.api_key, "sub-1", "Ops sees this")

    received = asyncio.run(collect(
        world.url, world.ops.alice_token, "subscription { alertEvents { kind alert { id summary status } } }",
        warm_up=lambda i: fire_ok(world.url, world.ops.api_key, f"warm-up-{i}", "warm-up") and None,
        is_warm_up=lambda event: event["alertEvents"]["alert"]["summary"] == "warm-up",
        trigger=trigger,
        done=lambda got: any(e["alertEvents"]["alert"]["summary"] == "Ops sees this" for e in got),
    ))
    events = [e["alertEvents"] for e in received]
    created = [e for e in events if e["kind"] == "CREATED"]
    assert created and created[0]["alert"] == {"id": str(marker["ops"]), "summary": "Ops sees this", "status": "PENDING"}
    assert all(e["alert"]["summary"] != "Web team only" for e in events)


def test_websocket_without_valid_token_is_refused(world: World) -> None:
    assert websocket_refusal(world.url, "pls_forged") == 4403


def test_devices_mute_and_update_preferences_over_graphql(world: World) -> None:
    token = world.web.bob_token
    register = """mutation($t: String!) { registerDevice(platform: IOS, provider: APNS, token: $t, appId: "com.pagerline",
                  appVersion: "1.2", criticalAlerts: true, criticalVolume: 0.8, sound: "siren.caf") {
                  platform provider criticalAlerts criticalVolume sound active } }"""
    body = gql(world.url, token, register, t="apns-bob-1")
    assert body["data"]["registerDevice"] == {
        "platform": "IOS", "provider": "APNS", "criticalAlerts": True, "criticalVolume": 0.8, "sound": "siren.caf", "active": True
    }
    bad = gql(world.url, token, 'mutation { registerDevice(platform: ANDROID, provider: APNS, token: "x") { active } }')
    assert error_code(bad) == "BAD_USER_INPUT"
    devices = gql(world.url, token, "{ myDevices { provider } }")["data"]["myDevices"]
    assert {"provider": "APNS"} in devices
    assert gql(world.url, token, 'mutation { unregisterDevice(token: "apns-bob-1") }')["data"]["unregisterDevice"] is True
    assert error_code(gql(world.url, token, 'mutation { unregisterDevice(token: "apns-bob-1") }')) == "NOT_FOUND"

    muted = gql(world.url, token, 'mutation { muteNotifications(until: "2099-01-01T00:00:00+00:00") { mutedUntil } }')
    assert error_code(muted) == "BAD_USER_INPUT"  # more than 30 days
    soon = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0).isoformat()
    muted = gql(world.url, token, "mutation($u: DateTime) { muteNotifications(until: $u) { mutedUntil } }", u=soon)
    assert muted["data"]["muteNotifications"]["mutedUntil"] is not None
    unmuted = gql(world.url, token, "mutation { muteNotifications { mutedUntil } }")  # no argument: unmute
    assert unmuted["data"]["muteNotifications"] == {"mutedUntil": None}
    prefs = gql(world.url, token, "mutation { setUpdateNotifications(accepted: false, resolved: true, escalated: true) { name } }")
    assert prefs["data"]["setUpdateNotifications"] == {"name": "Bob"}
    phone = gql(world.url, token, 'mutation { setPhoneNumber(phone: "+15550177") { phone phoneVerified phonePending } }')
    assert phone["data"]["setPhoneNumber"] == {"phone": None, "phoneVerified": False, "phonePending": "+15550177"}
    wrong = gql(world.url, token, 'mutation { verifyPhoneNumber(code: "abcdef") { phoneVerified } }')
    assert error_code(wrong) == "BAD_USER_INPUT"
    # Another user does not see Bob's number.
    other = gql(world.url, world.web.alice_token, "{ me { phonePending } }")
    assert other["data"]["me"]["phonePending"] is None
