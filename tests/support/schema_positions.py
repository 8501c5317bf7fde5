"""Every place the GraphQL schema takes a value of some scalar, read from the schema itself, and
the smallest operation that puts a given value there: for tests that must hold at every such
place, including ones added later (the DateTime rule, storable and over-long strings)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

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

from pagerline.graphql.schema import schema

WITH_OFFSET = "2026-11-02T06:30:00+01:00"
GRAPHQL_SCHEMA: GraphQLSchema = schema._schema


@dataclass(frozen=True)
class Step:
    """One field on the way from an operation's root to the field that takes the argument."""

    name: str
    field: GraphQLField


@dataclass(frozen=True)
class Position:
    operation: str  # "query" or "mutation"
    steps: tuple[Step, ...]  # the last one takes the argument
    path: tuple[str | int, ...]  # argument name, then input fields and list indexes
    type_: GraphQLInputType  # the value's own type there, e.g. DateTime or DateTime!

    @property
    def scalar(self) -> str:
        return get_named_type(self.type_).name

    @property
    def label(self) -> str:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.path[1:])
        return f"{self.operation} {'.'.join(s.name for s in self.steps)}({self.path[0]}{where})"

    @property
    def argument(self) -> str:
        return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(self.path))


def _paths(
    type_: GraphQLInputType, scalars: set[str], path: tuple[str | int, ...], seen: frozenset[str]
) -> Iterator[tuple[tuple[str | int, ...], GraphQLInputType]]:
    """Where values of the ``scalars`` go inside an argument of ``type_``: lists, input objects."""
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(inner, GraphQLList):
        yield from _paths(inner.of_type, scalars, (*path, 0), seen)
    elif get_named_type(inner).name in scalars:
        yield path, type_
    elif isinstance(inner, GraphQLInputObjectType) and inner.name not in seen:
        for name, field in inner.fields.items():
            yield from _paths(field.type, scalars, (*path, name), seen | {inner.name})


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


def argument_positions(scalars: set[str]) -> list[Position]:
    """Every place a query or mutation takes a value of one of ``scalars``: arguments of root
    and nested fields, fields of input objects, items of lists."""
    routes = _routes()
    found: list[Position] = []
    for owner_name, (operation, steps) in routes.items():
        owner = GRAPHQL_SCHEMA.type_map[owner_name]
        assert isinstance(owner, GraphQLObjectType)
        for field_name, field in owner.fields.items():
            for arg_name, arg in field.args.items():
                for path, type_ in _paths(arg.type, scalars, (arg_name,), frozenset()):
                    found.append(Position(operation, (*steps, Step(field_name, field)), path, type_))
    return found



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
