"""The generic webhook intake: ``POST /api/events/webhook/{key}`` takes any JSON and maps it to
an event through the source's templates (:mod:`pagerline.engine.sources.webhook_templates`); a source
without templates uses the defaults (``summary``/``title``/``message``, ``alertKey``/``id``, ...).

A payload the templates cannot turn into an event (an unknown ``eventType``, no summary) is a
422 ``INVALID_WEBHOOK`` naming why, and nothing is written.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pagerline.api.body import read_json
from pagerline.api.errors import ApiError
from pagerline.api.events import check_rate, guarded, result_json, source_for
from pagerline.engine.core.errors import EngineError
from pagerline.engine.sources.intake import ingest_event, validate
from pagerline.engine.sources.recent_payloads import note_payload
from pagerline.engine.sources.policy import load_policy
from pagerline.engine.sources.webhook_templates import MappingError, compile_webhook_templates, map_payload

DEFAULT_TEMPLATES = compile_webhook_templates(None)


async def post_webhook(request: Request) -> Response:
    settings = request.app.state.settings
    key = str(request.path_params["key"])
    payload = await read_json(request, settings.max_event_bytes)
    check_rate(request.app.state.rate_limiter, key)
    source = await source_for(key)
    now = datetime.now(UTC)
    # Kept before mapping: a payload the templates cannot map is the one the editor needs most.
    await note_payload(source.id, payload, now)
    policy = await load_policy(source.id)
    try:
        event = map_payload(policy.templates or DEFAULT_TEMPLATES, payload)
        validate(event)
    except MappingError as exc:
        raise ApiError(422, "INVALID_WEBHOOK", str(exc)) from exc
    except EngineError as exc:
        raise ApiError(422, "INVALID_WEBHOOK", f"the mapped event is not valid: {exc.message}") from exc
    result = await ingest_event(source, event, now)
    return JSONResponse(result_json(settings, result), status_code=202)


routes = [Route("/api/events/webhook/{key}", guarded(post_webhook), methods=["POST"])]
