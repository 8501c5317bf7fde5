"""The ``DateTime`` scalar: one rule for every date-time a client sends.

A date-time must carry its UTC offset (``2026-11-02T06:30:00Z`` or ``2026-11-02T07:30:00+01:00``).
Without one it could mean UTC, the schedule's zone or the phone's: a 10:00-12:00 override meant
in New York would silently land at 10:00Z. So one without an offset is refused, here in the
scalar, for inline literals and variables alike, and no resolver ever sees a naive datetime.
Values are handed on in UTC; answers are written with their offset.
"""

from __future__ import annotations

from datetime import UTC, datetime

from graphql import GraphQLError
from strawberry.types.scalar import ScalarDefinition

#: Outside these years no schedule, mute or maintenance window makes sense, and staying well
#: inside Python's year 1..9999 keeps the engine's date arithmetic (ranges, lookbacks) safe.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)

EXAMPLE = '"2026-11-02T06:30:00Z" or "2026-11-02T07:30:00+01:00"'


def _refuse(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


def parse_datetime(value: object) -> datetime:
    """An ISO-8601 date-time with a UTC offset, as an aware datetime in UTC."""
    if not isinstance(value, str):
        raise _refuse(f"A DateTime is a string such as {EXAMPLE}, not {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _refuse(f"'{value[:60]}' is not an ISO-8601 date-time such as {EXAMPLE}") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise _refuse(f"'{value[:60]}' has no UTC offset: add 'Z' or one like '+01:00', e.g. {EXAMPLE}")
    try:
        in_utc = parsed.astimezone(UTC)
    except OverflowError:
        in_utc = None
    if in_utc is None or not EARLIEST <= in_utc < LATEST:
        raise _refuse(f"'{value[:60]}' is out of range: from {EARLIEST.year} to before {LATEST.year}")
    return in_utc


def serialize_datetime(value: datetime) -> str:
    # The database keeps UTC; a value that lost its zone on the way is UTC, and says so.
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).isoformat()


DateTimeDefinition = ScalarDefinition(
    name="DateTime",
    description=(
        "An ISO-8601 date and time with its UTC offset, e.g. 2026-11-02T06:30:00Z or "
        "2026-11-02T07:30:00+01:00. One without an offset is refused (BAD_USER_INPUT)."
    ),
    specified_by_url=None,
    serialize=serialize_datetime,
    parse_value=parse_datetime,
    parse_literal=None,  # graphql-core then parses a literal's value with parse_value
    origin=datetime,
)

SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {datetime: DateTimeDefinition}
