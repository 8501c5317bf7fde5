"""The one date-time rule, on every DateTime the schema accepts: a DateTime must carry its UTC
offset ("Z" or "+01:00"); one without is refused with BAD_USER_INPUT naming the argument (or
the variable), for inline literals and variables alike, before anything runs.

The positions are read from the schema, so a DateTime argument or input field added later is
covered without touching this file.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pagerline.graphql.core.errors import MASKED_MESSAGE
from tests.support.databases import TemplateDatabases
from tests.support.graphql import BACKENDS, World, gql, world_on
from tests.support.schema_positions import WITH_OFFSET, Position, argument_positions, document

WITHOUT_OFFSET = "2026-11-02T06:30:00"


POSITIONS = argument_positions({"DateTime"})


def test_the_schema_has_the_datetime_arguments_this_file_is_about() -> None:
    """A guard against walking nothing: the known ones are found (others are covered too)."""
    labels = {p.label for p in POSITIONS}
    for expected in (
        "query schedules.onCall(at)", "query schedules.shifts(from)", "query myShifts(from)",
        "mutation updateLayer(handoffFrom)", "mutation createOverride(start)", "mutation createOverride(end)",
        "mutation addStaticShift(shift.start)", "mutation createSchedule(layers[0].startsOn)",
        "mutation requestCoverage(start)", "mutation muteNotifications(until)", "mutation createMaintenanceWindow(end)",
    ):
        assert expected in labels, sorted(labels)


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world_on(request.param, templates, tmp_path_factory.mktemp("gql-datetimes")) as made:
        yield made


def offset_refusal(body: dict[str, object]) -> str:
    errors = body.get("errors")
    assert isinstance(errors, list) and errors, body
    error = errors[0]
    assert error["message"] != MASKED_MESSAGE and error["extensions"]["code"] == "BAD_USER_INPUT", body
    assert "has no UTC offset" in error["message"], body
    assert body.get("data") is None, body  # refused before anything ran
    return str(error["message"])


@pytest.mark.parametrize("position", POSITIONS, ids=lambda p: p.label)
def test_a_datetime_without_a_utc_offset_is_refused_naming_the_argument(world: World, position: Position) -> None:
    as_literal = offset_refusal(gql(world.url, world.admin_token, document(position, f'"{WITHOUT_OFFSET}"')))
    assert as_literal.startswith(f"{position.argument}: '{WITHOUT_OFFSET}' has no UTC offset"), as_literal

    as_variable = offset_refusal(gql(world.url, world.admin_token, document(position, "$when", "$when"), when=WITHOUT_OFFSET))
    assert as_variable.startswith("Variable '$when' has invalid value"), as_variable


@pytest.mark.parametrize("position", POSITIONS, ids=lambda p: p.label)
def test_a_datetime_with_a_utc_offset_passes_the_scalar(world: World, position: Position) -> None:
    """The other half of the rule: the same document with an offset gets past the scalar (what
    the resolver then says about the sample values is not this test's business)."""
    for body in (
        gql(world.url, world.admin_token, document(position, f'"{WITH_OFFSET}"')),
        gql(world.url, world.admin_token, document(position, "$when", "$when"), when=WITH_OFFSET),
    ):
        for error in body.get("errors") or []:
            assert "DateTime" not in error["message"] and "offset" not in error["message"], (position.label, body)
            assert error["message"] != MASKED_MESSAGE, (position.label, body)


def test_an_override_given_with_new_york_offsets_lands_at_those_instants(world: World) -> None:
    """What the rule is for: 10:00-12:00 in a New York schedule, sent with its offset, is
    15:00Z-17:00Z, not 10:00Z-12:00Z as when a zoneless time was read as UTC."""
    made = gql(world.url, world.admin_token,
               'mutation { createSchedule(name: "NY desk", timezone: "America/New_York", kind: STATIC) { id } }')
    schedule_id = made["data"]["createSchedule"]["id"]
    override = gql(world.url, world.admin_token, """mutation($s: ID!, $u: ID!) {
        createOverride(scheduleId: $s, userId: $u, start: "2026-11-10T10:00:00-05:00", end: "2026-11-10T12:00:00-05:00") { id } }""",
                   s=schedule_id, u=str(world.admin_id))
    assert "errors" not in override, override
    shifts = gql(world.url, world.admin_token, """query($s: ID!) { schedule(id: $s) {
        shifts(from: "2026-11-10T00:00:00-05:00", until: "2026-11-11T00:00:00-05:00") { start end source } } }""", s=schedule_id)
    assert shifts["data"]["schedule"]["shifts"] == [
        {"start": "2026-11-10T15:00:00+00:00", "end": "2026-11-10T17:00:00+00:00", "source": "override"},
    ]


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("9999-12-31T23:59:59-14:00", "out of range"),  # past year 9999 once in UTC
        ("0001-01-01T00:00:00+14:00", "out of range"),  # before year 1 once in UTC
        ("1969-12-31T23:59:59Z", "out of range"),
        ("2026-11-02", "has no UTC offset"),  # a date alone is midnight in no zone
        ("", "is not an ISO-8601 date-time"),
        (20261102, "is a string"),
    ],
)
def test_a_datetime_out_of_range_or_not_a_string_is_refused(world: World, value: object, says: str) -> None:
    body = gql(world.url, world.admin_token, "query($f: DateTime!) { myShifts(from: $f) { start } }", f=value)
    assert body.get("data") is None and says in body["errors"][0]["message"], body
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
