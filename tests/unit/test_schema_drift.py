"""`schema.graphql` is the checked-in contract; this fails when the code's schema drifts from it.
Regenerate with `make schema` and review the diff."""

from __future__ import annotations

from pathlib import Path

from pagerline.graphql.schema import schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_file_matches_code() -> None:
    assert SCHEMA_FILE.read_text() == schema.as_str() + "\n", "schema.graphql is stale: run `make schema`"


def test_fixed_signatures_from_design_are_present() -> None:
    sdl = schema.as_str()
    for line in (
        "login(email: String!, password: String!): Session!",
        # The fixed arguments come first; optional filters (priority, sourceId, teamId, text) may follow.
        "alerts(status: [AlertStatus!] = null, first: Int = 25, after: String = null",
        "alert(id: ID!): Alert",
        "acceptAlert(id: ID!): Alert!",
        "resolveAlert(id: ID!): Alert!",
        # Called without arguments as DESIGN.md fixes it; an optional filter may be given.
        "alertEvents(filter: AlertEventFilter = null): AlertEvent!",
        "enum AlertStatus {",
        "enum Priority {",
    ):
        assert line in sdl, line
