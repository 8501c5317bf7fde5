"""Muting: a user holds back their own alert notifications until a time; escalation to others
goes on, and every held-back notification is on its alert's timeline."""

from __future__ import annotations

from datetime import datetime, timedelta

from pagerline.engine.core.errors import BadInput
from pagerline.models import User

MAX_MUTE = timedelta(days=30)


async def mute(user_id: int, until: datetime | None, now: datetime) -> User:
    if until is not None:
        if until.tzinfo is None:
            raise BadInput("until needs a time zone")
        if until <= now:
            until = None  # a time in the past unmutes
        elif until - now > MAX_MUTE:
            raise BadInput("Notifications can be muted for at most 30 days")
    await User.filter(id=user_id).update(muted_until=until)
    return await User.get(id=user_id)
