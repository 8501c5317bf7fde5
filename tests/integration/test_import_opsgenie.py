"""``pagerline import opsgenie`` against a fake Opsgenie REST API (tests/fakes/opsgenie_api.py)
serving an account in Opsgenie's documented shapes, users paged three to a page:

* the Ops schedule (Europe/Berlin): a weekly rotation restricted to weekdays 09:00-18:00 and a
  daily rotation restricted to 18:00-09:00 (time of day), with an override ahead and one that
  is over, and a user (ghost@example.com) who has no pagerline account;
* the DB schedule (Europe/Berlin): a daily rotation handing off at 02:30, which does not exist
  on 2027-03-28 when Berlin moves its clocks from 02:00 to 03:00;
* the Vendor schedule, whose only rotation has a team among its participants: left out;
* a repeating escalation (repeat count 2, waitInterval 10) whose rules share delays, and one
  with an "if not closed" rule (imported as pagerline's only kind, and reported);
* API, Email and Prometheus integrations routed by their teams' default routing rules, and a
  Webhook integration (no pagerline intake takes it over: left out).

"Now" is fixed at 2027-03-20T12:00Z; nothing reads the wall clock.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pagerline.engine.people.accounts import create_user
from pagerline.importers.apply import apply_bundle
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
from pagerline.importers.opsgenie import OpsgenieReader
from pagerline.models import EscalationPolicy, Role, Schedule
from tests.support.sleeps import Sleeps
from tests.fakes.opsgenie_api import FakeOpsgenie, participant, restriction, rotation, time_of_day, user
from tests.support.graphql import in_db
from tests.support.processes import base_env

NOW = datetime(2027, 3, 20, 12, 0, tzinfo=UTC)
KEY = "5d1a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8"
API_KEY_OF_INTEGRATION = "3f9c1b2a-7e7e-4a4a-9d9d-77e1c0de1234"
PROM_KEY_OF_INTEGRATION = "8a8a8a8a-1111-4b4b-8c8c-0000deadbeef"

ALICE = user("u-alice", "alice@example.com", "Alice Archer")
BOB = user("u-bob", "bob@example.com", "Bob Baker")
CAROL = user("u-carol", "carol@example.com", "Carol Chen")
DAVE = user("u-dave", "dave@example.com", "Dave Diaz", "Europe/Lisbon")
ERIN = user("u-erin", "erin@example.com", "Erin Engel")
FRANK = user("u-frank", "frank@example.com", "Frank Fox", "UTC")
GHOST = user("u-ghost", "ghost@example.com", "Gus Ghost")  # no pagerline account
PEOPLE = [FRANK, ALICE, GHOST, CAROL, BOB, ERIN, DAVE]  # Opsgenie sorts them by username


def member(u: dict[str, object], role: str = "user") -> dict[str, object]:
    return {"user": {"id": u["id"], "username": u["username"]}, "role": role}


def fill(og: FakeOpsgenie) -> None:
    """The Opsgenie account the tests import."""
    og.users += PEOPLE
    og.teams += [
        {"id": "t-ops", "name": "Ops", "description": "Operations", "members": [member(ALICE, "admin"), member(BOB), member(CAROL), member(DAVE), member(GHOST)]},
        {"id": "t-db", "name": "Database", "description": "", "members": [member(ERIN, "admin"), member(FRANK)]},
    ]
    weekdays = {"type": "weekday-and-time-of-day", "restrictions": [restriction(day, "09:00", day, "18:00") for day in ("monday", "tuesday", "wednesday", "thursday", "friday")]}
    og.schedules += [
        {
            "id": "s-ops", "name": "Ops_Schedule", "description": "", "timezone": "Europe/Berlin", "enabled": True,
            "ownerTeam": {"id": "t-ops", "name": "Ops"},
            "rotations": [
                # Monday 2027-03-01 09:00 CET
                rotation("r-weekdays", "Business hours", "weekly", "2027-03-01T08:00:00Z", [participant(ALICE), participant(BOB)], time_restriction=weekdays),
                # 18:00 CET
                rotation("r-nights", "Nights", "daily", "2027-03-01T17:00:00Z", [participant(CAROL), participant(DAVE), participant(GHOST)], time_restriction=time_of_day("18:00", "09:00")),
            ],
        },
        {
            "id": "s-db", "name": "DB_Schedule", "description": "", "timezone": "Europe/Berlin", "enabled": True,
            "ownerTeam": {"id": "t-db", "name": "Database"},
            # 02:30 CET on 2027-03-15; 02:30 does not exist on 2027-03-28
            "rotations": [rotation("r-dst", "Night handoff", "daily", "2027-03-15T01:30:00Z", [participant(FRANK), participant(ERIN)])],
        },
        {
            "id": "s-vendor", "name": "Vendor_Schedule", "description": "", "timezone": "UTC", "enabled": True,
            "ownerTeam": {"id": "t-db", "name": "Database"},
            "rotations": [rotation("r-vendor", "Vendor rota", "weekly", "2027-03-01T00:00:00Z", [participant(FRANK), {"type": "team", "id": "t-ops", "name": "Ops"}])],
        },
    ]
    og.overrides["s-ops"] = [
        {"alias": "0f5c1d7e-erin", "user": {"type": "user", "id": ERIN["id"], "username": ERIN["username"]},
         "startDate": "2027-03-24T08:00:00Z", "endDate": "2027-03-25T08:00:00Z", "rotations": []},
        {"alias": "9a1b2c3d-over", "user": {"type": "user", "id": BOB["id"], "username": BOB["username"]},
         "startDate": "2027-03-08T08:00:00Z", "endDate": "2027-03-09T08:00:00Z", "rotations": []},
    ]
    og.escalations += [
        {
            "id": "e-ops", "name": "Ops_Escalation", "description": "", "ownerTeam": {"id": "t-ops", "name": "Ops"},
            "rules": [
                {"condition": "if-not-acked", "notifyType": "default", "delay": {"timeAmount": 0, "timeUnit": "minutes"}, "recipient": {"type": "schedule", "id": "s-ops", "name": "Ops_Schedule"}},
                {"condition": "if-not-acked", "notifyType": "default", "delay": {"timeAmount": 5, "timeUnit": "minutes"}, "recipient": {"type": "user", "id": BOB["id"], "username": BOB["username"]}},
                {"condition": "if-not-acked", "notifyType": "default", "delay": {"timeAmount": 5, "timeUnit": "minutes"}, "recipient": {"type": "user", "id": ALICE["id"], "username": ALICE["username"]}},
                {"condition": "if-not-acked", "notifyType": "default", "delay": {"timeAmount": 15, "timeUnit": "minutes"}, "recipient": {"type": "user", "id": FRANK["id"], "username": FRANK["username"]}},
            ],
            "repeat": {"waitInterval": 10, "count": 2, "resetRecipientStates": False, "closeAlertAfterAll": False},
        },
        {
            "id": "e-db", "name": "DB_Escalation", "description": "", "ownerTeam": {"id": "t-db", "name": "Database"},
            "rules": [
                {"condition": "if-not-acked", "notifyType": "default", "delay": {"timeAmount": 0, "timeUnit": "minutes"}, "recipient": {"type": "schedule", "id": "s-db", "name": "DB_Schedule"}},
                {"condition": "if-not-closed", "notifyType": "default", "delay": {"timeAmount": 10, "timeUnit": "minutes"}, "recipient": {"type": "user", "id": ERIN["id"], "username": ERIN["username"]}},
            ],
            "repeat": {"waitInterval": 0, "count": 0, "resetRecipientStates": False, "closeAlertAfterAll": False},
        },
    ]
    og.integrations += [
        {"id": "i-api", "name": "Ops_API", "type": "API", "enabled": True, "teamId": "t-ops", "ownerTeam": {"id": "t-ops", "name": "Ops"}, "apiKey": API_KEY_OF_INTEGRATION, "_readOnly": ["type"]},
        {"id": "i-mail", "name": "Ops_Email", "type": "Email", "enabled": True, "teamId": "t-ops", "ownerTeam": {"id": "t-ops", "name": "Ops"}, "emailAddress": "ops@acme.opsgenie.net", "emailUsername": "ops"},
        {"id": "i-prom", "name": "DB_Prometheus", "type": "Prometheus", "enabled": True, "teamId": "t-db", "ownerTeam": {"id": "t-db", "name": "Database"}, "apiKey": PROM_KEY_OF_INTEGRATION},
        {"id": "i-hook", "name": "Ops_Webhook", "type": "Webhook", "enabled": True, "teamId": "t-ops", "ownerTeam": {"id": "t-ops", "name": "Ops"}, "url": "https://hooks.example.com/og"},
    ]
    og.routing_rules["t-ops"] = [
        {"id": "rr-ops", "name": "Default Routing Rule", "isDefault": True, "order": 0, "timezone": "Europe/Berlin",
         "criteria": {"type": "match-all"}, "notify": {"type": "escalation", "id": "e-ops", "name": "Ops_Escalation"}},
    ]
    og.routing_rules["t-db"] = [
        {"id": "rr-db", "name": "Default Routing Rule", "isDefault": True, "order": 0, "timezone": "Europe/Berlin",
         "criteria": {"type": "match-all"}, "notify": {"type": "escalation", "id": "e-db", "name": "DB_Escalation"}},
    ]


def expected_bundle(base_url: str) -> ImportBundle:
    weekdays = tuple(WeeklyWindow(day, "09:00", day, "18:00") for day in range(5))
    nights = tuple(WeeklyWindow(day, "18:00", (day + 1) % 7, "09:00") for day in range(7))
    return ImportBundle(
        system="opsgenie",
        users=tuple(
            ImportUser(u["id"], u["fullName"], u["username"], u["timeZone"])  # type: ignore[arg-type]
            for u in (ALICE, BOB, CAROL, DAVE, ERIN, FRANK, GHOST)
        ),
        teams=(
            ImportTeam("t-ops", "Ops", ("u-alice", "u-bob", "u-carol", "u-dave", "u-ghost")),
            ImportTeam("t-db", "Database", ("u-erin", "u-frank")),
        ),
        schedules=(
            ImportSchedule(
                "s-ops", "Ops_Schedule", "Europe/Berlin",
                layers=(
                    ImportLayer("r-weekdays", "Business hours", datetime(2027, 3, 1, 8, tzinfo=UTC), 7 * 86400, ("u-alice", "u-bob"), restrictions=weekdays),
                    ImportLayer("r-nights", "Nights", datetime(2027, 3, 1, 17, tzinfo=UTC), 86400, ("u-carol", "u-dave", "u-ghost"), restrictions=nights),
                ),
                overrides=(ImportOverride("s-ops:0f5c1d7e-erin", "u-erin", datetime(2027, 3, 24, 8, tzinfo=UTC), datetime(2027, 3, 25, 8, tzinfo=UTC)),),
                team_id="t-ops",
            ),
            ImportSchedule(
                "s-db", "DB_Schedule", "Europe/Berlin",
                layers=(ImportLayer("r-dst", "Night handoff", datetime(2027, 3, 15, 1, 30, tzinfo=UTC), 86400, ("u-frank", "u-erin")),),
                team_id="t-db",
            ),
        ),
        policies=(
            ImportPolicy(
                "e-ops", "Ops_Escalation",
                rules=(
                    ImportRule(5, (ImportTarget("schedule", "s-ops"),)),
                    ImportRule(10, (ImportTarget("user", "u-bob"), ImportTarget("user", "u-alice"))),
                    ImportRule(10, (ImportTarget("user", "u-frank"),)),  # waitInterval 10 + first delay 0
                ),
                loops=3,
                team_id="t-ops",
            ),
            ImportPolicy(
                "e-db", "DB_Escalation",
                rules=(ImportRule(10, (ImportTarget("schedule", "s-db"),)), ImportRule(30, (ImportTarget("user", "u-erin"),))),
                loops=1,
                team_id="t-db",
            ),
        ),
        services=(
            ImportService("i-api", "Ops_API", "e-ops", (ImportIntegration("i-api", "Ops_API", "opsgenie", f"{base_url}/v2/alerts (GenieKey …1234)"),), "t-ops"),
            ImportService("i-mail", "Ops_Email", "e-ops", (ImportIntegration("i-mail", "Ops_Email", "email", "ops@acme.opsgenie.net"),), "t-ops"),
            ImportService("i-prom", "DB_Prometheus", "e-db", (ImportIntegration("i-prom", "DB_Prometheus", "opsgenie", f"{base_url}/v2/alerts (GenieKey …beef)"),), "t-db"),
        ),
        left_out=(
            LeftOut("layer", "r-vendor", "Vendor_Schedule / Vendor rota",
                    "participant 2 is team 'Ops': pagerline's layers rotate users only (a team or escalation decides by its own rules whom it pages)"),
            LeftOut("schedule", "s-vendor", "Vendor_Schedule", "none of its rotations can be imported (see above)"),
            LeftOut("rule", "e-db/rules/2", "DB_Escalation / rule 2",
                    "its condition is 'if not closed' (page even after someone acknowledged); imported as pagerline's "
                    "'until someone accepts', so it does not page for an accepted alert"),
            LeftOut("integration", "i-hook", "Ops_Webhook", "pagerline has no intake that takes over Opsgenie's Webhook integration"),
        ),
    )


@pytest.fixture
def og() -> Iterator[FakeOpsgenie]:
    with FakeOpsgenie(api_key=KEY, page_limit=3) as fake:
        fill(fake)
        yield fake


def reader_for(og: FakeOpsgenie, sleeps: Sleeps | None = None, key: str = KEY) -> OpsgenieReader:
    return OpsgenieReader(key, og.url, clock=lambda: NOW, sleep=sleeps or Sleeps())


# --------------------------------------------------------------------------- reading


async def test_read_translates_the_account_across_pages(og: FakeOpsgenie) -> None:
    reader = reader_for(og)
    try:
        bundle = await reader.read()
    finally:
        await reader.close()
    assert bundle == expected_bundle(og.url)
    pages = og.calls("/v2/users")
    assert [(c.query["offset"], c.status) for c in pages] == [("0", 200), ("3", 200), ("6", 200)]
    assert {c.authorization for c in og.calls()} == {f"GenieKey {KEY}"}
    assert [c.query.get("expand") for c in og.calls("/v2/schedules")] == ["rotation"]


async def test_a_refused_key_stops_the_import_with_why(og: FakeOpsgenie) -> None:
    reader = reader_for(og, key="not-the-key")
    try:
        with pytest.raises(ImportSourceError, match=r"Opsgenie refused the API key \(HTTP 401 on GET /v2/users: Could not authenticate\)"):
            await reader.read()
    finally:
        await reader.close()
    assert len(og.calls()) == 1  # no retries on a refused key


async def test_a_key_without_configuration_access_is_refused_too(og: FakeOpsgenie) -> None:
    og.fail(403, path="/v2/teams")
    reader = reader_for(og)
    try:
        with pytest.raises(ImportSourceError, match=r"refused the API key \(HTTP 403 on GET /v2/teams"):
            await reader.read()
    finally:
        await reader.close()


async def test_too_many_requests_waits_as_asked_then_goes_on(og: FakeOpsgenie) -> None:
    og.fail(429, path="/v2/users", period=1, times=2)
    og.fail(429, path="/v2/escalations", retry_after=7)
    sleeps = Sleeps()
    reader = reader_for(og, sleeps)
    try:
        bundle = await reader.read()
    finally:
        await reader.close()
    assert bundle == expected_bundle(og.url)
    assert sleeps.waits == [1.0, 1.0, 7.0]  # X-RateLimit-Period-In-Sec, then Retry-After
    assert [c.status for c in og.calls("/v2/users")] == [429, 429, 200, 200, 200]


async def test_server_errors_are_retried_a_few_times_then_reported(og: FakeOpsgenie) -> None:
    og.fail(503, path="/v2/escalations", times=None)
    sleeps = Sleeps()
    reader = reader_for(og, sleeps)
    try:
        with pytest.raises(ImportSourceError, match=r"HTTP 503 on GET /v2/escalations.*gave up after 5 attempts"):
            await reader.read()
    finally:
        await reader.close()
    assert sleeps.waits == [0.5, 1.0, 2.0, 4.0]
    assert len(og.calls("/v2/escalations")) == 5


async def test_an_unreachable_opsgenie_is_reported() -> None:
    with FakeOpsgenie(api_key=KEY) as gone:
        url = gone.url
    reader = OpsgenieReader(KEY, url, clock=lambda: NOW, sleep=Sleeps(), attempts=2)
    try:
        with pytest.raises(ImportSourceError, match=r"could not reach Opsgenie at http://127\.0\.0\.1:\d+ .*gave up after 2 attempts"):
            await reader.read()
    finally:
        await reader.close()


# --------------------------------------------------------------------------- on call


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def test_on_call_follows_the_0230_handoff_across_the_daylight_saving_change(og: FakeOpsgenie) -> None:
    reader = reader_for(og)
    try:
        spans = await reader.on_call("s-db", at("2027-03-26T00:00"), at("2027-03-30T00:00"))
    finally:
        await reader.close()
    # 02:30 CET is 01:30Z; on the 28th 02:30 does not exist and the handoff is at 03:30 CEST
    # (01:30Z, later by the gap); from the 29th 02:30 CEST is 00:30Z.
    assert spans == [
        OnCallSpan(at("2027-03-26T00:00"), at("2027-03-26T01:30"), "u-frank"),  # turn 10 from 03-15
        OnCallSpan(at("2027-03-26T01:30"), at("2027-03-27T01:30"), "u-erin"),
        OnCallSpan(at("2027-03-27T01:30"), at("2027-03-28T01:30"), "u-frank"),
        OnCallSpan(at("2027-03-28T01:30"), at("2027-03-29T00:30"), "u-erin"),  # 23 hours
        OnCallSpan(at("2027-03-29T00:30"), at("2027-03-30T00:00"), "u-frank"),
    ]


async def test_on_call_merges_rotations_restrictions_and_the_override(og: FakeOpsgenie) -> None:
    reader = reader_for(og)
    try:
        spans = await reader.on_call("s-ops", at("2027-03-24T06:00"), at("2027-03-25T18:00"))
    finally:
        await reader.close()
    # The week from 03-22 is bob's (alice, bob, alice, bob from 03-01). Nights from 03-01 18:00
    # CET go carol, dave, ghost, …: turn 22 (the night of 03-23) is dave's, turn 24 (03-25)
    # carol's. Erin's override takes 03-24 08:00Z to 03-25 08:00Z, ghost's night inside it.
    assert spans == [
        OnCallSpan(at("2027-03-24T06:00"), at("2027-03-24T08:00"), "u-dave"),
        OnCallSpan(at("2027-03-24T08:00"), at("2027-03-25T08:00"), "u-erin"),
        OnCallSpan(at("2027-03-25T08:00"), at("2027-03-25T17:00"), "u-bob"),
        OnCallSpan(at("2027-03-25T17:00"), at("2027-03-25T18:00"), "u-carol"),
    ]


# --------------------------------------------------------------------------- import and check


async def seed_people() -> None:
    """pagerline's side: everyone but ghost@example.com has an account (alice's email in other
    letter case: accounts are matched case-insensitively)."""
    for u in (ALICE, BOB, CAROL, DAVE, ERIN, FRANK):
        email = str(u["username"])
        await create_user(email.capitalize() if u is ALICE else email, str(u["fullName"]), "a-long-password", Role.USER, "Europe/Berlin")


def ghost_nights() -> list[tuple[datetime, datetime]]:
    """The nights the Nights rotation gives ghost (turns 2, 5, 8, … from 2027-03-01) within four
    weeks of NOW, 18:00 to 09:00 in Berlin, except the one erin's override covers."""
    berlin = ZoneInfo("Europe/Berlin")
    nights = []
    for turn in range(2, 60, 3):
        start = datetime(2027, 3, 1, 18, tzinfo=berlin) + timedelta(days=turn)
        end = datetime(2027, 3, 2, 9, tzinfo=berlin) + timedelta(days=turn)
        if start >= NOW and end <= NOW + timedelta(weeks=4) and not start.date().isoformat() == "2027-03-24":
            nights.append((start.astimezone(UTC), end.astimezone(UTC)))
    return nights


PUBLIC_URL = "https://pagerline.example.com"


async def test_with_everyone_in_pagerline_the_on_call_check_finds_no_difference(og: FakeOpsgenie, db: str) -> None:
    """The supported cases alone: restrictions, the 02:30 handoff across the clock change, the
    override; ghost@example.com has an account here."""
    await seed_people()
    await create_user(str(GHOST["username"]), str(GHOST["fullName"]), "a-long-password", Role.USER, "Europe/Berlin")
    reader = reader_for(og)
    try:
        report = await apply_bundle(await reader.read(), dry_run=False, now=NOW, public_url=PUBLIC_URL, email_domain=None)
        differences = await compare_on_call(reader, report, NOW)
    finally:
        await reader.close()
    assert differences == []
    assert report.mapping is not None and sorted(report.mapping.schedules) == ["s-db", "s-ops"]


def in_a_night(start: datetime, end: datetime) -> bool:
    """Whether [start, end) lies within one night of the Nights rotation (18:00 to 09:00 Berlin)."""
    berlin = ZoneInfo("Europe/Berlin")
    local = start.astimezone(berlin)
    evening = datetime(local.year, local.month, local.day, 18, tzinfo=berlin) - timedelta(days=0 if local.hour >= 18 else 1)
    return evening <= start and end <= datetime(evening.year, evening.month, evening.day, 9, tzinfo=berlin) + timedelta(days=1)


async def test_import_then_the_on_call_check_differs_only_in_the_missing_users_rotation(og: FakeOpsgenie, db: str) -> None:
    await seed_people()
    reader = reader_for(og)
    try:
        bundle = await reader.read()
        dry = await apply_bundle(bundle, dry_run=True, now=NOW, public_url=PUBLIC_URL, email_domain="alerts.example.com")
        assert dry.mapping is None and dry.created
        assert await Schedule.all().count() == 0 and await EscalationPolicy.all().count() == 0  # a dry run keeps nothing

        report = await apply_bundle(bundle, dry_run=False, now=NOW, public_url=PUBLIC_URL, email_domain="alerts.example.com")
        assert [line.text() for line in report.created] == [line.text() for line in dry.created]
        differences = await compare_on_call(reader, report, NOW)

        again = await apply_bundle(await reader.read(), dry_run=False, now=NOW, public_url=PUBLIC_URL, email_domain="alerts.example.com")
    finally:
        await reader.close()

    # ghost's nights are the expected differences; whatever else differs is in the Nights
    # rotation that was imported without ghost (how the rest of it goes is the planner's
    # choice, reported as left out); the DB schedule and the daytime rotation agree.
    expected = [d for d in differences if d.expected is not None]
    assert [(d.schedule_name, d.start, d.end, d.old_user) for d in expected] == [
        ("Ops_Schedule", start, end, "ghost@example.com") for start, end in ghost_nights()
    ]
    assert all("ghost@example.com has no pagerline account" in str(d.expected) for d in expected)
    assert len(expected) == 8
    assert [(d.start, d.end) for d in differences if d.expected is None and not in_a_night(d.start, d.end)] == []
    assert {d.schedule_name for d in differences} == {"Ops_Schedule"}
    assert any(line.kind == "layer" and line.name == "Ops_Schedule / Nights" and "ghost@example.com" in line.detail for line in report.left_out)

    assert await Schedule.all().count() == 2  # Ops_Schedule, DB_Schedule (Vendor_Schedule left out)
    assert sorted(await EscalationPolicy.all().values_list("name", flat=True)) == ["DB_Escalation", "Ops_Escalation"]
    left = {(line.kind, line.name) for line in report.left_out}
    assert {("integration", "Ops_Webhook"), ("schedule", "Vendor_Schedule"), ("rule", "DB_Escalation / rule 2"), ("user", "Gus Ghost")} <= left
    assert {row.integration: row.integration_type for row in report.integrations} == {"Ops_API": "OPSGENIE", "Ops_Email": "EMAIL", "DB_Prometheus": "OPSGENIE"}

    assert again.created == [] and again.changed == []  # importing again changes nothing


# --------------------------------------------------------------------------- the command


def shift_weeks(og: FakeOpsgenie, weeks: int) -> None:
    """Move every rotation and override of the account ``weeks`` weeks later (weekdays and UTC
    times kept), for a process that reads the real clock."""

    def moved(text: str) -> str:
        return (datetime.fromisoformat(text.replace("Z", "+00:00")) + timedelta(weeks=weeks)).strftime("%Y-%m-%dT%H:%M:%SZ")

    for schedule in og.schedules:
        for rot in schedule["rotations"]:
            rot["startDate"] = moved(rot["startDate"])
            if "endDate" in rot:
                rot["endDate"] = moved(rot["endDate"])
    for overrides in og.overrides.values():
        for override in overrides:
            override["startDate"], override["endDate"] = moved(override["startDate"]), moved(override["endDate"])


def pagerline_import(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = Path(sys.executable).with_name("pagerline")
    return subprocess.run(
        [str(command), "import", "opsgenie", *args], env=base_env(env), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=120,
    )


def test_the_command_dry_runs_imports_and_then_changes_nothing(og: FakeOpsgenie, database_url: str) -> None:
    """``pagerline import opsgenie`` as an operator runs it. The command reads the real clock, so
    the account is moved to start two to three weeks before today (erin's override then lies ahead, the other one behind)."""
    today = datetime.now(UTC)
    shift_weeks(og, (today - datetime(2027, 3, 1, tzinfo=UTC)).days // 7 - 2)

    async def everyone() -> None:
        await seed_people()
        await create_user(str(GHOST["username"]), str(GHOST["fullName"]), "a-long-password", Role.USER, "Europe/Berlin")

    in_db(database_url, everyone)
    env = {"PAGERLINE_DATABASE_URL": database_url, "PAGERLINE_PUBLIC_URL": PUBLIC_URL}

    refused = pagerline_import("--api-key", "wrong-key", "--base-url", og.url, env=env)
    assert refused.returncode == 1, refused.stderr
    assert "Opsgenie refused the API key (HTTP 401" in refused.stderr and "nothing was changed" in refused.stderr
    assert "Traceback" not in refused.stderr

    dry = pagerline_import("--api-key", KEY, "--base-url", og.url, "--dry-run", env=env)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "Import from Opsgenie (dry run: nothing was changed)" in dry.stdout
    assert "+ schedule 'Ops_Schedule' [s-ops]" in dry.stdout and "+ policy 'Ops_Escalation' [e-ops]: 3 levels" in dry.stdout
    assert "- integration 'Ops_Webhook' [i-hook]: pagerline has no intake that takes over Opsgenie's Webhook integration" in dry.stdout
    assert "- schedule 'Vendor_Schedule' [s-vendor]" in dry.stdout
    assert "On-call check" not in dry.stdout  # a dry run imports nothing to compare
    assert in_db(database_url, lambda: Schedule.all().count()) == 0

    real = pagerline_import("--api-key", KEY, "--base-url", og.url, env=env)
    assert real.returncode == 0, real.stdout + real.stderr
    assert "+ schedule 'Ops_Schedule' [s-ops]" in real.stdout and "GenieKey il_" in real.stdout  # the new keys, shown once
    assert "On-call check against Opsgenie: 2 schedule(s)" in real.stdout and "No differences." in real.stdout
    assert in_db(database_url, lambda: Schedule.all().count()) == 2

    again = pagerline_import("--api-key", KEY, "--base-url", og.url, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Created: none" in again.stdout and "Changed: none" in again.stdout
    assert "No differences." in again.stdout
    assert in_db(database_url, lambda: Schedule.all().count()) == 2
