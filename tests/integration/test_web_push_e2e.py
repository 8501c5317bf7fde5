"""A browser as a device, end to end: Alice registers her browser's push subscription through
GraphQL, an event pages her, and the real server's worker (pywebpush over aiohttp) posts the
encrypted page to the fake push service over HTTPS. The test decrypts it as her browser would,
presses Accept with the page's action token, and a later 410 from the push service takes the
subscription out of service. SQLite with the embedded worker; PostgreSQL with Redis and a
separate worker process.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from pagerline.models import AlertStatus, Device, PushProvider
from tests.fakes import wait_until
from tests.fakes.webpush import BrowserSubscription, FakeWebPush, WebPushRequest
from tests.support.graphql import data, in_db
from tests.support.world import SmokeWorld, WorldFactory

REGISTER = """mutation($s: JSON!) { registerWebPushSubscription(subscription: $s) { id platform provider active } }"""


@pytest.fixture
def service() -> Iterator[FakeWebPush]:
    with FakeWebPush() as fake:
        yield fake


def web_world(open_world: WorldFactory, backend: str, service: FakeWebPush) -> SmokeWorld:
    # The fake's host is the only push service allowed; the server and worker trust its CA.
    return open_world(backend=backend, env={"PAGERLINE_WEBPUSH_ENDPOINT_ALLOW": "127.0.0.1", "SSL_CERT_FILE": service.ca_file})


def pushes_for(service: FakeWebPush, browser: BrowserSubscription, count: int) -> list[WebPushRequest]:
    return wait_until(lambda: (got := service.for_browser(browser)) and len(got) >= count and all(p.status for p in got) and got,  # type: ignore[return-value]
                      timeout=15, what=f"{count} push(es) at the fake push service")


def test_a_page_reaches_the_browser_and_its_accept_button_accepts(open_world: WorldFactory, backend: str, service: FakeWebPush) -> None:
    world = web_world(open_world, backend, service)
    alice = world.alice
    browser = service.subscribe()

    key = data(world.url, alice.token, "{ webPushPublicKey }")["webPushPublicKey"]
    registered = data(world.url, alice.token, REGISTER, s=browser.json())["registerWebPushSubscription"]
    assert registered | {"id": None} == {"id": None, "platform": "WEB", "provider": "WEB_PUSH", "active": True}

    alert = world.event("checkout", "Checkout is down")
    [push] = pushes_for(service, browser, 1)
    assert push.status == 201
    assert push.authorization["k"] == key  # signed with the key the browser subscribed with
    assert push.vapid_claims()["aud"] == service.url
    assert (push.headers["urgency"], push.headers["topic"]) == ("high", f"alert-{alert.id}")
    payload = browser.decrypt(push)
    assert payload["title"].endswith("Checkout is down")
    assert payload["url"] == f"{world.url}/#/alerts/{alert.id}"
    assert payload["data"]["alert_id"] == str(alert.id) and payload["data"]["kind"] == "PAGE"
    # Her phone got the page too: one PUSH rule, every active device.
    world.fcm.expect_push(to=alice)

    accepted = httpx.post(f"{world.url}/api/actions", json={"token": payload["data"]["action_token"], "action": "accept"}, timeout=10)
    assert accepted.json() == {"alertId": str(alert.id), "status": "ACCEPTED"}
    assert world.alert(alert).status is AlertStatus.ACCEPTED

    # The update replaces the page in the browser (same tag), at normal urgency, without buttons.
    update = browser.decrypt(pushes_for(service, browser, 2)[1])
    assert (update["tag"], update["actions"], update["data"]["kind"]) == (f"alert-{alert.id}", [], "UPDATE")


def test_a_gone_subscription_is_taken_out_of_service(open_world: WorldFactory, backend: str, service: FakeWebPush) -> None:
    world = web_world(open_world, backend, service)
    browser = service.subscribe()
    data(world.url, world.alice.token, REGISTER, s=browser.json())
    service.gone(browser)

    alert = world.event("db", "Primary database down")
    [push] = pushes_for(service, browser, 1)
    assert push.status == 410

    async def web_device() -> Device:
        return await Device.get(provider=PushProvider.WEB_PUSH)

    wait_until(lambda: not in_db(world.database_url, web_device).active, timeout=10, what="the subscription deactivated")
    gone = in_db(world.database_url, web_device)
    assert "HTTP 410" in (gone.deactivated_reason or "")
    assert "Device of Alice deactivated: Web Push HTTP 410" in world.alert(alert).timeline

    # The next page goes to her phone only; re-subscribing brings the browser back.
    assert world.fcm.expect_push(to=world.alice).data["alert_id"] == str(alert.id)
    second = world.event("cache", "Cache cluster down")
    assert world.fcm.expect_push(to=world.alice).data["alert_id"] == str(second.id)
    assert len(service.for_browser(browser)) == 1
    data(world.url, world.alice.token, REGISTER, s=browser.json())
    assert in_db(world.database_url, web_device).active
