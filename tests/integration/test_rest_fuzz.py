"""Generated requests against every REST route of a running server: Schemathesis reads the
server's own ``GET /api/openapi.json`` and Hypothesis makes requests that fit it (positive) and
that break it (negative). However odd the request, the answer must not be a 5xx, and its status,
content type, headers and body must be those the description documents.

To reach past the key checks, an organisation is seeded (sources of each kind, a heartbeat, a
widget token, a calendar feed, an open alert with an action token and a voice call, a verified
phone) and the description's keys, tokens and ids are narrowed to the seeded ones plus one
unknown; Twilio callbacks are signed the way Twilio signs them. Negative cases still send
anything at all.

Bounded and deterministic: a fixed number of examples per operation, derandomized (the same
generated requests every run), no example database, no shrinking; about 40 s. On PostgreSQL
when PAGERLINE_TEST_DATABASE_URL is set (CI sets it), else on SQLite. Run against the intake
before its one reader, it finds the 500s of all five intake routes on PostgreSQL.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from twilio.request_validator import RequestValidator

from pagerline.db import close_db, init_db
from pagerline.engine.delivery import action_tokens as actions
from pagerline.engine.people.accounts import create_token
from pagerline.engine.schedules.calendars import create_feed
from pagerline.engine.sources.events import EventInput
from pagerline.engine.sources.heartbeats import create_heartbeat
from pagerline.engine.sources.intake import ingest_event
from pagerline.engine.sources.lookup import create_source, find_source_by_key
from pagerline.models import Channel, IntegrationType, Notification, NotificationStatus, TokenKind, User
from pagerline.settings import Settings
from tests.conftest import run
from tests.support.live import embedded_env
from tests.support.processes import start_server
from tests.support.seed import seed_org, verified_phone

# The intake routes take the richest bodies and write the most; the rest need fewer examples.
EXAMPLES_PER_INTAKE_OPERATION = 150
EXAMPLES_PER_OPERATION = 25
PUBLIC_URL = "https://pagerline.example"
SECRET_KEY = "test-secret"  # what tests.support.processes gives every server
TWILIO_TOKEN = "twilio-fuzz-auth-token"
PHONE = "+15550100"
UNKNOWN = "il_thisKeyBelongsToNoSource000000"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def one_of(*values: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


async def _seed(url: str) -> dict[str, Any]:
    """Seeds the organisation; returns what the description is narrowed to. Tokens are made with
    the real time because the live server checks them against its own clock."""
    now = datetime.now(UTC)
    await init_db(url)
    try:
        org = await seed_org()
        _, webhook_key = await create_source("Ops webhook", org.policy_id, IntegrationType.WEBHOOK, team_id=org.team_id)
        _, heartbeat_key = await create_heartbeat("nightly backup", org.api_source_id, 3600)
        _, widget_token = await create_token(org.alice_id, TokenKind.WIDGET, now, "widget")
        _, calendar_token = await create_feed(org.alice_id, None, now)
        source = await find_source_by_key(org.api_key)
        assert source is not None
        opened = await ingest_event(source, EventInput("ALERT", summary="Checkout is down", alert_key="fuzz"), now)
        assert opened.alert_id is not None
        await verified_phone(org.alice_id, PHONE)
        call = await Notification.create(
            dedup_key="fuzz-voice-call", alert_id=opened.alert_id, user_id=org.alice_id, channel=Channel.VOICE,
            status=NotificationStatus.SENT, due_at=now, created_at=now, title="Checkout is down", body="Checkout is down",
        )
        signing_key = Settings(secret_key=SECRET_KEY).signing_key()
        action_token = await actions.issue(signing_key, opened.alert_id, org.alice_id, None, now)
    finally:
        await close_db()
    keys = [org.api_key, org.alertmanager_key, org.grafana_key, webhook_key, heartbeat_key, UNKNOWN]
    return {
        "widget_token": widget_token,
        "path": {"key": one_of(*keys), "token": one_of(calendar_token, "no-such-feed")},
        "query": {"n": one_of(str(call.id), "999999"), "token": one_of(action_token, "not-a-token")},
        # Always a key (mostly the real one), a summary and an alert key: their absence is a 400
        # the intake table covers, and positive cases should mostly reach the engine.
        "required": {"EventBody": ["integrationKey", "summary", "alertKey"], "DeploymentBody": ["integrationKey"]},
        "schemas": {
            ("EventBody", "integrationKey"): one_of(org.api_key, UNKNOWN),
            ("EventBody", "summary"): {"type": "string", "maxLength": 500, "pattern": r"\S"},
            ("EventBody", "alertKey"): {"type": "string", "maxLength": 255, "pattern": r"\S"},
            ("DeploymentBody", "integrationKey"): one_of(org.api_key, UNKNOWN),
            ("PagerDutyEvent", "routing_key"): one_of(org.api_key, UNKNOWN),
            ("PagerDutyChangeEvent", "routing_key"): one_of(org.api_key, UNKNOWN),
            ("DeploymentBody", "summary"): {"type": "string", "maxLength": 500, "pattern": r"\S"},
            ("ActionBody", "token"): one_of(action_token, "not-a-token"),
            ("ActionBody", "action"): one_of("accept", "RESOLVE", "snooze"),
            ("ActionForm", "token"): one_of(action_token, "not-a-token"),
            ("ActionForm", "action"): one_of("accept", "resolve", "snooze"),
            ("TwilioForm", "From"): one_of(PHONE, "+15550199"),
            ("TwilioForm", "Digits"): one_of("1", "2", "9"),
            ("TwilioForm", "CallStatus"): one_of("no-answer", "busy", "completed"),
            ("TwilioForm", "MessageStatus"): one_of("failed", "delivered"),
        },
    }


def narrowed(document: dict[str, Any], seeded: dict[str, Any]) -> dict[str, Any]:
    """The served description with keys, tokens and ids narrowed to the seeded ones."""
    result = copy.deepcopy(document)
    for item in result["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] in seeded.get(parameter["in"], {}):
                    parameter["schema"] = seeded[parameter["in"]][parameter["name"]]
    schemas = result["components"]["schemas"]
    for (schema, field), narrowed_schema in seeded["schemas"].items():
        schemas[schema]["properties"][field] = narrowed_schema
    for schema, fields in seeded["required"].items():
        schemas[schema]["properties"].pop("apiKey")  # integrationKey stands for both
        schemas[schema]["required"] = [*schemas[schema].get("required", []), *fields]
        # Positive cases spend their effort on the fields that are stored (the routes ignore
        # unknown ones; negative cases still send them).
        schemas[schema]["additionalProperties"] = False
    return result


def sign_for_twilio(case: schemathesis.Case) -> None:
    """Signs a Twilio callback as Twilio would (public URL with its query, and the form fields).
    A form that is not flat text is left unsigned: it is refused either way."""
    body = case.body if isinstance(case.body, dict) else {}
    if not all(isinstance(value, str) for value in body.values()):
        return
    query = urlencode(case.query or {}, doseq=True)
    url = f"{PUBLIC_URL}{case.formatted_path}" + (f"?{query}" if query else "")
    case.headers = {**(case.headers or {}), "X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(url, body)}


def test_generated_requests_never_get_a_5xx_and_match_the_description(heavy_database_url: str, tmp_path: Path) -> None:
    seeded = run(_seed(heavy_database_url))
    env = embedded_env(
        heavy_database_url,
        tmp_path,
        PAGERLINE_EMBEDDED_WORKER="0",
        PAGERLINE_PUBLIC_URL=PUBLIC_URL,
        # The fuzzer sends far more events than any real sender; the rate limit has its own test.
        PAGERLINE_EVENT_RATE_PER_KEY="100000",
        PAGERLINE_EVENT_BURST_PER_KEY="100000",
        PAGERLINE_TWILIO_ACCOUNT_SID="AC0",
        PAGERLINE_TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
        PAGERLINE_TWILIO_FROM=PHONE,
        PAGERLINE_TWILIO_BASE_URL="http://127.0.0.1:9",  # nothing is sent (no worker); never off the machine
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
            twilio = operation.path.startswith("/api/twilio/")
            intake = operation.path.startswith(("/api/events", "/api/deployment-events"))
            strategy = st.one_of(
                operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
            )

            @given(case=strategy)
            @settings(
                max_examples=EXAMPLES_PER_INTAKE_OPERATION if intake else EXAMPLES_PER_OPERATION,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def fuzz(case: schemathesis.Case) -> None:
                if twilio:
                    sign_for_twilio(case)
                case.call_and_validate(base_url=server.url, headers=headers, checks=CHECKS, timeout=10)

            try:
                fuzz()
            # Collect every operation's failures, then report them all. Schemathesis raises a
            # FailureGroup, a BaseExceptionGroup.
            except (Exception, FailureGroup) as exc:
                failures.append(f"{operation.label}: {exc}")
        assert not failures, "\n\n".join(failures) + f"\n\nserver log:\n{server.log()[-4000:]}"
    finally:
        server.stop()
