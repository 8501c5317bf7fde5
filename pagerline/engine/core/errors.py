"""Errors the engine raises for the caller's mistakes. Adapters map ``code`` to HTTP statuses
and GraphQL ``extensions.code``; anything else is an internal error."""

from __future__ import annotations


class EngineError(Exception):
    code = "BAD_USER_INPUT"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # The argument or input field at fault, as the API names it (the admin console shows
        # the message beside that field); None when no single one is.
        self.field = field


class NotFound(EngineError):
    code = "NOT_FOUND"


class Conflict(EngineError):
    code = "CONFLICT"


class Forbidden(EngineError):
    code = "FORBIDDEN"


class BadInput(EngineError):
    code = "BAD_USER_INPUT"
