"""From a page to an accept by every path, through a real server and the real firebase-admin
and httpx code talking to the fake FCM and Twilio servers: the lock-screen action endpoint, an
SMS reply, a voice keypress. Forged Twilio signatures and replayed action tokens change nothing.
"""

from __future__ import annotations

from pagerline.models import AlertStatus, Notification
from tests.support.graphql import in_db
from tests.support.world import WorldFactory

FORGED = "bm90IHRoZSBzaWduYXR1cmU="


def test_lock_screen_accept_with_a_single_use_action_token(open_world: WorldFactory) -> None:
    world = open_world()
    alert = world.event("checkout")
    push = world.fcm.expect_push(to=world.alice, critical=True)
    message = push.message
    assert message["android"]["priority"] == "high"
    assert message["android"]["collapse_key"] == f"alert-{alert.id}"
    assert (push.data["alert_id"], push.data["priority"], push.data["kind"]) == (str(alert.id), "HIGH", "PAGE")

    forged = push.action("accept", token=push.data["action_token"][:-3] + "xyz")
    assert (forged.status_code, forged.json()["code"]) == (403, "INVALID_ACTION_TOKEN")
    assert world.alert(alert).status is AlertStatus.PENDING

    assert push.accept().json() == {"alertId": str(alert.id), "status": "ACCEPTED"}
    replay = push.action("resolve")
    assert (replay.status_code, replay.json()["code"]) == (409, "ACTION_TOKEN_USED")
    state = world.alert(alert)
    assert state.status is AlertStatus.ACCEPTED and state.next_escalation_at is None  # the escalation stopped
    assert "Accepted by Alice via lock screen" in state.timeline

    # The page on her lock screen is replaced by an update with the same collapse key.
    update = world.fcm.expect_push(to=world.alice, kind="UPDATE", critical=False)
    assert update.data.get("action_token", "") == ""
    assert update.message["android"]["collapse_key"] == f"alert-{alert.id}"
    assert update.message["android"]["notification"]["channel_id"] == "pagerline_default"


def test_sms_reply_accepts_and_a_forged_signature_changes_nothing(open_world: WorldFactory) -> None:
    world = open_world(reach={"alice": "SMS"})
    alert = world.event("payments", "Payments failing")
    sms = world.twilio.expect_sms(to=world.alice)
    assert sms.request.auth_ok and sms.request.form["From"] == "+15557770000"
    assert sms.body.startswith(f"pagerline #{alert.id} [HIGH] Payments failing")
    assert "Reply 1 to accept, 2 to resolve" in sms.body

    assert sms.reply("1", signature=FORGED).status_code == 403
    assert world.alert(alert).status is AlertStatus.PENDING

    reply = sms.reply("1")
    assert reply.status_code == 200
    assert f"Alert #{alert.id} accepted." in reply.text
    state = world.alert(alert)
    assert state.status is AlertStatus.ACCEPTED and state.next_escalation_at is None
    assert "Accepted by Alice via SMS reply" in state.timeline


def test_voice_keypress_accepts_and_no_answer_fails_the_call(open_world: WorldFactory) -> None:
    world = open_world(reach={"alice": "VOICE"})
    alert = world.event("db", "Primary database down")
    call = world.twilio.expect_call(to=world.alice)
    assert call.twiml_url.startswith(f"{world.url}/api/twilio/voice?n=")
    twiml = call.answered()
    assert twiml.status_code == 200
    assert "<Gather" in twiml.text and "Primary database down" in twiml.text and "Press 1 to accept" in twiml.text
    assert call.press("1", signature="forged").status_code == 403
    assert world.alert(alert).status is AlertStatus.PENDING
    said = call.press("1")
    assert said.status_code == 200 and f"Alert #{alert.id} accepted." in said.text
    state = world.alert(alert)
    assert state.status is AlertStatus.ACCEPTED and state.next_escalation_at is None
    assert "Accepted by Alice via voice call" in state.timeline

    other = world.event("cache", "Cache cluster down")
    assert world.twilio.expect_call(to=world.alice).ended("no-answer").status_code == 204

    async def call_row() -> Notification:
        return await Notification.get(alert_id=other.id, channel="VOICE")

    assert in_db(world.database_url, call_row).last_error == "provider reported no-answer"
    assert "VOICE to Alice failed: no-answer" in world.alert(other).timeline
