"""Generated requests against every REST route of a running server: Schemathesis reads the
server's own ``GET /api/openapi.json`` and Hypothesis makes requests that fit it (positive) and
that break it (negative). However odd the request, the answer must not be a 5xx, and its status,
content type, headers and body must be those the description documents.

The organisation is seeded first, and the description's key parameters are narrowed to the
seeded keys and one unknown key, so the requests reach the engine instead of stopping at 404.
Bounded and deterministic: a fixed number of examples per operation, derandomized (the same
requests every run), no example database, no shrinking. On PostgreSQL when
PAGERLINE_TEST_DATABASE_URL is set (CI sets it), else on SQLite.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pagerline.db import close_db, init_db
from pagerline.engine.accounts import create_token
from pagerline.engine.calendars import create_feed
from pagerline.engine.heartbeats import create_heartbeat
from pagerline.engine.sources import create_source
from pagerline.models import IntegrationType, TokenKind
from tests.conftest import run
from tests.support.live import embedded_env
from tests.support.processes import start_server
from tests.support.seed import seed_org

EXAMPLES_PER_OPERATION = 40
UNKNOWN_KEY = "il_thisKeyBelongsToNoSource000000"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


async def _seed(url: str) -> dict[str, Any]:
    await init_db(url)
    try:
        org = await seed_org()
        _, webhook_key = await create_source("Ops webhook", org.policy_id, IntegrationType.WEBHOOK, team_id=org.team_id)
        _, heartbeat_key = await create_heartbeat("nightly backup", org.api_source_id, 3600)
        _, widget_token = await create_token(org.alice_id, TokenKind.WIDGET, NOW, "widget")
        _, calendar_token = await create_feed(org.alice_id, None, NOW)
        return {
            "keys": [org.api_key, org.alertmanager_key, org.grafana_key, webhook_key, heartbeat_key, UNKNOWN_KEY],
            "integration_keys": [org.api_key, UNKNOWN_KEY],
            "widget_token": widget_token,
            "calendar_tokens": [calendar_token, "no-such-feed"],
        }
    finally:
        await close_db()


def narrowed(document: dict[str, Any], seeded: dict[str, Any]) -> dict[str, Any]:
    """The served description with keys and tokens narrowed to the seeded ones (and one unknown),
    so generated requests get past the key lookup."""
    narrowed_doc = copy.deepcopy(document)
    for path, item in narrowed_doc["paths"].items():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] == "key":
                    parameter["schema"] = {"type": "string", "enum": seeded["keys"]}
                if path.startswith("/ical/") and parameter["name"] == "token":
                    parameter["schema"] = {"type": "string", "enum": seeded["calendar_tokens"]}
    schemas = narrowed_doc["components"]["schemas"]
    for body in ("EventBody", "DeploymentBody"):
        # Always a key (its absence is one 400 the intake table covers), mostly the real one.
        schemas[body]["properties"]["integrationKey"] = {"enum": seeded["integration_keys"]}
        schemas[body]["properties"].pop("apiKey")
        schemas[body]["required"] = [*schemas[body].get("required", []), "integrationKey"]
    return narrowed_doc


def test_generated_requests_never_get_a_5xx_and_match_the_description(heavy_database_url: str, tmp_path: Path) -> None:
    seeded = run(_seed(heavy_database_url))
    env = embedded_env(
        heavy_database_url,
        tmp_path,
        PAGERLINE_EMBEDDED_WORKER="0",
        PAGERLINE_PUBLIC_URL="https://pagerline.example",
        # The fuzzer sends far more events than any real sender; the rate limit has its own test.
        PAGERLINE_EVENT_RATE_PER_KEY="100000",
        PAGERLINE_EVENT_BURST_PER_KEY="100000",
    )
    server = start_server(env, tmp_path)
    try:
        served = httpx.get(f"{server.url}/api/openapi.json", timeout=10).json()
        schema = schemathesis.openapi.from_dict(narrowed(served, seeded))
        failures: list[str] = []
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 20, [op.label for op in operations]
        for operation in operations:
            headers = {"Authorization": f"Bearer {seeded['widget_token']}"} if operation.path == "/api/widget" else None
            strategy = st.one_of(
                operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
            )

            @given(case=strategy)
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def fuzz(case: schemathesis.Case) -> None:
                case.call_and_validate(base_url=server.url, headers=headers, checks=CHECKS, timeout=10)

            try:
                fuzz()
            except Exception as exc:  # collect every operation's failure, then report them all
                failures.append(f"{operation.label}: {exc}")
        assert not failures, "\n\n".join(failures) + f"\n\nserver log:\n{server.log()[-4000:]}"
    finally:
        server.stop()
