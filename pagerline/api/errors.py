"""REST errors: always JSON ``{status, message, code}``, and a database outage is a 503 with
``Retry-After``, never a 2xx without a commit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from tortoise.exceptions import DBConnectionError, OperationalError, TransactionManagementError

from pagerline.engine.core.errors import EngineError

_log = logging.getLogger(__name__)

Handler = Callable[[Request], Awaitable[Response]]


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"status": status, "message": message, "code": code}, status_code=status, headers=headers)


def api_error_response(exc: ApiError) -> JSONResponse:
    return error_response(exc.status, exc.code, exc.message, exc.headers)


def _connectivity_types() -> tuple[type[BaseException], ...]:
    types: list[type[BaseException]] = [DBConnectionError, ConnectionError, OSError, asyncio.TimeoutError]
    try:
        import asyncpg

        types += [asyncpg.exceptions.PostgresConnectionError, asyncpg.exceptions.InterfaceError]
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        pass
    return tuple(types)


CONNECTIVITY_ERRORS = _connectivity_types()

# PostgreSQL's answers that mean "not now" rather than "never": starting up or shutting down
# (57P03 cannot_connect_now), a connection ended by a restart or crash (57P01 admin_shutdown,
# 57P02 crash_shutdown), and no connection slot free (53300 too_many_connections). They are
# asyncpg PostgresErrors but not PostgresConnectionErrors, so only the SQLSTATE tells them apart.
TRANSIENT_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def _is_transient_postgres_error(exc: BaseException) -> bool:
    sqlstate = getattr(exc, "sqlstate", None)
    return isinstance(sqlstate, str) and (sqlstate in TRANSIENT_SQLSTATES or sqlstate.startswith("08"))


def is_database_outage(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) says the database cannot be reached."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, CONNECTIVITY_ERRORS) or _is_transient_postgres_error(current):
            return True
        if isinstance(current, (OperationalError, TransactionManagementError)):
            text = str(current).lower()
            if any(w in text for w in ("connect", "closed", "terminat", "timeout", "refused", "pool")):
                return True
        current = current.__cause__ or current.__context__
    return False


def unavailable(
    message: str = "The database is unreachable; the event was not stored, retry later", retry_after: int = 5
) -> JSONResponse:
    return error_response(503, "DATABASE_UNAVAILABLE", message, {"Retry-After": str(retry_after)})


# For a read, which changes nothing: the 503 says only that the database is away.
READ_UNAVAILABLE = "The database is unreachable, retry later"


def answering_errors(
    handler: Handler,
    status_of: Mapping[str, int] | None = None,
    rejected: Callable[[str], None] | None = None,
    unavailable_message: str = "The database is unreachable; nothing was changed, retry later",
) -> Handler:
    """Wraps a route so every failure it knows becomes its ``{status, message, code}`` answer:
    an ApiError as raised, an EngineError with the status ``status_of`` gives its code (400
    otherwise), a database outage 503 with Retry-After. ``rejected`` hears the code of each."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as exc:
            code, response = exc.code, api_error_response(exc)
        except EngineError as exc:
            code, response = exc.code, error_response((status_of or {}).get(exc.code, 400), exc.code, exc.message)
        except Exception as exc:
            if not is_database_outage(exc):
                raise
            code, response = "DATABASE_UNAVAILABLE", unavailable(unavailable_message)
        if rejected is not None:
            rejected(code)
        return response

    return endpoint


# Starlette's own answers (no such route, method not allowed) and anything unforeseen answer in
# the same JSON shape as every route's errors, so a client needs one way to read them.
_CODE_OF_HTTP_STATUS = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


async def http_exception_response(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _CODE_OF_HTTP_STATUS.get(exc.status_code, "HTTP_ERROR")
    return error_response(exc.status_code, code, str(exc.detail), dict(exc.headers or {}))


async def client_gone_response(request: Request, exc: Exception) -> Response:
    """A client that closed its connection before its request's body arrived (a tab closed, a
    phone off the network): nothing was done and nobody is left to answer, so one line, no
    traceback. 499 is nginx's "client closed request", for the access log only."""
    assert isinstance(exc, ClientDisconnect)
    _log.info("client went away before its request to %s arrived whole", request.url.path)
    return Response(status_code=499)


async def internal_error_response(request: Request, exc: Exception) -> Response:
    if is_database_outage(exc):
        return unavailable(READ_UNAVAILABLE)
    return error_response(500, "INTERNAL_ERROR", "Something went wrong on the server; it has been logged")


def details_of(errors: list[dict[str, Any]]) -> str:
    parts = []
    for err in errors[:5]:
        where = ".".join(str(p) for p in err.get("loc", ())) or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)
