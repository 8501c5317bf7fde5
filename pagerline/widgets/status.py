"""The viewer's on-call state over time: pure functions on compiled schedules and rule routes.

What "on call" means here (the same in the feed's current state, its timeline and the
selection of policy levels):

- The viewer is *on call through a schedule* while the schedule's final shifts (layers,
  static shifts, overrides, coverage) put them on call.
- The viewer is *on call through a policy level* (``"<policy id>:<level>"``) while that
  escalation rule would page them: it names them directly (always), or names a schedule they
  are on call through.
- Without a level selection the viewer is on call when either list is non-empty. With one,
  only the selected levels count, and a schedule counts only through a selected level.

The state is the triple (on call, schedules, levels). It changes only where one of them
changes; back-to-back shifts that leave all three as they were (a rotation handing the viewer
to themselves, the viewer's own override on their own shift) are no change at all. A change of
*which* schedules or levels carry the viewer is a change even when they stay on call: the widget
shows them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pagerline.engine.schedules.math import CompiledSchedule
from pagerline.widgets.levels import LevelSelection

Interval = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class RuleRoute:
    """One escalation rule that can page the viewer: policy and level (1-based)."""

    policy_id: int
    level: int

    @property
    def key(self) -> str:
        return f"{self.policy_id}:{self.level}"


@dataclass(frozen=True, slots=True)
class Routes:
    """How escalation reaches the viewer: rules naming them, and rules naming each schedule."""

    direct: tuple[RuleRoute, ...] = ()
    by_schedule: Mapping[int, tuple[RuleRoute, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OnCallState:
    on_call: bool
    schedule_ids: tuple[int, ...]  # sorted
    levels: tuple[RuleRoute, ...]  # sorted by (policy, level)


@dataclass(frozen=True, slots=True)
class Run:
    """A stretch of one state: ``[start, end)``; ``end`` None when it lasts past the window."""

    start: datetime
    end: datetime | None
    state: OnCallState


def viewer_intervals(compiled: CompiledSchedule, viewer_id: int, lo: datetime, hi: datetime) -> list[Interval]:
    """Where the viewer is on call in one schedule within ``[lo, hi)``, touching pieces joined."""
    out: list[Interval] = []
    for shift in compiled.final_shifts(lo, hi):
        if shift.user_id != viewer_id:
            continue
        if out and out[-1][1] == shift.start:
            out[-1] = (out[-1][0], shift.end)
        else:
            out.append((shift.start, shift.end))
    return out


def state_of(schedules_on: Sequence[int], routes: Routes, selection: LevelSelection | None) -> OnCallState:
    def chosen(route: RuleRoute) -> bool:
        return selection is None or selection.matches(route.policy_id, route.level)

    levels = {r for r in routes.direct if chosen(r)}
    schedules: list[int] = []
    for sid in schedules_on:
        through = [r for r in routes.by_schedule.get(sid, ()) if chosen(r)]
        levels.update(through)
        if selection is None or through:
            schedules.append(sid)
    ordered = tuple(sorted(levels, key=lambda r: (r.policy_id, r.level)))
    on_call = bool(ordered) if selection is not None else bool(schedules or ordered)
    return OnCallState(on_call, tuple(sorted(schedules)), ordered)


def runs(
    intervals: Mapping[int, list[Interval]], routes: Routes, selection: LevelSelection | None, lo: datetime, hi: datetime
) -> list[Run]:
    """``[lo, hi)`` cut into runs of one state each; consecutive runs always differ."""
    cuts = sorted({lo, hi} | {t for spans in intervals.values() for span in spans for t in span if lo < t < hi})
    out: list[Run] = []
    # Spans are sorted and disjoint, cuts ascending: one cursor per schedule walks each list once.
    cursor = dict.fromkeys(intervals, 0)
    for start, end in zip(cuts, cuts[1:]):
        on = []
        for sid, spans in intervals.items():
            i = cursor[sid]
            while i < len(spans) and spans[i][1] <= start:
                i += 1
            cursor[sid] = i
            if i < len(spans) and spans[i][0] <= start:
                on.append(sid)
        state = state_of(on, routes, selection)
        if out and out[-1].state == state:
            out[-1] = Run(out[-1].start, end, state)
        else:
            out.append(Run(start, end, state))
    if out and out[-1].end == hi:
        out[-1] = Run(out[-1].start, None, out[-1].state)
    return out


def always_on_call(routes: Routes, selection: LevelSelection | None) -> bool:
    """A rule naming the viewer directly (and selected) pages them whatever the schedules say."""
    return any(selection is None or selection.matches(r.policy_id, r.level) for r in routes.direct)


@dataclass(frozen=True, slots=True)
class Stretch:
    """A continuous on-call period that may pass through several states (schedules changing
    hands while the viewer stays on call)."""

    start: datetime
    end: datetime | None  # None: not over within the window
    schedule_ids: tuple[int, ...]


def on_call_stretches(found: Sequence[Run]) -> list[Stretch]:
    out: list[Stretch] = []
    for run in found:
        if not run.state.on_call:
            continue
        if out and out[-1].end == run.start:
            merged = tuple(sorted(set(out[-1].schedule_ids) | set(run.state.schedule_ids)))
            out[-1] = Stretch(out[-1].start, run.end, merged)
        else:
            out.append(Stretch(run.start, run.end, run.state.schedule_ids))
    return out
