"""Event filters: operators over event fields, combinators, validation with JSON paths, and the
guard against regular expressions that backtrack catastrophically."""

from __future__ import annotations

import time
from typing import Any

import pytest

from pagerline.engine.sources import event_filter
from pagerline.engine.sources.event_filter import FilterError, catastrophic, compile_filter, matches

EVENT: dict[str, Any] = {
    "summary": "Disk full on db-1",
    "details": "Usage 97% on /var/lib/postgresql",
    "priority": "HIGH",
    "alertKey": "disk-db-1",
    "eventType": "ALERT",
    "routingKey": None,
    "source": "API",
    "labels": {"env": "prod", "team": "storage"},
    "customDetails": {"usage": 97, "mount": {"path": "/var"}, "hosts": ["db-1", "db-2"], "flaky": False},
}


def check(condition: dict[str, Any], event: dict[str, Any] = EVENT) -> bool:
    return matches(compile_filter(condition), event)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"field": "labels.env", "op": "eq", "value": "prod"}, True),
        ({"field": "labels.env", "op": "eq", "value": "PROD"}, False),
        ({"field": "labels.env", "op": "eq", "value": "PROD", "ignoreCase": True}, True),
        ({"field": "labels.env", "op": "ne", "value": "staging"}, True),
        ({"field": "labels.missing", "op": "ne", "value": "x"}, True),
        ({"field": "labels.missing", "op": "eq", "value": "x"}, False),
        ({"field": "summary", "op": "contains", "value": "full"}, True),
        ({"field": "summary", "op": "contains", "value": "FULL", "ignoreCase": True}, True),
        ({"field": "summary", "op": "contains", "value": "FULL"}, False),
        ({"field": "details", "op": "regex", "value": r"Usage 9\d%"}, True),
        ({"field": "details", "op": "regex", "value": r"^usage", "ignoreCase": True}, True),
        ({"field": "details", "op": "regex", "value": r"^Disk"}, False),
        ({"field": "priority", "op": "in", "value": ["HIGH", "CRITICAL"]}, True),
        ({"field": "alertKey", "op": "in", "value": ["x", "y"]}, False),
        ({"field": "customDetails.usage", "op": "eq", "value": 97}, True),
        ({"field": "customDetails.usage", "op": "eq", "value": "97"}, True),
        ({"field": "customDetails.mount.path", "op": "eq", "value": "/var"}, True),
        ({"field": "customDetails.hosts.1", "op": "eq", "value": "db-2"}, True),
        ({"field": "customDetails.flaky", "op": "eq", "value": False}, True),
        ({"field": "customDetails.flaky", "op": "eq", "value": 0}, False),
        ({"field": "customDetails.usage", "op": "in", "value": [95, 96, 97]}, True),
        ({"field": "routingKey", "op": "exists"}, False),
        ({"field": "labels.team", "op": "exists"}, True),
        ({"field": "source", "op": "eq", "value": "API"}, True),
        ({"and": [{"field": "labels.env", "op": "eq", "value": "prod"}, {"field": "priority", "op": "eq", "value": "HIGH"}]}, True),
        ({"and": [{"field": "labels.env", "op": "eq", "value": "prod"}, {"field": "priority", "op": "eq", "value": "LOW"}]}, False),
        ({"or": [{"field": "labels.env", "op": "eq", "value": "dev"}, {"field": "labels.team", "op": "eq", "value": "storage"}]}, True),
        ({"not": {"field": "summary", "op": "contains", "value": "test"}}, True),
        ({"not": {"or": [{"field": "labels.env", "op": "eq", "value": "prod"}]}}, False),
    ],
)
def test_operators_and_combinators(condition: dict[str, Any], expected: bool) -> None:
    assert check(condition) is expected


@pytest.mark.parametrize(
    ("condition", "path", "says"),
    [
        ("labels.env == prod", "$", "must be an object"),
        ({}, "$.field", "must name a field"),
        ({"field": "severity", "op": "eq", "value": "x"}, "$.field", "unknown field 'severity'"),
        ({"field": "labels", "op": "eq", "value": "x"}, "$.field", "unknown field 'labels'"),
        ({"field": "labels..x", "op": "eq", "value": "x"}, "$.field", "empty segment"),
        ({"field": "summary", "op": "like", "value": "x"}, "$.op", "must be one of"),
        ({"field": "summary", "op": "eq"}, "$.value", "needs a value"),
        ({"field": "summary", "op": "exists", "value": 1}, "$.value", "takes no value"),
        ({"field": "summary", "op": "eq", "value": {"a": 1}}, "$.value", "string, a number or a boolean"),
        ({"field": "summary", "op": "contains", "value": 3}, "$.value", "needs a string"),
        ({"field": "summary", "op": "in", "value": []}, "$.value", "needs a list"),
        ({"field": "summary", "op": "in", "value": [["x"]]}, "$.value", "must be strings"),
        ({"field": "summary", "op": "regex", "value": "(unclosed"}, "$.value", "not a valid regular expression"),
        ({"field": "summary", "op": "eq", "value": "x", "ignoreCase": "yes"}, "$.ignoreCase", "true or false"),
        ({"field": "summary", "op": "eq", "value": "x", "extra": 1}, "$", "unknown key 'extra'"),
        ({"and": []}, "$.and", "non-empty list"),
        ({"and": [{"field": "summary", "op": "eq", "value": "x"}, {"field": "nope", "op": "eq", "value": 1}]}, "$.and[1].field", "unknown field"),
        ({"or": [{"not": {"field": "summary", "op": "regex", "value": "(a+)+$"}}]}, "$.or[0].not.value", "repeated group"),
        ({"and": [], "or": []}, "$", "must be the only key"),
    ],
)
def test_invalid_filters_name_the_place_of_the_problem(condition: Any, path: str, says: str) -> None:
    with pytest.raises(FilterError) as caught:
        compile_filter(condition)
    assert caught.value.path == path, str(caught.value)
    assert says in caught.value.message


def test_size_and_depth_are_bounded() -> None:
    leaf = {"field": "summary", "op": "eq", "value": "x"}
    wide = {"or": [leaf] * event_filter.MAX_NODES}
    with pytest.raises(FilterError, match="at most"):
        compile_filter(wide)
    deep: dict[str, Any] = leaf
    for _ in range(event_filter.MAX_DEPTH):
        deep = {"not": deep}
    with pytest.raises(FilterError, match="nested at most"):
        compile_filter(deep)
    with pytest.raises(FilterError, match="at most 500 characters"):
        compile_filter({"field": "summary", "op": "regex", "value": "a" * 501})


@pytest.mark.parametrize(
    "pattern", [r"(a+)+$", r"(a*)*b", r"(a|aa)+", r"(\w+\s?)+$", r"a*a*b", r"\w+\s*\w+$", r"(x{1,3})+", r"((a)+)+"]
)
def test_catastrophic_patterns_are_refused(pattern: str) -> None:
    assert catastrophic(pattern) is not None


@pytest.mark.parametrize(
    "pattern",
    [r".*foo.*bar", r"^disk (full|almost full)$", r"\d+\.\d+", r"(\d{1,3}\.){3}\d{1,3}", r"[a-z]+-[0-9]+", r"(?:error|fatal)", r"(ab)+", r"[+*]+x"],
)
def test_everyday_patterns_are_allowed(pattern: str) -> None:
    assert catastrophic(pattern) is None


def test_allowed_patterns_stay_fast_on_long_hostile_input() -> None:
    hostile = {"summary": "1" * 100_000, "details": "a" * 100_000}
    started = time.perf_counter()
    for field, pattern in (("summary", r"\d+\.\d+x"), ("details", r".*foo.*bar"), ("details", r"[a-z]+-[0-9]+")):
        assert not matches(compile_filter({"field": field, "op": "regex", "value": pattern}), hostile)
    assert time.perf_counter() - started < 1.0  # also: only MAX_SUBJECT_CHARS are searched


def test_regexes_are_compiled_once_per_pattern() -> None:
    event_filter.compile_regex.cache_clear()
    for _ in range(5):
        compile_filter({"field": "summary", "op": "regex", "value": r"disk \d+"})
    info = event_filter.compile_regex.cache_info()
    assert (info.misses, info.hits) == (1, 4)
