"""Contact methods: where a user's pages go besides their devices.

A user has any number of contact methods, each of a kind (SMS, VOICE, EMAIL, NTFY, PUSHOVER,
TELEGRAM) and a value. Nothing but its verification code goes to a method until it is verified:
the code is sent through the method itself (an INFO notification whose target is the value, so
it takes the real delivery path), and the user types it back. Telegram is the other way round,
because a bot cannot write to someone first: the user opens the bot with ``/start <code>`` and
the chat that sent it becomes the method's value.

A notification rule of a method reaches every verified contact method of that kind.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from pagerline.engine.core.config_changes import ConfigAction, ConfigKind, config_changed, note_config_change
from pagerline.engine.core import sql
from pagerline.engine.core.effects import unit_of_work
from pagerline.engine.core.errors import BadInput, Conflict, NotFound
from pagerline.engine.core.sql_dialect import in_list
from pagerline.models import Channel, ContactKind, ContactMethod, Notification, NotificationKind
from pagerline.security import digest, digests_match

CODE_TTL = timedelta(minutes=10)
# A Telegram code is typed into a chat by hand, but it is looked up by itself (not with a
# user), so it is long enough not to be guessed within its lifetime.
TELEGRAM_CODE_TTL = timedelta(minutes=30)
MAX_ATTEMPTS = 5
MAX_METHODS = 20  # per user: a list anyone can read at a glance, not a mailing list

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
# ntfy's topic names: letters, digits, "_" and "-", 1 to 64 characters.
NTFY_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Pushover user and group keys: 30 letters and digits.
PUSHOVER_KEY = re.compile(r"^[A-Za-z0-9]{30}$")

# Checks a value with its provider before a code is sent (Pushover's validate call): True valid,
# False refused, None could not tell (the code is sent and decides).
ValueCheck = Callable[[str], Awaitable[bool | None]]

HOW_TO_WRITE = {
    ContactKind.SMS: "Give the number in international format, e.g. +4915112345678",
    ContactKind.VOICE: "Give the number in international format, e.g. +4915112345678",
    ContactKind.EMAIL: "Give an email address, e.g. alice@example.com",
    ContactKind.NTFY: "Give an ntfy topic: 1 to 64 letters, digits, '_' or '-'",
    ContactKind.PUSHOVER: "Give your Pushover user key: the 30 letters and digits on your Pushover dashboard",
}


TELEGRAM_CHAT = re.compile(r"^-?\d{1,20}$")


def normalise(kind: ContactKind, value: str, *, linked: bool = False) -> str:
    """The value as stored, or BadInput saying how to write it. ``linked``: a Telegram chat id
    the bot learnt (never one a user typed)."""
    text = value.strip()
    if kind in (ContactKind.SMS, ContactKind.VOICE):
        text = re.sub(r"[\s\-().]", "", text)
        ok = bool(E164.match(text))
    elif kind is ContactKind.EMAIL:
        text = text.lower()
        ok = len(text) <= 254 and bool(EMAIL.match(text))
    elif kind is ContactKind.NTFY:
        ok = bool(NTFY_TOPIC.match(text))
    elif kind is ContactKind.PUSHOVER:
        ok = bool(PUSHOVER_KEY.match(text))
    elif linked:  # TELEGRAM, a chat the bot learnt
        ok = bool(TELEGRAM_CHAT.match(text))
    else:  # TELEGRAM: the chat is learnt from the bot, never typed in
        if text:
            raise BadInput("A Telegram contact method is linked by opening the bot with its code; leave the value empty")
        return ""
    if not ok:
        raise BadInput(HOW_TO_WRITE.get(kind, "A Telegram chat id is a number"))
    return text


def suggest_ntfy_topic() -> str:
    """An unguessable topic: on a public ntfy server anyone who knows a topic can read it."""
    return f"pagerline-{secrets.token_urlsafe(18).replace('_', '').replace('-', '')[:20].lower()}"


def _code_digest(method_id: int, value: str, code: str) -> str:
    return digest(f"contact:{method_id}:{value}:{code}")


def _telegram_digest(code: str) -> str:
    return digest(f"telegram-link:{code}")


async def _owned(user_id: int, method_id: int) -> ContactMethod:
    method = await ContactMethod.get_or_none(id=method_id, user_id=user_id)
    if method is None:
        raise NotFound("Contact method not found")
    return method


async def add_contact_method(
    user_id: int, kind: ContactKind, value: str, now: datetime, check: ValueCheck | None = None
) -> tuple[ContactMethod, str]:
    """A new, unverified contact method and its code. The code is sent through the method;
    for Telegram it is returned for the user to send to the bot (it is never stored, only its
    digest). Adding a value the user already has verified returns that method unchanged (and
    an empty code); adding one waiting for its code sends a new code."""
    stored = normalise(kind, value)
    if check is not None and stored:
        if await check(stored) is False:
            raise BadInput(f"{kind.value.capitalize()} does not know {stored!r}: {HOW_TO_WRITE.get(kind, '')}".rstrip(": "))
    async with unit_of_work() as effects:
        existing = None
        if stored:
            existing = await ContactMethod.filter(user_id=user_id, kind=kind, value=stored).select_for_update().first()
        if existing is not None and existing.verified:
            return existing, ""
        if existing is None:
            if await ContactMethod.filter(user_id=user_id).count() >= MAX_METHODS:
                raise Conflict(f"You have {MAX_METHODS} contact methods; remove one first")
            existing = await ContactMethod.create(user_id=user_id, kind=kind, value=stored)
        if kind is ContactKind.TELEGRAM:
            code = secrets.token_urlsafe(12)
            existing.code_hash = _telegram_digest(code)
            existing.code_expires_at = now + TELEGRAM_CODE_TTL
        else:
            code = f"{secrets.randbelow(1_000_000):06d}"
            existing.code_hash = _code_digest(existing.id, stored, code)
            existing.code_expires_at = now + CODE_TTL
            row = await Notification.create(
                dedup_key=f"verify:{existing.id}:{secrets.token_hex(8)}",
                user_id=user_id,
                kind=NotificationKind.INFO,
                channel=Channel(kind.value),
                due_at=now,
                title="pagerline verification code",
                body=f"Your pagerline verification code is {code}. It expires in 10 minutes.",
                target=stored,
                created_at=now,
            )
            effects.wake_notification(row.id, now, row.channel)
        existing.code_attempts = 0
        await existing.save(update_fields=["code_hash", "code_expires_at", "code_attempts"])
    return existing, code if kind is ContactKind.TELEGRAM else ""


async def verify_contact_method(user_id: int, method_id: int, code: str, now: datetime) -> ContactMethod:
    """The code typed back: right, the method is verified; wrong, the attempt is counted (and
    committed before refusing, so guessing stays limited)."""
    async with unit_of_work() as effects:
        method = await ContactMethod.filter(id=method_id, user_id=user_id).select_for_update().first()
        if method is None:
            raise NotFound("Contact method not found")
        if method.verified:
            return method
        if method.kind is ContactKind.TELEGRAM:
            raise Conflict("A Telegram contact method is verified by opening the bot with its code")
        if not method.code_hash or method.code_expires_at is None:
            raise Conflict("No code is waiting for this contact method; add it again for a new one")
        if method.code_expires_at <= now:
            raise Conflict("The code has expired; add the contact method again for a new one")
        if method.code_attempts >= MAX_ATTEMPTS:
            raise Conflict("Too many wrong codes; add the contact method again for a new one")
        right = digests_match(_code_digest(method.id, method.value, code.strip()), method.code_hash)
        if right:
            method.verified, method.verified_at, method.code_hash, method.code_expires_at = True, now, None, None
            await method.save(update_fields=["verified", "verified_at", "code_hash", "code_expires_at"])
            note_config_change(effects, ConfigKind.USER, user_id, ConfigAction.UPDATED)  # may be reachable now
        else:
            method.code_attempts += 1
            await method.save(update_fields=["code_attempts"])
    if not right:
        raise BadInput("That code is not right")
    return method


async def link_telegram_chat(code: str, chat_id: str, now: datetime) -> ContactMethod | None:
    """``/start <code>`` reached the bot from ``chat_id``: the Telegram method waiting for that
    code is verified with that chat. None when no method waits for it (a wrong or old code)."""
    if not code or len(code) > 64 or not TELEGRAM_CHAT.match(chat_id):
        return None
    async with unit_of_work() as effects:
        method = (
            await ContactMethod.filter(kind=ContactKind.TELEGRAM, verified=False, code_hash=_telegram_digest(code.strip()))
            .select_for_update()
            .first()
        )
        if method is None or method.code_expires_at is None or method.code_expires_at <= now:
            return None
        # The same chat linked twice to one user would page twice: keep the first.
        twin = await ContactMethod.filter(user_id=method.user_id, kind=ContactKind.TELEGRAM, value=chat_id, verified=True).first()
        if twin is not None:
            await method.delete()
            return twin
        method.value, method.verified, method.verified_at = chat_id, True, now
        method.code_hash, method.code_expires_at = None, None
        await method.save(update_fields=["value", "verified", "verified_at", "code_hash", "code_expires_at"])
        note_config_change(effects, ConfigKind.USER, method.user_id, ConfigAction.UPDATED)  # type: ignore[attr-defined]
    return method


async def remove_contact_method(user_id: int, method_id: int) -> None:
    method = await _owned(user_id, method_id)
    await method.delete()
    await config_changed(ConfigKind.USER, user_id, ConfigAction.UPDATED)  # may be unreachable now


async def send_test_notification(user_id: int, method_id: int, now: datetime) -> int:
    """A test through one verified contact method, by the real delivery path (a PAGE without
    an alert, so muting and storm protection apply as to a page). Returns the notification id."""
    from pagerline.engine.notify.trial_page import TITLE, test_body

    method = await _owned(user_id, method_id)
    if not method.verified:
        raise Conflict("Verify this contact method first: nothing but its code goes to it before that")
    async with unit_of_work() as effects:
        row = await Notification.create(
            dedup_key=f"test:{user_id}:contact:{method.id}:{now.isoformat()}",
            user_id=user_id,
            kind=NotificationKind.PAGE,
            channel=Channel(method.kind.value),
            due_at=now,
            title=TITLE,
            body=test_body(now),
            target=method.value,
            created_at=now,
        )
        effects.wake_notification(row.id, now, row.channel)
    return int(row.id)


async def verified_kinds(user_ids: list[int]) -> dict[int, set[ContactKind]]:
    """For each user, the kinds of contact method they have verified (planning's reachability)."""
    found: dict[int, set[ContactKind]] = {user_id: set() for user_id in user_ids}
    if not user_ids:
        return found
    rows = await sql.fetch(
        f"SELECT DISTINCT user_id, kind FROM contact_methods WHERE verified AND user_id IN {in_list(len(user_ids))}", *user_ids
    )
    for row in rows:
        found[int(row["user_id"])].add(ContactKind(row["kind"]))
    return found


async def verified_values(user_id: int, kind: ContactKind) -> list[tuple[int, str]]:
    """(id, value) of the user's verified methods of ``kind``, oldest first."""
    rows = await sql.fetch(
        "SELECT id, value FROM contact_methods WHERE user_id = ? AND kind = ? AND verified ORDER BY id", user_id, kind.value
    )
    return [(int(row["id"]), str(row["value"])) for row in rows]


async def add_verified(user_id: int, kind: ContactKind, value: str, now: datetime | None) -> ContactMethod:
    """A method known to be the user's without a code (the sign-in address an admin gave, a
    number verified with the older phone flow); ``now`` is when it was verified, None when
    nothing was sent to verify it. Returns the existing one if there is one."""
    stored = normalise(kind, value, linked=True)
    method, _ = await ContactMethod.get_or_create(user_id=user_id, kind=kind, value=stored, defaults={"verified": True, "verified_at": now})
    if not method.verified:
        method.verified, method.verified_at, method.code_hash, method.code_expires_at = True, now, None, None
        await method.save(update_fields=["verified", "verified_at", "code_hash", "code_expires_at"])
    return method


async def move_sign_in_address(user_id: int, old: str | None, new: str) -> None:
    """The sign-in address changed (or was set): the EMAIL method that was the old address
    becomes the new one, so email pages follow the address the user signs in with. The caller's
    transaction holds both changes."""
    stored = normalise(ContactKind.EMAIL, new)
    moved = 0
    if old:
        moved = await ContactMethod.filter(user_id=user_id, kind=ContactKind.EMAIL, value=old.strip().lower()).update(
            value=stored, verified=True, code_hash=None, code_expires_at=None
        )
    if not moved:
        await add_verified(user_id, ContactKind.EMAIL, stored, None)
