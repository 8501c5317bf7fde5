"""Acknowledgements coming back from ntfy and Pushover through a real server.

A page is sent by the real transport to the fake provider, with the action token the engine
issues for it; then the fake plays the phone (ntfy: the Accept button's HTTP request) or
Pushover (the acknowledgement callback, form-encoded). The alert is accepted exactly once, as
the responder, "via ntfy" / "via Pushover"; a replay or a second call at the same moment does
nothing more; a callback whose token does not verify gets 403 and changes nothing.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest

from pagerline.engine.delivery import action_tokens
from pagerline.models import Alert, AlertStatus, Channel
from pagerline.push.base import Destination, DeliveryResult, OutgoingMessage, Outcome
from pagerline.push.ntfy import NtfyTransport
from pagerline.push.pushover import PushoverTransport
from tests.fakes.ntfy import FakeNtfy
from tests.fakes.pushover import FakePushover
from tests.support.databases import TemplateDatabases
from tests.support.graphql import BACKENDS, World, fire_ok, in_db, world_on
from tests.support.seed import timeline_texts

SECRET = b"test-secret"  # the servers' PAGERLINE_SECRET_KEY (tests/support/processes.py)
APP = "a" * 30
_keys = itertools.count()


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world_on(request.param, templates, tmp_path_factory.mktemp("push-apps")) as made:
        yield made


@pytest.fixture(scope="module")
def pushover() -> Iterator[FakePushover]:
    with FakePushover(app_token=APP) as fake:
        yield fake


@pytest.fixture(scope="module")
def ntfy() -> Iterator[FakeNtfy]:
    with FakeNtfy() as fake:
        yield fake


def new_alert(world: World) -> int:
    return fire_ok(world.url, world.ops.api_key, f"callback-{next(_keys)}", "Checkout is down")


def token_for(world: World, alert_id: int, via: str, key: bytes = SECRET) -> str:
    return in_db(world.database_url, lambda: action_tokens.issue(key, alert_id, world.ops.alice_id, None, datetime.now(UTC), via=via))


def page_for(channel: Channel, alert_id: int, address: str, token: str, world: World) -> OutgoingMessage:
    """A HIGH page of the alert as the engine renders it for an app channel."""
    return OutgoingMessage(
        notification_id=1, channel=channel, kind="PAGE", title="[HIGH] Checkout is down", body="Checkout is down",
        user_id=world.ops.alice_id, destination=Destination(address=address), alert_id=alert_id, priority="HIGH",
        alert_status="PENDING", action_token=token,
        data={"alert_url": f"{world.url}/#/alerts/{alert_id}", "actions_url": f"{world.url}/api/actions"},
    )


def send(transport: PushoverTransport | NtfyTransport, message: OutgoingMessage) -> DeliveryResult:
    async def once() -> DeliveryResult:
        try:
            return await transport.send(message)
        finally:
            await transport.close()

    result = asyncio.run(once())
    assert result.outcome is Outcome.DELIVERED, result.reason
    return result


def emergency_page(world: World, pushover: FakePushover, alert_id: int, token: str) -> str:
    """Sends the page to Alice's Pushover; returns its receipt."""
    transport = PushoverTransport(app_token=APP, public_url=world.url, base_url=pushover.url)
    return send(transport, page_for(Channel.PUSHOVER, alert_id, pushover.user(), token, world)).provider_id


def status_of(world: World, alert_id: int) -> AlertStatus:
    return in_db(world.database_url, lambda: Alert.get(id=alert_id)).status


def accepted_lines(world: World, alert_id: int) -> list[str]:
    return in_db(world.database_url, lambda: timeline_texts(alert_id, "ACCEPTED"))


def test_pushover_acknowledgement_accepts_once_as_the_responder(world: World, pushover: FakePushover) -> None:
    alert_id = new_alert(world)
    receipt = emergency_page(world, pushover, alert_id, token_for(world, alert_id, "Pushover"))

    answer = pushover.acknowledge(receipt)
    assert (answer.status_code, answer.json()) == (200, {"alertId": str(alert_id), "status": "ACCEPTED"})
    assert status_of(world, alert_id) is AlertStatus.ACCEPTED
    assert accepted_lines(world, alert_id) == ["Accepted by Alice via Pushover"]

    replay = pushover.acknowledge(receipt)  # Pushover calling again, or someone replaying it
    assert (replay.status_code, replay.json()["code"]) == (409, "ACTION_TOKEN_USED")
    assert accepted_lines(world, alert_id) == ["Accepted by Alice via Pushover"]


def test_two_acknowledgements_at_once_accept_once(world: World, pushover: FakePushover) -> None:
    alert_id = new_alert(world)
    receipt = emergency_page(world, pushover, alert_id, token_for(world, alert_id, "Pushover"))
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda device: pushover.acknowledge(receipt, device=device), ["pixel", "ipad"]))
    assert sorted(a.status_code for a in answers) == [200, 409]
    assert accepted_lines(world, alert_id) == ["Accepted by Alice via Pushover"]


@pytest.mark.parametrize("forgery", ["missing", "altered", "other key", "never issued"])
def test_a_forged_callback_is_refused_and_changes_nothing(world: World, pushover: FakePushover, forgery: str) -> None:
    alert_id = new_alert(world)
    real = token_for(world, alert_id, "Pushover")
    payload, _, signature = real.partition(".")
    url = {
        "missing": f"{world.url}/api/pushover/callback",
        "altered": f"{world.url}/api/pushover/callback?token={payload}.{signature[::-1]}",
        "other key": f"{world.url}/api/pushover/callback?token={token_for(world, alert_id, 'Pushover', key=b'not-ours')}",
        # Correctly signed, but for a nonce the database never stored: a token from another install.
        "never issued": f"{world.url}/api/pushover/callback?token={_resigned(real)}",
    }[forgery]
    form = {"receipt": "r" * 30, "acknowledged": "1", "acknowledged_at": "1700000000", "acknowledged_by": "u" * 30,
            "acknowledged_by_device": "pixel"}
    answer = httpx.post(url, data=form, timeout=10)
    assert answer.status_code == 403
    assert answer.json()["code"] == "INVALID_ACTION_TOKEN" and answer.json()["status"] == 403
    assert status_of(world, alert_id) is AlertStatus.PENDING
    assert accepted_lines(world, alert_id) == []


def _resigned(token: str) -> str:
    payload = token.partition(".")[0]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["n"] = "f" * 32
    forged = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).rstrip(b"=").decode()
    signature = base64.urlsafe_b64encode(hmac.new(SECRET, b"pagerline-action:" + forged.encode(), hashlib.sha256).digest())
    return f"{forged}.{signature.rstrip(b'=').decode()}"


def test_ntfy_accept_button_accepts_once_via_ntfy(world: World, ntfy: FakeNtfy) -> None:
    alert_id = new_alert(world)
    topic = f"alice-{next(_keys)}-k3j9x"
    send(NtfyTransport(base_url=ntfy.url), page_for(Channel.NTFY, alert_id, topic, token_for(world, alert_id, "ntfy"), world))
    [published] = ntfy.messages_to(topic)
    assert published.json is not None and published.json["priority"] == 5

    pressed = ntfy.press(published, "Accept")
    assert (pressed.status_code, pressed.json()) == (200, {"alertId": str(alert_id), "status": "ACCEPTED"})
    assert accepted_lines(world, alert_id) == ["Accepted by Alice via ntfy"]

    again = ntfy.press(published, "Resolve")  # the same token: one action per page
    assert (again.status_code, again.json()["code"]) == (409, "ACTION_TOKEN_USED")
    assert status_of(world, alert_id) is AlertStatus.ACCEPTED
