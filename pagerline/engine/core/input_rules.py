"""The one rule for what input pagerline accepts as JSON and as text, for every adapter.

PostgreSQL (the production database) cannot store a NUL character in ``text`` or ``jsonb``, nor a
lone UTF-16 surrogate in anything, and its ``jsonb`` refuses ``NaN`` and ``Infinity``. SQLite takes
all of them, so a bad value would pass the tests and fail in production with a 500. Every adapter
(REST routes, GraphQL over HTTP and WebSocket, the CLI) therefore checks input here first and
answers with a clear 4xx; nothing reaches the database that it cannot store.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from pagerline.engine.core.errors import BadInput

#: Nesting deeper than this is refused: no real payload needs it, and Python's JSON reader and
#: everything that walks the result (pydantic, templates, graphql-core) recurse per level.
MAX_JSON_DEPTH = 64

# NUL, and surrogates that are not part of a pair (a str holding one cannot be encoded as UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class UnstorableText(BadInput):
    """A string holds a character the database cannot store."""


class InvalidJson(BadInput):
    """A body is not JSON that pagerline accepts."""


def unstorable_reason(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None when it can."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    return "a NUL character (\\u0000)" if found.group() == "\x00" else "a lone surrogate (\\ud800-\\udfff)"


def check_text(text: str, where: str = "text") -> str:
    """Return ``text`` unchanged, or raise UnstorableText naming the field."""
    reason = unstorable_reason(text)
    if reason is not None:
        raise UnstorableText(f"{where} contains {reason}, which cannot be stored")
    return text


def check_value(value: Any, where: str = "body") -> Any:
    """Check every string (keys too) and every number of a decoded JSON value, without recursion:
    strings must be storable, floats finite, nesting at most MAX_JSON_DEPTH. Returns ``value``."""
    stack: list[tuple[Any, str, int]] = [(value, where, 1)]
    while stack:
        current, path, depth = stack.pop()
        if isinstance(current, str):
            check_text(current, path)
        elif isinstance(current, float):
            if not math.isfinite(current):
                raise InvalidJson(f"{path} is not a finite number")
        elif isinstance(current, dict):
            if depth > MAX_JSON_DEPTH:
                raise InvalidJson(f"{where} is nested deeper than {MAX_JSON_DEPTH} levels")
            for key, item in current.items():
                key_text = str(key)
                check_text(key_text, f"a key of {path}")
                stack.append((item, f"{path}.{key_text}", depth + 1))
        elif isinstance(current, (list, tuple)):
            if depth > MAX_JSON_DEPTH:
                raise InvalidJson(f"{where} is nested deeper than {MAX_JSON_DEPTH} levels")
            stack.extend((item, f"{path}[{index}]", depth + 1) for index, item in enumerate(current))
    return value


def _refuse_constant(name: str) -> Any:
    raise InvalidJson(f"{name} is not allowed in JSON; send a finite number or a string")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e400 parses to inf
        raise InvalidJson(f"the number {text[:40]} is out of range")
    return number


def decode_json(raw: bytes | str, where: str = "body") -> Any:
    """Decode a JSON document under the rule above, or raise InvalidJson / UnstorableText with a
    message fit for the client. Invalid UTF-8, NaN, Infinity, numbers out of range, integers of
    more than 4,300 digits and nesting beyond MAX_JSON_DEPTH are all refused."""
    try:
        value = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except InvalidJson:
        raise
    except RecursionError as exc:
        raise InvalidJson(f"the {where} is nested deeper than {MAX_JSON_DEPTH} levels") from exc
    except UnicodeDecodeError as exc:
        raise InvalidJson(f"the {where} is not valid UTF-8") from exc
    except ValueError as exc:  # JSONDecodeError, and int() past sys.get_int_max_str_digits()
        raise InvalidJson(f"the {where} is not valid JSON: {exc}") from exc
    return check_value(value, where)
