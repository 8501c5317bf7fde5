"""PagerDuty Events API v2, compatible: ``POST /v2/enqueue`` and ``POST /v2/change/enqueue``.

A tool that sends to PagerDuty sends here unchanged once its URL points at pagerline (the
body's ``routing_key`` is a pagerline integration key). What a body means is read by
:mod:`pagerline.engine.sources.pagerduty_events`; alert events then take the one intake path
(:func:`~pagerline.engine.sources.intake.ingest_event`), change events are stored as deployments.

Which keys: any alert source's integration key except a HEARTBEAT source's, so a team moving
over changes only the URL (its PAGERDUTY-type sources and its API, Alertmanager, ... sources
alike); every source reads ``payload.severity`` through its own severity map.

The answers are PagerDuty's, so its clients (which read ``dedup_key`` from the answer, and
``errors`` from a 400) work unchanged:

- 202 ``{"status": "success", "message": "Event processed", "dedup_key": ...}``, only after the
  transaction committed; also for an acknowledge or resolve whose alert is not open, and for an
  event the source's filter or a maintenance window dropped (PagerDuty drops those silently too).
  Change events: 202 ``{"status": "success", "message": "Change event processed"}``.
- 400 ``{"status": "invalid event", "message": "Event object is invalid", "errors": [...]}`` for
  a body PagerDuty would refuse, an unknown routing key (``"Invalid routing key"``, as PagerDuty
  answers it), text the database cannot store, and a body over :data:`MAX_BYTES` (PagerDuty's
  512 KB: Alertmanager trims its events to that size); 400 ``{"status": "Unrecognized object",
  "message": "Event object format is unrecognized", "errors": ["JSON parse error..."]}`` for a
  body that is not a JSON object.
- 429 with ``Retry-After`` when the key's token bucket is empty (PagerDuty documents only
  "429 - Request Limit Exceeded"; the body here is in its error shape).
- 503 with ``Retry-After`` when the database cannot be reached (PagerDuty's clients retry 5xx).

Checks run in the intake's order: size, JSON, key present, rate, shape, key known, then the
engine, so bad input of any kind changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pagerline.api.body import read_json_object
from pagerline.api.errors import ApiError, Handler, is_database_outage
from pagerline.api.events import check_rate
from pagerline.engine.core import metrics
from pagerline.engine.core.errors import EngineError
from pagerline.engine.sources import pagerduty_events as pd
from pagerline.engine.sources.deployments import record_deployment
from pagerline.engine.sources.intake import ingest_event, validate
from pagerline.engine.sources.lookup import SourceInfo, find_source_by_key
from pagerline.engine.sources.policy import load_policy
from pagerline.engine.sources.recent_payloads import note_payload
from pagerline.models import IntegrationType
from pagerline.settings import Settings

#: PagerDuty's size limit for an event (512 KB). The routes take the larger of this and the
#: intake's own limit, so an event PagerDuty would take is never refused for its size here.
MAX_BYTES = 512 * 1024
RETRY_AFTER_DATABASE = 5


def max_bytes(settings: Settings) -> int:
    return max(MAX_BYTES, settings.max_event_bytes)


def answer(status: int, pd_status: str, message: str, errors: Sequence[str] = (), headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"status": pd_status, "message": message}
    if errors:
        body["errors"] = list(errors)
    return JSONResponse(body, status_code=status, headers=headers)


def invalid_event(errors: Sequence[str]) -> JSONResponse:
    return answer(400, "invalid event", "Event object is invalid", errors)


def _from_api_error(exc: ApiError) -> JSONResponse:
    """The shared body reader's and rate limit's refusals, in PagerDuty's words."""
    if exc.code in ("INVALID_JSON", "INVALID_BODY"):
        return answer(400, "Unrecognized object", "Event object format is unrecognized", [f"JSON parse error: {exc.message}"])
    if exc.code == "RATE_LIMITED":
        return answer(429, "throttle event", "Request Limit Exceeded", [exc.message], exc.headers)
    return invalid_event([exc.message])


def pagerduty_errors(handler: Handler) -> Handler:
    """Every refusal of these routes answered in PagerDuty's error shape, and counted."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as exc:
            code, response = exc.code, _from_api_error(exc)
        except pd.InvalidEvent as exc:
            code, response = "INVALID_EVENT", invalid_event(exc.errors)
        except EngineError as exc:
            code, response = exc.code, invalid_event([exc.message])
        except Exception as exc:
            if not is_database_outage(exc):
                raise
            code = "DATABASE_UNAVAILABLE"
            response = answer(
                503, "unavailable", "The database is unreachable; the event was not stored, retry later",
                headers={"Retry-After": str(RETRY_AFTER_DATABASE)},
            )
        metrics.EVENTS_REJECTED.labels(code).inc()
        return response

    return endpoint


async def _read(request: Request) -> tuple[dict[str, Any], str]:
    """The body and its routing key, within the size limit and the key's rate."""
    raw = await read_json_object(request, max_bytes(request.app.state.settings))
    key = pd.routing_key_of(raw)
    check_rate(request.app.state.rate_limiter, key)
    return raw, key


async def source_for(routing_key: str) -> SourceInfo:
    """The source whose integration key this is; a heartbeat source's key takes no events."""
    source = await find_source_by_key(routing_key)
    if source is None or source.integration_type is IntegrationType.HEARTBEAT:
        raise ApiError(400, "UNKNOWN_INTEGRATION_KEY", "Invalid routing key")
    return source


async def post_enqueue(request: Request) -> Response:
    raw, key = await _read(request)
    parsed = pd.parse_alert_event(raw)
    source = await source_for(key)
    now = datetime.now(UTC)
    event = parsed.to_event((await load_policy(source.id)).intake.pagerduty_severities)
    validate(event)  # the one input rule, before anything is written
    # For the console's recent bodies; the routing key is a credential, never kept.
    await note_payload(source.id, {k: v for k, v in raw.items() if k != "routing_key"}, now)
    result = await ingest_event(source, event, now)
    return JSONResponse(
        {"status": "success", "message": "Event processed", "dedup_key": parsed.dedup_key or result.alert_key},
        status_code=202,
    )


async def post_change(request: Request) -> Response:
    raw, key = await _read(request)
    now = datetime.now(UTC)
    deployment = pd.parse_change_event(raw, now)
    source = await source_for(key)
    await record_deployment(source, deployment, now)
    return JSONResponse({"status": "success", "message": "Change event processed"}, status_code=202)


routes = [
    Route("/v2/enqueue", pagerduty_errors(post_enqueue), methods=["POST"]),
    Route("/v2/change/enqueue", pagerduty_errors(post_change), methods=["POST"]),
]


# --- the OpenAPI description (pagerline.api.openapi adds these), built from the same limits ----

Schema = dict[str, Any]


def _string(limit: int, description: str = "", *, min_length: int = 0) -> Schema:
    schema: Schema = {"type": "string", "maxLength": limit}
    if min_length:
        schema["minLength"] = min_length
    if description:
        schema["description"] = description
    return schema


_LINKS: Schema = {
    "type": "array",
    "maxItems": pd.MAX_LINKS,
    "items": {
        "type": "object",
        "required": ["href"],
        "properties": {"href": _string(pd.MAX_URL, min_length=1), "text": _string(pd.MAX_TEXT)},
    },
}
_IMAGES: Schema = {
    "type": "array",
    "maxItems": pd.MAX_IMAGES,
    "items": {
        "type": "object",
        "required": ["src"],
        "properties": {"src": _string(pd.MAX_URL, min_length=1), "href": _string(pd.MAX_URL), "alt": _string(pd.MAX_TEXT)},
    },
}
_ROUTING_KEY = _string(pd.MAX_ROUTING_KEY, "The integration key of a pagerline alert source (not a heartbeat's)", min_length=1)
_CUSTOM_DETAILS: Schema = {"description": "Kept as the alert's custom details (an object; anything else is kept under custom_details)"}

OPENAPI_SCHEMAS: dict[str, Schema] = {
    "PagerDutyEvent": {
        "type": "object",
        "description": "PagerDuty's Events API v2 event. Unknown fields are ignored.",
        "required": ["routing_key", "event_action"],
        "properties": {
            "routing_key": _ROUTING_KEY,
            "event_action": {"type": "string", "enum": list(pd.ACTIONS)},
            "dedup_key": _string(pd.MAX_DEDUP_KEY, "The alert key; required for acknowledge and resolve"),
            "payload": {
                "type": "object",
                "description": "Required for trigger (ignored otherwise)",
                "required": ["summary", "source", "severity"],
                "properties": {
                    "summary": _string(pd.MAX_SUMMARY, min_length=1),
                    "source": _string(pd.MAX_FIELD, min_length=1),
                    "severity": {"type": "string", "enum": list(pd.SEVERITIES)},
                    "timestamp": _string(pd.MAX_FIELD),
                    "component": _string(pd.MAX_FIELD),
                    "group": _string(pd.MAX_FIELD),
                    "class": _string(pd.MAX_FIELD),
                    "custom_details": _CUSTOM_DETAILS,
                },
            },
            "client": _string(pd.MAX_FIELD),
            "client_url": _string(pd.MAX_URL),
            "links": _LINKS,
            "images": _IMAGES,
        },
    },
    "PagerDutyChangeEvent": {
        "type": "object",
        "description": "PagerDuty's change event, stored as a deployment. Unknown fields are ignored.",
        "required": ["routing_key", "payload"],
        "properties": {
            "routing_key": _ROUTING_KEY,
            "payload": {
                "type": "object",
                "required": ["summary"],
                "properties": {
                    "summary": _string(pd.MAX_SUMMARY, min_length=1),
                    "source": _string(pd.MAX_FIELD),
                    "timestamp": _string(pd.MAX_FIELD, "ISO 8601 (or epoch seconds or milliseconds); missing is now"),
                    "custom_details": _CUSTOM_DETAILS,
                },
            },
            "links": _LINKS,
            "images": _IMAGES,
        },
    },
    "PagerDutyResult": {
        "type": "object",
        "required": ["status", "message", "dedup_key"],
        "properties": {
            "status": {"type": "string", "enum": ["success"]},
            "message": {"type": "string", "enum": ["Event processed"]},
            "dedup_key": {"type": "string"},
        },
        "additionalProperties": False,
    },
    "PagerDutyChangeResult": {
        "type": "object",
        "required": ["status", "message"],
        "properties": {"status": {"type": "string", "enum": ["success"]}, "message": {"type": "string", "enum": ["Change event processed"]}},
        "additionalProperties": False,
    },
    "PagerDutyError": {
        "type": "object",
        "description": "PagerDuty's error answer (these routes answer as PagerDuty does, not {status, message, code})",
        "required": ["status", "message"],
        "properties": {
            "status": {"type": "string", "description": "invalid event, Unrecognized object, throttle event or unavailable"},
            "message": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "string"}, "description": "What was wrong, each naming its field"},
        },
        "additionalProperties": False,
    },
}

_RETRY_AFTER: Schema = {"description": "Seconds to wait before retrying", "schema": {"type": "integer", "minimum": 1}}


def _error(description: str, retry_after: bool = False) -> Schema:
    response: Schema = {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PagerDutyError"}}}}
    if retry_after:
        response["headers"] = {"Retry-After": _RETRY_AFTER}
    return response


def _operation(summary: str, body: str, result: str) -> Schema:
    return {
        "post": {
            "tags": ["pagerduty"],
            "summary": summary,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}}},
            "responses": {
                "202": {"description": "Stored (the transaction committed)", "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{result}"}}}},
                "400": _error("Not a JSON object (Unrecognized object), or an event PagerDuty would refuse, an unknown "
                              "routing key, text the database cannot store or a body over 512 KB (invalid event)"),
                "429": _error("Too many events for this routing key (throttle event)", retry_after=True),
                "503": _error("The database is unreachable; nothing was stored (unavailable)", retry_after=True),
            },
        }
    }


OPENAPI_PATHS: dict[str, Schema] = {
    "/v2/enqueue": _operation(
        "PagerDuty Events API v2: trigger, acknowledge or resolve (dedup_key is the alert key)", "PagerDutyEvent", "PagerDutyResult"
    ),
    "/v2/change/enqueue": _operation("PagerDuty change event, stored as a deployment", "PagerDutyChangeEvent", "PagerDutyChangeResult"),
}
