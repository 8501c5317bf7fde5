"""The schedule timeline's data over GraphQL against a real server: each layer's own shifts,
the final schedule's gaps, the overrides of a window, and who can be reached.

Fixed dates around the end of daylight saving time in Berlin (Sunday 25 October 2026, a day of 25
hours), so the answers are the same whenever the test runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.support.databases import TemplateDatabases
from tests.support.graphql import World, data, gql, running_world

BERLIN = ZoneInfo("Europe/Berlin")
FROM = datetime(2026, 10, 19, 0, 0, tzinfo=BERLIN)  # a Monday
UNTIL = FROM + timedelta(days=14)

TIMELINE = """query($id: ID!, $f: DateTime!, $u: DateTime!) { schedule(id: $id) {
  layers { id shifts(from: $f, until: $u) { user { name } start end source sourceId } }
  shifts(from: $f, until: $u) { user { name } start end }
  gaps(from: $f, until: $u) { start end }
  overrides(from: $f, until: $u) { id user { name } start end } } }"""


@pytest.fixture(scope="module")
def world(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world(templates, tmp_path_factory.mktemp("timeline")) as made:
        yield made


def berlin(day: int, hour: int) -> datetime:
    return datetime(2026, 10, day, hour, 0, tzinfo=BERLIN)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def local(text: str) -> tuple[int, int]:
    moment = at(text).astimezone(BERLIN)
    return moment.day, moment.hour


def make_schedule(world: World) -> tuple[str, dict[str, str]]:
    """A daily rotation (Alice, Bob; handoff 10:00) from Tuesday 20th 10:00 to Friday 30th
    10:00, under a layer of Root covering Mondays 09:00-17:00, and an override of Bob on
    Saturday 31st 12:00-14:00 (in a gap) and one outside the window."""
    org = world.ops
    created = data(world.url, world.admin_token, """mutation($s: DateTime!, $e: DateTime!, $m: DateTime!, $a: ID!, $b: ID!, $r: ID!) {
        createSchedule(name: "Timeline", timezone: "Europe/Berlin", layers: [
          {startsOn: $s, endsOn: $e, rotation: "P1D", userIds: [$a, $b]},
          {startsOn: $m, rotation: "P7D", userIds: [$r],
           restrictions: [{startDay: MONDAY, startTime: "09:00", endDay: MONDAY, endTime: "17:00"}]}
        ]) { id layers { id } } }""",
        s=berlin(20, 10).isoformat(), e=berlin(30, 10).isoformat(), m=berlin(12, 0).isoformat(),
        a=str(org.alice_id), b=str(org.bob_id), r=str(world.admin_id))["createSchedule"]
    overrides = {}
    for name, start, end in (("gap", berlin(31, 12), berlin(31, 14)), ("later", berlin(20, 12) + timedelta(days=30), berlin(20, 13) + timedelta(days=30))):
        made = data(world.url, world.admin_token, """mutation($id: ID!, $u: ID!, $s: DateTime!, $e: DateTime!) {
            createOverride(scheduleId: $id, userId: $u, start: $s, end: $e) { id } }""",
            id=created["id"], u=str(org.bob_id), s=start.isoformat(), e=end.isoformat())
        overrides[name] = made["createOverride"]["id"]
    return created["id"], overrides


def test_layers_gaps_and_overrides_across_a_dst_change(world: World) -> None:
    schedule_id, overrides = make_schedule(world)
    answer = data(world.url, world.admin_token, TIMELINE, id=schedule_id, f=FROM.isoformat(), u=UNTIL.isoformat())["schedule"]
    rotation, mondays = answer["layers"]

    # The rotation alone: a shift a day from 10:00 to 10:00 local, the one over the change 25 hours long.
    assert [s["user"]["name"] for s in rotation["shifts"]] == ["Alice", "Bob"] * 5
    assert [(local(s["start"]), local(s["end"])) for s in rotation["shifts"]] == [((d, 10), (d + 1, 10)) for d in range(20, 30)]
    lengths = {local(s["start"])[0]: at(s["end"]) - at(s["start"]) for s in rotation["shifts"]}
    assert lengths[24] == timedelta(hours=25) and lengths[23] == lengths[25] == timedelta(hours=24)
    assert {(s["source"], s["sourceId"]) for s in rotation["shifts"]} == {("layer", rotation["id"])}
    # The Monday layer alone: 09:00-17:00 on both Mondays of the window, nothing else.
    assert [(local(s["start"]), local(s["end"]), s["user"]["name"]) for s in mondays["shifts"]] == [
        ((19, 9), (19, 17), "Root"), ((26, 9), (26, 17), "Root"),
    ]

    # The final schedule's gaps are exactly what its shifts leave open.
    shifts, gaps = answer["shifts"], answer["gaps"]
    expected_gaps = [
        (FROM, berlin(19, 9)), (berlin(19, 17), berlin(20, 10)), (berlin(30, 10), berlin(31, 12)), (berlin(31, 14), UNTIL),
    ]
    assert [(at(g["start"]), at(g["end"])) for g in gaps] == expected_gaps
    pieces = sorted([(at(s["start"]), at(s["end"])) for s in shifts] + [(at(g["start"]), at(g["end"])) for g in gaps])
    assert pieces[0][0] == FROM and pieces[-1][1] == UNTIL
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:])), "shifts and gaps tile the window"

    # Overrides: the one in the window (shown in the final schedule too), not the one after it.
    assert [(o["id"], o["user"]["name"], at(o["start"]), at(o["end"])) for o in answer["overrides"]] == [
        (overrides["gap"], "Bob", berlin(31, 12), berlin(31, 14)),
    ]
    assert any(s["user"]["name"] == "Bob" and at(s["start"]) == berlin(31, 12) for s in shifts)


def test_a_window_over_35_days_is_refused_naming_until(world: World) -> None:
    schedule_id, _ = make_schedule(world)
    for field in ("gaps", "overrides", "layers { shifts"):
        closing = " }" if field.startswith("layers") else ""
        body = gql(world.url, world.admin_token, f"""query($id: ID!, $f: DateTime!, $u: DateTime!) {{ schedule(id: $id) {{
            {field}(from: $f, until: $u) {{ start }}{closing} }} }}""", id=schedule_id, f=FROM.isoformat(), u=(FROM + timedelta(days=36)).isoformat())
        error = body["errors"][0]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "until"}, (field, body)


def reachable_of(world: World, token: str) -> dict[str, Any]:
    return {u["name"]: u["reachable"] for u in data(world.url, token, "{ users { name reachable } }")["users"]}


def test_reachable_for_admins_and_oneself(world: World) -> None:
    # Alice and Bob have a (console) device for their push rules; the stakeholder and Root have
    # neither a device nor a verified contact method.
    seen = reachable_of(world, world.admin_token)
    assert (seen["Alice"], seen["Bob"], seen["Watcher"], seen["Root"]) == (True, True, False, False)
    seen = reachable_of(world, world.ops.alice_token)
    assert seen["Alice"] is True and seen["Bob"] is None  # someone else's: not for a non-admin's eyes
