"""Shared fixtures. Every test that needs a database runs on SQLite, and on PostgreSQL too when
PAGERLINE_TEST_DATABASE_URL is set; Redis tests run when PAGERLINE_TEST_REDIS_URL is set."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from pagerline.db import close_db, init_db
from pagerline.engine.alerts import actions as alert_actions
from pagerline.engine.sources import policy as source_policy, lookup as sources, recent_payloads
from pagerline.engine.core.effects import NullDispatcher, set_dispatcher
from tests.support.databases import TemplateDatabases, pg_base_url, redis_base_url
from tests.support.world import WorldFactory, world_factory


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemplateDatabases]:
    made = TemplateDatabases(tmp_path_factory.mktemp("templates"))
    yield made
    made.drop_all()


def _backend_params() -> list[object]:
    return ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=_backend_params())
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and not pg_base_url():
        pytest.skip("PostgreSQL variant: set PAGERLINE_TEST_DATABASE_URL to run it")
    return str(request.param)


@pytest.fixture
def database_url(backend: str, templates: TemplateDatabases, tmp_path: Path) -> str:
    return templates.sqlite(tmp_path) if backend == "sqlite" else templates.postgres()


@pytest.fixture
def pg_database_url(templates: TemplateDatabases) -> str:
    if not pg_base_url():
        pytest.skip("needs PostgreSQL: set PAGERLINE_TEST_DATABASE_URL")
    return templates.postgres()


@pytest.fixture
def redis_url() -> str:
    url = redis_base_url()
    if not url:
        pytest.skip("needs Redis: set PAGERLINE_TEST_REDIS_URL")
    import redis

    # Leftover messages of an earlier test would point at another test's database.
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[str]:
    """The engine's database, initialised in this test's event loop."""
    async for url in _engine_db(database_url):
        yield url


@pytest.fixture
def heavy_database_url(templates: TemplateDatabases, tmp_path: Path) -> str:
    """For the few heavy tests that run once, not per backend: PostgreSQL when configured (the
    production database, with real row locks), else SQLite."""
    return templates.postgres() if pg_base_url() else templates.sqlite(tmp_path)


@pytest.fixture
async def heavy_db(heavy_database_url: str) -> AsyncIterator[str]:
    async for yielded in _engine_db(heavy_database_url):
        yield yielded


async def _engine_db(database_url: str) -> AsyncIterator[str]:
    sources.clear_cache()
    source_policy.clear_policy_cache()  # keyed by source id, which every test database reuses
    alert_actions.clear_action_cache()  # the same
    recent_payloads.forget()  # the same
    set_dispatcher(NullDispatcher())
    await init_db(database_url)
    try:
        yield database_url
    finally:
        await close_db()
        sources.clear_cache()


def run(coro):  # type: ignore[no-untyped-def]
    """Run engine code from a synchronous (process-driving) test, with its own DB connection."""
    return asyncio.run(coro)


@pytest.fixture
def open_world(templates: TemplateDatabases, tmp_path: Path) -> Iterator[WorldFactory]:
    """``open_world(reach={"bob": "SMS"})``: a running server with the provider fakes and a
    seeded organisation, with verbs for smoke tests (tests/support/world.py)."""
    with world_factory(templates, tmp_path) as factory:
        yield factory
