"""Planning an import: what the bundle means for pagerline as it is now.

:func:`make_plan` reads pagerline's current rows (the ``imported_refs`` of earlier runs, the
users by email, teams by name) and decides, for every thing in the bundle, one of: create it,
change what differs, leave it (equal), or leave it out (and why). The result is the list of
steps to run and the report's lines, both made here and nowhere else, so a dry run (which runs
the steps and rolls back) and a real run cannot tell different stories.

The rules where the old services and pagerline differ are written down next to the code that
applies them: users are never created; someone without a pagerline account is taken out of
what names them (their turns in a rotation go to whoever has the turn before, so everyone
else's turns stay where they were; a level that names nobody else is dropped and its delay kept);
values pagerline does not allow are clamped and said so.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pagerline.engine.alerts.policies import MAX_RULES, MAX_TIMEOUT_MINUTES
from pagerline.engine.schedules.editing import MAX_RESTRICTIONS, LayerInput, Restriction, restrictions_of
from pagerline.engine.schedules.math import Layer, ScheduleSpec, WeeklyWindow as MathWindow, layer_shifts
from pagerline.importers.model import (
    ImportBundle,
    ImportIntegration,
    ImportLayer,
    ImportPolicy,
    ImportSchedule,
    ImportService,
    ImportTeam,
    WeeklyWindow,
)
from pagerline.importers.report import ReportLine, system_name
from pagerline.importers.steps import (
    CreatePolicy,
    CreateSchedule,
    CreateSource,
    CreateTeam,
    DeleteOverride,
    Local,
    PlannedRule,
    PutOverride,
    Ref,
    Step,
    UpdatePolicy,
    UpdateSchedule,
    UpdateSource,
    UpdateTeam,
)
from pagerline.models import (
    AlertSource,
    EscalationPolicy,
    EscalationRule,
    ImportedRef,
    IntegrationType,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
    Team,
    User,
)

INTEGRATION_TYPES: dict[str, IntegrationType] = {
    "pagerduty": IntegrationType.PAGERDUTY,
    "opsgenie": IntegrationType.OPSGENIE,
    "email": IntegrationType.EMAIL,
    "alertmanager": IntegrationType.ALERTMANAGER,
    "grafana": IntegrationType.GRAFANA,
    "api": IntegrationType.API,
}
MAX_FREQUENCY = 9  # a repeating policy runs its levels 1 + frequency times (engine/alerts/escalation.py)
MAX_RUNS = 1 + MAX_FREQUENCY
# How far ahead an Opsgenie import looks for rotations that overlap (Opsgenie pages both).
OVERLAP_HORIZON = timedelta(weeks=13)
_NAME_LIMIT = 200
MATCHES_SHOWN = 20  # matched users named in the report's line about them


@dataclass(frozen=True, slots=True)
class PlannedIntegration:
    """A row of the integration table; ``created``: it gets a new key in this run."""

    external_id: str
    service: str
    integration: str
    integration_type: IntegrationType
    old_address: str
    created: bool


@dataclass(slots=True)
class Plan:
    steps: list[Step] = field(default_factory=list)
    known_ids: dict[tuple[str, str], int] = field(default_factory=dict)  # what exists already
    created: list[ReportLine] = field(default_factory=list)
    changed: list[ReportLine] = field(default_factory=list)
    unchanged: list[ReportLine] = field(default_factory=list)
    left_out: list[ReportLine] = field(default_factory=list)
    integrations: list[PlannedIntegration] = field(default_factory=list)
    schedules: dict[str, tuple[Local, str, str]] = field(default_factory=dict)  # ext → (id, name, zone)
    users: dict[str, int] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    missing_users: set[str] = field(default_factory=set)
    inactive_users: set[int] = field(default_factory=set)


# ------------------------------------------------------------------------------------ helpers


def rotation_text(seconds: int) -> str:
    """A turn length as the ISO-8601 duration a pagerline layer stores: whole days as ``P{n}D``
    (handed off at the same wall-clock time every day, across daylight saving), else hours,
    minutes or seconds."""
    if seconds % 86400 == 0:
        return f"P{seconds // 86400}D"
    if seconds % 3600 == 0:
        return f"PT{seconds // 3600}H"
    if seconds % 60 == 0:
        return f"PT{seconds // 60}M"
    return f"PT{seconds}S"


# What PostgreSQL cannot store (NUL, lone surrogates): names are taken as they come, so the
# import drops these instead of refusing a whole account for one odd character.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _clean_name(name: str, fallback: str) -> str:
    """A name as pagerline keeps it: storable, whitespace collapsed, at most 200 characters."""
    cleaned = " ".join(_UNSTORABLE.sub("", name).split())
    return (cleaned or fallback)[:_NAME_LIMIT]


_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::00)?")


def _clock(text: str) -> tuple[int, int] | None:
    match = _CLOCK.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if minute > 59 or hour > 24 or (hour == 24 and minute != 0):
        return None
    return hour, minute


def restrictions(windows: tuple[WeeklyWindow, ...]) -> tuple[list[Restriction], str | None]:
    """The windows as pagerline restrictions, or why they cannot be. A window that covers the
    whole week (it starts where it ends, as a 168-hour PagerDuty restriction does) means the
    layer is not restricted at all; an end at 24:00 is the next day's 00:00."""
    out: list[Restriction] = []
    for number, window in enumerate(windows, start=1):
        days = (window.start_day, window.end_day)
        if any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in days):
            return [], f"restriction {number} names a day that is not Monday to Sunday ({days})"
        start, end = _clock(window.start_time), _clock(window.end_time)
        if start is None or end is None or start[0] == 24:
            return [], f"restriction {number} has a time pagerline cannot read ({window.start_time}-{window.end_time})"
        end_day = window.end_day
        if end[0] == 24:
            end, end_day = (0, 0), (end_day + 1) % 7
        if (window.start_day, start) == (end_day, end):
            return [], None  # the whole week: no restriction
        out.append(Restriction(window.start_day, f"{start[0]:02d}:{start[1]:02d}", end_day, f"{end[0]:02d}:{end[1]:02d}"))
    if len(out) > MAX_RESTRICTIONS:
        return [], f"it has {len(out)} restriction windows; pagerline takes at most {MAX_RESTRICTIONS} per layer"
    return out, None


def covered_turns(users: list[int | None]) -> tuple[list[int], list[int]]:
    """A rotation's users with each missing one (None) replaced by whoever has the turn before
    (cyclically), and the positions replaced.

    pagerline cannot leave one person's turns of a rotation uncovered (only a deactivated
    account's) and an import never creates users. Taking the person out would hand their turns
    to the next one and move every later turn of everyone; giving their turn to the one before
    keeps the rotation's length and everyone else's turns where they were, so the on-call check
    differs exactly at the missing person's turns. At least one user must be present."""
    present = [u for u in users if u is not None]
    if not present:
        raise ValueError("a rotation needs at least one user with a pagerline account")
    out: list[int] = []
    handed: list[int] = []
    last = next(u for u in reversed(users) if u is not None)  # the turn before the first is the last
    for index, user in enumerate(users):
        if user is None:
            handed.append(index)
            out.append(last)
        else:
            out.append(user)
            last = user
    return out, handed


def _math_windows(items: list[Restriction]) -> tuple[MathWindow, ...]:
    return tuple(
        MathWindow(r.start_day, time.fromisoformat(r.start_time), r.end_day, time.fromisoformat(r.end_time)) for r in items
    )


def _layer_key(layer: LayerInput) -> tuple[object, ...]:
    return (layer.starts_on, layer.ends_on, layer.rotation, tuple(layer.user_ids), tuple(layer.restrictions))


def _row_key(row: ScheduleLayer) -> tuple[object, ...]:
    return (row.starts_on, row.ends_on, row.rotation, tuple(int(u) for u in row.user_ids), tuple(restrictions_of(row)))


def _differs(planned: Local | None, current: int | None) -> bool:
    """Whether a planned reference (an id, or something this run creates) is not ``current``."""
    return isinstance(planned, Ref) or planned != current


def _when(at: datetime, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


# ------------------------------------------------------------------------------------ planner


class _Planner:
    def __init__(self, bundle: ImportBundle, now: datetime) -> None:
        self.bundle = bundle
        self.now = now
        self.system = bundle.system
        self.name = system_name(bundle.system)
        self.plan = Plan()
        self.refs: dict[tuple[str, str], int] = {}
        self.team_ids: dict[str, Local] = {}
        self.schedule_ids: dict[str, Local] = {}
        self.schedule_why: dict[str, str] = {}
        self.policy_ids: dict[str, Local] = {}
        self.policy_teams: dict[str, Local | None] = {}
        self.policy_why: dict[str, str] = {}

    # ------------------------------------------------------------------ users

    def user_label(self, external_id: str) -> str:
        return self.plan.emails.get(external_id) or f"user {external_id}"

    async def match_users(self) -> None:
        wanted = {u.email.strip().lower() for u in self.bundle.users if u.email.strip()}
        found = {row.email: row for row in await User.filter(email__in=sorted(wanted))} if wanted else {}
        matched: list[str] = []
        for user in self.bundle.users:
            email = user.email.strip().lower()
            self.plan.emails[user.external_id] = email or user.external_id
            row = found.get(email)
            if row is None:
                self.plan.missing_users.add(user.external_id)
                why = (
                    f"no pagerline user with email {email} — invite them first"
                    if email
                    else f"{self.name} gives no email for them, so no pagerline user can be matched"
                )
                self.plan.left_out.append(ReportLine("user", user.name or email, why, user.external_id))
                continue
            self.plan.users[user.external_id] = row.id
            matched.append(email)
            if not row.active:
                self.plan.inactive_users.add(row.id)
                self.plan.left_out.append(ReportLine(
                    "user", user.name or email,
                    f"pagerline user {email} is deactivated: kept where they are named, but their turns stay uncovered "
                    "and they are not paged until an admin reactivates them (their overrides are left out)",
                    user.external_id,
                ))
        if matched:
            shown = sorted(matched)[:MATCHES_SHOWN] + ([f"and {len(matched) - MATCHES_SHOWN} more"] if len(matched) > MATCHES_SHOWN else [])
            self.plan.unchanged.append(ReportLine(
                "users", "", f"{len(matched)} matched to pagerline users by email ({', '.join(shown)}); users are never created by an import"
            ))

    def local_user(self, external_id: str) -> int | None:
        """The pagerline user of an external user id; an id the reader did not list is missing."""
        if external_id not in self.plan.users and external_id not in self.plan.emails:
            self.plan.emails[external_id] = f"user {external_id}"
            self.plan.missing_users.add(external_id)
            self.plan.left_out.append(ReportLine("user", external_id, f"named, but not among the users read from {self.name}", external_id))
        return self.plan.users.get(external_id)

    # ------------------------------------------------------------------ refs

    async def load_refs(self) -> None:
        rows = await ImportedRef.filter(system=self.system).values("kind", "external_id", "local_id")
        self.refs = {(r["kind"], r["external_id"]): int(r["local_id"]) for r in rows}

    def ref(self, kind: str, external_id: str) -> int | None:
        return self.refs.get((kind, external_id))

    def known(self, kind: str, external_id: str, local_id: int) -> int:
        self.plan.known_ids[(kind, external_id)] = local_id
        return local_id

    def gone(self, kind: str, seen: set[str], names: dict[int, str], label: str) -> None:
        """Things imported earlier that the old service no longer has: left as they are."""
        for (ref_kind, external_id), local_id in sorted(self.refs.items()):
            if ref_kind == kind and external_id not in seen and local_id in names:
                self.plan.unchanged.append(ReportLine(
                    label, names[local_id], f"no longer in {self.name}: left as it is (delete it in pagerline if it is not needed)", external_id
                ))

    # ------------------------------------------------------------------ teams

    async def teams(self) -> None:
        by_id = {t.id: t for t in await Team.filter(id__in=[i for (k, _), i in self.refs.items() if k == "team"])}
        by_name = {t.name: t for t in await Team.filter(name__in=[_clean_name(t.name, t.external_id) for t in self.bundle.teams])}
        for team in self.bundle.teams:
            await self._team(team, by_id, by_name)
        self.gone("team", {t.external_id for t in self.bundle.teams}, {i: t.name for i, t in by_id.items()}, "team")

    async def _team(self, team: ImportTeam, by_id: dict[int, Team], by_name: dict[str, Team]) -> None:
        name = _clean_name(team.name, f"{self.name} team {team.external_id}")
        members = sorted({u for u in (self.local_user(m) for m in team.member_ids) if u is not None})
        without = sorted(self.user_label(m) for m in team.member_ids if m in self.plan.missing_users)
        note = f"; without {', '.join(without)} (no pagerline user)" if without else ""
        ref = self.ref("team", team.external_id)
        existing = by_id.get(ref) if ref is not None else None
        link = False
        if existing is None and name in by_name:
            existing, link = by_name[name], True
        if existing is None:
            self.plan.steps.append(CreateTeam(team.external_id, name, tuple(members)))
            self.team_ids[team.external_id] = Ref("team", team.external_id)
            shown = ", ".join(self.plan_email(u) for u in members) or "none"
            self.plan.created.append(ReportLine("team", name, f"members: {shown}{note}", team.external_id))
            return
        self.team_ids[team.external_id] = self.known("team", team.external_id, existing.id)
        current = set(await existing.members.all().values_list("id", flat=True))
        add = tuple(u for u in members if u not in current)
        rename = name if name != existing.name else None
        if rename is not None and await Team.filter(name=name).exclude(id=existing.id).exists():
            self.plan.left_out.append(ReportLine(
                "team", existing.name, f"renamed to '{name}' in {self.name}, but another pagerline team has that name: kept as it is", team.external_id
            ))
            rename = None
        changes = []
        if link:
            changes.append("linked to the pagerline team of the same name")
        if rename is not None:
            changes.append(f"renamed from '{existing.name}'")
        if add:
            changes.append("members added: " + ", ".join(self.plan_email(u) for u in add))
        if not changes:
            self.plan.unchanged.append(ReportLine("team", existing.name, note.lstrip("; "), team.external_id))
            return
        self.plan.steps.append(UpdateTeam(team.external_id, existing.id, rename, add, link))
        self.plan.changed.append(ReportLine("team", name, "; ".join(changes) + note, team.external_id))

    def plan_email(self, user_id: int) -> str:
        """The email of a matched pagerline user."""
        return next((self.plan.emails[e] for e, local in self.plan.users.items() if local == user_id), f"user {user_id}")

    # ------------------------------------------------------------------ schedules

    def layers(self, schedule: ImportSchedule) -> list[LayerInput]:
        """The schedule's layers as pagerline layers, lowest first; what cannot be taken is
        reported. pagerline's semantics match PagerDuty's: one person on call at a time, a later
        layer wins where it covers, restrictions cut a turn without moving the rotation."""
        out: list[LayerInput] = []
        imported: list[tuple[ImportLayer, list[Restriction]]] = []
        for layer in schedule.layers:
            label = f"{schedule.name} / {layer.name}"

            def leave(why: str, layer: ImportLayer = layer, label: str = label) -> None:
                self.plan.left_out.append(ReportLine("layer", label, why, layer.external_id))

            if layer.turn_seconds <= 0:
                leave(f"its turn length ({layer.turn_seconds} s) is not positive")
                continue
            if layer.start.tzinfo is None or (layer.end is not None and layer.end.tzinfo is None):
                leave("its start or end has no time zone")
                continue
            if layer.end is not None and layer.end <= layer.start:
                leave("it ends before it starts")
                continue
            if layer.end is not None and layer.end <= self.now:
                leave(f"it ended {_when(layer.end, schedule.time_zone)}: only current and future layers are imported")
                continue
            windows, why = restrictions(layer.restrictions)
            if why is not None:
                leave(f"{why}, so it is left out")
                continue
            if not layer.user_ids:
                leave("it has no users")
                continue
            local = [self.local_user(u) for u in layer.user_ids]
            missing = [self.user_label(u) for u, l in zip(layer.user_ids, local, strict=True) if l is None]
            if all(l is None for l in local):
                leave(f"none of its users has a pagerline account ({', '.join(sorted(set(missing)))})")
                continue
            imported.append((layer, windows))
            users, handed = covered_turns(local)
            out.append(LayerInput(layer.start, rotation_text(layer.turn_seconds), users, layer.end, windows))
            if missing:
                given = "; ".join(
                    f"{self.user_label(layer.user_ids[i])}'s to {self.plan_email(users[i])}" for i in handed
                )
                self.plan.left_out.append(ReportLine(
                    "layer", label,
                    f"imported without {', '.join(sorted(set(missing)))} (no pagerline user): their turns go to whoever "
                    f"has the turn before ({given}), so everyone else's turns stay where they are; invite them and import again",
                    layer.external_id,
                ))
        if self.system == "opsgenie":
            self.overlaps(schedule, imported)
        return out

    def overlaps(self, schedule: ImportSchedule, imported: list[tuple[ImportLayer, list[Restriction]]]) -> None:
        """Opsgenie notifies the users of every rotation on call at a moment; pagerline (like
        PagerDuty) has one person on call per schedule, the later layer's. Where two imported
        rotations overlap, the earlier one's user is not paged in pagerline: said per layer."""
        if len(imported) < 2:
            return
        spec = ScheduleSpec(
            timezone=schedule.time_zone,
            layers=tuple(
                Layer(l.start, (1,), rotation_text(l.turn_seconds), l.end, _math_windows(w)) for l, w in imported
            ),
        )
        until = self.now + OVERLAP_HORIZON
        cover = [[(s.start, s.end) for s in layer_shifts(spec, i, self.now, until)] for i in range(len(imported))]
        for low in range(len(imported)):
            for high in range(low + 1, len(imported)):
                first = next(
                    (max(a, c) for a, b in cover[low] for c, d in cover[high] if max(a, c) < min(b, d)), None
                )
                if first is not None:
                    lower, upper = imported[low][0], imported[high][0]
                    self.plan.left_out.append(ReportLine(
                        "layer", f"{schedule.name} / {lower.name}",
                        f"partly: where it overlaps rotation '{upper.name}' (first {_when(first, schedule.time_zone)}) Opsgenie "
                        f"notifies both rotations' users; pagerline has one person on call at a time, the later rotation's, "
                        "so this rotation's user is not paged there",
                        lower.external_id,
                    ))
                    break

    async def schedules(self) -> None:
        ids = [i for (k, _), i in self.refs.items() if k == "schedule"]
        by_id = {s.id: s for s in await Schedule.filter(id__in=ids)}
        layer_rows: dict[int, list[ScheduleLayer]] = defaultdict(list)
        for row in await ScheduleLayer.filter(schedule_id__in=ids).order_by("position", "id"):
            layer_rows[row.schedule_id].append(row)  # type: ignore[attr-defined]
        override_ids = [i for (k, _), i in self.refs.items() if k == "override"]
        overrides = {o.id: o for o in await ScheduleOverride.filter(id__in=override_ids)}
        for schedule in self.bundle.schedules:
            await self._schedule(schedule, by_id, layer_rows, overrides)
        self.gone("schedule", {s.external_id for s in self.bundle.schedules}, {i: s.name for i, s in by_id.items()}, "schedule")

    async def _schedule(
        self,
        schedule: ImportSchedule,
        by_id: dict[int, Schedule],
        layer_rows: dict[int, list[ScheduleLayer]],
        overrides: dict[int, ScheduleOverride],
    ) -> None:
        name = _clean_name(schedule.name, f"{self.name} schedule {schedule.external_id}")
        try:
            ZoneInfo(schedule.time_zone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            why = f"its time zone '{schedule.time_zone}' is not an IANA time zone pagerline knows"
            self.schedule_why[schedule.external_id] = why
            self.plan.left_out.append(ReportLine("schedule", name, why, schedule.external_id))
            return
        layers = self.layers(schedule)
        team = self.team_ids.get(schedule.team_id) if schedule.team_id else None
        ref = self.ref("schedule", schedule.external_id)
        existing = by_id.get(ref) if ref is not None else None
        summary = f"{schedule.time_zone}, {len(layers)} layer{'s' if len(layers) != 1 else ''}"
        if existing is None:
            self.plan.steps.append(CreateSchedule(schedule.external_id, name, schedule.time_zone, team, tuple(layers)))
            local: Local = Ref("schedule", schedule.external_id)
            self.plan.created.append(ReportLine("schedule", name, summary, schedule.external_id))
        else:
            local = self.known("schedule", schedule.external_id, existing.id)
            changes: list[str] = []
            update = UpdateSchedule(schedule.external_id, existing.id)
            if name != existing.name:
                update = replace(update, name=name)
                changes.append(f"renamed from '{existing.name}'")
            if schedule.time_zone != existing.timezone:
                update = replace(update, timezone=schedule.time_zone)
                changes.append(f"time zone {existing.timezone} → {schedule.time_zone}")
            if _differs(team, existing.team_id):  # type: ignore[attr-defined]
                update = replace(update, set_team=True, team=team)
                changes.append("team changed")
            rows = layer_rows.get(existing.id, [])
            if [_row_key(r) for r in rows] != [_layer_key(l) for l in layers]:
                update = replace(update, layers=tuple(layers))
                changes.append(f"layers replaced by {self.name}'s ({len(rows)} → {len(layers)})")
            if changes:
                self.plan.steps.append(update)
                self.plan.changed.append(ReportLine("schedule", name, "; ".join(changes), schedule.external_id))
            else:
                self.plan.unchanged.append(ReportLine("schedule", name, summary, schedule.external_id))
        self.schedule_ids[schedule.external_id] = local
        self.plan.schedules[schedule.external_id] = (local, name, schedule.time_zone)
        self.overrides(schedule, name, local, overrides)

    def overrides(self, schedule: ImportSchedule, name: str, local: Local, rows: dict[int, ScheduleOverride]) -> None:
        wanted: set[str] = set()
        for override in schedule.overrides:
            if override.end <= self.now:
                continue  # past: only current and future overrides are imported
            when = f"{_when(override.start, schedule.time_zone)} to {_when(override.end, schedule.time_zone)}"
            user_id = self.local_user(override.user_id)
            label = f"{name}: {self.user_label(override.user_id)}"
            if override.end <= override.start:
                self.plan.left_out.append(ReportLine("override", label, f"{when}: it ends before it starts", override.external_id))
                continue
            if user_id is None:
                self.plan.left_out.append(ReportLine(
                    "override", label, f"{when}: {self.user_label(override.user_id)} has no pagerline user", override.external_id
                ))
                continue
            if user_id in self.plan.inactive_users:
                self.plan.left_out.append(ReportLine(
                    "override", label, f"{when}: {self.user_label(override.user_id)} is deactivated in pagerline", override.external_id
                ))
                continue
            wanted.add(override.external_id)
            ref = self.ref("override", override.external_id)
            row = rows.get(ref) if ref is not None else None
            same_schedule = row is not None and isinstance(local, int) and row.schedule_id == local  # type: ignore[attr-defined]
            if row is not None and same_schedule and (row.user_id, row.start, row.end) == (user_id, override.start, override.end):  # type: ignore[attr-defined]
                self.plan.unchanged.append(ReportLine("override", label, when, override.external_id))
                continue
            replaces = row.id if row is not None else None
            self.plan.steps.append(PutOverride(override.external_id, local, user_id, override.start, override.end, replaces))
            target = self.plan.changed if row is not None else self.plan.created
            target.append(ReportLine("override", label, when + (" (changed)" if row is not None else ""), override.external_id))
        if not isinstance(local, int):
            return
        for (kind, external_id), override_id in sorted(self.refs.items()):
            row = rows.get(override_id)
            if kind != "override" or external_id in wanted or row is None:
                continue
            if row.schedule_id != local or row.end <= self.now:  # type: ignore[attr-defined]
                continue
            self.plan.steps.append(DeleteOverride(external_id, row.id))
            self.plan.changed.append(ReportLine(
                "override", f"{name}", f"{_when(row.start, schedule.time_zone)} to {_when(row.end, schedule.time_zone)}: "
                f"removed (no longer in {self.name})", external_id,
            ))

    # ------------------------------------------------------------------ policies

    async def policies(self) -> None:
        ids = [i for (k, _), i in self.refs.items() if k == "policy"]
        by_id = {p.id: p for p in await EscalationPolicy.filter(id__in=ids)}
        current: dict[int, list[tuple[int, tuple[int, ...], tuple[int, ...]]]] = defaultdict(list)
        for rule in await EscalationRule.filter(policy_id__in=ids).order_by("position").prefetch_related("users", "schedules"):
            current[rule.policy_id].append((  # type: ignore[attr-defined]
                rule.timeout_minutes, tuple(sorted(u.id for u in rule.users)), tuple(sorted(s.id for s in rule.schedules))
            ))
        for policy in self.bundle.policies:
            self._policy(policy, by_id, current)
        self.gone("policy", {p.external_id for p in self.bundle.policies}, {i: p.name for i, p in by_id.items()}, "policy")

    def _rules(self, policy: ImportPolicy, name: str) -> list[PlannedRule]:
        kept: list[PlannedRule] = []
        if len(policy.rules) > MAX_RULES:
            self.plan.left_out.append(ReportLine(
                "rule", name, f"levels {MAX_RULES + 1} to {len(policy.rules)}: pagerline takes at most {MAX_RULES} levels", policy.external_id
            ))
        for number, rule in enumerate(policy.rules[:MAX_RULES], start=1):
            label = f"{name} / level {number}"
            timeout = rule.delay_minutes
            if not 1 <= timeout <= MAX_TIMEOUT_MINUTES:
                timeout = min(max(timeout, 1), MAX_TIMEOUT_MINUTES)
                self.plan.left_out.append(ReportLine(
                    "rule", label, f"its delay of {rule.delay_minutes} minutes became {timeout} (pagerline takes 1 to {MAX_TIMEOUT_MINUTES})",
                    policy.external_id,
                ))
            users: list[int] = []
            schedules: list[Local] = []
            without: list[str] = []
            for target in rule.targets:
                if target.kind == "user":
                    user_id = self.local_user(target.external_id)
                    if user_id is None:
                        without.append(f"{self.user_label(target.external_id)} (no pagerline user)")
                    elif user_id not in users:
                        users.append(user_id)
                else:
                    schedule = self.schedule_ids.get(target.external_id)
                    if schedule is None:
                        why = self.schedule_why.get(target.external_id, f"not among the schedules read from {self.name}")
                        without.append(f"schedule {target.external_id} ({why})")
                    elif schedule not in schedules:
                        schedules.append(schedule)
            if not users and not schedules:
                if kept:
                    previous = kept[-1]
                    merged = min(previous.timeout_minutes + timeout, MAX_TIMEOUT_MINUTES)
                    kept[-1] = PlannedRule(merged, previous.user_ids, previous.schedules)
                    effect = f"its delay is added to level {number - 1}'s, so later levels are paged when they were"
                else:
                    effect = f"later levels are paged {timeout} minutes earlier"
                names = "; ".join(without) or "no one"
                self.plan.left_out.append(ReportLine("rule", label, f"names nobody pagerline has ({names}): left out; {effect}", policy.external_id))
                continue
            if without:
                self.plan.left_out.append(ReportLine("rule", label, "imported without " + "; ".join(without), policy.external_id))
            kept.append(PlannedRule(timeout, tuple(users), tuple(schedules)))
        return kept

    def _policy(
        self, policy: ImportPolicy, by_id: dict[int, EscalationPolicy], current: dict[int, list[tuple[int, tuple[int, ...], tuple[int, ...]]]]
    ) -> None:
        name = _clean_name(policy.name, f"{self.name} policy {policy.external_id}")
        rules = self._rules(policy, name)
        if not rules:
            why = "no level names anyone pagerline has"
            self.policy_why[policy.external_id] = why
            self.plan.left_out.append(ReportLine("policy", name, why, policy.external_id))
            return
        loops = max(policy.loops, 1)
        runs = min(loops, MAX_RUNS)
        if loops > MAX_RUNS:
            self.plan.left_out.append(ReportLine(
                "policy", name, f"runs its levels {MAX_RUNS} times, not {loops} (pagerline repeats a policy at most {MAX_FREQUENCY} times after its first run)",
                policy.external_id,
            ))
        repeating = runs > 1
        frequency = runs - 1 if repeating else 1  # the column's default when not repeating
        team = self.team_ids.get(policy.team_id) if policy.team_id else None
        summary = f"{len(rules)} level{'s' if len(rules) != 1 else ''}" + (f", runs {runs} times" if repeating else "")
        ref = self.ref("policy", policy.external_id)
        existing = by_id.get(ref) if ref is not None else None
        if existing is None:
            self.plan.steps.append(CreatePolicy(policy.external_id, name, team, tuple(rules), repeating, frequency))
            self.policy_ids[policy.external_id] = Ref("policy", policy.external_id)
            self.plan.created.append(ReportLine("policy", name, summary, policy.external_id))
        else:
            self.policy_ids[policy.external_id] = self.known("policy", policy.external_id, existing.id)
            changes = []
            if existing.name != name:
                changes.append(f"renamed from '{existing.name}'")
            if _differs(team, existing.team_id):  # type: ignore[attr-defined]
                changes.append("team changed")
            existing_runs = 1 + existing.frequency if existing.repeating else 1
            if existing_runs != runs:
                changes.append(f"runs: {existing_runs} → {runs} times")
            wanted = [
                (r.timeout_minutes, tuple(sorted(r.user_ids)), tuple(sorted(s for s in r.schedules if isinstance(s, int))))
                if all(isinstance(s, int) for s in r.schedules) else None
                for r in rules
            ]
            if wanted != current.get(existing.id, []):
                changes.append("levels changed")
            if changes:
                self.plan.steps.append(UpdatePolicy(policy.external_id, existing.id, name, team, tuple(rules), repeating, frequency))
                self.plan.changed.append(ReportLine("policy", name, "; ".join(changes), policy.external_id))
            else:
                self.plan.unchanged.append(ReportLine("policy", name, summary, policy.external_id))
        self.policy_teams[policy.external_id] = team

    # ------------------------------------------------------------------ services

    async def services(self) -> None:
        ids = [i for (k, _), i in self.refs.items() if k == "integration"]
        by_id = {s.id: s for s in await AlertSource.filter(id__in=ids)}
        for service in self.bundle.services:
            self._service(service, by_id)
        seen = {i.external_id for s in self.bundle.services for i in s.integrations}
        self.gone("integration", seen, {i: s.name for i, s in by_id.items()}, "alert source")

    def _service(self, service: ImportService, by_id: dict[int, AlertSource]) -> None:
        service_name = _clean_name(service.name, f"{self.name} service {service.external_id}")
        policy = self.policy_ids.get(service.policy_id)
        if not service.integrations:
            self.plan.left_out.append(ReportLine("service", service_name, "it has no integrations: nothing sends alerts to it", service.external_id))
            return
        if policy is None:
            why = self.policy_why.get(service.policy_id, f"not among the policies read from {self.name}")
            for integration in service.integrations:
                self.plan.left_out.append(ReportLine(
                    "integration", f"{service_name} / {integration.name}",
                    f"its escalation policy {service.policy_id} was not imported ({why})", integration.external_id,
                ))
            return
        team = self.team_ids.get(service.team_id) if service.team_id else self.policy_teams.get(service.policy_id)
        for integration in service.integrations:
            self._integration(service_name, integration, policy, team, by_id)

    def _integration(
        self, service_name: str, integration: ImportIntegration, policy: Local, team: Local | None, by_id: dict[int, AlertSource]
    ) -> None:
        label = f"{service_name} / {integration.name}"
        kind = INTEGRATION_TYPES.get(integration.kind)
        if kind is None:
            self.plan.left_out.append(ReportLine("integration", label, f"pagerline has no intake of kind '{integration.kind}'", integration.external_id))
            return
        name = _clean_name(label if integration.name.strip() else service_name, label)
        ref = self.ref("integration", integration.external_id)
        existing = by_id.get(ref) if ref is not None else None
        row = PlannedIntegration(integration.external_id, service_name, integration.name, kind, integration.old_address, existing is None)
        self.plan.integrations.append(row)
        if existing is None:
            self.plan.steps.append(CreateSource(integration.external_id, name, policy, team, kind))
            self.plan.created.append(ReportLine("alert source", name, f"{kind.value}, new integration key", integration.external_id))
            return
        self.known("integration", integration.external_id, existing.id)
        changes = []
        if existing.name != name:
            changes.append(f"renamed from '{existing.name}'")
        if _differs(policy, existing.escalation_policy_id):  # type: ignore[attr-defined]
            changes.append("escalation policy changed")
        if _differs(team, existing.team_id):  # type: ignore[attr-defined]
            changes.append("team changed")
        if existing.integration_type != kind:
            changes.append(f"type {existing.integration_type.value} → {kind.value}")
        if changes:
            self.plan.steps.append(UpdateSource(integration.external_id, existing.id, name, policy, team, kind))
            self.plan.changed.append(ReportLine("alert source", name, "; ".join(changes) + "; key unchanged", integration.external_id))
        else:
            self.plan.unchanged.append(ReportLine("alert source", name, f"{kind.value}, key unchanged", integration.external_id))


async def make_plan(bundle: ImportBundle, now: datetime) -> Plan:
    """Everything the import would do, read from pagerline as it is; writes nothing."""
    planner = _Planner(bundle, now)
    await planner.load_refs()
    await planner.match_users()
    await planner.teams()
    await planner.schedules()
    await planner.policies()
    await planner.services()
    planner.plan.left_out += [ReportLine(item.kind, item.name, item.why, item.external_id) for item in bundle.left_out]
    return planner.plan
