"""Event filters: a condition, stored as JSON, that an event must meet to become an alert.

As in ilert, a source's filter says which events to *keep*: an event that does not match is
dropped (and recorded, see :mod:`pagerline.engine.sources.policy`). The language is JSON so
that it can be stored, shown and edited by tools without a parser of our own:

- a test: ``{"field": "labels.env", "op": "eq", "value": "prod"}``, with ``op`` one of
  ``eq``, ``ne``, ``contains``, ``regex``, ``in`` (``value`` is then a list) and ``exists``
  (no ``value``), and optionally ``"ignoreCase": true``;
- ``{"and": [condition, ...]}``, ``{"or": [condition, ...]}``, ``{"not": condition}``.

Fields are ``summary``, ``details``, ``priority``, ``alertKey``, ``eventType``, ``routingKey``,
``source`` (the integration: API, ALERTMANAGER, ...) and dotted paths into ``labels.<name>``
and ``customDetails.<path>``. A missing field matches nothing except ``ne`` and ``not``.

Filters are compiled (and so validated) when saved; a bad one is refused with the JSON path of
the problem. Regular expressions (Python's syntax) are compiled once and cached, limited to
:data:`MAX_PATTERN_CHARS` characters, refused in the shapes that backtrack catastrophically
(see :func:`catastrophic`), and run on at most :data:`MAX_SUBJECT_CHARS` characters of the field.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_NODES = 100
MAX_DEPTH = 10
MAX_PATTERN_CHARS = 500
MAX_SUBJECT_CHARS = 4_096
MAX_IN_VALUES = 500

FIELDS = ("summary", "details", "priority", "alertKey", "eventType", "routingKey", "source")
MAP_FIELDS = ("labels", "customDetails")
OPS = ("eq", "ne", "contains", "regex", "in", "exists")


class FilterError(ValueError):
    """A filter that cannot be compiled; ``path`` is a JSON path such as ``$.and[1].op``."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True, slots=True)
class Test:
    field: tuple[str, ...]
    op: str
    value: Any
    ignore_case: bool
    pattern: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class AllOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    condition: Condition


Condition = Test | AllOf | AnyOf | Not


# --------------------------------------------------------------------------- regex guard


@dataclass(slots=True)
class _Level:
    """One nesting level of a pattern while it is scanned."""

    quantified: bool = False  # a quantifier somewhere inside
    unbounded: bool = False  # an unbounded quantifier (*, +, {n,}) somewhere inside
    alternation: bool = False  # a '|' directly inside
    open_repeat: bool = False  # an unbounded repeat with no required atom after it yet


def _quantifier_at(pattern: str, pos: int) -> tuple[int, int | None, int] | None:
    """(minimum, maximum or None for unbounded, length) of a quantifier at ``pos``."""
    if pos >= len(pattern):
        return None
    char = pattern[pos]
    found: tuple[int, int | None, int] | None = None
    if char == "*":
        found = (0, None, 1)
    elif char == "+":
        found = (1, None, 1)
    elif char == "?":
        found = (0, 1, 1)
    elif char == "{":
        match = re.match(r"\{(\d*)(,?)(\d*)\}", pattern[pos:])
        if match is None or match.group(0) == "{}":
            return None
        low = int(match.group(1) or 0)
        high = None if match.group(2) and not match.group(3) else int(match.group(3) or match.group(1) or 0)
        found = (low, high, len(match.group(0)))
    if found is not None and pos + found[2] < len(pattern) and pattern[pos + found[2]] in "?+":
        found = (found[0], found[1], found[2] + 1)  # lazy or possessive
    return found


def _atom_end(pattern: str, pos: int) -> int:
    """Offset just past the single atom (character, escape or class) at ``pos``."""
    if pattern[pos] == "\\":
        return pos + 2
    if pattern[pos] != "[":
        return pos + 1
    pos += 1
    if pos < len(pattern) and pattern[pos] == "^":
        pos += 1
    if pos < len(pattern) and pattern[pos] == "]":
        pos += 1
    while pos < len(pattern) and pattern[pos] != "]":
        pos += 2 if pattern[pos] == "\\" else 1
    return pos + 1


def catastrophic(pattern: str) -> str | None:
    """Why a pattern may backtrack for a very long time, or None. Conservative on purpose (a
    few harmless patterns are refused too, and can be rewritten): refused are repeated groups
    that contain a quantifier or an alternation (``(a+)+``, ``(a|aa)*``) and two unbounded
    repeats with nothing required between them (``a*a*b``, ``\\w+\\s*\\w+``), whose cost
    grows with a power of the input's length."""
    levels = [_Level()]
    pos = 0
    while pos < len(pattern):
        char = pattern[pos]
        if char == "(":
            levels.append(_Level())
            pos += 1
            continue
        if char == "|":
            levels[-1].alternation = True
            levels[-1].open_repeat = False
            pos += 1
            continue
        if char in "^$":
            pos += 1
            continue
        if char == ")" and len(levels) > 1:
            inner = levels.pop()
            pos += 1
            quantifier = _quantifier_at(pattern, pos)
            repeats = quantifier is not None and (quantifier[1] is None or quantifier[1] > 1)
            endless = quantifier is not None and quantifier[1] is None
            if repeats and (inner.unbounded or (endless and (inner.quantified or inner.alternation))):
                return "a repeated group contains a quantifier or an alternation, such as (a+)+ or (a|aa)*"
            levels[-1].unbounded = levels[-1].unbounded or inner.unbounded
            reason = _after_atom(levels[-1], quantifier, inner.quantified)
            if reason:
                return reason
            pos += quantifier[2] if quantifier else 0
            continue
        end = _atom_end(pattern, pos)
        quantifier = _quantifier_at(pattern, end)
        reason = _after_atom(levels[-1], quantifier, False)
        if reason:
            return reason
        pos = end + (quantifier[2] if quantifier else 0)
    return None


def _after_atom(level: _Level, quantifier: tuple[int, int | None, int] | None, inner_quantified: bool) -> str | None:
    level.quantified = level.quantified or inner_quantified or quantifier is not None
    if quantifier is None or (quantifier[0] >= 1 and quantifier[1] is not None):
        level.open_repeat = False  # a required atom: backtracking cannot shift work across it
        return None
    if quantifier[1] is None:
        level.unbounded = True
        if level.open_repeat:
            return "two unbounded repeats follow each other with nothing required between them, such as a*a*b"
        level.open_repeat = True
    return None


@functools.lru_cache(maxsize=512)
def compile_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """Compiled once per process for every filter that uses it."""
    return re.compile(pattern, re.IGNORECASE if ignore_case else 0)


# --------------------------------------------------------------------------- compiling


class _Compiler:
    def __init__(self) -> None:
        self.nodes = 0

    def condition(self, raw: Any, path: str, depth: int) -> Condition:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise FilterError(path, f"a filter may have at most {MAX_NODES} conditions")
        if depth > MAX_DEPTH:
            raise FilterError(path, f"conditions may be nested at most {MAX_DEPTH} deep")
        if not isinstance(raw, Mapping):
            raise FilterError(path, "a condition must be an object")
        combinators = [key for key in ("and", "or", "not") if key in raw]
        if combinators:
            if len(raw) != 1:
                raise FilterError(path, f"'{combinators[0]}' must be the only key of its object")
            key = combinators[0]
            if key == "not":
                return Not(self.condition(raw["not"], f"{path}.not", depth + 1))
            items = raw[key]
            if not isinstance(items, list) or not items:
                raise FilterError(f"{path}.{key}", "must be a non-empty list of conditions")
            parts = tuple(self.condition(item, f"{path}.{key}[{i}]", depth + 1) for i, item in enumerate(items))
            return AllOf(parts) if key == "and" else AnyOf(parts)
        return self.test(raw, path)

    def test(self, raw: Mapping[str, Any], path: str) -> Test:
        unknown = sorted(set(raw) - {"field", "op", "value", "ignoreCase"})
        if unknown:
            raise FilterError(path, f"unknown key '{unknown[0]}' (a test has field, op, value, ignoreCase; or use and/or/not)")
        field = _field(raw.get("field"), f"{path}.field")
        op = raw.get("op")
        if op not in OPS:
            raise FilterError(f"{path}.op", f"must be one of {', '.join(OPS)}")
        ignore_case = raw.get("ignoreCase", False)
        if not isinstance(ignore_case, bool):
            raise FilterError(f"{path}.ignoreCase", "must be true or false")
        if op == "exists":
            if "value" in raw:
                raise FilterError(f"{path}.value", "'exists' takes no value")
            return Test(field, op, None, ignore_case)
        if "value" not in raw:
            raise FilterError(f"{path}.value", f"'{op}' needs a value")
        value = raw["value"]
        if op == "in":
            if not isinstance(value, list) or not value or len(value) > MAX_IN_VALUES:
                raise FilterError(f"{path}.value", f"'in' needs a list of 1 to {MAX_IN_VALUES} values")
            if not all(_scalar(v) for v in value):
                raise FilterError(f"{path}.value", "'in' values must be strings, numbers or booleans")
            return Test(field, op, tuple(_fold(v, ignore_case) for v in value), ignore_case)
        if not _scalar(value):
            raise FilterError(f"{path}.value", "must be a string, a number or a boolean")
        if op in ("contains", "regex") and not isinstance(value, str):
            raise FilterError(f"{path}.value", f"'{op}' needs a string")
        if op == "regex":
            return Test(field, op, value, ignore_case, _regex(value, ignore_case, f"{path}.value"))
        return Test(field, op, _fold(value, ignore_case), ignore_case)


def _field(raw: Any, path: str) -> tuple[str, ...]:
    if not isinstance(raw, str) or not raw:
        raise FilterError(path, "must name a field")
    parts = tuple(raw.split("."))
    if any(not part for part in parts):
        raise FilterError(path, f"'{raw}' has an empty segment")
    if parts[0] in FIELDS and len(parts) == 1:
        return parts
    if parts[0] in MAP_FIELDS and len(parts) >= 2:
        return parts
    known = ", ".join(FIELDS) + ", labels.<name>, customDetails.<path>"
    raise FilterError(path, f"unknown field '{raw}' (known: {known})")


def _regex(pattern: str, ignore_case: bool, path: str) -> re.Pattern[str]:
    if len(pattern) > MAX_PATTERN_CHARS:
        raise FilterError(path, f"a regular expression may have at most {MAX_PATTERN_CHARS} characters")
    danger = catastrophic(pattern)
    if danger:
        raise FilterError(path, f"{danger}: it can take very long to run, rewrite the pattern")
    try:
        return compile_regex(pattern, ignore_case)
    except re.error as exc:
        raise FilterError(path, f"not a valid regular expression: {exc}") from None


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def _fold(value: Any, ignore_case: bool) -> Any:
    return value.casefold() if ignore_case and isinstance(value, str) else value


def compile_filter(raw: Any) -> Condition:
    """Validate and compile a filter, or raise :class:`FilterError`."""
    return _Compiler().condition(raw, "$", 1)


# --------------------------------------------------------------------------- matching

_MISSING = object()


def _get(fields: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = fields
    for part in path:
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return _MISSING if value is None else value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _same(actual: Any, expected: Any, ignore_case: bool) -> bool:
    if isinstance(actual, str) or isinstance(expected, str):
        return _fold(_text(actual), ignore_case) == expected if isinstance(expected, str) else _text(actual) == _text(expected)
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected
    return bool(actual == expected)


def _run_test(test: Test, fields: Mapping[str, Any]) -> bool:
    actual = _get(fields, test.field)
    if test.op == "exists":
        return actual is not _MISSING
    if actual is _MISSING:
        return test.op == "ne"
    if test.op == "eq":
        return _same(actual, test.value, test.ignore_case)
    if test.op == "ne":
        return not _same(actual, test.value, test.ignore_case)
    if test.op == "in":
        return any(_same(actual, v, test.ignore_case) for v in test.value)
    subject = _text(actual)[:MAX_SUBJECT_CHARS]
    if test.op == "contains":
        return test.value in _fold(subject, test.ignore_case)
    assert test.pattern is not None
    return test.pattern.search(subject) is not None


def matches(condition: Condition, fields: Mapping[str, Any]) -> bool:
    """Does an event (its fields as a mapping, see :func:`source_policy.event_fields`) meet
    the condition?"""
    if isinstance(condition, Test):
        return _run_test(condition, fields)
    if isinstance(condition, AllOf):
        return all(matches(c, fields) for c in condition.conditions)
    if isinstance(condition, AnyOf):
        return any(matches(c, fields) for c in condition.conditions)
    return not matches(condition.condition, fields)
