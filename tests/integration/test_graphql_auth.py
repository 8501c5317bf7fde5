"""Auth against a real server: logout, API tokens, device-bound tokens, expired sessions and the
failed-login throttle. A token that no longer works is refused over HTTP and in the WebSocket's
connection_init alike."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import websockets

from pagerline.engine.people.accounts import create_token
from pagerline.engine.people.devices import register_device
from pagerline.models import Device, Platform, PushProvider, TokenKind
from tests.support.databases import TemplateDatabases
from tests.support.graphql import World, data, error_code, fire_ok, gql, in_db, running_world, websocket_refusal, ws_url
from tests.support.ws import subscribe_live

ME = "{ me { name } }"


@pytest.fixture(scope="module")
def world(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world(templates, tmp_path_factory.mktemp("gql-auth")) as made:
        yield made


def assert_refused(world: World, token: str) -> None:
    assert error_code(gql(world.url, token, ME)) == "UNAUTHENTICATED"
    assert websocket_refusal(world.url, token) == 4403


def assert_works(world: World, token: str, name: str) -> None:
    assert data(world.url, token, ME)["me"]["name"] == name
    assert websocket_refusal(world.url, token) is None


def login(world: World, email: str, password: str) -> str:
    body = data(world.url, None, "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }", e=email, p=password)
    return str(body["login"]["token"])


def test_logout_revokes_the_session_used(world: World) -> None:
    first = login(world, "alice@ops.test", "alice-password")
    second = login(world, "alice@ops.test", "alice-password")
    assert_works(world, first, "Alice")
    assert data(world.url, first, "mutation { logout }")["logout"] is True
    assert_refused(world, first)
    assert_works(world, second, "Alice")  # only the session used was ended
    assert error_code(gql(world.url, first, "mutation { logout }")) == "UNAUTHENTICATED"


def test_expired_session_is_refused(world: World) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=40)
    _, expired = in_db(world.database_url, lambda: create_token(world.ops.alice_id, TokenKind.SESSION, long_ago, "login", timedelta(days=30)))
    _, fresh = in_db(world.database_url, lambda: create_token(world.ops.alice_id, TokenKind.SESSION, long_ago, "login", timedelta(days=60)))
    assert_refused(world, expired)
    assert_works(world, fresh, "Alice")


def test_a_login_session_lasts_pagerline_session_days(world: World) -> None:
    session = login(world, "bob@ops.test", "bob-password")
    mine = data(world.url, session, "{ myTokens { kind createdAt expiresAt } }")["myTokens"]
    [made] = [t for t in mine if t["kind"] == "SESSION"]
    lasts = datetime.fromisoformat(made["expiresAt"]) - datetime.fromisoformat(made["createdAt"])
    assert abs(lasts - timedelta(days=30)) < timedelta(seconds=5)  # the default; the server runs without the variable


SET_PASSWORD = "mutation($u: ID!, $p: String!) { setUserPassword(userId: $u, password: $p) }"
CHANGE_PASSWORD = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }"


def test_admins_reset_passwords_and_people_change_their_own(world: World) -> None:
    first = login(world, "alice@web.test", "alice-password")
    second = login(world, "alice@web.test", "alice-password")
    alice = str(world.web.alice_id)
    try:
        # Only admins reset; someone else's id is unknown to a non-admin, and bad input changes nothing.
        assert error_code(gql(world.url, world.web.bob_token, SET_PASSWORD, u=alice, p="bobs-choice-1")) == "FORBIDDEN"
        assert error_code(gql(world.url, world.admin_token, SET_PASSWORD, u="999999", p="whatever-pw")) == "NOT_FOUND"
        assert error_code(gql(world.url, world.admin_token, SET_PASSWORD, u=alice, p="short")) == "BAD_USER_INPUT"
        assert_works(world, first, "Alice")

        # Changing your own: the current password is required; the session used stays.
        wrong = gql(world.url, first, CHANGE_PASSWORD, c="not-her-password", n="alice-second-pw")
        assert error_code(wrong) == "BAD_USER_INPUT" and "current password" in wrong["errors"][0]["message"]
        assert data(world.url, first, CHANGE_PASSWORD, c="alice-password", n="alice-second-pw")["changePassword"] is True
        assert_works(world, first, "Alice")
        assert_refused(world, second)
        assert login(world, "alice@web.test", "alice-second-pw")

        # An admin's reset ends every session of hers; API tokens go on working.
        assert data(world.url, world.admin_token, SET_PASSWORD, u=alice, p="alice-third-pw")["setUserPassword"] is True
        assert_refused(world, first)
        assert_works(world, world.web.alice_token, "Alice")
        assert login(world, "alice@web.test", "alice-third-pw")
    finally:  # the module's other tests sign in with her first password
        data(world.url, world.admin_token, SET_PASSWORD, u=alice, p="alice-password")


def test_api_tokens_are_shown_once_listed_without_secret_and_revocable(world: World) -> None:
    created = data(world.url, world.web.alice_token, 'mutation { createApiToken(name: "deploy script") { secret token { id kind name } } }')
    secret, token = created["createApiToken"]["secret"], created["createApiToken"]["token"]
    assert secret.startswith("pla_") and token["kind"] == "API" and token["name"] == "deploy script"
    assert_works(world, secret, "Alice")

    listing = gql(world.url, secret, "{ myTokens { id kind name createdAt expiresAt } }")
    assert token["id"] in {t["id"] for t in listing["data"]["myTokens"]}
    assert secret not in str(listing)
    assert "Cannot query field 'secret'" in gql(world.url, secret, "{ myTokens { secret } }")["errors"][0]["message"]

    # Someone else cannot revoke it (and learns nothing about it); its owner can.
    other = gql(world.url, world.ops.alice_token, "mutation($id: ID!) { revokeApiToken(id: $id) }", id=token["id"])
    assert error_code(other) == "NOT_FOUND"
    assert_works(world, secret, "Alice")
    assert data(world.url, world.web.alice_token, "mutation($id: ID!) { revokeApiToken(id: $id) }", id=token["id"])["revokeApiToken"]
    assert_refused(world, secret)
    listed = data(world.url, world.web.alice_token, "{ myTokens { id } }")["myTokens"]
    assert token["id"] not in {t["id"] for t in listed}
    assert error_code(gql(world.url, world.web.alice_token, 'mutation { createApiToken(name: "  ") { secret } }')) == "BAD_USER_INPUT"


def _register(world: World, token: str, push_token: str) -> str:
    body = data(world.url, token, 'mutation($t: String!) { registerDevice(platform: ANDROID, provider: FCM, token: $t, appId: "app") { id } }', t=push_token)
    return str(body["registerDevice"]["id"])


def _device_token(world: World, token: str, device_id: str) -> str:
    body = data(world.url, token, "mutation($d: ID!) { createDeviceToken(deviceId: $d) { secret token { kind deviceId } } }", d=device_id)
    assert body["createDeviceToken"]["token"] == {"kind": "DEVICE", "deviceId": device_id}
    return str(body["createDeviceToken"]["secret"])


def test_device_token_lives_as_long_as_its_device(world: World) -> None:
    session = login(world, "bob@web.test", "bob-password")
    device_id = _register(world, session, "fcm-bob-phone")
    first = _device_token(world, session, device_id)
    assert first.startswith("pld_")
    assert_works(world, first, "Bob")

    # A new token for the same device (app reinstalled) ends the earlier one.
    second = _device_token(world, first, device_id)
    assert_refused(world, first)
    assert_works(world, second, "Bob")

    # Not for a device of someone else.
    body = gql(world.url, world.ops.alice_token, "mutation($d: ID!) { createDeviceToken(deviceId: $d) { secret } }", d=device_id)
    assert error_code(body) == "NOT_FOUND"

    # The provider reported the push token dead: the device is inactive, and so is its token.
    in_db(world.database_url, lambda: Device.filter(id=int(device_id)).update(active=False, deactivated_reason="UNREGISTERED"))
    assert_refused(world, second)
    assert error_code(gql(world.url, session, "mutation($d: ID!) { createDeviceToken(deviceId: $d) { secret } }", d=device_id)) == "NOT_FOUND"

    # Registering again reactivates the device; unregistering it ends its token.
    assert _register(world, session, "fcm-bob-phone") == device_id
    third = _device_token(world, session, device_id)
    assert_works(world, third, "Bob")
    assert data(world.url, third, 'mutation { unregisterDevice(token: "fcm-bob-phone") }')["unregisterDevice"] is True
    assert_refused(world, third)


def test_device_token_ends_when_the_phone_passes_to_someone_else(world: World) -> None:
    device_id = _register(world, world.ops.bob_token, "fcm-shared-phone")
    bobs = _device_token(world, world.ops.bob_token, device_id)
    assert_works(world, bobs, "Bob")
    # Alice signs in on the same phone: the push token (and the device row) moves to her.
    in_db(world.database_url, lambda: register_device(world.ops.alice_id, Platform.ANDROID, PushProvider.FCM, "fcm-shared-phone", datetime.now(UTC)))
    assert_refused(world, bobs)


def test_failed_logins_are_throttled_per_account(world: World) -> None:
    query = 'mutation($p: String!) { login(email: "watcher@ops.test", password: $p) { token } }'
    codes = [error_code(gql(world.url, None, query, p=f"wrong-{i}")) for i in range(10)]
    assert codes == ["UNAUTHENTICATED"] * 10
    throttled = gql(world.url, None, query, p="watcher-password")  # even the right password waits now
    assert error_code(throttled) == "BAD_USER_INPUT"
    assert "Too many failed sign-in attempts" in throttled["errors"][0]["message"]
    assert login(world, "alice@web.test", "alice-password")  # other accounts are not held up


def _api_token(world: World, session: str) -> tuple[str, str]:
    made = data(world.url, session, 'mutation { createApiToken(name: "phone script") { secret token { id } } }')["createApiToken"]
    return str(made["secret"]), str(made["token"]["id"])


@pytest.mark.parametrize("how", ["logout", "revokeApiToken"])
def test_an_open_subscription_is_closed_with_4403_when_its_token_ends(world: World, how: str) -> None:
    """Checked at connection_init only, a signed-out phone would go on receiving alerts; left
    open but silent, a client would not know it has to sign in again."""
    session = login(world, "alice@ops.test", "alice-password")
    token, token_id = _api_token(world, session) if how == "revokeApiToken" else (session, "")
    end_it = (
        (lambda: data(world.url, token, "mutation { logout }"))
        if how == "logout"
        else (lambda: data(world.url, session, "mutation($id: ID!) { revokeApiToken(id: $id) }", id=token_id))
    )

    async def main() -> tuple[int | None, str, list[dict[str, Any]]]:
        async with websockets.connect(ws_url(world.url), subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await subscribe_live(ws, token, "subscription { alertEvents { kind } }", lambda attempt: fire_ok(world.url, world.ops.api_key, f"{how}-warm-{attempt}"))
            await asyncio.to_thread(end_it)
            after: list[dict[str, Any]] = []
            try:
                while True:  # events sent before the revocation took effect may still arrive
                    after.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=10)))
            except websockets.ConnectionClosed as closed:
                assert closed.rcvd is not None, "the server did not close the connection"
                return closed.rcvd.code, closed.rcvd.reason, after

    code, reason, after = asyncio.run(main())
    assert code == 4403, (code, reason)
    assert "sign" in reason
    assert all(m["type"] == "next" for m in after), after
    assert_refused(world, token)


def test_an_open_subscription_is_closed_with_4403_once_its_session_has_expired(world: World) -> None:
    """No event announces that a session ran out: the subscription checks the expiry itself, so
    the first change after it is not delivered and the client is told to sign in again."""
    lifetime = timedelta(seconds=8)  # long enough to subscribe on a busy machine; the server reads its own clock
    _, token = in_db(world.database_url, lambda: create_token(world.ops.alice_id, TokenKind.SESSION, datetime.now(UTC), "login", lifetime))
    expires_at = datetime.now(UTC) + lifetime

    async def main() -> tuple[int | None, list[dict[str, Any]]]:
        async with websockets.connect(ws_url(world.url), subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await subscribe_live(ws, token, "subscription { alertEvents { alert { alertKey } } }", lambda attempt: fire_ok(world.url, world.ops.api_key, f"expiry-warm-{attempt}"))
            while datetime.now(UTC) <= expires_at:  # the server's clock is the wall clock: wait for it to pass
                await asyncio.sleep(0.2)
            await asyncio.to_thread(fire_ok, world.url, world.ops.api_key, "after-expiry")
            after: list[dict[str, Any]] = []
            try:
                while True:
                    after.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=10)))
            except websockets.ConnectionClosed as closed:
                assert closed.rcvd is not None, "the server did not close the connection"
                return closed.rcvd.code, after

    code, after = asyncio.run(main())
    assert code == 4403
    assert not any("after-expiry" in json.dumps(m) for m in after), after



def test_an_open_subscription_follows_a_team_change_at_once(world: World) -> None:
    """Teams decide what a subscriber sees, and they are read once at sign-in: someone taken off
    a team must stop receiving its alerts on the connection already open, not at the next one."""
    alice, ops_team, web_team = str(world.ops.alice_id), str(world.ops.team_id), str(world.web.team_id)
    add = "mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u) { id } }"
    remove = "mutation($t: ID!, $u: ID!) { removeTeamMember(teamId: $t, userId: $u) { id } }"
    data(world.url, world.admin_token, add, t=web_team, u=alice)
    try:

        async def main() -> list[str]:
            async with websockets.connect(ws_url(world.url), subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
                await subscribe_live(ws, world.ops.alice_token, "subscription { alertEvents { alert { alertKey } } }", lambda attempt: fire_ok(world.url, world.ops.api_key, f"team-warm-{attempt}"))
                await asyncio.to_thread(data, world.url, world.admin_token, remove, t=ops_team, u=alice)
                # Her Web alerts still arrive: the first one marks that Ops' alert had its chance.
                await asyncio.to_thread(fire_ok, world.url, world.ops.api_key, "ops-after-removal")
                await asyncio.to_thread(fire_ok, world.url, world.web.api_key, "web-after-removal")
                keys: list[str] = []
                while "web-after-removal" not in keys:
                    message = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
                    keys.append(message["payload"]["data"]["alertEvents"]["alert"]["alertKey"])
                return keys

        keys = asyncio.run(main())
        assert "ops-after-removal" not in keys, keys
    finally:  # the module's other tests expect Alice in Ops only
        data(world.url, world.admin_token, add, t=ops_team, u=alice)
        data(world.url, world.admin_token, remove, t=web_team, u=alice)


CHANGE_EMAIL = "mutation($e: String!, $c: String!) { changeEmail(email: $e, currentPassword: $c) { id email } }"


def test_people_change_their_own_email_with_their_password(world: World) -> None:
    bob = world.web.bob_token
    session = login(world, "bob@web.test", "bob-password")

    def email() -> str:
        return str(data(world.url, bob, "{ me { email } }")["me"]["email"])

    try:
        # Each refusal is a 4xx-style code with a message saying why, and changes nothing.
        refusals = [
            (("not-an-address", "bob-password"), "BAD_USER_INPUT", "valid email"),
            (("bob new@web.test", "bob-password"), "BAD_USER_INPUT", "valid email"),
            (("bob.new@web.test", "not-his-password"), "BAD_USER_INPUT", "current password"),
            (("Alice@Web.test", "bob-password"), "CONFLICT", "exists already"),  # compared as stored: lower-case
        ]
        for (address, password), code, says in refusals:
            refused = gql(world.url, bob, CHANGE_EMAIL, e=address, c=password)
            assert (error_code(refused), says in refused["errors"][0]["message"]) == (code, True), refused
            assert email() == "bob@web.test"

        changed = data(world.url, bob, CHANGE_EMAIL, e="  Bob.New@Web.TEST ", c="bob-password")["changeEmail"]
        assert changed == {"id": str(world.web.bob_id), "email": "bob.new@web.test"}
        assert email() == "bob.new@web.test"
        assert_works(world, session, "Bob")  # his sessions go on
        assert login(world, "bob.new@web.test", "bob-password")
        refused_old = gql(world.url, None, "mutation { login(email: \"bob@web.test\", password: \"bob-password\") { token } }")
        assert error_code(refused_old) is not None
    finally:  # the module's other tests sign in with his first address
        data(world.url, world.admin_token, "mutation($u: ID!) { updateUser(id: $u, email: \"bob@web.test\") { id } }", u=str(world.web.bob_id))
