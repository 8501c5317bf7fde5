"""Lock-screen (and email) actions: a signed, single-use token bound to (alert, user, device).

The token is ``<payload>.<signature>``: the payload names a nonce, the alert, the user, the device
and the expiry; the HMAC-SHA256 signature uses the server's secret key, so a forged or altered
token is refused before the database is touched. The nonce's row makes the token single-use:
redeeming it is one conditional UPDATE, so two taps (or a replay) cannot both act.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pagerline.engine.alerts import transitions as alert_engine
from pagerline.engine.core import sql
from pagerline.engine.core.errors import EngineError
from pagerline.models import ActionToken, Alert, Role, User

DEFAULT_TTL = timedelta(hours=24)
ACTIONS = ("accept", "resolve")


class InvalidActionToken(EngineError):
    code = "INVALID_ACTION_TOKEN"


class ExpiredActionToken(EngineError):
    code = "ACTION_TOKEN_EXPIRED"


class UsedActionToken(EngineError):
    code = "ACTION_TOKEN_USED"


@dataclass(frozen=True, slots=True)
class ActionClaims:
    nonce: str
    alert_id: int
    user_id: int
    device_id: int | None
    expires_at: datetime
    # The channel the token went out on, named as the timeline says it ("via Pushover");
    # empty in tokens from before channels named themselves.
    via: str = ""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, b"pagerline-action:" + payload.encode(), hashlib.sha256).digest())


async def issue(
    key: bytes, alert_id: int, user_id: int, device_id: int | None, now: datetime, ttl: timedelta = DEFAULT_TTL, via: str = ""
) -> str:
    nonce = secrets.token_hex(16)
    expires_at = now + ttl
    # One plain INSERT: every push of a page issues one, on the delivery's hot path.
    await sql.execute(
        "INSERT INTO action_tokens (nonce, alert_id, user_id, device_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        nonce,
        alert_id,
        user_id,
        device_id,
        sql.db_time(ActionToken, "expires_at", expires_at),
        sql.db_time(ActionToken, "created_at", now),
    )
    claims: dict[str, object] = {"n": nonce, "a": alert_id, "u": user_id, "d": device_id, "e": int(expires_at.timestamp())}
    if via:
        claims["v"] = via
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{payload}.{_sign(key, payload)}"


def verify(key: bytes, token: str) -> ActionClaims:
    """Checks the signature (constant time) and decodes; does not check expiry or use."""
    payload, _, signature = token.partition(".")
    if not payload or not signature or not hmac.compare_digest(_sign(key, payload), signature):
        raise InvalidActionToken("The action token is not valid")
    try:
        data = json.loads(_unb64(payload))
        return ActionClaims(
            nonce=str(data["n"]),
            alert_id=int(data["a"]),
            user_id=int(data["u"]),
            device_id=int(data["d"]) if data["d"] is not None else None,
            expires_at=datetime.fromtimestamp(int(data["e"]), UTC),
            via=str(data.get("v", "")),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidActionToken("The action token is not valid") from exc


async def redeem(key: bytes, token: str, action: str, now: datetime) -> Alert:
    """Accept or resolve through the same engine path as every other adapter."""
    if action not in ACTIONS:
        raise EngineError(f"action must be one of {', '.join(ACTIONS)}")
    claims = verify(key, token)
    if claims.expires_at <= now:
        raise ExpiredActionToken("The action token has expired")
    await _spend(claims.nonce, now)
    via = claims.via or ("lock screen" if claims.device_id is not None else "email link")
    return await _act(claims.alert_id, claims.user_id, action, now, via)


async def redeem_nonce(nonce: str, action: str, now: datetime, *, via: str, user_ids: Collection[int]) -> Alert:
    """Redeem a token by its nonce alone, for buttons too small for the signed token (Telegram's
    64-byte ``callback_data``). The caller has authenticated who pressed (their linked chat) as
    one of ``user_ids``: a nonce issued to anybody else is refused as invalid before it is spent,
    so a press from a foreign chat changes nothing. Single-use like :func:`redeem`."""
    if action not in ACTIONS:
        raise EngineError(f"action must be one of {', '.join(ACTIONS)}")
    token = await _spend(nonce, now, user_id__in=list(user_ids))
    return await _act(token.alert_id, token.user_id, action, now, via)  # type: ignore[attr-defined]


def nonce_of(token: str) -> str:
    """The nonce of a token, read without checking its signature (the transport that puts it on
    a button needs no key), or "" when the token cannot be read."""
    try:
        return str(json.loads(_unb64(token.partition(".")[0]))["n"])
    except (ValueError, KeyError, TypeError):
        return ""


async def _spend(nonce: str, now: datetime, **only: Any) -> ActionToken:
    """One conditional UPDATE: of two taps (or a replay) only one spends the token."""
    used = await ActionToken.filter(nonce=nonce, used_at__isnull=True, expires_at__gt=now, **only).update(used_at=now)
    row = await ActionToken.get_or_none(nonce=nonce, **only)
    if row is None:
        raise InvalidActionToken("The action token is not valid")
    if used != 1:
        if row.used_at is None:
            raise ExpiredActionToken("The action token has expired")
        raise UsedActionToken("The action token was used already")
    return row


async def _act(alert_id: int, user_id: int, action: str, now: datetime, via: str) -> Alert:
    user = await User.get_or_none(id=user_id)
    if user is None or not user.active or user.role is Role.STAKEHOLDER:  # a deactivated user's links stop too
        raise InvalidActionToken("The action token is not valid")
    if action == "accept":
        return await alert_engine.accept_alert(alert_id, user_id, now, via=via)
    return await alert_engine.resolve_alert(alert_id, user_id, now, via=via)
