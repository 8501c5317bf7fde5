"""The engine refuses an event or deployment holding what the database cannot store, whichever
adapter built it, and writes nothing: the REST reader refuses such bodies first, but webhook
templates, the e-mail intake and the CLI build events too. Both backends: SQLite would store
these, PostgreSQL would fail with a driver error (a 500 at the route)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from pagerline.engine.sources.deployments import DeploymentInput, record_deployment
from pagerline.engine.core.errors import BadInput
from pagerline.engine.sources.events import EventInput
from pagerline.engine.sources.intake import ingest_event
from pagerline.engine.sources.lookup import SourceInfo, find_source_by_key
from pagerline.engine.sources.webhook_templates import compile_webhook_templates, map_payload
from pagerline.models import Alert, AlertLogEntry, DeploymentEvent, Notification
from tests.support.seed import seed_org

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


async def _rows() -> tuple[int, int, int, int]:
    return (
        await Alert.all().count(),
        await AlertLogEntry.all().count(),
        await Notification.all().count(),
        await DeploymentEvent.all().count(),
    )


async def _api_source() -> SourceInfo:
    org = await seed_org()
    source = await find_source_by_key(org.api_key)
    assert source is not None
    return source


def _templated(payload: dict[str, Any]) -> EventInput:
    """What the webhook route makes of ``payload`` with these templates."""
    templates = compile_webhook_templates({"summary": "{{ title }} on {{ host }}", "alertKey": "{{ id }}"})
    return map_payload(templates, payload)


EVENTS = {
    "template output with NUL": (_templated({"title": "Down", "host": "db\x001", "id": "x"}), "summary"),
    "template key with a lone surrogate": (_templated({"title": "Down", "host": "db", "id": "\ud800"}), "alertKey"),
    "templated customDetails with NUL": (_templated({"title": "Down", "host": "db", "id": "x", "n": ["\x00"]}), "customDetails"),
    "NUL in a label key": (EventInput("ALERT", summary="Down", labels={"a\x00": "b"}), "labels"),
    "NaN in customDetails": (EventInput("ALERT", summary="Down", custom_details={"load": float("nan")}), "customDetails"),
    "NUL in a RESOLVE key": (EventInput("RESOLVE", alert_key="disk\x00"), "alertKey"),
    "NUL in a comment": (EventInput("COMMENT", alert_key="disk", comments=[("bot", "on it\x00")]), "comments"),
    # 255 characters, 510 once lower-cased ("İ" → "i̇"): the open alert's key could not hold it.
    "a key longer than 255 in lower case": (EventInput("ALERT", summary="Down", alert_key="İ" * 255), "alertKey"),
}


@pytest.mark.parametrize("case", list(EVENTS), ids=list(EVENTS))
async def test_an_unstorable_event_is_refused_naming_the_field_and_writes_nothing(db: str, case: str) -> None:
    event, field = EVENTS[case]
    source = await _api_source()
    before = await _rows()
    with pytest.raises(BadInput) as refused:
        await ingest_event(source, event, T0)
    assert field in refused.value.message, refused.value.message
    assert await _rows() == before


async def test_an_unstorable_deployment_is_refused_and_writes_nothing(db: str) -> None:
    source = await _api_source()
    before = await _rows()
    for deployment in (
        DeploymentInput(summary="Deployed\x00", at=T0),
        DeploymentInput(summary="Deployed", at=T0, custom_details={"k": "\udfff"}),
        DeploymentInput(summary="Deployed", at=T0, custom_details={"ratio": float("inf")}),
    ):
        with pytest.raises(BadInput):
            await record_deployment(source, deployment, T0)
    assert await _rows() == before
