"""Mutations about the viewer's own reachability: devices, phone number, muting, update pushes."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from pagerline import models
from pagerline.engine.people import devices, phones
from pagerline.engine.notify import muting, trial_page
from pagerline.engine.schedules import reminders
from pagerline.engine.core.errors import EngineError
from pagerline.graphql.core.args import parse_id
from pagerline.graphql.core.context import viewer_of
from pagerline.graphql.core.errors import from_engine
from pagerline.graphql.core.permissions import require_viewer
from pagerline.graphql.people.types import User


@strawberry.enum
class Platform(Enum):
    IOS = "IOS"
    ANDROID = "ANDROID"
    WEB = "WEB"


@strawberry.enum
class PushProvider(Enum):
    FCM = "FCM"
    APNS = "APNS"
    WEB_PUSH = "WEB_PUSH"


@strawberry.type
class Device:
    id: strawberry.ID
    platform: Platform
    provider: PushProvider
    app_id: str
    app_version: str
    critical_alerts: bool
    critical_volume: float
    sound: str
    active: bool

    @classmethod
    def of(cls, row: models.Device) -> Device:
        return cls(
            id=strawberry.ID(str(row.id)),
            platform=Platform(row.platform.value),
            # Demo (CONSOLE) devices stand in for phones: shown as FCM.
            provider=PushProvider(row.provider.value) if row.provider.value in PushProvider._value2member_map_ else PushProvider.FCM,
            app_id=row.app_id,
            app_version=row.app_version,
            critical_alerts=row.critical_alerts,
            critical_volume=row.critical_volume,
            sound=row.sound,
            active=row.active,
        )


def _now() -> datetime:
    return datetime.now(UTC)


@strawberry.type
class MeMutation:
    @strawberry.mutation(description="Register (or move to you) a push token; upserts by token.")
    async def register_device(
        self,
        info: Info,
        platform: Platform,
        provider: PushProvider,
        token: str,
        app_id: str = "",
        app_version: str = "",
        critical_alerts: bool = False,
        critical_volume: float = 1.0,
        sound: str = "default",
    ) -> Device:
        viewer = require_viewer(viewer_of(info))
        try:
            row = await devices.register_device(
                viewer.user.id, models.Platform(platform.value), models.PushProvider(provider.value), token, _now(),
                app_id, app_version, critical_alerts, critical_volume, sound,
            )
        except EngineError as exc:
            raise from_engine(exc) from exc
        return Device.of(row)

    @strawberry.mutation
    async def unregister_device(self, info: Info, token: str) -> bool:
        viewer = require_viewer(viewer_of(info))
        try:
            await devices.unregister_device(viewer.user.id, token)
        except EngineError as exc:
            raise from_engine(exc) from exc
        return True

    @strawberry.mutation(description="Remove one of your devices by its id (as myDevices lists them); its device token stops working.")
    async def remove_device(self, info: Info, id: strawberry.ID) -> bool:
        viewer = require_viewer(viewer_of(info))
        try:
            await devices.remove_device(viewer.user.id, parse_id(id, "device id"))
        except EngineError as exc:
            raise from_engine(exc) from exc
        return True

    @strawberry.mutation(description="Hold back your alert notifications until a time (null unmutes).")
    async def mute_notifications(self, info: Info, until: datetime | None = None) -> User:
        viewer = require_viewer(viewer_of(info))
        try:
            return User.of(await muting.mute(viewer.user.id, until, _now()))
        except EngineError as exc:
            raise from_engine(exc) from exc

    @strawberry.mutation(
        description=(
            "Send yourself a test page now, through the real delivery path: one notification per channel of your "
            "HIGH rules that can reach you (muting and storm protection apply). Returns how many were queued."
        )
    )
    async def send_test_page(self, info: Info) -> int:
        viewer = require_viewer(viewer_of(info))
        try:
            return await trial_page.send_test_page(viewer.user.id, _now())
        except EngineError as exc:
            raise from_engine(exc) from exc

    @strawberry.mutation(description="Start verifying a phone number: a code is sent to it by SMS (an SMS contact method; see addContactMethod).")
    async def set_phone_number(self, info: Info, phone: str) -> User:
        viewer = require_viewer(viewer_of(info))
        try:
            await phones.start_verification(viewer.user.id, phone, _now())
        except EngineError as exc:
            raise from_engine(exc) from exc
        return User.of(await models.User.get(id=viewer.user.id))

    @strawberry.mutation(description="The code sent by setPhoneNumber: the number becomes a verified SMS and VOICE contact method.")
    async def verify_phone_number(self, info: Info, code: str) -> User:
        viewer = require_viewer(viewer_of(info))
        try:
            await phones.confirm(viewer.user.id, code, _now())
        except EngineError as exc:
            raise from_engine(exc) from exc
        return User.of(await models.User.get(id=viewer.user.id))

    @strawberry.mutation(description="Remind me before my on-call shifts start: 0, 15, 30, 60, 180, 360, 720 or 1440 minutes; null turns reminders off.")
    async def set_on_call_reminder(self, info: Info, before_min: int | None) -> int | None:
        viewer = require_viewer(viewer_of(info))
        try:
            return await reminders.set_reminder(viewer.user.id, before_min)
        except EngineError as exc:
            raise from_engine(exc) from exc

    @strawberry.mutation(description="Which alert updates reach your devices as pushes.")
    async def set_update_notifications(self, info: Info, accepted: bool, resolved: bool, escalated: bool) -> User:
        viewer = require_viewer(viewer_of(info))
        await models.User.filter(id=viewer.user.id).update(
            update_on_accepted=accepted, update_on_resolved=resolved, update_on_escalated=escalated
        )
        return User.of(await models.User.get(id=viewer.user.id))


@strawberry.type
class MeQuery:
    @strawberry.field(description="Minutes before a shift start you are reminded, or null.")
    async def my_on_call_reminder(self, info: Info) -> int | None:
        viewer = require_viewer(viewer_of(info))
        return await reminders.get_reminder(viewer.user.id)

    @strawberry.field
    async def my_devices(self, info: Info) -> list[Device]:
        viewer = require_viewer(viewer_of(info))
        return [Device.of(d) for d in await models.Device.filter(user_id=viewer.user.id).order_by("id")]
