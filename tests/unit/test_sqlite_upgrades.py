"""Upgrading an embedded (SQLite) installation keeps every row.

Tortoise changes a column on SQLite by rebuilding the table, and with foreign keys on, dropping
the old table deletes every row that refers to it with ON DELETE CASCADE: migration 0008 deleted
every alert's timeline, notifications and action tokens that way, and 0015 every source's
dropped events and chat channels, until both used operations that do not rebuild
(pagerline/models/migration_ops.py).

For each earlier migration (from 0007: below it, an upgrade of a non-empty database stops on
a NOT NULL column added without a default, and changes nothing), a database is taken to it,
one row is put in every table (parents first, each column filled by its type), and it is
migrated to the head: every table that still exists still has its row. A future migration is
covered by the start just before it without changing this test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tortoise import Tortoise

from pagerline.db import tortoise_config
from tests.support.migrating import migrate_to

MIGRATIONS = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "pagerline" / "models" / "migrations").glob("0*.py"))
STARTS = [name for name in MIGRATIONS[:-1] if name >= "0007"]


def _value(declared: str) -> str:
    kind = declared.upper()
    if "JSON" in kind:
        return "'{}'"
    if "TIMESTAMP" in kind or "DATE" in kind:
        return "CURRENT_TIMESTAMP"
    if any(word in kind for word in ("INT", "BOOL", "REAL", "FLOAT", "DECIMAL", "NUMERIC")):
        return "1"  # also every foreign key: each parent's one row has id 1
    return "'1'"


async def _tables(client: object) -> list[str]:
    _, found = await client.execute_query(  # type: ignore[attr-defined]
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'tortoise_migrations'"
    )
    return [row["name"] for row in found]


async def _one_row_everywhere(url: str) -> list[str]:
    """A row in every table, parents before children; the tables, in that order."""
    await Tortoise.init(config=tortoise_config(url))
    try:
        client = Tortoise.get_connection("default")
        names = await _tables(client)
        parents: dict[str, set[str]] = {}
        for name in names:
            _, keys = await client.execute_query(f'PRAGMA foreign_key_list("{name}")')
            parents[name] = {key["table"] for key in keys if key["table"] != name and key["table"] in names}
        order: list[str] = []
        while len(order) < len(names):
            ready = [n for n in names if n not in order and parents[n] <= set(order)]
            assert ready, f"foreign keys in a cycle: {sorted(set(names) - set(order))}"
            order.extend(ready)
        for name in order:
            _, columns = await client.execute_query(f'PRAGMA table_info("{name}")')
            filled = [c for c in columns if c["notnull"] or c["pk"]]
            await client.execute_script(
                f'INSERT INTO "{name}" ({", ".join(chr(34) + c["name"] + chr(34) for c in filled)}) '
                f'VALUES ({", ".join(_value(c["type"]) for c in filled)})'
            )
        return order
    finally:
        await Tortoise.close_connections()


async def _empty_tables(url: str) -> set[str]:
    await Tortoise.init(config=tortoise_config(url))
    try:
        client = Tortoise.get_connection("default")
        empty = set()
        for name in await _tables(client):
            _, counted = await client.execute_query(f'SELECT count(*) AS n FROM "{name}"')
            if counted[0]["n"] == 0:
                empty.add(name)
        return empty
    finally:
        await Tortoise.close_connections()


@pytest.mark.parametrize("start", STARTS)
async def test_upgrading_from_an_earlier_migration_keeps_every_row(tmp_path: Path, start: str) -> None:
    url = f"sqlite://{tmp_path / 'upgrade.db'}"
    await migrate_to(url, f"models.{start}")
    seeded = await _one_row_everywhere(url)
    await migrate_to(url, None)
    assert sorted(set(seeded) & await _empty_tables(url)) == []
