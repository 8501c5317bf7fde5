"""``acceptCoverageRequest(id, start, end)`` over HTTP: taking a part of a request answers with a
new ACCEPTED request for the part, the schedule shows the override for exactly that part, what
remains stays asked; a half-given part or one outside the window is refused and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.graphql import World, gql

H = timedelta(hours=1)
D = timedelta(days=1)
ACCEPT = """mutation($id: ID!, $s: DateTime, $e: DateTime) {
  acceptCoverageRequest(id: $id, start: $s, end: $e) { id status start end acceptedById } }"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_accepting_a_part_over_graphql(world: World) -> None:
    org = world.ops
    # A daily rotation starting ten days ahead: Alice's day, then Bob's. Far enough ahead that
    # the request cannot expire while the test runs.
    day0 = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + 10 * D
    schedule = gql(world.url, org.alice_token, """mutation($s: DateTime!, $a: ID!, $b: ID!) {
        createSchedule(name: "Parts", layers: [{startsOn: $s, rotation: "P1D", userIds: [$a, $b]}]) { id } }""",
        s=day0.isoformat(), a=str(org.alice_id), b=str(org.bob_id))["data"]["createSchedule"]
    request = gql(world.url, org.alice_token, """mutation($s: DateTime!, $e: DateTime!, $ids: [ID!], $u: [ID!]) {
        requestCoverage(start: $s, end: $e, scheduleIds: $ids, userIds: $u) { id } }""",
        s=day0.isoformat(), e=(day0 + 2 * D).isoformat(), ids=[schedule["id"]], u=[str(org.bob_id)])["data"]["requestCoverage"]

    half = gql(world.url, org.bob_token, ACCEPT, id=request["id"], s=(day0 + 2 * H).isoformat())
    assert half["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    outside = gql(world.url, org.bob_token, ACCEPT, id=request["id"], s=(day0 - H).isoformat(), e=(day0 + H).isoformat())
    assert outside["errors"][0]["extensions"]["code"] == "CONFLICT"
    mine = "{ coverageRequests { id status start end } }"
    assert [(r["status"], at(r["start"]), at(r["end"])) for r in gql(world.url, org.alice_token, mine)["data"]["coverageRequests"]] == [
        ("PENDING", day0, day0 + 2 * D)
    ]

    part = gql(world.url, org.bob_token, ACCEPT, id=request["id"], s=(day0 + 2 * H).isoformat(), e=(day0 + 6 * H).isoformat())
    taken = part["data"]["acceptCoverageRequest"]
    assert taken["id"] != request["id"]
    assert (taken["status"], at(taken["start"]), at(taken["end"]), taken["acceptedById"]) == ("ACCEPTED", day0 + 2 * H, day0 + 6 * H, str(org.bob_id))
    listed = sorted(
        (at(r["start"]), at(r["end"]), r["status"], r["id"] == request["id"]) for r in gql(world.url, org.alice_token, mine)["data"]["coverageRequests"]
    )
    assert listed == [
        (day0, day0 + 2 * H, "PENDING", True),
        (day0 + 2 * H, day0 + 6 * H, "ACCEPTED", False),
        (day0 + 6 * H, day0 + 2 * D, "PENDING", False),
    ]
    shifts = gql(world.url, org.alice_token, """query($id: ID!, $f: DateTime!, $u: DateTime!) {
        schedule(id: $id) { shifts(from: $f, until: $u) { user { name } start end source } } }""",
        id=schedule["id"], f=day0.isoformat(), u=(day0 + D).isoformat())["data"]["schedule"]["shifts"]
    assert [(s["user"]["name"], at(s["start"]), at(s["end"]), s["source"]) for s in shifts] == [
        ("Alice", day0, day0 + 2 * H, "layer"),
        ("Bob", day0 + 2 * H, day0 + 6 * H, "override"),
        ("Alice", day0 + 6 * H, day0 + D, "layer"),
    ]
