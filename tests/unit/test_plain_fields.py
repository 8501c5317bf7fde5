"""Plain fields are answered around graphql-core's per-field machinery (graphql/core/plain_fields.py):
the answers and the errors must be exactly graphql-core's own, whatever the values, and the
shortcut must really be taken (it rests on details of Strawberry and graphql-core that a new
version could change without any answer changing)."""

from __future__ import annotations

import asyncio
from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension

from pagerline.graphql.core.execution import PagerlineExecutionContext


@strawberry.enum
class Colour(Enum):
    RED = "RED"
    BLUE = "BLUE"


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Tag(Named):
    name: str
    colour: Colour
    weight: int
    note: str | None = None


@strawberry.type
class Other(Named):
    name: str


@strawberry.type
class Box:  # no interface: Strawberry gives it no is_type_of
    size: int


@strawberry.type
class Item:
    id: strawberry.ID
    label: str
    tags: list[Tag]
    main: Tag | None
    named: Named | None = None
    box: Box | None = None

    @strawberry.field
    async def later(self) -> Tag:
        await asyncio.sleep(0)
        return self.tags[0]


def _tag(i: int) -> Tag:
    return Tag(name=f"tag {i}", colour=Colour.RED if i % 2 else Colour.BLUE, weight=i, note=None if i % 3 else f"note {i}")


def _items(count: int) -> list[Item]:
    return [Item(id=strawberry.ID(str(i)), label=f"item {i}", tags=[_tag(i), _tag(i + 1)], main=_tag(i) if i % 2 else None,
                 named=Other(name="other") if i % 4 == 0 else _tag(i), box=Box(size=i) if i % 3 else None) for i in range(count)]


class Later:
    """An awaitable attribute value (graphql-core awaits it), harmless when never awaited."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __await__(self) -> Any:
        yield from asyncio.sleep(0).__await__()
        return self.value


def _odd_items() -> list[Item]:
    """Values graphql-core treats specially, each in its own item."""
    items = _items(6)
    items[0].label = None  # type: ignore[assignment]  # null for a non-null field: an error, the item nulled
    items[1].tags[0].weight = "heavy"  # type: ignore[assignment]  # not an Int
    items[2].main = Other(name="not a tag")  # type: ignore[assignment]  # an object of the wrong type
    items[3].main = Later(_tag(7))  # type: ignore[assignment]  # awaitables: graphql-core awaits them
    items[3].box = Later(Box(size=7))  # type: ignore[assignment]
    items[3].tags[0].name = Later("a name")  # type: ignore[assignment]
    items[4].tags = (t for t in items[4].tags)  # type: ignore[assignment]  # an iterator, not a list
    items[5].tags[1].colour = "GREEN"  # type: ignore[assignment]  # no such enum value
    items[5].tags[0].name = ValueError("a value that is an error")  # type: ignore[assignment]  # raised, not shown
    items[4].box = KeyError("box")  # type: ignore[assignment]
    return items


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return _items(40)

    @strawberry.field
    async def items_later(self) -> list[Item]:
        await asyncio.sleep(0)
        return _items(40)

    @strawberry.field
    def odd_items(self) -> list[Item | None]:
        return _odd_items()  # type: ignore[return-value]

    @strawberry.field
    def strict_odd_items(self) -> list[Item]:
        return _odd_items()


QUERIES = [
    "{ items { id label tags { name colour weight note } main { name colour } box { size } } }",
    "{ itemsLater { id first: label tags { __typename name } main { weight } later { name } } }",
    "query($on: Boolean!) { items { id label @include(if: $on) tags @skip(if: $on) { name } ...F } } fragment F on Item { main { name note } }",
    "{ items { named { name ... on Tag { colour } ... on Other { __typename } } } }",
    "{ oddItems { id label tags { name colour weight } main { name weight } box { size } } }",
    "{ strictOddItems { id tags { weight } } }",
    "{ oddItems { main { name } } }",
]


class CountingResolves(SchemaExtension):
    seen = 0

    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        CountingResolves.seen += 1
        return _next(root, info, *args, **kwargs)


def _result(schema: strawberry.Schema, query: str) -> dict[str, Any]:
    result = asyncio.run(schema.execute(query, variable_values={"on": True}))
    errors = sorted((e.message, tuple(e.path or ()), tuple((loc.line, loc.column) for loc in e.locations or ())) for e in result.errors or [])
    return {"data": result.data, "errors": errors}


@pytest.mark.parametrize("query", QUERIES)
def test_answers_and_errors_are_graphql_cores_own(query: str) -> None:
    fast = strawberry.Schema(query=Query, execution_context_class=PagerlineExecutionContext)
    reference = strawberry.Schema(query=Query)
    assert _result(fast, query) == _result(reference, query)


def test_plain_fields_skip_the_per_field_machinery(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    real = PagerlineExecutionContext.execute_field

    def counting(self: PagerlineExecutionContext, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(self, *args, **kwargs)

    monkeypatch.setattr(PagerlineExecutionContext, "execute_field", counting)
    schema = strawberry.Schema(query=Query, execution_context_class=PagerlineExecutionContext)
    data = _result(schema, "{ items { id label tags { name colour weight note } main { name } } }")["data"]
    assert len(data["items"]) == 40 and data["items"][1]["main"] == {"name": "tag 1"}
    assert calls == 1  # the root field's resolver; its 40 items and their ~600 fields read directly

    calls = 0
    _result(schema, "{ items { id later { name } } }")
    assert calls == 1 + 40  # a resolver below each item still runs (its answer read directly)


def test_a_schema_extension_that_sees_every_field_still_does() -> None:
    query = "{ items { id label tags { name } } }"
    CountingResolves.seen = 0
    _result(strawberry.Schema(query=Query, extensions=[CountingResolves]), query)
    expected = CountingResolves.seen
    CountingResolves.seen = 0
    _result(strawberry.Schema(query=Query, extensions=[CountingResolves], execution_context_class=PagerlineExecutionContext), query)
    assert CountingResolves.seen == expected > 40
