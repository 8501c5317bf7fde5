"""Deployment events: ``POST /api/deployment-events`` with an alert source's integration key.

Body: ``integrationKey`` (or ``apiKey``), ``summary``, ``timestamp`` (epoch seconds, epoch
milliseconds or ISO 8601; missing is now), ``userEmail``, ``customDetails``, ``links``.
202 with the stored event's id; bad input 400/422 with ``{status, message, code}`` and nothing
written; unknown key 404.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pagerline.api.body import read_json_object
from pagerline.api.errors import ApiError, details_of
from pagerline.api.events import check_rate, guarded, source_for
from pagerline.api.payloads import LinkIn
from pagerline.engine.sources.deployments import DeploymentInput, parse_timestamp, record_deployment
from pagerline.engine.core.errors import BadInput

INVALID = "INVALID_DEPLOYMENT_EVENT"


class DeploymentBody(BaseModel):
    """Unknown fields are ignored, known ones with the wrong type refused (as in the events API)."""

    model_config = ConfigDict(extra="ignore", strict=True)

    integrationKey: str | None = Field(default=None, max_length=200)
    apiKey: str | None = Field(default=None, max_length=200)
    summary: str = Field(min_length=1, max_length=500)
    timestamp: int | float | str | None = None
    userEmail: str | None = Field(default=None, max_length=254)
    customDetails: dict[str, Any] = Field(default_factory=dict)
    links: list[LinkIn] = Field(default_factory=list, max_length=50)


async def post_deployment(request: Request) -> Response:
    settings = request.app.state.settings
    raw = await read_json_object(request, settings.max_event_bytes)
    key = raw.get("integrationKey") or raw.get("apiKey")
    if not key or not isinstance(key, str):
        raise ApiError(400, "MISSING_INTEGRATION_KEY", "integrationKey (or apiKey) is required")
    check_rate(request.app.state.rate_limiter, key)
    try:
        body = DeploymentBody.model_validate(raw)
    except ValidationError as exc:
        raise ApiError(422, INVALID, details_of(exc.errors())) from exc
    now = datetime.now(UTC)
    try:
        at = parse_timestamp(body.timestamp, now)
    except BadInput as exc:
        raise ApiError(422, INVALID, f"timestamp: {exc.message}") from exc
    if not body.summary.strip():
        raise ApiError(422, INVALID, "summary: must not be blank")
    source = await source_for(key)
    deployment = DeploymentInput(
        summary=body.summary,
        at=at,
        user_email=body.userEmail,
        custom_details=body.customDetails,
        links=[link.model_dump(exclude_none=True) for link in body.links],
    )
    stored = await record_deployment(source, deployment, now)
    return JSONResponse({"id": stored.id, "at": stored.at.isoformat()}, status_code=202)


routes = [Route("/api/deployment-events", guarded(post_deployment), methods=["POST"])]
