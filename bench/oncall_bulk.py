"""On-call lookups in bulk through a real server: many lookups in one GraphQL request, and the
dashboard's "on call now" over an organisation of 300 schedules.

A real ``pagerline serve`` (uvicorn, one process, embedded worker off so no sweeper competes) on
a throwaway PostgreSQL database (``--database-url`` or ``PAGERLINE_DATABASE_URL``; default the
local server), else on a temporary SQLite file (``--sqlite``). The organisation: 1,000 users in
50 teams of 20, 300 schedules (the bench user's team owns 4, the other teams 6 or 7 each; three
layers each: weekly, daily on weekdays 09-17, 12-hourly at weekends; Berlin, New York and UTC
time zones), 20 overrides per schedule over the past year and the next month (6,000), and 100
escalation policies (2 per team, 3 levels: two schedules; a schedule and a user; a user).

Figures (targets from the issue):

- ``200 lookups``: ``schedules { a0: onCall(at: …) … a49: onCall(at: …) }`` read by a member of a
  team with 4 schedules: 4 x 50 lookups at instants over the next two weeks in one request
  (50 is the most aliases a document may carry). Lookups per second = 200 / request time,
  target >= 5,000/s.
- ``on call now``: the dashboard's query (``onCall { schedule { name } user { name } }`` and
  ``onCallByPolicy { policyName level users { name } }``) read by an admin, who sees all 300
  schedules and 100 policies: p50 target < 50 ms, and p99.
- ``server CPU``: CPU time of the server process per request (its CPU use over the phase);
  on a shared machine it moves far less than the latencies when other work competes.
- ``onCall`` over all 300 schedules alone, ``onCallByPolicy`` alone, and ``myShifts`` (two
  weeks) of a user on 4 schedules: p50 / p99.

Requests are sequential over one keep-alive connection, timed by the client. Prints the
machine, the settings, CPU used by others during each phase (the machine may be shared) and the
server's peak RSS.

    .venv/bin/python bench/oncall_bulk.py                    # PostgreSQL on localhost
    .venv/bin/python bench/oncall_bulk.py --sqlite --quick
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from common import (
    REPO_ROOT,
    CpuAccount,
    Figure,
    ProcessGroup,
    RssSampler,
    ThrowawayPostgres,
    describe_url,
    figures_json,
    json_line,
    latency_summary,
    machine_info,
    pid_tree,
    pids_named,
    print_figures,
    print_kv,
    print_section,
    start_server,
)

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tortoise.transactions import in_transaction  # noqa: E402

from pagerline.db import close_db, init_db, migrate  # noqa: E402
from pagerline.engine.people.accounts import create_token, create_user  # noqa: E402
from pagerline.models import (  # noqa: E402
    EscalationPolicy,
    EscalationRule,
    Role,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
    Team,
    TokenKind,
    User,
)

USERS, TEAMS, SCHEDULES, POLICIES = 1_000, 50, 300, 100
OVERRIDES_PER_SCHEDULE = 20
ALIASES = 50  # the schema's limit on aliases in one document
BENCH_TEAM_SCHEDULES = 4  # so that ALIASES lookups on each make 200
LOOKUPS_BUDGET_PER_S = 5_000.0
ON_CALL_NOW_P50_BUDGET_MS = 50.0
ZONES = ("Europe/Berlin", "America/New_York", "UTC")
WEEKDAYS = [{"start_day": d, "start_time": "09:00", "end_day": d, "end_time": "17:00"} for d in range(5)]
WEEKEND = [{"start_day": 4, "start_time": "18:00", "end_day": 0, "end_time": "09:00"}]

ON_CALL_NOW = """query OnCallNow {
  onCall { schedule { name } user { name } }
  onCallByPolicy { policyName level users { name } }
}"""
ON_CALL_ALL = "{ onCall { schedule { name } user { name } } }"
ON_CALL_BY_POLICY = "{ onCallByPolicy { policyName level users { name } } }"
MY_SHIFTS = "query($f: DateTime!, $u: DateTime!) { myShifts(from: $f, until: $u) { schedule { name } start end } }"


@dataclass(frozen=True)
class Seeded:
    admin_token: str
    member_token: str


def _team_of(index: int) -> int:
    """Team of schedule ``index``: the first BENCH_TEAM_SCHEDULES are team 0's, the rest go
    round the other teams."""
    return 0 if index < BENCH_TEAM_SCHEDULES else 1 + (index - BENCH_TEAM_SCHEDULES) % (TEAMS - 1)


async def seed(url: str, now: datetime) -> Seeded:
    await init_db(url)
    rng = random.Random(7)
    try:
        async with in_transaction():
            teams = [await Team.create(name=f"Team {t:02}") for t in range(TEAMS)]
            await User.bulk_create([User(email=f"u{i:04}@bench.test", name=f"User {i:04}") for i in range(USERS - 2)])
        users = list(await User.all().order_by("id").values_list("id", flat=True))
        admin = await create_user("admin@bench.test", "Bench Admin", None, Role.ADMIN, "UTC", [])
        member = await create_user("member@bench.test", "Bench Member", None, Role.USER, "Europe/Berlin", [teams[0].name])
        members: list[list[int]] = [[] for _ in range(TEAMS)]
        for i, user_id in enumerate(users):
            members[i % TEAMS].append(user_id)
        members[0].append(member.id)
        for team, ids in zip(teams, members):
            await team.members.add(*await User.filter(id__in=ids))

        start = datetime(2025, 1, 6, 8, tzinfo=UTC)
        schedules_of: list[list[int]] = [[] for _ in range(TEAMS)]
        async with in_transaction():
            for s in range(SCHEDULES):
                t = _team_of(s)
                people = members[t]
                schedule = await Schedule.create(name=f"Schedule {s:03}", timezone=ZONES[s % len(ZONES)], team_id=teams[t].id)
                schedules_of[t].append(schedule.id)
                pick = [people[(s + k) % len(people)] for k in range(6)]
                await ScheduleLayer.bulk_create([
                    ScheduleLayer(schedule=schedule, position=0, starts_on=start, rotation="P7D", user_ids=pick[:4]),
                    ScheduleLayer(schedule=schedule, position=1, starts_on=start, rotation="P1D", user_ids=pick[1:6], restrictions=WEEKDAYS),
                    ScheduleLayer(schedule=schedule, position=2, starts_on=start, rotation="PT12H", user_ids=pick[4:6], restrictions=WEEKEND),
                ])
                overrides = []
                for _ in range(OVERRIDES_PER_SCHEDULE):
                    begin = now - timedelta(days=365) + timedelta(minutes=15 * rng.randrange(395 * 96))
                    overrides.append(ScheduleOverride(schedule=schedule, user_id=rng.choice(people), start=begin,
                                                      end=begin + timedelta(hours=rng.randint(1, 48))))
                await ScheduleOverride.bulk_create(overrides)
            for p in range(POLICIES):
                t = p % TEAMS
                own = schedules_of[t]
                policy = await EscalationPolicy.create(name=f"Policy {p:03}", team=teams[t])
                levels = ((own[p % len(own)], own[(p + 1) % len(own)]), (own[(p + 2) % len(own)],), ())
                for position, schedule_ids in enumerate(levels):
                    rule = await EscalationRule.create(policy=policy, position=position, timeout_minutes=10)
                    if schedule_ids:
                        await rule.schedules.add(*await Schedule.filter(id__in=list(schedule_ids)))
                    if position:
                        await rule.users.add(await User.get(id=members[t][position]))
        _, admin_token = await create_token(admin.id, TokenKind.API, now, "bench")
        _, member_token = await create_token(member.id, TokenKind.API, now, "bench")
        return Seeded(admin_token, member_token)
    finally:
        await close_db()


def lookups_query(now: datetime) -> str:
    """ALIASES lookups on each schedule the reader sees, at instants over the next two weeks."""
    step = timedelta(days=14) / ALIASES
    fields = " ".join(f'a{i}: onCall(at: "{(now + i * step).isoformat()}") {{ name }}' for i in range(ALIASES))
    return "{ schedules { name " + fields + " } }"


def timed(client: httpx.Client, token: str, query: str, variables: dict[str, Any] | None = None) -> tuple[float, dict[str, Any]]:
    t0 = time.perf_counter()
    response = client.post("/graphql", json={"query": query, "variables": variables or {}}, headers={"Authorization": f"Bearer {token}"})
    elapsed = time.perf_counter() - t0
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, response.text[:500]
    return elapsed, body["data"]


@dataclass
class Phase:
    name: str
    times: list[float]
    cpu: dict[str, float]
    answer: dict[str, Any]
    wall: float

    @property
    def server_cpu_ms(self) -> float:
        """CPU the server process spent per request: on a shared machine this moves much less
        than the latencies do when other work competes for the cores."""
        return self.cpu["serve"] * self.wall / len(self.times) * 1000


def run_phase(name: str, cpu: CpuAccount, requests: int, warm_up: int, ask: Callable[[], tuple[float, dict[str, Any]]]) -> Phase:
    answer: dict[str, Any] = {}
    for _ in range(warm_up):
        _, answer = ask()
    before = cpu.snapshot()
    times = []
    for _ in range(requests):
        elapsed, answer = ask()
        times.append(elapsed)
    after = cpu.snapshot()
    used = CpuAccount.delta(before, after)
    print(f"{name:<22} {requests} requests, cores used: " + ", ".join(f"{k} {v:.2f}" for k, v in used.items()), flush=True)
    return Phase(name, times, used, answer, after[0] - before[0])


def main() -> int:
    parser = argparse.ArgumentParser(description="on-call lookups in bulk through a real server")
    parser.add_argument("--database-url", default=os.environ.get("PAGERLINE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
                        help="a PostgreSQL server to make a throwaway database on")
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead")
    parser.add_argument("--requests", type=int, default=100, help="requests per phase (after warm-up)")
    parser.add_argument("--lookup-requests", type=int, default=30, help="requests of 200 lookups")
    parser.add_argument("--warm-up", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20 requests per phase, 5 of 200 lookups")
    parser.add_argument("--label", default="", help="printed with the figures (e.g. before / after)")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.lookup_requests = 20, 5

    print_section("machine")
    machine = machine_info()
    print_kv(machine)
    with ProcessGroup() as group, tempfile.TemporaryDirectory(prefix="pl-oncall-") as tmp:
        workdir = Path(tmp)
        if args.sqlite:
            url = f"sqlite://{workdir / 'bench.db'}"
        else:
            throwaway = ThrowawayPostgres(server_url=args.database_url.rsplit("/", 1)[0])
            url = throwaway.create()
            group.on_exit(throwaway.drop)
        print_section("settings")
        settings = {
            "label": args.label or "-",
            "code": str(REPO_ROOT),
            "database": describe_url(url),
            "organisation": f"{USERS:,} users, {TEAMS} teams, {SCHEDULES} schedules (3 layers each), "
                            f"{SCHEDULES * OVERRIDES_PER_SCHEDULE:,} overrides, {POLICIES} policies x 3 levels",
            "200 lookups": f"{BENCH_TEAM_SCHEDULES} schedules x {ALIASES} onCall(at:) aliases in one request",
            "server": "pagerline serve, 1 process, embedded worker off",
            "requests": f"{args.requests} per phase ({args.lookup_requests} of 200 lookups), sequential after {args.warm_up} warm-up, keep-alive",
        }
        print_kv(settings)

        asyncio.run(migrate(url))
        now = datetime.now(UTC).replace(microsecond=0)
        t0 = time.perf_counter()
        seeded = asyncio.run(seed(url, now))
        print(f"seeded in {time.perf_counter() - t0:.1f} s", flush=True)

        server, port = start_server(
            {"PAGERLINE_DATABASE_URL": url, "PAGERLINE_EMBEDDED_WORKER": "0", "PAGERLINE_SECRET_KEY": "bench",
             "PAGERLINE_LOG_LEVEL": "WARNING"}, workdir,
        )
        group.add(server)
        rss = RssSampler(server.pid, name="serve").start()
        cpu = CpuAccount({"serve": pid_tree(server.pid), "postgres": pids_named("postgres"), "bench": pid_tree(os.getpid())})
        print_section("phases")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            lookups = lookups_query(now)
            phases = [
                run_phase("200 lookups", cpu, args.lookup_requests, args.warm_up, lambda: timed(client, seeded.member_token, lookups)),
                run_phase("on call now", cpu, args.requests, args.warm_up, lambda: timed(client, seeded.admin_token, ON_CALL_NOW)),
                run_phase("onCall (all)", cpu, args.requests, args.warm_up, lambda: timed(client, seeded.admin_token, ON_CALL_ALL)),
                run_phase("onCallByPolicy", cpu, args.requests, args.warm_up, lambda: timed(client, seeded.admin_token, ON_CALL_BY_POLICY)),
                run_phase("myShifts (2 weeks)", cpu, args.requests, args.warm_up, lambda: timed(
                    client, seeded.member_token, MY_SHIFTS, {"f": now.isoformat(), "u": (now + timedelta(days=14)).isoformat()})),
            ]
        rss.stop()

    by_name = {p.name: p for p in phases}
    lookups_phase = by_name["200 lookups"]
    answered = sum(1 for s in lookups_phase.answer["schedules"] for k, v in s.items() if k.startswith("a"))
    assert answered == BENCH_TEAM_SCHEDULES * ALIASES, answered
    assert len(by_name["on call now"].answer["onCall"]) == SCHEDULES and len(by_name["on call now"].answer["onCallByPolicy"]) == POLICIES * 3
    lookups_summary = latency_summary(lookups_phase.times)
    figures = [
        Figure("200 lookups: lookups/s", answered * len(lookups_phase.times) / sum(lookups_phase.times), "/s", LOOKUPS_BUDGET_PER_S, ">="),
        Figure("200 lookups: request p50", lookups_summary["p50_ms"], "ms"),
        Figure("200 lookups: request p99", lookups_summary["p99_ms"], "ms"),
        Figure("200 lookups: server CPU", lookups_phase.server_cpu_ms, "ms", note="per request"),
    ]
    for phase in phases[1:]:
        summary = latency_summary(phase.times)
        budget = ON_CALL_NOW_P50_BUDGET_MS if phase.name == "on call now" else None
        figures += [
            Figure(f"{phase.name} p50", summary["p50_ms"], "ms", budget, "<"),
            Figure(f"{phase.name} p99", summary["p99_ms"], "ms"),
            Figure(f"{phase.name} server CPU", phase.server_cpu_ms, "ms", note="per request"),
        ]
    figures.append(Figure("peak RSS serve", rss.peak() / 1024 / 1024, "MiB"))
    others = max(p.cpu.get("other", 0.0) for p in phases)
    figures.append(Figure("others' CPU, worst phase", others, "cores", note="busy CPU of processes outside this bench"))
    print_section("figures")
    print_figures(figures)
    missed = [f.name for f in figures if f.met is False]
    print(f"budgets: {sum(1 for f in figures if f.met)} met, {len(missed)} MISSED" + (f" ({', '.join(missed)})" if missed else ""))
    summary_line = {"bench": "oncall_bulk", "label": args.label, "database": "sqlite" if args.sqlite else "postgres",
                    "requests": args.requests, "lookup_requests": args.lookup_requests, "cpu_count": machine.get("cpu_count"),
                    "python": sys.version.split()[0], "load_before": machine.get("load average (1/5 min)")}
    summary_line |= figures_json(figures)
    print(json_line(summary_line))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
