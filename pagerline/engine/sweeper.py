"""The sweeper: the database-driven guarantee behind the queue.

A Dramatiq message wakes a delivery that is due at once; the sweeper does everything that falls
due later (escalation timeouts, a rule's delayed SMS or call, retries) and whatever no message
woke (broker down, worker killed, message lost). Run every few seconds
by every worker process (and by the embedded server); claims make concurrent sweepers safe.
Last, and at most once a minute, it deletes what is past its keeping time
(:mod:`pagerline.engine.retention`), in a bounded number of short batches.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from pagerline.engine.delivery.outbox import DeliveryContext, deliver, due_notification_ids
from pagerline.engine.schedules.coverage import expire_coverage
from pagerline.engine.alerts.escalation import tick
from pagerline.engine.retention import Retention, RetentionReport
from pagerline.engine.schedules.reminders import plan_reminders
from pagerline.engine.schedules.oncall_changes import announce_oncall_changes
from pagerline.engine.sources.jobs import run_source_jobs


@dataclass(frozen=True, slots=True)
class SweepReport:
    escalated: int
    delivered: int
    retention: RetentionReport | None = None  # None: no retention job, or not its time yet


async def sweep_once(now: datetime, ctx: DeliveryContext, concurrency: int = 20, retention: Retention | None = None) -> SweepReport:
    escalated = await tick(now)
    await expire_coverage(now)
    # Before deliveries, so a reminder that falls due now goes out in this same sweep.
    await plan_reminders(now)
    await announce_oncall_changes(now)
    ids = await due_notification_ids(now)
    semaphore = asyncio.Semaphore(concurrency)

    async def one(nid: int) -> str | None:
        async with semaphore:
            return await deliver(nid, now, ctx)

    results = await asyncio.gather(*(one(nid) for nid in ids))
    # Last: its webhook calls must not hold up pages (what it pages is woken by its own effects).
    await run_source_jobs(now, ctx)
    # After everything that pages, and bounded: what falls due meanwhile waits one short run.
    trimmed = await retention.tick(now) if retention is not None else None
    return SweepReport(escalated=escalated, delivered=sum(1 for r in results if r is not None), retention=trimmed)
