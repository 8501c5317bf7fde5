"""The sweeper: the database-driven guarantee behind the queue.

A Dramatiq message wakes a delivery that is due at once; the sweeper does everything that falls
due later (escalation timeouts, a rule's delayed SMS or call, retries) and whatever no message
woke (broker down, worker killed, message lost), each channel in a lane of its own so a slow
provider cannot hold every delivery slot. Run every few seconds
by every worker process (and by the embedded server); claims make concurrent sweepers safe.
Last, and at most once a minute, it deletes what is past its keeping time
(:mod:`pagerline.engine.retention`), in a bounded number of short batches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from pagerline.engine.delivery.lanes import ChannelLanes
from pagerline.engine.delivery.outbox import DeliveryContext, due_notifications
from pagerline.engine.schedules.coverage import expire_coverage
from pagerline.engine.alerts.escalation import tick
from pagerline.engine.retention import Retention, RetentionReport
from pagerline.engine.schedules.reminders import plan_reminders
from pagerline.engine.schedules.oncall_changes import announce_oncall_changes
from pagerline.engine.sources.jobs import run_source_jobs
from pagerline.models.enums import Channel


@dataclass(frozen=True, slots=True)
class SweepReport:
    escalated: int
    delivered: int  # finished in this call (a one-off sweep)
    retention: RetentionReport | None = None  # None: no retention job, or not its time yet
    started: int = 0  # handed to the caller's lanes, still running when the call returned


async def sweep_once(
    now: datetime,
    ctx: DeliveryContext,
    concurrency: int = 20,
    retention: Retention | None = None,
    lanes: ChannelLanes | None = None,
    channels: Collection[Channel] | None = None,
) -> SweepReport:
    """One round. Without ``lanes`` (a test, a one-off) it delivers everything it found due,
    ``concurrency`` at a time per channel, before returning. With a worker's long-lived
    ``lanes`` it tops each channel's lane up and returns without waiting for the sends, so a
    channel whose provider hangs delays neither the next round nor another channel
    (:mod:`pagerline.engine.delivery.lanes`). ``channels``: deliver only these (a worker that
    consumes some channels' queues sweeps those); default all."""
    escalated = await tick(now)
    await expire_coverage(now)
    # Before deliveries, so a reminder that falls due now goes out in this same sweep.
    await plan_reminders(now)
    await announce_oncall_changes(now)
    due = await due_notifications(now, channels)
    delivered = started = 0
    if lanes is None:
        results = await asyncio.gather(*ChannelLanes(concurrency, backlog=len(due)).start(due, now, ctx))
        delivered = sum(1 for r in results if r is not None)
    else:
        started = len(lanes.start(due, now, ctx))
    # Last: its webhook calls must not hold up pages (what it pages is woken by its own effects).
    await run_source_jobs(now, ctx)
    # After everything that pages, and bounded: what falls due meanwhile waits one short run.
    trimmed = await retention.tick(now) if retention is not None else None
    return SweepReport(escalated=escalated, delivered=delivered, retention=trimmed, started=started)
