"""Weekly layer restrictions over GraphQL against a real server: set on createSchedule, addLayer
and updateLayer, read back on Layer, applied by the schedule math (the shifts' UTC instants
across the US daylight-saving changes are written out), and refused when malformed.

Every date is explicit; the one edit that depends on "now" (updateLayer) hands off at a date
far enough ahead that the layer's edit means the same whether it is split or changed in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.databases import TemplateDatabases
from tests.support.graphql import World, data, error_code, gql, running_world

WEEKDAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]
OFFICE_HOURS = [{"startDay": d, "startTime": "09:00", "endDay": d, "endTime": "17:00"} for d in WEEKDAYS]
WEEKEND = [{"startDay": "FRIDAY", "startTime": "17:00", "endDay": "MONDAY", "endTime": "09:00"}]

CREATE = """mutation($layers: [LayerInput!]) {
  createSchedule(name: "Office hours", timezone: "America/New_York", layers: $layers) {
    id layers { id restrictions { startDay startTime endDay endTime } } } }"""
SHIFTS = """query($id: ID!, $f: DateTime!, $u: DateTime!) {
  schedule(id: $id) { shifts(from: $f, until: $u) { user { name } start end } } }"""
LAYERS = "query($id: ID!) { schedule(id: $id) { layers { id startsOn restrictions { startDay startTime endDay endTime } } } }"


@pytest.fixture(scope="module")
def world(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world(templates, tmp_path_factory.mktemp("restrictions")) as made:
        yield made


def office_layer(world: World, **extra: Any) -> dict[str, Any]:
    """Alice and Bob a week each, handing off Monday 2026-03-02 09:00 New York time."""
    return {
        "startsOn": "2026-03-02T09:00:00-05:00", "rotation": "P7D",
        "userIds": [str(world.ops.alice_id), str(world.ops.bob_id)], **extra,
    }


def shifts(world: World, schedule_id: str, start: str, until: str) -> list[tuple[str, str, str]]:
    found = data(world.url, world.ops.alice_token, SHIFTS, id=schedule_id, f=start, u=until)["schedule"]["shifts"]
    return [(s["user"]["name"], s["start"], s["end"]) for s in found]


def test_weekday_office_hours_keep_their_local_time_across_both_dst_changes(world: World) -> None:
    made = data(world.url, world.ops.alice_token, CREATE, layers=[office_layer(world, restrictions=OFFICE_HOURS)])
    schedule = made["createSchedule"]
    assert schedule["layers"][0]["restrictions"] == OFFICE_HOURS

    # Clocks go forward on Sunday 2026-03-08: 09:00-17:00 is 14:00Z-22:00Z before, 13:00Z-21:00Z after.
    assert shifts(world, schedule["id"], "2026-03-05T00:00:00Z", "2026-03-12T00:00:00Z") == [
        ("Alice", "2026-03-05T14:00:00+00:00", "2026-03-05T22:00:00+00:00"),
        ("Alice", "2026-03-06T14:00:00+00:00", "2026-03-06T22:00:00+00:00"),
        ("Bob", "2026-03-09T13:00:00+00:00", "2026-03-09T21:00:00+00:00"),
        ("Bob", "2026-03-10T13:00:00+00:00", "2026-03-10T21:00:00+00:00"),
        ("Bob", "2026-03-11T13:00:00+00:00", "2026-03-11T21:00:00+00:00"),
    ]
    # Clocks go back on Sunday 2026-11-01 (week 34 of the rotation is Alice's, 35 Bob's).
    assert shifts(world, schedule["id"], "2026-10-29T00:00:00Z", "2026-11-04T00:00:00Z") == [
        ("Alice", "2026-10-29T13:00:00+00:00", "2026-10-29T21:00:00+00:00"),
        ("Alice", "2026-10-30T13:00:00+00:00", "2026-10-30T21:00:00+00:00"),
        ("Bob", "2026-11-02T14:00:00+00:00", "2026-11-02T22:00:00+00:00"),
        ("Bob", "2026-11-03T14:00:00+00:00", "2026-11-03T22:00:00+00:00"),
    ]


def test_a_weekend_layer_added_on_top_wraps_over_the_week_end_and_the_dst_change(world: World) -> None:
    """Office hours below, and Bob on every weekend from Friday 17:00 to Monday 09:00 above."""
    schedule = data(world.url, world.ops.alice_token, CREATE, layers=[office_layer(world, restrictions=OFFICE_HOURS)])["createSchedule"]
    weekend = {"startsOn": "2026-03-06T17:00:00-05:00", "rotation": "P7D", "userIds": [str(world.ops.bob_id)], "restrictions": WEEKEND}
    added = data(world.url, world.ops.alice_token, """mutation($id: ID!, $layer: LayerInput!) {
        addLayer(scheduleId: $id, layer: $layer) { layers { position restrictions { startDay startTime endDay endTime } } } }""",
        id=schedule["id"], layer=weekend)["addLayer"]
    assert [(layer["position"], layer["restrictions"]) for layer in added["layers"]] == [(0, OFFICE_HOURS), (1, WEEKEND)]

    # Friday 17:00 EST (22:00Z) to Monday 09:00 EDT (13:00Z): the weekend is an hour shorter.
    # Then Bob's office-hours week starts (a shift of the other layer, so listed on its own).
    assert shifts(world, schedule["id"], "2026-03-06T00:00:00Z", "2026-03-10T00:00:00Z") == [
        ("Alice", "2026-03-06T14:00:00+00:00", "2026-03-06T22:00:00+00:00"),
        ("Bob", "2026-03-06T22:00:00+00:00", "2026-03-09T13:00:00+00:00"),
        ("Bob", "2026-03-09T13:00:00+00:00", "2026-03-09T21:00:00+00:00"),
    ]


def test_update_layer_sets_and_clears_restrictions_from_its_handoff_on(world: World) -> None:
    schedule = data(world.url, world.ops.alice_token, CREATE, layers=[office_layer(world, restrictions=OFFICE_HOURS)])["createSchedule"]
    layer_id = schedule["layers"][0]["id"]
    update = """mutation($id: ID!, $from: DateTime, $r: [RestrictionInput!]) {
        updateLayer(id: $id, handoffFrom: $from, restrictions: $r) { id } }"""
    # From Monday 2035-01-01 09:00 on, the layer covers weekends only.
    data(world.url, world.ops.alice_token, update, id=layer_id, **{"from": "2035-01-01T09:00:00-05:00"}, r=WEEKEND)
    layers = data(world.url, world.ops.alice_token, LAYERS, id=schedule["id"])["schedule"]["layers"]
    newest = max(layers, key=lambda layer: layer["startsOn"])
    assert newest["startsOn"] == "2035-01-01T14:00:00+00:00"
    assert newest["restrictions"] == WEEKEND
    # 2035-03-11 is the spring-forward Sunday; the week from Monday 2035-03-05 is the tenth after
    # the handoff (index 9: Bob's).
    assert shifts(world, schedule["id"], "2035-03-08T00:00:00Z", "2035-03-14T00:00:00Z") == [
        ("Bob", "2035-03-09T22:00:00+00:00", "2035-03-12T13:00:00+00:00"),
    ]

    # Leaving restrictions out keeps them; [] removes them (the layer covers the whole week).
    data(world.url, world.ops.alice_token, update, id=newest["id"], **{"from": "2035-01-01T09:00:00-05:00"})
    assert data(world.url, world.ops.alice_token, LAYERS, id=schedule["id"])["schedule"]["layers"][-1]["restrictions"] == WEEKEND
    data(world.url, world.ops.alice_token, update, id=newest["id"], **{"from": "2035-01-01T09:00:00-05:00"}, r=[])
    assert data(world.url, world.ops.alice_token, LAYERS, id=schedule["id"])["schedule"]["layers"][-1]["restrictions"] == []


BAD_WINDOWS = [
    pytest.param({"startDay": "MONDAY", "startTime": "24:00", "endDay": "MONDAY", "endTime": "17:00"}, "start time", id="hour-24"),
    pytest.param({"startDay": "MONDAY", "startTime": "9:00", "endDay": "MONDAY", "endTime": "17:00"}, "start time", id="one-digit-hour"),
    pytest.param({"startDay": "MONDAY", "startTime": "09:00", "endDay": "MONDAY", "endTime": "5pm"}, "end time", id="5pm"),
    pytest.param({"startDay": "MONDAY", "startTime": "09:00", "endDay": "MONDAY", "endTime": "17:00+02:00"}, "end time", id="with-offset"),
    pytest.param({"startDay": "MONDAY", "startTime": "09:00", "endDay": "MONDAY", "endTime": "09:00"}, "whole week", id="empty"),
]


@pytest.mark.parametrize(("window", "said"), BAD_WINDOWS)
def test_malformed_restrictions_are_refused_and_change_nothing(world: World, window: dict[str, str], said: str) -> None:
    before = data(world.url, world.ops.alice_token, "{ schedules { id } }")["schedules"]
    refused = gql(world.url, world.ops.alice_token, CREATE, layers=[office_layer(world, restrictions=[window])])
    assert error_code(refused) == "BAD_USER_INPUT"
    assert said in refused["errors"][0]["message"]
    assert data(world.url, world.ops.alice_token, "{ schedules { id } }")["schedules"] == before

    schedule = data(world.url, world.ops.alice_token, CREATE, layers=[office_layer(world, restrictions=OFFICE_HOURS)])["createSchedule"]
    layer_id = schedule["layers"][0]["id"]
    for mutation, variables in (
        ("mutation($id: ID!, $l: LayerInput!) { addLayer(scheduleId: $id, layer: $l) { id } }", {"id": schedule["id"], "l": office_layer(world, restrictions=[window])}),
        ("mutation($id: ID!, $r: [RestrictionInput!]) { updateLayer(id: $id, restrictions: $r) { id } }", {"id": layer_id, "r": [window]}),
    ):
        assert error_code(gql(world.url, world.ops.alice_token, mutation, **variables)) == "BAD_USER_INPUT"
    layers = data(world.url, world.ops.alice_token, LAYERS, id=schedule["id"])["schedule"]["layers"]
    assert [layer["restrictions"] for layer in layers] == [OFFICE_HOURS]


def test_unknown_days_and_too_many_windows_are_refused(world: World) -> None:
    funday = {"startDay": "FUNDAY", "startTime": "09:00", "endDay": "MONDAY", "endTime": "17:00"}
    refused = gql(world.url, world.ops.alice_token, CREATE, layers=[office_layer(world, restrictions=[funday])])
    # Days are an enum, so GraphQL itself refuses the request before anything runs.
    assert refused["data"] is None
    assert "FUNDAY" in refused["errors"][0]["message"]
    assert "Weekday" in refused["errors"][0]["message"]

    many = [{"startDay": "MONDAY", "startTime": f"{h:02d}:{m:02d}", "endDay": "MONDAY", "endTime": f"{h:02d}:{m + 1:02d}"}
            for h in range(0, 2) for m in range(0, 58, 2)]
    refused = gql(world.url, world.ops.alice_token, CREATE, layers=[office_layer(world, restrictions=many)])
    assert error_code(refused) == "BAD_USER_INPUT"
    assert "at most 50" in refused["errors"][0]["message"]


def test_restrictions_of_a_layer_stay_readable_for_a_responder(world: World) -> None:
    """Reading a schedule's layers is for everyone who may see the schedule."""
    schedule = data(world.url, world.ops.alice_token, CREATE, layers=[office_layer(world, restrictions=WEEKEND)])["createSchedule"]
    seen = data(world.url, world.ops.bob_token, LAYERS, id=schedule["id"])["schedule"]["layers"]
    assert seen[0]["restrictions"] == WEEKEND
