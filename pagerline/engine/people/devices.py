"""Devices: registration is an upsert by push token (a browser's: by subscription endpoint).

A token belongs to one app install; when someone else signs in on that phone, the token moves
to them (the previous owner must not get the new owner's pages).
"""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from pagerline.engine.core.config_changes import ConfigAction, ConfigKind, config_changed
from pagerline.engine.people.accounts import announce_credentials_changed
from pagerline.engine.core.errors import BadInput, NotFound
from pagerline.models import Device, Platform, PushProvider


async def register_device(
    user_id: int,
    platform: Platform,
    provider: PushProvider,
    token: str,
    now: datetime,
    app_id: str = "",
    app_version: str = "",
    critical_alerts: bool = False,
    critical_volume: float = 1.0,
    sound: str = "default",
) -> Device:
    token = token.strip()
    if not token or len(token) > 512:
        raise BadInput("A push token of 1 to 512 characters is required")
    if provider in (PushProvider.CONSOLE, PushProvider.WEB_PUSH) or platform is Platform.WEB:
        # Browsers register with registerWebPushSubscription, which checks the endpoint and keys.
        raise BadInput("provider must be FCM or APNS")
    if provider is PushProvider.APNS and platform is not Platform.IOS:
        raise BadInput("APNS tokens belong to iOS devices")
    if not 0.0 <= critical_volume <= 1.0:
        raise BadInput("criticalVolume must be between 0 and 1")
    values: dict[str, object] = {
        "platform": platform,
        "provider": provider,
        "app_id": app_id[:200],
        "app_version": app_version[:50],
        "critical_alerts": critical_alerts,
        "critical_volume": critical_volume,
        "sound": (sound or "default")[:100],
        "active": True,
        "deactivated_reason": None,
    }
    return await upsert_device(user_id, token, values)


async def upsert_device(user_id: int, token: str, values: dict[str, object]) -> Device:
    """Create the device with this push address, or update (and reactivate) the one that has it,
    moving it to ``user_id``. ``values``: the other columns. Phones and browsers alike."""
    values = {**values, "user_id": user_id}
    async with in_transaction():
        device = await Device.filter(token=token).select_for_update().first()
        if device is None:
            device = await Device.create(token=token, **values)
            previous_owner = user_id
        else:
            await Device.filter(id=device.id).update(**values)
            previous_owner = device.user_id  # type: ignore[attr-defined]
            device = await Device.get(id=device.id)
    if previous_owner != user_id:
        await announce_credentials_changed(previous_owner)  # its device token stops working
        await config_changed(ConfigKind.USER, previous_owner, ConfigAction.UPDATED)
    await config_changed(ConfigKind.USER, user_id, ConfigAction.UPDATED)  # whether a page reaches them
    return device


async def unregister_device(user_id: int, token: str) -> None:
    deleted = await Device.filter(user_id=user_id, token=token.strip()).delete()
    if not deleted:
        raise NotFound("No such device of yours")
    await announce_credentials_changed(user_id)  # the device's token went with it
    await config_changed(ConfigKind.USER, user_id, ConfigAction.UPDATED)


async def remove_device(user_id: int, device_id: int) -> None:
    """Forget one of the user's devices by its id (the web app has ids, not push tokens)."""
    deleted = await Device.filter(user_id=user_id, id=device_id).delete()
    if not deleted:
        raise NotFound("No such device of yours")
    await announce_credentials_changed(user_id)  # the device's token went with it
    await config_changed(ConfigKind.USER, user_id, ConfigAction.UPDATED)
