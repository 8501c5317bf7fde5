"""GraphQL errors with ``extensions.code``; engine errors map onto them one to one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from tortoise.exceptions import ValidationError

from pagerline.engine.core.errors import EngineError


def user_error(code: str, message: str, field: str | None = None) -> GraphQLError:
    """``field``: the argument or input field at fault (``extensions.field``), e.g. "until" or
    "layer.rotation", for clients that show the message beside it."""
    return GraphQLError(message, extensions={"code": code, **({"field": field} if field else {})})


def bad_input(field: str, message: str) -> GraphQLError:
    return user_error("BAD_USER_INPUT", message, field)


def unauthenticated() -> GraphQLError:
    return user_error("UNAUTHENTICATED", "Sign in first: send 'Authorization: Bearer <token>'")


def forbidden(message: str = "You may not do this") -> GraphQLError:
    return user_error("FORBIDDEN", message)


def not_found(what: str) -> GraphQLError:
    return user_error("NOT_FOUND", f"{what} not found")


def from_engine(exc: EngineError) -> GraphQLError:
    return user_error(exc.code, exc.message, exc.field)


@contextmanager
def engine_errors() -> Iterator[None]:
    """Wrap an engine call: its EngineErrors become GraphQL errors with the same code."""
    try:
        yield
    except EngineError as exc:
        raise from_engine(exc) from exc


USER_ERROR_CODES = frozenset({"UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT", "CONFLICT"})
#: Codes the server sets itself that clients act on: kept as they are, never masked.
SERVICE_CODES = frozenset({"SERVICE_UNAVAILABLE", "RESYNC"})


MASKED_MESSAGE = "Unexpected error."

# Errors about the request itself, not a failure inside: graphql-core's coercion errors wrap
# the scalar's GraphQLError, and Strawberry reports a wrong operation type with its own.
_CLIENT_ORIGINS = (GraphQLError, InvalidOperationTypeError, CannotGetOperationTypeError, ValidationError)


# Tortoise's "<field>: Length of '<the whole value>' 5000 > 200", without echoing the value.
_TOO_LONG = re.compile(r"^(?:(\w+): )?Length of '.*' (\d+) > (\d+)$", re.DOTALL)


def _field_message(exc: ValidationError) -> str:
    found = _TOO_LONG.match(str(exc))
    if found is None:
        return str(exc)[:300]
    field, length, limit = found.groups()
    return f"{field or 'a value'} is too long: {length} characters, at most {limit}"


def error_code(error: GraphQLError) -> str | None:
    """The code the client sees, or None for an internal error (to be masked)."""
    code = (error.extensions or {}).get("code")
    if code in USER_ERROR_CODES or code in SERVICE_CODES:
        return str(code)
    original = error.original_error
    if isinstance(original, EngineError):  # escaped a resolver without engine_errors()
        return original.code
    if original is None or isinstance(original, _CLIENT_ORIGINS):
        # Syntax, validation, variable coercion, operation type, and values the models' own
        # field rules refuse (too long, out of range) whichever resolver let them through,
        # caught by the ORM before its query runs: all about what was sent.
        return "BAD_USER_INPUT"
    return None


# A message quotes what was sent so the client sees what to fix, but not all 5,000 characters.
_LONG_QUOTE = re.compile(r"'([^']{60})[^']{20,}'")


def with_code(error: GraphQLError, code: str) -> GraphQLError:
    original = error.original_error
    message = (
        original.message if isinstance(original, EngineError)
        else _field_message(original) if isinstance(original, ValidationError)
        else error.message
    )
    message = _LONG_QUOTE.sub(r"'\1…'", message)
    extensions = {**_field_of(original), **(error.extensions or {}), "code": code}
    if extensions == error.extensions and message == error.message:
        return error
    return GraphQLError(
        message, error.nodes, error.source, error.positions, error.path,
        original_error=original,  # kept for the server's log, never sent
        extensions=extensions,
    )


def _field_of(original: BaseException | None) -> dict[str, str]:
    """An engine error's field, for one that escaped a resolver without engine_errors()."""
    field = original.field if isinstance(original, EngineError) else None
    return {"field": field} if field else {}


class ErrorCodes(MaskErrors):
    """Every error carries ``extensions.code``: the client's mistakes keep their message and get
    one of USER_ERROR_CODES (BAD_USER_INPUT for syntax, validation and coercion errors); anything
    else is an internal failure, masked as "Unexpected error." so nothing internal leaks."""

    def __init__(self) -> None:
        super().__init__(error_message=MASKED_MESSAGE)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        labelled: list[GraphQLError] = []
        for error in errors:
            code = error_code(error)
            labelled.append(self.anonymise_error(error) if code is None else with_code(error, code))
        return labelled
