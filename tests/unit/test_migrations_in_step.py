"""The checked-in migrations describe the models exactly: no model change without a migration.
Fix a failure with `.venv/bin/tortoise makemigrations` and commit the new file."""

from __future__ import annotations

from pathlib import Path

from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector

from pagerline.db import forget_compiled_queries, tortoise_config


async def test_models_and_migrations_agree(tmp_path: Path) -> None:
    forget_compiled_queries()
    config = tortoise_config(f"sqlite://{tmp_path}/check.db")
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        assert ctx.apps is not None
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
    pending = [op for w in writers for op in w.operations]
    assert pending == [], f"models changed without a migration: {pending}"
