"""The contact-methods migration keeps every verified phone number and every address: a database
made at the previous schema (migrations up to 0010), with users as that schema held them, then
migrated to the head."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from tortoise import Tortoise

from pagerline.db import migrate, tortoise_config
from tests.support.databases import _admin, _with_db, pg_base_url
from tests.support.migrating import migrate_to, rows

PREVIOUS = "0010_web_push"
USERS = [
    # id, email, phone, phone_verified, phone_pending
    (1, "Alice@Example.com", "+4915112345678", True, None),
    (2, "bob@example.com", "+15550002", False, "+15550002"),  # never verified: not carried over
    (3, "carol@example.com", None, False, None),
]


async def _seed_previous_schema(url: str) -> None:
    await Tortoise.init(config=tortoise_config(url))
    try:
        client = Tortoise.get_connection("default")
        postgres = client.capabilities.dialect == "postgres"
        for user_id, email, phone, verified, pending in USERS:
            values = [user_id, email, email.split("@")[0], phone, verified, pending]
            marks = ", ".join(f"${i}" if postgres else "?" for i in range(1, 7))
            await client.execute_query(
                "INSERT INTO users (id, email, name, role, timezone, phone, phone_verified, phone_pending, phone_code_attempts, "
                f"muted_until, update_on_accepted, update_on_resolved, update_on_escalated, created_at) VALUES "
                f"({marks.split(', ')[0]}, {marks.split(', ')[1]}, {marks.split(', ')[2]}, 'USER', 'UTC', {marks.split(', ')[3]}, "
                f"{marks.split(', ')[4]}, {marks.split(', ')[5]}, 0, NULL, TRUE, TRUE, FALSE, CURRENT_TIMESTAMP)",
                values,
            )
        # Rows that refer to users: a migration that rebuilt the users table on SQLite deleted them.
        await client.execute_query("INSERT INTO notification_rules (user_id, method, delay_minutes, priority) VALUES (1, 'SMS', 0, 'HIGH')", [])
    finally:
        await Tortoise.close_connections()


async def _check(url: str) -> None:
    await migrate_to(url, f"models.{PREVIOUS}")
    await _seed_previous_schema(url)
    await migrate(url)
    methods = await rows(url, "SELECT user_id, kind, value, verified FROM contact_methods WHERE user_id > ? ORDER BY user_id, kind", 0)
    assert sorted((int(u), k, v, bool(ok)) for u, k, v, ok in methods) == [
        (1, "EMAIL", "alice@example.com", True),
        (1, "SMS", "+4915112345678", True),
        (1, "VOICE", "+4915112345678", True),
        (2, "EMAIL", "bob@example.com", True),
        (3, "EMAIL", "carol@example.com", True),
    ]
    assert await rows(url, "SELECT user_id, method FROM notification_rules WHERE user_id = ?", 1) == [(1, "SMS")]


async def test_the_migration_keeps_numbers_and_addresses_on_sqlite(tmp_path: Path) -> None:
    await _check(f"sqlite://{tmp_path / 'previous.db'}")


@pytest.mark.postgres
async def test_the_migration_keeps_numbers_and_addresses_on_postgres() -> None:
    base = pg_base_url()
    if not base:
        pytest.skip("PostgreSQL variant: set PAGERLINE_TEST_DATABASE_URL to run it")
    name = f"pl_mig_{uuid.uuid4().hex[:10]}"
    await _admin(base, f'CREATE DATABASE "{name}"')
    try:
        await _check(_with_db(base, name))
    finally:
        await _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
