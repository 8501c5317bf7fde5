"""``GET /api/openapi.json``: the OpenAPI 3.1 description of the REST routes (GraphQL describes
itself; the dashboard is a page).

Request bodies that a pydantic model validates are described by that model's own JSON Schema, so
the description cannot drift from what the routes accept; a test compares the paths with the
app's routes and validates the document. The fuzz test in the suite generates requests from it.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import version
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pagerline.api.deployments import DeploymentBody
from pagerline.api import opsgenie, pagerduty_events
from pagerline.api.payloads import EventBody, PromWebhook
from pagerline.engine.delivery.action_tokens import ACTIONS
from pagerline.engine.sources.events import ResponseCode

Schema = dict[str, Any]

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
TEXT_FIELD = {"type": "string"}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _model_schemas(*models: type[BaseModel]) -> dict[str, Schema]:
    """Each model's JSON Schema (2020-12, as OpenAPI 3.1 uses), nested models hoisted into
    components."""
    schemas: dict[str, Schema] = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def _object(required: list[str], **properties: Schema) -> Schema:
    return {"type": "object", "required": required, "properties": properties}


def _nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


RESPONSE_CODES = [
    value for name, value in vars(ResponseCode).items() if not name.startswith("_") and isinstance(value, str)
]

SCHEMAS: dict[str, Schema] = {
    **_model_schemas(EventBody, PromWebhook, DeploymentBody),
    **pagerduty_events.OPENAPI_SCHEMAS,
    **opsgenie.OPENAPI_SCHEMAS,
    "Error": {
        **_object(
            ["status", "message", "code"],
            status={"type": "integer", "description": "The HTTP status again"},
            message={"type": "string", "description": "What was wrong, naming the field"},
            code={"type": "string", "description": "A stable code, e.g. INVALID_JSON, INVALID_TEXT"},
        ),
        "additionalProperties": False,
    },
    "EventResult": _object(
        ["alertKey", "alertUrl", "responseCode"],
        alertKey={"type": "string"},
        alertUrl=_nullable({"type": "string"}),
        responseCode={"type": "string", "enum": RESPONSE_CODES},
    ),
    "WebhookResult": _object(["alerts"], alerts={"type": "array", "items": ref("EventResult")}),
    "DeploymentResult": _object(["id", "at"], id={"type": "integer"}, at={"type": "string", "format": "date-time"}),
    "ActionBody": _object(
        ["token", "action"],
        token={"type": "string", "description": "The signed action token from the push or e-mail"},
        action={"type": "string", "description": f"{' or '.join(ACTIONS)} (any case)"},
    ),
    "ActionResult": _object(["alertId", "status"], alertId={"type": "string"}, status={"type": "string"}),
    "ActionForm": {"type": "object", "properties": {"token": TEXT_FIELD, "action": TEXT_FIELD}},
    "HeartbeatResult": _object(["status"], status={"type": "string"}),
    "TwilioForm": {
        "type": "object",
        "description": "The fields Twilio posts; others are taken into the signature and ignored.",
        "properties": {name: TEXT_FIELD for name in ("From", "Body", "Digits", "CallSid", "CallStatus", "MessageStatus")},
    },
    "PushoverCallbackForm": {
        "type": "object",
        "description": "The fields Pushover posts when an emergency page is acknowledged; the token in the URL decides.",
        "properties": {
            name: TEXT_FIELD
            for name in ("receipt", "acknowledged", "acknowledged_at", "acknowledged_by", "acknowledged_by_device")
        },
    },
    "Health": _object(["status"], status={"type": "string"}),
    "Readiness": _object(
        ["status", "checks"],
        status={"type": "string", "enum": ["ok", "unavailable"]},
        checks={"type": "object", "additionalProperties": {"type": "string"}},
    ),
    "WidgetFeed": {
        "type": "object",
        "description": "The on-call widget document (the GraphQL field widget returns the same).",
        "required": ["generatedAt", "onCall", "refreshAfter"],
        "properties": {
            "generatedAt": {"type": "string", "format": "date-time"},
            "onCall": {"type": "boolean"},
            "refreshAfter": {"type": "integer"},
        },
    },
}

RETRY_AFTER = {"description": "Seconds to wait before retrying", "schema": {"type": "integer", "minimum": 1}}

# Every error answer: ``{status, message, code}``.
ERRORS: dict[str, str] = {
    "400": "Not JSON (or a form) pagerline accepts (INVALID_JSON, INVALID_BODY, INVALID_FORM), text the "
    "database cannot store (INVALID_TEXT), or an event that means nothing (BAD_USER_INPUT)",
    "401": "No valid token",
    "403": "Not signed, or a token that is not valid",
    "404": "Unknown key or token",
    "409": "Already used, or the alert cannot change that way",
    "410": "The token has expired",
    "413": "The body is larger than the limit (PAYLOAD_TOO_LARGE)",
    "422": "A known field has the wrong type or value; the message names it",
    "429": "Too many events for this integration key (RATE_LIMITED)",
    "503": "The database is unreachable (DATABASE_UNAVAILABLE); nothing was stored",
}


def error(status: str) -> Schema:
    response: Schema = {"description": ERRORS[status], "content": {JSON: {"schema": ref("Error")}}}
    if status in ("429", "503"):
        response["headers"] = {"Retry-After": RETRY_AFTER}
    return response


def errors(*statuses: str) -> dict[str, Schema]:
    return {status: error(status) for status in statuses}


def ok(status: str, description: str, schema: Schema, media_type: str = JSON) -> dict[str, Schema]:
    return {status: {"description": description, "content": {media_type: {"schema": schema}}}}


def json_body(schema: Schema, description: str = "") -> Schema:
    return {"required": True, "description": description, "content": {JSON: {"schema": schema}}}


def form_body(schema: Schema) -> Schema:
    return {"required": True, "content": {FORM: {"schema": schema}}}


def parameter(name: str, where: str, description: str = "", required: bool = False) -> Schema:
    return {"name": name, "in": where, "required": required, "description": description, "schema": TEXT_FIELD}


def key_parameter(what: str) -> Schema:
    return parameter("key", "path", what, required=True)


INTAKE_ERRORS = ("400", "404", "413", "422", "429", "503")


def _intake(summary: str, body: Schema, result: str, *, tag: str = "events") -> Schema:
    return {
        "tags": [tag],
        "summary": summary,
        "requestBody": body,
        "responses": {**ok("202", "Stored (the transaction committed)", ref(result)), **errors(*INTAKE_ERRORS)},
    }


def _prom(via: str) -> Schema:
    return {
        "post": {
            **_intake(f"{via} webhook: one alert per alert fingerprint; resolved resolves", json_body(ref("PromWebhook")), "WebhookResult"),
            "parameters": [key_parameter("The alert source's integration key")],
        }
    }


TWILIO_SIGNATURE = parameter(
    "X-Twilio-Signature", "header", "Twilio's signature of the public URL and the form", required=True
)
NOTIFICATION_PARAMETER = parameter("n", "query", "The notification the callback is about")
TWIML = {"description": "TwiML", "content": {"application/xml": {"schema": {"type": "string"}}}}


def _twilio(summary: str, success: dict[str, Schema], with_notification: bool) -> Schema:
    parameters = [TWILIO_SIGNATURE, *([NOTIFICATION_PARAMETER] if with_notification else [])]
    return {
        "post": {
            "tags": ["twilio"],
            "summary": summary,
            "parameters": parameters,
            "requestBody": form_body(ref("TwilioForm")),
            "responses": {**success, **errors("400", "403", "413", "503")},
        }
    }


HTML = {"text/html": {"schema": {"type": "string"}}}


def _page(description: str) -> Schema:
    return {"description": description, "content": HTML}


PATHS: dict[str, Schema] = {
    "/api/events": {
        "post": _intake(
            "ilert-compatible event: ALERT, ACCEPT, RESOLVE or COMMENT",
            json_body(ref("EventBody"), "integrationKey (or apiKey) is required; unknown fields are ignored"),
            "EventResult",
        )
    },
    "/api/events/alertmanager/{key}": _prom("Prometheus Alertmanager"),
    "/api/events/grafana/{key}": _prom("Grafana alerting"),
    "/api/events/webhook/{key}": {
        "post": {
            **_intake(
                "Any JSON, mapped to an event by the source's templates",
                json_body({}, "Any JSON value; an object becomes the alert's customDetails"),
                "EventResult",
            ),
            "parameters": [key_parameter("The alert source's integration key")],
        }
    },
    "/api/deployment-events": {
        "post": _intake(
            "A deployment, shown on the alerts of its team that follow it",
            json_body(ref("DeploymentBody")),
            "DeploymentResult",
            tag="deployments",
        )
    },
    **pagerduty_events.OPENAPI_PATHS,
    **opsgenie.OPENAPI_PATHS,
    "/api/heartbeats/{key}": {
        method: {
            "tags": ["heartbeats"],
            "summary": "A heartbeat ping (any method counts; a POST body is ignored)",
            "parameters": [key_parameter("The heartbeat monitor's key")],
            "responses": {
                **(
                    {"202": {"description": "Recorded"}}
                    if method == "head"
                    else ok("202", "Recorded; the monitor's state", ref("HeartbeatResult"))
                ),
                **errors("404", "429", "503"),
            },
        }
        for method in ("get", "head", "post")
    },
    "/api/actions": {
        "post": {
            "tags": ["actions"],
            "summary": "Accept or resolve with a signed action token (lock screen, e-mail), no session",
            "requestBody": json_body(ref("ActionBody")),
            "responses": {
                **ok("200", "Done", ref("ActionResult")),
                **errors("400", "403", "404", "409", "410", "413", "503"),
            },
        }
    },
    "/api/actions/confirm": {
        "get": {
            "tags": ["actions"],
            "summary": "The page an e-mail link opens: a button that posts the action (a GET never acts)",
            "parameters": [parameter(name, "query") for name in ("action", "token")],
            "responses": {"200": _page("The confirmation page"), "400": _page("The link is incomplete")},
        },
        "post": {
            "tags": ["actions"],
            "summary": "The confirmation page's button",
            "requestBody": form_body(ref("ActionForm")),
            "responses": {
                "200": _page("Done"),
                "400": {
                    "description": "Not done: the action is unknown (a page), or the form is not one pagerline reads",
                    "content": {**HTML, JSON: {"schema": ref("Error")}},
                },
                **{status: _page("Not done, and why") for status in ("403", "404", "409", "410")},
                **errors("413", "503"),
            },
        },
    },
    "/api/twilio/voice": _twilio("The call's TwiML", {"200": TWIML}, with_notification=True),
    "/api/twilio/voice/gather": _twilio("A keypress during the call", {"200": TWIML}, with_notification=True),
    "/api/twilio/sms": _twilio("An SMS reply (1 accepts, 2 resolves)", {"200": TWIML}, with_notification=False),
    "/api/twilio/status": _twilio(
        "A call's or message's delivery status", {"204": {"description": "Recorded"}}, with_notification=True
    ),
    "/api/pushover/callback": {
        "post": {
            "tags": ["pushover"],
            "summary": "Pushover's acknowledgement of an emergency page: accepts the alert as the responder it was sent to",
            "parameters": [parameter("token", "query", "The page's signed, single-use action token", required=True)],
            "requestBody": form_body(ref("PushoverCallbackForm")),
            "responses": {
                **ok("200", "Accepted", ref("ActionResult")),
                **errors("400", "403", "404", "409", "410", "413", "503"),
            },
        }
    },
    **{
        f"/api/slack/{name}": {
            "post": {
                "tags": ["slack"],
                "summary": summary,
                "parameters": [
                    parameter("X-Slack-Request-Timestamp", "header", "When Slack sent it (Unix seconds): refused when over 5 minutes away", required=True),
                    parameter("X-Slack-Signature", "header", "v0= HMAC-SHA256 of v0:<timestamp>:<body>, keyed with the app's signing secret", required=True),
                ],
                "requestBody": body,
                "responses": {"200": {"description": answer}, **errors("400", "401", "403", "413", "503")},
            }
        }
        for name, summary, body, answer in (
            ("interactions", "A button pressed under an alert's message (block_actions)",
             form_body({"type": "object", "properties": {"payload": {"type": "string", "description": "The interaction, JSON"}}}), "Handled (or ignored)"),
            ("commands", "/pagerline typed in a channel", form_body({"type": "object", "properties": {"text": {"type": "string"}, "user_id": {"type": "string"}}}),
             "The answer, shown to whoever typed it"),
            ("events", "An Events API request (the URL check)", json_body({"type": "object"}, "A Slack event envelope"), "Handled (the URL check answered)"),
        )
    },
    "/api/mattermost/actions": {
        "post": {
            "tags": ["mattermost"],
            "summary": "A button pressed under an alert's post: acts as the Mattermost user who pressed it",
            "requestBody": json_body(
                {"type": "object", "properties": {
                    "user_id": {"type": "string"}, "post_id": {"type": "string"}, "channel_id": {"type": "string"},
                    "context": {"type": "object", "description": "The button's context: alert_id, action and its signature (HMAC-SHA256 by this server)"},
                }},
                "Mattermost's action request",
            ),
            "responses": {
                "200": {"description": "Done (`update`: the post as it now is) or refused (`ephemeral_text`: why, shown to the presser)"},
                **errors("400", "403", "413", "503"),
            },
        }
    },
    "/api/mattermost/dialogs": {
        "post": {
            "tags": ["mattermost"],
            "summary": "The Comment form sent (an interactive dialog): comments as the Mattermost user who sent it",
            "requestBody": json_body(
                {"type": "object", "properties": {
                    "user_id": {"type": "string"}, "state": {"type": "string", "description": "<alert id>:<signature by this server>"},
                    "submission": {"type": "object", "properties": {"comment": {"type": "string"}}}, "cancelled": {"type": "boolean"},
                }},
                "Mattermost's dialog submission",
            ),
            "responses": {"200": {"description": "Done (`{}`) or refused (`errors`: why, shown under the field)"}, **errors("400", "403", "413", "503")},
        }
    },
    "/api/mattermost/commands": {
        "post": {
            "tags": ["mattermost"],
            "summary": "/pagerline typed in a channel: checked against the slash command's token",
            "requestBody": form_body({"type": "object", "properties": {
                "token": {"type": "string"}, "text": {"type": "string"}, "user_id": {"type": "string"}, "channel_id": {"type": "string"},
            }}),
            "responses": {"200": {"description": "The answer, shown to whoever typed it (`response_type: ephemeral`)"}, **errors("400", "401", "403", "413", "503")},
        }
    },
    "/api/telegram/webhook": {
        "post": {
            "tags": ["telegram"],
            "summary": "A Telegram update for the bot (a /start message, a button press): set by setWebhook",
            "parameters": [
                parameter(
                    "X-Telegram-Bot-Api-Secret-Token", "header", "The secret given to setWebhook (derived from the secret key)", required=True
                )
            ],
            "requestBody": json_body({"type": "object"}, "A Telegram Update object"),
            "responses": {"200": {"description": "Handled (or ignored)"}, **errors("400", "403", "413", "503")},
        }
    },
    "/api/widget": {
        "get": {
            "tags": ["widget"],
            "summary": "The on-call widget feed",
            "security": [{"bearer": []}],
            "parameters": [
                parameter("levels", "query", "Policy levels that count as on call, e.g. 1,7:2"),
                parameter("If-None-Match", "header", "The ETag of the feed the widget has"),
            ],
            "responses": {
                "200": {
                    "description": "The feed",
                    "headers": {"ETag": {"schema": {"type": "string"}}},
                    "content": {JSON: {"schema": ref("WidgetFeed")}},
                },
                "304": {"description": "Unchanged since the ETag sent"},
                **errors("400", "401", "503"),
            },
        }
    },
    "/ical/{token}.ics": {
        "get": {
            "tags": ["calendars"],
            "summary": "A calendar feed of a user's or a schedule's shifts",
            "parameters": [parameter("token", "path", "The feed's secret", required=True)],
            "responses": {
                **ok("200", "The calendar", {"type": "string"}, "text/calendar"),
                **errors("404", "503"),
            },
        }
    },
    "/healthz": {"get": {"tags": ["health"], "summary": "Liveness", "responses": ok("200", "Alive", ref("Health"))}},
    "/readyz": {
        "get": {
            "tags": ["health"],
            "summary": "Readiness: the database and the broker answer",
            "responses": {
                **ok("200", "Ready", ref("Readiness")),
                **ok("503", "Not ready; checks says what is not", ref("Readiness")),
            },
        }
    },
    "/metrics": {
        "get": {
            "tags": ["health"],
            "summary": "Prometheus metrics",
            "responses": ok("200", "Prometheus text format", {"type": "string"}, "text/plain"),
        }
    },
    "/api/openapi.json": {
        "get": {
            "tags": ["meta"],
            "summary": "This description",
            "responses": ok("200", "OpenAPI 3.1", {"type": "object"}),
        }
    },
}


@cache
def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "pagerline REST API",
            "version": version("pagerline"),
            "description": "Event intake, callbacks and feeds. Everything else is GraphQL at /graphql. "
            "Every error answers JSON {status, message, code}.",
        },
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "A user or widget token"},
                **opsgenie.OPENAPI_SECURITY,
            },
        },
    }


async def get_openapi(request: Request) -> Response:
    return JSONResponse(openapi_document())


routes = [Route("/api/openapi.json", get_openapi, methods=["GET"])]
