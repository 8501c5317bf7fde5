"""Browsers as push devices: the key they subscribe with, and registering their subscription."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from pagerline.engine.core.errors import EngineError
from pagerline.engine.people import web_push
from pagerline.graphql.core.context import app_state, viewer_of
from pagerline.graphql.core.errors import from_engine
from pagerline.graphql.core.permissions import require_viewer
from pagerline.graphql.notify.me import Device


@strawberry.type
class WebPushQuery:
    @strawberry.field(
        description="The VAPID application server key (base64url, uncompressed P-256 point): pass it to "
        "PushManager.subscribe({applicationServerKey}) before registerWebPushSubscription."
    )
    async def web_push_public_key(self, info: Info) -> str:
        require_viewer(viewer_of(info))
        return await web_push.vapid_public_key(app_state(info).settings.vapid_private_key)


@strawberry.type
class WebPushMutation:
    @strawberry.mutation(
        description="Register this browser for pages: the object PushSubscription.toJSON() returns "
        "({endpoint, expirationTime, keys: {p256dh, auth}}). Upserts by endpoint; the endpoint must be an "
        "https URL of an allowed push service."
    )
    async def register_web_push_subscription(self, info: Info, subscription: JSON) -> Device:
        viewer = require_viewer(viewer_of(info))
        settings = app_state(info).settings
        try:
            row = await web_push.register_subscription(viewer.user.id, subscription, settings.webpush_hosts, datetime.now(UTC))
        except EngineError as exc:
            raise from_engine(exc) from exc
        return Device.of(row)
