"""Turning GraphQL arguments into engine values: ids, and the clock resolvers pass as ``now``."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from pagerline.graphql.errors import user_error

MAX_ID = 2**31 - 1  # ids beyond the column's range are bad input, not a database error


def parse_id(raw: strawberry.ID | str, what: str = "id") -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = 0
    if not 0 < value <= MAX_ID:
        raise user_error("BAD_USER_INPUT", f"'{raw}' is not a valid {what}")
    return value


def parse_ids(raw: list[strawberry.ID] | None, what: str = "id") -> list[int]:
    return [parse_id(item, what) for item in raw or []]


def optional_id(raw: strawberry.ID | None, what: str = "id") -> int | None:
    return None if raw is None else parse_id(raw, what)


def now() -> datetime:
    return datetime.now(UTC)
