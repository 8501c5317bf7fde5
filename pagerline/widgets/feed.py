"""The on-call home-screen widget feed: one engine function, served as ``GET /api/widget`` and
as the GraphQL field ``widget`` with the same document.

A widget renders without waking its app (iOS WidgetKit, Android Glance), so the feed carries
its own future: ``timeline`` lists every change of the viewer's on-call state in the next 48
hours, each with the state from then on, and the widget shows the right entry offline.

What the document says (all instants absolute, UTC, ISO 8601):

- ``onCall`` and ``through`` (``schedules`` ids, ``levels`` as ``"<policy id>:<level>"``): the
  state now; :mod:`pagerline.widgets.status` defines it.
- ``shift``: while on call, ``endsAt`` (the end of the continuous on-call stretch, however many
  schedules hand the viewer on; null when it does not end within 31 days or a rule names the
  viewer directly) and ``secondsLeft``. Null while not on call.
- ``nextShift``: the next on-call stretch after the current one (or from now): ``startsAt``,
  ``endsAt``.
- ``alerts``: open alerts by status and priority that the viewer is responsible for: alerts of
  the escalation policies in ``through.levels`` (the policies that would page the viewer now),
  plus the alerts the viewer accepted and has not resolved.
- ``mutedUntil``: while the viewer's notifications are muted.
- ``timeline``: ``{at, onCall, through}`` at every change in ``(now, now + 48 h]``.
- ``refreshAfter`` (seconds): the first timeline change, the end of a mute, or 15 minutes,
  whichever comes first. ``Cache-Control: max-age`` says the same.
- ``coverage``: deep links to ask for coverage of the current stretch (from now to its end) or
  else the next one: ``pagerline://coverage/request?...`` for the app, and the same request
  under ``PAGERLINE_PUBLIC_URL`` for the browser.
- ``schedules`` and ``policies``: names of the ids used above; ``levels``: the level selection
  in force (see :mod:`pagerline.widgets.levels`), or null.

``generatedAt``, ``refreshAfter`` and ``shift.secondsLeft`` change with the clock; everything
else changes only when something the widget shows changes. The ETag is a hash of everything
else, so a widget polling with ``If-None-Match`` gets 304 until then.

Reads: three statements (involvement, the viewer's schedules, the alert counts), whatever the
number of schedules.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from pagerline.engine.schedules.oncall import LoadedSchedule, load_schedules
from pagerline.engine.schedules.math import CompiledSchedule, compile_schedule
from pagerline.models import User
from pagerline.widgets.levels import LevelSelection
from pagerline.widgets.queries import AlertCounts, load_involvement, open_alert_counts
from pagerline.widgets.status import (
    OnCallState,
    Run,
    Stretch,
    always_on_call,
    on_call_stretches,
    runs,
    viewer_intervals,
)

log = logging.getLogger(__name__)

TIMELINE_HORIZON = timedelta(hours=48)
# How far the feed looks for the end of the current stretch and the next one: the timeline's
# two days first, further only when those do not settle it.
SEARCH_SPANS = (timedelta(days=2), timedelta(days=7), timedelta(days=31))
LOOKAHEAD = SEARCH_SPANS[-1]
REFRESH_CAP = timedelta(minutes=15)
VOLATILE = ("generatedAt", "refreshAfter")  # and shift.secondsLeft


@dataclass(frozen=True, slots=True)
class NextShift:
    starts_at: datetime
    ends_at: datetime | None


@dataclass(frozen=True, slots=True)
class CoverageLinks:
    app: str
    web: str


@dataclass(frozen=True, slots=True)
class WidgetFeed:
    generated_at: datetime
    state: OnCallState
    shift_ends_at: datetime | None
    next_shift: NextShift | None
    alerts: AlertCounts
    muted_until: datetime | None
    timeline: tuple[Run, ...]  # each run's start is a change; its state holds from then on
    refresh_at: datetime
    coverage: CoverageLinks | None
    schedule_names: dict[int, str]
    policy_names: dict[int, str]
    levels: tuple[str, ...] | None

    @property
    def seconds_left(self) -> int | None:
        if not self.state.on_call or self.shift_ends_at is None:
            return None
        return max(0, int((self.shift_ends_at - self.generated_at).total_seconds()))

    @property
    def refresh_after(self) -> int:
        return max(1, int((self.refresh_at - self.generated_at).total_seconds()))


# --------------------------------------------------------------------------- building


def _compiled(loaded: dict[int, LoadedSchedule]) -> dict[int, CompiledSchedule]:
    out: dict[int, CompiledSchedule] = {}
    for sid, schedule in loaded.items():
        try:
            out[sid] = compile_schedule(schedule.spec)
        except ValueError:  # a bad zone or rotation in the database: leave that schedule out
            log.warning("schedule %s cannot be computed; left out of the widget feed", sid, exc_info=True)
    return out


def _settled(found: list[Run], stretches: list[Stretch], always: bool) -> bool:
    """Does this window tell when the current stretch ends and when (to when) the next runs?"""
    if always:
        return True
    wanted = 2 if found[0].state.on_call else 1
    return len(stretches) >= wanted and all(s.end is not None for s in stretches[:wanted])


def _iso_z(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def coverage_links(public_url: str, stretch: Stretch, from_now: bool) -> CoverageLinks | None:
    """Links that open a coverage request for ``stretch``; the current one is asked "from now"
    (a request must start in the future to be accepted), so it carries no start."""
    if not stretch.schedule_ids:
        return None  # on call only through a rule naming the viewer: no shift to hand over
    query: dict[str, str] = {}
    if not from_now:
        query["start"] = _iso_z(stretch.start)
    if stretch.end is not None:
        query["end"] = _iso_z(stretch.end)
    query["schedules"] = ",".join(str(s) for s in stretch.schedule_ids)
    encoded = urlencode(query, safe=":,")
    return CoverageLinks(
        app=f"pagerline://coverage/request?{encoded}", web=f"{public_url.rstrip('/')}/#/coverage/request?{encoded}"
    )


async def build_feed(user: User, now: datetime, *, public_url: str, levels: LevelSelection | None = None) -> WidgetFeed:
    """The feed for ``user`` at ``now``. Three statements; the rest is schedule math."""
    involvement = await load_involvement(user.id, now, now + LOOKAHEAD)
    loaded = await load_schedules(list(involvement.schedule_ids), (now, now + LOOKAHEAD)) if involvement.schedule_ids else {}
    compiled = _compiled(loaded)
    always = always_on_call(involvement.routes, levels)

    for span in SEARCH_SPANS:
        hi = now + span
        intervals = {sid: viewer_intervals(c, user.id, now, hi) for sid, c in compiled.items()}
        found = runs(intervals, involvement.routes, levels, now, hi)
        stretches = on_call_stretches(found)
        if _settled(found, stretches, always):
            break

    current = found[0].state
    upcoming = stretches[1:] if current.on_call else stretches
    next_shift = NextShift(upcoming[0].start, upcoming[0].end) if upcoming else None
    timeline = tuple(r for r in found[1:] if r.start <= now + TIMELINE_HORIZON)
    muted_until = user.muted_until if user.muted_until is not None and user.muted_until > now else None
    refresh_at = min([now + REFRESH_CAP] + [r.start for r in found[1:2]] + ([muted_until] if muted_until else []))
    if current.on_call:
        coverage = coverage_links(public_url, stretches[0], from_now=True)
    else:
        coverage = coverage_links(public_url, upcoming[0], from_now=False) if upcoming else None

    alerts = await open_alert_counts(user.id, sorted({r.policy_id for r in current.levels}))
    return WidgetFeed(
        generated_at=now,
        state=current,
        shift_ends_at=None if always or not current.on_call else stretches[0].end,
        next_shift=None if always else next_shift,
        alerts=alerts,
        muted_until=muted_until,
        timeline=timeline,
        refresh_at=refresh_at,
        coverage=coverage,
        schedule_names={sid: s.name for sid, s in loaded.items()},
        policy_names=involvement.policy_names,
        levels=levels.canonical() if levels is not None else None,
    )


# --------------------------------------------------------------------------- the document


def iso(at: datetime | None) -> str | None:
    """UTC ISO 8601 as GraphQL's DateTime writes it, so both adapters print the same text."""
    return at.astimezone(UTC).isoformat() if at is not None else None


def _through(state: OnCallState) -> dict[str, Any]:
    return {"schedules": [str(s) for s in state.schedule_ids], "levels": [r.key for r in state.levels]}


def document(feed: WidgetFeed) -> dict[str, Any]:
    """The feed as JSON-ready data, keys as the GraphQL field names."""
    states = [feed.state, *(r.state for r in feed.timeline)]
    used_schedules = sorted({s for state in states for s in state.schedule_ids})
    used_policies = sorted({r.policy_id for state in states for r in state.levels})
    return {
        "generatedAt": iso(feed.generated_at),
        "onCall": feed.state.on_call,
        "through": _through(feed.state),
        "shift": {"endsAt": iso(feed.shift_ends_at), "secondsLeft": feed.seconds_left} if feed.state.on_call else None,
        "nextShift": {"startsAt": iso(feed.next_shift.starts_at), "endsAt": iso(feed.next_shift.ends_at)}
        if feed.next_shift
        else None,
        "alerts": {
            "pending": {"high": feed.alerts.pending_high, "low": feed.alerts.pending_low},
            "accepted": {"high": feed.alerts.accepted_high, "low": feed.alerts.accepted_low},
        },
        "mutedUntil": iso(feed.muted_until),
        "timeline": [{"at": iso(r.start), "onCall": r.state.on_call, "through": _through(r.state)} for r in feed.timeline],
        "refreshAfter": feed.refresh_after,
        "coverage": {"app": feed.coverage.app, "web": feed.coverage.web} if feed.coverage else None,
        "schedules": [{"id": str(s), "name": feed.schedule_names.get(s, "")} for s in used_schedules],
        "policies": [{"id": str(p), "name": feed.policy_names.get(p, "")} for p in used_policies],
        "levels": list(feed.levels) if feed.levels is not None else None,
    }


def stable_part(doc: dict[str, Any]) -> dict[str, Any]:
    """The document without what changes with the clock alone."""
    stable = {k: v for k, v in doc.items() if k not in VOLATILE}
    if stable.get("shift"):
        stable["shift"] = {k: v for k, v in stable["shift"].items() if k != "secondsLeft"}
    return stable


def etag(doc: dict[str, Any]) -> str:
    """A weak validator (the bytes differ in the volatile fields): equal while the widget would
    show the same thing."""
    canonical = json.dumps(stable_part(doc), separators=(",", ":"), sort_keys=True)
    return 'W/"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


def compact_json(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
