"""Event intake routes: ilert's events API, Alertmanager and Grafana webhooks.

Order of checks: size (413), JSON and storable text (400, :mod:`pagerline.api.body`), key
present (400), rate (429), shape (422), key known (404), then the engine. A 2xx is only sent
after the engine's transaction committed; if the database cannot be reached the answer is 503
with ``Retry-After``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pagerline.api.body import read_json_object
from pagerline.api.errors import ApiError, Handler, answering_errors, details_of
from pagerline.api.payloads import EventBody, PromWebhook, prom_events
from pagerline.api.ratelimit import TokenBuckets
from pagerline.engine.core import metrics
from pagerline.engine.sources.intake import EventInput, IngestResult, ingest_event, validate
from pagerline.engine.sources.recent_payloads import note_payload
from pagerline.engine.sources.lookup import SourceInfo, find_source_by_key
from pagerline.settings import Settings


def _limits(request: Request) -> tuple[Settings, TokenBuckets]:
    return request.app.state.settings, request.app.state.rate_limiter


def check_rate(buckets: TokenBuckets, key: str) -> None:
    wait = buckets.take(key)
    if wait > 0:
        raise ApiError(
            429, "RATE_LIMITED", "Too many events for this integration key; slow down",
            {"Retry-After": TokenBuckets.retry_after_header(wait)},
        )


async def source_for(key: str) -> SourceInfo:
    source = await find_source_by_key(key)
    if source is None:
        raise ApiError(404, "UNKNOWN_INTEGRATION_KEY", "No alert source has this integration key")
    return source


def alert_url(settings: Settings, alert_id: int | None) -> str | None:
    return f"{settings.public_url.rstrip('/')}/#/alerts/{alert_id}" if alert_id else None


def result_json(settings: Settings, result: IngestResult) -> dict[str, Any]:
    return {
        "alertKey": result.alert_key,
        "alertUrl": alert_url(settings, result.alert_id),
        "responseCode": result.response_code,
    }


def _count_rejection(code: str) -> None:
    metrics.EVENTS_REJECTED.labels(code).inc()


def guarded(handler: Handler) -> Handler:
    """Maps every failure of an intake route to its documented error response, and counts it."""
    return answering_errors(
        handler,
        rejected=_count_rejection,
        unavailable_message="The database is unreachable; the event was not stored, retry later",
    )


async def post_event(request: Request) -> Response:
    settings, buckets = _limits(request)
    raw = await read_json_object(request, settings.max_event_bytes)
    key = raw.get("integrationKey") or raw.get("apiKey")
    if not key or not isinstance(key, str):
        raise ApiError(400, "MISSING_INTEGRATION_KEY", "integrationKey (or apiKey) is required")
    check_rate(buckets, key)
    try:
        body = EventBody.model_validate(raw)
    except ValidationError as exc:
        raise ApiError(422, "INVALID_EVENT", details_of(exc.errors())) from exc
    event = body.to_event()
    validate(event)
    source = await source_for(key)
    now = datetime.now(UTC)
    await note_payload(source.id, raw, now)  # for the template preview; throttled, without the key
    result = await ingest_event(source, event, now)
    return JSONResponse(result_json(settings, result), status_code=202)


async def _prom(request: Request, via: str) -> Response:
    settings, buckets = _limits(request)
    key = request.path_params["key"]
    raw = await read_json_object(request, settings.max_event_bytes)
    check_rate(buckets, key)
    try:
        body = PromWebhook.model_validate(raw)
    except ValidationError as exc:
        raise ApiError(422, "INVALID_WEBHOOK", details_of(exc.errors())) from exc
    events: list[EventInput] = prom_events(body, via)
    for event in events:  # all of them before any is stored, so a bad one cannot leave half
        validate(event)
    source = await source_for(key)
    now = datetime.now(UTC)
    await note_payload(source.id, raw, now)
    results = [result_json(settings, await ingest_event(source, event, now)) for event in events]
    return JSONResponse({"alerts": results}, status_code=202)


async def post_alertmanager(request: Request) -> Response:
    return await _prom(request, "Alertmanager")


async def post_grafana(request: Request) -> Response:
    return await _prom(request, "Grafana")


routes = [
    Route("/api/events", guarded(post_event), methods=["POST"]),
    Route("/api/events/alertmanager/{key}", guarded(post_alertmanager), methods=["POST"]),
    Route("/api/events/grafana/{key}", guarded(post_grafana), methods=["POST"]),
]
