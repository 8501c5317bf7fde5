"""A document the server has seen is neither parsed nor validated again: both took longer than
running a screen's query (13 ms of a 35 ms ``acceptAlert``). The cached verdict is the same
verdict, so documents beyond the size limits stay refused however often they come. The real
app answers in-process through httpx's ASGI transport; graphql-core's ``validate`` (a library
function, not pagerline's) is counted where Strawberry calls it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import strawberry.schema.schema as strawberry_schema

from pagerline.db import close_db, init_db
from pagerline.graphql.schema import MAX_ALIASES, MAX_DEPTH
from tests.support.graphql import in_process_client
from tests.support.seed import Org, seed_org


@pytest.fixture
async def app_client(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Org]]:
    await init_db(database_url)
    try:
        org = await seed_org()
    finally:
        await close_db()
    async with in_process_client(database_url) as client:
        yield client, org


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per document graphql-core validates."""
    seen: list[int] = []
    original: Callable[..., Any] = strawberry_schema.validate

    def counting(*args: Any, **kwargs: Any) -> Any:
        seen.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(strawberry_schema, "validate", counting)
    return seen


async def post(client: httpx.AsyncClient, token: str, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (200, 400), response.text
    return dict(response.json())


async def test_a_document_sent_again_is_validated_once(app_client: tuple[httpx.AsyncClient, Org], validations: list[int]) -> None:
    client, org = app_client
    # A name no other test sends, so the document is new to the (process-wide) cache.
    query = f"query Probe{uuid.uuid4().hex} {{ me {{ name }} }}"
    for token in (org.alice_token, org.bob_token, org.alice_token):
        body = await post(client, token, query)
        assert "errors" not in body and body["data"]["me"]["name"] in ("Alice", "Bob")
    assert len(validations) == 1
    # Another document is validated in its turn.
    await post(client, org.alice_token, f"query Other{uuid.uuid4().hex} {{ me {{ email }} }}")
    assert len(validations) == 2


async def test_a_refused_document_stays_refused_when_sent_again(app_client: tuple[httpx.AsyncClient, Org], validations: list[int]) -> None:
    client, org = app_client
    tag = uuid.uuid4().hex
    deep = f"query Deep{tag} " + "{ me { teams { members { teams { members { teams { members { teams { members { teams { members { name } } } } } } } } } } } }"
    assert deep.count("{") - 1 > MAX_DEPTH
    aliases = f"query Wide{tag} {{ " + " ".join(f"a{i}: me {{ name }}" for i in range(MAX_ALIASES + 1)) + " }"
    for query, says in ((deep, "exceeds maximum operation depth"), (aliases, "aliases")):
        for _ in range(3):
            body = await post(client, org.alice_token, query)
            assert body.get("data") is None and says in " ".join(e["message"] for e in body["errors"]).lower()
            assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert len(validations) == 2  # once each
    # And a variable that does not match is refused each time (variables are not part of the key).
    typed = f"query Typed{tag}($first: Int) {{ alerts(first: $first) {{ edges {{ node {{ id }} }} }} }}"
    for _ in range(2):
        body = await post(client, org.alice_token, typed, first="many")
        assert body.get("data") is None and body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
