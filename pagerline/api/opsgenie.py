"""Opsgenie's Alert API at the server's root, so that a sender written for Opsgenie only needs
its URL changed: ``POST /v2/alerts``, ``POST /v2/alerts/{identifier}/acknowledge|close|notes``
and ``GET /v2/alerts/requests/{requestId}``, with ``Authorization: GenieKey <integration key>``
(any alert source's key; the request acts on that source).

Answers are Opsgenie's, errors included, because its clients read them: 202
``{"result": "Request will be processed", "took", "requestId"}``; errors ``{"message", "took",
"requestId"}`` (and ``errors``, field by field, for a 422). Order of checks as on the other
intake routes: size (413), JSON (400), key present (401), rate (429), shape (422), key known
(401), then the engine (:mod:`pagerline.engine.sources.opsgenie_alerts`). The 202 goes out only
after the change and its request record have committed; a database outage is a 503 with
``Retry-After``, in Opsgenie's shape too.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import Route

from pagerline.api.body import read_bytes, unstorable
from pagerline.api.errors import ApiError, is_database_outage
from pagerline.api.ratelimit import TokenBuckets
from pagerline.engine.core import metrics
from pagerline.engine.core.errors import EngineError
from pagerline.engine.core.input_rules import InvalidJson, UnstorableText, check_text, decode_json
from pagerline.engine.sources import opsgenie_alerts as opsgenie
from pagerline.engine.sources.intake_settings import OPSGENIE_PRIORITIES
from pagerline.engine.sources.lookup import SourceInfo, find_source_by_key
from pagerline.engine.sources.opsgenie_alerts import Action, OpsgenieInvalid
from pagerline.engine.sources.policy import load_policy
from pagerline.settings import Settings

ACCEPTED = "Request will be processed"
NOT_AUTHENTICATED = "Could not authenticate"
REQUEST_NOT_FOUND = "Request not found. It might not be processed, yet."
RETRY_AFTER_SECONDS = 5

#: A handler here gets the moment its request arrived, for the answer's ``took``.
OpsgenieHandler = Callable[[Request, float], Awaitable[Response]]


class Refused(Exception):
    """An answer other than 2xx, in Opsgenie's shape; ``code`` is for pagerline's metrics."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def took(started: float) -> float:
    """Opsgenie's ``took``: seconds the server spent on the request."""
    return round(time.perf_counter() - started, 3)


def new_request_id() -> str:
    return str(uuid.uuid4())


def error_answer(
    status: int, message: str, started: float, *, errors: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"message": message}
    if errors:
        body["errors"] = errors
    body.update(took=took(started), requestId=new_request_id())
    return JSONResponse(body, status_code=status, headers=headers)


def answering_as_opsgenie(handler: OpsgenieHandler, *, counted: bool = True) -> Callable[[Request], Awaitable[Response]]:
    """Every failure of a route becomes Opsgenie's error answer: a refusal as raised, a body
    pagerline cannot read as its 400/413, a request that means nothing as a 422, a database
    outage as a 503 with Retry-After. ``counted``: refusals count with the other intake
    rejections (``pagerline_events_rejected_total``); a request status asked for is no event."""

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        try:
            return await handler(request, started)
        except Refused as exc:
            code, response = exc.code, error_answer(exc.status, exc.message, started, headers=exc.headers)
        except OpsgenieInvalid as exc:
            code, response = "INVALID_OPSGENIE_REQUEST", error_answer(422, exc.message, started, errors=exc.errors)
        except ApiError as exc:  # the body reader's: too large, not JSON, unstorable text
            code, response = exc.code, error_answer(exc.status, exc.message, started, headers=exc.headers)
        except EngineError as exc:  # the intake's own input rule
            code, response = exc.code, error_answer(422, exc.message, started)
        except Exception as exc:
            if not is_database_outage(exc):
                raise
            code = "DATABASE_UNAVAILABLE"
            response = error_answer(
                503, "The database is unreachable; nothing was done, retry later", started,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        if counted:
            metrics.EVENTS_REJECTED.labels(code).inc()
        return response

    return endpoint


def _limits(request: Request) -> tuple[Settings, TokenBuckets]:
    return request.app.state.settings, request.app.state.rate_limiter


def genie_key(request: Request) -> str:
    """The integration key of ``Authorization: GenieKey <key>``."""
    scheme, _, key = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "geniekey" or not key.strip():
        raise Refused(401, "MISSING_INTEGRATION_KEY", NOT_AUTHENTICATED)
    return key.strip()


def check_rate(buckets: TokenBuckets, key: str) -> None:
    wait = buckets.take(key)
    if wait > 0:
        raise Refused(
            429, "RATE_LIMITED", "Too many requests for this integration key; slow down",
            {"Retry-After": TokenBuckets.retry_after_header(wait)},
        )


async def source_for(key: str) -> SourceInfo:
    source = await find_source_by_key(key)
    if source is None:
        raise Refused(401, "UNKNOWN_INTEGRATION_KEY", NOT_AUTHENTICATED)
    return source


async def read_object(request: Request, max_bytes: int, *, optional: bool) -> dict[str, Any]:
    """The JSON object of the body under pagerline's input rule; ``optional``: an empty body is
    ``{}`` (an acknowledge or close with nothing to add)."""
    raw = await read_bytes(request, max_bytes)
    if optional and not raw.strip():
        return {}
    try:
        value = decode_json(raw)
    except UnstorableText as exc:
        raise unstorable(exc) from exc
    except InvalidJson as exc:
        raise ApiError(400, "INVALID_JSON", exc.message) from exc
    if not isinstance(value, dict):
        raise ApiError(400, "INVALID_BODY", "The body must be a JSON object")
    return value


def accepted(request_id: str, started: float) -> JSONResponse:
    return JSONResponse({"result": ACCEPTED, "took": took(started), "requestId": request_id}, status_code=202)


async def post_alert(request: Request, started: float) -> Response:
    settings, buckets = _limits(request)
    raw = await read_object(request, settings.max_event_bytes, optional=False)
    key = genie_key(request)
    check_rate(buckets, key)
    create = opsgenie.parse_create(raw)
    source = await source_for(key)
    event = opsgenie.create_event(create, (await load_policy(source.id)).intake.opsgenie_priorities)
    now = datetime.now(UTC)
    outcome = await opsgenie.create_alert(source, create, event, now)
    request_id = new_request_id()
    await opsgenie.record_request(request_id, source.id, Action.CREATE, outcome, now)
    return accepted(request_id, started)


def _path_text(request: Request, name: str) -> str:
    """A path parameter, refused when it holds text the database cannot store (``%00``)."""
    value: str = request.path_params[name]
    try:
        return check_text(value, name)
    except UnstorableText as exc:
        raise OpsgenieInvalid(exc.message) from exc


def _action_route(action: Action) -> OpsgenieHandler:
    async def post_action(request: Request, started: float) -> Response:
        settings, buckets = _limits(request)
        raw = await read_object(request, settings.max_event_bytes, optional=action is not Action.ADD_NOTE)
        key = genie_key(request)
        check_rate(buckets, key)
        identifier_type = opsgenie.parse_identifier_type(request.query_params.get("identifierType"))
        identifier = opsgenie.parse_identifier(_path_text(request, "identifier"), identifier_type)
        body = opsgenie.parse_action(raw, action)
        source = await source_for(key)
        now = datetime.now(UTC)
        outcome = await opsgenie.act_on_alert(source, action, identifier, identifier_type, body, now)
        request_id = new_request_id()
        await opsgenie.record_request(request_id, source.id, action, outcome, now)
        return accepted(request_id, started)

    return post_action


async def get_request_status(request: Request, started: float) -> Response:
    _, buckets = _limits(request)
    key = genie_key(request)
    check_rate(buckets, key)
    source = await source_for(key)
    row = await opsgenie.find_request(request.path_params["requestId"], source.id)
    if row is None:
        raise Refused(404, "UNKNOWN_REQUEST", REQUEST_NOT_FOUND)
    body = {"data": opsgenie.request_status(row), "took": took(started), "requestId": new_request_id()}
    return JSONResponse(body)


class _FreeText(Convertor[str]):
    """A path part that may hold anything: an alias is free text, slashes (sent as %2F, which
    the path arrives decoded from) and line breaks included. Starlette's ``path`` stops at a
    line break, which left such an alias with no route (a 404 in pagerline's shape, not
    Opsgenie's)."""

    regex = r"[\s\S]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("opsgenie_identifier", _FreeText())


# ``{identifier:opsgenie_identifier}``: see _FreeText.
routes = [
    Route("/v2/alerts", answering_as_opsgenie(post_alert), methods=["POST"]),
    Route("/v2/alerts/requests/{requestId}", answering_as_opsgenie(get_request_status, counted=False), methods=["GET"]),
    Route("/v2/alerts/{identifier:opsgenie_identifier}/acknowledge", answering_as_opsgenie(_action_route(Action.ACKNOWLEDGE)), methods=["POST"]),
    Route("/v2/alerts/{identifier:opsgenie_identifier}/close", answering_as_opsgenie(_action_route(Action.CLOSE)), methods=["POST"]),
    Route("/v2/alerts/{identifier:opsgenie_identifier}/notes", answering_as_opsgenie(_action_route(Action.ADD_NOTE)), methods=["POST"]),
]


# --------------------------------------------------------------------------- OpenAPI description
# Spliced into pagerline.api.openapi's document. Bodies are read by hand (Opsgenie's error
# messages, field by field), so they are described here beside the code that reads them.

Schema = dict[str, Any]
_JSON = "application/json"
_TEXT: Schema = {"type": "string"}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


_IGNORED: Schema = {"type": "array", "description": "Accepted and ignored: the source's escalation policy decides who is paged"}

OPENAPI_SCHEMAS: dict[str, Schema] = {
    "OpsgenieCreateAlert": {
        "type": "object",
        "required": ["message"],
        "description": "Opsgenie's create-alert body. Text over Opsgenie's limits is cut to them; unknown fields are ignored.",
        "properties": {
            "message": {"type": "string", "description": f"The alert's summary (first {opsgenie.MESSAGE_CHARS} characters)"},
            "alias": {"type": "string", "maxLength": opsgenie.ALIAS_CHARS, "description": "The alert key: a create with the alias of an open alert joins it"},
            "description": {"type": "string", "description": f"The alert's details (first {opsgenie.DESCRIPTION_CHARS} characters)"},
            "details": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": f"Key/value pairs, the alert's labels ({opsgenie.DETAILS_CHARS} characters in all)",
            },
            "tags": {"type": "array", "items": {"type": "string"}, "description": f"At most {opsgenie.MAX_TAGS} of {opsgenie.TAG_CHARS} characters are kept"},
            "entity": _TEXT,
            "source": _TEXT,
            "priority": {"type": "string", "enum": list(OPSGENIE_PRIORITIES), "description": "Mapped by the source's opsgeniePriorities"},
            "note": {"type": "string", "description": "Added to the alert as a comment"},
            "user": {"type": "string", "description": "Who sent it, shown with the note"},
            "responders": _IGNORED,
            "visibleTo": _IGNORED,
            "actions": _IGNORED,
        },
    },
    "OpsgenieActionBody": {
        "type": "object",
        "description": "Opsgenie's acknowledge, close and add-note body (for a note, note is required); may be empty for acknowledge and close.",
        "properties": {"user": _TEXT, "source": _TEXT, "note": _TEXT},
    },
    "OpsgenieAccepted": {
        "type": "object",
        "required": ["result", "took", "requestId"],
        "properties": {"result": {"type": "string", "enum": [ACCEPTED]}, "took": {"type": "number"}, "requestId": {"type": "string", "format": "uuid"}},
    },
    "OpsgenieRequestStatus": {
        "type": "object",
        "required": ["data", "took", "requestId"],
        "properties": {
            "data": {
                "type": "object",
                "required": ["success", "action", "processedAt", "integrationId", "isSuccess", "status", "alertId", "alias"],
                "properties": {
                    "success": {"type": "boolean"},
                    "action": {"type": "string", "enum": [action.value for action in Action]},
                    "processedAt": {"type": "string", "format": "date-time"},
                    "integrationId": {"type": "string", "description": "The alert source's id"},
                    "isSuccess": {"type": "boolean"},
                    "status": {"type": "string", "description": "e.g. Created alert, Alert does not exist"},
                    "alertId": {"type": "string", "description": "The alert's id (empty when none)"},
                    "alias": {"type": "string"},
                },
            },
            "took": {"type": "number"},
            "requestId": {"type": "string"},
        },
    },
    "OpsgenieError": {
        "type": "object",
        "description": "Opsgenie's error answer",
        "required": ["message", "took", "requestId"],
        "properties": {
            "message": {"type": "string"},
            "errors": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Each field at fault and why (422)"},
            "took": {"type": "number"},
            "requestId": {"type": "string"},
        },
        "additionalProperties": False,
    },
}

OPENAPI_SECURITY: dict[str, Schema] = {
    "genieKey": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "GenieKey <integration key>: any alert source's key; the request acts on that source",
    }
}

_ERRORS = {
    "400": "Not JSON pagerline accepts, or text the database cannot store",
    "401": "No GenieKey, or one that no source has (Could not authenticate)",
    "404": "No request with this id made with this key's source",
    "413": "The body is larger than the limit",
    "422": "A field has the wrong type or value (errors names each), or the identifierType is not id, tiny or alias",
    "429": "Too many requests for this integration key",
    "503": "The database is unreachable; nothing was done",
}
_RETRY_AFTER: Schema = {"description": "Seconds to wait before retrying", "schema": {"type": "integer", "minimum": 1}}


def _errors(*statuses: str) -> dict[str, Schema]:
    answers: dict[str, Schema] = {}
    for status in statuses:
        answers[status] = {"description": _ERRORS[status], "content": {_JSON: {"schema": _ref("OpsgenieError")}}}
        if status in ("429", "503"):
            answers[status]["headers"] = {"Retry-After": _RETRY_AFTER}
    return answers


def _accepted_operation(summary: str, body: Schema, *, required: bool, parameters: list[Schema] | None = None) -> Schema:
    return {
        "tags": ["opsgenie"],
        "summary": summary,
        "security": [{"genieKey": []}],
        **({"parameters": parameters} if parameters else {}),
        "requestBody": {"required": required, "content": {_JSON: {"schema": body}}},
        "responses": {
            "202": {"description": "Done and stored (the request status tells the outcome)", "content": {_JSON: {"schema": _ref("OpsgenieAccepted")}}},
            **_errors("400", "401", "413", "422", "429", "503"),
        },
    }


_IDENTIFIER: list[Schema] = [
    {"name": "identifier", "in": "path", "required": True, "description": "The alert's id, or its alias", "schema": _TEXT},
    {
        "name": "identifierType",
        "in": "query",
        "required": False,
        "description": "id (the default) and tiny: pagerline's alert id; alias: the alert key of the source's open alert",
        "schema": {"type": "string", "enum": [t.value for t in opsgenie.IdentifierType]},
    },
]

OPENAPI_PATHS: dict[str, Schema] = {
    "/v2/alerts": {
        "post": _accepted_operation(
            "Opsgenie-compatible create alert (dedup by alias)", _ref("OpsgenieCreateAlert"), required=True
        )
    },
    **{
        f"/v2/alerts/{{identifier}}/{verb}": {
            "post": _accepted_operation(summary, _ref("OpsgenieActionBody"), required=verb == "notes", parameters=_IDENTIFIER)
        }
        for verb, summary in (
            ("acknowledge", "Opsgenie-compatible acknowledge (accepts the alert)"),
            ("close", "Opsgenie-compatible close (resolves the alert)"),
            ("notes", "Opsgenie-compatible add note (a comment on the alert)"),
        )
    },
    "/v2/alerts/requests/{requestId}": {
        "get": {
            "tags": ["opsgenie"],
            "summary": "Opsgenie-compatible request status: what a request made with this key's source did",
            "security": [{"genieKey": []}],
            "parameters": [{"name": "requestId", "in": "path", "required": True, "description": "The requestId of a 202", "schema": _TEXT}],
            "responses": {
                "200": {"description": "The request's outcome", "content": {_JSON: {"schema": _ref("OpsgenieRequestStatus")}}},
                **_errors("401", "404", "429", "503"),
            },
        }
    },
}
