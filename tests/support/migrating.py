"""Migration tests' tools: take a database to a given migration, and read rows with plain SQL
(the models describe the head schema, not the one a test seeds)."""

from __future__ import annotations

from tortoise import Tortoise

from pagerline.db import tortoise_config


async def migrate_to(url: str, target: str | None) -> None:
    from tortoise.migrations.api import migrate as tortoise_migrate

    try:
        await tortoise_migrate(config=tortoise_config(url), target=target)
    finally:
        await Tortoise.close_connections()


async def rows(url: str, statement: str, *params: object) -> list[tuple[object, ...]]:
    await Tortoise.init(config=tortoise_config(url))
    try:
        client = Tortoise.get_connection("default")
        if client.capabilities.dialect == "postgres":
            statement = statement.replace("?", "$1")
        _, rows = await client.execute_query(statement, list(params))
        return [tuple(row.values()) if hasattr(row, "values") else tuple(row) for row in rows]
    finally:
        await Tortoise.close_connections()
