"""Counting the SQL statements the app sends, from inside the process, whatever the backend.

The counter wraps the execute methods of a Tortoise client class (so every instance, on any
thread, goes through it): a test can then say how many statements a request cost, which is what
an N+1 regression changes, without mocking anything of pagerline.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
from tortoise.backends.base.client import BaseDBAsyncClient

EXECUTE_METHODS = ("execute_query", "execute_query_dict", "execute_insert", "execute_many", "execute_script")


class StatementCounter:
    """Counts every statement a Tortoise client class sends (all its instances, any thread)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def install(self, monkeypatch: pytest.MonkeyPatch, client_class: type[BaseDBAsyncClient]) -> None:
        for name in EXECUTE_METHODS:
            original = getattr(client_class, name)
            monkeypatch.setattr(client_class, name, self._counting(original))

    def answered(self, result: Any) -> None:
        """What one statement brought back; a subclass that also counts rows looks at it here."""

    def _counting(self, original: Any) -> Any:
        @functools.wraps(original)
        async def wrapper(client: BaseDBAsyncClient, query: str, *args: Any, **kwargs: Any) -> Any:
            self.statements.append(query)  # before it runs: a statement that fails still counts
            result = await original(client, query, *args, **kwargs)
            self.answered(result)
            return result

        return wrapper


def client_class_for(database_url: str) -> type[BaseDBAsyncClient]:
    """The Tortoise client class that serves ``database_url`` (SQLite or PostgreSQL)."""
    if database_url.startswith("sqlite"):
        from tortoise.backends.sqlite.client import SqliteClient

        return SqliteClient
    from tortoise.backends.asyncpg.client import AsyncpgDBClient

    return AsyncpgDBClient
