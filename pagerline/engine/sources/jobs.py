"""Timed jobs of source policies, run by every sweeper with the sweep's ``now``.

- :func:`auto_resolve_tick`: a source's ``autoResolutionTimeout`` resolves its open alerts
  (pending or accepted) whose latest event (the first one or a repeat) is that old.
- :func:`auto_raise_tick`: with ``autoRaiseAlerts``, while a support-hours priority rule says
  HIGH (support hours started for HIGH_DURING_SUPPORT_HOURS, ended for
  LOW_DURING_SUPPORT_HOURS), the source's pending LOW alerts become HIGH and page the first
  escalation level with the users' high-priority rules, then escalate as usual.
- :func:`run_source_jobs`: those two, overdue heartbeats and due alert-action deliveries (old
  dropped events are deleted by :mod:`pagerline.engine.retention`).

Every job claims before acting (row locks or conditional updates), so sweepers in many
processes can run them at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from pagerline.engine.alerts import actions as alert_actions
from pagerline.engine.sources import heartbeats
from pagerline.engine.alerts.transitions import EVENT_KINDS, resolve_alert
from pagerline.engine.delivery.outbox import DeliveryContext
from pagerline.engine.core.effects import unit_of_work
from pagerline.engine.alerts.escalation import apply_level, choose_level, load_policy_plan, set_escalation_state
from pagerline.engine.sources.policy import OPEN_STATUSES, support_hours_spec
from pagerline.engine.sources.support_hours import in_support, rule_priority
from pagerline.engine.core.timeline import entry
from pagerline.models import Alert, AlertLogEntry, AlertSource, AlertStatus, Priority, PriorityRule

log = logging.getLogger(__name__)

RAISED = "PRIORITY_RAISED"


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


async def _stale_alerts(source_id: int, cutoff: datetime, batch_size: int) -> list[int]:
    """Open alerts of the source with no event after ``cutoff``, oldest first."""
    stale: list[int] = []
    after_id = 0
    while len(stale) < batch_size:
        candidates = list(
            await Alert.filter(source_id=source_id, status__in=OPEN_STATUSES, created_at__lte=cutoff, id__gt=after_id)
            .order_by("id")
            .limit(batch_size)
            .values_list("id", flat=True)
        )
        if not candidates:
            break
        recent = set(
            await AlertLogEntry.filter(alert_id__in=candidates, kind__in=EVENT_KINDS, at__gt=cutoff).values_list("alert_id", flat=True)
        )
        stale += [alert_id for alert_id in candidates if alert_id not in recent]
        after_id = candidates[-1]
    return stale[:batch_size]


async def auto_resolve_tick(now: datetime, batch_size: int = 200) -> int:
    """Resolve alerts that got no event for their source's auto-resolution timeout."""
    resolved = 0
    sources = await AlertSource.filter(auto_resolution_timeout_sec__isnull=False).values_list("id", "auto_resolution_timeout_sec")
    for source_id, timeout in sources:
        for alert_id in await _stale_alerts(source_id, now - timedelta(seconds=timeout), batch_size):
            await resolve_alert(alert_id, None, now, via=f"auto-resolution ({_duration(timeout)} without a new event)")
            resolved += 1
    return resolved


async def _raise_pending_low(source_id: int, reason: str, now: datetime, batch_size: int) -> int:
    raised = 0
    while True:
        async with unit_of_work() as effects:
            due = (
                await Alert.filter(source_id=source_id, status=AlertStatus.PENDING, priority=Priority.LOW)
                .order_by("id")
                .limit(batch_size)
                .select_for_update(skip_locked=True)
            )
            for alert in due:
                alert.priority = Priority.HIGH
                alert.updated_at = now
                # Pages the first level again, now with the users' HIGH rules, and escalates on.
                plan = await load_policy_plan(alert.policy_id) if alert.policy_id else None  # type: ignore[attr-defined]
                choice = await choose_level(plan, 0, 0, Priority.HIGH, now)
                set_escalation_state(alert, choice, now)
                entries = [entry(alert.id, RAISED, f"Priority raised to HIGH: {reason}", now)]
                entries += await apply_level(alert, choice, now, effects, announce=False)
                await alert.save(update_fields=["priority", "escalation_rule_index", "escalation_round", "next_escalation_at", "updated_at"])
                await AlertLogEntry.bulk_create(entries)
                effects.publish("alert", "UPDATED", alert_id=alert.id)
        raised += len(due)
        if len(due) < batch_size:
            return raised


async def auto_raise_tick(now: datetime, batch_size: int = 50) -> int:
    """Raise pending LOW alerts of auto-raising sources whose priority rule says HIGH now."""
    raised = 0
    sources = await AlertSource.filter(
        auto_raise_alerts=True,
        priority_rule__in=[PriorityRule.HIGH_DURING_SUPPORT_HOURS, PriorityRule.LOW_DURING_SUPPORT_HOURS],
        support_hours_id__isnull=False,
    ).select_related("support_hours")
    for source in sources:
        rule = source.priority_rule
        try:
            hours = in_support(support_hours_spec(source.support_hours), now)
        except ValueError:
            log.warning("support hours of source %s do not parse", source.id, exc_info=True)
            continue
        if rule_priority(rule, None, hours) is Priority.HIGH:
            why = "support hours started" if hours else "support hours ended"
            raised += await _raise_pending_low(source.id, why, now, batch_size)
    return raised


@dataclass(frozen=True, slots=True)
class SourceJobsReport:
    resolved: int
    raised: int
    heartbeats_overdue: int
    actions_delivered: int


async def run_source_jobs(now: datetime, ctx: DeliveryContext) -> SourceJobsReport:
    """Every job of this module, for the sweeper (which hands over its delivery context for the
    key that signs alert actions and the public URL)."""
    report = SourceJobsReport(
        resolved=await auto_resolve_tick(now),
        raised=await auto_raise_tick(now),
        heartbeats_overdue=await heartbeats.tick(now),
        actions_delivered=await alert_actions.deliver_due(now, alert_actions.ActionContext(ctx.signing_key, ctx.public_url)),
    )
    return report
