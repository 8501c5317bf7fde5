"""After an import: does pagerline put the same person on call as the old service did?

For each imported schedule, the instants to look at in ``[now, now + weeks)`` are ``now``, every
edge of pagerline's final shifts (from the schedule engine, as paging uses it) and every edge of
the old service's spans (PagerDuty's rendered final schedule, Opsgenie's on-call timeline). Between
two neighbouring instants neither side changes, so comparing who is on call at each instant
compares the whole window. Users are compared through the email match of the import.

A stretch where the old service has someone the import left out (no pagerline account, or a
deactivated one) is reported too, marked expected with the reason: it shows exactly when that
person's turns are uncovered in pagerline, which is what an admin needs to see before switching.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta

from pagerline.engine.schedules.math import compile_schedule
from pagerline.engine.schedules.oncall import load_schedule_specs
from pagerline.importers.model import ImportReader, OnCallSpan
from pagerline.importers.report import Difference, ImportMapping, ImportReport
from pagerline.models import User


@dataclass(slots=True)
class _Stretch:
    """A run of neighbouring instants with the same disagreement."""

    external_id: str
    name: str
    timezone: str
    start: datetime
    end: datetime
    ours: int | None  # pagerline user id
    theirs: str | None  # the old service's user id


def _old_user_at(spans: list[OnCallSpan], starts: list[datetime], at: datetime) -> str | None:
    """The old service's user at ``at``: the last span (in time order) that covers it."""
    for index in range(bisect_right(starts, at) - 1, -1, -1):
        span = spans[index]
        if span.start <= at < span.end:
            return span.user_id
    return None


async def compare_on_call(
    reader: ImportReader, report_or_mapping: ImportReport | ImportMapping, now: datetime, weeks: int = 4
) -> list[Difference]:
    """Every stretch of the next ``weeks`` where pagerline and the old service disagree on who is
    on call, per imported schedule (by name), in time order; an empty list means they agree."""
    mapping = report_or_mapping.mapping if isinstance(report_or_mapping, ImportReport) else report_or_mapping
    if mapping is None:
        raise ValueError("a dry run imports nothing, so there is nothing to compare")
    until = now + timedelta(weeks=weeks)
    schedules = sorted(mapping.schedules.items(), key=lambda item: (item[1].name, item[0]))
    specs = await load_schedule_specs([s.local_id for _, s in schedules], (now, until))
    local_of = dict(mapping.users)
    stretches: list[_Stretch] = []
    for external_id, schedule in schedules:
        spec = specs.get(schedule.local_id)
        if spec is None:
            continue  # deleted since the import
        compiled = compile_schedule(spec)
        spans = sorted(
            (s for s in await reader.on_call(external_id, now, until) if s.end > now and s.start < until),
            key=lambda s: s.start,
        )
        starts = [s.start for s in spans]
        instants = {now}
        for shift in compiled.final_shifts(now, until):
            instants.update((shift.start, shift.end))
        for span in spans:
            instants.update((span.start, span.end))
        ordered = sorted(t for t in instants if now <= t < until)
        for index, at in enumerate(ordered):
            end = ordered[index + 1] if index + 1 < len(ordered) else until
            ours = compiled.on_call(at)
            theirs = _old_user_at(spans, starts, at)
            if (theirs is None and ours is None) or (theirs is not None and theirs in local_of and local_of[theirs] == ours):
                continue
            last = stretches[-1] if stretches else None
            if last is not None and (last.external_id, last.end, last.ours, last.theirs) == (external_id, at, ours, theirs):
                last.end = end  # the same disagreement goes on
            else:
                stretches.append(_Stretch(external_id, schedule.name, schedule.timezone, at, end, ours, theirs))
    emails = {
        u["id"]: u["email"]
        for u in await User.filter(id__in=sorted({d.ours for d in stretches if d.ours is not None})).values("id", "email")
    }

    def expected(theirs: str | None) -> str | None:
        if theirs is None:
            return None
        if theirs in mapping.missing_users:
            return f"{mapping.emails.get(theirs, theirs)} has no pagerline account and was left out"
        local = local_of.get(theirs)
        if local is not None and local in mapping.inactive_users:
            return f"{mapping.emails.get(theirs, theirs)} is deactivated in pagerline"
        return None

    return [
        Difference(
            schedule_external_id=d.external_id,
            schedule_name=d.name,
            timezone=d.timezone,
            start=d.start,
            end=d.end,
            pagerline_user=emails.get(d.ours, f"user {d.ours}") if d.ours is not None else None,
            old_user=mapping.emails.get(d.theirs, f"user {d.theirs}") if d.theirs is not None else None,
            expected=expected(d.theirs),
        )
        for d in stretches
    ]
