"""On-call lookups in bulk: however many lookups and schedules one GraphQL request asks about,
it loads every schedule once, in a fixed number of SQL statements, and answers each lookup from
the schedule math exactly as a request asking one at a time (and the engine's own escalation
path) would.

The organisation is built at fixed instants in October and November 2026, around the fall-back
changes of Europe/Berlin (25 October, 01:00Z) and America/New_York (1 November, 06:00Z), with
overrides across them; every lookup passes its instant, so nothing depends on today's date.
Statements are counted through the database client's own log while the real app (in-process,
with its lifespan) answers HTTP requests through httpx's ASGI transport.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from tortoise.transactions import in_transaction

from pagerline.db import close_db, init_db
from pagerline.engine.alerts.escalation import load_policy_plan, resolve_targets
from pagerline.engine.people.accounts import create_user
from pagerline.engine.schedules.editing import LayerInput, Restriction, ShiftInput, create_override, create_schedule
from pagerline.engine.schedules.math import final_shifts
from pagerline.engine.schedules.oncall import load_schedule_specs, on_call_users
from pagerline.models import EscalationPolicy, EscalationRule, Role, Schedule, ScheduleKind, ScheduleLayer, Team, User
from tests.support.queries import count_statements
from tests.support.graphql import in_process_client
from tests.support.seed import Org, seed_org


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


T0 = utc("2026-10-01 07:00")  # 09:00 in Berlin (CEST)
SEEDED_AT = utc("2026-09-30 12:00")  # "now" for the engine calls that build the organisation
BERLIN_FALL_BACK = utc("2026-10-25 01:00")
NEW_YORK_FALL_BACK = utc("2026-11-01 06:00")
# 50 instants (the most aliases a document may carry): every 100 minutes over three and a half
# days around Berlin's change, both sides of the weekend layer's handoff on the day of the
# change, and every half hour around New York's.
INSTANTS = (
    [utc("2026-10-24 00:00") + timedelta(minutes=100 * k) for k in range(38)]
    + [utc("2026-10-25 07:30"), utc("2026-10-25 08:30")]
    + [NEW_YORK_FALL_BACK - timedelta(hours=2) + timedelta(minutes=30 * k) for k in range(10)]
)
SHIFTS_FROM, SHIFTS_UNTIL = utc("2026-10-23 00:00"), utc("2026-11-03 00:00")


@dataclass(frozen=True)
class Organisation:
    org: Org
    people: dict[str, int]  # name -> user id
    schedules: dict[str, int]  # name -> schedule id


async def _seed(database_url: str) -> Organisation:
    await init_db(database_url)
    try:
        org = await seed_org()
        people = {"Alice": org.alice_id, "Bob": org.bob_id}
        for name in ("Carol", "Dave"):
            people[name] = (await create_user(f"{name.lower()}@ops.test", name, None, Role.USER, "UTC", ["Ops"])).id
        alice = await User.get(id=org.alice_id)
        p = people
        weekend = [Restriction(4, "18:00", 0, "09:00")]  # Friday 18:00 to Monday 09:00, Berlin time
        berlin = await create_schedule("Berlin primary", "Europe/Berlin", ScheduleKind.RECURRING, org.team_id, [
            LayerInput(T0, "P1D", [p["Alice"], p["Bob"], p["Carol"]]),
            LayerInput(T0 + timedelta(hours=12), "PT12H", [p["Dave"], p["Bob"]], restrictions=weekend),
        ])
        new_york = await create_schedule("New York", "America/New_York", ScheduleKind.RECURRING, org.team_id, [
            LayerInput(utc("2026-10-05 13:00"), "P7D", [p["Bob"], p["Alice"]]),  # Mondays 09:00 local
        ])
        static = await create_schedule("Release duty", "UTC", ScheduleKind.STATIC, org.team_id, shifts=[
            ShiftInput(p["Carol"], utc("2026-10-24 00:00"), utc("2026-10-26 00:00")),
            ShiftInput(p["Dave"], utc("2026-11-01 03:00"), utc("2026-11-01 09:00")),
        ])
        empty = await create_schedule("Nobody yet", "Europe/Berlin", ScheduleKind.RECURRING, org.team_id)
        for schedule, who, start, end in (
            (berlin, "Carol", "2026-10-24 23:00", "2026-10-25 02:30"),  # across the fall-back
            (berlin, "Dave", "2026-10-26 05:00", "2026-10-26 08:00"),
            (berlin, "Bob", "2026-10-26 10:00", "2026-10-26 11:00"),
            (new_york, "Alice", "2026-11-01 05:00", "2026-11-01 07:00"),  # across the fall-back
            (static, "Bob", "2026-10-25 00:30", "2026-10-25 01:30"),
        ):
            await create_override(alice, schedule.id, p[who], utc(start), utc(end), now=SEEDED_AT)
        schedules = {s.name: s.id for s in (berlin, new_york, static, empty)}
        return Organisation(org, people, schedules)
    finally:
        await close_db()


@pytest.fixture
async def app_client(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Organisation]]:
    """The real app with its lifespan (no embedded worker, so only requests touch the database)."""
    organisation = await _seed(database_url)
    async with in_process_client(database_url) as client:
        yield client, organisation


async def _ask(client: httpx.AsyncClient, token: str, query: str, **variables: Any) -> tuple[dict[str, Any], list[str]]:
    """The data of one request that must succeed, and the SQL statements it sent."""
    with count_statements() as log:
        response = await client.post("/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {token}"})
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, response.text
    return body["data"], log.statements


def _aliases(instants: list[datetime]) -> str:
    return " ".join(f'a{i}: onCall(at: "{at.isoformat()}") {{ id name }}' for i, at in enumerate(instants))


async def _more_schedules(team_id: int, user_ids: list[int], count: int) -> None:
    """``count`` more two-layer schedules of the team, in one transaction (quick to make)."""
    async with in_transaction():
        for i in range(count):
            schedule = await Schedule.create(name=f"Rota {i:03}", timezone="Europe/Berlin", team_id=team_id)
            people = [user_ids[(i + k) % len(user_ids)] for k in range(3)]
            await ScheduleLayer.create(schedule=schedule, position=0, starts_on=T0, rotation="P1D", user_ids=people)
            await ScheduleLayer.create(schedule=schedule, position=1, starts_on=T0, rotation="PT8H", user_ids=people[:2],
                                       restrictions=[{"start_day": 0, "start_time": "09:00", "end_day": 4, "end_time": "17:00"}])


async def test_200_lookups_in_one_request_answer_as_one_at_a_time_in_the_same_statements(
    app_client: tuple[httpx.AsyncClient, Organisation],
) -> None:
    client, organisation = app_client
    token = organisation.org.alice_token
    ids = organisation.schedules
    one, few = await _ask(client, token, "{ schedules { id " + _aliases(INSTANTS[:1]) + " } }")
    bulk, many = await _ask(client, token, "{ schedules { id " + _aliases(INSTANTS) + " } }")
    assert len(bulk["schedules"]) == 4  # 4 schedules x 50 instants: 200 lookups
    assert len(few) == len(many), f"{len(few)} statements for 4 lookups, {len(many)} for 200:\n" + "\n".join(many)

    answers = {(int(s["id"]), at): s[f"a{i}"] for s in bulk["schedules"] for i, at in enumerate(INSTANTS)}
    assert answers[(int(one["schedules"][0]["id"]), INSTANTS[0])] == one["schedules"][0]["a0"]
    # A few read off the schedules by hand: overrides win, across the changes of both zones.
    names = {key: (answer or {}).get("name") for key, answer in answers.items()}
    assert names[(ids["Berlin primary"], utc("2026-10-24 23:20"))] == "Carol"  # her override, before the change
    assert names[(ids["Berlin primary"], utc("2026-10-25 01:00"))] == "Carol"  # and after it
    assert names[(ids["Berlin primary"], utc("2026-10-25 07:30"))] == "Dave"  # weekend layer, 08:30 CET
    assert names[(ids["Berlin primary"], utc("2026-10-25 08:30"))] == "Bob"  # handed off at 09:00 CET = 08:00Z
    assert names[(ids["Release duty"], utc("2026-10-24 23:20"))] == "Carol"  # her static shift
    assert names[(ids["Release duty"], utc("2026-10-25 01:00"))] == "Bob"  # his override on it
    assert names[(ids["New York"], utc("2026-11-01 06:30"))] == "Alice"  # her override, after the change
    assert all(names[(ids["Nobody yet"], at)] is None for at in INSTANTS)
    assert len({n for n in names.values() if n}) == 4  # everybody turns up somewhere

    # One at a time, through the API and through the engine's escalation path.
    for (schedule_id, at), answer in answers.items():
        single, _ = await _ask(client, token, "query($id: ID!, $at: DateTime!) { schedule(id: $id) { onCall(at: $at) { id name } } }",
                               id=str(schedule_id), at=at.isoformat())
        engine = (await on_call_users([schedule_id], at))[schedule_id]
        assert single["schedule"]["onCall"] == answer, (schedule_id, at)
        assert (int(answer["id"]) if answer else None) == engine, (schedule_id, at)


async def test_on_call_over_300_schedules_costs_what_it_costs_over_4(app_client: tuple[httpx.AsyncClient, Organisation]) -> None:
    client, organisation = app_client
    token = organisation.org.alice_token
    query = "query($at: DateTime) { onCall(at: $at) { schedule { id name } user { id name } } }"
    at = utc("2026-10-25 00:45")
    small, few = await _ask(client, token, query, at=at.isoformat())
    await _more_schedules(organisation.org.team_id, list(organisation.people.values()), 296)
    large, many = await _ask(client, token, query, at=at.isoformat())
    assert (len(small["onCall"]), len(large["onCall"])) == (4, 300)
    assert len(few) == len(many), f"{len(few)} statements for 4 schedules, {len(many)} for 300:\n" + "\n".join(many)
    assert large["onCall"][:4] == small["onCall"]

    expected = await on_call_users([int(entry["schedule"]["id"]) for entry in large["onCall"]], at)
    assert {int(e["schedule"]["id"]): int(e["user"]["id"]) if e["user"] else None for e in large["onCall"]} == expected
    assert sum(1 for e in large["onCall"] if e["user"]) == 299  # all but "Nobody yet"

    # Without `at`: now, one instant for both fields of the dashboard's query, one load.
    dashboard, statements = await _ask(client, token, "{ onCall { user { id } } onCallByPolicy { level users { id } } }")
    # Two more for the policies and their levels, and one more for the levels' people who are
    # on call nowhere at that instant: whether there are any depends on the hour, so at most.
    assert len(dashboard["onCall"]) == 300 and len(statements) <= len(many) + 3, "\n".join(statements)


async def test_on_call_by_policy_answers_as_the_escalation_engine_in_the_same_statements(
    app_client: tuple[httpx.AsyncClient, Organisation],
) -> None:
    client, organisation = app_client
    ids, people = organisation.schedules, organisation.people
    team = await Team.get(id=organisation.org.team_id)
    query = "query($at: DateTime) { onCallByPolicy(at: $at) { policyId policyName level users { id name } } }"

    async def add_policies(count: int) -> None:
        start = await EscalationPolicy.all().count()
        for i in range(start, start + count):
            policy = await EscalationPolicy.create(name=f"Policy {i}", team=team)
            first = await EscalationRule.create(policy=policy, position=0, timeout_minutes=5)
            await first.schedules.add(*await Schedule.filter(id__in=[ids["Berlin primary"], ids["Release duty"]]))
            second = await EscalationRule.create(policy=policy, position=1, timeout_minutes=5)
            await second.users.add(await User.get(id=people["Carol"]))
            await second.schedules.add(await Schedule.get(id=ids["New York"]))
            third = await EscalationRule.create(policy=policy, position=2, timeout_minutes=5)
            await third.schedules.add(await Schedule.get(id=ids["Nobody yet"]))

    await add_policies(1)
    counts: list[int] = []
    for total in (2, 21):
        await add_policies(total - await EscalationPolicy.all().count())
        for at in INSTANTS[::7] + [BERLIN_FALL_BACK, NEW_YORK_FALL_BACK]:
            levels, statements = await _ask(client, organisation.org.alice_token, query, at=at.isoformat())
            counts.append(len(statements))
            expected = []
            for policy in await EscalationPolicy.all().order_by("id"):
                plan = await load_policy_plan(policy.id)
                assert plan is not None
                for index, rule in enumerate(plan.rules):
                    expected.append((policy.id, policy.name, index + 1, await resolve_targets(rule, at)))
            got = [(int(r["policyId"]), r["policyName"], r["level"], [int(u["id"]) for u in r["users"]]) for r in levels["onCallByPolicy"]]
            assert got == expected, at
            assert len(got) == 2 + 3 * (total - 1)
            assert any(users == [] for *_, users in got)  # the empty schedule's level pages nobody
    assert len(set(counts)) == 1, counts


async def test_my_shifts_and_schedule_shifts_answer_as_the_engine_in_the_same_statements(
    app_client: tuple[httpx.AsyncClient, Organisation],
) -> None:
    client, organisation = app_client
    token, bob = organisation.org.bob_token, organisation.org.bob_id
    mine_query = "query($f: DateTime!, $u: DateTime!) { myShifts(from: $f, until: $u) { schedule { id } start end } }"
    shifts_query = ("query($f: DateTime!, $u: DateTime!) { schedules { id shifts(from: $f, until: $u) "
                    "{ user { id } start end source sourceId } } }")
    window = {"f": SHIFTS_FROM.isoformat(), "u": SHIFTS_UNTIL.isoformat()}

    async def expected() -> tuple[list[tuple[int, str, str]], dict[int, list[tuple[int | None, str, str, str, int | None]]]]:
        """The engine on each whole schedule, one at a time."""
        visible = [s.id for s in await Schedule.filter(team_id=organisation.org.team_id).order_by("id")]
        specs = await load_schedule_specs(visible)
        per_schedule = {sid: final_shifts(specs[sid], SHIFTS_FROM, SHIFTS_UNTIL) for sid in visible}
        mine = sorted(
            ((sid, s.start, s.end) for sid in visible for s in per_schedule[sid] if s.user_id == bob), key=lambda m: m[1]
        )
        return (
            [(sid, start.isoformat(), end.isoformat()) for sid, start, end in mine],
            {sid: [(s.user_id, s.start.isoformat(), s.end.isoformat(), s.source, s.source_id) for s in found]
             for sid, found in per_schedule.items()},
        )

    counts: dict[str, list[int]] = {"mine": [], "shifts": []}
    for more in (0, 96):
        await _more_schedules(organisation.org.team_id, list(organisation.people.values()), more)
        mine, mine_statements = await _ask(client, token, mine_query, **window)
        shifts, shifts_statements = await _ask(client, token, shifts_query, **window)
        counts["mine"].append(len(mine_statements))
        counts["shifts"].append(len(shifts_statements))
        want_mine, want_shifts = await expected()
        assert [(int(m["schedule"]["id"]), m["start"], m["end"]) for m in mine["myShifts"]] == want_mine
        assert {
            int(s["id"]): [
                (int(x["user"]["id"]) if x["user"] else None, x["start"], x["end"], x["source"], int(x["sourceId"]) if x["sourceId"] else None)
                for x in s["shifts"]
            ]
            for s in shifts["schedules"]
        } == want_shifts
        assert len(shifts["schedules"]) == 4 + more and len(mine["myShifts"]) > 10
    assert all(len(set(c)) == 1 for c in counts.values()), counts


async def test_a_change_made_earlier_in_the_request_is_seen_by_later_lookups(app_client: tuple[httpx.AsyncClient, Organisation]) -> None:
    """Mutations run one after another: the second override's answer must not come from what the
    first one's answer loaded."""
    client, organisation = app_client
    berlin, people = organisation.schedules["Berlin primary"], organisation.people
    at = utc("2026-10-28 12:00")
    start, end = at - timedelta(hours=1), at + timedelta(hours=1)

    def override(alias: str, who: str) -> str:
        return (f'{alias}: createOverride(scheduleId: "{berlin}", userId: "{people[who]}", start: "{start.isoformat()}", '
                f'end: "{end.isoformat()}") {{ onCall(at: "{at.isoformat()}") {{ name }} '
                f'shifts(from: "{start.isoformat()}", until: "{end.isoformat()}") {{ user {{ name }} }} }}')

    changed, _ = await _ask(client, organisation.org.alice_token, "mutation { " + override("first", "Dave") + " " + override("second", "Carol") + " }")
    assert changed["first"] == {"onCall": {"name": "Dave"}, "shifts": [{"user": {"name": "Dave"}}]}
    assert changed["second"] == {"onCall": {"name": "Carol"}, "shifts": [{"user": {"name": "Carol"}}]}


async def test_lookups_however_they_are_reached_answer_alike(app_client: tuple[httpx.AsyncClient, Organisation]) -> None:
    """A list of schedules loads what the lookups selected on it take before it answers (so each
    is answered at once); that is only a warm-up. Lookups it reads from fragments and variables,
    and lookups on schedules reached another way (a policy's rules, loaded per schedule),
    answer as the plain list does."""
    client, organisation = app_client
    ids, token = organisation.schedules, organisation.org.alice_token
    policy = await EscalationPolicy.create(name="Reached another way", team_id=organisation.org.team_id)
    rule = await EscalationRule.create(policy=policy, position=0, timeout_minutes=5)
    await rule.schedules.add(*await Schedule.filter(id__in=list(ids.values())))
    first, second = utc("2026-10-25 00:45"), utc("2026-11-01 06:30")

    listed, statements = await _ask(
        client, token,
        "query($second: DateTime!) { schedules { id ...Later ... on Schedule { again: onCall(at: $second) { id } } "
        f'first: onCall(at: "{first.isoformat()}") {{ id name }} skipped: onCall @include(if: false) {{ id }} }} }} '
        "fragment Later on Schedule { later: onCall(at: $second) { id name } }",
        second=second.isoformat(),
    )
    assert len(statements) <= 4, "\n".join(statements)  # token, schedules, their load, the users
    by_policy, _ = await _ask(
        client, token,
        "query($first: DateTime!, $second: DateTime!) { escalationPolicies { name rules { schedules { id "
        "first: onCall(at: $first) { id name } later: onCall(at: $second) { id name } } } } }",
        first=first.isoformat(), second=second.isoformat(),
    )
    [reached] = [p for p in by_policy["escalationPolicies"] if p["name"] == "Reached another way"]
    answers = {s["id"]: (s["first"], s["later"]) for s in reached["rules"][0]["schedules"]}
    assert answers == {s["id"]: (s["first"], s["later"]) for s in listed["schedules"]}
    assert all(s["again"] == (s["later"] and {"id": s["later"]["id"]}) and "skipped" not in s for s in listed["schedules"])
    for schedule_id, (at_first, at_second) in answers.items():
        engine = {at: (await on_call_users([int(schedule_id)], at))[int(schedule_id)] for at in (first, second)}
        assert engine == {first: at_first and int(at_first["id"]), second: at_second and int(at_second["id"])}
    assert {n["name"] for a in answers.values() for n in a if n} >= {"Carol", "Alice"}
