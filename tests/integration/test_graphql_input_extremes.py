"""Every String, ID, Int and Float the schema takes (read from the schema, so a new argument is
covered), given values no form would send: 5,000 letters, 5,000 digits (ids, numbers in
disguise), a digit of another script ("²" passes str.isdigit() and fails int()), a NUL; the
largest and smallest 32-bit integers; floats near the end of their range. Each gets a clear
answer: data, or errors with ``extensions.code`` and never "Unexpected error.".

On PostgreSQL when PAGERLINE_TEST_DATABASE_URL is set (whose columns refuse what is too long),
else SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from pagerline.graphql.core.errors import MASKED_MESSAGE
from tests.support.databases import TemplateDatabases, pg_base_url
from tests.support.graphql import World, running_world
from tests.support.schema_positions import Position, argument_positions, document

TEXT = {"letters": "x" * 5000, "digits": "1" * 5000, "superscript": "²", "nul": "a\u0000b"}
VALUES: dict[str, dict[str, object]] = {
    "String": TEXT,
    "ID": TEXT,
    "Int": {"largest": 2**31 - 1, "smallest": -(2**31), "zero": 0},
    "Float": {"largest": 1.7e308, "smallest": -1.7e308, "tiny": 5e-324},
}
POSITIONS = argument_positions(set(VALUES))


@pytest.fixture(scope="module")
def world(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    workdir = tmp_path_factory.mktemp("gql-strings")
    with running_world(templates, workdir, templates.postgres() if pg_base_url() else None) as made:
        yield made


def test_the_schema_has_the_arguments_this_file_is_about() -> None:
    labels = {p.label for p in POSITIONS}
    for expected in ("mutation login(email)", "mutation createSchedule(timezone)", "query widget(levels[0])",
                     "mutation createAlertSource(name)", "query alert(id)", "mutation createEscalationPolicy(rules[0].userIds[0])",
                     "query alerts(first)", "mutation createHeartbeat(intervalSec)", "mutation registerDevice(criticalVolume)"):
        assert expected in labels, sorted(labels)


@pytest.mark.parametrize("position", POSITIONS, ids=lambda p: p.label)
def test_a_value_no_form_would_send_gets_a_clear_answer(world: World, position: Position) -> None:
    with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {world.admin_token}"}) as client:
        for name, value in VALUES[position.scalar].items():
            response = client.post(f"{world.url}/graphql", json={"query": document(position, "$v", "$v"), "variables": {"v": value}})
            assert response.status_code in (200, 400), (name, response.status_code, response.text[:300])
            for error in response.json().get("errors") or []:
                assert error["message"] != MASKED_MESSAGE and (error.get("extensions") or {}).get("code"), (name, error)
                assert len(error["message"]) < 1000, (name, "the message echoes the whole value", error["message"][:200])
