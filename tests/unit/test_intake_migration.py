"""The intake-and-imports migration (0015) keeps every alert source and everything that belongs
to one: a database made at the previous schema (migrations up to 0014) holding a source with a
dropped event and a chat channel, then migrated to the head.

0015 widens the sources' integration type. Tortoise's own AlterField rebuilds the table on
SQLite, and dropping the old table cascaded to every row referring to a source: this test
failed that way until the migration used WidenChoices.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from tortoise import Tortoise

from pagerline.db import migrate, tortoise_config
from tests.support.databases import _admin, _with_db, pg_base_url
from tests.support.migrating import migrate_to, rows

PREVIOUS = "0014_chat_channels"
SEED = [
    "INSERT INTO escalation_policies (id, name, repeating, frequency, created_at) VALUES (1, 'Ops', FALSE, 1, CURRENT_TIMESTAMP)",
    "INSERT INTO alert_sources (id, name, integration_type, integration_key_hash, integration_key_prefix, escalation_policy_id, "
    "default_priority, created_at, alert_creation, alert_grouping_window_sec, auto_raise_alerts) VALUES "
    "(1, 'Ops API', 'API', 'digest', 'il_', 1, 'HIGH', CURRENT_TIMESTAMP, 'ONE_ALERT_PER_KEY', 300, FALSE)",
    # Rows that refer to the source: a rebuild of alert_sources on SQLite deleted them.
    "INSERT INTO dropped_events (reason, event_type, summary, event, at, source_id) VALUES ('FILTERED', 'ALERT', 'Noise', '{}', CURRENT_TIMESTAMP, 1)",
    "INSERT INTO chat_channels (platform, target, name, source_id, dedicated_high, created_at) VALUES ('SLACK', 'C0OPS', '#ops', 1, FALSE, CURRENT_TIMESTAMP)",
]


async def _seed_previous_schema(url: str) -> None:
    await Tortoise.init(config=tortoise_config(url))
    try:
        client = Tortoise.get_connection("default")
        for statement in SEED:
            await client.execute_query(statement, [])
    finally:
        await Tortoise.close_connections()


async def _check(url: str) -> None:
    await migrate_to(url, f"models.{PREVIOUS}")
    await _seed_previous_schema(url)
    await migrate(url)
    assert await rows(url, "SELECT id, integration_type, intake_settings FROM alert_sources WHERE id > ?", 0) == [(1, "API", None)]
    assert await rows(url, "SELECT summary FROM dropped_events WHERE source_id = ?", 1) == [("Noise",)]
    assert await rows(url, "SELECT target FROM chat_channels WHERE source_id = ?", 1) == [("C0OPS",)]


async def test_the_migration_keeps_sources_and_what_belongs_to_them_on_sqlite(tmp_path: Path) -> None:
    await _check(f"sqlite://{tmp_path / 'previous.db'}")


@pytest.mark.postgres
async def test_the_migration_keeps_sources_and_what_belongs_to_them_on_postgres() -> None:
    base = pg_base_url()
    if not base:
        pytest.skip("PostgreSQL variant: set PAGERLINE_TEST_DATABASE_URL to run it")
    name = f"pl_mig_{uuid.uuid4().hex[:10]}"
    await _admin(base, f'CREATE DATABASE "{name}"')
    try:
        await _check(_with_db(base, name))
    finally:
        await _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
