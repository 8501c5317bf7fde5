"""100 identical events at once make one alert, counted 100 times, against real servers.

The alertKey arrives in mixed letter case (keys compare case-insensitively), over up to 100
connections at once. On SQLite one server process takes them all; on PostgreSQL two server
processes (with Redis, as in production) take half each, side by side, and each process's own
event counter shows that both really did.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from pagerline.engine.alerts.transitions import event_counts
from pagerline.db import close_db, init_db
from pagerline.models import Alert, AlertLogEntry, Channel, Notification, NotificationStatus
from tests.conftest import run
from tests.support import console
from tests.support.databases import TemplateDatabases
from tests.support.live import embedded_env, seed_database
from tests.support.processes import Server, start_server, wait_until
from tests.support.seed import Org

EVENTS = 100
KEY = "Web-1/Disk-Full"
# Several servers behind one name (without it, each server's links name its own port).
PUBLIC_URL = "http://127.0.0.1:8000"


def key_variant(i: int) -> str:
    """The same key in letter case number ``i`` (bit j of i upper-cases letter j)."""
    out, letter = [], 0
    for ch in KEY:
        if ch.isalpha():
            out.append(ch.upper() if (i >> letter) & 1 else ch.lower())
            letter += 1
        else:
            out.append(ch)
    return "".join(out)


async def _state(url: str) -> dict[str, Any]:
    await init_db(url)
    try:
        alerts = await Alert.all().order_by("id")
        ids = [a.id for a in alerts]
        counted = await event_counts(ids)
        kinds = Counter(await AlertLogEntry.filter(alert_id__in=ids).values_list("kind", flat=True))
        pages = await Notification.filter(alert_id__in=ids).order_by("id").values_list("user_id", "channel", "status")
        return {
            "alerts": [(a.id, a.alert_key.lower(), a.summary, counted[a.id]) for a in alerts],
            "event_entries": {k: n for k, n in kinds.items() if k in ("RECEIVED", "EVENT")},
            "pages": [(u, Channel(c).value, NotificationStatus(s).value) for u, c, s in pages],
        }
    finally:
        await close_db()


async def _fire(base_urls: list[str], org: Org) -> list[httpx.Response]:
    """All events at once, over a connection each, event i to server i modulo the servers."""
    limits = httpx.Limits(max_connections=EVENTS, max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        return await asyncio.gather(
            *(
                client.post(
                    f"{base_urls[i % len(base_urls)]}/api/events",
                    json={"integrationKey": org.api_key, "eventType": "ALERT", "summary": "Disk full on web-1", "alertKey": key_variant(i)},
                )
                for i in range(EVENTS)
            )
        )


def check_responses(responses: list[httpx.Response]) -> str:
    assert [r.status_code for r in responses] == [202] * EVENTS, [r.text for r in responses if r.status_code != 202][:3]
    bodies = [r.json() for r in responses]
    assert {b["alertKey"].lower() for b in bodies} == {KEY.lower()}
    assert [b["alertKey"] for b in bodies] == [key_variant(i) for i in range(EVENTS)]  # echoed as sent
    urls = {b["alertUrl"] for b in bodies}
    assert len(urls) == 1, urls
    assert Counter(b["responseCode"] for b in bodies) == {"NEW_ALERT_CREATED": 1, "EVENT_ADDED_TO_ALERT": EVENTS - 1}
    return urls.pop()


def check_database(url: str, org: Org, alert_url: str) -> int:
    state = run(_state(url))
    [(alert_id, key, summary, event_count)] = state["alerts"]
    assert (key, summary, event_count) == (KEY.lower(), "Disk full on web-1", EVENTS)
    assert re.fullmatch(rf"http://127\.0\.0\.1:8000/#/alerts/{alert_id}", alert_url)
    assert state["event_entries"] == {"RECEIVED": 1, "EVENT": EVENTS - 1}
    # One page for Alice (PUSH; SMS and VOICE skipped, no phone), not one per event.
    assert [(u, c) for u, c, _ in state["pages"]] == [(org.alice_id, "PUSH")]
    return alert_id


def test_100_concurrent_identical_events_make_one_alert_on_sqlite(templates: TemplateDatabases, tmp_path: Path) -> None:
    url = templates.sqlite(tmp_path)
    org = seed_database(url)
    server = start_server(embedded_env(url, tmp_path, PAGERLINE_PUBLIC_URL=PUBLIC_URL), tmp_path)
    try:
        alert_url = check_responses(asyncio.run(_fire([server.url], org)))
        alert_id = check_database(url, org, alert_url)
        # The embedded worker pages Alice once.
        log = tmp_path / "console.log"
        wait_until(lambda: console.sent_to(log, org.alice_id, alert_id), timeout=10, what="Alice's push")
        wait_until(
            lambda: run(_state(url))["pages"] == [(org.alice_id, "PUSH", NotificationStatus.SENT.value)],
            timeout=10,
            what="the page to be recorded as sent",
        )
        assert [(m["user_id"], m["channel"], m["alert_id"]) for m in console.sent(log)] == [(org.alice_id, "PUSH", alert_id)]
    finally:
        server.stop()


def events_received(base_url: str) -> float:
    """One server process's own count of ALERT events it ingested (0 before its first)."""
    text = httpx.get(f"{base_url}/metrics", timeout=5).text
    match = re.search(r'^pagerline_events_received_total\{[^}]*event_type="ALERT"[^}]*\} ([0-9.e+]+)$', text, re.M)
    return float(match.group(1)) if match else 0.0


def test_100_concurrent_identical_events_over_two_processes_make_one_alert_on_postgres(
    pg_database_url: str, redis_url: str, tmp_path: Path
) -> None:
    """Two `pagerline serve` processes on one database, as on two hosts, events alternating
    between them. (Not one `serve --workers 2`: its processes share one listening socket and
    asyncio accepts every waiting connection in one go, so a burst of 100 connections often
    lands on one process only; seen here as 100/0. Two ports make the spread certain.)"""
    org = seed_database(pg_database_url)
    env = embedded_env(pg_database_url, tmp_path, PAGERLINE_PUBLIC_URL=PUBLIC_URL, PAGERLINE_REDIS_URL=redis_url)
    servers: list[Server] = []
    try:
        with ThreadPoolExecutor(2) as pool:  # start both at once: half the waiting
            starting = [pool.submit(start_server, env, tmp_path) for _ in range(2)]
            failures = []
            for future in starting:
                try:
                    servers.append(future.result())
                except Exception as exc:  # the other one must still be stopped
                    failures.append(exc)
        if failures:
            raise failures[0]
        assert [events_received(s.url) for s in servers] == [0.0, 0.0]
        alert_url = check_responses(asyncio.run(_fire([s.url for s in servers], org)))
        check_database(pg_database_url, org, alert_url)
        # Each process took its half and counted it.
        assert [events_received(s.url) for s in servers] == [EVENTS / 2, EVENTS / 2]
    finally:
        for server in servers:
            server.stop()
