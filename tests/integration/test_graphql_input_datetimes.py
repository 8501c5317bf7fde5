"""The one date-time rule, on every DateTime the schema accepts: a DateTime must carry its UTC
offset ("Z" or "+01:00"); one without is refused with BAD_USER_INPUT naming the argument (or
the variable), for inline literals and variables alike, before anything runs.

The positions are read from the schema, so a DateTime argument or input field added later is
covered without touching this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    get_named_type,
    is_non_null_type,
)

from pagerline.graphql.errors import MASKED_MESSAGE
from pagerline.graphql.schema import schema
from tests.support.databases import TemplateDatabases
from tests.support.graphql import BACKENDS, World, gql, world_on

WITHOUT_OFFSET = "2026-11-02T06:30:00"
WITH_OFFSET = "2026-11-02T06:30:00+01:00"
GRAPHQL_SCHEMA: GraphQLSchema = schema._schema


@dataclass(frozen=True)
class Step:
    """One field on the way from an operation's root to the field that takes the DateTime."""

    name: str
    field: GraphQLField


@dataclass(frozen=True)
class Position:
    operation: str  # "query" or "mutation"
    steps: tuple[Step, ...]  # the last one takes the DateTime
    path: tuple[str | int, ...]  # argument name, then input fields and list indexes
    type_: GraphQLInputType  # the DateTime's own type there: DateTime or DateTime!

    @property
    def label(self) -> str:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.path[1:])
        return f"{self.operation} {'.'.join(s.name for s in self.steps)}({self.path[0]}{where})"

    @property
    def argument(self) -> str:
        return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(self.path))


def _datetime_paths(type_: GraphQLInputType, path: tuple[str | int, ...], seen: frozenset[str]) -> Iterator[tuple[tuple[str | int, ...], GraphQLInputType]]:
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(inner, GraphQLList):
        yield from _datetime_paths(inner.of_type, (*path, 0), seen)
    elif get_named_type(inner).name == "DateTime":
        yield path, type_
    elif isinstance(inner, GraphQLInputObjectType) and inner.name not in seen:
        for name, field in inner.fields.items():
            yield from _datetime_paths(field.type, (*path, name), seen | {inner.name})


def _routes() -> dict[str, tuple[str, tuple[Step, ...]]]:
    """The shortest way to reach each object type from the query (or else the mutation) root."""
    routes: dict[str, tuple[str, tuple[Step, ...]]] = {}
    queue: list[tuple[str, GraphQLObjectType, tuple[Step, ...]]] = []
    for operation, root in (("query", GRAPHQL_SCHEMA.query_type), ("mutation", GRAPHQL_SCHEMA.mutation_type)):
        assert root is not None
        routes[root.name] = (operation, ())
        queue.append((operation, root, ()))
    while queue:
        operation, owner, steps = queue.pop(0)
        for name, field in owner.fields.items():
            target = get_named_type(field.type)
            if isinstance(target, GraphQLObjectType) and target.name not in routes:
                routes[target.name] = (operation, (*steps, Step(name, field)))
                queue.append((operation, target, routes[target.name][1]))
    return routes


def datetime_positions() -> list[Position]:
    routes = _routes()
    found: list[Position] = []
    for owner_name, (operation, steps) in routes.items():
        owner = GRAPHQL_SCHEMA.type_map[owner_name]
        assert isinstance(owner, GraphQLObjectType)
        for field_name, field in owner.fields.items():
            for arg_name, arg in field.args.items():
                for path, type_ in _datetime_paths(arg.type, (arg_name,), frozenset()):
                    found.append(Position(operation, (*steps, Step(field_name, field)), path, type_))
    return found


POSITIONS = datetime_positions()


def _sample(type_: GraphQLInputType) -> str:
    """A literal the type accepts, for arguments the operation must give besides the one tested."""
    if isinstance(type_, GraphQLNonNull):
        return _sample(type_.of_type)
    if isinstance(type_, GraphQLList):
        return f"[{_sample(type_.of_type)}]"
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        return "{" + ", ".join(f"{n}: {_sample(f.type)}" for n, f in type_.fields.items() if _required(f)) + "}"
    return {"ID": '"1"', "String": '"x"', "Int": "1", "Float": "1.0", "Boolean": "false",
            "DateTime": f'"{WITH_OFFSET}"', "JSON": "{}"}[type_.name]


def _required(field: GraphQLArgument | GraphQLInputField) -> bool:
    return is_non_null_type(field.type) and field.default_value is Undefined


def _value_at(type_: GraphQLInputType, path: tuple[str | int, ...], placed: str) -> str:
    """The literal of ``type_`` with ``placed`` at ``path`` and samples for what else is required."""
    if not path:
        return placed
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(inner, GraphQLList):
        return f"[{_value_at(inner.of_type, path[1:], placed)}]"
    assert isinstance(inner, GraphQLInputObjectType)
    head = path[0]
    parts = [f"{n}: {_sample(f.type)}" for n, f in inner.fields.items() if _required(f) and n != head]
    parts.append(f"{head}: {_value_at(inner.fields[str(head)].type, path[1:], placed)}")
    return "{" + ", ".join(parts) + "}"


def document(position: Position, placed: str, variable: str | None = None) -> str:
    """An operation that reaches the position and puts ``placed`` there (a literal or ``$var``)."""
    selection = "__typename"
    for index in range(len(position.steps) - 1, -1, -1):
        step = position.steps[index]
        args = []
        for name, arg in step.field.args.items():
            if index == len(position.steps) - 1 and name == position.path[0]:
                args.append(f"{name}: {_value_at(arg.type, position.path[1:], placed)}")
            elif _required(arg):
                args.append(f"{name}: {_sample(arg.type)}")
        call = f"{step.name}({', '.join(args)})" if args else step.name
        needs_selection = isinstance(get_named_type(step.field.type), GraphQLObjectType)
        selection = f"{call} {{ {selection} }}" if needs_selection else call
    header = f"({variable}: {position.type_})" if variable else ""
    return f"{position.operation}{header} {{ {selection} }}"


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
