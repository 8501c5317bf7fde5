"""What a GraphQL request over HTTP loaded is freed when its response is built, without waiting
for the cyclic garbage collector: graphql-core's execution context refers to itself, and a
request's loaders (and every schedule, user and timeline page in them) kept in that cycle were
freed only by a collection, which then stalled whichever request came next (see
pagerline.graphql.core.execution). The real app answers in-process through httpx's ASGI
transport; the collector is switched off while it does, so only reference counting frees."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from pagerline.db import close_db, init_db
from pagerline.engine.schedules.editing import LayerInput, create_schedule
from pagerline.graphql.core.loaders import Loaders
from pagerline.models import ScheduleKind
from tests.support.web_app import web_app_document
from tests.support.graphql import data_via, event_via, in_process_client
from tests.support.seed import Org, seed_org


@pytest.fixture
async def app_client(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Org]]:
    await init_db(database_url)
    try:
        org = await seed_org()
        await create_schedule(
            "Ops rota", "UTC", ScheduleKind.RECURRING, org.team_id,
            [LayerInput(datetime.now(UTC) - timedelta(days=1), "P1D", [org.alice_id, org.bob_id])], [],
        )
    finally:
        await close_db()
    async with in_process_client(database_url) as client:
        yield client, org


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _live_loaders() -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, Loaders))


@pytest.mark.parametrize("name", ["DASHBOARD", "ON_CALL"])
async def test_a_requests_loaders_are_freed_with_its_response(
    app_client: tuple[httpx.AsyncClient, Org], collector_off: None, name: str
) -> None:
    client, org = app_client
    await event_via(client, org.api_key, "ALERT", "disk-full", "Disk full")
    before = _live_loaders()
    data = await data_via(client, org.alice_token, web_app_document(name))
    # The answer really came through the loaders (an empty one would prove nothing).
    if name == "DASHBOARD":
        [edge] = data["alerts"]["edges"]
        assert edge["node"]["source"]["name"] and edge["node"]["latestLogEntry"]["text"]
    else:
        assert [row["user"]["name"] in ("Alice", "Bob") for row in data["onCall"]] == [True] and data["onCallByPolicy"]
    assert _live_loaders() == before, "the request's loaders outlived its response (kept by a reference cycle)"
