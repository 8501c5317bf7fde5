"""The phone number of the older, one-number flow (``setPhoneNumber`` / ``verifyPhoneNumber``),
kept for the apps that use it: a number is an SMS contact method, verified by a code sent by
SMS; once verified, the same number is a VOICE contact method too (the code proved the phone is
theirs). Everything else is in :mod:`pagerline.engine.people.contacts`."""

from __future__ import annotations

from datetime import datetime

from pagerline.engine.core.effects import unit_of_work
from pagerline.engine.core.errors import Conflict
from pagerline.engine.people import contacts
from pagerline.models import ContactKind, ContactMethod


async def start_verification(user_id: int, phone: str, now: datetime) -> str:
    """Adds the number as an SMS contact method and sends it a code. Returns the number."""
    method, _ = await contacts.add_contact_method(user_id, ContactKind.SMS, phone, now)
    return method.value


async def pending_number(user_id: int) -> ContactMethod | None:
    """The number last given that still waits for its code."""
    return (
        await ContactMethod.filter(user_id=user_id, kind=ContactKind.SMS, verified=False, code_hash__isnull=False)
        .order_by("-id")
        .first()
    )


async def primary_number(user_id: int) -> str | None:
    """The user's SMS number verified last: what the profile shows as their phone (the older
    flow had one number, and a new one took its place)."""
    method = await ContactMethod.filter(user_id=user_id, kind=ContactKind.SMS, verified=True).order_by("-verified_at", "-id").first()
    return method.value if method is not None else None


async def confirm(user_id: int, code: str, now: datetime) -> ContactMethod:
    pending = await pending_number(user_id)
    if pending is None:
        raise Conflict("No phone number is waiting for verification")
    method = await contacts.verify_contact_method(user_id, pending.id, code, now)
    async with unit_of_work():
        await contacts.add_verified(user_id, ContactKind.VOICE, method.value, now)
    return method
