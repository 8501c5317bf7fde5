"""The Starlette application and its lifespan (database, bus, broker, embedded worker)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Route, WebSocketRoute

from pagerline.api import (
    actions,
    deployments,
    events,
    health,
    heartbeats,
    ical,
    mattermost,
    openapi,
    opsgenie,
    pagerduty_events,
    pushover,
    slack,
    telegram,
    twilio,
    webhook,
    widget,
)
from pagerline.api.errors import client_gone_response, http_exception_response, internal_error_response
from pagerline.api.ratelimit import TokenBuckets
from pagerline.bus import build_bus
from pagerline.db import close_db, init_db
from pagerline.email_intake import start_embedded_intake
from pagerline.engine.core.effects import NullDispatcher, set_dispatcher
from pagerline.gc_tuning import settle_after_startup
from pagerline.graphql.schema import schema
from pagerline.graphql.core.view import PagerlineGraphQL
from pagerline.logs import RequestIdMiddleware
from pagerline.settings import Settings, get_settings
from pagerline.web import routes as dashboard
from pagerline.workers.actors import declare_actors
from pagerline.workers.broker import build_broker
from pagerline.workers.dispatcher import QueueDispatcher
from pagerline.workers.runtime import WorkerRuntime

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await init_db(settings.database_url)
        bus = build_bus(settings.redis_url, listen=True)
        await bus.start()
        broker = build_broker(settings.redis_url)
        actors = declare_actors(broker)
        dispatcher = QueueDispatcher(actors, bus)
        set_dispatcher(dispatcher)
        app.state.bus = bus
        app.state.broker = broker
        runtime = WorkerRuntime(
            settings, broker, actors, consume=settings.runs_embedded_worker, sweep=settings.runs_embedded_worker
        )
        app.state.runtime = runtime
        await runtime.start()
        smtp_intake = None
        try:
            # Mail to <key>@PAGERLINE_EMAIL_DOMAIN, on this loop and its database connections.
            smtp_intake = await start_embedded_intake(settings, app.state.rate_limiter)
            yield
        finally:
            if smtp_intake is not None:
                await smtp_intake.close()
            await runtime.stop()
            set_dispatcher(NullDispatcher())
            await dispatcher.close()  # sends what is still queued
            await bus.close()
            broker.close()
            await close_db()

    gql = PagerlineGraphQL(schema)
    app = Starlette(
        routes=[
            *events.routes,
            *actions.routes,
            *twilio.routes,
            *pushover.routes,
            *telegram.routes,
            *slack.routes,
            *mattermost.routes,
            *health.routes,
            *ical.routes,
            *widget.routes,
            *heartbeats.routes,
            *deployments.routes,
            *webhook.routes,
            *opsgenie.routes,
            *pagerduty_events.routes,
            *openapi.routes,
            Route("/graphql", gql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", gql),
            *dashboard.routes,
        ],
        lifespan=lifespan,
        middleware=[
            Middleware(RequestIdMiddleware),  # X-Request-ID on every line logged and every answer
            # Answers of 1 KB or more gzipped for clients that accept it: the web app's scripts and
            # its GraphQL answers (100 alerts, 35 KB of JSON, become 2 KB) reach a phone several
            # times faster. Small answers are sent as they are (compressing them saves nothing).
            # The session token travels in a header, never a cookie, so a cross-site page cannot
            # make a signed-in request whose compressed size would leak a secret (BREACH).
            Middleware(GZipMiddleware, minimum_size=1000, compresslevel=6),
        ],
        exception_handlers={
            HTTPException: http_exception_response,
            ClientDisconnect: client_gone_response,
            Exception: internal_error_response,
        },
    )
    app.state.settings = settings
    app.state.rate_limiter = TokenBuckets(settings.event_rate_per_key, settings.event_burst_per_key)
    app.state.login_throttle = TokenBuckets(rate_per_second=1 / 30, burst=10)
    return app


def app_factory() -> Starlette:
    """For ``uvicorn --factory pagerline.app:app_factory`` (each worker process builds its own).
    Only a served process tunes the collector (tests build many apps in one process)."""
    app = create_app()
    settle_after_startup()
    return app
