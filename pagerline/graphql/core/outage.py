"""GraphQL while the database cannot be reached: an error with ``extensions.code``
``SERVICE_UNAVAILABLE`` (never the masked "Unexpected error."), HTTP 503 with ``Retry-After``,
and over a WebSocket a close with 1013 ("try again later") when signing in cannot be checked.
Nothing is kept from the outage: the next request that reaches the database works again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphql import GraphQLError, Node
from strawberry.types import Info

from pagerline.api.errors import is_database_outage
from pagerline.graphql.core.context import close_connection

CODE = "SERVICE_UNAVAILABLE"
RETRY_AFTER_SECONDS = 5
MESSAGE = "The service is unavailable: the database cannot be reached. Nothing was changed; retry shortly"
AFTER_CHANGE_MESSAGE = (
    "The change was made, but this part of the answer could not be read: the database cannot be reached. "
    "Do not repeat the change; refetch shortly"
)
# WebSocket close code 1013, "Try Again Later" (RFC 6455's registry): clients reconnect.
WS_TRY_AGAIN_LATER = 1013


def service_unavailable(
    nodes: Sequence[Node], path: list[str | int], cause: BaseException, after_change: bool = False
) -> GraphQLError:
    """The error a field answers with. It is built already located (nodes and path), so it
    reaches the client as it is: no original error for the error mask to hide. A field inside a
    mutation's answer fails after the mutation itself succeeded: that error says the change was
    made (``extensions.changed``) so that nobody repeats it, and it does not make the answer a 503."""
    if after_change:
        return _located(AFTER_CHANGE_MESSAGE, nodes, path, cause, {"code": CODE, "changed": True})
    return _located(MESSAGE, nodes, path, cause, {"code": CODE})


def _located(
    message: str, nodes: Sequence[Node], path: list[str | int], cause: BaseException, extensions: dict[str, Any]
) -> GraphQLError:
    error = GraphQLError(message, nodes=list(nodes), path=path, extensions=extensions)
    error.__cause__ = cause  # logged as the cause (pagerline.graphql.core.error_log)
    return error


def describe(cause: BaseException | None) -> str:
    """What the database driver said, for a one-line log entry: its type and first line."""
    if cause is None:
        return "no cause given"
    text = str(cause).strip()
    return f"{type(cause).__name__}: {text.splitlines()[0][:200]}" if text else type(cause).__name__


def unavailable_result() -> dict[str, Any]:
    """The whole answer when the database fails before execution (checking the token)."""
    return {"data": None, "errors": [{"message": MESSAGE, "extensions": {"code": CODE}}]}


def mentions_outage(response_data: dict[str, Any] | list[dict[str, Any]]) -> bool:
    """Whether a GraphQL answer (or a batch of them) reports the outage before anything was
    changed: then the whole answer is a 503 the client may retry. An outage met after a
    mutation's change was made is reported in the answer, never as a retryable 503."""
    results = response_data if isinstance(response_data, list) else [response_data]
    return any(
        (error.get("extensions") or {}).get("code") == CODE and not (error.get("extensions") or {}).get("changed")
        for result in results
        for error in result.get("errors") or ()
    )


async def close_if_database_outage(info: Info, exc: BaseException) -> None:
    """A subscription that cannot read what an event names: its WebSocket is closed with 1013,
    so the client reconnects (and refetches what it missed) instead of its subscription ending
    silently. Returns (the caller re-raises) for anything else, or over HTTP."""
    if is_database_outage(exc):
        await close_connection(info, WS_TRY_AGAIN_LATER, "database unreachable; reconnect shortly and refetch")
