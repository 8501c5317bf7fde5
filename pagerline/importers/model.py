"""What an importer reads from another on-call service, in terms pagerline can apply.

Each service's reader (:mod:`pagerline.importers.pagerduty`, :mod:`pagerline.importers.opsgenie`)
fetches through that service's REST API and translates into these plain values; one applier
(:mod:`pagerline.importers.apply`) turns them into pagerline's users, teams, schedules, policies
and sources, and one checker (:mod:`pagerline.importers.compare`) compares who is on call. So
the rules for matching, idempotence, dry runs and reporting exist once.

Ids are the other service's ids (strings). Times are aware datetimes. Whatever a reader cannot
express here it reports as :class:`LeftOut`, with why, instead of importing it half right.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol


@dataclass(frozen=True, slots=True)
class ImportUser:
    external_id: str
    name: str
    email: str  # matched to a pagerline user, case-insensitively; never created from an import
    time_zone: str | None = None


@dataclass(frozen=True, slots=True)
class ImportTeam:
    external_id: str
    name: str
    member_ids: tuple[str, ...] = ()  # external user ids


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """When a layer is on, in the schedule's time zone: from ``start_day`` ``start_time`` to
    ``end_day`` ``end_time`` (days 0 = Monday … 6 = Sunday; times "HH:MM"), as pagerline's
    layer restrictions are written. A daily restriction is seven of these."""

    start_day: int
    start_time: str
    end_day: int
    end_time: str


@dataclass(frozen=True, slots=True)
class ImportLayer:
    """A rotation. ``start``: an instant at which a turn begins (the first user's), from which
    every turn of ``turn_seconds`` follows (as wall-clock time in the schedule's zone across
    daylight saving, as both services hand off). ``user_ids``: in rotation order."""

    external_id: str
    name: str
    start: datetime
    turn_seconds: int
    user_ids: tuple[str, ...]
    end: datetime | None = None
    restrictions: tuple[WeeklyWindow, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportOverride:
    external_id: str
    user_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class ImportSchedule:
    """``layers``: lowest first; where layers overlap the later one wins (as PagerDuty's top
    layer and Opsgenie's last rotation do)."""

    external_id: str
    name: str
    time_zone: str
    layers: tuple[ImportLayer, ...]
    overrides: tuple[ImportOverride, ...] = ()
    team_id: str | None = None


@dataclass(frozen=True, slots=True)
class ImportTarget:
    kind: Literal["user", "schedule"]
    external_id: str


@dataclass(frozen=True, slots=True)
class ImportRule:
    """One level: its targets are notified, and after ``delay_minutes`` the next level is."""

    delay_minutes: int
    targets: tuple[ImportTarget, ...]


@dataclass(frozen=True, slots=True)
class ImportPolicy:
    """``loops``: how many times the levels run in all (1: once, no repeat)."""

    external_id: str
    name: str
    rules: tuple[ImportRule, ...]
    loops: int = 1
    team_id: str | None = None


@dataclass(frozen=True, slots=True)
class ImportIntegration:
    """How alerts reached the old service. ``kind``: which pagerline intake takes them over,
    ``events`` (PagerDuty Events API v2 or Opsgenie Alert API: pagerline's compatible route),
    ``email``, ``alertmanager``, ``grafana`` or ``api``."""

    external_id: str
    name: str
    kind: Literal["pagerduty", "opsgenie", "email", "alertmanager", "grafana", "api"]
    old_address: str = ""  # the old URL or email address, for the table of what to change


@dataclass(frozen=True, slots=True)
class ImportService:
    """A service (PagerDuty) or an integration's routing (Opsgenie): alerts of its integrations
    go to ``policy_id``. Each integration becomes an alert source with a new key."""

    external_id: str
    name: str
    policy_id: str
    integrations: tuple[ImportIntegration, ...]
    team_id: str | None = None


@dataclass(frozen=True, slots=True)
class LeftOut:
    kind: str  # user, team, schedule, layer, override, policy, rule, service, integration, …
    external_id: str
    name: str
    why: str


@dataclass(frozen=True, slots=True)
class ImportBundle:
    system: Literal["pagerduty", "opsgenie"]
    users: tuple[ImportUser, ...] = ()
    teams: tuple[ImportTeam, ...] = ()
    schedules: tuple[ImportSchedule, ...] = ()
    policies: tuple[ImportPolicy, ...] = ()
    services: tuple[ImportService, ...] = ()
    left_out: tuple[LeftOut, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class OnCallSpan:
    """Who the old service says is on call from ``start`` to ``end`` (an external user id;
    None: nobody)."""

    start: datetime
    end: datetime
    user_id: str | None


class ImportReader(Protocol):
    """One service's REST API, read."""

    system: Literal["pagerduty", "opsgenie"]

    async def read(self) -> ImportBundle:
        """Everything the import takes, translated; what it cannot take, in ``left_out``."""
        ...

    async def on_call(self, schedule_id: str, since: datetime, until: datetime) -> list[OnCallSpan]:
        """Who the service itself says is on call for the schedule (PagerDuty: the rendered
        final schedule; Opsgenie: the on-call timeline), in time order."""
        ...

    async def close(self) -> None: ...


class ImportSourceError(Exception):
    """The other service refused or could not be read (bad key, unreachable, unexpected
    answer): the import stops before changing anything, and the message says why."""
