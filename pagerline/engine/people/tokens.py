"""Bearer tokens a user manages: API tokens for scripts, device tokens for the mobile app,
and signing out (revoking the token in use).

A DEVICE token is long-lived and bound to one registered device of its owner: it works only
while that device is registered, active and still the owner's (see ``accounts.authenticate``).
Issuing a new one for a device revokes the device's earlier tokens (one app install, one
token). Secrets are returned once; only digests are stored.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q

from pagerline.engine.people.accounts import Viewer, announce_credentials_changed, create_token, revoke_token
from pagerline.engine.core.errors import BadInput, NotFound
from pagerline.models import ApiToken, Device, TokenKind


async def create_api_token(user_id: int, name: str, now: datetime) -> tuple[ApiToken, str]:
    name = name.strip()
    if not name or len(name) > 200:
        raise BadInput("A token name of 1 to 200 characters is required")
    return await create_token(user_id, TokenKind.API, now, name)


async def create_device_token(user_id: int, device_id: int, now: datetime) -> tuple[ApiToken, str]:
    device = await Device.get_or_none(id=device_id, user_id=user_id)
    if device is None or not device.active:
        raise NotFound("No such active device of yours")
    ended = await ApiToken.filter(device_id=device.id, kind=TokenKind.DEVICE, revoked_at__isnull=True).update(revoked_at=now)
    name = f"{device.platform.value.lower()} {device.app_id}".strip()
    created = await create_token(user_id, TokenKind.DEVICE, now, name, device_id=device.id)
    if ended:
        await announce_credentials_changed(user_id)
    return created


async def active_tokens(user_id: int, now: datetime) -> list[ApiToken]:
    """The user's tokens that still work (sessions too, so a lost login can be ended)."""
    return await ApiToken.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now), user_id=user_id, revoked_at__isnull=True
    ).order_by("-id")


async def revoke(viewer: Viewer, token_id: int, now: datetime) -> None:
    """Your own tokens; admins may revoke anyone's."""
    query = ApiToken.filter(id=token_id, revoked_at__isnull=True)
    if not viewer.is_admin:
        query = query.filter(user_id=viewer.user.id)
    if not await query.exists():
        raise NotFound("No such active token")
    await revoke_token(token_id, now)


async def logout(viewer: Viewer, now: datetime) -> None:
    await revoke_token(viewer.token_id, now)
