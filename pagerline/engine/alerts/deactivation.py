"""Deactivating and reactivating people, with what it does to schedules and escalation.

:func:`set_active` is the one way: the account change itself (``engine.people.activity``), then
the on-call pushes and widget refreshes for whoever starts or stops being on call because of it
(``engine.schedules.oncall_changes.absence_changed``).

:func:`deactivation_impact` says beforehand what deactivating would leave uncovered. It is
computed by the same schedule code that answers ``shifts`` and escalation, twice: with the user
counting and with the user absent (``ScheduleSpec.absent``, exactly what deactivation does). A
gap is a stretch of the window that had someone on call with the user and has nobody without
them; a policy level is left empty when it names the user and no other active user and no
schedule. It reads only, so it can be asked about an active user (before deactivating) or an
inactive one (what reactivating would restore).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from pagerline.engine.core.errors import BadInput, NotFound
from pagerline.engine.people import activity
from pagerline.engine.people.accounts import Viewer
from pagerline.engine.people.roles import require_admin
from pagerline.engine.schedules import oncall_changes
from pagerline.engine.schedules.calendars import schedules_naming
from pagerline.engine.schedules.math import CompiledSchedule, ScheduleSpec
from pagerline.engine.schedules.oncall import load_schedules
from pagerline.models import EscalationRule, Schedule, User

MIN_DAYS, MAX_DAYS = 1, 56
# Schedules name a user from now on: a layer that has not ended, an override or static shift
# that is not over. ``schedules_naming`` wants an end; this one is beyond any stored instant.
_FOREVER = datetime(9999, 12, 31, tzinfo=UTC)


async def set_active(viewer: Viewer, user_id: int, active: bool, now: datetime) -> User:
    """Admins: deactivate (``active`` false) or reactivate a user; doing it again changes
    nothing and announces nothing."""
    user, changed = await activity.set_active(viewer, user_id, active, now)
    if changed:
        await oncall_changes.absence_changed(user.id, now, absent=not active)
    return user


@dataclass(frozen=True, slots=True)
class CoverageGap:
    schedule_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class EmptyLevel:
    policy_id: int
    position: int  # the rule's position, as EscalationPolicy.rules shows it


@dataclass(frozen=True, slots=True)
class DeactivationImpact:
    user: User
    gaps: list[CoverageGap]
    empty_levels: list[EmptyLevel]
    schedules: list[Schedule]  # those naming the user, by name


async def deactivation_impact(viewer: Viewer, user_id: int, start: datetime, days: int) -> DeactivationImpact:
    """Admins: the gaps in ``[start, start + days)`` per schedule, the policy levels left with
    nobody, and the schedules that name the user."""
    require_admin(viewer, "see what deactivating a user changes")
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise BadInput(f"days must be {MIN_DAYS} to {MAX_DAYS}", field="days")
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound("User not found")
    until = start + timedelta(days=days)
    schedule_ids = await schedules_naming(user.id, start, _FOREVER)
    schedules = await Schedule.filter(id__in=schedule_ids).order_by("name", "id")
    loaded = await load_schedules(schedule_ids, (start, until)) if schedule_ids else {}
    gaps = [
        CoverageGap(s.id, gap_start, gap_end)
        for s in schedules
        if s.id in loaded
        for gap_start, gap_end in uncovered_without(loaded[s.id].spec, user.id, start, until)
    ]
    return DeactivationImpact(user, gaps, await _emptied_levels(user.id), list(schedules))


def uncovered_without(spec: ScheduleSpec, user_id: int, start: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """The stretches of ``[start, until)`` that have someone on call while ``user_id`` counts
    and nobody once they do not: sorted, disjoint, touching stretches merged."""
    with_user = CompiledSchedule(replace(spec, absent=spec.absent - {user_id}))
    without = CompiledSchedule(replace(spec, absent=spec.absent | {user_id}))
    covered = _merged((s.start, s.end) for s in with_user.final_shifts(start, until))
    still = _merged((s.start, s.end) for s in without.final_shifts(start, until))
    return _minus(covered, still)


def _merged(pieces: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for s, e in sorted(pieces):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _minus(a: list[tuple[datetime, datetime]], b: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Sorted, disjoint intervals ``a`` without the sorted, disjoint intervals ``b``."""
    out: list[tuple[datetime, datetime]] = []
    j = 0
    for s, e in a:
        cursor = s
        while j < len(b) and b[j][1] <= cursor:
            j += 1
        k = j
        while k < len(b) and b[k][0] < e:
            if b[k][0] > cursor:
                out.append((cursor, b[k][0]))
            cursor = max(cursor, b[k][1])
            k += 1
        if cursor < e:
            out.append((cursor, e))
    return _merged(out)


async def _emptied_levels(user_id: int) -> list[EmptyLevel]:
    """Rules naming the user that name no other active user and no schedule."""
    rules = await EscalationRule.filter(users__id=user_id).distinct().prefetch_related("users", "schedules").order_by("policy_id", "position")
    return [
        EmptyLevel(rule.policy_id, rule.position)  # type: ignore[attr-defined]
        for rule in rules
        if not any(u.active and u.id != user_id for u in rule.users) and not list(rule.schedules)
    ]
