"""Accounts in the engine: sessions last exactly their lifetime (time passed as `now`, never
slept), PAGERLINE_SESSION_DAYS outside 1..3650 is refused, one checked path creates accounts
(GraphQL and the CLI both use it) and a new password signs out the old sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from pagerline.engine.people.accounts import Viewer, authenticate, create_token, create_user, login, set_password
from pagerline.engine.core.errors import BadInput, Conflict
from pagerline.engine.people.users import WrongPassword, change_own_password
from pagerline.models import ApiToken, Role, Team, TokenKind, User
from pagerline.settings import Settings, describe_invalid

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def test_a_session_works_for_its_lifetime_and_not_a_moment_longer(db: str) -> None:
    await create_user("ada@example.com", "Ada", "ada-password")
    result = await login("ada@example.com", "ada-password", T0, timedelta(minutes=5))
    assert result is not None
    _, secret = result
    assert await authenticate(secret, T0) is not None
    assert await authenticate(secret, T0 + timedelta(minutes=5) - timedelta(microseconds=1)) is not None
    assert await authenticate(secret, T0 + timedelta(minutes=5)) is None
    assert await authenticate(secret, T0 + timedelta(days=400)) is None


async def test_a_zero_lifetime_token_has_expired_already(db: str) -> None:
    """The bug: a lifetime of 0 days was read as "no expiry", so the session never ended."""
    user = await create_user("ada@example.com", "Ada", "ada-password")
    _, secret = await create_token(user.id, TokenKind.SESSION, T0, "login", timedelta(0))
    assert await authenticate(secret, T0) is None
    _, never = await create_token(user.id, TokenKind.API, T0, "script")  # no lifetime: no expiry
    assert await authenticate(never, T0 + timedelta(days=3650)) is not None


@pytest.mark.parametrize("days", ["0", "-1", "3651"])
def test_session_days_outside_1_to_3650_are_refused_with_the_variable_named(days: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAGERLINE_SESSION_DAYS", days)
    with pytest.raises(ValidationError) as refused:
        Settings()
    message = describe_invalid(refused.value)
    assert f"PAGERLINE_SESSION_DAYS={days}" in message and "1 to 3650 days" in message, message


def test_session_days_set_the_login_lifetime(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAGERLINE_SESSION_DAYS", "1")
    assert Settings().session_lifetime == timedelta(days=1)
    monkeypatch.delenv("PAGERLINE_SESSION_DAYS")
    assert Settings().session_lifetime == timedelta(days=30)


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        ({"timezone": "Mars/Olympus"}, "Unknown time zone"),
        ({"email": "not-an-address"}, "valid email"),
        ({"password": "short"}, "8 to 1024 characters"),
        ({"name": "x" * 201}, "1 to 200 characters"),
        ({"name": "Nul\x00"}, "NUL"),
        ({"team_names": [" "]}, "team name"),
    ],
)
async def test_bad_accounts_are_refused_and_nothing_is_written(db: str, fields: dict[str, object], complaint: str) -> None:
    wanted: dict[str, object] = {"email": "ada@example.com", "name": "Ada", "password": "ada-password", "team_names": ["New team"]}
    with pytest.raises(BadInput, match=complaint):
        await create_user(**(wanted | fields))  # type: ignore[arg-type]
    assert await User.all().count() == 0 and await Team.all().count() == 0
    await create_user(**wanted)  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        await create_user(**(wanted | {"email": " ADA@example.com "}))  # type: ignore[arg-type]


async def _viewer(secret: str) -> Viewer:
    viewer = await authenticate(secret, T0)
    assert viewer is not None
    return viewer


async def test_a_new_password_ends_the_sessions_but_not_api_tokens(db: str) -> None:
    user = await create_user("ada@example.com", "Ada", None, Role.USER)  # tokens only, until a password is set
    assert await login("ada@example.com", "", T0, timedelta(days=1)) is None
    _, script = await create_token(user.id, TokenKind.API, T0, "script")
    await set_password(user.id, "first-password", T0)
    first = await login("ada@example.com", "first-password", T0, timedelta(days=1))
    other = await login("ada@example.com", "first-password", T0, timedelta(days=1))
    assert first is not None and other is not None

    # Changing it yourself needs the current one, keeps the session used, ends the others.
    me = await _viewer(first[1])
    with pytest.raises(WrongPassword):
        await change_own_password(me, "wrong-password", "second-password", T0)
    with pytest.raises(BadInput, match="8 to 1024"):
        await change_own_password(me, "first-password", "2short", T0)
    await change_own_password(me, "first-password", "second-password", T0)
    assert await authenticate(first[1], T0) is not None
    assert await authenticate(other[1], T0) is None
    assert await authenticate(script, T0) is not None
    assert await login("ada@example.com", "first-password", T0, timedelta(days=1)) is None
    assert await login("ada@example.com", "second-password", T0, timedelta(days=1)) is not None

    # An admin's reset ends every session.
    await set_password(user.id, "third-password", T0)
    assert await authenticate(first[1], T0) is None
    assert await ApiToken.filter(user_id=user.id, kind=TokenKind.SESSION, revoked_at__isnull=True).count() == 0
