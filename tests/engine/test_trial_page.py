"""``send_test_page``, on SQLite and PostgreSQL: one notification per reachable channel of the
HIGH rules, due now, delivered through the outbox like a page (muting and storm protection
apply)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pagerline.engine.core.errors import NotFound
from pagerline.engine.delivery.outbox import deliver
from pagerline.engine.notify.muting import mute
from pagerline.engine.notify.rules import RuleSpec, set_rules
from pagerline.engine.notify.trial_page import TITLE, send_test_page
from pagerline.models import Channel, Notification, NotificationKind, NotificationStatus, Priority
from tests.support.seed import seed_org, verified_phone
from tests.support.transports import ScriptedTransport, ctx

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


async def test_one_per_reachable_channel_of_the_high_rules(db: str) -> None:
    org = await seed_org()  # default rules: HIGH push 0, SMS 5, voice 10; a device, no phone yet
    assert await send_test_page(org.alice_id, NOW) == 1
    [push] = await Notification.filter(user_id=org.alice_id)
    assert (push.channel, push.kind, push.due_at, push.alert_id, push.title) == (Channel.PUSH, NotificationKind.PAGE, NOW, None, TITLE)  # type: ignore[attr-defined]

    await verified_phone(org.bob_id)
    await set_rules(org.bob_id, [
        RuleSpec(Channel.SMS, 0, Priority.HIGH), RuleSpec(Channel.SMS, 5, Priority.HIGH),
        RuleSpec(Channel.VOICE, 10, Priority.HIGH), RuleSpec(Channel.EMAIL, 0, Priority.LOW),
    ])
    assert await send_test_page(org.bob_id, NOW) == 2  # SMS once, voice; the LOW email rule is not asked
    rows = await Notification.filter(user_id=org.bob_id).order_by("id")
    assert [(r.channel, r.due_at) for r in rows] == [(Channel.SMS, NOW), (Channel.VOICE, NOW)]

    with pytest.raises(NotFound):
        await send_test_page(987654, NOW)


async def test_it_is_delivered_like_a_page_muting_and_storm_protection_apply(db: str) -> None:
    org = await seed_org()
    transport = ScriptedTransport()
    await send_test_page(org.alice_id, NOW)
    [first] = await Notification.filter(user_id=org.alice_id)
    assert await deliver(first.id, NOW, ctx(transport)) == "SENT"
    [message] = transport.sent
    assert (message.channel, message.kind, message.alert_id) == (Channel.PUSH, "PAGE", None)
    assert "test page" in message.title.lower()

    # Pressed again a second later: identical to what was just sent, storm protection drops it.
    await send_test_page(org.alice_id, NOW + timedelta(seconds=1))
    second = await Notification.filter(user_id=org.alice_id).order_by("-id").first()
    assert second is not None
    await deliver(second.id, NOW + timedelta(seconds=1), ctx(transport))
    dropped = await Notification.get(id=second.id)
    assert dropped.status is NotificationStatus.SUPPRESSED and "identical" in (dropped.last_error or "")
    assert len(transport.sent) == 1

    # Muted: suppressed, not sent.
    later = NOW + timedelta(hours=2)
    await mute(org.alice_id, later + timedelta(hours=1), later)
    await send_test_page(org.alice_id, later)
    third = await Notification.filter(user_id=org.alice_id).order_by("-id").first()
    assert third is not None
    await deliver(third.id, later, ctx(transport))
    muted = await Notification.get(id=third.id)
    assert muted.status is NotificationStatus.SUPPRESSED and "muted" in (muted.last_error or "")
    assert len(transport.sent) == 1
