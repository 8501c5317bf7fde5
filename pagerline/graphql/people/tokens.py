"""Signing out and managing tokens: API tokens for scripts, device tokens for the mobile app.

The app's flow: ``login`` (a session token that expires), ``registerDevice``, then
``createDeviceToken(deviceId)`` for a long-lived token kept in the keychain; it works only
while that device is registered and active. Every secret is returned once.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from pagerline import models
from pagerline.engine.people import tokens
from pagerline.graphql.core.args import now, parse_id
from pagerline.graphql.core.context import viewer_of
from pagerline.graphql.core.errors import engine_errors
from pagerline.graphql.core.permissions import require_viewer


@strawberry.enum
class TokenKind(Enum):
    SESSION = "SESSION"
    API = "API"
    DEVICE = "DEVICE"
    WIDGET = "WIDGET"


@strawberry.type(description="A token's facts; never its secret.")
class ApiToken:
    id: strawberry.ID
    kind: TokenKind
    name: str
    device_id: strawberry.ID | None
    created_at: datetime
    expires_at: datetime | None

    @classmethod
    def of(cls, row: models.ApiToken) -> ApiToken:
        device_id = row.device_id  # type: ignore[attr-defined]
        return cls(
            id=strawberry.ID(str(row.id)), kind=TokenKind(row.kind.value), name=row.name,
            device_id=strawberry.ID(str(device_id)) if device_id else None,
            created_at=row.created_at, expires_at=row.expires_at,
        )


@strawberry.type(description="A new token: `secret` is shown this once (send it as 'Authorization: Bearer <secret>').")
class NewToken:
    secret: str
    token: ApiToken


@strawberry.type
class AuthQuery:
    @strawberry.field(description="Your tokens that still work: sessions, API and device tokens.")
    async def my_tokens(self, info: Info) -> list[ApiToken]:
        viewer = require_viewer(viewer_of(info))
        return [ApiToken.of(t) for t in await tokens.active_tokens(viewer.user.id, now())]


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Revoke the token this request is made with.")
    async def logout(self, info: Info) -> bool:
        viewer = require_viewer(viewer_of(info))
        await tokens.logout(viewer, now())
        return True

    @strawberry.mutation(description="A token for scripts, acting as you; no expiry, revocable.")
    async def create_api_token(self, info: Info, name: str) -> NewToken:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            row, secret = await tokens.create_api_token(viewer.user.id, name, now())
        return NewToken(secret=secret, token=ApiToken.of(row))

    @strawberry.mutation(description="A long-lived token bound to one of your registered devices; replaces its earlier one.")
    async def create_device_token(self, info: Info, device_id: strawberry.ID) -> NewToken:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            row, secret = await tokens.create_device_token(viewer.user.id, parse_id(device_id, "device id"), now())
        return NewToken(secret=secret, token=ApiToken.of(row))

    @strawberry.mutation(description="Revoke one of your tokens (admins: anyone's).")
    async def revoke_api_token(self, info: Info, id: strawberry.ID) -> bool:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            await tokens.revoke(viewer, parse_id(id, "token id"), now())
        return True
