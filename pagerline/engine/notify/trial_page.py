""""Send me a test page": proves the whole delivery path reaches a person before a real page
has to.

One notification per channel of the user's HIGH rules that can reach them (a PUSH rule needs an
active device, every other channel a verified contact method of its kind), due now, written to the
outbox in one transaction and delivered by the workers like any page. It is a PAGE without an
alert, so everything pages go through applies: muting suppresses it, storm protection drops a
second identical one inside its window, SMS and VOICE count towards bundling. Its title says it
is a test.
"""

from __future__ import annotations

from datetime import datetime

from pagerline.engine.core.effects import unit_of_work
from pagerline.engine.core.errors import NotFound
from pagerline.engine.notify.planning import load_recipients, unreachable_reason
from pagerline.models import Channel, Notification, NotificationKind, Priority

TITLE = "Test page from pagerline"


def test_body(now: datetime) -> str:
    return f"You asked for this test page at {now:%Y-%m-%d %H:%M} UTC. If you can read it, pages reach you here. Nothing to do."


async def send_test_page(user_id: int, now: datetime) -> int:
    """Queue the test page; returns how many notifications were queued (0: nothing reaches them)."""
    found = await load_recipients([user_id], Priority.HIGH)
    if user_id not in found:
        raise NotFound("User not found")
    recipient, rules = found[user_id]
    channels: list[Channel] = []
    for rule in rules:  # in delay order: the channel of the first rule goes first
        if rule.method not in channels and unreachable_reason(rule.method, recipient) is None:
            channels.append(rule.method)
    async with unit_of_work() as effects:
        for channel in channels:
            row = await Notification.create(
                # Unique per press (to the microsecond); storm protection, not the key, keeps
                # repeated presses from becoming a flood.
                dedup_key=f"test:{user_id}:{channel.value}:{now.isoformat()}",
                user_id=user_id,
                kind=NotificationKind.PAGE,
                channel=channel,
                due_at=now,
                title=TITLE,
                body=test_body(now),
                created_at=now,
            )
            effects.wake_notification(row.id, now)
    return len(channels)
