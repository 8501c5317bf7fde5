"""Widget tokens: what a home-screen widget extension keeps instead of a session.

A widget token reads the widget feed (``GET /api/widget``, GraphQL ``widget``) and nothing
else: every other route and GraphQL field refuses it (``permissions.require_viewer``). It does
not expire, so a widget keeps working without its app; it is revocable, and only its digest is
stored (the secret is shown once).
"""

from __future__ import annotations

from datetime import datetime

from tortoise.queryset import QuerySet

from pagerline.engine.people.accounts import create_token, revoke_token
from pagerline.engine.core.errors import BadInput, NotFound
from pagerline.models import ApiToken, TokenKind

MAX_ACTIVE = 20  # per user: a widget per device and a few spares


def _mine(user_id: int) -> QuerySet[ApiToken]:
    """Widget tokens are made without expiry, so "still works" is "not revoked"."""
    return ApiToken.filter(user_id=user_id, kind=TokenKind.WIDGET, revoked_at__isnull=True)


async def create_widget_token(user_id: int, name: str, now: datetime) -> tuple[ApiToken, str]:
    name = name.strip()
    if not name or len(name) > 200:
        raise BadInput("A widget token needs a name of 1 to 200 characters (say which device it is for)")
    if await _mine(user_id).count() >= MAX_ACTIVE:
        raise BadInput(f"You have {MAX_ACTIVE} widget tokens already; revoke one first")
    return await create_token(user_id, TokenKind.WIDGET, now, name)


async def widget_tokens(user_id: int) -> list[ApiToken]:
    """The user's widget tokens that still work, newest first."""
    return await _mine(user_id).order_by("-id")


async def revoke_widget_token(user_id: int, token_id: int, now: datetime) -> None:
    """Only the owner's own, still active widget tokens."""
    if not await _mine(user_id).filter(id=token_id).exists():
        raise NotFound("No such widget token of yours")
    await revoke_token(token_id, now)
