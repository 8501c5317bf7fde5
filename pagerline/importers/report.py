"""What an import did (or, on a dry run, would do), and what the on-call check found: plain
values plus the text ``pagerline import`` prints.

The report is written while the import is *planned* (:mod:`pagerline.importers.plan`), before
anything is written, so a dry run and a real run print the same lines; only the integration
keys differ (a key exists only once a real run made it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

SYSTEM_NAMES = {"pagerduty": "PagerDuty", "opsgenie": "Opsgenie"}

UNCHANGED_KEY = "unchanged (key shown when first imported)"
DRY_RUN_KEY = "a new key is made when you import without --dry-run"


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One thing: ``kind`` (team, schedule, layer, override, policy, rule, source, user, …),
    its name, and what was done or why it was left out."""

    kind: str
    name: str
    detail: str = ""
    external_id: str = ""

    def text(self) -> str:
        shown = f"{self.kind} '{self.name}'" if self.name else self.kind
        if self.external_id:
            shown += f" [{self.external_id}]"
        return f"{shown}: {self.detail}" if self.detail else shown


@dataclass(frozen=True, slots=True)
class IntegrationRow:
    """Where one of the old service's integrations must point now."""

    service: str
    integration: str
    integration_type: str  # pagerline's IntegrationType value
    old_address: str
    new_address: str


@dataclass(frozen=True, slots=True)
class ImportedSchedule:
    local_id: int
    name: str
    timezone: str


@dataclass(frozen=True, slots=True)
class ImportMapping:
    """What the on-call check needs from an import: the imported schedules (the old service's
    id → pagerline's), and the old service's users as pagerline knows them (matched by email)."""

    system: str
    schedules: dict[str, ImportedSchedule] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)  # external user id → pagerline user id
    emails: dict[str, str] = field(default_factory=dict)  # external user id → email in the old service
    missing_users: frozenset[str] = frozenset()  # external ids of users with no pagerline account
    inactive_users: frozenset[int] = frozenset()  # pagerline ids of matched, deactivated users


@dataclass(slots=True)
class ImportReport:
    system: str
    dry_run: bool
    created: list[ReportLine] = field(default_factory=list)
    changed: list[ReportLine] = field(default_factory=list)
    unchanged: list[ReportLine] = field(default_factory=list)
    left_out: list[ReportLine] = field(default_factory=list)
    integrations: list[IntegrationRow] = field(default_factory=list)
    mapping: ImportMapping | None = None  # None on a dry run: nothing was kept to compare


def system_name(system: str) -> str:
    return SYSTEM_NAMES.get(system, system)


def _section(title: str, lines: list[ReportLine], mark: str) -> list[str]:
    out = [f"{title} ({len(lines)}):" if lines else f"{title}: none"]
    out += [f"  {mark} {line.text()}" for line in lines]
    return out


def render(report: ImportReport) -> str:
    """The report as ``pagerline import`` prints it: a headline, then created, changed,
    unchanged and left out (each with its count), then the table of integration addresses."""
    name = system_name(report.system)
    head = f"Import from {name}" + (" (dry run: nothing was changed)" if report.dry_run else "")
    lines = [head, "=" * len(head)]
    lines += _section("Would be created" if report.dry_run else "Created", report.created, "+")
    lines += _section("Would be changed" if report.dry_run else "Changed", report.changed, "~")
    lines += _section("Unchanged", report.unchanged, "=")
    lines += _section("Left out", report.left_out, "-")
    if report.integrations:
        lines.append("")
        lines.append(
            f"Integrations ({len(report.integrations)}): point each sender at its new address"
            + ("" if report.dry_run else " (a new key is shown only now: keep this output safe)")
        )
        for row in report.integrations:
            lines.append(f"  {row.service} / {row.integration} ({row.integration_type})")
            lines.append(f"    old: {row.old_address or '(not given by ' + name + ')'}")
            lines.append(f"    new: {row.new_address}")
    counts = ", ".join(
        f"{len(items)} {word}"
        for word, items in (
            ("created" if not report.dry_run else "to create", report.created),
            ("changed" if not report.dry_run else "to change", report.changed),
            ("unchanged", report.unchanged),
            ("left out", report.left_out),
        )
    )
    lines += ["", f"Summary: {counts}."]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Difference:
    """From ``start`` to ``end`` pagerline and the old service disagree on who is on call for
    a schedule. ``expected``: why that is known and fine (a user left out of the import), or
    None for a real difference."""

    schedule_external_id: str
    schedule_name: str
    timezone: str
    start: datetime
    end: datetime
    pagerline_user: str | None  # email, None: nobody
    old_user: str | None
    expected: str | None = None


def _when(at: datetime, timezone: str) -> str:
    return at.astimezone(ZoneInfo(timezone)).strftime("%a %Y-%m-%d %H:%M %Z")


def render_differences(differences: list[Difference], system: str, since: datetime, until: datetime, schedules: int) -> str:
    """What the on-call check prints: per schedule, each stretch where the two disagree (in the
    schedule's time zone), the expected ones (users left out) apart from the real ones."""
    name = system_name(system)
    head = f"On-call check against {name}: {schedules} schedule(s), {since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} UTC"
    lines = [head, "=" * len(head)]
    real = [d for d in differences if d.expected is None]
    expected = [d for d in differences if d.expected is not None]

    def describe(d: Difference) -> str:
        text = (
            f"  schedule '{d.schedule_name}', {_when(d.start, d.timezone)} to {_when(d.end, d.timezone)}: "
            f"pagerline has {d.pagerline_user or 'nobody'}, {name} has {d.old_user or 'nobody'}"
        )
        return text + (f" (expected: {d.expected})" if d.expected else "")

    if real:
        lines.append(f"Differences ({len(real)}):")
        lines += [describe(d) for d in real]
    if expected:
        lines.append(f"Expected differences ({len(expected)}), from what the import left out:")
        lines += [describe(d) for d in expected]
    if not real:
        lines.append("No differences." if not expected else "No other differences.")
    return "\n".join(lines)
