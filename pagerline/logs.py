"""Process logs: one line per record, as text or JSON (``PAGERLINE_LOG_FORMAT``), each carrying
the id of the request it belongs to.

Every HTTP request and WebSocket connection gets a request id (the client's ``X-Request-ID``
when it sends a usable one, else a new one), echoed in the response's ``X-Request-ID`` header;
each GraphQL operation over a WebSocket gets its own, ``<connection id>.<n>``. The id lives in a
context variable, so every line logged while serving that request, by pagerline, Strawberry or
uvicorn, carries it, and a fault reported by a user can be found in the log by the id they saw.

The same configuration is handed to uvicorn (``uvicorn_log_config``) so that its own lines,
and every server process it starts with ``--workers``, log the same way.
"""

from __future__ import annotations

import itertools
import json
import logging
import logging.config
import re
import secrets
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

LogFormat = Literal["text", "json"]

request_id: ContextVar[str | None] = ContextVar("pagerline_request_id", default=None)

HEADER = "x-request-id"
# Ids a client may choose: short, printable, nothing that could forge a second log line.
_USABLE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def new_request_id() -> str:
    return secrets.token_hex(8)


def incoming_request_id(raw: bytes | None) -> str:
    """The client's id when it is usable, else a new one."""
    text = raw.decode("latin-1") if raw else ""
    return text if _USABLE_ID.fullmatch(text) else new_request_id()


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; a traceback stays inside its record as one string."""

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", None) or request_id.get()
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": None if rid == "-" else rid,  # "-" is the text format's "outside any request"
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["traceback"] = record.exc_text
        return json.dumps(entry, default=str)


def logging_config(log_format: LogFormat, level: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for every pagerline process (server, worker, CLI)."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"} if log_format == "json" else {"format": _TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": f"{__name__}.RequestIdFilter"},
            # GraphQL errors a client caused are one line, real faults keep their traceback.
            "graphql_errors": {"()": "pagerline.graphql.core.error_log.GraphQLErrorLevels"},
        },
        "formatters": {"pagerline": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "pagerline",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        "loggers": {
            # uvicorn's loggers bring their own handlers; send them through ours instead.
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": True},
            "strawberry.execution": {"filters": ["graphql_errors"]},
        },
    }


def setup_logging(log_format: LogFormat, level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(log_format, level))


class RequestIdMiddleware:
    """Gives each HTTP request and WebSocket connection its request id and echoes it back
    (the response's and the WebSocket handshake's ``X-Request-ID`` header)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        wanted = next((value for name, value in scope.get("headers", ()) if name == b"x-request-id"), None)
        rid = incoming_request_id(wanted)
        scope.setdefault("state", {})["request_id"] = rid
        echoed = (b"x-request-id", rid.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept"):
                message = {**message, "headers": [*message.get("headers", ()), echoed]}
            await send(message)

        # Not reset afterwards: each request and connection runs in a task of its own, and
        # uvicorn's report of an exception that escaped the app should carry the id too.
        request_id.set(rid)
        await self.app(scope, receive, send_with_id)


def begin_operation(connection_id: str, counter: itertools.count[int]) -> str:
    """A GraphQL operation over a WebSocket: ``<connection id>.<n>`` for the rest of its task."""
    rid = f"{connection_id}.{next(counter)}"
    request_id.set(rid)
    return rid
