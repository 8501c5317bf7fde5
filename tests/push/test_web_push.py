"""WebPushTransport through pywebpush and aiohttp against the fake push service over HTTPS:
the test decrypts what arrived with the browser's private key and checks the VAPID JWT."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pagerline.push import vapid
from pagerline.push.base import Destination, Outcome
from pagerline.push.web_push import WebPushTransport
from tests.fakes.webpush import BrowserSubscription, FakeWebPush
from tests.push import device, page, update

NOW = 1_900_000_000.0  # the transport's clock: the JWT's exp is computed from it
KEY = vapid.generate_private_key()


@pytest.fixture(scope="module")
def service() -> Iterator[FakeWebPush]:
    with FakeWebPush(clock=lambda: NOW) as fake:
        yield fake


@pytest.fixture(autouse=True)
def clean(service: FakeWebPush, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SSL_CERT_FILE", service.ca_file)  # read when the transport makes its TLS context
    with service.for_one_test():
        yield


def browser_device(browser: BrowserSubscription, **extra: Any) -> Destination:
    keys = browser.json()["keys"]
    return device(browser.endpoint, platform="WEB", provider="WEB_PUSH", critical=False, webpush_p256dh=keys["p256dh"], webpush_auth=keys["auth"], **extra)


def transport(clock: float = NOW) -> WebPushTransport:
    async def key() -> str:
        return KEY

    return WebPushTransport(key_source=key, subject="https://pagerline.example", clock=lambda: clock)


async def test_a_page_arrives_encrypted_signed_and_urgent(service: FakeWebPush) -> None:
    browser = service.subscribe()
    sender = transport()
    message = page(browser_device(browser), data={"url": "https://pagerline.example/#/alerts/42"})
    try:
        result = await sender.send(message)
    finally:
        await sender.close()
    assert result.outcome is Outcome.DELIVERED, result.reason
    [push] = service.for_browser(browser)
    assert result.provider_id == push.location
    assert push.headers["content-encoding"] == "aes128gcm"
    assert (push.headers["ttl"], push.headers["urgency"], push.headers["topic"]) == ("600", "high", "alert-42")

    payload = browser.decrypt(push)
    assert payload["title"] == "[HIGH] Database disk full"
    assert payload["body"] == "db-1: /var/lib/postgresql at 99%"
    assert payload["url"] == "https://pagerline.example/#/alerts/42"
    assert payload["tag"] == "alert-42" and payload["requireInteraction"] is True
    assert [a["action"] for a in payload["actions"]] == ["accept", "resolve"]
    assert payload["data"]["alert_id"] == "42" and payload["data"]["action_token"] == "act.tok.en"
    assert payload["data"]["kind"] == "PAGE" and "critical" not in payload["data"]

    # RFC 8292: k= is our application server key and the JWT verifies with it.
    assert push.authorization["k"] == vapid.application_server_key(vapid.load_private_key(KEY))
    claims = push.vapid_claims()
    assert claims["aud"] == service.url  # the endpoint's origin, not its path
    assert claims["sub"] == "https://pagerline.example"
    assert NOW < claims["exp"] <= NOW + 24 * 3600


async def test_an_update_is_normal_urgency_without_actions(service: FakeWebPush) -> None:
    browser = service.subscribe()
    sender = transport()
    try:
        result = await sender.send(update(browser_device(browser), priority="LOW"))
    finally:
        await sender.close()
    assert result.outcome is Outcome.DELIVERED
    [push] = service.for_browser(browser)
    assert push.headers["urgency"] == "normal"
    payload = browser.decrypt(push)
    assert payload["actions"] == [] and payload["requireInteraction"] is False
    assert "action_token" not in payload["data"]


@pytest.mark.parametrize("status", [404, 410])
async def test_a_gone_subscription_is_a_dead_destination(service: FakeWebPush, status: int) -> None:
    browser = service.subscribe()
    service.gone(browser, status=status)
    sender = transport()
    try:
        result = await sender.send(page(browser_device(browser)))
    finally:
        await sender.close()
    assert (result.outcome, result.destination_dead) == (Outcome.FAILED, True)
    assert f"HTTP {status}" in result.reason


async def test_too_many_requests_and_server_errors_are_retried(service: FakeWebPush) -> None:
    browser = service.subscribe()
    service.too_many(browser, retry_after=30)
    service.fail(browser, status=503)
    sender = transport()
    try:
        busy = await sender.send(page(browser_device(browser)))
        down = await sender.send(page(browser_device(browser)))
        fine = await sender.send(page(browser_device(browser)))
    finally:
        await sender.close()
    assert (busy.outcome, busy.destination_dead) == (Outcome.RETRY, False)
    assert "Retry-After 30 s" in busy.reason and busy.retry_after_seconds == 30.0
    assert down.retry_after_seconds is None
    assert (down.outcome, down.destination_dead) == (Outcome.RETRY, False)
    assert fine.outcome is Outcome.DELIVERED
    assert [p.status for p in service.for_browser(browser)] == [429, 503, 201]


async def test_a_rejected_signature_fails_without_killing_the_subscription(service: FakeWebPush) -> None:
    # An exp more than 24 hours ahead (a clock far behind the service's view): the service
    # refuses with 403, which says nothing about the subscription.
    browser = service.subscribe()
    sender = transport(clock=NOW * 2)
    try:
        result = await sender.send(page(browser_device(browser)))
    finally:
        await sender.close()
    assert (result.outcome, result.destination_dead) == (Outcome.FAILED, False)
    assert "HTTP 403" in result.reason


async def test_a_service_that_cannot_be_reached_is_retried(service: FakeWebPush) -> None:
    browser = service.subscribe()
    closed = Destination(
        address="https://127.0.0.1:9/push/x", device_id=7, provider="WEB_PUSH", platform="WEB",
        webpush_p256dh=browser.p256dh, webpush_auth=browser.json()["keys"]["auth"],
    )
    sender = transport()
    try:
        result = await sender.send(page(closed))
    finally:
        await sender.close()
    assert result.outcome is Outcome.RETRY


def test_keys_in_both_written_forms_give_the_same_public_key() -> None:
    from cryptography.hazmat.primitives import serialization

    key = vapid.load_private_key(KEY)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    assert vapid.application_server_key(vapid.load_private_key(pem)) == vapid.application_server_key(key)
    assert len(vapid.b64url_decode(vapid.application_server_key(key))) == 65
    for bad in ("", "not a key", vapid.b64url(b"\x00" * 32), vapid.b64url(b"\x01" * 31), "-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----"):
        with pytest.raises(ValueError):
            vapid.load_private_key(bad)


async def test_a_body_that_json_escaping_would_blow_past_4_kb_is_cut_to_fit(service: FakeWebPush) -> None:
    browser = service.subscribe()
    sender = transport()
    quoted = '"' * 1536 + "\x01" * 100  # within the byte cap, but each escapes to 2 or 6 bytes
    try:
        result = await sender.send(page(browser_device(browser), body=quoted, title="\x02" * 256))
    finally:
        await sender.close()
    assert result.outcome is Outcome.DELIVERED, result.reason  # not the push service's 413
    [push] = service.for_browser(browser)
    assert len(push.body) <= 4096
    body = browser.decrypt(push)["body"]
    assert body.endswith("…") and quoted.startswith(body[:-1])


async def test_damaged_stored_keys_fail_without_sending(service: FakeWebPush) -> None:
    browser = service.subscribe()
    sender = transport()
    damaged = device(browser.endpoint, platform="WEB", provider="WEB_PUSH", critical=False, webpush_p256dh="", webpush_auth="??")
    try:
        result = await sender.send(page(damaged))
    finally:
        await sender.close()
    assert (result.outcome, result.destination_dead) == (Outcome.FAILED, False)
    assert service.for_browser(browser) == []
