"""From a page to an accept by every path, through a real server and the real firebase-admin
and httpx code talking to the fake FCM and Twilio servers: the lock-screen action endpoint, an
SMS reply, a voice keypress. Forged Twilio signatures and replayed action tokens change nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pagerline.db import close_db, init_db
from pagerline.models import (
    Alert,
    AlertLogEntry,
    AlertStatus,
    Device,
    Notification,
    NotificationRule,
    Platform,
    PushProvider,
    User,
)
from tests.conftest import run
from tests.fakes.fcm import FakeFcm
from tests.fakes.twilio import FakeTwilio
from tests.support.databases import TemplateDatabases
from tests.support.processes import Server, free_port, start_server, wait_until
from tests.support.seed import Org, seed_org
from tests.support.transports import fake_provider_env

ALICE_TOKEN = "fcm-token-alice-android"
ALICE_PHONE = "+15550100"


@dataclass
class Stack:
    url: str
    server: Server
    fcm: FakeFcm
    twilio: FakeTwilio
    org: Org


async def _seed(url: str) -> Org:
    await init_db(url)
    try:
        org = await seed_org(level1_timeout=5)
        await Device.filter(user_id=org.alice_id).delete()
        await Device.create(user_id=org.alice_id, platform=Platform.ANDROID, provider=PushProvider.FCM, token=ALICE_TOKEN, critical_alerts=True)
        await User.filter(id=org.alice_id).update(phone=ALICE_PHONE, phone_verified=True)
        return org
    finally:
        await close_db()


@pytest.fixture
def stack(templates: TemplateDatabases, tmp_path: Path) -> Iterator[Stack]:
    url = templates.sqlite(tmp_path)
    org = run(_seed(url))
    fcm = FakeFcm().start()
    twilio = FakeTwilio()
    twilio.start()
    port = free_port()
    env = {
        "PAGERLINE_DATABASE_URL": url,
        "PAGERLINE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PAGERLINE_SWEEP_INTERVAL_SECONDS": "0.2",
        **fake_provider_env(fcm, twilio, tmp_path),
    }
    server = start_server(env, tmp_path, port=port)
    try:
        yield Stack(url, server, fcm, twilio, org)
    finally:
        server.stop()
        fcm.stop()
        twilio.stop()
    assert "Traceback" not in server.log(), server.log()


def fire(stack: Stack, key: str, summary: str = "Checkout is down") -> int:
    response = httpx.post(
        f"{stack.server.url}/api/events",
        json={"integrationKey": stack.org.api_key, "eventType": "ALERT", "summary": summary, "alertKey": key},
        timeout=10,
    )
    assert response.status_code == 202, response.text
    return int(response.json()["alertUrl"].rsplit("/", 1)[1])


def db(stack: Stack, body: Any) -> Any:
    async def wrapped() -> Any:
        await init_db(stack.url)
        try:
            return await body()
        finally:
            await close_db()

    return run(wrapped())


def alert_state(stack: Stack, alert_id: int) -> tuple[AlertStatus, Any, list[str]]:
    async def body() -> tuple[AlertStatus, Any, list[str]]:
        alert = await Alert.get(id=alert_id)
        texts = await AlertLogEntry.filter(alert_id=alert_id).order_by("id").values_list("text", flat=True)
        return alert.status, alert.next_escalation_at, list(texts)

    return db(stack, body)


def only_rule(stack: Stack, method: str) -> None:
    """Alice is paged by this channel alone, at once."""

    async def body() -> None:
        await NotificationRule.filter(user_id=stack.org.alice_id).delete()
        await NotificationRule.create(user_id=stack.org.alice_id, method=method, delay_minutes=0, priority="HIGH")

    db(stack, body)


def test_lock_screen_accept_with_a_single_use_action_token(stack: Stack) -> None:
    alert_id = fire(stack, "checkout")
    wait_until(lambda: stack.fcm.delivered(ALICE_TOKEN), what="the critical page at the fake FCM")
    [page] = stack.fcm.delivered(ALICE_TOKEN)
    message = page.message
    assert message["android"]["priority"] == "high"
    assert message["android"]["notification"]["channel_id"] == "pagerline_critical"
    assert message["android"]["collapse_key"] == f"alert-{alert_id}"
    data = message["data"]
    assert (data["alert_id"], data["priority"], data["kind"]) == (str(alert_id), "HIGH", "PAGE")
    token = data["action_token"]

    forged = httpx.post(f"{stack.server.url}/api/actions", json={"token": token[:-3] + "xyz", "action": "accept"}, timeout=10)
    assert (forged.status_code, forged.json()["code"]) == (403, "INVALID_ACTION_TOKEN")
    assert alert_state(stack, alert_id)[0] is AlertStatus.PENDING

    accepted = httpx.post(f"{stack.server.url}/api/actions", json={"token": token, "action": "accept"}, timeout=10)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"alertId": str(alert_id), "status": "ACCEPTED"}
    replay = httpx.post(f"{stack.server.url}/api/actions", json={"token": token, "action": "resolve"}, timeout=10)
    assert (replay.status_code, replay.json()["code"]) == (409, "ACTION_TOKEN_USED")
    status, next_escalation, texts = alert_state(stack, alert_id)
    assert status is AlertStatus.ACCEPTED and next_escalation is None  # the escalation stopped
    assert "Accepted by Alice via lock screen" in texts

    # The page on her lock screen is replaced by an update with the same collapse key.
    wait_until(lambda: len(stack.fcm.delivered(ALICE_TOKEN)) == 2, what="the update push")
    update = stack.fcm.delivered(ALICE_TOKEN)[1].message
    assert update["data"]["kind"] == "UPDATE" and update["data"].get("action_token", "") == ""
    assert update["android"]["collapse_key"] == f"alert-{alert_id}"
    assert update["android"]["notification"]["channel_id"] == "pagerline_default"


def test_sms_reply_accepts_and_a_forged_signature_changes_nothing(stack: Stack) -> None:
    only_rule(stack, "SMS")
    alert_id = fire(stack, "payments", "Payments failing")
    wait_until(lambda: stack.twilio.messages_to(ALICE_PHONE), what="the SMS at the fake Twilio")
    [sms] = stack.twilio.messages_to(ALICE_PHONE)
    assert sms.auth_ok and sms.form["From"] == "+15557770000"
    assert sms.form["Body"].startswith(f"pagerline #{alert_id} [HIGH] Payments failing")
    assert "Reply 1 to accept, 2 to resolve" in sms.form["Body"]

    inbound = f"{stack.server.url}/api/twilio/sms"
    params = {"From": ALICE_PHONE, "To": "+15557770000", "Body": "1", "MessageSid": "SMinbound1"}
    forged = stack.twilio.callback(inbound, params, signature="bm90IHRoZSBzaWduYXR1cmU=")
    assert forged.status_code == 403
    assert alert_state(stack, alert_id)[0] is AlertStatus.PENDING

    reply = stack.twilio.callback(inbound, params)
    assert reply.status_code == 200
    assert f"Alert #{alert_id} accepted." in reply.text
    status, next_escalation, texts = alert_state(stack, alert_id)
    assert status is AlertStatus.ACCEPTED and next_escalation is None
    assert "Accepted by Alice via SMS reply" in texts


def test_voice_keypress_accepts_and_no_answer_fails_the_call(stack: Stack) -> None:
    only_rule(stack, "VOICE")
    alert_id = fire(stack, "db", "Primary database down")
    wait_until(lambda: stack.twilio.calls_to(ALICE_PHONE), what="the call at the fake Twilio")
    [call] = stack.twilio.calls_to(ALICE_PHONE)
    twiml_url = call.form["Url"]
    assert twiml_url.startswith(f"{stack.server.url}/api/twilio/voice?n=")
    twiml = stack.twilio.callback(twiml_url, {"CallSid": call.sid, "CallStatus": "in-progress", "From": "+15557770000"})
    assert twiml.status_code == 200
    assert "<Gather" in twiml.text and "Primary database down" in twiml.text and "Press 1 to accept" in twiml.text
    gather_url = twiml_url.replace("/api/twilio/voice?", "/api/twilio/voice/gather?")
    assert stack.twilio.callback(gather_url, {"CallSid": call.sid, "Digits": "1"}, signature="forged").status_code == 403
    assert alert_state(stack, alert_id)[0] is AlertStatus.PENDING
    said = stack.twilio.callback(gather_url, {"CallSid": call.sid, "Digits": "1"})
    assert said.status_code == 200 and f"Alert #{alert_id} accepted." in said.text
    status, next_escalation, texts = alert_state(stack, alert_id)
    assert status is AlertStatus.ACCEPTED and next_escalation is None
    assert "Accepted by Alice via voice call" in texts

    other = fire(stack, "cache", "Cache cluster down")
    wait_until(lambda: len(stack.twilio.calls_to(ALICE_PHONE)) == 2, what="the second call")
    status_url = stack.twilio.calls_to(ALICE_PHONE)[1].form["StatusCallback"]
    assert stack.twilio.callback(status_url, {"CallSid": "CA2", "CallStatus": "no-answer"}).status_code == 204

    async def call_row() -> Notification:
        return await Notification.get(alert_id=other, channel="VOICE")

    assert db(stack, call_row).last_error == "provider reported no-answer"
    assert "VOICE to Alice failed: no-answer" in alert_state(stack, other)[2]
