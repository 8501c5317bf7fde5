"""How GraphQL errors are logged. Strawberry logs every error of a result at ERROR with the
traceback of its original error (for an engine error that is two: the EngineError and the
GraphQLError raised from it). Most are the client's doing (a wrong password, NOT_FOUND, a
CONFLICT, bad input, a query that does not validate): worth one line, not a page of stack.
Those become one INFO line; a database outage one WARNING line (the cause is known and not in
our code); anything else is a real fault and keeps its traceback, once, at ERROR. The request
id comes with every line (see :mod:`pagerline.logs`)."""

from __future__ import annotations

import logging

from graphql import GraphQLError

from pagerline.graphql.core.errors import USER_ERROR_CODES, error_code

#: What a client caused: logged as one INFO line.
CLIENT_CODES = USER_ERROR_CODES | {"RESYNC"}
#: Known outages: one WARNING line.
OUTAGE_CODES = frozenset({"SERVICE_UNAVAILABLE"})


def _where(error: GraphQLError) -> str:
    return ".".join(str(p) for p in error.path) if error.path else "-"


def _cause(error: GraphQLError) -> str:
    """For an outage, what the database driver said."""
    from pagerline.graphql.core.outage import describe

    return f" ({describe(error.__cause__)})" if error.__cause__ is not None else ""


class GraphQLErrorLevels(logging.Filter):
    """Installed on the ``strawberry.execution`` logger (by :func:`pagerline.logs.setup_logging`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.msg
        if not isinstance(error, GraphQLError):
            return True
        code = error_code(error)
        if code in CLIENT_CODES or code in OUTAGE_CODES:
            level = logging.INFO if code in CLIENT_CODES else logging.WARNING
            record.levelno, record.levelname = level, logging.getLevelName(level)
            record.msg, record.args = "GraphQL %s at %s: %s%s", (code, _where(error), error.message, _cause(error))
            record.exc_info, record.exc_text, record.stack_info = None, None, None
            return logging.getLogger(record.name).isEnabledFor(level)
        record.msg, record.args = "GraphQL internal error at %s: %s", (_where(error), error.message)
        return True
