"""Registering browsers through GraphQL against the running server, on SQLite and PostgreSQL:
``webPushPublicKey`` is one key for every process; ``registerWebPushSubscription`` stores a
good subscription once (re-registering updates it) and refuses bad ones with a clear
BAD_USER_INPUT naming the field, storing nothing. The bad ones are generated: a valid
subscription with one part broken, and JSON of any shape.
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pagerline.db import close_db, init_db
from pagerline.engine.people.web_push import vapid_private_key
from pagerline.models import Device, PushProvider, ServerKey
from pagerline.push.vapid import application_server_key, load_private_key
from tests.support.databases import TemplateDatabases
from tests.support.graphql import BACKENDS, World, data, gql, in_db, world_on
from tests.support.processes import start_server

REGISTER = "mutation($s: JSON!) { registerWebPushSubscription(subscription: $s) { id platform provider active } }"
PUSH_HOST = "https://fcm.googleapis.com/fcm/send/"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def browser_keys() -> dict[str, str]:
    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return {"p256dh": b64(point), "auth": b64(os.urandom(16))}


def subscription(endpoint: str | None = None) -> dict[str, Any]:
    return {"endpoint": endpoint or PUSH_HOST + b64(os.urandom(24)), "expirationTime": None, "keys": browser_keys()}


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world_on(request.param, templates, tmp_path_factory.mktemp("web-push")) as made:
        yield made


def web_devices(world: World) -> list[tuple[str, str | None, str | None, int]]:
    async def read() -> list[tuple[str, str | None, str | None, int]]:
        rows = await Device.filter(provider=PushProvider.WEB_PUSH).order_by("id")
        return [(d.token, d.webpush_p256dh, d.webpush_auth, d.user_id) for d in rows]  # type: ignore[attr-defined]

    return in_db(world.database_url, read)


def test_the_public_key_is_a_p256_point_shared_by_every_process(world: World, tmp_path: Path) -> None:
    key = data(world.url, world.ops.alice_token, "{ webPushPublicKey }")["webPushPublicKey"]
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    assert len(raw) == 65 and raw[0] == 4 and "=" not in key

    async def stored() -> str:
        return (await ServerKey.get(name="vapid_private_key")).value

    assert application_server_key(load_private_key(in_db(world.database_url, stored))) == key
    # A second server on the same database signs with the same key.
    other = start_server({"PAGERLINE_DATABASE_URL": world.database_url, "PAGERLINE_EMBEDDED_WORKER": "0"}, tmp_path)
    try:
        assert data(other.url, world.ops.alice_token, "{ webPushPublicKey }")["webPushPublicKey"] == key
    finally:
        other.stop()
    assert gql(world.url, None, "{ webPushPublicKey }")["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_processes_racing_to_generate_the_key_end_up_with_one(database_url: str) -> None:
    async def race() -> set[str]:
        # Each "process" is a separate connection of the pool (PostgreSQL) all inserting at once.
        await init_db(database_url)
        try:
            keys = await asyncio.gather(*(vapid_private_key(None) for _ in range(8)))
            return set(keys) | {(await ServerKey.get(name="vapid_private_key")).value}
        finally:
            await close_db()

    assert len(asyncio.run(race())) == 1


def test_a_configured_key_wins(world: World, tmp_path: Path) -> None:
    configured = ec.generate_private_key(ec.SECP256R1())
    pem = configured.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    other = start_server({"PAGERLINE_DATABASE_URL": world.database_url, "PAGERLINE_EMBEDDED_WORKER": "0", "PAGERLINE_VAPID_PRIVATE_KEY": pem}, tmp_path)
    try:
        key = data(other.url, world.ops.alice_token, "{ webPushPublicKey }")["webPushPublicKey"]
    finally:
        other.stop()
    assert key == application_server_key(configured)


def test_registering_stores_a_web_device_and_re_registering_updates_it(world: World) -> None:
    sub = subscription()
    first = data(world.url, world.ops.alice_token, REGISTER, s=sub)["registerWebPushSubscription"]
    assert (first["platform"], first["provider"], first["active"]) == ("WEB", "WEB_PUSH", True)
    renewed = {**sub, "keys": browser_keys(), "expirationTime": 4_102_444_800_000}  # year 2100
    again = data(world.url, world.ops.alice_token, REGISTER, s=renewed)["registerWebPushSubscription"]
    assert again["id"] == first["id"]
    mine = [row for row in web_devices(world) if row[0] == sub["endpoint"]]
    assert mine == [(sub["endpoint"], renewed["keys"]["p256dh"], renewed["keys"]["auth"], world.ops.alice_id)]
    # The keys are never shown back: the Device type has no field for them or the endpoint.
    listed = data(world.url, world.ops.alice_token, "{ myDevices { id platform provider } }")["myDevices"]
    assert {"id": first["id"], "platform": "WEB", "provider": "WEB_PUSH"} in listed
    # registerDevice cannot make a browser device without those checks.
    refused = gql(world.url, world.ops.alice_token, 'mutation { registerDevice(platform: WEB, provider: WEB_PUSH, token: "https://evil.test/x") { id } }')
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("endpoint", "says"),
    [
        ("http://fcm.googleapis.com/fcm/send/abc", "https://"),
        ("https://evil.example/fcm/send/abc", "'evil.example' is not allowed"),
        ("https://fcm.googleapis.com.evil.example/x", "is not allowed"),
        ("https://notify.windows.com/w/?token=x", "is not allowed"),  # the wildcard wants a subdomain
        ("https://user:pw@fcm.googleapis.com/fcm/send/abc", "user name or password"),
        ("https://fcm.googleapis.com/fcm/send/a b", "spaces"),
        ("https://fcm.googleapis.com:99999/x", "not a valid URL"),
        ("https:///nohost", "no host"),
        ("https://fcm.googleapis.com/x#frag", "fragment"),
        (PUSH_HOST + "a" * 600, "longer than 512"),
        ("fcm.googleapis.com/fcm/send/abc", "https://"),
    ],
)
def test_endpoints_the_server_must_not_post_to_are_refused(world: World, endpoint: str, says: str) -> None:
    before = web_devices(world)
    answer = gql(world.url, world.ops.alice_token, REGISTER, s=subscription(endpoint))
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"].startswith("subscription.endpoint") and says in error["message"]
    assert web_devices(world) == before


def test_the_allowed_services_include_every_major_browser(world: World) -> None:
    for endpoint in (
        "https://fcm.googleapis.com/fcm/send/dGVzdA:APA91b",  # Chrome
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAAA",  # Firefox
        "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAB",  # Edge
        "https://web.push.apple.com/QGuQyavXutnMH",  # Safari
    ):
        data(world.url, world.ops.bob_token, REGISTER, s=subscription(endpoint))
    assert sum(1 for row in web_devices(world) if row[3] == world.ops.bob_id) == 4


# --------------------------------------------------------------------------- generated bad input

_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)),
    max_leaves=8,
)
_bad_b64 = st.one_of(
    st.text(max_size=100),
    st.binary(max_size=80).map(b64).filter(lambda t: len(base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))) not in (16, 65)),
    st.just(b64(b"\x04" + b"\x01" * 64)),  # 65 bytes, but not a point on the curve
    st.binary(min_size=16, max_size=16).map(lambda raw: base64.standard_b64encode(raw).decode().replace("A", "+") + "/"),
)


@st.composite
def broken_subscriptions(draw: st.DrawFn) -> tuple[Any, str]:
    """A valid subscription with one part broken, and the field the error must name."""
    good = subscription()
    part = draw(st.sampled_from(["whole", "endpoint", "keys", "p256dh", "auth", "expirationTime"]))
    if part == "whole":
        # (null never reaches the resolver: GraphQL refuses it for JSON!, naming the variable)
        return draw(st.one_of(_json.filter(lambda v: v is not None and not isinstance(v, dict)), st.just([good]))), "subscription"
    if part == "endpoint":
        value = draw(st.one_of(_json.filter(lambda v: not isinstance(v, str)), st.text(max_size=80), st.from_regex(r"https?://[a-z.]{1,20}/[ -~]{0,20}", fullmatch=True)))
        return {**good, "endpoint": value}, "subscription.endpoint"
    if part == "keys":
        return {**good, "keys": draw(_json.filter(lambda v: not isinstance(v, dict)))}, "subscription.keys"
    if part == "expirationTime":
        value = draw(st.one_of(st.text(max_size=10), st.booleans(), st.integers(-10**15, 10**12), st.lists(st.none(), max_size=1)))
        return {**good, "expirationTime": value}, "subscription.expirationTime"
    value = draw(st.one_of(_bad_b64, _json.filter(lambda v: not isinstance(v, str))))
    return {**good, "keys": {**good["keys"], part: value}}, f"subscription.keys.{part}"


@settings(max_examples=60, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(case=broken_subscriptions())
def test_broken_subscriptions_are_refused_naming_the_field(world: World, case: tuple[Any, str]) -> None:
    bad, field = case
    before = web_devices(world)
    with httpx.Client(timeout=30) as client:
        response = client.post(f"{world.url}/graphql", json={"query": REGISTER, "variables": {"s": bad}},
                               headers={"Authorization": f"Bearer {world.ops.alice_token}"})
    # A NUL character anywhere is refused before GraphQL runs (400), naming the variable's path.
    assert response.status_code in (200, 400), response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    named = field if response.status_code == 200 else field.replace("subscription", "request.variables.s", 1)
    assert error["message"].startswith(named), (error["message"], bad)
    assert web_devices(world) == before
