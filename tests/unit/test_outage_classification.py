"""Which database errors are an outage (503 with Retry-After, retry later) and which are not,
with the exception types asyncpg and Tortoise really raise. A restart ends sessions with 57P01 and
refuses new ones with 57P03 while starting up; neither is a PostgresConnectionError, so the
SQLSTATE decides. The end-to-end proof is in tests/integration/test_outages.py."""

from __future__ import annotations

import asyncpg
import pytest
from tortoise.exceptions import DBConnectionError, IntegrityError, OperationalError

from pagerline.api.errors import is_database_outage


def caused_by(cause: BaseException) -> OperationalError:
    """How Tortoise hands a driver error on: wrapped, with the driver's error as the cause."""
    try:
        raise OperationalError(cause) from cause
    except OperationalError as wrapped:
        return wrapped


OUTAGES = {
    "starting up (57P03)": asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
    "ended by a restart (57P01)": asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
    "ended by a crash (57P02)": asyncpg.exceptions.CrashShutdownError("terminating connection because of crash"),
    "no connection slot (53300)": asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
    "connection gone (08003)": asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
    "refused": ConnectionRefusedError(111, "Connection refused"),
    "Tortoise's own": DBConnectionError("can't connect"),
    "wrapped 57P03": caused_by(asyncpg.exceptions.CannotConnectNowError("the database system is starting up")),
}
NOT_OUTAGES = {
    "NUL in text (22021)": caused_by(asyncpg.exceptions.CharacterNotInRepertoireError('invalid byte sequence for encoding "UTF8": 0x00')),
    "bad JSON (22P02)": caused_by(asyncpg.exceptions.InvalidTextRepresentationError("invalid input syntax for type json")),
    "statement timeout (57014)": asyncpg.exceptions.QueryCanceledError("canceling statement due to statement timeout"),
    "duplicate key": IntegrityError("duplicate key value violates unique constraint"),
    "a bug": KeyError("alert"),
}


@pytest.mark.parametrize("exc", list(OUTAGES.values()), ids=list(OUTAGES))
def test_an_unreachable_or_restarting_database_is_an_outage(exc: BaseException) -> None:
    assert is_database_outage(exc)


@pytest.mark.parametrize("exc", list(NOT_OUTAGES.values()), ids=list(NOT_OUTAGES))
def test_bad_input_and_bugs_are_not_an_outage(exc: BaseException) -> None:
    assert not is_database_outage(exc)
