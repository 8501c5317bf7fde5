"""Database configuration, connection set-up and migrations.

Tortoise 1.x keeps its state in a context variable; ``_enable_global_fallback`` makes the one
context visible to every task and thread of the process (Starlette requests, Dramatiq actors run
on our loop, the sweeper).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tortoise import Tortoise

from pagerline.models import MODEL_MODULES
from pagerline.settings import get_settings

MIGRATIONS_MODULE = "pagerline.models.migrations"


async def _reset_connection(connection: Any) -> None:
    """What a pooled PostgreSQL connection needs before reuse. asyncpg's default reset runs
    ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` on every release, one extra
    round trip per query; pagerline keeps no session state (no LISTEN, advisory locks or SET), so
    only an unfinished transaction needs undoing."""
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


def _connection_config(database_url: str) -> str | dict[str, Any]:
    if not database_url.startswith(("postgres://", "asyncpg://", "postgresql://")):
        return database_url
    from tortoise.backends.base.config_generator import expand_db_url

    config = expand_db_url(database_url.replace("postgresql://", "postgres://", 1))
    config["credentials"].setdefault("maxsize", 10)
    config["credentials"]["reset"] = _reset_connection
    # The tables are skewed: nearly every alert is RESOLVED and nearly every notification final.
    # A generic plan for a prepared "status IN ($1, $2)" guesses a third of the rows, walks the
    # history and cannot use the partial indexes on open work; plan each statement with its values.
    config["credentials"].setdefault("server_settings", {})["plan_cache_mode"] = "force_custom_plan"
    return config


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise config dict for a database URL (sqlite://… or postgres://…)."""
    return {
        "connections": {"default": _connection_config(database_url)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _default_config() -> dict[str, Any]:
    return tortoise_config(get_settings().database_url)


# Read by the `tortoise` CLI through `[tool.tortoise]` in pyproject.toml (makemigrations).
TORTOISE_ORM = _default_config()


def is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite")


def ensure_sqlite_dir(database_url: str) -> None:
    """SQLite will not create the folder of its file; `var/` may not exist on a fresh clone."""
    if not is_sqlite(database_url):
        return
    path = database_url.split("://", 1)[1].split("?", 1)[0]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def forget_compiled_queries() -> None:
    """Tortoise caches each table's compiled INSERT/UPDATE SQL by connection *name*, not by
    dialect. A process that switches the "default" connection from SQLite to PostgreSQL (the
    test suite does) must drop that cache, or PostgreSQL receives SQLite's ``?`` placeholders.
    Private API: pinned in pyproject and guarded by tests/unit/test_stack_guards.py."""
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    EXECUTOR_CACHE.clear()


async def init_db(database_url: str) -> None:
    ensure_sqlite_dir(database_url)
    forget_compiled_queries()
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()


async def migrate(database_url: str) -> None:
    """Apply the checked-in migrations (idempotent)."""
    from tortoise.migrations.api import migrate as tortoise_migrate

    ensure_sqlite_dir(database_url)
    try:
        await tortoise_migrate(config=tortoise_config(database_url))
    finally:
        await Tortoise.close_connections()


def database_url_from_env() -> str:
    return os.environ.get("PAGERLINE_DATABASE_URL", get_settings().database_url)
