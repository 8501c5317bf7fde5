"""Event intake routes: ilert's events API, Alertmanager and Grafana webhooks.

Order of checks: size (413), JSON (400), key present (400), rate (429), shape (422), key known
(404), then the engine. A 2xx is only sent after the engine's transaction committed; if the
database cannot be reached the answer is 503 with ``Retry-After``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pagerline.api.errors import ApiError, api_error_response, details_of, error_response, is_database_outage, unavailable
from pagerline.api.payloads import EventBody, PromWebhook, prom_events
from pagerline.api.ratelimit import TokenBuckets
from pagerline.engine import metrics
from pagerline.engine.errors import EngineError
from pagerline.engine.ingest import EventInput, IngestResult, ingest_event, validate
from pagerline.engine.sources import SourceInfo, find_source_by_key
from pagerline.settings import Settings


async def read_json(request: Request, max_bytes: int) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise ApiError(413, "PAYLOAD_TOO_LARGE", f"The body is larger than {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise ApiError(413, "PAYLOAD_TOO_LARGE", f"The body is larger than {max_bytes} bytes")
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "INVALID_JSON", f"The body is not valid JSON: {exc}") from exc


async def read_json_object(request: Request, max_bytes: int) -> dict[str, Any]:
    raw = await read_json(request, max_bytes)
    if not isinstance(raw, dict):
        raise ApiError(400, "INVALID_BODY", "The body must be a JSON object")
    return raw


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


def guarded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """Maps every failure of an intake route to its documented error response."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as exc:
            metrics.EVENTS_REJECTED.labels(exc.code).inc()
            return api_error_response(exc)
        except EngineError as exc:
            metrics.EVENTS_REJECTED.labels(exc.code).inc()
            return error_response(400, exc.code, exc.message)
        except Exception as exc:
            if is_database_outage(exc):
                metrics.EVENTS_REJECTED.labels("DATABASE_UNAVAILABLE").inc()
                return unavailable()
            raise

    return endpoint


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
    result = await ingest_event(source, event, datetime.now(UTC))
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
    source = await source_for(key)
    now = datetime.now(UTC)
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
