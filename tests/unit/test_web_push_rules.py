"""Which push services a browser subscription may name, and the Web Push settings refused at
start-up (a typo must stop the server, not every page later)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from pagerline.engine.core.errors import BadInput
from pagerline.engine.people.web_push import check_subscription, host_allowed
from pagerline.push.vapid import b64url, generate_private_key
from pagerline.settings import DEFAULT_WEBPUSH_HOSTS, Settings, describe_invalid

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ALLOW = ("push.example.com", "*.notify.windows.com", "127.0.0.1:8443")


@pytest.mark.parametrize(
    ("host", "port", "allowed"),
    [
        ("push.example.com", None, True),
        ("push.example.com", 444, True),  # an entry without a port allows any
        ("PUSH.example.com".lower(), None, True),
        ("evil-push.example.com", None, False),
        ("push.example.com.evil.test", None, False),
        ("wns2-par02p.notify.windows.com", None, True),
        ("a.b.notify.windows.com", None, True),
        ("notify.windows.com", None, False),  # `*.` wants a subdomain
        ("xnotify.windows.com", None, False),
        ("127.0.0.1", 8443, True),
        ("127.0.0.1", 8444, False),
        ("127.0.0.1", None, False),  # https's 443
    ],
)
def test_hosts_against_the_allow_list(host: str, port: int | None, allowed: bool) -> None:
    assert host_allowed(host, port, ALLOW) is allowed


def test_the_default_list_is_the_browsers_services() -> None:
    assert Settings().webpush_hosts == DEFAULT_WEBPUSH_HOSTS
    assert Settings(webpush_endpoint_allow=" Push.Example.com , 127.0.0.1:8443 ").webpush_hosts == ("push.example.com", "127.0.0.1:8443")


@pytest.mark.parametrize("value", ["", " , ", "https://push.example.com", "*", "*.", "a.*.example.com", "user@push.example.com"])
def test_an_allow_list_that_is_not_hosts_stops_start_up(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(webpush_endpoint_allow=value)
    assert describe_invalid(caught.value).startswith("invalid settings: PAGERLINE_WEBPUSH_ENDPOINT_ALLOW=")


@pytest.mark.parametrize("value", ["not-a-key", b64url(b"\x00" * 32), b64url(b"\x01" * 33), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"])
def test_an_unreadable_vapid_key_stops_start_up_without_echoing_it(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(vapid_private_key=value)
    message = describe_invalid(caught.value)
    assert message.startswith("invalid settings: PAGERLINE_VAPID_PRIVATE_KEY=")
    assert Settings(vapid_private_key=generate_private_key()).vapid_private_key


def test_an_expiration_time_in_the_future_is_taken_and_one_past_is_not() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    sub = {"endpoint": "https://push.example.com/s/1", "keys": {"p256dh": b64url(point), "auth": b64url(b"a" * 16)}}
    later = NOW.timestamp() * 1000 + 1
    assert check_subscription({**sub, "expirationTime": later}, ALLOW, NOW).endpoint == sub["endpoint"]
    with pytest.raises(BadInput, match=r"^subscription\.expirationTime has passed"):
        check_subscription({**sub, "expirationTime": NOW.timestamp() * 1000}, ALLOW, NOW)
