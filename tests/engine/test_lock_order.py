"""Lock order between alert transitions and delivery (PostgreSQL).

A transition (accept, resolve, escalate) locks the alert's row first and then writes its
notifications (whose foreign keys take a share lock on the user's row) and cancels its pending
pages. Delivery must take the same rows in the same order, or the two deadlock: PostgreSQL then
aborts one of them, and an aborted RESOLVE event is a 500 to the monitoring tool. These tests
run each racing pair concurrently on many alerts; on SQLite (one writer, no row locks) there is
nothing to race, so they run on PostgreSQL only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from pagerline.engine.alerts import transitions
from pagerline.engine.alerts.escalation import tick
from pagerline.engine.alerts.transitions import accept_alert, comment_alert, resolve_alert
from pagerline.engine.core.errors import Conflict
from pagerline.engine.delivery.outbox import deliver
from pagerline.engine.sources.intake import EventInput, ingest_event
from pagerline.models import Alert, AlertStatus, Notification, NotificationKind, NotificationStatus
from tests.conftest import _engine_db
from tests.support.seed import Org, api_source, raise_alert, seed_org, timeline_texts
from tests.support.transports import ScriptedTransport, ctx

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
ALERTS_PER_PAIR = 60  # enough for the interleaving to occur many times; a few seconds each
AT_ONCE = 6  # alerts raced concurrently (each race holds two to five of the pool's connections)


@pytest.fixture
async def pg(pg_database_url: str, caplog: pytest.LogCaptureFixture) -> AsyncIterator[str]:
    caplog.set_level(logging.WARNING, logger=transitions.__name__)
    async for url in _engine_db(pg_database_url):
        yield url


def _retried(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The transitions that PostgreSQL aborted and that ran again. After a race this must be
    empty: the retry is a safety net, and a deadlock it hid is still a lock-order bug."""
    return [r.getMessage() for r in caplog.records if r.name == transitions.__name__]


async def _race_on_many_alerts(org: Org, prefix: str, race: Callable[[int, int, datetime], Awaitable[None]]) -> None:
    """``race(index, alert_id, now)`` for ALERTS_PER_PAIR fresh alerts, AT_ONCE at a time; each
    batch ten minutes after the last, so storm protection lets every push of a batch go."""
    for start in range(0, ALERTS_PER_PAIR, AT_ONCE):
        now = T0 + timedelta(minutes=10 * start)
        ids = [await raise_alert(org.api_key, now, f"{prefix}-{i}", f"Disk {i} full") for i in range(start, start + AT_ONCE)]
        await asyncio.gather(*(race(i, alert_id, now) for i, alert_id in zip(range(start, start + AT_ONCE), ids, strict=True)))


async def _notification_ids(alert_id: int, kind: NotificationKind, status: NotificationStatus) -> list[int]:
    return list(await Notification.filter(alert_id=alert_id, kind=kind, status=status).order_by("id").values_list("id", flat=True))


async def _page_sent_then_accepted(alert_id: int, transport: ScriptedTransport, now: datetime) -> list[int]:
    """The first page delivered, the alert accepted: returns the accept's pending updates."""
    for page_id in await _notification_ids(alert_id, NotificationKind.PAGE, NotificationStatus.PENDING):
        assert await deliver(page_id, now, ctx(transport)) == "SENT"
    await accept_alert(alert_id, None, now + timedelta(seconds=1), via="test")
    updates = await _notification_ids(alert_id, NotificationKind.UPDATE, NotificationStatus.PENDING)
    assert updates, "the accept planned no update to race with"
    return updates


async def test_resolve_races_delivery_of_the_accepts_updates(pg: str, caplog: pytest.LogCaptureFixture) -> None:
    org = await seed_org()
    transport = ScriptedTransport()

    async def race(_: int, alert_id: int, now: datetime) -> None:
        updates = await _page_sent_then_accepted(alert_id, transport, now)
        later = now + timedelta(seconds=2)
        await asyncio.gather(resolve_alert(alert_id, None, later, via="test"), *(deliver(n, later, ctx(transport)) for n in updates))

    await _race_on_many_alerts(org, "resolve-vs-update", race)
    assert await Alert.filter(status=AlertStatus.RESOLVED).count() == ALERTS_PER_PAIR
    assert _retried(caplog) == []


async def test_accept_or_resolve_races_delivery_of_a_pending_page(pg: str, caplog: pytest.LogCaptureFixture) -> None:
    org = await seed_org()
    transport = ScriptedTransport()

    async def race(i: int, alert_id: int, now: datetime) -> None:
        pages = await _notification_ids(alert_id, NotificationKind.PAGE, NotificationStatus.PENDING)
        transition = accept_alert if i % 2 else resolve_alert
        await asyncio.gather(transition(alert_id, None, now, via="test"), *(deliver(n, now, ctx(transport)) for n in pages))

    await _race_on_many_alerts(org, "transition-vs-page", race)
    assert await Alert.filter(status=AlertStatus.PENDING).count() == 0
    assert _retried(caplog) == []


async def test_accept_and_resolve_events_comments_and_escalation_race_delivery(pg: str, caplog: pytest.LogCaptureFixture) -> None:
    """An ACCEPT event and a RESOLVE event for one alert, a comment, the escalation tick and the
    deliveries of the alert's updates, all at once."""
    org = await seed_org(level1_timeout=1)
    source = await api_source(org)
    transport = ScriptedTransport()

    async def event(action: str, key: str, now: datetime) -> None:
        try:
            await ingest_event(source, EventInput(action, summary="Disk full", alert_key=key), now)
        except Conflict:
            assert action == "ACCEPT"  # the RESOLVE came first: a 409, the answer it deserves

    async def race(i: int, alert_id: int, now: datetime) -> None:
        # Half the alerts are accepted first (their updates are delivered in the race); the
        # other half are still pending, so the tick escalates them while their page goes out.
        if i % 2:
            deliveries = await _page_sent_then_accepted(alert_id, transport, now)
        else:
            deliveries = await _notification_ids(alert_id, NotificationKind.PAGE, NotificationStatus.PENDING)
        later = now + timedelta(minutes=2)  # the first level's timeout has passed
        await asyncio.gather(
            event("ACCEPT", f"events-{i}", later),
            event("RESOLVE", f"events-{i}", later),
            comment_alert(alert_id, None, "looking", later, author="test"),
            tick(later),
            *(deliver(n, later, ctx(transport)) for n in deliveries),
        )

    await _race_on_many_alerts(org, "events", race)
    assert await Alert.filter(status=AlertStatus.RESOLVED).count() == ALERTS_PER_PAIR
    assert _retried(caplog) == []


async def _wait_until_blocked(conn: asyncpg.Connection, count: int) -> None:
    """Until ``count`` other sessions of this database wait for a lock."""
    for _ in range(500):
        waiting = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if waiting >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the resolve never waited for the lock")


async def test_a_resolve_aborted_by_a_deadlock_runs_again_once_and_does_everything_once(
    pg: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The safety net: another session deadlocks with a resolve on purpose (it holds the user's
    row the resolve's update notification needs, then asks for the alert the resolve holds).
    PostgreSQL aborts the resolve, which runs again after the other session is done: resolved
    once, one timeline entry, one update, and the retry on the log."""
    org = await seed_org()
    alert_id = await raise_alert(org.api_key, T0, "deadlocked", "Disk full")
    await _page_sent_then_accepted(alert_id, ScriptedTransport(), T0)
    other = await asyncpg.connect(pg)
    try:
        # The other session detects deadlocks late, so the resolve is the one aborted.
        await other.execute("SET deadlock_timeout = '10s'")
        async with other.transaction():
            await other.execute("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", org.alice_id)
            resolving = asyncio.ensure_future(resolve_alert(alert_id, None, T0 + timedelta(minutes=1), via="test"))
            await _wait_until_blocked(other, 1)
            await other.execute("SELECT 1 FROM alerts WHERE id = $1 FOR KEY SHARE", alert_id)
        await resolving
    finally:
        await other.close()
    assert (await Alert.get(id=alert_id)).status is AlertStatus.RESOLVED
    assert await timeline_texts(alert_id, "RESOLVED") == ["Resolved by an event via test"]
    resolved_updates = Notification.filter(alert_id=alert_id, kind=NotificationKind.UPDATE, dedup_key__contains=":RESOLVED:")
    assert await resolved_updates.count() == 1
    [retry] = _retried(caplog)
    assert retry.startswith(f"resolving alert {alert_id} rolled back by the database (deadlock detected")
