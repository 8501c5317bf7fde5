"""REST errors: always JSON ``{status, message, code}``, and a database outage is a 503 with
``Retry-After``, never a 2xx without a commit."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.responses import JSONResponse
from tortoise.exceptions import DBConnectionError, OperationalError, TransactionManagementError


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


def is_database_outage(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) says the database cannot be reached."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, CONNECTIVITY_ERRORS):
            return True
        if isinstance(current, (OperationalError, TransactionManagementError)):
            text = str(current).lower()
            if any(w in text for w in ("connect", "closed", "terminat", "timeout", "refused", "pool")):
                return True
        current = current.__cause__ or current.__context__
    return False


def unavailable(retry_after: int = 5) -> JSONResponse:
    return error_response(
        503, "DATABASE_UNAVAILABLE", "The database is unreachable; the event was not stored, retry later",
        {"Retry-After": str(retry_after)},
    )


def details_of(errors: list[dict[str, Any]]) -> str:
    parts = []
    for err in errors[:5]:
        where = ".".join(str(p) for p in err.get("loc", ())) or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)
