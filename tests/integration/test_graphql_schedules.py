"""Schedules, overrides and coverage requests over GraphQL against a real server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.support.databases import TemplateDatabases
from tests.support.graphql import World, error_code, gql, in_db, running_world

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module")
def world(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world(templates, tmp_path_factory.mktemp("sched")) as made:
        yield made


def test_schedule_shifts_on_call_override_and_coverage(world: World) -> None:
    org = world.ops
    now = datetime.now(UTC).replace(microsecond=0)
    # Handoffs at 10:00 in Berlin from yesterday on. Whole local days, so that four of them hold
    # four shifts even across a daylight-saving change (an aware datetime adds wall-clock days).
    day0 = (now.astimezone(BERLIN) - timedelta(days=1)).replace(hour=10, minute=0, second=0)
    created = gql(world.url, org.alice_token, """
        mutation($s: DateTime!, $a: ID!, $b: ID!) {
          createSchedule(name: "Primary", timezone: "Europe/Berlin",
                         layers: [{startsOn: $s, rotation: "P1D", userIds: [$a, $b]}]) { id name timezone kind } }""",
        s=day0.isoformat(), a=str(org.alice_id), b=str(org.bob_id))
    schedule = created["data"]["createSchedule"]
    assert (schedule["name"], schedule["timezone"], schedule["kind"]) == ("Primary", "Europe/Berlin", "RECURRING")
    bad = gql(world.url, org.alice_token, 'mutation { createSchedule(name: "X", timezone: "Mars/Base") { id } }')
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    shifts = gql(world.url, org.alice_token, """query($id: ID!, $f: DateTime!, $u: DateTime!) {
        schedule(id: $id) { shifts(from: $f, until: $u) { user { name } start end source } } }""",
        id=schedule["id"], f=day0.isoformat(), u=(day0 + timedelta(days=4)).isoformat())["data"]["schedule"]["shifts"]
    assert [s["user"]["name"] for s in shifts] == ["Alice", "Bob", "Alice", "Bob"]
    before = datetime.now(UTC)
    on_now = gql(world.url, org.alice_token, "{ onCall { schedule { id } user { name } } }")["data"]["onCall"]
    after = datetime.now(UTC)
    expected = {s["user"]["name"] for s in shifts if datetime.fromisoformat(s["start"]) <= after and before < datetime.fromisoformat(s["end"])}
    assert next(o for o in on_now if o["schedule"]["id"] == schedule["id"])["user"]["name"] in expected  # a handoff may fall in between

    # Bob (a RESPONDER) may not override for Alice, only for himself.
    start, end = now + timedelta(days=3), now + timedelta(days=3, hours=2)
    denied = gql(world.url, org.bob_token, """mutation($id: ID!, $u: ID!, $s: DateTime!, $e: DateTime!) {
        createOverride(scheduleId: $id, userId: $u, start: $s, end: $e) { id } }""",
        id=schedule["id"], u=str(org.alice_id), s=start.isoformat(), e=end.isoformat())
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # Alice asks Bob to cover two hours of her next shift (the third: tomorrow from 10:00, always
    # ahead of now however late today it is).
    window = (day0 + timedelta(days=2, hours=1), day0 + timedelta(days=2, hours=3))
    requested = gql(world.url, org.alice_token, """mutation($s: DateTime!, $e: DateTime!, $ids: [ID!]) {
        requestCoverage(start: $s, end: $e, message: "school run", scheduleIds: $ids) { id status } }""",
        s=window[0].isoformat(), e=window[1].isoformat(), ids=[schedule["id"]])
    request = requested["data"]["requestCoverage"]
    assert request["status"] == "PENDING"
    listed = gql(world.url, org.bob_token, "{ coverageRequests(status: [PENDING]) { id } }")["data"]["coverageRequests"]
    assert {"id": request["id"]} in listed
    accepted = gql(world.url, org.bob_token, "mutation($id: ID!) { acceptCoverageRequest(id: $id) { status } }", id=request["id"])
    assert accepted["data"]["acceptCoverageRequest"]["status"] == "ACCEPTED"
    again = gql(world.url, org.alice_token, "mutation($id: ID!) { cancelCoverageRequest(id: $id) { status } }", id=request["id"])
    assert again["errors"][0]["extensions"]["code"] == "CONFLICT"
    at = (window[0] + timedelta(minutes=30)).isoformat()
    covered = gql(world.url, org.alice_token, "query($id: ID!, $at: DateTime!) { schedule(id: $id) { onCall(at: $at) { name } } }",
                  id=schedule["id"], at=at)["data"]["schedule"]["onCall"]["name"]
    assert covered == "Bob"
    mine = gql(world.url, org.bob_token, "query($f: DateTime!, $u: DateTime!) { myShifts(from: $f, until: $u) { start end } }",
               f=window[0].isoformat(), u=window[1].isoformat())["data"]["myShifts"]
    assert [(datetime.fromisoformat(m["start"]), datetime.fromisoformat(m["end"])) for m in mine] == [window]


def test_update_layer_over_graphql(world: World) -> None:
    org = world.ops
    start = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)
    created = gql(world.url, org.alice_token, """mutation($s: DateTime!, $a: ID!) {
        createSchedule(name: "Edited", layers: [{startsOn: $s, rotation: "P1D", userIds: [$a]}]) { id layers { id } } }""",
        s=start.isoformat(), a=str(org.alice_id))["data"]["createSchedule"]
    layer_id = created["layers"][0]["id"]
    denied = gql(world.url, org.bob_token, 'mutation($id: ID!) { updateLayer(id: $id, rotation: "PT12H") { id } }', id=layer_id)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    edited = gql(world.url, org.alice_token, "mutation($id: ID!, $b: ID!) { updateLayer(id: $id, userIds: [$b]) { layers { rotation userIds endsOn } } }",
                 id=layer_id, b=str(org.bob_id))["data"]["updateLayer"]["layers"]
    assert [(l["userIds"], l["endsOn"] is None) for l in edited] == [([str(org.alice_id)], False), ([str(org.bob_id)], True)]


def test_calendar_feed_over_graphql_is_revocable(world: World) -> None:
    org = world.ops
    feed = gql(world.url, org.alice_token, "mutation { createCalendarFeed { id url } }")["data"]["createCalendarFeed"]
    assert feed["url"].startswith(f"{world.url}/ical/plc_") and feed["url"].endswith(".ics")  # links follow the port
    path = feed["url"].split(world.url, 1)[1]
    served = httpx.get(f"{world.url}{path}", timeout=10)
    assert served.status_code == 200 and served.text.startswith("BEGIN:VCALENDAR")
    assert error_code(gql(world.url, org.bob_token, "mutation($id: ID!) { revokeCalendarFeed(id: $id) }", id=feed["id"])) == "NOT_FOUND"
    assert gql(world.url, org.alice_token, "mutation($id: ID!) { revokeCalendarFeed(id: $id) }", id=feed["id"])["data"]["revokeCalendarFeed"] is True
    assert httpx.get(f"{world.url}{path}", timeout=10).status_code == 404


MY_FEEDS = "{ myCalendarFeeds { id scheduleId scheduleName tokenPrefix createdAt } }"


def test_my_calendar_feeds_list_the_live_ones_of_the_viewer_without_their_secrets(world: World) -> None:
    org = world.ops
    made = gql(world.url, org.alice_token, 'mutation { createSchedule(name: "Feeds", kind: STATIC) { id name } }')
    schedule_id = made["data"]["createSchedule"]
    mine = gql(world.url, org.bob_token, "mutation { createCalendarFeed { id url } }")["data"]["createCalendarFeed"]
    whole = gql(world.url, org.bob_token, "mutation($s: ID!) { createCalendarFeed(scheduleId: $s) { id url } }", s=schedule_id["id"])
    whole = whole["data"]["createCalendarFeed"]
    gone = gql(world.url, org.bob_token, "mutation { createCalendarFeed { id url } }")["data"]["createCalendarFeed"]
    gql(world.url, org.bob_token, "mutation($id: ID!) { revokeCalendarFeed(id: $id) }", id=gone["id"])

    answer = gql(world.url, org.bob_token, MY_FEEDS)
    listed = answer["data"]["myCalendarFeeds"]
    assert [(f["id"], f["scheduleId"], f["scheduleName"]) for f in listed if f["id"] in {mine["id"], whole["id"], gone["id"]}] == [
        (mine["id"], None, None), (whole["id"], schedule_id["id"], schedule_id["name"]),
    ]
    secret = mine["url"].rsplit("/", 1)[1].removesuffix(".ics")
    [shown] = [f for f in listed if f["id"] == mine["id"]]
    assert secret.startswith(shown["tokenPrefix"]) and len(shown["tokenPrefix"]) < len(secret) // 2
    assert secret not in str(answer) and whole["url"].rsplit("/", 1)[1].removesuffix(".ics") not in str(answer)
    assert datetime.fromisoformat(shown["createdAt"]).tzinfo is not None
    # Only the viewer's own feeds.
    theirs = gql(world.url, org.alice_token, MY_FEEDS)["data"]["myCalendarFeeds"]
    assert not {mine["id"], whole["id"]} & {f["id"] for f in theirs}


def test_on_call_reminder_setting_over_graphql(world: World) -> None:
    org = world.ops
    assert gql(world.url, org.bob_token, "mutation { setOnCallReminder(beforeMin: 15) }")["data"]["setOnCallReminder"] == 15
    assert gql(world.url, org.bob_token, "{ myOnCallReminder }")["data"]["myOnCallReminder"] == 15
    assert error_code(gql(world.url, org.bob_token, "mutation { setOnCallReminder(beforeMin: 7) }")) == "BAD_USER_INPUT"
    assert gql(world.url, org.bob_token, "mutation { setOnCallReminder(beforeMin: null) }")["data"]["setOnCallReminder"] is None
    assert gql(world.url, org.bob_token, "{ myOnCallReminder }")["data"]["myOnCallReminder"] is None


def test_on_call_by_policy_level(world: World) -> None:
    org = world.ops
    levels = gql(world.url, org.alice_token, "{ onCallByPolicy { policyName level users { name } } }")["data"]["onCallByPolicy"]
    assert {"policyName": "Ops policy", "level": 1, "users": [{"name": "Alice"}]} in levels
    assert {"policyName": "Ops policy", "level": 2, "users": [{"name": "Bob"}]} in levels


def test_edit_schedule_layers_and_static_shifts(world: World) -> None:
    org = world.ops
    t0 = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    created = gql(world.url, org.alice_token, 'mutation { createSchedule(name: "Static", kind: STATIC) { id } }')["data"]["createSchedule"]
    sid = created["id"]
    added = gql(world.url, org.alice_token, """mutation($id: ID!, $u: ID!, $s: DateTime!, $e: DateTime!) {
        addStaticShift(scheduleId: $id, shift: {userId: $u, start: $s, end: $e}) { shifts(from: $s, until: $e) { user { name } } } }""",
        id=sid, u=str(org.bob_id), s=t0.isoformat(), e=(t0 + timedelta(hours=8)).isoformat())
    assert added["data"]["addStaticShift"]["shifts"] == [{"user": {"name": "Bob"}}]
    renamed = gql(world.url, org.alice_token, 'mutation($id: ID!) { updateSchedule(id: $id, name: "Static 2", timezone: "America/New_York") { name timezone } }', id=sid)
    assert renamed["data"]["updateSchedule"] == {"name": "Static 2", "timezone": "America/New_York"}
    refused = gql(world.url, org.bob_token, 'mutation($id: ID!) { updateSchedule(id: $id, name: "mine") { name } }', id=sid)
    assert error_code(refused) == "FORBIDDEN"
    window = {"f": t0.isoformat(), "u": (t0 + timedelta(hours=8)).isoformat()}
    [shift] = gql(world.url, org.alice_token, "query($id: ID!, $f: DateTime!, $u: DateTime!) { schedule(id: $id) { shifts(from: $f, until: $u) { source sourceId } } }",
                  id=sid, **window)["data"]["schedule"]["shifts"]
    assert shift["source"] == "static"
    assert gql(world.url, org.alice_token, "mutation($id: ID!) { deleteStaticShift(id: $id) }", id=shift["sourceId"])["data"]["deleteStaticShift"] is True
    assert gql(world.url, org.alice_token, "query($id: ID!, $f: DateTime!, $u: DateTime!) { schedule(id: $id) { shifts(from: $f, until: $u) { source } } }",
               id=sid, **window)["data"]["schedule"]["shifts"] == []

    recurring = gql(world.url, org.alice_token, 'mutation { createSchedule(name: "Layered") { id } }')["data"]["createSchedule"]["id"]
    for users in ([org.alice_id], [org.bob_id]):
        gql(world.url, org.alice_token, """mutation($id: ID!, $s: DateTime!, $u: [ID!]!) {
            addLayer(scheduleId: $id, layer: {startsOn: $s, rotation: "P1D", userIds: $u}) { id } }""",
            id=recurring, s=t0.isoformat(), u=[str(u) for u in users])
    layered = gql(world.url, org.alice_token, "query($id: ID!, $at: DateTime!) { schedule(id: $id) { layers { position } onCall(at: $at) { name } } }",
                  id=recurring, at=(t0 + timedelta(hours=1)).isoformat())["data"]["schedule"]
    assert [l["position"] for l in layered["layers"]] == [0, 1]
    assert layered["onCall"] == {"name": "Bob"}  # the later layer wins


LAYER_END = """mutation($id: ID!, $end: DateTime) { updateLayer(id: $id, endsOn: $end) {
    layers { id startsOn endsOn userIds } } }"""
LAYER_USERS = """mutation($id: ID!, $u: [ID!]!) { updateLayer(id: $id, userIds: $u) { layers { id startsOn endsOn userIds } } }"""


def test_a_layers_end_is_set_kept_moved_and_removed(world: World) -> None:
    org = world.ops
    now = datetime.now(UTC).replace(microsecond=0)
    sid = gql(world.url, org.alice_token, 'mutation { createSchedule(name: "Ending") { id } }')["data"]["createSchedule"]["id"]

    def layers() -> list[dict[str, object]]:
        return gql(world.url, org.alice_token, "query($id: ID!) { schedule(id: $id) { layers { id startsOn endsOn userIds } } }",
                   id=sid)["data"]["schedule"]["layers"]

    def on_call(at: datetime) -> object:
        return gql(world.url, org.alice_token, "query($id: ID!, $at: DateTime!) { schedule(id: $id) { onCall(at: $at) { name } } }",
                   id=sid, at=at.isoformat())["data"]["schedule"]["onCall"]

    # A layer that has not started yet: its end changes in place.
    later = now + timedelta(days=2)
    [future] = gql(world.url, org.alice_token, """mutation($id: ID!, $s: DateTime!, $u: [ID!]!) {
        addLayer(scheduleId: $id, layer: {startsOn: $s, rotation: "P1D", userIds: $u}) { layers { id } } }""",
        id=sid, s=later.isoformat(), u=[str(org.alice_id)])["data"]["addLayer"]["layers"]
    end = later + timedelta(days=3)
    [changed] = gql(world.url, org.alice_token, LAYER_END, id=future["id"], end=end.isoformat())["data"]["updateLayer"]["layers"]
    assert (changed["id"], _at(changed["endsOn"])) == (future["id"], end)
    assert on_call(end - timedelta(hours=1)) == {"name": "Alice"} and on_call(end + timedelta(hours=1)) is None

    # Left out, the end stays; an end before the start is refused naming endsOn, and nothing changes.
    [kept] = gql(world.url, org.alice_token, LAYER_USERS, id=future["id"], u=[str(org.bob_id)])["data"]["updateLayer"]["layers"]
    assert _at(kept["endsOn"]) == end and kept["userIds"] == [str(org.bob_id)]
    before = layers()
    refused = gql(world.url, org.alice_token, LAYER_END, id=future["id"], end=(later - timedelta(hours=1)).isoformat())
    assert error_code(refused) == "BAD_USER_INPUT" and refused["errors"][0]["extensions"]["field"] == "endsOn", refused
    assert layers() == before

    # null: no end any more.
    [endless] = gql(world.url, org.alice_token, LAYER_END, id=future["id"], end=None)["data"]["updateLayer"]["layers"]
    assert endless["endsOn"] is None and on_call(end + timedelta(days=30)) == {"name": "Bob"}

    # A layer that has started: the version from now on ends there; the past stays as it was.
    started = gql(world.url, org.alice_token, 'mutation { createSchedule(name: "Running") { id } }')["data"]["createSchedule"]["id"]
    [running] = gql(world.url, org.alice_token, """mutation($id: ID!, $s: DateTime!, $u: [ID!]!) {
        addLayer(scheduleId: $id, layer: {startsOn: $s, rotation: "P1D", userIds: $u}) { layers { id } } }""",
        id=started, s=(now - timedelta(days=5)).isoformat(), u=[str(org.alice_id)])["data"]["addLayer"]["layers"]
    stop = now + timedelta(days=1)
    versions = gql(world.url, org.alice_token, LAYER_END, id=running["id"], end=stop.isoformat())["data"]["updateLayer"]["layers"]
    assert [_at(v["endsOn"]) for v in versions][-1] == stop
    assert _at(str(versions[0]["startsOn"])) == now - timedelta(days=5)  # the past version kept its start
    past = gql(world.url, org.alice_token, "query($id: ID!, $at: DateTime!) { schedule(id: $id) { onCall(at: $at) { name } } }",
               id=started, at=(now - timedelta(days=2)).isoformat())["data"]["schedule"]["onCall"]
    ended = gql(world.url, org.alice_token, "query($id: ID!, $at: DateTime!) { schedule(id: $id) { onCall(at: $at) { name } } }",
                id=started, at=(stop + timedelta(hours=1)).isoformat())["data"]["schedule"]["onCall"]
    assert past == {"name": "Alice"} and ended is None


def _at(value: object) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


async def _people() -> dict[str, str]:
    """Carol, a teammate of Alice and Bob on Ops, and Dave, on another team: tokens by name."""
    from pagerline.engine.people.accounts import create_token, create_user
    from pagerline.models import Role, TokenKind

    tokens = {}
    for name, team in (("carol", "Ops"), ("dave", "Elsewhere")):
        user = await create_user(f"{name}@cov.test", name.title(), None, Role.RESPONDER, "UTC", [team])
        _, tokens[name] = await create_token(user.id, TokenKind.API, datetime.now(UTC))
    return tokens


def test_coverage_requests_are_listed_to_the_requesters_teammates_only(world: World) -> None:
    org = world.ops
    people = in_db(world.database_url, _people)
    now = datetime.now(UTC).replace(microsecond=0)
    # A rota of Alice alone, so that she has a shift in five days whatever today is.
    alone = gql(world.url, org.alice_token, """mutation($s: DateTime!, $a: ID!) {
        createSchedule(name: "Alice alone", layers: [{startsOn: $s, rotation: "P1D", userIds: [$a]}]) { id } }""",
        s=(now - timedelta(days=1)).isoformat(), a=str(org.alice_id))["data"]["createSchedule"]
    requested = gql(world.url, org.alice_token, """mutation($s: DateTime!, $e: DateTime!, $u: [ID!], $ids: [ID!]) {
        requestCoverage(start: $s, end: $e, message: "dentist", userIds: $u, scheduleIds: $ids) { id } }""",
        s=(now + timedelta(days=5)).isoformat(), e=(now + timedelta(days=5, hours=1)).isoformat(), u=[str(org.bob_id)],
        ids=[alone["id"]])
    request_id = requested["data"]["requestCoverage"]["id"]
    query = "{ coverageRequests { id } }"
    assert {"id": request_id} in gql(world.url, people["carol"], query)["data"]["coverageRequests"]  # teammate, not asked
    assert {"id": request_id} not in gql(world.url, people["dave"], query)["data"]["coverageRequests"]  # another team
    # Another team's 250 newer requests do not push it out of the list (the list is capped at 200).
    in_db(world.database_url, lambda: _flood(250))
    assert {"id": request_id} in gql(world.url, people["carol"], query)["data"]["coverageRequests"]


async def _flood(count: int) -> None:
    """``count`` pending requests by someone on another team, newer than everything else."""
    from pagerline.engine.people.accounts import create_user
    from pagerline.models import CoverageRequest, Role

    eve = await create_user("eve@flood.test", "Eve", None, Role.RESPONDER, "UTC", ["Flood"])
    now = datetime.now(UTC)
    await CoverageRequest.bulk_create(
        [CoverageRequest(requester_id=eve.id, start=now + timedelta(days=9), end=now + timedelta(days=9, hours=1), created_at=now) for _ in range(count)]
    )
