"""Growth benchmark: every request the dashboard, scrapers, scripts and phones make, on an empty
database and after 100,000 and 1,000,000 resolved alerts, with the peak RSS of every process.

Run from the repo root:  .venv/bin/python bench/growth.py [--sizes 0,100000,1000000] [--json FILE]

What runs (all real processes): two `pagerline serve --workers 1` and one `pagerline worker` on
PostgreSQL and Redis (a throwaway pl_bench_growth_<random> database unless --database-url; Redis
--redis-url, flushed), pushes going through the real FCM transport to the test suite's fake FCM
(in this process). Requests are sent one at a time from this process, alternating between the two
servers as a load balancer would, over keep-alive connections; a latency is request sent ->
whole response read.

The organisation (made once, through the engine's own functions): 1,000 users in 50 teams, each
with an FCM device; 300 schedules (250 owned by the teams, 50 by the organisation; rotations of
1 day to 1 week, half with a second weekday-hours layer, one override each); 100 escalation
policies (level 1: three schedules, level 2: two people) with one API source each. The admin
(no team) sees everything; "the watcher", a member of 30 teams, sees 200 schedules.

Growth: the sizes are numbers of resolved alerts, reached in steps on the same database. Each
step resolves the alerts left open, stops the processes, seeds the missing resolved alerts with
bulk SQL straight into the project's tables (per alert: 5 timeline entries, 3 notifications, one
action token; created over the past year, older than anything the run itself makes), runs
VACUUM (ANALYZE) (what autovacuum would have done by then, and so it does not start during the
measurements) and a CHECKPOINT (the seed writes gigabytes: without it the checkpoint it set off
spreads their writes over the next minutes, and every commit and read of the measurements waits
behind them, a cost of the seeding that a database grown over a year does not pay), starts
fresh processes, opens --open-alerts alerts through the events API (the dashboard's page) and
waits for their pages to be sent. Then, at each size:

  dashboard             the web app's "Dashboard" query (read from pagerline/web/static/dashboard.js,
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
  peak RSS              of each process (process tree, sampled every 0.2 s), per step

At the first size only: one more open alert with --big-alert-entries timeline entries, and the
dashboard query again (p50, response bytes, the RSS of the server answering before and after).
The fresh alerts of the write measurements are resolved afterwards (unmeasured), so every read
sees the same open alerts.

Targets (PASS / MISS, at the largest size against the first, which should be the empty database):
every request within 20 % of its empty-database figure, and dashboard p50 < 60 ms, /metrics p50
< 10 ms, search p99 < 50 ms, acceptAlert p50 < 25 ms, on call now p50 < 50 ms, 200 lookups at
>= 5,000/s, each process's peak RSS < 250 MB at every size, the big-alert dashboard p50 within
20 % of the dashboard's at that size and the server's RSS after it within 10 MB of before.

Each step also prints the CPU (cores) each group of processes used while measuring; "other"
above 0.15 cores means something else on the machine was busy and the figures are disturbed.
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
from tests.support.dashboard_js import dashboard_document  # noqa: E402

# =========================================================================== what is sent

def web_app_queries() -> dict[str, str]:
    """The GraphQL documents the web app sends, by name: read from the web app itself, so the
    benchmark measures what the browser sends, today and after the queries change."""
    try:
        return {name: dashboard_document(name) for name in ("DASHBOARD", "ON_CALL", "accept")}
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
SEED_SPAN = timedelta(days=365)  # the largest size's alerts are spread over this, ending 35 days ago


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


class Deployment:
    """Two servers and a worker, with an RSS sampler each; started fresh at every size."""

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
        # Every 0.2 s: each sample walks /proc for children, and this process shares the 2 cores
        # with what it measures; RSS does not rise and fall within 0.2 s.
        self.samplers = {
            name: RssSampler(p.pid, interval=0.2, name=name).start() for name, p in zip(self.NAMES, self.processes, strict=True)
        }
        return self

    def check_alive(self) -> None:
        for name, process in zip(self.NAMES, self.processes, strict=True):
            if not process.alive():
                raise RuntimeError(f"{name} died:\n{process.log_tail()}")

    def cpu_groups(self) -> dict[str, Callable[[], list[int]]]:
        servers = [pid_tree(p.pid) for p in self.processes[:2]]
        return {
            "servers": lambda: [pid for tree in servers for pid in tree()],
            "worker": pid_tree(self.processes[2].pid),
            "postgres": pids_named("postgres"),
            "redis": pids_named("redis-server"),
            "bench": pid_tree(os.getpid()),
        }

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


def sample(count: int, warmup: int, send: Callable[[int], httpx.Response], check: Callable[[httpx.Response], None]) -> Sampled:
    """``warmup`` unmeasured requests, then ``count`` measured, one at a time. ``send(i)`` makes
    request i; ``check`` raises if the answer is not the expected one (counted as an error)."""
    out = Sampled()
    for i in range(warmup + count):
        t0 = time.perf_counter()
        try:
            response = send(i)
            elapsed = time.perf_counter() - t0
            check(response)
        except Exception as exc:
            key = f"{type(exc).__name__}: {exc}"[:160]
            out.errors[key] = out.errors.get(key, 0) + 1
            continue
        if i >= warmup:
            out.latencies.append(elapsed)
            out.response_bytes = len(response.content)
            timing = _SERVER_TIMING.search(response.headers.get("server-timing", ""))
            if timing:
                out.server_ms.append(float(timing.group(1)))
    return out


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
    Row("big_alert_p50", "dashboard + 1 alert of N entries, p50", "ms", Target(versus="dashboard_p50")),
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


# =========================================================================== one size


@dataclass
class Step:
    """Everything the measurements of one size need."""

    args: argparse.Namespace
    size: int
    api: Api
    org: Organisation
    deployment: Deployment
    database_url: str
    fake_fcm: Any
    queries: dict[str, str]
    values: dict[str, dict[int, float]]
    details: dict[str, Any]
    tag: str

    def put(self, key: str, value: float) -> None:
        self.values.setdefault(key, {})[self.size] = value

    def report(self, title: str, sampled: Sampled, keys: dict[str, str], extra: str = "") -> None:
        """Store p50/p99 of ``sampled`` under the row keys given ({"p50": key, ...}) and print a line."""
        summary = sampled.summary()
        for stat, key in keys.items():
            self.put(key, float(summary[f"{stat}_ms"]))
        print(f"  {title:<34} p50 {summary['p50_ms']:9.2f} ms  p99 {summary['p99_ms']:9.2f} ms  max {summary['max_ms']:9.2f} ms"
              f"  ({sampled.note()}{'; ' + extra if extra else ''})", flush=True)
        self.details[title] = {"summary": summary, "errors": sampled.errors, "bytes": sampled.response_bytes}

    @property
    def warmup(self) -> int:
        return max(2, self.args.samples // 20)


def measure_reads(step: Step) -> None:
    args, api, org = step.args, step.api, step.org
    dashboard = step.queries["DASHBOARD"]
    open_count = args.open_alerts
    step.report("dashboard", sample(args.samples, step.warmup, lambda i: api.graphql(dashboard),
                                    graphql_ok(expect_len(("alerts", "edges"), open_count))),
                {"p50": "dashboard_p50", "p99": "dashboard_p99"})
    step.report("/metrics", sample(args.samples, step.warmup, lambda i: api.client().get("/metrics"), status_ok(200, "pagerline_alerts")),
                {"p50": "metrics_p50"})
    step.report("alerts(text:) absent word", sample(args.samples, step.warmup, lambda i: api.graphql(SEARCH, {"text": ABSENT_WORD}),
                                                    graphql_ok(expect_len(("alerts", "edges"), 0))),
                {"p50": "search_p50", "p99": "search_p99"})
    step.report("on call now (admin)", sample(args.samples, step.warmup, lambda i: api.graphql(step.queries["ON_CALL"]),
                                              graphql_ok(expect_len(("onCall",), org.schedules))),
                {"p50": "on_call_now_p50", "p99": "on_call_now_p99"})
    step.report("onCall all schedules", sample(args.samples, step.warmup, lambda i: api.graphql(ON_CALL_ALL),
                                               graphql_ok(expect_len(("onCall",), org.schedules))),
                {"p50": "on_call_all_p50"})
    base = datetime.now(UTC).replace(microsecond=0)
    lookups = sample(args.samples, step.warmup,
                     lambda i: api.graphql(LOOKUPS, {"at": (base + timedelta(hours=7 * i)).isoformat()}, token=org.watcher_token),
                     graphql_ok(expect_len(("schedules",), org.watcher_schedules)))
    step.report(f"{org.watcher_schedules} onCall(at:) in 1 request", lookups, {})
    p50 = lookups.summary()["p50_ms"]
    step.put("lookups_per_s", org.watcher_schedules / (p50 / 1000) if p50 and not math.isnan(p50) else math.nan)
    widget = sample(args.samples, step.warmup,
                    lambda i: api.client().get("/api/widget", headers={"Authorization": f"Bearer {org.widget_token}"}),
                    status_ok(200))
    step.report("widget feed", widget, {"p99": "widget_p99"})
    step.put("widget_server_p99", latency_summary([ms / 1000 for ms in widget.server_ms])["p99_ms"] if widget.server_ms else math.nan)


def measure_writes(step: Step) -> None:
    """acceptAlert, ACCEPT events and event -> first page, each on alerts opened for it (and
    resolved after it, unmeasured)."""
    args, api = step.args, step.api
    n = args.write_samples
    accept = step.queries["accept"]

    fresh = api.open_alerts(f"growth-gql-{step.tag}-{step.size}", n + 2)
    wait_drained(step.database_url)
    sampled = sample(n, 2, lambda i: api.graphql(accept, {"id": str(fresh[i][0])}), graphql_ok(lambda d: _expect_status(d, "ACCEPTED")))
    step.report("acceptAlert (GraphQL)", sampled, {"p50": "accept_p50"})
    wait_drained(step.database_url)
    api.resolve((s, k) for _, s, k in fresh)
    wait_drained(step.database_url)

    fresh = api.open_alerts(f"growth-evt-{step.tag}-{step.size}", n + 2, first_source=n)
    wait_drained(step.database_url)
    sampled = sample(n, 2, lambda i: api.event("ACCEPT", fresh[i][1], fresh[i][2]), status_ok(202, "ALERT_ACCEPTED"))
    step.report("ACCEPT event", sampled, {"p50": "accept_event_p50"})
    wait_drained(step.database_url)
    api.resolve((s, k) for _, s, k in fresh)
    wait_drained(step.database_url)

    sent: dict[int, float] = {}
    made: list[tuple[int, str]] = []
    prefix = f"growth-page-{step.tag}-{step.size}"
    for i in range(n):
        at = time.time()
        response = api.event("ALERT", 2 * n + i, f"{prefix}-{i}")
        if response.status_code == 202:
            sent[api.alert_id(response)] = at
            made.append((2 * n + i, f"{prefix}-{i}"))
        time.sleep(args.page_spacing)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(a in step.fake_fcm.arrived for a in sent):
        time.sleep(0.05)
    arrived = step.fake_fcm.arrivals_by_alert()
    first_pages = Sampled(latencies=[arrived[a] - t for a, t in sent.items() if a in arrived])
    missing = len(sent) - len(first_pages.latencies)
    step.report("event -> first page", first_pages, {"p50": "first_page_p50", "p99": "first_page_p99"},
                f"{missing} of {n} not received within 30 s" if missing else f"one event every {args.page_spacing:g} s")
    api.resolve(made)
    wait_drained(step.database_url)


def _expect_status(data: dict[str, Any], status: str) -> None:
    got = data["acceptAlert"]["status"]
    if got != status:
        raise RuntimeError(f"status {got}, expected {status}")


def measure_big_alert(step: Step) -> None:
    """The dashboard with one more open alert of --big-alert-entries timeline entries, sent to the
    first server only, whose RSS is read (median of 2 s while idle) before and after."""
    args, api = step.args, step.api
    ((alert_id, source, key),) = api.open_alerts(f"growth-big-{step.tag}", 1, first_source=3 * args.write_samples)
    wait_drained(step.database_url)
    t0 = time.monotonic()
    asyncio.run(grow_timeline(step.database_url, alert_id, args.big_alert_entries))
    seeded_s = time.monotonic() - t0
    sampler = step.deployment.samplers["serve1"]
    before = idle_rss(sampler)
    sampled = sample(args.big_samples, 1, lambda i: api.graphql(step.queries["DASHBOARD"], server=0),
                     graphql_ok(expect_len(("alerts", "edges"), args.open_alerts + 1)))
    after = idle_rss(sampler)
    step.report(f"dashboard + alert of {args.big_alert_entries:,} entries", sampled, {"p50": "big_alert_p50"},
                f"{sampled.response_bytes / 1000:,.0f} KB; entries added in {seeded_s:.1f} s")
    step.put("big_alert_bytes", sampled.response_bytes / 1000)
    step.put("big_alert_rss_before", before / MB)
    step.put("big_alert_rss_after", after / MB)
    step.put("big_alert_rss_growth", (after - before) / MB)
    print(f"  serve1 RSS before / after: {before / MB:.1f} / {after / MB:.1f} MB", flush=True)
    t0 = time.monotonic()
    api.resolve([(source, key)])
    wait_drained(step.database_url, timeout=900)
    print(f"  (resolved it in {time.monotonic() - t0:.1f} s)", flush=True)


def run_size(step: Step, first: bool) -> None:
    args = step.args
    cpu = CpuAccount(step.deployment.cpu_groups())
    c0 = cpu.snapshot()
    t0 = time.monotonic()
    measure_reads(step)
    measure_writes(step)
    used = CpuAccount.delta(c0, cpu.snapshot())
    t_measured = time.monotonic()
    if first and args.big_alert_entries > 0:
        measure_big_alert(step)
    step.deployment.check_alive()
    for name, sampler in step.deployment.samplers.items():
        step.put(f"rss_{name}", sampler.peak_between(0.0, t_measured) / MB)
    print("  peak RSS: " + ", ".join(f"{name} {step.values[f'rss_{name}'][step.size]:.1f} MB" for name in Deployment.NAMES)
          + ("  (before the big alert)" if first and args.big_alert_entries > 0 else ""), flush=True)
    print(f"  cpu while measuring (cores): {cpu_line(used)}", flush=True)
    if step.api.resolve_retries:
        print(f"  NOTE: {step.api.resolve_retries} RESOLVE event(s) answered 5xx and were sent again (see the server logs)", flush=True)
    step.details["resolve_retries"] = step.api.resolve_retries
    step.details["cpu_cores"] = {k: round(v, 3) for k, v in used.items()}
    step.details["measured_seconds"] = round(t_measured - t0, 1)


# =========================================================================== main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="0,100000,1000000", help="resolved alerts at each step, ascending (default %(default)s)")
    parser.add_argument("--samples", type=int, default=100, help="measured requests per read at each size (default %(default)s)")
    parser.add_argument("--write-samples", type=int, default=40, help="fresh alerts per write measurement (default %(default)s)")
    parser.add_argument("--open-alerts", type=int, default=50, help="open alerts on the dashboard at each size (default %(default)s)")
    parser.add_argument("--big-alert-entries", type=int, default=100_000, help="timeline entries of the big alert; 0: skip it")
    parser.add_argument("--big-samples", type=int, default=10, help="dashboard requests with the big alert (default %(default)s)")
    parser.add_argument("--page-spacing", type=float, default=0.25, help="seconds between the first-page events (default %(default)s)")
    parser.add_argument("--database-url", help="PostgreSQL database to use (and keep): empty, or kept by an earlier --keep "
                        "run (sizes it already exceeds are skipped). Default: a throwaway database on --pg-server")
    parser.add_argument("--pg-server", default="postgres://postgres@127.0.0.1:5432", help="where the throwaway database is made")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9", help="Redis URL; FLUSHDB'd first (default %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database and the process logs")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    args.size_list = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    return args


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

    database_url = ""
    with ProcessGroup() as group:
        try:
            if args.database_url:
                database_url = args.database_url
            else:
                throwaway = ThrowawayPostgres(args.pg_server, prefix="pl_bench_growth_")
                database_url = throwaway.create()
                if not args.keep:
                    group.on_exit(throwaway.drop)
            redis_flushdb(args.redis_url)
            fake_fcm = StampedFakeFcm().start()
            group.on_exit(fake_fcm.stop)
            from pagerline.db import migrate

            asyncio.run(migrate(database_url))
            now = datetime.now(UTC)
            org, org_s = asyncio.run(ensure_organisation(database_url, now))
            env = {
                "PAGERLINE_DATABASE_URL": database_url,
                "PAGERLINE_REDIS_URL": args.redis_url,
                "PAGERLINE_EVENT_RATE_PER_KEY": "1000000",
                "PAGERLINE_EVENT_BURST_PER_KEY": "1000000",
                "PAGERLINE_LOG_LEVEL": "WARNING",
                "PAGERLINE_SECRET_KEY": "bench",
            } | fake_fcm_settings(fake_fcm, workdir)

            print_section("settings")
            settings = {
                "database": describe_url(database_url) + ("" if args.database_url else " (throwaway" + (", kept)" if args.keep else ")")),
                "redis": describe_url(args.redis_url) + " (flushed)",
                "processes": "2 x pagerline serve --workers 1 + 1 x pagerline worker, started fresh at each size",
                "organisation": f"{USERS:,} users, {TEAMS} teams, {org.schedules} schedules, {POLICIES} policies and sources "
                f"(ready in {org_s:.1f} s)",
                "seeded per alert": "5 timeline entries, 3 notifications, 1 action token; VACUUM (ANALYZE) and CHECKPOINT after each step",
                "open alerts": f"{args.open_alerts} on the dashboard at each size",
                "samples": f"{args.samples} per read (after {max(2, args.samples // 20)} warm-up), {args.write_samples} per write, "
                f"{args.big_samples} with the big alert",
                "dashboard query": " ".join(queries["DASHBOARD"].split())[:150] + " ... (from dashboard.js)",
                "pushes": "FCM transport -> fake FCM in this process",
                "workdir": str(workdir),
            }
            print_kv(settings)
            info["settings"] = settings
            info["queries"] = queries

            deployment: Deployment | None = None
            epoch = now - SEED_SPAN - timedelta(days=35)
            for index, size in enumerate(args.size_list):
                print_section(f"{size:,} resolved alerts")
                detail: dict[str, Any] = {}
                info["steps"][str(size)] = detail
                leftover = asyncio.run(open_alert_keys(database_url))
                if leftover:  # the last size's (or a kept database's): resolved through the API
                    deployment = deployment or Deployment(group, env, workdir).start()
                    api = Api(deployment.ports, org)
                    source_index = {sid: i for i, sid in enumerate(sorted(org.source_keys))}
                    api.resolve((source_index[sid], key) for sid, key in leftover)
                    wait_drained(database_url)
                    api.close()
                if deployment is not None:
                    deployment.stop()
                    deployment = None
                have = asyncio.run(resolved_count(database_url))
                if have > size:
                    print(f"  skipped: the database already holds {have:,} resolved alerts", flush=True)
                    continue
                t0 = time.monotonic()
                asyncio.run(seed_resolved(database_url, size - have, max(args.size_list), epoch,
                                          lambda done: print(f"  seeded {done:,} of {size - have:,} ({time.monotonic() - t0:.0f} s)", flush=True)
                                          if done % 200_000 == 0 or done == size - have else None))
                seed_s = time.monotonic() - t0
                t1 = time.monotonic()
                asyncio.run(vacuum_analyze(database_url))
                vacuum_s = time.monotonic() - t1
                print(f"  seeded {size - have:,} resolved alerts in {seed_s:.1f} s; VACUUM (ANALYZE) + CHECKPOINT {vacuum_s:.1f} s", flush=True)
                detail |= {"seeded": size - have, "seed_seconds": round(seed_s, 1), "vacuum_seconds": round(vacuum_s, 1)}

                deployment = Deployment(group, env, workdir).start()
                api = Api(deployment.ports, org)
                api.open_alerts(f"growth-open-{run_id}-{size}", args.open_alerts)
                wait_drained(database_url)
                step = Step(args, size, api, org, deployment, database_url, fake_fcm, queries, values, detail, run_id)
                run_size(step, first=index == 0)
                size_bytes = asyncio.run(database_size(database_url))
                step.put("database_mb", size_bytes / MB)
                print(f"  database size {size_bytes / MB:,.0f} MB", flush=True)
                api.close()
            if deployment is not None:
                deployment.stop()
        except KeyboardInterrupt:
            print("\ninterrupted; stopping processes", file=sys.stderr)
            failed = True
        except Exception:
            traceback.print_exc()
            info["error"] = traceback.format_exc()[-2000:]
            failed = True
        if args.keep or failed:
            print(f"logs kept in {workdir}" + (f"; database {describe_url(database_url)} kept" if args.keep and database_url else ""))
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
