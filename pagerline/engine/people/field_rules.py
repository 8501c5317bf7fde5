"""What a user's and a team's fields must be, checked once for every way an account or team is
made or changed (GraphQL ``createUser``/``updateUser``/``createTeam``, ``pagerline user create``,
the demo, password changes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pagerline.engine.core.errors import BadInput
from pagerline.engine.core.input_rules import check_text

MIN_PASSWORD = 8
# argon2 takes any length; a bound keeps one sign-in from costing megabytes of hashing.
MAX_PASSWORD = 1024
MAX_EMAIL = 254
MAX_NAME = 200

T = TypeVar("T")


def checked(field: str, rule: Callable[[str], T], raw: str) -> T:
    """``rule(raw)`` (one of the rules below), its refusal naming ``field`` (the argument as
    the API calls it, for ``extensions.field``)."""
    try:
        return rule(raw)
    except BadInput as exc:
        if exc.field is not None:
            raise
        raise BadInput(exc.message, field=field) from exc


def email(raw: str) -> str:
    """The address as stored: trimmed and lower-cased (sign-in compares it that way)."""
    value = check_text(raw, "email").strip().lower()
    local, at, domain = value.partition("@")
    if not at or not local or not domain or len(value) > MAX_EMAIL or any(c.isspace() for c in value):
        raise BadInput("A valid email address is required", field="email")
    return value


def name(raw: str) -> str:
    value = check_text(raw, "name").strip()
    if not 0 < len(value) <= MAX_NAME:
        raise BadInput(f"A name of 1 to {MAX_NAME} characters is required", field="name")
    return value


def team_name(raw: str) -> str:
    value = check_text(raw, "team name").strip()
    if not 0 < len(value) <= MAX_NAME:
        raise BadInput(f"A team name of 1 to {MAX_NAME} characters is required", field="name")
    return value


def timezone(raw: str) -> str:
    check_text(raw, "timezone")
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise BadInput(f"Unknown time zone '{raw}'; use an IANA name such as Europe/Berlin or UTC", field="timezone") from exc
    return raw


def password(raw: str, field: str = "password") -> str:
    check_text(raw, "password")
    if not MIN_PASSWORD <= len(raw) <= MAX_PASSWORD:
        raise BadInput(f"A password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters", field=field)
    return raw
