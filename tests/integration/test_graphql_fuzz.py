"""Generated GraphQL operations against the running app: every query and mutation of the schema,
with arguments Hypothesis makes up (NUL characters, huge numbers, date-times without a zone,
ids of rows that exist and of rows that cannot), and invalid documents too. Whatever is sent,
the answer is never a 5xx, and every error carries ``extensions.code`` and a message that is not
the mask of an internal failure ("Unexpected error.").

One server on PostgreSQL when PAGERLINE_TEST_DATABASE_URL is set (the database that refuses
what SQLite stores), else SQLite; signed in as an admin, who may call every field. Seeded and
bounded: the same examples on every run, in well under a minute.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, mutations, nodes, queries

from pagerline.graphql.core.errors import MASKED_MESSAGE
from pagerline.graphql.schema import schema
from tests.support.databases import TemplateDatabases, pg_base_url
from tests.support.graphql import data, fire_ok, running_world
from tests.support.processes import Server

ADMIN_EMAIL, ADMIN_PASSWORD = "root@org.test", "root-password"
QUERY_EXAMPLES, MUTATION_EXAMPLES, INVALID_EXAMPLES, BODY_EXAMPLES = 100, 200, 40, 80
FUZZ_SETTINGS = settings(
    derandomize=True,  # the same examples on every run: a failure reproduces
    deadline=None,  # a live server: timing varies with the machine's load
    database=None,
    suppress_health_check=list(HealthCheck),
)

_ids = st.one_of(
    # Rows the seed made, listed twice to be drawn more often: the resolvers run for real.
    st.integers(1, 6).map(str),
    st.integers(1, 6).map(str),
    st.sampled_from(["0", "-1", "2147483648", "99999999999999999999999", "1e3", " 7", "Alert:1", "User:99999999999"]),
    st.text(max_size=12),
)
_zones = st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5, minutes=-30)), timezone(timedelta(hours=14))])
_datetimes = st.one_of(
    # Mostly in a few recent years, with an offset: they pass the scalar and reach the resolvers.
    st.datetimes(datetime(2024, 1, 1), datetime(2028, 12, 31), timezones=_zones).map(lambda d: d.isoformat()),
    st.datetimes(datetime(2024, 1, 1), datetime(2028, 12, 31), timezones=_zones).map(lambda d: d.isoformat()),
    st.datetimes(timezones=_zones).map(lambda d: d.isoformat()),  # any year
    st.datetimes().map(lambda d: d.isoformat()),  # without an offset: refused
    st.sampled_from(["2026-11-02T06:30:00Z", "2026-11-02T06:30:00", "tomorrow morning", "2026-13-45T25:61:00Z", ""]),
)
_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True), inner, max_size=4),
    ),
    max_leaves=12,
)


def json_literal(value: Any) -> graphql.ValueNode:
    """A JSON value written as a GraphQL literal, as a client inlines one."""
    if isinstance(value, dict):
        return nodes.Object([
            graphql.ObjectFieldNode(name=graphql.NameNode(value=key), value=json_literal(item)) for key, item in value.items()
        ])
    if isinstance(value, list):
        return nodes.List([json_literal(item) for item in value])
    if value is None:
        return graphql.NullValueNode()
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    return nodes.String(value)


CUSTOM_SCALARS = {
    "ID": _ids.map(nodes.String),
    "DateTime": _datetimes.map(nodes.String),
    "JSON": _json.map(json_literal),
}


@dataclass
class Target:
    server: Server
    token: str
    client: httpx.Client

    def post(self, body: bytes) -> httpx.Response:
        return self.client.post(
            f"{self.server.url}/graphql", content=body,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )

    def sign_in_again(self) -> None:
        """A generated ``logout`` or ``revokeApiToken`` may end the token; carry on with a new one."""
        answer = data(self.server.url, None, "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                      e=ADMIN_EMAIL, p=ADMIN_PASSWORD)
        self.token = answer["login"]["token"]


@pytest.fixture(scope="module")
def target(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    workdir = tmp_path_factory.mktemp("gql-fuzz")
    with running_world(templates, workdir, templates.postgres() if pg_base_url() else None) as world:
        for key in ("disk-full", "cpu-high", "api-down"):  # alerts for the alert fields to act on
            fire_ok(world.url, world.ops.api_key, key, f"{key} on db-1")
        with httpx.Client(timeout=30) as client:
            yield Target(world.server, world.admin_token, client)


def assert_well_answered(target: Target, query: str, body: bytes | None = None) -> None:
    """Post ``query`` (or a raw ``body``): no 5xx, and every error has a code and a real message."""
    sent = body if body is not None else json.dumps({"query": query}).encode()
    response = target.post(sent)
    shown = f"for:\n{sent[:2000]!r}\nserver log:\n{target.server.log()[-3000:]}"
    assert response.status_code < 500, f"{response.status_code} {response.text[:500]} {shown}"
    answer = response.json()
    assert response.status_code == 200 or answer.get("errors"), f"{response.status_code} {answer} {shown}"
    for error in answer.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert error["message"] != MASKED_MESSAGE and code, f"{error} {shown}"
        if code == "UNAUTHENTICATED":
            target.sign_in_again()


SDL = schema.as_str()


def _root_fields(kind: str) -> list[str]:
    root = getattr(graphql.build_schema(SDL), f"{kind}_type")
    return sorted(root.fields)


def one_field(make: Any, kind: str) -> st.SearchStrategy[str]:
    """Operations of one root field each: a document with many fails whole at its first bad
    literal, and a mutation stops at its first failing field, so the others would never run."""
    return st.sampled_from(_root_fields(kind)).flatmap(
        lambda name: make(SDL, fields=[name], custom_scalars=CUSTOM_SCALARS, allow_x00=False)
    )


@settings(FUZZ_SETTINGS, max_examples=QUERY_EXAMPLES)
@given(query=one_field(queries, "query"))
def test_generated_queries_get_clear_answers(target: Target, query: str) -> None:
    assert_well_answered(target, query)


@settings(FUZZ_SETTINGS, max_examples=MUTATION_EXAMPLES)
@given(mutation=one_field(mutations, "mutation"))
def test_generated_mutations_get_clear_answers(target: Target, mutation: str) -> None:
    assert_well_answered(target, mutation)


@settings(FUZZ_SETTINGS, max_examples=INVALID_EXAMPLES)
@given(document=from_schema(SDL, custom_scalars=CUSTOM_SCALARS, mode=Mode.NEGATIVE))
def test_invalid_documents_get_clear_answers(target: Target, document: str) -> None:
    """Documents with one violation each, NUL characters included."""
    assert_well_answered(target, document)


_VARIABLE_OPERATIONS = [
    "query($id: ID!) { alert(id: $id) { id summary } }",
    "query($s: [AlertStatus!], $t: String, $n: Int) { alerts(status: $s, text: $t, first: $n) { edges { node { id } } } }",
    "query($at: DateTime) { schedules { onCall(at: $at) { id } } }",
    "mutation($name: String!) { createTeam(name: $name) { id } }",
    "mutation($p: JSON!) { previewTemplate(payload: $p) { summary } }",
    "mutation($rules: [NotificationRuleInput!]!) { setNotificationRules(rules: $rules) { delayMin } }",
]
_bodies = st.one_of(
    st.binary(max_size=64),  # not JSON, not UTF-8
    _json.map(lambda value: json.dumps(value).encode()),  # JSON, but not a request
    st.builds(  # a real operation with made-up variables
        lambda query, variables: json.dumps({"query": query, "variables": variables}).encode(),
        st.sampled_from(_VARIABLE_OPERATIONS),
        st.dictionaries(st.sampled_from(["id", "s", "t", "n", "at", "name", "p", "rules"]), _json, max_size=4),
    ),
)


@settings(FUZZ_SETTINGS, max_examples=BODY_EXAMPLES)
@given(body=_bodies)
def test_generated_request_bodies_get_clear_answers(target: Target, body: bytes) -> None:
    """The HTTP side: bodies that are not requests at all, and variables of every shape."""
    assert_well_answered(target, "", body)
