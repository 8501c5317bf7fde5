"""Query size limits: refused before anything runs, with a message saying which limit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pagerline.graphql.schema import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS
from tests.support.databases import TemplateDatabases
from tests.support.graphql import World, data, gql, running_world


@pytest.fixture(scope="module")
def world(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world(templates, tmp_path_factory.mktemp("gql-limits")) as made:
        yield made


def refused(world: World, query: str) -> str:
    body = gql(world.url, world.ops.alice_token, query)
    assert body.get("data") is None, body
    return " ".join(str(e["message"]) for e in body["errors"])


def test_documents_beyond_the_limits_are_refused(world: World) -> None:
    assert data(world.url, world.ops.alice_token, "{ me { name } }")["me"]["name"] == "Alice"  # within limits

    deep = "{ me { teams { members { teams { members { teams { members { teams { members { teams { members { name } } } } } } } } } } } }"
    assert deep.count("{") - 1 > MAX_DEPTH
    assert "exceeds maximum operation depth" in refused(world, deep)

    aliases = "{ " + " ".join(f"a{i}: me {{ name }}" for i in range(MAX_ALIASES + 1)) + " }"
    assert "aliases" in refused(world, aliases).lower()

    tokens = "{ me { " + " ".join(["name"] * MAX_TOKENS) + " } }"
    assert "token" in refused(world, tokens).lower()


def test_graphiql_is_served_at_the_graphql_url(world: World) -> None:
    import httpx

    page = httpx.get(f"{world.url}/graphql", headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200 and "graphiql" in page.text.lower()
