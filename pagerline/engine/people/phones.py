"""Phone numbers are verified by a code sent by SMS before any page goes to them."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from pagerline.engine.core.effects import unit_of_work
from pagerline.engine.core.errors import BadInput, Conflict
from pagerline.models import Channel, Notification, NotificationKind, User
from pagerline.security import digest, digests_match

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def normalise(phone: str) -> str:
    cleaned = re.sub(r"[\s\-().]", "", phone)
    if not E164.match(cleaned):
        raise BadInput("Give the number in international format, e.g. +4915112345678")
    return cleaned


async def start_verification(user_id: int, phone: str, now: datetime) -> str:
    """Stores the number as pending and sends a 6-digit code to it. Returns the number."""
    number = normalise(phone)
    code = f"{secrets.randbelow(1_000_000):06d}"
    async with unit_of_work() as effects:
        await User.filter(id=user_id).update(
            phone_pending=number,
            phone_code_hash=digest(f"{user_id}:{number}:{code}"),
            phone_code_expires_at=now + CODE_TTL,
            phone_code_attempts=0,
        )
        row = await Notification.create(
            dedup_key=f"verify:{user_id}:{secrets.token_hex(8)}",
            user_id=user_id,
            kind=NotificationKind.INFO,
            channel=Channel.SMS,
            due_at=now,
            title="pagerline verification code",
            body=f"Your pagerline verification code is {code}. It expires in 10 minutes.",
            target=number,
            created_at=now,
        )
        effects.wake_notification(row.id, now, row.channel)
    return number


async def confirm(user_id: int, code: str, now: datetime) -> User:
    async with unit_of_work():
        user = await User.filter(id=user_id).select_for_update().first()
        if user is None or not user.phone_pending or not user.phone_code_hash or not user.phone_code_expires_at:
            raise Conflict("No phone number is waiting for verification")
        if user.phone_code_expires_at <= now:
            raise Conflict("The code has expired; ask for a new one")
        if user.phone_code_attempts >= MAX_ATTEMPTS:
            raise Conflict("Too many wrong codes; ask for a new one")
        right = digests_match(digest(f"{user_id}:{user.phone_pending}:{code.strip()}"), user.phone_code_hash)
        if right:
            await User.filter(id=user_id).update(
                phone=user.phone_pending, phone_verified=True, phone_pending=None, phone_code_hash=None,
                phone_code_expires_at=None, phone_code_attempts=0,
            )
        else:
            # Counted (and committed) before refusing, so guessing is limited.
            await User.filter(id=user_id).update(phone_code_attempts=user.phone_code_attempts + 1)
    if not right:
        raise BadInput("That code is not right")
    return await User.get(id=user_id)
