"""SQL fragments that differ between SQLite and PostgreSQL, for statements run through
:mod:`pagerline.engine.core.sql` (``?`` placeholders). Used where a read must be one round trip
(the schedule loader, the widget feed's three statements)."""

from __future__ import annotations

from typing import Any


def typed_null(postgres: bool, sql_type: str) -> str:
    """A NULL column in a ``UNION``: PostgreSQL resolves an untyped NULL in the first branches
    as text, which then fails to match an integer or timestamp column of a later branch."""
    return f"CAST(NULL AS {sql_type})" if postgres else "NULL"


def json_array_has(postgres: bool, column: str) -> str:
    """``column`` (a JSON array of integers) contains the integer bound to the one ``?``; bind
    :func:`json_array_param` of the value."""
    if postgres:
        return f"{column} @> ?::jsonb"
    return f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = ?)"


def json_array_param(postgres: bool, value: int) -> Any:
    return f"[{int(value)}]" if postgres else int(value)


def in_list(count: int) -> str:
    """``(?, ?, ?)`` for ``IN``; ``(NULL)`` for none, which matches nothing."""
    return "(" + ", ".join("?" * count) + ")" if count else "(NULL)"
