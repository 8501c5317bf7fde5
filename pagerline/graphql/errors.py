"""GraphQL errors with ``extensions.code``; engine errors map onto them one to one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from graphql import GraphQLError

from pagerline.engine.errors import EngineError


def user_error(code: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def unauthenticated() -> GraphQLError:
    return user_error("UNAUTHENTICATED", "Sign in first: send 'Authorization: Bearer <token>'")


def forbidden(message: str = "You may not do this") -> GraphQLError:
    return user_error("FORBIDDEN", message)


def not_found(what: str) -> GraphQLError:
    return user_error("NOT_FOUND", f"{what} not found")


def from_engine(exc: EngineError) -> GraphQLError:
    return user_error(exc.code, exc.message)


@contextmanager
def engine_errors() -> Iterator[None]:
    """Wrap an engine call: its EngineErrors become GraphQL errors with the same code."""
    try:
        yield
    except EngineError as exc:
        raise from_engine(exc) from exc


USER_ERROR_CODES = frozenset({"UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT", "CONFLICT"})
