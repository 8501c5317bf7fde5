"""Counting the SQL statements a piece of code sends, through the database client's own hook:
Tortoise's clients (SQLite and asyncpg alike) log every statement they execute to the
``tortoise.db_client`` logger just before sending it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from tortoise.log import db_client_logger


class StatementLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if str(record.msg).startswith(("Created connection", "Closed connection")):
            return  # connection bookkeeping, not a statement
        self.statements.append(str(record.args[0]) if isinstance(record.args, tuple) and record.args else record.getMessage())

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_statements() -> Iterator[StatementLog]:
    """``with count_statements() as log: ...; log.count`` (the statements are in ``log.statements``)."""
    handler = StatementLog()
    old_level, old_propagate = db_client_logger.level, db_client_logger.propagate
    db_client_logger.addHandler(handler)
    db_client_logger.setLevel(logging.DEBUG)
    db_client_logger.propagate = False  # count them, do not print them
    try:
        yield handler
    finally:
        db_client_logger.removeHandler(handler)
        db_client_logger.setLevel(old_level)
        db_client_logger.propagate = old_propagate
