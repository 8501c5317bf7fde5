"""Turning GraphQL arguments into engine values: ids, and the clock resolvers pass as ``now``."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from pagerline.graphql.core.errors import user_error

MAX_ID = 2**31 - 1  # the id columns are 32-bit: a larger number never names a row


def lookup_id(raw: strawberry.ID | str) -> int | None:
    """The row id ``raw`` names, or None when no row can have it (not a number, out of range):
    for lookups that answer null for what is not there, as they do for what is not visible."""
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_ID)):
        return None  # also keeps int() away from a 100,000-digit string
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def parse_id(raw: strawberry.ID | str, what: str = "id") -> int:
    """The row id ``raw`` names. A number no row can have (0, past the column's range) is
    NOT_FOUND, as a missing row would be; anything else that is not a number is BAD_USER_INPUT."""
    value = lookup_id(raw)
    if value is not None:
        return value
    shown = str(raw)[:40]
    if shown.strip().isascii() and shown.strip().isdigit():
        raise user_error("NOT_FOUND", f"No {what} '{shown}' exists")
    raise user_error("BAD_USER_INPUT", f"'{shown}' is not a valid {what}")


def parse_ids(raw: list[strawberry.ID] | None, what: str = "id") -> list[int]:
    return [parse_id(item, what) for item in raw or []]


def optional_id(raw: strawberry.ID | None, what: str = "id") -> int | None:
    return None if raw is None else parse_id(raw, what)


def now() -> datetime:
    return datetime.now(UTC)
