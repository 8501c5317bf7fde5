"""A deactivated user in delivery: what was queued for them before is never sent (a later
rule's SMS, a call), and their ways of acting on an alert without a token (a lock-screen link,
an SMS reply) stop working too. Reactivated, they act again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pagerline.engine.delivery import action_tokens as actions, replies
from pagerline.engine.people.accounts import Viewer
from pagerline.engine.people.activity import set_active
from pagerline.engine.sweeper import sweep_once
from pagerline.models import Alert, AlertStatus, Channel, Notification, NotificationStatus, Role, TokenKind, User
from tests.support.seed import raise_alert, seed_org, verified_phone
from tests.support.transports import SIGNING_KEY, ScriptedTransport, ctx

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


async def admin() -> Viewer:
    row = await User.create(email="root@example.com", name="Root", role=Role.ADMIN)
    return Viewer(user=row, token_kind=TokenKind.API, token_id=0, team_ids=frozenset())


async def test_what_was_queued_for_a_deactivated_user_is_never_sent(db: str) -> None:
    org = await seed_org(level1_timeout=30)
    await verified_phone(org.alice_id)
    alert = await Alert.get(id=await raise_alert(org.api_key, T0, "k", "Checkout down"))
    transport = ScriptedTransport()
    await sweep_once(T0, ctx(transport))  # the push goes; the SMS (+5) and the call (+10) wait
    assert {m.kind for m in transport.sent} == {"PAGE"} and len(transport.sent) == 1

    await set_active(await admin(), org.alice_id, False, T0 + timedelta(minutes=1))
    await sweep_once(T0 + timedelta(minutes=11), ctx(transport))
    assert len(transport.sent) == 1
    later = await Notification.filter(alert_id=alert.id, user_id=org.alice_id, channel__in=[Channel.SMS, Channel.VOICE])
    assert len(later) == 2
    assert {(n.status, n.last_error) for n in later} == {(NotificationStatus.SKIPPED, "Alice is deactivated")}


async def test_a_deactivated_user_cannot_act_by_link_or_reply(db: str) -> None:
    org = await seed_org(level1_timeout=30)
    await verified_phone(org.alice_id)
    root = await admin()
    alert = await Alert.get(id=await raise_alert(org.api_key, T0, "k", "Checkout down"))
    await sweep_once(T0 + timedelta(minutes=5), ctx(ScriptedTransport()))  # the push and the SMS went
    token = await actions.issue(SIGNING_KEY, alert.id, org.alice_id, None, T0)

    await set_active(root, org.alice_id, False, T0 + timedelta(minutes=6))
    with pytest.raises(actions.InvalidActionToken):
        await actions.redeem(SIGNING_KEY, token, "accept", T0 + timedelta(minutes=6))
    assert await replies.handle_sms_reply("+15550001", "1", T0 + timedelta(minutes=6)) == "This account is deactivated; nothing was changed."
    assert (await Alert.get(id=alert.id)).status is AlertStatus.PENDING

    await set_active(root, org.alice_id, True, T0 + timedelta(minutes=7))
    assert await replies.handle_sms_reply("+15550001", "1", T0 + timedelta(minutes=7)) == f"Alert #{alert.id} accepted."


async def test_a_level_naming_only_a_deactivated_user_passes_to_the_next_at_once(db: str) -> None:
    org = await seed_org(level1_timeout=30)  # level 1: Alice, level 2: Bob
    await set_active(await admin(), org.alice_id, False, T0)
    alert = await Alert.get(id=await raise_alert(org.api_key, T0, "k", "Checkout down"))
    paged = set(await Notification.filter(alert_id=alert.id).values_list("user_id", flat=True))
    assert paged == {org.bob_id}
    assert alert.escalation_rule_index == 1
