"""Subscription events must not re-collect the query's selection each time (graphql-core 3.3
memoizes it by a list built per execution: every event missed the memo and added to it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import graphql.execution.executor as executor_module
import pytest
import strawberry

from pagerline.graphql.core.execution import PagerlineExecutionContext


@strawberry.type
class Inner:
    a: int
    b: str


@strawberry.type
class Event:
    kind: str
    inner: Inner


@strawberry.type
class Query:
    ok: bool = True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def events(self) -> AsyncGenerator[Event, None]:
        for i in range(EVENTS):
            yield Event(kind="UPDATED", inner=Inner(a=i, b=str(i)))


EVENTS = 200


def collections_during_subscription(context_class: type[Any] | None, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[Any]]:
    calls = 0
    real = executor_module.collect_subfields

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(executor_module, "collect_subfields", counting)
    monkeypatch.setattr("pagerline.graphql.core.execution.collect_subfields", counting)
    schema = strawberry.Schema(query=Query, subscription=Subscription, execution_context_class=context_class)

    async def run() -> list[Any]:
        stream = await schema.subscribe("subscription { events { kind inner { a b } } }")
        return [result.data async for result in stream]  # type: ignore[union-attr]

    results = asyncio.run(run())
    return calls, results


def test_the_selection_is_collected_once_per_subscription_not_per_event(monkeypatch: pytest.MonkeyPatch) -> None:
    calls, results = collections_during_subscription(PagerlineExecutionContext, monkeypatch)
    assert len(results) == EVENTS and results[-1] == {"events": {"kind": "UPDATED", "inner": {"a": EVENTS - 1, "b": str(EVENTS - 1)}}}
    assert calls <= 2  # Event's and Inner's subfields, once each


def test_graphql_core_alone_collects_per_event(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards the reason for PagerlineExecutionContext: when graphql-core fixes its memo, this
    fails and the override can go."""
    calls, _ = collections_during_subscription(None, monkeypatch)
    assert calls >= EVENTS
