"""The importers' core on SQLite and PostgreSQL: a bundle (what a PagerDuty or Opsgenie reader
hands over) applied to pagerline, the dry run, a second run, a changed bundle, and the on-call
check against the old service.

The bundle: users Alice, Bob and Carol have pagerline accounts, Dave has none. Team Platform.
Schedule Primary (Europe/Berlin): a weekly rotation Alice/Bob restricted to weekdays 09:00-17:00,
under a daily rotation Carol/Alice restricted to 18:00-08:00, with an override of Bob's ahead,
one of Dave's ahead and one that is over. Schedule Early (Europe/Berlin): a daily rotation
handing off at 02:30, which does not exist on 2027-03-28 (clocks go 02:00 → 03:00). A repeating
policy whose middle level pages only Dave, one whose values pagerline clamps, a service with
three integrations and one whose policy was not read, and an event ruleset the reader left out.

The only stand-in is the reader (it stands for the other service); everything else is
pagerline's own engine and database. "Now" is fixed at 2027-03-20T12:00Z (a Saturday; the four
weeks after it span the spring change)."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import pytest

from pagerline.engine.core import sql
from pagerline.engine.core.errors import EngineError
from pagerline.engine.people.accounts import create_user
from pagerline.engine.people.activity import set_active
from pagerline.engine.schedules.editing import restrictions_of
from pagerline.importers.apply import apply_bundle, importer_viewer
from pagerline.importers.compare import compare_on_call
from pagerline.importers.model import (
    ImportBundle,
    ImportIntegration,
    ImportLayer,
    ImportOverride,
    ImportPolicy,
    ImportRule,
    ImportSchedule,
    ImportService,
    ImportSourceError,
    ImportTarget,
    ImportTeam,
    ImportUser,
    LeftOut,
    OnCallSpan,
    WeeklyWindow,
)
from pagerline.importers.report import DRY_RUN_KEY, UNCHANGED_KEY, ImportReport, ReportLine, render, render_differences
from pagerline.importers.run import run_import
from pagerline.models import (
    AlertSource,
    EscalationPolicy,
    EscalationRule,
    ImportedRef,
    IntegrationType,
    Role,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
    Team,
    User,
)
from pagerline.security import digest
from tests.support.processes import base_env

NOW = datetime(2027, 3, 20, 12, 0, tzinfo=UTC)
UNTIL = NOW + timedelta(weeks=4)
BERLIN = ZoneInfo("Europe/Berlin")
PUBLIC_URL = "https://pager.example.com"
EMAIL_DOMAIN = "alerts.example.com"


def berlin(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=BERLIN)


WEEKDAYS_9_TO_17 = tuple(WeeklyWindow(day, "09:00", day, "17:00") for day in range(5))
NIGHTS_18_TO_8 = tuple(WeeklyWindow(day, "18:00", (day + 1) % 7, "08:00") for day in range(7))
BOB_OVERRIDE = ImportOverride("o-bob", "u-bob", datetime(2027, 3, 24, 8, 0, tzinfo=UTC), datetime(2027, 3, 24, 20, 0, tzinfo=UTC))
DAVE_OVERRIDE = ImportOverride("o-dave", "u-dave", datetime(2027, 4, 1, 7, 0, tzinfo=UTC), datetime(2027, 4, 1, 15, 0, tzinfo=UTC))
PAST_OVERRIDE = ImportOverride("o-past", "u-carol", datetime(2027, 3, 10, tzinfo=UTC), datetime(2027, 3, 11, tzinfo=UTC))


def bundle(primary_name: str = "Primary", overrides: tuple[ImportOverride, ...] = (BOB_OVERRIDE, DAVE_OVERRIDE, PAST_OVERRIDE)) -> ImportBundle:
    return ImportBundle(
        system="pagerduty",
        users=(
            ImportUser("u-alice", "Alice", "Alice@Example.com", "Europe/Berlin"),  # matched case-insensitively
            ImportUser("u-bob", "Bob", "bob@example.com"),
            ImportUser("u-carol", "Carol", "carol@example.com"),
            ImportUser("u-dave", "Dave", "dave@example.com"),
        ),
        teams=(ImportTeam("t-platform", "Platform", ("u-alice", "u-bob", "u-dave")),),
        schedules=(
            ImportSchedule(
                "s-primary", primary_name, "Europe/Berlin",
                layers=(
                    ImportLayer("l-days", "Weekdays", berlin(3, 1, 9), 7 * 86400, ("u-alice", "u-bob"), restrictions=WEEKDAYS_9_TO_17),
                    ImportLayer("l-nights", "Nights", berlin(3, 1, 18), 86400, ("u-carol", "u-alice"), restrictions=NIGHTS_18_TO_8),
                ),
                overrides=overrides,
                team_id="t-platform",
            ),
            ImportSchedule(
                "s-early", "Early", "Europe/Berlin",
                layers=(ImportLayer("l-early", "Daily 02:30", berlin(3, 15, 2, 30), 86400, ("u-alice", "u-bob")),),
            ),
        ),
        policies=(
            ImportPolicy(
                "p-platform", "Platform escalation",
                rules=(
                    ImportRule(10, (ImportTarget("schedule", "s-primary"),)),
                    ImportRule(15, (ImportTarget("user", "u-dave"),)),
                    ImportRule(20, (ImportTarget("user", "u-bob"), ImportTarget("schedule", "s-early"))),
                ),
                loops=3,
                team_id="t-platform",
            ),
            ImportPolicy("p-noisy", "Noisy", rules=(ImportRule(0, (ImportTarget("user", "u-carol"),)),), loops=12),
        ),
        services=(
            ImportService(
                "svc-checkout", "Checkout", "p-platform",
                integrations=(
                    ImportIntegration("i-events", "Events API v2", "pagerduty", "https://events.pagerduty.com/v2/enqueue (routing key R0)"),
                    ImportIntegration("i-email", "Email", "email", "checkout@acme.pagerduty.com"),
                    ImportIntegration("i-prom", "Prometheus", "alertmanager", "https://events.pagerduty.com/integration/R1/enqueue"),
                ),
                team_id="t-platform",
            ),
            ImportService("svc-legacy", "Legacy", "p-gone", integrations=(ImportIntegration("i-legacy", "API", "api"),)),
        ),
        left_out=(LeftOut("event orchestration", "eo-1", "Global orchestration", "event orchestrations are not imported"),),
    )


async def people() -> dict[str, int]:
    made = {}
    for name in ("alice", "bob", "carol"):
        made[name] = (await create_user(f"{name}@example.com", name.capitalize(), None, Role.USER, "UTC")).id
    return made


COUNTED = (Team, Schedule, ScheduleLayer, ScheduleOverride, EscalationPolicy, EscalationRule, AlertSource, ImportedRef, User)
LINKS = ("team_members", "escalation_rule_users", "escalation_rule_schedules")


async def counts() -> dict[str, int]:
    """Rows of everything an import may write, the link tables included."""
    found = {model.__name__: await model.all().count() for model in COUNTED}
    for table in LINKS:
        found[table] = int((await sql.fetch(f"SELECT COUNT(*) AS n FROM {table}"))[0]["n"])
    return found


async def key_hashes() -> dict[str, str]:
    return {s.name: s.integration_key_hash for s in await AlertSource.all()}


async def apply(b: ImportBundle, *, dry_run: bool = False) -> ImportReport:
    return await apply_bundle(b, dry_run=dry_run, now=NOW, public_url=PUBLIC_URL, email_domain=EMAIL_DOMAIN)


def texts(lines: list[ReportLine]) -> list[str]:
    return [line.text() for line in lines]


# ------------------------------------------------------------------------------ the report


async def test_a_dry_run_writes_nothing_and_tells_what_an_import_would_do(db: str) -> None:
    await people()
    before = await counts()
    report = await apply(bundle(), dry_run=True)
    assert await counts() == before
    assert report.mapping is None

    text = render(report)
    print(text)
    assert text.startswith("Import from PagerDuty (dry run: nothing was changed)")
    assert "Would be created (" in text and "Changed: none" not in text
    assert "  + team 'Platform' [t-platform]: members: alice@example.com, bob@example.com; without dave@example.com (no pagerline user)" in text
    assert "  + schedule 'Primary' [s-primary]: Europe/Berlin, 2 layers" in text
    assert "  + schedule 'Early' [s-early]: Europe/Berlin, 1 layer" in text
    assert "  + override 'Primary: bob@example.com' [o-bob]: 2027-03-24 09:00 CET to 2027-03-24 21:00 CET" in text
    assert "  + policy 'Platform escalation' [p-platform]: 2 levels, runs 3 times" in text
    assert "  + alert source 'Checkout / Events API v2' [i-events]: PAGERDUTY, new integration key" in text
    left = texts(report.left_out)
    assert "user 'Dave' [u-dave]: no pagerline user with email dave@example.com — invite them first" in left
    assert "override 'Primary: dave@example.com' [o-dave]: 2027-04-01 09:00 CEST to 2027-04-01 17:00 CEST: dave@example.com has no pagerline user" in left
    assert (
        "rule 'Platform escalation / level 2' [p-platform]: names nobody pagerline has (dave@example.com (no pagerline user)): "
        "left out; its delay is added to level 1's, so later levels are paged when they were"
    ) in left
    assert "rule 'Noisy / level 1' [p-noisy]: its delay of 0 minutes became 1 (pagerline takes 1 to 1440)" in left
    assert "policy 'Noisy' [p-noisy]: runs its levels 10 times, not 12 (pagerline repeats a policy at most 9 times after its first run)" in left
    assert "integration 'Legacy / API' [i-legacy]: its escalation policy p-gone was not imported (not among the policies read from PagerDuty)" in left
    assert "event orchestration 'Global orchestration' [eo-1]: event orchestrations are not imported" in left  # the reader's own
    assert not any("o-past" in line for line in left + texts(report.created))  # over before now: not imported, not noise
    assert {row.new_address for row in report.integrations} == {DRY_RUN_KEY}
    assert "Summary: 9 to create, 0 to change, 1 unchanged, 7 left out." in text


async def test_an_import_creates_what_the_bundle_names_and_a_second_run_changes_nothing(db: str) -> None:
    ids = await people()
    dry = await apply(bundle(), dry_run=True)
    report = await apply(bundle())
    assert texts(report.created) == texts(dry.created) and texts(report.left_out) == texts(dry.left_out)

    team = await Team.get(name="Platform")
    assert sorted(await team.members.all().values_list("id", flat=True)) == sorted([ids["alice"], ids["bob"]])

    primary = await Schedule.get(name="Primary")
    assert (primary.timezone, primary.team_id) == ("Europe/Berlin", team.id)  # type: ignore[attr-defined]
    days, nights = await ScheduleLayer.filter(schedule_id=primary.id).order_by("position")
    assert (days.rotation, days.user_ids, days.starts_on, days.ends_on) == ("P7D", [ids["alice"], ids["bob"]], berlin(3, 1, 9), None)
    assert [(r.start_day, r.start_time, r.end_day, r.end_time) for r in restrictions_of(days)] == [(d, "09:00", d, "17:00") for d in range(5)]
    assert (nights.rotation, nights.user_ids, nights.starts_on) == ("P1D", [ids["carol"], ids["alice"]], berlin(3, 1, 18))
    assert [(r.start_day, r.start_time, r.end_day, r.end_time) for r in restrictions_of(nights)] == [(d, "18:00", (d + 1) % 7, "08:00") for d in range(7)]
    [override] = await ScheduleOverride.filter(schedule_id=primary.id)
    assert (override.user_id, override.start, override.end) == (ids["bob"], BOB_OVERRIDE.start, BOB_OVERRIDE.end)  # type: ignore[attr-defined]
    early = await Schedule.get(name="Early")
    [daily] = await ScheduleLayer.filter(schedule_id=early.id)
    assert (daily.rotation, daily.starts_on, daily.user_ids) == ("P1D", datetime(2027, 3, 15, 1, 30, tzinfo=UTC), [ids["alice"], ids["bob"]])

    policy = await EscalationPolicy.get(name="Platform escalation")
    assert (policy.repeating, policy.frequency, policy.team_id) == (True, 2, team.id)  # 1 + 2 runs, as the engine counts  # type: ignore[attr-defined]
    rules = await EscalationRule.filter(policy_id=policy.id).order_by("position").prefetch_related("users", "schedules")
    assert [(r.timeout_minutes, [u.id for u in r.users], sorted(s.name for s in r.schedules)) for r in rules] == [
        (25, [], ["Primary"]),  # Dave's level (15 minutes) is gone, its delay kept
        (20, [ids["bob"]], ["Early"]),
    ]
    noisy = await EscalationPolicy.get(name="Noisy")
    assert (noisy.repeating, noisy.frequency) == (True, 9)  # 10 runs
    assert [r.timeout_minutes for r in await EscalationRule.filter(policy_id=noisy.id)] == [1]

    sources = {s.name: s for s in await AlertSource.all()}
    assert {name: (s.integration_type, s.escalation_policy_id, s.team_id) for name, s in sources.items()} == {  # type: ignore[attr-defined]
        "Checkout / Events API v2": (IntegrationType.PAGERDUTY, policy.id, team.id),
        "Checkout / Email": (IntegrationType.EMAIL, policy.id, team.id),
        "Checkout / Prometheus": (IntegrationType.ALERTMANAGER, policy.id, team.id),
    }
    table = {row.integration: row for row in report.integrations}
    events_key = table["Events API v2"].new_address.removeprefix(f"{PUBLIC_URL}/v2/enqueue with routing_key ")
    assert digest(events_key) == sources["Checkout / Events API v2"].integration_key_hash  # the key that works
    email_key, _, domain = table["Email"].new_address.partition("@")
    assert domain == EMAIL_DOMAIN and digest(email_key) == sources["Checkout / Email"].integration_key_hash
    prom_key = table["Prometheus"].new_address.removeprefix(f"{PUBLIC_URL}/api/events/alertmanager/")
    assert digest(prom_key) == sources["Checkout / Prometheus"].integration_key_hash
    assert table["Email"].old_address == "checkout@acme.pagerduty.com"
    text = render(report)
    assert "    old: checkout@acme.pagerduty.com\n    new: " + table["Email"].new_address in text
    refs = {(r.kind, r.external_id): r.local_id for r in await ImportedRef.filter(system="pagerduty")}
    assert refs == {
        ("team", "t-platform"): team.id, ("schedule", "s-primary"): primary.id, ("schedule", "s-early"): early.id,
        ("override", "o-bob"): override.id, ("policy", "p-platform"): policy.id, ("policy", "p-noisy"): noisy.id,
        ("integration", "i-events"): sources["Checkout / Events API v2"].id,
        ("integration", "i-email"): sources["Checkout / Email"].id,
        ("integration", "i-prom"): sources["Checkout / Prometheus"].id,
    }

    # Again: everything is found by its ref and equal, nothing is written, no key is rotated.
    rows, hashes = await counts(), await key_hashes()
    again = await apply(bundle())
    assert (again.created, again.changed) == ([], [])
    assert await counts() == rows and await key_hashes() == hashes
    assert {row.new_address for row in again.integrations} == {UNCHANGED_KEY}
    assert "unchanged (key shown when first imported)" in render(again)
    assert len(again.unchanged) == 1 + 1 + 2 + 1 + 2 + 3  # users, team, schedules, override, policies, sources
    assert texts(again.left_out) == texts(report.left_out)


async def test_a_changed_bundle_updates_what_changed_and_only_that(db: str) -> None:
    ids = await people()
    await apply(bundle())
    hashes = await key_hashes()
    primary_id = (await Schedule.get(name="Primary")).id
    old_layers = await ScheduleLayer.filter(schedule_id=primary_id).values_list("id", flat=True)

    extra = ImportOverride("o-carol", "u-carol", datetime(2027, 3, 30, 6, 0, tzinfo=UTC), datetime(2027, 3, 30, 16, 0, tzinfo=UTC))
    moved_bob = replace(BOB_OVERRIDE, end=datetime(2027, 3, 24, 22, 0, tzinfo=UTC))
    changed = await apply(bundle(primary_name="Primary (EU)", overrides=(moved_bob, extra)))

    assert texts(changed.changed) == [
        "schedule 'Primary (EU)' [s-primary]: renamed from 'Primary'",
        "override 'Primary (EU): bob@example.com' [o-bob]: 2027-03-24 09:00 CET to 2027-03-24 23:00 CET (changed)",
    ]
    assert texts(changed.created) == ["override 'Primary (EU): carol@example.com' [o-carol]: 2027-03-30 08:00 CEST to 2027-03-30 18:00 CEST"]
    schedule = await Schedule.get(id=primary_id)
    assert schedule.name == "Primary (EU)"
    assert await ScheduleLayer.filter(schedule_id=primary_id).values_list("id", flat=True) == old_layers  # layers untouched
    overrides = await ScheduleOverride.filter(schedule_id=primary_id).order_by("start")
    assert [(o.user_id, o.start, o.end) for o in overrides] == [  # type: ignore[attr-defined]
        (ids["bob"], moved_bob.start, moved_bob.end), (ids["carol"], extra.start, extra.end),
    ]
    assert await ImportedRef.filter(kind="override").count() == 2
    assert await key_hashes() == hashes

    # The old service dropped the override and changed a rotation: the override goes, the
    # layers are replaced by the old service's.
    nights_every_two_days = bundle(primary_name="Primary (EU)", overrides=(extra,))
    primary = replace(
        nights_every_two_days.schedules[0],
        layers=(nights_every_two_days.schedules[0].layers[0], replace(nights_every_two_days.schedules[0].layers[1], turn_seconds=2 * 86400)),
    )
    third = await apply(replace(nights_every_two_days, schedules=(primary, nights_every_two_days.schedules[1])))
    assert texts(third.changed) == [
        "schedule 'Primary (EU)' [s-primary]: layers replaced by PagerDuty's (2 → 2)",
        "override 'Primary (EU)' [o-bob]: 2027-03-24 09:00 CET to 2027-03-24 23:00 CET: removed (no longer in PagerDuty)",
    ]
    assert third.created == []
    assert [r for r in await ScheduleLayer.filter(schedule_id=primary_id).order_by("position").values_list("rotation", flat=True)] == ["P7D", "P2D"]
    assert [o.user_id for o in await ScheduleOverride.filter(schedule_id=primary_id)] == [ids["carol"]]  # type: ignore[attr-defined]
    assert await ImportedRef.filter(kind="override").values_list("external_id", flat=True) == ["o-carol"]
    assert (await apply(replace(nights_every_two_days, schedules=(primary, nights_every_two_days.schedules[1])))).changed == []


async def test_a_missing_users_turns_go_to_the_one_before_and_the_check_marks_them_expected(db: str) -> None:
    """Nights is Carol, Dave, Alice: Dave has no account, so his nights go to Carol (whose turn
    comes before his); Alice's nights stay where they were, and the on-call check differs
    exactly on Dave's nights and his override, each marked expected."""
    ids = await people()
    b = bundle()
    nights = replace(b.schedules[0].layers[1], user_ids=("u-carol", "u-dave", "u-alice"))
    with_dave = replace(b, schedules=(replace(b.schedules[0], layers=(b.schedules[0].layers[0], nights)), b.schedules[1]))
    report = await apply(with_dave)
    assert (
        "layer 'Primary / Nights' [l-nights]: imported without dave@example.com (no pagerline user): their turns go to whoever "
        "has the turn before (dave@example.com's to carol@example.com), so everyone else's turns stay where they are; invite "
        "them and import again"
    ) in texts(report.left_out)
    layer = await ScheduleLayer.get(schedule__name="Primary", position=1)
    assert (layer.user_ids, layer.rotation, layer.starts_on) == ([ids["carol"], ids["carol"], ids["alice"]], "P1D", berlin(3, 1, 18))

    spans = {"s-primary": primary_spans(("u-carol", "u-dave", "u-alice")), "s-early": early_spans()}
    differences = await compare_on_call(FakeReader(with_dave, spans), report, NOW)
    daves = [s for s in spans["s-primary"] if s.user_id == "u-dave"]
    assert len(daves) == 11  # ten nights and the override
    assert [(d.start, d.end, d.old_user) for d in differences] == [(s.start, s.end, "dave@example.com") for s in daves]
    assert {d.pagerline_user for d in differences} == {"carol@example.com", "alice@example.com"}  # the override's day: Alice's week
    assert all(d.expected == "dave@example.com has no pagerline account and was left out" for d in differences)
    # Importing again finds the layer equal: nothing changes.
    assert (await apply(with_dave)).changed == []


async def test_a_deactivated_user_is_kept_in_rotations_but_not_given_overrides(db: str) -> None:
    ids = await people()
    await set_active(importer_viewer(), ids["bob"], False, NOW)
    report = await apply(bundle())
    left = texts(report.left_out)
    assert any(line.startswith("user 'Bob' [u-bob]: pagerline user bob@example.com is deactivated") for line in left)
    assert "override 'Primary: bob@example.com' [o-bob]: 2027-03-24 09:00 CET to 2027-03-24 21:00 CET: bob@example.com is deactivated in pagerline" in left
    assert (await ScheduleLayer.get(schedule__name="Primary", position=0)).user_ids == [ids["alice"], ids["bob"]]
    assert await ScheduleOverride.all().count() == 0


async def test_a_refused_step_keeps_nothing_not_even_what_earlier_steps_made(db: str) -> None:
    """Two of the old service's teams whose names pagerline keeps as one ("Platform" and
    "Platform " with a trailing space): the engine refuses the second team, and the first
    team, made a step earlier in the same transaction, is gone too."""
    await people()
    rows = await counts()
    b = bundle()
    twins = replace(b, teams=(*b.teams, ImportTeam("t-twin", "Platform ", ("u-carol",))))
    with pytest.raises(EngineError, match="^A team named 'Platform' exists already$"):
        await apply(twins)
    assert await counts() == rows
    out, err = io.StringIO(), io.StringIO()
    status = await run_import(FakeReader(twins, {}), dry_run=False, now=NOW, public_url=PUBLIC_URL, email_domain=None, out=out, err=err)
    assert (status, out.getvalue()) == (1, "")
    assert err.getvalue().strip() == (
        "pagerline import pagerduty: pagerline refused a change: A team named 'Platform' exists already; nothing was changed"
    )
    assert await counts() == rows


async def test_opsgenie_rotations_that_overlap_are_reported(db: str) -> None:
    """Opsgenie notifies every rotation's user where rotations overlap; pagerline has one person
    on call, the later layer's, so the import says where the earlier rotation loses."""
    await people()
    b = bundle()
    opsgenie = replace(
        b, system="opsgenie", services=(), policies=(),
        schedules=(replace(b.schedules[0], layers=(
            ImportLayer("r-all", "Everyone", berlin(3, 1, 9), 7 * 86400, ("u-alice", "u-bob")),
            ImportLayer("r-weekend", "Weekend", berlin(3, 6, 0), 86400, ("u-carol",), restrictions=(WeeklyWindow(5, "00:00", 0, "00:00"),)),
        ), overrides=()),),
    )
    report = await apply(opsgenie)
    assert (
        "layer 'Primary / Everyone' [r-all]: partly: where it overlaps rotation 'Weekend' (first 2027-03-20 13:00 CET) Opsgenie "
        "notifies both rotations' users; pagerline has one person on call at a time, the later rotation's, so this rotation's "
        "user is not paged there"
    ) in texts(report.left_out)
    pagerduty = await apply(replace(opsgenie, system="pagerduty"))
    assert not any("overlaps" in line for line in texts(pagerduty.left_out))  # PagerDuty: the top layer wins too


# --------------------------------------------------------------------------- the on-call check


class FakeReader:
    """The other service, as the importer sees it: a bundle and who it says is on call."""

    def __init__(self, b: ImportBundle, spans: dict[str, list[OnCallSpan]], *, fail: str | None = None) -> None:
        self.system: Literal["pagerduty", "opsgenie"] = b.system
        self.bundle = b
        self.spans = spans
        self.fail = fail
        self.closed = False
        self.asked: list[tuple[str, datetime, datetime]] = []

    async def read(self) -> ImportBundle:
        if self.fail:
            raise ImportSourceError(self.fail)
        return self.bundle

    async def on_call(self, schedule_id: str, since: datetime, until: datetime) -> list[OnCallSpan]:
        self.asked.append((schedule_id, since, until))
        return [s for s in self.spans.get(schedule_id, []) if s.end > since and s.start < until]

    async def close(self) -> None:
        self.closed = True


def early_spans() -> list[OnCallSpan]:
    """Written out by hand: Early hands off daily at 02:30 Berlin, Alice on 15 March, then
    Bob, Alice, ... 02:30 CET is 01:30Z; from 29 March 02:30 CEST is 00:30Z. On 28 March
    02:30 does not exist (02:00 CET jumps to 03:00 CEST): that handoff is at 03:30 CEST, 01:30Z,
    an hour later on the wall clock, as the same instant as 02:30 CET would be."""
    handoffs = [datetime(2027, 3, day, 1, 30, tzinfo=UTC) for day in range(21, 29)]
    handoffs += [datetime(2027, 3, day, 0, 30, tzinfo=UTC) for day in range(29, 32)]
    handoffs += [datetime(2027, 4, day, 0, 30, tzinfo=UTC) for day in range(1, 18)]
    # 20 March is turn 5 (Bob); 21 March turn 6 (Alice); and so on, alternating.
    who = ["u-bob"] + ["u-alice" if (day - 21) % 2 == 0 else "u-bob" for day in range(21, 21 + len(handoffs))]
    edges = [NOW, *handoffs, UNTIL]
    return [OnCallSpan(start, end, user) for start, end, user in zip(edges[:-1], edges[1:], who, strict=True)]


def primary_spans(nights: tuple[str, ...] = ("u-carol", "u-alice")) -> list[OnCallSpan]:
    """Primary as PagerDuty renders it, worked out from its rules rather than from pagerline:
    overrides first, then Nights (18:00-08:00 Berlin, daily turns of ``nights`` from 1 March
    18:00), then Weekdays (Mon-Fri 09:00-17:00, weekly turns Alice, Bob from Monday 1 March
    09:00), else nobody. Turns count on the Berlin wall clock; every edge falls on a full hour."""

    def who(at: datetime) -> str | None:
        for override in (BOB_OVERRIDE, DAVE_OVERRIDE):
            if override.start <= at < override.end:
                return override.user_id
        wall = at.astimezone(BERLIN).replace(tzinfo=None)
        if wall.hour >= 18 or wall.hour < 8:
            return nights[((wall - datetime(2027, 3, 1, 18)) // timedelta(days=1)) % len(nights)]
        if wall.weekday() < 5 and 9 <= wall.hour < 17:
            return ("u-alice", "u-bob")[((wall - datetime(2027, 3, 1, 9)) // timedelta(weeks=1)) % 2]
        return None

    spans: list[OnCallSpan] = []
    at = NOW
    while at < UNTIL:
        user, end = who(at), at + timedelta(hours=1)
        if spans and spans[-1].user_id == user:
            spans[-1] = replace(spans[-1], end=end)
        else:
            spans.append(OnCallSpan(at, end, user))
        at = end
    return spans


def test_the_hand_written_spans_say_what_the_docstrings_say() -> None:
    early = early_spans()
    assert (early[0].user_id, early[0].end) == ("u-bob", datetime(2027, 3, 21, 1, 30, tzinfo=UTC))
    change = next(s for s in early if s.start == datetime(2027, 3, 28, 1, 30, tzinfo=UTC))
    assert (change.end - change.start, change.end) == (timedelta(hours=23), datetime(2027, 3, 29, 0, 30, tzinfo=UTC))
    primary = primary_spans()
    monday = next(s for s in primary if s.start == datetime(2027, 3, 22, 8, 0, tzinfo=UTC))  # Monday 09:00 CET
    assert (monday.user_id, monday.end) == ("u-bob", datetime(2027, 3, 22, 16, 0, tzinfo=UTC))
    after_change = next(s for s in primary if s.start == datetime(2027, 3, 29, 7, 0, tzinfo=UTC))  # Monday 09:00 CEST
    assert after_change.user_id == "u-alice"
    assert OnCallSpan(BOB_OVERRIDE.start, BOB_OVERRIDE.end, "u-bob") in primary


async def test_the_on_call_check_agrees_with_the_old_service_and_catches_a_wrong_span(db: str) -> None:
    await people()
    spans = {"s-primary": primary_spans(), "s-early": early_spans()}
    reader = FakeReader(bundle(), spans)
    report = await apply(bundle())
    differences = await compare_on_call(reader, report, NOW)
    assert sorted(asked[0] for asked in reader.asked) == ["s-early", "s-primary"]
    assert all((since, until) == (NOW, UNTIL) for _, since, until in reader.asked)
    # The only disagreement: Dave's override, which the import left out (he has no account).
    assert [(d.schedule_name, d.start, d.end, d.pagerline_user, d.old_user, d.expected) for d in differences] == [
        ("Primary", DAVE_OVERRIDE.start, DAVE_OVERRIDE.end, "alice@example.com", "dave@example.com",
         "dave@example.com has no pagerline account and was left out"),
    ]
    text = render_differences(differences, "pagerduty", NOW, UNTIL, 2)
    assert "No other differences." in text
    assert "schedule 'Primary', Thu 2027-04-01 09:00 CEST to Thu 2027-04-01 17:00 CEST: pagerline has alice@example.com, PagerDuty has dave@example.com" in text

    # A deliberately wrong span (PagerDuty saying Alice where it is Bob's day) is caught.
    wrong = list(spans["s-early"])
    index = next(i for i, s in enumerate(wrong) if s.start == datetime(2027, 3, 28, 1, 30, tzinfo=UTC))
    assert wrong[index].user_id == "u-bob"
    wrong[index] = replace(wrong[index], user_id="u-alice")
    caught = await compare_on_call(FakeReader(bundle(), {**spans, "s-early": wrong}), report.mapping, NOW)  # type: ignore[arg-type]
    real = [d for d in caught if d.expected is None]
    assert [(d.schedule_name, d.start, d.end, d.pagerline_user, d.old_user) for d in real] == [
        ("Early", datetime(2027, 3, 28, 1, 30, tzinfo=UTC), datetime(2027, 3, 29, 0, 30, tzinfo=UTC), "bob@example.com", "alice@example.com"),
    ]
    assert "Differences (1):" in render_differences(caught, "pagerduty", NOW, UNTIL, 2)

    # And a schedule that says nobody where pagerline has someone, over one hour only.
    gap = [OnCallSpan(s.start, s.end, s.user_id) for s in spans["s-early"]]
    gap[0] = replace(gap[0], end=NOW + timedelta(hours=1))
    gap.insert(1, OnCallSpan(NOW + timedelta(hours=1), datetime(2027, 3, 21, 1, 30, tzinfo=UTC), None))
    hole = [d for d in await compare_on_call(FakeReader(bundle(), {**spans, "s-early": gap}), report, NOW) if d.expected is None]
    assert [(d.start, d.end, d.pagerline_user, d.old_user) for d in hole] == [
        (NOW + timedelta(hours=1), datetime(2027, 3, 21, 1, 30, tzinfo=UTC), "bob@example.com", None),
    ]


async def test_run_import_prints_the_report_then_the_check_and_says_so_in_its_exit_status(db: str) -> None:
    """run.py's orchestration with the fake reader (the readers' own tests drive the real CLI
    against fake PagerDuty and Opsgenie APIs)."""
    await people()
    spans = {"s-primary": primary_spans(), "s-early": early_spans()}

    async def run(reader: FakeReader, *, dry_run: bool = False) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        status = await run_import(reader, dry_run=dry_run, now=NOW, public_url=PUBLIC_URL, email_domain=EMAIL_DOMAIN, out=out, err=err)
        assert reader.closed
        return status, out.getvalue(), err.getvalue()

    status, out, err = await run(FakeReader(bundle(), spans, fail="401 Unauthorized: check the API key"))
    assert (status, out) == (1, "")
    assert err.strip() == "pagerline import pagerduty: could not read PagerDuty: 401 Unauthorized: check the API key; nothing was changed"
    assert await Schedule.all().count() == 0

    reader = FakeReader(bundle(), spans)
    status, out, _ = await run(reader, dry_run=True)
    assert status == 0 and "dry run" in out and "On-call check" not in out and reader.asked == []

    status, out, _ = await run(FakeReader(bundle(), spans))
    assert status == 0, out
    assert "Created (9):" in out
    assert "On-call check against PagerDuty: 2 schedule(s), 2027-03-20 12:00 to 2027-04-17 12:00 UTC" in out
    assert "Expected differences (1)" in out and "No other differences." in out

    wrong = [replace(s, user_id="u-carol") if s.user_id == "u-bob" else s for s in early_spans()]
    status, out, _ = await run(FakeReader(bundle(), {**spans, "s-early": wrong}))
    assert status == 3
    bobs_days = sum(1 for s in early_spans() if s.user_id == "u-bob")
    assert "Unchanged (" in out and f"Differences ({bobs_days}):" in out  # each of Bob's days, said once


# ------------------------------------------------------------------------------ the command


def pagerline(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pagerline", *args], env=base_env(env), input=stdin, capture_output=True, text=True, timeout=120
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_command_refuses_bad_arguments_and_an_unreachable_service_without_changing_anything(tmp_path: Path) -> None:
    """As a user runs it. A successful run against fake PagerDuty and Opsgenie APIs is the
    readers' tests' part (tests/integration/test_import_pagerduty.py, test_import_opsgenie.py)."""
    env = {"PAGERLINE_DATABASE_URL": f"sqlite://{tmp_path}/p.db"}
    assert pagerline("migrate", env=env).returncode == 0
    for system in ("pagerduty", "opsgenie"):
        shown = pagerline("import", system, "--help", env=env)
        assert shown.returncode == 0 and "--dry-run" in shown.stdout and "3: who is on call differs" in " ".join(shown.stdout.split())
        no_key = pagerline("import", system, env=env)
        assert no_key.returncode == 2 and "one of the arguments --api-key --api-key-stdin is required" in no_key.stderr
        empty = pagerline("import", system, "--api-key-stdin", env=env, stdin="\n")
        assert (empty.returncode, empty.stderr.strip()) == (2, f"pagerline import {system}: no API key given (--api-key or --api-key-stdin)")
        unreachable = pagerline("import", system, "--api-key-stdin", "--base-url", f"http://127.0.0.1:{closed_port()}", env=env, stdin="k\n")
        assert unreachable.returncode == 1, unreachable.stderr
        assert unreachable.stdout == ""
        assert unreachable.stderr.startswith(f"pagerline import {system}: could not read ")
        assert unreachable.stderr.rstrip().endswith("; nothing was changed")
    assert pagerline("import", env=env).returncode == 2
