"""The template editor's and the source page's tools: ``recentPayloads`` (the raw bodies a source
received lately, to preview templates against) and ``sendTestEvent`` (an event through the
source's own intake path, as its tool would send it). Admins only."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import strawberry
from pydantic import ValidationError
from strawberry.scalars import JSON
from strawberry.types import Info

from pagerline import models
from pagerline.api.payloads import events_of_body, sample_body
from pagerline.engine.core.errors import EngineError
from pagerline.engine.sources import recent_payloads
from pagerline.engine.sources.events import EventType, ResponseCode
from pagerline.engine.sources.intake import ingest_event, validate
from pagerline.engine.sources.lookup import load_source_info
from pagerline.engine.sources.policy import load_policy
from pagerline.engine.sources.webhook_templates import MappingError, compile_webhook_templates
from pagerline.graphql.alerts.types import Alert
from pagerline.graphql.core.args import now, parse_id
from pagerline.graphql.core.context import viewer_of
from pagerline.graphql.core.errors import forbidden, not_found, user_error
from pagerline.graphql.core.permissions import require_viewer

DEFAULT_TEMPLATES = compile_webhook_templates(None)

# Why a test event made no alert, by the intake's answer.
_NO_ALERT = {
    ResponseCode.EVENT_FILTERED: "The source's event filter dropped the test event, so it made no alert (see droppedEvents)",
    ResponseCode.SOURCE_IN_MAINTENANCE: "The source is in a maintenance window, which held the test event back: no alert",
}


@strawberry.type(description="A raw event body a source received.")
class ReceivedPayload:
    received_at: datetime
    payload: JSON


async def _admins_source(info: Info, raw_id: strawberry.ID, what: str) -> models.AlertSource:
    viewer = require_viewer(viewer_of(info))
    if not viewer.is_admin:
        raise forbidden(f"Only admins can {what}")
    row = await models.AlertSource.get_or_none(id=parse_id(raw_id, "alert source id"))
    if row is None:
        raise not_found("Alert source")
    return row


@strawberry.type
class TestEventQuery:
    @strawberry.field(description=(
        "Admins only. The source's last raw event bodies, newest first (a few per source, at most one every few "
        "seconds; the events API's integrationKey removed), for previewing templates."
    ))
    async def recent_payloads(self, info: Info, alert_source_id: strawberry.ID, first: int = 10) -> list[ReceivedPayload]:
        row = await _admins_source(info, alert_source_id, "read received payloads")
        if not 1 <= first <= recent_payloads.MAX_LISTED:
            raise user_error("BAD_USER_INPUT", f"first must be 1 to {recent_payloads.MAX_LISTED}", "first")
        return [ReceivedPayload(received_at=p.received_at, payload=p.payload) for p in await recent_payloads.recent_payloads(row.id, first)]


@strawberry.type
class TestEventMutation:
    @strawberry.mutation(description=(
        "Admins only. A test alert through the source's own intake path, as its tool would send it (a webhook "
        "source with templates replays its newest received payload): templates, event filter, maintenance, "
        "grouping and dedup apply, and it pages like any alert. A second test joins the open test alert. "
        "BAD_USER_INPUT, saying why, when no alert comes of it (the filter dropped it, a maintenance window, "
        "the templates could not map it)."
    ))
    async def send_test_event(self, info: Info, alert_source_id: strawberry.ID) -> Alert:
        row = await _admins_source(info, alert_source_id, "send test events")
        viewer = require_viewer(viewer_of(info))
        source = await load_source_info(row.id)
        if source is None:
            raise not_found("Alert source")
        templates = (await load_policy(source.id)).templates
        body = sample_body(source.integration_type)
        if source.integration_type is models.IntegrationType.WEBHOOK and templates is not None:
            newest = await recent_payloads.recent_payloads(source.id, 1)
            body = newest[0].payload if newest else body  # what the templates were written for
        try:
            events = events_of_body(source.integration_type, body, templates or DEFAULT_TEMPLATES)
        except (ValidationError, MappingError) as exc:
            raise user_error("BAD_USER_INPUT", f"The source's intake refuses the test event: {exc}", "alertSourceId") from exc
        alerts = [e for e in events if e.event_type == EventType.ALERT]
        if not alerts:
            raise user_error("BAD_USER_INPUT", "The test payload maps to no ALERT event (its eventType says otherwise)", "alertSourceId")
        event = dataclasses.replace(alerts[0], via=f"a test event sent by {viewer.user.name}")
        try:
            validate(event)
            result = await ingest_event(source, event, now())
        except EngineError as exc:
            raise user_error(exc.code, f"The test event is not valid: {exc.message}", "alertSourceId") from exc
        if result.alert_id is None:
            reason = _NO_ALERT.get(result.response_code, f"The test event made no alert ({result.response_code})")
            raise user_error("BAD_USER_INPUT", reason, "alertSourceId")
        return Alert.of(await models.Alert.get(id=result.alert_id))
