"""``pagerline import pagerduty`` against a fake PagerDuty REST API v2 (tests/fakes/pagerduty_api.py)
serving an account in PagerDuty's documented shapes, 30 users (more than the default page of 25):

* Business hours (America/New_York): a weekly rotation restricted to Monday-Friday 09:00-17:00,
  with an override ahead (bob, 2027-03-24) and one that is over;
* Nights (Europe/Berlin): a daily rotation restricted to 18:00-08:00 (time of day), whose layer
  started inside a turn (as every edit in PagerDuty's web app does) and ends on 2027-04-07 at
  12:00, where a second layer takes over (also inside a turn, still to come); ghost@example.com,
  one of its people, has no pagerline account;
* Berlin handoff (Europe/Berlin): a daily rotation handing off at 02:30, a time that does not exist
  on 2027-03-28 when Berlin moves its clocks from 02:00 to 03:00, under a higher weekend layer,
  above a layer that is over; PagerDuty lists the layers highest first;
* a repeating escalation policy (num_loops 2) and one with a round-robin level and handoff
  notifications "always" (both left out, with why);
* services with an Events API v2 integration (an Alertmanager), an email integration, an Events
  API v1 one and a Nagios one (left out), urgency by support hours (left out), a disabled service,
  a shift-based (v3) schedule and an event orchestration (left out).

"Now" is fixed at 2027-03-20T12:00Z, except in the test of the command itself, which runs as a
user runs it (on the wall clock: the account means the same at any date).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
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
    OnCallSpan,
    WeeklyWindow,
)
from pagerline.importers.pagerduty import PagerDutyReader
from pagerline.models import AlertSource, EscalationPolicy, Role, Schedule, ScheduleLayer, ScheduleOverride, Team
from tests.support.sleeps import Sleeps
from tests.fakes.pagerduty_api import (
    FakePagerDuty,
    PagerDutyAccount,
    daily_restriction,
    integration_object,
    layer_object,
    member,
    override_object,
    policy_object,
    rule_object,
    schedule_object,
    service_object,
    team_object,
    user_object,
    weekly_restriction,
)
from tests.support.databases import TemplateDatabases
from tests.support.graphql import in_db
from tests.support.processes import base_env

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2027, 3, 20, 12, 0, tzinfo=UTC)  # a Saturday
KEY = "u+pagerline-import-test-key"
ALERTMANAGER_KEY = "5f1e2d3c4b5a69788796a5b4c3d2e1f0"
BERLIN_EVENTS_KEY = "0c0ffee0c0ffee0c0ffee0c0ffeebeef"
EVENTS = "https://events.pagerduty.com/v2/enqueue"
PUBLIC_URL = "https://pagerline.example.com"

ALICE = user_object("PALICE1", "Alice Archer", "alice@example.com", "Europe/Berlin")
BOB = user_object("PBOB001", "Bob Baker", "bob@example.com", "America/New_York")
CAROL = user_object("PCAROL1", "Carol Chen", "carol@example.com", "America/New_York")
DAVE = user_object("PDAVE01", "Dave Diaz", "dave@example.com", "Europe/Berlin")
ERIN = user_object("PERIN01", "Erin Engel", "erin@example.com", "Europe/Berlin")
FRANK = user_object("PFRANK1", "Frank Fox", "frank@example.com", "Europe/Berlin")
GHOST = user_object("PGHOST1", "Gus Ghost", "ghost@example.com", "Europe/Berlin")  # no pagerline account
PEOPLE = [ALICE, BOB, CAROL, DAVE, ERIN, FRANK, GHOST]
WATCHERS = [user_object(f"PSTAKE{n:02d}", f"Watcher {n:02d}", f"watcher{n:02d}@example.com", role="limited_stakeholder")
            for n in range(1, 24)]  # on no schedule; they make the user list two pages long

PLATFORM = team_object("PTEAM01", "Platform")
BERLIN = team_object("PTEAM02", "Berlin Ops")

BUSINESS = schedule_object("PSCHED1", "Business hours", "America/New_York", teams=[PLATFORM], layers=[
    layer_object("PLAYER1", "Weekdays", start="2025-01-06T09:00:00-05:00", rotation_virtual_start="2025-01-06T09:00:00-05:00",
                 turn_seconds=7 * 86400, users=[ALICE, BOB, CAROL],
                 restrictions=[weekly_restriction(day, "09:00:00", 8 * 3600) for day in range(1, 6)]),
])
NIGHTS = schedule_object("PSCHED2", "Nights", "Europe/Berlin", teams=[BERLIN], layers=[
    layer_object("PLAYER2", "Nights", start="2025-02-10T13:00:00+01:00", end="2027-04-07T12:00:00+02:00",
                 rotation_virtual_start="2025-01-01T18:00:00+01:00", turn_seconds=86400, users=[DAVE, ERIN, GHOST],
                 restrictions=[daily_restriction("18:00:00", 14 * 3600)]),
    layer_object("PLAYER3", "Nights from April", start="2027-04-07T12:00:00+02:00",
                 rotation_virtual_start="2025-01-01T18:00:00+01:00", turn_seconds=86400, users=[ERIN, DAVE],
                 restrictions=[daily_restriction("18:00:00", 14 * 3600)]),
])
HANDOFF = schedule_object("PSCHED3", "Berlin handoff", "Europe/Berlin", teams=[BERLIN], layers=[
    layer_object("PLAYER0", "Old rota", start="2024-06-01T00:00:00+02:00", end="2025-01-01T02:30:00+01:00",
                 rotation_virtual_start="2024-06-01T00:00:00+02:00", turn_seconds=86400, users=[BOB]),
    layer_object("PLAYER4", "Daily 02:30", start="2025-01-01T02:30:00+01:00", rotation_virtual_start="2025-01-01T02:30:00+01:00",
                 turn_seconds=86400, users=[FRANK, ALICE]),
    layer_object("PLAYER5", "Weekend cover", start="2025-01-04T10:00:00+01:00", rotation_virtual_start="2025-01-04T10:00:00+01:00",
                 turn_seconds=7 * 86400, users=[CAROL], restrictions=[weekly_restriction(6, "10:00:00", 86400)]),
])

PRIMARY = policy_object("PPOL001", "Platform primary", num_loops=2, teams=[PLATFORM], rules=[
    rule_object("PRULE01", 10, [BUSINESS, BOB]),
    rule_object("PRULE02", 15, [NIGHTS]),
])
BERLIN_POLICY = policy_object("PPOL002", "Berlin ops", teams=[BERLIN], on_call_handoff_notifications="always", rules=[
    rule_object("PRULE03", 5, [HANDOFF]),
    {**rule_object("PRULE04", 20, [FRANK, GHOST]), "escalation_rule_assignment_strategy": {"type": "round_robin"}},
])

CHECKOUT = service_object("PSERV01", "Checkout API", PRIMARY, teams=[PLATFORM], integrations=[
    integration_object("PINT001", "events_api_v2_inbound_integration", "Alertmanager", "PSERV01",
                       integration_key=ALERTMANAGER_KEY, vendor=("PVEND01", "Prometheus")),
    integration_object("PINT002", "generic_email_inbound_integration", "Checkout email", "PSERV01",
                       integration_email="checkout@acme.pagerduty.com"),
    integration_object("PINT003", "generic_events_api_inbound_integration", "Legacy sender", "PSERV01",
                       integration_key="9b9b9b9b9b9b9b9b9b9b9b9b9b9b1234"),
])
NAGIOS = service_object("PSERV02", "Nagios checks", BERLIN_POLICY, teams=[BERLIN], integrations=[
    integration_object("PINT004", "nagios_inbound_integration", "Nagios", "PSERV02", integration_key="7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a"),
    integration_object("PINT005", "events_api_v2_inbound_integration", "Berlin events", "PSERV02", integration_key=BERLIN_EVENTS_KEY),
], urgency={"type": "use_support_hours", "during_support_hours": {"type": "constant", "urgency": "high"},
            "outside_support_hours": {"type": "constant", "urgency": "low"}})
RETIRED = service_object("PSERV03", "Retired", PRIMARY, integrations=[], status="disabled")


def account() -> PagerDutyAccount:
    """The PagerDuty account the tests import."""
    return PagerDutyAccount(
        users=[*PEOPLE, *WATCHERS],
        teams=[PLATFORM, BERLIN],
        team_members={
            "PTEAM01": [member(ALICE, "manager"), member(BOB), member(CAROL), member(GHOST)],
            "PTEAM02": [member(DAVE, "manager"), member(ERIN), member(FRANK)],
        },
        schedules=[BUSINESS, NIGHTS, HANDOFF],
        overrides={"PSCHED1": [
            override_object("POVR000", "2027-03-08T14:00:00Z", "2027-03-09T14:00:00Z", CAROL),  # over by NOW
            override_object("POVR001", "2027-03-24T09:00:00-04:00", "2027-03-24T16:00:00-04:00", BOB),
        ]},
        escalation_policies=[PRIMARY, BERLIN_POLICY],
        services=[CHECKOUT, NAGIOS, RETIRED],
        event_orchestrations=[{
            "id": "b02e973d-9620-4e0a-9edc-00fedf7d4694", "name": "Global routing", "description": None,
            "team": None, "routes": 2, "self": "https://api.pagerduty.com/event_orchestrations/b02e973d-9620-4e0a-9edc-00fedf7d4694",
            "integrations": [{"id": "9c5ff030-12da-4204-a067-25ee61a8df6c",
                              "parameters": {"routing_key": "R02CFBB8A4E15E2A2A2E9B1C2D3E4F50", "type": "global"}}],
        }],
        v3_schedules=[{"id": "PV3SCH1", "type": "schedule_v3_reference", "summary": "Follow the sun",
                       "self": "https://api.pagerduty.com/v3/schedules/PV3SCH1", "html_url": "https://acme.pagerduty.com/schedules/PV3SCH1"}],
    )


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def expected_bundle() -> ImportBundle:
    weekdays = tuple(WeeklyWindow(day, "09:00", day, "17:00") for day in range(5))
    nights = tuple(WeeklyWindow(day, "18:00", (day + 1) % 7, "08:00") for day in range(7))
    return ImportBundle(
        system="pagerduty",
        users=tuple(ImportUser(u["id"], u["name"], u["email"], u["time_zone"]) for u in [*PEOPLE, *WATCHERS]),
        teams=(
            ImportTeam("PTEAM01", "Platform", ("PALICE1", "PBOB001", "PCAROL1", "PGHOST1")),
            ImportTeam("PTEAM02", "Berlin Ops", ("PDAVE01", "PERIN01", "PFRANK1")),
        ),
        schedules=(
            ImportSchedule(
                "PSCHED1", "Business hours", "America/New_York",
                layers=(ImportLayer("PLAYER1", "Weekdays", utc("2025-01-06T14:00"), 7 * 86400, ("PALICE1", "PBOB001", "PCAROL1"),
                                    restrictions=weekdays),),
                overrides=(ImportOverride("POVR001", "PBOB001", utc("2027-03-24T13:00"), utc("2027-03-24T20:00")),),
                team_id="PTEAM01",
            ),
            ImportSchedule(
                "PSCHED2", "Nights", "Europe/Berlin",
                layers=(
                    # started 2025-02-10 13:00, inside turn 39 (from 2025-02-09 18:00): starts at that handoff
                    ImportLayer("PLAYER2", "Nights", utc("2025-02-09T17:00"), 86400, ("PDAVE01", "PERIN01", "PGHOST1"),
                                utc("2027-04-07T10:00"), nights),
                    # starts 2027-04-07 12:00, inside turn 825 (dave's): his until 18:00, then the rotation from turn 826
                    ImportLayer("PLAYER3#1", "Nights from April (first turn)", utc("2027-04-07T10:00"), 86400, ("PDAVE01",),
                                utc("2027-04-07T16:00"), nights),
                    ImportLayer("PLAYER3", "Nights from April", utc("2027-04-07T16:00"), 86400, ("PERIN01", "PDAVE01"),
                                restrictions=nights),
                ),
                team_id="PTEAM02",
            ),
            ImportSchedule(
                "PSCHED3", "Berlin handoff", "Europe/Berlin",
                layers=(  # lowest first; the layer that is over is not imported
                    ImportLayer("PLAYER4", "Daily 02:30", utc("2025-01-01T01:30"), 86400, ("PFRANK1", "PALICE1")),
                    ImportLayer("PLAYER5", "Weekend cover", utc("2025-01-04T09:00"), 7 * 86400, ("PCAROL1",),
                                restrictions=(WeeklyWindow(5, "10:00", 6, "10:00"),)),
                ),
                team_id="PTEAM02",
            ),
        ),
        policies=(
            ImportPolicy("PPOL001", "Platform primary", (
                ImportRule(10, (ImportTarget("schedule", "PSCHED1"), ImportTarget("user", "PBOB001"))),
                ImportRule(15, (ImportTarget("schedule", "PSCHED2"),)),
            ), loops=3, team_id="PTEAM01"),
            ImportPolicy("PPOL002", "Berlin ops", (
                ImportRule(5, (ImportTarget("schedule", "PSCHED3"),)),
                ImportRule(20, (ImportTarget("user", "PFRANK1"), ImportTarget("user", "PGHOST1"))),
            ), loops=1, team_id="PTEAM02"),
        ),
        services=(
            ImportService("PSERV01", "Checkout API", "PPOL001", (
                ImportIntegration("PINT001", "Alertmanager", "pagerduty", f"{EVENTS} (routing key …e1f0)"),
                ImportIntegration("PINT002", "Checkout email", "email", "checkout@acme.pagerduty.com"),
            ), "PTEAM01"),
            ImportService("PSERV02", "Nagios checks", "PPOL002", (
                ImportIntegration("PINT005", "Berlin events", "pagerduty", f"{EVENTS} (routing key …beef)"),
            ), "PTEAM02"),
        ),
    )


# What is left out, with a phrase of why (the whole texts are the reader's to word).
EXPECTED_LEFT_OUT = [
    ("schedule", "PV3SCH1", "Follow the sun", "shift-based (v3) schedule"),
    ("rule", "PRULE04", "Berlin ops", "level 2 assigns its targets round-robin"),
    ("policy", "PPOL002", "Berlin ops", "on-call handoff notifications 'always' are not imported"),
    ("integration", "PINT003", "Legacy sender", "Events API v1, which pagerline does not"),
    ("integration", "PINT004", "Nagios", "integration type 'nagios_inbound_integration' is not supported"),
    ("service", "PSERV02", "Nagios checks", "its urgency follows support hours"),
    ("service", "PSERV03", "Retired", "it is disabled in PagerDuty"),
    ("event_orchestration", "b02e973d-9620-4e0a-9edc-00fedf7d4694", "Global routing", "routing key …4F50 reach no pagerline source"),
]


@pytest.fixture
def pd() -> Iterator[FakePagerDuty]:
    with FakePagerDuty(account(), token=KEY) as fake:
        yield fake


def reader_for(pd: FakePagerDuty, sleeps: Sleeps | None = None, key: str = KEY, page_size: int = 25) -> PagerDutyReader:
    return PagerDutyReader(key, pd.url, clock=lambda: NOW, sleep=sleeps or Sleeps(), page_size=page_size)


async def read(reader: PagerDutyReader) -> ImportBundle:
    try:
        return await reader.read()
    finally:
        await reader.close()


def assert_expected(bundle: ImportBundle) -> None:
    assert replace(bundle, left_out=()) == expected_bundle()
    assert [(x.kind, x.external_id, x.name) for x in bundle.left_out] == [e[:3] for e in EXPECTED_LEFT_OUT]
    for left, (_, _, _, phrase) in zip(bundle.left_out, EXPECTED_LEFT_OUT, strict=True):
        assert phrase in left.why, (left, phrase)


# ------------------------------------------------------------------ reading


async def test_read_translates_the_account_across_pages(pd: FakePagerDuty) -> None:
    assert_expected(await read(reader_for(pd)))
    assert [(c.param("offset"), c.param("limit"), c.status) for c in pd.calls("GET /users")] == [("0", "25", 200), ("25", "25", 200)]
    assert {(c.authorization, c.accept) for c in pd.calls()} == {(f"Token token={KEY}", "application/vnd.pagerduty+json;version=2")}
    assert {c.param("include[]") for c in pd.calls("GET /services")} == {"integrations"}
    # overrides are read a year ahead, whole (overflow), a quarter at a time
    ranges = [(c.param("since"), c.param("until"), c.param("overflow")) for c in pd.calls("GET /schedules/overrides") if "PSCHED1" in c.path]
    assert ranges[0] == ("2027-03-20T12:00:00Z", "2027-06-18T12:00:00Z", "true") and ranges[-1][1] == "2028-03-19T12:00:00Z"
    assert len(ranges) == 5


async def test_the_order_of_layers_is_read_off_pagerdutys_rendering() -> None:
    """PagerDuty has announced it will list a schedule's layers lowest first; the winner where
    they overlap is read off its final schedule, so the import does not depend on the order."""
    with FakePagerDuty(account(), token=KEY, layers_listed="lowest_first") as pd:
        bundle = await read(reader_for(pd))
        listed = [layer["id"] for layer in (await _get(pd, "/schedules/PSCHED3"))["schedule"]["schedule_layers"]]
    assert listed == ["PLAYER0", "PLAYER4", "PLAYER5"]
    expected = expected_bundle()
    assert bundle.schedules[2] == expected.schedules[2]  # weekend cover above the daily rotation, as rendered

    def unordered(b: ImportBundle) -> ImportBundle:  # Nights' two layers never overlap: their order shows nowhere
        return replace(b, left_out=(), schedules=tuple(replace(s, layers=tuple(sorted(s.layers, key=lambda l: l.external_id)))
                                                       for s in b.schedules))

    assert unordered(bundle) == unordered(expected)


async def _get(pd: FakePagerDuty, path: str) -> dict[str, object]:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{pd.url}{path}", headers={"Authorization": f"Token token={KEY}"})
        return dict(response.json())


async def test_a_refused_key_stops_the_import_with_why(pd: FakePagerDuty) -> None:
    with pytest.raises(ImportSourceError, match=r"PagerDuty refused the API key \(HTTP 401 on GET /users: Authentication failed\)"):
        await read(reader_for(pd, key="not-the-key"))
    assert len(pd.calls()) == 1  # no retries on a refused key


async def test_a_key_that_may_not_see_the_configuration_is_refused_too(pd: FakePagerDuty) -> None:
    pd.fail("GET /escalation_policies", 403)
    with pytest.raises(ImportSourceError, match=r"refused the API key access to GET /escalation_policies \(HTTP 403: Access Denied\)"):
        await read(reader_for(pd))


async def test_too_many_requests_waits_as_asked_then_goes_on(pd: FakePagerDuty) -> None:
    pd.rate_limit("GET /users", reset=2, times=2)
    pd.rate_limit("GET /schedule", reset=5)
    sleeps = Sleeps()
    assert_expected(await read(reader_for(pd, sleeps)))
    assert sleeps.waits == [2.0, 2.0, 5.0]  # PagerDuty's ratelimit-reset
    assert [c.status for c in pd.calls("GET /users")] == [429, 429, 200, 200]


async def test_server_errors_are_retried_a_few_times_then_reported(pd: FakePagerDuty) -> None:
    pd.fail("GET /services", 503, times=None)
    sleeps = Sleeps()
    with pytest.raises(ImportSourceError, match=r"HTTP 503 on GET /services.*gave up after 5 attempts"):
        await read(reader_for(pd, sleeps))
    assert sleeps.waits == [0.5, 1.0, 2.0, 4.0]
    assert len(pd.calls("GET /services")) == 5


async def test_an_unreachable_pagerduty_is_reported() -> None:
    with FakePagerDuty(token=KEY) as gone:
        url = gone.url
    with pytest.raises(ImportSourceError, match=r"could not reach PagerDuty at http://127\.0\.0\.1:\d+"):
        await read(PagerDutyReader(KEY, url, clock=lambda: NOW, sleep=Sleeps()))


async def test_no_shift_based_schedules_api_and_no_orchestrations_mean_nothing_left_out(pd: FakePagerDuty) -> None:
    pd.account.v3_schedules = None  # 404, as for an account without them
    pd.account.event_orchestrations = []
    bundle = await read(reader_for(pd))
    assert [x.external_id for x in bundle.left_out] == [e[1] for e in EXPECTED_LEFT_OUT[1:-1]]


# ------------------------------------------------------------------ PagerDuty's on-call times


async def test_on_call_follows_the_0230_handoff_across_the_daylight_saving_change(pd: FakePagerDuty) -> None:
    reader = reader_for(pd)
    try:
        spans = await reader.on_call("PSCHED3", utc("2027-03-26T00:00"), utc("2027-03-30T00:00"))
    finally:
        await reader.close()
    assert spans == [
        OnCallSpan(utc("2027-03-26T00:00"), utc("2027-03-26T01:30"), "PALICE1"),  # turn 813 from 2025-01-01 02:30
        OnCallSpan(utc("2027-03-26T01:30"), utc("2027-03-27T01:30"), "PFRANK1"),
        OnCallSpan(utc("2027-03-27T01:30"), utc("2027-03-27T09:00"), "PALICE1"),
        OnCallSpan(utc("2027-03-27T09:00"), utc("2027-03-28T08:00"), "PCAROL1"),  # Sat 10:00 CET to Sun 10:00 CEST: 23 hours
        OnCallSpan(utc("2027-03-28T08:00"), utc("2027-03-29T00:30"), "PFRANK1"),  # his turn began at 03:30 CEST (01:30Z)
        OnCallSpan(utc("2027-03-29T00:30"), utc("2027-03-30T00:00"), "PALICE1"),  # 02:30 CEST again
    ]
    assert pd.calls("GET /schedule")[-1].param("time_zone") == "UTC"


async def test_on_call_gives_the_restricted_hours_to_nobody(pd: FakePagerDuty) -> None:
    reader = reader_for(pd)
    try:
        spans = await reader.on_call("PSCHED1", utc("2027-03-26T12:00"), utc("2027-03-29T16:00"))
    finally:
        await reader.close()
    assert spans == [
        OnCallSpan(utc("2027-03-26T12:00"), utc("2027-03-26T13:00"), None),
        OnCallSpan(utc("2027-03-26T13:00"), utc("2027-03-26T21:00"), "PBOB001"),  # Friday 09:00-17:00 EDT, turn 115
        OnCallSpan(utc("2027-03-26T21:00"), utc("2027-03-29T13:00"), None),
        OnCallSpan(utc("2027-03-29T13:00"), utc("2027-03-29T16:00"), "PCAROL1"),  # Monday: the handoff, turn 116
    ]


# ------------------------------------------------------------------ import, then compare


async def seed_people(*, ghost: bool = False) -> None:
    """pagerline's side: everyone on a schedule has an account (alice's email in other letter
    case: accounts are matched case-insensitively), but ghost@example.com unless asked."""
    for u in PEOPLE:
        if u is GHOST and not ghost:
            continue
        email = str(u["email"])
        await create_user(email.capitalize() if u is ALICE else email, str(u["name"]), "a-long-password", Role.USER, str(u["time_zone"]))


def ghost_nights() -> list[tuple[datetime, datetime]]:
    """The nights the Nights layer gives ghost (turns 2, 5, 8, … from 2025-01-01) within four weeks
    of NOW: 18:00 to 08:00 in Berlin, until the layer ends on 2027-04-07."""
    berlin = ZoneInfo("Europe/Berlin")
    nights = []
    for turn in range(800, 830):
        if turn % 3 != 2:
            continue
        day = datetime(2025, 1, 1).date() + timedelta(days=turn)
        start = datetime(day.year, day.month, day.day, 18, tzinfo=berlin)
        end = datetime(day.year, day.month, day.day, 8, tzinfo=berlin) + timedelta(days=1)
        if start >= NOW and end <= datetime(2027, 4, 7, 12, tzinfo=berlin):
            nights.append((start.astimezone(UTC), end.astimezone(UTC)))
    return nights


async def test_with_everyone_in_pagerline_the_on_call_check_finds_no_difference(pd: FakePagerDuty, db: str) -> None:
    """The supported cases alone: the weekday and time-of-day restrictions, the 02:30 handoff across
    the clock change under the weekend layer, the override, a layer that started inside a turn and
    one that will; ghost@example.com has an account here."""
    await seed_people(ghost=True)
    reader = reader_for(pd)
    try:
        report = await apply_bundle(await reader.read(), dry_run=False, now=NOW, public_url=PUBLIC_URL, email_domain=None)
        differences = await compare_on_call(reader, report, NOW)
    finally:
        await reader.close()
    assert differences == []
    assert report.mapping is not None and sorted(report.mapping.schedules) == ["PSCHED1", "PSCHED2", "PSCHED3"]
    # the check looked at PagerDuty's rendering of exactly those four weeks
    windows = {(c.param("since"), c.param("until")) for c in pd.calls("GET /schedule") if c.param("time_zone") == "UTC"}
    assert windows == {("2027-03-20T12:00:00Z", "2027-04-17T12:00:00Z")}


async def test_import_then_the_on_call_check_agrees_but_for_the_missing_user(pd: FakePagerDuty, db: str) -> None:
    await seed_people()
    reader = reader_for(pd)
    try:
        report = await apply_bundle(await reader.read(), dry_run=False, now=NOW, public_url=PUBLIC_URL, email_domain="alerts.example.com")
        differences = await compare_on_call(reader, report, NOW)
        again = await apply_bundle(await reader.read(), dry_run=False, now=NOW, public_url=PUBLIC_URL, email_domain="alerts.example.com")
    finally:
        await reader.close()

    assert [d for d in differences if d.expected is None] == []
    # exactly ghost's turns differ: the import gives them to whoever has the turn before (erin)
    assert [(d.schedule_name, d.start, d.end, d.pagerline_user, d.old_user) for d in differences] == [
        ("Nights", start, end, "erin@example.com", "ghost@example.com") for start, end in ghost_nights()
    ]
    assert all("ghost@example.com has no pagerline account" in str(d.expected) for d in differences)
    assert len(ghost_nights()) == 6  # one of them the night the clocks change: 13 hours

    assert sorted(await Schedule.all().values_list("name", flat=True)) == ["Berlin handoff", "Business hours", "Nights"]
    assert sorted(await EscalationPolicy.all().values_list("name", flat=True)) == ["Berlin ops", "Platform primary"]
    left = {(line.kind, line.name) for line in report.left_out}
    assert {("integration", "Nagios"), ("integration", "Legacy sender"), ("service", "Retired"),
            ("schedule", "Follow the sun"), ("event_orchestration", "Global routing")} <= left
    assert {row.integration: (row.integration_type, row.old_address) for row in report.integrations} == {
        "Alertmanager": ("PAGERDUTY", f"{EVENTS} (routing key …e1f0)"),
        "Checkout email": ("EMAIL", "checkout@acme.pagerduty.com"),
        "Berlin events": ("PAGERDUTY", f"{EVENTS} (routing key …beef)"),
    }
    assert again.created == [] and again.changed == []  # importing again changes nothing


# ------------------------------------------------------------------ the command


def pagerline(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / ".venv" / "bin" / "pagerline"), *args], env=base_env(env), cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def counts(database_url: str) -> dict[str, int]:
    async def work() -> dict[str, int]:
        return {
            "teams": await Team.all().count(), "schedules": await Schedule.all().count(),
            "layers": await ScheduleLayer.all().count(), "overrides": await ScheduleOverride.all().count(),
            "policies": await EscalationPolicy.all().count(), "sources": await AlertSource.all().count(),
        }

    return in_db(database_url, work)


@pytest.mark.parametrize("backend_name", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_command_plans_imports_then_finds_nothing_to_change(
    backend_name: str, templates: TemplateDatabases, tmp_path: Path
) -> None:
    """``pagerline import pagerduty`` as a user runs it, on the wall clock: a dry run prints the
    plan and changes nothing; the import creates everything and finds no on-call difference over
    the next four weeks; importing again changes nothing."""
    if backend_name == "postgres":
        from tests.support.databases import pg_base_url

        if not pg_base_url():
            pytest.skip("PostgreSQL variant: set PAGERLINE_TEST_DATABASE_URL to run it")
        url = templates.postgres()
    else:
        url = templates.sqlite(tmp_path)
    in_db(url, lambda: seed_people(ghost=True))
    before = counts(url)
    env = {"PAGERLINE_DATABASE_URL": url, "PAGERLINE_PUBLIC_URL": PUBLIC_URL}
    with FakePagerDuty(account(), token=KEY) as pd:
        command = ("import", "pagerduty", "--api-key", KEY, "--base-url", pd.url)
        dry = pagerline(*command, "--dry-run", env=env)
        assert dry.returncode == 0, dry.stdout + dry.stderr
        assert counts(url) == before
        for name in ("Business hours", "Nights", "Berlin handoff", "Platform primary", "Berlin ops", "Checkout API", "Nagios"):
            assert name in dry.stdout, name
        assert "Follow the sun" in dry.stdout and "Retired" in dry.stdout  # left out, with why

        first = pagerline(*command, env=env)
        assert first.returncode == 0, first.stdout + first.stderr
        made = counts(url)
        assert made["schedules"] == before["schedules"] + 3 and made["policies"] == before["policies"] + 2
        assert made["sources"] == before["sources"] + 3  # Alertmanager, Checkout email, Berlin events
        assert "On-call check against PagerDuty: 3 schedule(s)" in first.stdout
        assert "No differences." in first.stdout

        again = pagerline(*command, env=env)
        assert again.returncode == 0, again.stdout + again.stderr
        assert counts(url) == made
        assert "No differences." in again.stdout
    assert any(c.param("time_zone") == "UTC" for c in pd.calls("GET /schedule"))  # the check read PagerDuty's final schedule


def test_the_fake_keeps_its_layers_independent_of_pagerlines_engine() -> None:
    """The comparison means something only if the fake renders PagerDuty's layers itself."""
    source = (ROOT / "tests" / "fakes" / "pagerduty_api.py").read_text()
    assert "pagerline" not in {line.split()[1].split(".")[0] for line in source.splitlines() if line.startswith(("import ", "from "))}

