"""Plain SQL for the few statements on the hot path of every new alert and every delivery.

Tortoise spends far more CPU building a query with joins than the database spends running it
(about 0.6 ms for the escalation policy with its rule targets, against 0.1 ms for the same
statement written out). The statements here are written once, with ``?`` placeholders, and
run on SQLite and PostgreSQL alike. Everything else goes through the ORM.
"""

from __future__ import annotations

import itertools
import re
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

_PLACEHOLDER = re.compile(r"\?")
_M = TypeVar("_M", bound=Model)


def _connection() -> BaseDBAsyncClient:
    # Inside in_transaction() this is the transaction's connection (a context variable).
    return connections.get("default")


def is_postgres(conn: BaseDBAsyncClient | None = None) -> bool:
    return (conn or _connection()).capabilities.dialect == "postgres"


@lru_cache(maxsize=256)
def _for_postgres(statement: str) -> str:
    """``?`` → ``$1, $2, …`` (our statements never hold a literal question mark). Unbounded: a
    retention batch at its largest setting is an ``IN`` list of 10,000 keys."""
    counter = itertools.count(1)
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", statement)


def _dialect(conn: BaseDBAsyncClient, statement: str) -> str:
    return _for_postgres(statement) if is_postgres(conn) else statement


async def fetch(statement: str, *params: Any) -> list[dict[str, Any]]:
    """Rows as dicts."""
    conn = _connection()
    return list(await conn.execute_query_dict(_dialect(conn, statement), list(params)))


async def execute(statement: str, *params: Any) -> int:
    """How many rows the statement changed."""
    conn = _connection()
    changed, _ = await conn.execute_query(_dialect(conn, statement), list(params))
    return int(changed)


def db_time(model: type[Model], field_name: str, value: datetime | None) -> Any:
    """A datetime as the column stores it (SQLite keeps ISO text, PostgreSQL a timestamptz)."""
    return model._meta.fields_map[field_name].to_db_value(value, model)


@lru_cache(maxsize=64)
def columns(model: type[Model], alias: str) -> str:
    """Every column of ``model`` as ``<alias>_<field>``, for a joined SELECT that fills several
    models at once (see :func:`from_row`). Built from the model, so new columns come along."""
    projection = model._meta.fields_db_projection
    return ", ".join(f'{alias}."{column}" AS "{alias}_{name}"' for name, column in projection.items())


def from_row(model: type[_M], row: dict[str, Any], alias: str) -> _M | None:
    """The ``model`` instance held by ``row``'s ``<alias>_…`` columns (None when a LEFT JOIN
    found nothing). Values go through the fields' own conversions (enums, JSON, SQLite text)."""
    prefix = f"{alias}_"
    values = {key[len(prefix) :]: value for key, value in row.items() if key.startswith(prefix)}
    if values.get(model._meta.pk_attr) is None:
        return None
    instance = model(**values)
    instance._saved_in_db = True
    return instance
