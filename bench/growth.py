"""Growth benchmark: every request the dashboard, scrapers, scripts and phones make, on an empty
database and after 100,000 and 1,000,000 resolved alerts, with the peak RSS of every process.

Run from the repo root:  .venv/bin/python bench/growth.py [--sizes 0,100000,1000000] [--json FILE]

What runs (all real processes): for each size, two `pagerline serve --workers 1` and one
`pagerline worker` on a throwaway PostgreSQL database of its own (pl_bench_growth_<random>) and a
Redis database of its own (--redis-url, then the next numbers; flushed), pushes going through the
real FCM transport to a fake FCM of its own (in this process). Every size runs at once, and each
request is sent to every size in turn (the first size taken first in round one, the second in
round two, ...): a machine that is a little slower for a minute slows every size alike, so the
sizes are compared with each other rather than with another minute. Requests are sent one at a
time from this process, alternating between a size's two servers as a load balancer would, over
keep-alive connections; a latency is request sent -> whole response read.

The organisation (made in each database, through the engine's own functions): 1,000 users in 50
teams, each with an FCM device; 300 schedules (250 owned by the teams, 50 by the organisation;
rotations of 1 day to 1 week, half with a second weekday-hours layer, one override each); 100
escalation policies (level 1: three schedules, level 2: two people) with one API source each. The
admin (no team) sees everything; "the watcher", a member of 30 teams, sees 200 schedules.

Growth: a size is a number of resolved alerts, seeded with bulk SQL straight into the project's
tables (per alert: 5 timeline entries, 3 notifications, one action token; created evenly over a
year ending 30 days ago, older than anything the run itself makes). Then what a year of running
would have done: the retention job (the engine's own, default limits) runs until nothing is due,
which removes the action tokens past their 7 days, as the job would have done day by day (left
in, the job would be deleting them while the larger sizes are measured); VACUUM (ANALYZE) (what
autovacuum would have done, and so it does not start during the measurements); and a CHECKPOINT
(the seed writes gigabytes: without it the checkpoint it set off spreads their writes over the
next minutes, a cost of seeding that a database grown over a year does not pay). Every database
is ready before any process starts. Then each size opens --open-alerts alerts through the events
API (the dashboard's page) and waits for their pages to be sent, and the requests below are
measured:

  dashboard             the web app's "Dashboard" query (read from web/src/app/alerts/*.graphql,
                        so it is exactly what the browser sends), as the admin
  /metrics              GET /metrics (the Prometheus scrape)
  search                alerts(text:) for a word in no alert, as the admin
  on call now           the web app's "OnCallNow" query (onCall + onCallByPolicy), as the admin
  onCall                onCall over all 300 schedules, as the admin
  200 lookups           the watcher's `schedules { onCall(at:) }`: 200 lookups in one request
                        (the schema allows 50 aliases, so a list field carries them); lookups/s
                        = 200 / that request's p50
  widget feed           GET /api/widget with a widget token of a user on 5 schedules
  acceptAlert           the web app's "Accept" mutation on fresh open alerts, as the admin
  ACCEPT event          POST /api/events eventType ACCEPT on fresh open alerts
  event -> first page   a new alert's event sent -> its first push received by the fake FCM
  database size         pg_database_size
  peak RSS              of each process (process tree, sampled every 0.5 s)

At the first size only, after the rest: one more open alert with --big-alert-entries timeline
entries, and the dashboard query again, to every size in turn (p50 beside the other sizes' in
the same rounds, response bytes, the RSS of the server answering before and after).
The fresh alerts of the write measurements are resolved afterwards (unmeasured), so every read
sees the same open alerts.

Targets (PASS / MISS, at the largest size against the first, which should be the empty database):
every request within 20 % of its empty-database figure, and dashboard p50 < 60 ms, /metrics p50
< 10 ms, search p99 < 50 ms, acceptAlert p50 < 25 ms, on call now p50 < 50 ms, 200 lookups at
>= 5,000/s, each process's peak RSS < 250 MB at every size, the big-alert dashboard p50 within
20 % of the other sizes' dashboard p50 in the same rounds and the server's RSS after it within
10 MB of before.

It also prints the CPU (cores) each group of processes used while measuring; "other" above 0.15
cores means something else on the machine was busy and the figures are disturbed.
The last line of output is one JSON object; --json FILE writes the same, indented.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bench.common import (  # noqa: E402
    MB,
    REPO_ROOT,
    CpuAccount,
    ManagedProcess,
    ProcessGroup,
    RssSampler,
    StampedFakeFcm,
    ThrowawayPostgres,
    describe_url,
    fake_fcm_settings,
    format_value,
    json_line,
    latency_summary,
    machine_info,
    outbox_backlog,
    pg_connection,
    pid_tree,
    pids_named,
    print_kv,
    print_section,
    redis_flushdb,
    start_server,
    start_worker,
)
from bench.subscriptions import cpu_line, idle_rss  # noqa: E402
from tests.support.web_app import web_app_document  # noqa: E402

# =========================================================================== what is sent

def web_app_queries() -> dict[str, str]:
    """The GraphQL documents the web app sends, by name: read from the web app itself, so the
    benchmark measures what the browser sends, today and after the queries change."""
    try:
        return {name: web_app_document(name) for name in ("DASHBOARD", "ON_CALL", "accept")}
    except LookupError as missing:
        raise RuntimeError(f"{missing}: update bench/growth.py's web_app_queries") from missing


ABSENT_WORD = "zqxjkvbw"  # in no summary and no detail the benchmark writes
SEARCH = """query Search($text: String!) {
  alerts(text: $text, first: 25) { edges { node { id summary status createdAt } } pageInfo { hasNextPage } }
}"""
ON_CALL_ALL = "query OnCall { onCall { schedule { id name } user { id name } } }"
LOOKUPS = "query Lookups($at: DateTime!) { schedules { id onCall(at: $at) { id name } } }"

# =========================================================================== the organisation

USERS = 1000
TEAMS = 50
TEAM_SCHEDULES = 5  # per team: 250
ORG_SCHEDULES = 50  # no team: seen by everyone
POLICIES = 100
WATCHER_TEAMS = 30  # 30 teams x 5 + 50 organisation schedules = 200 schedules seen
ADMIN_EMAIL = "admin@growth.bench"
WATCHER_EMAIL = "watcher@growth.bench"
WIDGET_EMAIL = "u0000@growth.bench"  # member 0 of team 0: on 5 schedules
ROTATIONS = ("P1D", "P7D", "PT12H", "PT8H", "P1D")
TIMEZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo")
LEVEL1_TIMEOUT_MINUTES = 30


@dataclass
class Organisation:
    admin_token: str
    watcher_token: str
    widget_token: str
    source_keys: dict[int, str]  # alert source id -> integration key
    schedules: int
    watcher_schedules: int

    @property
    def keys(self) -> list[str]:
        return [self.source_keys[s] for s in sorted(self.source_keys)]


async def _build_organisation(now: datetime) -> None:
    """The organisation of the module docstring, through the engine's own functions."""
    from pagerline.engine.alerts import policies
    from pagerline.engine.people.accounts import Viewer, create_user
    from pagerline.engine.schedules.editing import LayerInput, Restriction, create_schedule
    from pagerline.engine.sources.lookup import create_source
    from pagerline.models import Device, IntegrationType, Platform, Priority, PushProvider, Role, ScheduleKind, ScheduleOverride, Team, TokenKind

    team_names = [f"Growth team {t:02}" for t in range(TEAMS)]
    admin = await create_user(ADMIN_EMAIL, "Growth admin", None, Role.ADMIN, "UTC", [])
    await create_user(WATCHER_EMAIL, "Growth watcher", None, Role.USER, "UTC", team_names[:WATCHER_TEAMS])
    members: list[list[int]] = [[] for _ in range(TEAMS)]
    roles = (Role.USER, Role.RESPONDER, Role.RESPONDER)
    for i in range(USERS - 2):
        user = await create_user(f"u{i:04}@growth.bench", f"User {i:04}", None, roles[i % 3], TIMEZONES[i % len(TIMEZONES)], [team_names[i % TEAMS]])
        members[i % TEAMS].append(user.id)
    await Device.bulk_create(
        [Device(user_id=u, platform=Platform.ANDROID, provider=PushProvider.FCM, token=f"fcm-growth-{u}") for team in members for u in team]
    )
    team_ids = {t.name: t.id for t in await Team.filter(name__in=team_names)}

    start = (now - timedelta(days=90)).replace(hour=9, minute=0, second=0, microsecond=0)
    weekdays = [Restriction(d, "09:00", d, "17:00") for d in range(5)]
    team_schedules: list[list[int]] = []
    for t, people in enumerate(members):
        made = []
        for k in range(TEAM_SCHEDULES):
            layers = [LayerInput(start, ROTATIONS[k], [people[(k * 3 + j) % len(people)] for j in range(5)])]
            if k % 2 == 0:  # member 0 of each team is on this layer: the widget's responder
                layers.append(LayerInput(start, "P7D", [people[0], people[-1]], restrictions=weekdays))
            schedule = await create_schedule(f"Team {t:02} rota {k}", TIMEZONES[(t + k) % len(TIMEZONES)], ScheduleKind.RECURRING, team_ids[team_names[t]], layers)
            made.append(schedule.id)
        team_schedules.append(made)
    org_schedules = []
    for s in range(ORG_SCHEDULES):
        rota = [members[(s + j) % TEAMS][s % 7] for j in range(4)]
        schedule = await create_schedule(f"Organisation rota {s:02}", TIMEZONES[s % len(TIMEZONES)], ScheduleKind.RECURRING, None, [LayerInput(start, ROTATIONS[s % len(ROTATIONS)], rota)])
        org_schedules.append(schedule.id)
    every = [sid for made in team_schedules for sid in made] + org_schedules
    await ScheduleOverride.bulk_create(
        [
            ScheduleOverride(schedule_id=sid, user_id=members[n % TEAMS][1], start=now + timedelta(hours=1 + n % 48), end=now + timedelta(hours=5 + n % 48))
            for n, sid in enumerate(every)
        ]
    )

    viewer = Viewer(user=admin, token_kind=TokenKind.API, token_id=0, team_ids=frozenset())
    for p in range(POLICIES):
        t = p % TEAMS
        first = (p // TEAMS) * 2
        level1 = [team_schedules[t][first % TEAM_SCHEDULES], team_schedules[t][(first + 1) % TEAM_SCHEDULES], org_schedules[p % ORG_SCHEDULES]]
        rules = [
            policies.RuleSpec(LEVEL1_TIMEOUT_MINUTES, schedule_ids=level1),
            policies.RuleSpec(LEVEL1_TIMEOUT_MINUTES, user_ids=[members[t][2], members[t][3]]),
        ]
        policy = await policies.create(viewer, f"Policy {p:03}", rules, team_ids[team_names[t]])
        await create_source(f"Source {p:03}", policy.id, IntegrationType.API, Priority.HIGH, team_ids[team_names[t]])


async def _organisation_handles(now: datetime) -> Organisation:
    """Fresh tokens and integration keys (only digests are stored, so a kept database gets new ones)."""
    from pagerline.engine.people.accounts import create_token
    from pagerline.engine.sources.lookup import rotate_integration_key
    from pagerline.models import AlertSource, Schedule, TokenKind, User

    admin = await User.get(email=ADMIN_EMAIL)
    watcher = await User.get(email=WATCHER_EMAIL)
    responder = await User.get(email=WIDGET_EMAIL)
    _, admin_token = await create_token(admin.id, TokenKind.API, now, "growth bench")
    _, watcher_token = await create_token(watcher.id, TokenKind.API, now, "growth bench")
    _, widget_token = await create_token(responder.id, TokenKind.WIDGET, now, "growth bench")
    keys = {source.id: await rotate_integration_key(source) for source in await AlertSource.all().order_by("id")}
    watcher_teams = [t.id for t in await watcher.teams.all()]
    seen = await Schedule.filter(team_id__in=watcher_teams).count() + await Schedule.filter(team_id__isnull=True).count()
    return Organisation(admin_token, watcher_token, widget_token, keys, await Schedule.all().count(), seen)


async def ensure_organisation(database_url: str, now: datetime) -> tuple[Organisation, float]:
    """The organisation (made unless a kept database already has it) and the seconds it took."""
    from pagerline.db import close_db, init_db
    from pagerline.models import User

    t0 = time.monotonic()
    await init_db(database_url)
    try:
        if not await User.exists(email=ADMIN_EMAIL):
            await _build_organisation(now)
        return await _organisation_handles(now), time.monotonic() - t0
    finally:
        await close_db()


# =========================================================================== bulk seeding

# One statement per chunk: the resolved alerts and, from their RETURNING rows, their 5 timeline
# entries, 3 notifications and action token. $1..$2: the chunk's numbers g; created_at is
# $3 + g * $4 seconds, so alerts are spread evenly over the past and ids follow time.
SEED_SQL = """
WITH org AS (
    SELECT (SELECT array_agg(id ORDER BY id) FROM alert_sources) AS sources,
           (SELECT array_agg(escalation_policy_id ORDER BY id) FROM alert_sources) AS policies,
           (SELECT array_agg(id ORDER BY id) FROM users) AS people
), made AS (
    INSERT INTO alerts (source_id, policy_id, summary, details, status, priority, alert_key, open_key, images, links,
                        custom_details, labels, created_at, updated_at, accepted_at, accepted_by_id, resolved_at,
                        resolved_by_id, escalation_rule_index, escalation_round, next_escalation_at)
    SELECT org.sources[1 + g % cardinality(org.sources)], org.policies[1 + g % cardinality(org.sources)],
           (ARRAY['Disk almost full', 'High CPU load', 'Service down', 'Replication lag', 'Certificate expires soon',
                  'Memory pressure', 'Error rate above 5%', 'Backup failed'])[1 + g % 8]
             || ' on ' || (ARRAY['db', 'web', 'cache', 'queue', 'api'])[1 + g % 5] || '-' || (g % 997),
           'Check ' || (g % 13) || ' reported ' || (g % 101) || ' for ' || (1 + g % 59) || ' minutes in zone ' || (g % 7),
           'RESOLVED', CASE WHEN g % 4 = 0 THEN 'LOW' ELSE 'HIGH' END, 'growth-' || g, NULL, '[]', '[]',
           jsonb_build_object('check', g % 13, 'value', g % 101), '{}',
           pick.at, pick.at + interval '20 minutes', pick.at + interval '7 minutes', pick.who,
           pick.at + interval '20 minutes', pick.who, 0, 0, NULL
    FROM generate_series($1::bigint, $2::bigint) AS g, org,
         LATERAL (SELECT $3::timestamptz + g * $4::double precision * interval '1 second' AS at,
                         org.people[1 + (g * 7919) % cardinality(org.people)] AS who) AS pick
    RETURNING id, created_at, accepted_by_id, summary, priority
), entries AS (
    INSERT INTO alert_log_entries (alert_id, kind, text, "at", user_id, data)
    SELECT m.id, e.kind, e.text, m.created_at + e.after, CASE WHEN e.by_responder THEN m.accepted_by_id END, e.data::jsonb
    FROM made m CROSS JOIN (VALUES
        ('RECEIVED', 'Alert created from an event via API', interval '0', false, '{}'),
        ('NOTIFIED', 'Push notification sent', interval '1 second', true, '{"channel": "PUSH"}'),
        ('NOTIFIED', 'SMS sent', interval '5 minutes', true, '{"channel": "SMS"}'),
        ('ACCEPTED', 'Accepted', interval '7 minutes', true, '{}'),
        ('RESOLVED', 'Resolved', interval '20 minutes', true, '{}')
    ) AS e(kind, text, after, by_responder, data)
), pages AS (
    INSERT INTO notifications (dedup_key, alert_id, user_id, kind, channel, notification_rule_id, escalation_rule_index,
                               escalation_round, status, due_at, claimed_until, attempts, title, body, target, transport,
                               provider_ids, last_error, created_at, sent_at, content_hash, dispatched_at, bundle_key)
    SELECT n.prefix || ':' || m.id || ':' || m.accepted_by_id || n.suffix, m.id, m.accepted_by_id, n.kind, n.channel,
           NULL, 0, 0, 'SENT', m.created_at + n.after, NULL, 1, '[' || m.priority || '] ' || m.summary, m.summary,
           n.target, n.transport, n.transport || '-' || m.id, NULL, m.created_at + n.after,
           m.created_at + n.after + interval '1 second', md5(n.channel || m.summary), m.created_at + n.after, NULL
    FROM made m CROSS JOIN (VALUES
        ('page', ':0:0:push', 'PAGE', 'PUSH', interval '0', 'device', 'fcm'),
        ('page', ':0:0:sms', 'PAGE', 'SMS', interval '5 minutes', '+15550100', 'twilio'),
        ('update', ':ACCEPTED:0:0', 'UPDATE', 'PUSH', interval '7 minutes', 'device', 'fcm')
    ) AS n(prefix, suffix, kind, channel, after, target, transport)
)
INSERT INTO action_tokens (nonce, alert_id, user_id, device_id, expires_at, created_at)
SELECT md5('growth:' || m.id), m.id, m.accepted_by_id, NULL, m.created_at + interval '1 day', m.created_at FROM made m
"""
_INSERTS = re.compile(r"INSERT INTO (\w+) \(([^)]*)\)")
SEED_CHUNK = 25_000
SEED_SPAN = timedelta(days=365)  # the largest size's alerts are spread over this,
SEED_END_AGO = timedelta(days=30)  # ending this long ago (inside every retention limit but the action tokens')


async def _check_seed_columns(conn: Any) -> None:
    """A column added since this was written that must be given (NOT NULL, no default) would make
    the seed fail half-way with a bare error: say which, before the first row."""
    seeded = {table: {c.strip().strip('"') for c in columns.split(",")} for table, columns in _INSERTS.findall(SEED_SQL)}
    rows = await conn.fetch(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = ANY($1::text[]) AND is_nullable = 'NO' AND column_default IS NULL",
        list(seeded),
    )
    unknown = [f"{r['table_name']}.{r['column_name']}" for r in rows if r["column_name"] not in seeded[r["table_name"]]]
    if unknown:
        raise RuntimeError(f"bench/growth.py's SEED_SQL does not fill the required column(s) {', '.join(unknown)}: add them")


async def resolved_count(database_url: str) -> int:
    async with pg_connection(database_url) as conn:
        return int(await conn.fetchval("SELECT count(*) FROM alerts WHERE status = 'RESOLVED'"))


async def seed_resolved(database_url: str, count: int, largest: int, epoch: datetime, progress: Callable[[int], None]) -> None:
    """``count`` more resolved alerts (and their rows), in chunks of SEED_CHUNK alerts."""
    async with pg_connection(database_url) as conn:
        await _check_seed_columns(conn)
        first = int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM alerts")) + 1
        gap = SEED_SPAN.total_seconds() / max(1, largest)
        done = 0
        while done < count:
            n = min(SEED_CHUNK, count - done)
            await conn.execute(SEED_SQL, first + done, first + done + n - 1, epoch, gap, timeout=600)
            done += n
            progress(done)


async def vacuum_analyze(database_url: str) -> None:
    """VACUUM (ANALYZE), then a CHECKPOINT that writes out the seed's pages now (see the module
    docstring), rather than during the measurements."""
    async with pg_connection(database_url) as conn:
        await conn.execute("VACUUM (ANALYZE)", timeout=3600)
        await conn.execute("CHECKPOINT", timeout=3600)


async def settle_retention(database_url: str, now: datetime) -> dict[str, int]:
    """The retention job (the engine's own, default limits) run until nothing is due: a database
    grown over a year with the job running holds only the last days' action tokens, not one per
    alert. Without this the job would be deleting the seeded tokens while the larger sizes are
    measured. Large batches, as nothing else runs yet. Returns the rows deleted, by table."""
    from dataclasses import replace

    from pagerline.db import close_db, init_db
    from pagerline.engine.retention import RetentionPolicy, run_retention
    from pagerline.settings import Settings

    policy = replace(RetentionPolicy.from_settings(Settings()), batch_size=10_000, batches_per_table=100)
    deleted: dict[str, int] = {}
    await init_db(database_url)
    try:
        while True:
            report = await run_retention(now, policy)
            if not report.deleted:
                return deleted
            for table, n in report.deleted.items():
                deleted[table] = deleted.get(table, 0) + n
    finally:
        await close_db()


async def database_size(database_url: str) -> int:
    async with pg_connection(database_url) as conn:
        return int(await conn.fetchval("SELECT pg_database_size(current_database())"))


async def open_alert_keys(database_url: str) -> list[tuple[int, str]]:
    """(source id, alert key) of every alert not resolved."""
    async with pg_connection(database_url) as conn:
        rows = await conn.fetch("SELECT source_id, alert_key FROM alerts WHERE status <> 'RESOLVED' ORDER BY id")
        return [(int(r["source_id"]), str(r["alert_key"])) for r in rows]


async def grow_timeline(database_url: str, alert_id: int, entries: int) -> None:
    """Timeline entries up to ``entries`` for one alert: a source that kept sending the same event."""
    async with pg_connection(database_url) as conn:
        have = int(await conn.fetchval("SELECT count(*) FROM alert_log_entries WHERE alert_id = $1", alert_id))
        await conn.execute(
            """INSERT INTO alert_log_entries (alert_id, kind, text, "at", user_id, data)
               SELECT $1, 'EVENT', 'Event received via API: Disk almost full on db-1 (repeat ' || n || ')',
                      now() - ($2 - n) * interval '10 milliseconds', NULL, '{"eventType": "ALERT"}'::jsonb
               FROM generate_series(1, $2::int) AS n""",
            alert_id, max(0, entries - have), timeout=600,
        )
        await conn.execute("ANALYZE alert_log_entries")


def wait_drained(database_url: str, timeout: float = 300.0) -> float:
    """Until no notification is due (the worker has sent every page); returns the seconds waited."""
    t0 = time.monotonic()
    while asyncio.run(outbox_backlog(database_url, count_done=False))[0] > 0:
        if time.monotonic() - t0 > timeout:
            raise RuntimeError(f"the worker did not send the due notifications within {timeout:g} s")
        time.sleep(0.2)
    return time.monotonic() - t0


# =========================================================================== processes


RSS_INTERVAL = 0.5  # seconds between RSS samples of each process


class Deployment:
    """Two servers and a worker of one size, with an RSS sampler each."""

    NAMES = ("serve1", "serve2", "worker")

    def __init__(self, group: ProcessGroup, env: dict[str, str], workdir: Path) -> None:
        self.group, self.env, self.workdir = group, env, workdir
        self.processes: list[ManagedProcess] = []
        self.ports: list[int] = []
        self.samplers: dict[str, RssSampler] = {}

    def start(self) -> Deployment:
        for _ in range(2):
            server, port = start_server(self.env, self.workdir)
            self.processes.append(self.group.add(server))
            self.ports.append(port)
        self.processes.append(self.group.add(start_worker(self.env, self.workdir)))
        # Every 0.5 s: each sample walks all of /proc for children in Python (holding the GIL
        # the timed requests wait for), and with three sizes running there are nine samplers;
        # these processes' RSS does not rise and fall within half a second.
        self.samplers = {
            name: RssSampler(p.pid, interval=RSS_INTERVAL, name=name).start() for name, p in zip(self.NAMES, self.processes, strict=True)
        }
        return self

    def check_alive(self) -> None:
        for name, process in zip(self.NAMES, self.processes, strict=True):
            if not process.alive():
                raise RuntimeError(f"{name} died:\n{process.log_tail()}")

    def server_trees(self) -> list[Callable[[], list[int]]]:
        return [pid_tree(p.pid) for p in self.processes[:2]]

    def worker_tree(self) -> Callable[[], list[int]]:
        return pid_tree(self.processes[2].pid)

    def stop(self) -> None:
        for sampler in self.samplers.values():
            sampler.stop()
        for process in reversed(self.processes):
            process.stop()


# =========================================================================== requests


class Api:
    """Keep-alive connections to both servers; ``server=None`` takes them in turn."""

    _ALERT_ID = re.compile(r"/(\d+)$")

    def __init__(self, ports: list[int], org: Organisation) -> None:
        self.org = org
        self.clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) for port in ports]
        self._turn = 0
        self.resolve_retries = 0

    def client(self, server: int | None = None) -> httpx.Client:
        if server is None:
            self._turn += 1
            server = self._turn
        return self.clients[server % len(self.clients)]

    def graphql(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None, server: int | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.org.admin_token}"}
        return self.client(server).post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)

    def event(self, event_type: str, source: int, key: str, summary: str = "", server: int | None = None) -> httpx.Response:
        keys = self.org.keys
        body: dict[str, Any] = {"integrationKey": keys[source % len(keys)], "eventType": event_type, "alertKey": key}
        if event_type == "ALERT":
            body |= {"summary": summary or f"Growth bench {key}", "details": "Opened by bench/growth.py", "priority": "HIGH"}
        return self.client(server).post("/api/events", json=body)

    def open_alerts(self, prefix: str, count: int, first_source: int = 0) -> list[tuple[int, int, str]]:
        """``count`` new alerts, each on the next source; (alert id, source index, alert key)."""
        made = []
        for i in range(count):
            key = f"{prefix}-{i}"
            response = self.event("ALERT", first_source + i, key)
            if response.status_code != 202:
                raise RuntimeError(f"opening an alert failed: {response.status_code} {response.text[:300]}")
            made.append((self.alert_id(response), first_source + i, key))
        return made

    def resolve(self, alerts: Iterable[tuple[int, str]]) -> int:
        """RESOLVE events for (source index, alert key) pairs; returns how many were sent. A 5xx
        is sent again (up to 3 times, as a monitoring system would) and counted in
        ``resolve_retries``: these events are clean-up, not a measurement."""
        sent = 0
        for source, key in alerts:
            for attempt in range(4):
                response = self.event("RESOLVE", source, key)
                if response.status_code < 500 or attempt == 3:
                    break
                self.resolve_retries += 1
                time.sleep(0.2)
            if response.status_code != 202:
                raise RuntimeError(f"resolving {key} failed: {response.status_code} {response.text[:300]}")
            sent += 1
        return sent

    @classmethod
    def alert_id(cls, response: httpx.Response) -> int:
        found = cls._ALERT_ID.search(response.json().get("alertUrl") or "")
        if not found:
            raise RuntimeError(f"no alert in {response.text[:300]}")
        return int(found.group(1))

    def close(self) -> None:
        for client in self.clients:
            client.close()


@dataclass
class Sampled:
    latencies: list[float] = field(default_factory=list)  # seconds
    errors: dict[str, int] = field(default_factory=dict)
    response_bytes: int = 0
    server_ms: list[float] = field(default_factory=list)  # Server-Timing, where the route sends it

    def summary(self) -> dict[str, float | int]:
        return latency_summary(self.latencies)

    def note(self) -> str:
        return f"{len(self.latencies)} samples" + (f"; ERRORS {self.errors}" if self.errors else "")


_SERVER_TIMING = re.compile(r"dur=([0-9.]+)")


def send_one(out: Sampled, send: Callable[[], httpx.Response], check: Callable[[httpx.Response], None], measured: bool) -> None:
    """One request: its latency into ``out`` when ``measured``; ``check`` raises if the answer is
    not the expected one (counted as an error, whether measured or not)."""
    t0 = time.perf_counter()
    try:
        response = send()
        elapsed = time.perf_counter() - t0
        check(response)
    except Exception as exc:
        key = f"{type(exc).__name__}: {exc}"[:160]
        out.errors[key] = out.errors.get(key, 0) + 1
        return
    if measured:
        out.latencies.append(elapsed)
        out.response_bytes = len(response.content)
        timing = _SERVER_TIMING.search(response.headers.get("server-timing", ""))
        if timing:
            out.server_ms.append(float(timing.group(1)))


def graphql_ok(expect: Callable[[dict[str, Any]], None] | None = None) -> Callable[[httpx.Response], None]:
    def check(response: httpx.Response) -> None:
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}")
        body = response.json()
        if body.get("errors"):
            raise RuntimeError(str(body["errors"][0].get("message")))
        if expect is not None:
            expect(body["data"])

    return check


def status_ok(code: int, contains: str = "") -> Callable[[httpx.Response], None]:
    def check(response: httpx.Response) -> None:
        if response.status_code != code or contains not in response.text:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:120]}")

    return check


def expect_len(path: tuple[str, ...], wanted: int) -> Callable[[dict[str, Any]], None]:
    def check(data: dict[str, Any]) -> None:
        value: Any = data
        for part in path:
            value = value[part]
        if len(value) != wanted:
            raise RuntimeError(f"{'.'.join(path)} has {len(value)} items, expected {wanted}")

    return check


# =========================================================================== figures


@dataclass(frozen=True)
class Target:
    """How a row is judged at the largest size: ``growth`` is the allowed change against the first
    size (0.2: at most 20 % slower, or for ``higher_is_better`` at most 20 % fewer); ``below`` and
    ``at_least`` are absolute; ``every_size`` applies ``below`` at every size; ``versus`` compares
    with another row at the same size (the big alert against the dashboard)."""

    growth: float | None = 0.2
    below: float | None = None
    at_least: float | None = None
    higher_is_better: bool = False
    every_size: bool = False
    versus: str | None = None

    def text(self, unit: str) -> str:
        parts = []
        if self.growth is not None:
            parts.append(f"{'>= -' if self.higher_is_better else '<= +'}{self.growth * 100:.0f} %" + (f" vs {self.versus}" if self.versus else ""))
        if self.below is not None:
            parts.append(f"< {format_value(self.below)} {unit}" + (" each size" if self.every_size else ""))
        if self.at_least is not None:
            parts.append(f">= {format_value(self.at_least)} {unit}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    unit: str
    target: Target | None = None


RSS_BUDGET_MB = 250.0
BIG_RSS_TOLERANCE_MB = 10.0
ROWS = (
    Row("dashboard_p50", "dashboard open alerts, p50", "ms", Target(below=60.0)),
    Row("dashboard_p99", "dashboard open alerts, p99", "ms"),
    Row("metrics_p50", "/metrics, p50", "ms", Target(below=10.0)),
    Row("search_p50", "alerts(text:) absent word, p50", "ms", Target()),
    Row("search_p99", "alerts(text:) absent word, p99", "ms", Target(below=50.0)),
    Row("accept_p50", "acceptAlert (GraphQL), p50", "ms", Target(below=25.0)),
    Row("accept_event_p50", "ACCEPT event, p50", "ms", Target()),
    Row("on_call_now_p50", "on call now (admin), p50", "ms", Target(below=50.0)),
    Row("on_call_now_p99", "on call now (admin), p99", "ms"),
    Row("on_call_all_p50", "onCall all schedules, p50", "ms", Target()),
    Row("lookups_per_s", "onCall(at:) lookups in 1 request", "/s", Target(at_least=5000.0, higher_is_better=True)),
    Row("first_page_p50", "event -> first page (fake FCM), p50", "ms", Target()),
    Row("first_page_p99", "event -> first page (fake FCM), p99", "ms"),
    Row("widget_p99", "widget feed, p99", "ms", Target()),
    Row("widget_server_p99", "widget feed server time, p99", "ms"),
    Row("big_alert_p50", "dashboard + 1 alert of N entries, p50", "ms", Target(versus="big_alert_beside_p50")),
    Row("big_alert_beside_p50", "  the other sizes' dashboard, same rounds, p50", "ms"),
    Row("big_alert_bytes", "  its response", "KB"),
    Row("big_alert_rss_before", "  answering server RSS before", "MB"),
    Row("big_alert_rss_after", "  answering server RSS after", "MB"),
    Row("big_alert_rss_growth", "  answering server RSS growth", "MB", Target(growth=None, below=BIG_RSS_TOLERANCE_MB)),
    Row("database_mb", "database size", "MB"),
    Row("rss_serve1", "peak RSS serve1", "MB", Target(growth=None, below=RSS_BUDGET_MB, every_size=True)),
    Row("rss_serve2", "peak RSS serve2", "MB", Target(growth=None, below=RSS_BUDGET_MB, every_size=True)),
    Row("rss_worker", "peak RSS worker", "MB", Target(growth=None, below=RSS_BUDGET_MB, every_size=True)),
)


def verdict(row: Row, values: dict[str, dict[int, float]], sizes: list[int]) -> tuple[str, str]:
    """("PASS" / "MISS" / "" when nothing could be judged, why) for a row, from the raw figures."""
    target = row.target
    cells = values.get(row.key, {})
    measured = {s: v for s, v in cells.items() if not math.isnan(v)}
    if target is None:
        return "", ""
    if not measured:
        return "MISS", "not measured"
    last = max(cells)
    value = cells[last]
    if math.isnan(value):
        return "MISS", f"not measured at {last:,}"
    why: list[str] = []
    judged: list[bool] = []  # one entry per check made: did it hold?
    if target.growth is not None:
        if target.versus is not None:
            base = values.get(target.versus, {}).get(last, math.nan)
            against = f"vs {target.versus} at {last:,}"
        else:
            first = min(s for s in sizes if s in cells)
            base = cells[first]
            against = f"at {last:,} vs {first:,}"
        if target.versus is None and first == last:
            why.append("one size only: growth not judged")
        elif math.isnan(base) or base <= 0:
            why.append("no figure to compare with")
            judged.append(False)
        else:
            change = value / base - 1
            judged.append(change >= -target.growth if target.higher_is_better else change <= target.growth)
            why.append(f"{change * 100:+.0f} % {against}")
    if target.below is not None:
        worst = max(measured.values()) if target.every_size else value
        judged.append(worst < target.below)
        why.append(f"{format_value(worst)} {'<' if judged[-1] else 'not <'} {format_value(target.below)}")
    if target.at_least is not None:
        judged.append(value >= target.at_least)
        why.append(f"{format_value(value)} {'>=' if judged[-1] else 'not >='} {format_value(target.at_least)}")
    result = "" if not judged else "PASS" if all(judged) else "MISS"
    return result, "; ".join(why)


def print_table(values: dict[str, dict[int, float]], sizes: list[int], big_entries: int) -> dict[str, dict[str, Any]]:
    label_width = 46
    header = f"{'request (resolved alerts ->)':<{label_width}}" + "".join(f"{s:>13,}" for s in sizes) + f"  {'unit':<5} {'target':<26} verdict"
    print(header)
    print("-" * len(header))
    out: dict[str, dict[str, Any]] = {}
    for row in ROWS:
        cells = values.get(row.key, {})
        if not cells:
            continue
        label = row.label.replace(" N ", f" {big_entries:,} ")
        shown = "".join(f"{format_value(cells[s]) if s in cells else '':>13}" for s in sizes)
        result, why = verdict(row, values, sizes)
        target = row.target.text(row.unit) if row.target else ""
        print(f"{label:<{label_width}}{shown}  {row.unit:<5} {target:<26} {result}{f' ({why})' if why else ''}", flush=True)
        out[row.key] = {"label": label, "unit": row.unit, "values": {str(s): (None if math.isnan(v) else round(v, 3)) for s, v in cells.items()},
                        "target": target, "verdict": result, "why": why}
    return out


# =========================================================================== one site per size


@dataclass
class Site:
    """One size: its own database, Redis database, fake FCM, processes and connections."""

    size: int
    database_url: str
    redis_url: str
    org: Organisation
    fake_fcm: Any
    deployment: Deployment
    api: Api
    details: dict[str, Any]


@dataclass
class Run:
    """Every site, measured together, and where the figures go."""

    args: argparse.Namespace
    sites: list[Site]
    queries: dict[str, str]
    values: dict[str, dict[int, float]]
    tag: str

    def put(self, key: str, size: int, value: float) -> None:
        self.values.setdefault(key, {})[size] = value

    def report(self, title: str, sampled: dict[int, Sampled], keys: dict[str, str], extra: Callable[[Site], str] | None = None) -> None:
        """Store p50/p99 of each site's samples under the row keys given ({"p50": key, ...}) and
        print a line per size."""
        print(f"  {title}", flush=True)
        for site in (s for s in self.sites if s.size in sampled):
            got = sampled[site.size]
            summary = got.summary()
            for stat, key in keys.items():
                self.put(key, site.size, float(summary[f"{stat}_ms"]))
            note = got.note() + (f"; {extra(site)}" if extra else "")
            print(f"    {site.size:>11,}  p50 {summary['p50_ms']:9.2f} ms  p99 {summary['p99_ms']:9.2f} ms"
                  f"  max {summary['max_ms']:9.2f} ms  ({note})", flush=True)
            site.details[title] = {"summary": summary, "errors": got.errors, "bytes": got.response_bytes}

    @property
    def warmup(self) -> int:
        return max(2, self.args.samples // 20)

    def wait_drained(self, timeout: float = 300.0) -> None:
        for site in self.sites:
            wait_drained(site.database_url, timeout)


Check = Callable[[httpx.Response], None]


def sample_sites(sites: list[Site], count: int, warmup: int, send: Callable[[Site, int], httpx.Response],
                 check: Check | PerSite) -> dict[int, Sampled]:
    """Request i goes to every site in turn, starting at a different site each round, so a
    slower or faster minute of the machine falls on every size alike (and no size always goes
    first, right after the benchmark's own work). ``check`` is one check for every site, or
    a :class:`PerSite` giving each site its own."""
    out = {site.size: Sampled() for site in sites}
    checks = {site.size: check(site) if isinstance(check, PerSite) else check for site in sites}
    for i in range(warmup + count):
        turn = i % len(sites)
        for site in sites[turn:] + sites[:turn]:
            send_one(out[site.size], lambda site=site: send(site, i), checks[site.size], measured=i >= warmup)
    return out


@dataclass(frozen=True)
class PerSite:
    """A check that differs by site."""

    make: Callable[[Site], Check]

    def __call__(self, site: Site) -> Check:
        return self.make(site)


def measure_reads(run: Run) -> None:
    args, sites = run.args, run.sites
    dashboard = run.queries["DASHBOARD"]
    samples, warm = args.samples, run.warmup
    run.report("dashboard", sample_sites(sites, samples, warm, lambda s, i: s.api.graphql(dashboard, token=s.org.admin_token),
                                         graphql_ok(expect_len(("alerts", "edges"), args.open_alerts))),
               {"p50": "dashboard_p50", "p99": "dashboard_p99"})
    run.report("/metrics", sample_sites(sites, samples, warm, lambda s, i: s.api.client().get("/metrics"), status_ok(200, "pagerline_alerts")),
               {"p50": "metrics_p50"})
    run.report("alerts(text:) absent word",
               sample_sites(sites, samples, warm, lambda s, i: s.api.graphql(SEARCH, {"text": ABSENT_WORD}, token=s.org.admin_token),
                            graphql_ok(expect_len(("alerts", "edges"), 0))),
               {"p50": "search_p50", "p99": "search_p99"})
    schedules = sites[0].org.schedules
    run.report("on call now (admin)",
               sample_sites(sites, samples, warm, lambda s, i: s.api.graphql(run.queries["ON_CALL"], token=s.org.admin_token),
                            graphql_ok(expect_len(("onCall",), schedules))),
               {"p50": "on_call_now_p50", "p99": "on_call_now_p99"})
    run.report("onCall all schedules",
               sample_sites(sites, samples, warm, lambda s, i: s.api.graphql(ON_CALL_ALL, token=s.org.admin_token),
                            graphql_ok(expect_len(("onCall",), schedules))),
               {"p50": "on_call_all_p50"})
    base = datetime.now(UTC).replace(microsecond=0)
    watched = sites[0].org.watcher_schedules
    lookups = sample_sites(sites, samples, warm,
                           lambda s, i: s.api.graphql(LOOKUPS, {"at": (base + timedelta(hours=7 * i)).isoformat()}, token=s.org.watcher_token),
                           graphql_ok(expect_len(("schedules",), watched)))
    run.report(f"{watched} onCall(at:) in 1 request", lookups, {})
    for site in sites:
        p50 = lookups[site.size].summary()["p50_ms"]
        run.put("lookups_per_s", site.size, watched / (p50 / 1000) if p50 and not math.isnan(p50) else math.nan)
    widget = sample_sites(sites, samples, warm,
                          lambda s, i: s.api.client().get("/api/widget", headers={"Authorization": f"Bearer {s.org.widget_token}"}),
                          status_ok(200))
    run.report("widget feed", widget, {"p99": "widget_p99"})
    for site in sites:
        server_ms = widget[site.size].server_ms
        run.put("widget_server_p99", site.size, latency_summary([ms / 1000 for ms in server_ms])["p99_ms"] if server_ms else math.nan)


def measure_writes(run: Run) -> None:
    """acceptAlert, ACCEPT events and event -> first page, each on alerts opened for it (and
    resolved after it, unmeasured)."""
    args, sites = run.args, run.sites
    n = args.write_samples
    accept = run.queries["accept"]

    fresh = {s.size: s.api.open_alerts(f"growth-gql-{run.tag}", n + 2) for s in sites}
    run.wait_drained()
    sampled = sample_sites(sites, n, 2, lambda s, i: s.api.graphql(accept, {"id": str(fresh[s.size][i][0])}, token=s.org.admin_token),
                           graphql_ok(lambda d: _expect_status(d, "ACCEPTED")))
    run.report("acceptAlert (GraphQL)", sampled, {"p50": "accept_p50"})
    resolve_all(run, {size: [(s, k) for _, s, k in made] for size, made in fresh.items()})

    fresh = {s.size: s.api.open_alerts(f"growth-evt-{run.tag}", n + 2, first_source=n) for s in sites}
    run.wait_drained()
    sampled = sample_sites(sites, n, 2, lambda s, i: s.api.event("ACCEPT", fresh[s.size][i][1], fresh[s.size][i][2]),
                           status_ok(202, "ALERT_ACCEPTED"))
    run.report("ACCEPT event", sampled, {"p50": "accept_event_p50"})
    resolve_all(run, {size: [(s, k) for _, s, k in made] for size, made in fresh.items()})

    # One new alert per site every --page-spacing seconds, the sites taken in turn.
    sent: dict[int, dict[int, float]] = {s.size: {} for s in sites}
    made: dict[int, list[tuple[int, str]]] = {s.size: [] for s in sites}
    for i in range(n):
        turn = i % len(sites)
        for site in sites[turn:] + sites[:turn]:
            key = f"growth-page-{run.tag}-{i}"
            at = time.time()
            response = site.api.event("ALERT", 2 * n + i, key)
            if response.status_code == 202:
                sent[site.size][site.api.alert_id(response)] = at
                made[site.size].append((2 * n + i, key))
        time.sleep(args.page_spacing)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(a in s.fake_fcm.arrived for s in sites for a in sent[s.size]):
        time.sleep(0.05)
    first_pages: dict[int, Sampled] = {}
    for site in sites:
        arrived = site.fake_fcm.arrivals_by_alert()
        first_pages[site.size] = Sampled(latencies=[arrived[a] - t for a, t in sent[site.size].items() if a in arrived])

    def missing(site: Site) -> str:
        lost = len(sent[site.size]) - len(first_pages[site.size].latencies)
        return f"{lost} of {n} not received within 30 s" if lost else f"one event every {args.page_spacing:g} s"

    run.report("event -> first page", first_pages, {"p50": "first_page_p50", "p99": "first_page_p99"}, missing)
    resolve_all(run, made)


def resolve_all(run: Run, alerts: dict[int, list[tuple[int, str]]]) -> None:
    """RESOLVE events for each site's (source index, alert key) pairs, once their pages are out."""
    run.wait_drained()
    for site in run.sites:
        site.api.resolve(alerts[site.size])
    run.wait_drained()


def _expect_status(data: dict[str, Any], status: str) -> None:
    got = data["acceptAlert"]["status"]
    if got != status:
        raise RuntimeError(f"status {got}, expected {status}")


def measure_big_alert(run: Run) -> None:
    """The dashboard with one more open alert of --big-alert-entries timeline entries on the first
    (empty) size, sent to its first server, whose RSS is read (median of 2 s while idle) before
    and after. The other sizes answer the same dashboard query in the same rounds, without a big
    alert: the figure it is compared with (the dashboard does not grow with resolved alerts, as
    the rows above show)."""
    args = run.args
    big = run.sites[0]
    ((alert_id, source, key),) = big.api.open_alerts(f"growth-big-{run.tag}", 1, first_source=3 * args.write_samples)
    wait_drained(big.database_url)
    t0 = time.monotonic()
    asyncio.run(grow_timeline(big.database_url, alert_id, args.big_alert_entries))
    seeded_s = time.monotonic() - t0
    sampler = big.deployment.samplers["serve1"]
    before = idle_rss(sampler)
    dashboard = run.queries["DASHBOARD"]
    sampled = sample_sites(run.sites, args.big_samples, 1, lambda s, i: s.api.graphql(dashboard, token=s.org.admin_token, server=0),
                           PerSite(lambda s: graphql_ok(expect_len(("alerts", "edges"), args.open_alerts + (s is big)))))
    after = idle_rss(sampler)
    got = sampled[big.size]
    run.report(f"dashboard + alert of {args.big_alert_entries:,} entries at {big.size:,} (the other sizes without)", sampled, {},
               lambda s: f"{sampled[s.size].response_bytes / 1000:,.0f} KB" + (f"; entries added in {seeded_s:.1f} s" if s is big else ""))
    beside = [sampled[s.size].summary()["p50_ms"] for s in run.sites if s is not big]
    run.put("big_alert_p50", big.size, float(got.summary()["p50_ms"]))
    run.put("big_alert_beside_p50", big.size, float(statistics.median(beside)) if beside else math.nan)
    run.put("big_alert_bytes", big.size, got.response_bytes / 1000)
    run.put("big_alert_rss_before", big.size, before / MB)
    run.put("big_alert_rss_after", big.size, after / MB)
    run.put("big_alert_rss_growth", big.size, (after - before) / MB)
    print(f"    serve1 RSS before / after: {before / MB:.1f} / {after / MB:.1f} MB", flush=True)
    t0 = time.monotonic()
    big.api.resolve([(source, key)])
    wait_drained(big.database_url, timeout=900)
    print(f"    (resolved it in {time.monotonic() - t0:.1f} s)", flush=True)


def measure(run: Run) -> dict[str, Any]:
    """Every measurement, then the big alert on the first (empty) site; returns the CPU used."""
    groups: dict[str, Callable[[], list[int]]] = {
        "servers": _union([g for s in run.sites for g in s.deployment.server_trees()]),
        "workers": _union([s.deployment.worker_tree() for s in run.sites]),
        "postgres": pids_named("postgres"),
        "redis": pids_named("redis-server"),
        "bench": pid_tree(os.getpid()),
    }
    cpu = CpuAccount(groups)
    c0 = cpu.snapshot()
    t0 = time.monotonic()
    measure_reads(run)
    measure_writes(run)
    used = CpuAccount.delta(c0, cpu.snapshot())
    t_measured = time.monotonic()
    for site in run.sites:
        site.deployment.check_alive()
        for name, sampler in site.deployment.samplers.items():
            run.put(f"rss_{name}", site.size, sampler.peak_between(0.0, t_measured) / MB)
        print(f"  peak RSS at {site.size:,}: " + ", ".join(f"{name} {run.values[f'rss_{name}'][site.size]:.1f} MB" for name in Deployment.NAMES),
              flush=True)
    print(f"  cpu while measuring (cores): {cpu_line(used)}", flush=True)
    if run.args.big_alert_entries > 0:
        measure_big_alert(run)
    retries = {site.size: site.api.resolve_retries for site in run.sites if site.api.resolve_retries}
    if retries:
        print(f"  NOTE: RESOLVE events answered 5xx and were sent again (see the server logs): {retries}", flush=True)
    return {"cpu_cores": {k: round(v, 3) for k, v in used.items()}, "measured_seconds": round(t_measured - t0, 1), "resolve_retries": retries}


def _union(trees: list[Callable[[], list[int]]]) -> Callable[[], list[int]]:
    return lambda: [pid for tree in trees for pid in tree()]


# =========================================================================== main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="0,100000,1000000", help="resolved alerts at each size, ascending (default %(default)s)")
    parser.add_argument("--samples", type=int, default=100, help="measured requests per read at each size (default %(default)s)")
    parser.add_argument("--write-samples", type=int, default=100, help="fresh alerts per write measurement (default %(default)s)")
    parser.add_argument("--open-alerts", type=int, default=50, help="open alerts on the dashboard at each size (default %(default)s)")
    parser.add_argument("--big-alert-entries", type=int, default=100_000, help="timeline entries of the big alert; 0: skip it")
    parser.add_argument("--big-samples", type=int, default=10, help="dashboard requests with the big alert (default %(default)s)")
    parser.add_argument("--page-spacing", type=float, default=0.25, help="seconds between the first-page events (default %(default)s)")
    parser.add_argument("--pg-server", default="postgres://postgres@127.0.0.1:5432", help="where the throwaway databases are made")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9",
                        help="Redis URL of the first size; the next sizes take the next database numbers, each FLUSHDB'd first (default %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway databases and the process logs")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    args.size_list = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    return args


def redis_url_for(base: str, index: int) -> str:
    """``base`` with its database number moved on by ``index``: each site's queues and bus apart."""
    parts = urlsplit(base)
    number = int(parts.path.strip("/") or 0) + index
    return urlunsplit(parts._replace(path=f"/{number}"))


def prepare_database(args: argparse.Namespace, size: int, database_url: str, epoch: datetime, now: datetime) -> tuple[Organisation, dict[str, Any]]:
    """Migrations, the organisation, ``size`` resolved alerts, then what a year of the retention
    job and autovacuum would have done: each step timed."""
    from pagerline.db import migrate

    asyncio.run(migrate(database_url))
    org, org_s = asyncio.run(ensure_organisation(database_url, now))
    t0 = time.monotonic()
    asyncio.run(seed_resolved(database_url, size, max(args.size_list), epoch,
                              lambda done: print(f"  seeded {done:,} of {size:,} ({time.monotonic() - t0:.0f} s)", flush=True)
                              if done % 200_000 == 0 or done == size else None))
    seed_s = time.monotonic() - t0
    t1 = time.monotonic()
    settled = asyncio.run(settle_retention(database_url, now))
    settle_s = time.monotonic() - t1
    t2 = time.monotonic()
    asyncio.run(vacuum_analyze(database_url))
    vacuum_s = time.monotonic() - t2
    print(f"  {size:,}: organisation {org_s:.1f} s; seeded in {seed_s:.1f} s; retention caught up in {settle_s:.1f} s "
          f"({', '.join(f'{n:,} {t}' for t, n in sorted(settled.items())) or 'nothing due'}); VACUUM (ANALYZE) + CHECKPOINT {vacuum_s:.1f} s",
          flush=True)
    return org, {"seeded": size, "seed_seconds": round(seed_s, 1), "retention_deleted": settled,
                 "retention_seconds": round(settle_s, 1), "vacuum_seconds": round(vacuum_s, 1), "organisation_seconds": round(org_s, 1)}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run_id = uuid.uuid4().hex[:6]
    workdir = Path(tempfile.mkdtemp(prefix="pl_bench_growth_"))
    values: dict[str, dict[int, float]] = {}
    info: dict[str, Any] = {"bench": "growth", "run_id": run_id, "sizes": args.size_list, "steps": {}}
    failed = False

    print_section("machine")
    info["machine"] = machine_info()
    print_kv(info["machine"])
    queries = web_app_queries()

    kept: list[str] = []
    with ProcessGroup() as group:
        try:
            now = datetime.now(UTC)
            epoch = now - SEED_SPAN - SEED_END_AGO
            redis_urls = [redis_url_for(args.redis_url, i) for i in range(len(args.size_list))]
            print_section("settings")
            settings = {
                "databases": f"one throwaway database per size on {describe_url(args.pg_server)}" + (" (kept)" if args.keep else ""),
                "redis": ", ".join(describe_url(u) for u in redis_urls) + " (one per size, flushed)",
                "processes": "per size: 2 x pagerline serve --workers 1 + 1 x pagerline worker, all sizes running at once",
                "organisation": f"{USERS:,} users, {TEAMS} teams, {TEAMS * TEAM_SCHEDULES + ORG_SCHEDULES} schedules, {POLICIES} policies and sources",
                "seeded per alert": "5 timeline entries, 3 notifications, 1 action token; then the retention job run until nothing is due, "
                "VACUUM (ANALYZE) and CHECKPOINT",
                "open alerts": f"{args.open_alerts} on the dashboard at each size",
                "samples": f"{args.samples} per read (after {max(2, args.samples // 20)} warm-up), {args.write_samples} per write, "
                f"{args.big_samples} with the big alert; each request sent to every size in turn",
                "dashboard query": " ".join(queries["DASHBOARD"].split())[:150] + " ... (from web/src/app/alerts/alerts.graphql)",
                "pushes": "FCM transport -> a fake FCM per size, in this process",
                "workdir": str(workdir),
            }
            print_kv(settings)
            info["settings"] = settings
            info["queries"] = queries

            print_section("preparing the databases (nothing runs meanwhile)")
            prepared: list[tuple[int, str, Organisation]] = []
            for size in args.size_list:
                throwaway = ThrowawayPostgres(args.pg_server, prefix="pl_bench_growth_")
                database_url = throwaway.create()
                if args.keep:
                    kept.append(database_url)
                else:
                    group.on_exit(throwaway.drop)
                org, detail = prepare_database(args, size, database_url, epoch, now)
                info["steps"][str(size)] = detail
                prepared.append((size, database_url, org))

            print_section("starting the processes")
            sites: list[Site] = []
            for (size, database_url, org), redis_url in zip(prepared, redis_urls, strict=True):
                redis_flushdb(redis_url)
                site_dir = workdir / f"size-{size}"
                site_dir.mkdir()
                fake_fcm = StampedFakeFcm().start()
                group.on_exit(fake_fcm.stop)
                env = {
                    "PAGERLINE_DATABASE_URL": database_url,
                    "PAGERLINE_REDIS_URL": redis_url,
                    "PAGERLINE_EVENT_RATE_PER_KEY": "1000000",
                    "PAGERLINE_EVENT_BURST_PER_KEY": "1000000",
                    "PAGERLINE_LOG_LEVEL": "WARNING",
                    "PAGERLINE_SECRET_KEY": "bench",
                } | fake_fcm_settings(fake_fcm, site_dir)
                deployment = Deployment(group, env, site_dir).start()
                api = Api(deployment.ports, org)
                sites.append(Site(size, database_url, redis_url, org, fake_fcm, deployment, api, info["steps"][str(size)]))
                print(f"  {size:,}: servers on ports {', '.join(map(str, deployment.ports))}", flush=True)
            for site in sites:
                site.api.open_alerts(f"growth-open-{run_id}", args.open_alerts)
            run = Run(args, sites, queries, values, run_id)
            run.wait_drained()

            print_section("measuring (each request sent to every size in turn)")
            info["measurement"] = measure(run)
            for site in sites:
                size_bytes = asyncio.run(database_size(site.database_url))
                run.put("database_mb", site.size, size_bytes / MB)
                site.api.close()
            for site in sites:
                site.deployment.stop()
        except KeyboardInterrupt:
            print("\ninterrupted; stopping processes", file=sys.stderr)
            failed = True
        except Exception:
            traceback.print_exc()
            info["error"] = traceback.format_exc()[-2000:]
            failed = True
        if args.keep or failed:
            print(f"logs kept in {workdir}" + (f"; databases kept: {', '.join(describe_url(u) for u in kept)}" if kept else ""))
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print_section("growth (figures at each number of resolved alerts; verdicts at the largest against the first)")
    sizes = [s for s in args.size_list if any(s in cells for cells in values.values())]
    info["rows"] = print_table(values, sizes, args.big_alert_entries)
    missed = [r for r, row in info["rows"].items() if row["verdict"] == "MISS"]
    passed = [r for r, row in info["rows"].items() if row["verdict"] == "PASS"]
    print(f"targets: {len(passed)} PASS, {len(missed)} MISS" + (f" ({', '.join(missed)})" if missed else "")
          + ("" if 1_000_000 in sizes else "  -- the targets are set for 1,000,000 resolved alerts"))
    info["complete"] = not failed
    if args.json:
        args.json.write_text(json.dumps(info, indent=2, default=str) + "\n")
    print(json_line(info))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
