"""Smoke tests in GoAlert's manner: the real server, the provider fakes, and a few lines per story
(tests/support/world.py)."""

from __future__ import annotations

import pytest

from pagerline.models import AlertStatus
from tests.support.processes import wait_until
from tests.support.world import SmokeWorld, WorldFactory


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, open_world: WorldFactory) -> SmokeWorld:
    """Alice (level 1) is paged by push, Bob (level 2, five minutes later) by SMS."""
    return open_world(backend=request.param, reach={"bob": "SMS"})


def test_critical_push_accepted_from_the_lock_screen_stops_the_escalation(world: SmokeWorld) -> None:
    alert = world.event("checkout")
    push = world.fcm.expect_push(to=world.alice, critical=True)
    assert push.data["alert_id"] == str(alert.id)
    push.accept()

    state = world.alert(alert)
    assert state.status is AlertStatus.ACCEPTED and state.next_escalation_at is None
    assert "Accepted by Alice via lock screen" in state.timeline
    world.fcm.expect_push(to=world.alice, kind="UPDATE")  # the page on her lock screen is replaced
    world.clock.advance(minutes=30)
    world.twilio.expect_nothing(to=world.bob)


def test_unanswered_page_escalates_to_bob_whose_sms_reply_accepts(world: SmokeWorld) -> None:
    alert = world.event("payments", "Payments failing")
    world.fcm.expect_push(to=world.alice, critical=True)
    world.twilio.expect_nothing(to=world.bob)

    world.clock.advance(minutes=5)
    sms = world.twilio.expect_sms(to=world.bob)
    assert sms.body.startswith(f"pagerline #{alert.id} [HIGH] Payments failing")
    reply = sms.reply("1")
    assert reply.status_code == 200 and f"Alert #{alert.id} accepted." in reply.text

    state = world.alert(alert)
    assert state.status is AlertStatus.ACCEPTED and state.next_escalation_at is None
    assert "Escalated to level 2 (Bob)" in state.timeline
    assert "Accepted by Bob via SMS reply" in state.timeline


def test_comment_then_resolve_over_graphql_reaches_a_live_subscriber(world: SmokeWorld) -> None:
    watching = world.bob.subscribes()
    alert = world.event("disk", "Disk almost full")
    world.fcm.expect_push(to=world.alice, critical=True)
    world.alice.comments(alert, "looking")
    assert world.alice.resolves(alert)["status"] == "RESOLVED"

    world.fcm.expect_push(to=world.alice, kind="UPDATE")
    state = world.alert(alert)
    assert state.status is AlertStatus.RESOLVED
    assert any("looking" in text for text in state.timeline), state.timeline

    def kinds() -> list[str]:
        return [e["alertEvents"]["kind"] for e in watching.received if e["alertEvents"]["alert"]["id"] == str(alert.id)]

    wait_until(lambda: "RESOLVED" in kinds(), what="the RESOLVED event on Bob's subscription")
