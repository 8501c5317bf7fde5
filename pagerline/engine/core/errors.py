"""Errors the engine raises for the caller's mistakes. Adapters map ``code`` to HTTP statuses
and GraphQL ``extensions.code``; anything else is an internal error."""

from __future__ import annotations


class EngineError(Exception):
    code = "BAD_USER_INPUT"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(EngineError):
    code = "NOT_FOUND"


class Conflict(EngineError):
    code = "CONFLICT"


class Forbidden(EngineError):
    code = "FORBIDDEN"


class BadInput(EngineError):
    code = "BAD_USER_INPUT"
