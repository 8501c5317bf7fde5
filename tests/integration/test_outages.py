"""Outages: a worker killed mid-escalation and mid-send, a worker killed while a push provider
holds its request, Redis gone while events arrive, Redis hung (it stops answering), the
database unreachable. Real processes, a real PostgreSQL and Redis; nothing of pagerline is mocked.

Escalation timeouts are minutes. Where a test needs minutes to pass it moves the alert's clock in
the database instead of sleeping: every stored time of that alert (``next_escalation_at``, the
``due_at`` of its unsent notifications and the lease ``claimed_until`` of a claimed one) is set
earlier by the same amount, which is exactly the state the database would hold once that much
time had passed. The processes then act on it with their real clocks.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from pagerline.db import close_db, init_db
from pagerline.models import (
    Alert,
    AlertLogEntry,
    Channel,
    Device,
    Notification,
    NotificationRule,
    NotificationStatus,
    Platform,
    Priority,
    PushProvider,
    User,
)
from tests.conftest import run
from tests.fakes.apns import ApnsAccount, FakeApns
from tests.fakes.fcm import FakeFcm
from tests.support import console
from tests.support.graphql import alert_id_of, fire
from tests.support.pg_restart import RestartingPostgres
from tests.support.live import embedded_env, seed_database
from tests.support.processes import PrivateRedis, Proc, Server, start_server, start_worker, wait_until
from tests.support.seed import Org, seed_org, verified_phone
from tests.support.tcp_proxy import TcpProxy, database_through, redis_through
from tests.support.transports import apns_env, fcm_env

# --- shared helpers -------------------------------------------------------------------------------


async def _heartbeat(url: str, org: Org) -> str:
    from pagerline.engine.sources.heartbeats import create_heartbeat

    await init_db(url)
    try:
        _, key = await create_heartbeat("nightly backup", org.api_source_id, 3600)
        return key
    finally:
        await close_db()


async def _calendar_feed(url: str, org: Org) -> str:
    from pagerline.engine.schedules.calendars import create_feed

    await init_db(url)
    try:
        _, secret = await create_feed(org.alice_id, None, datetime(2026, 1, 5, 9, tzinfo=UTC))
        return secret
    finally:
        await close_db()


async def _notifications(url: str, alert_ids: list[int]) -> list[tuple[int, int, str, str, int]]:
    """(id, user, channel, status, attempts) of the alerts' notifications, in id order."""
    await init_db(url)
    try:
        rows = await Notification.filter(alert_id__in=alert_ids).order_by("id")
        return [(r.id, r.user_id, r.channel.value, r.status.value, r.attempts) for r in rows]  # type: ignore[attr-defined]
    finally:
        await close_db()


async def _alert_id_by_key(url: str, key: str) -> int | None:
    await init_db(url)
    try:
        return await Alert.filter(alert_key=key).first().values_list("id", flat=True)  # type: ignore[return-value]
    finally:
        await close_db()


async def _alert_keys(url: str) -> list[str]:
    await init_db(url)
    try:
        return sorted(await Alert.all().values_list("alert_key", flat=True))  # type: ignore[arg-type]
    finally:
        await close_db()


def paged_before_the_outage(server: Server, org: Org, log: Path, key: str) -> int:
    """An alert paged to Alice while everything works: the processes are up and warm."""
    alert_id = alert_id_of(fire(server.url, org.api_key, key, f"Outage test {key}", timeout=15))
    wait_until(lambda: console.sent_to(log, org.alice_id, alert_id), timeout=15, what="the page before the outage")
    return alert_id


def readiness(server: Server) -> tuple[int, dict[str, str]]:
    response = httpx.get(f"{server.url}/readyz", timeout=10)
    return response.status_code, response.json()["checks"]


def stop_all(*procs: Proc | None) -> None:
    for proc in procs:
        if proc is not None:
            proc.stop()


# --- a. a worker killed in the middle of an escalation -----------------------------------------


async def _seed_with_sms(url: str) -> Org:
    """Alice is also reachable by SMS (5 min after her push; the console transport stands in for
    Twilio), and has no VOICE rule, so her pages are exactly PUSH at 0 and SMS at +5 min."""
    await init_db(url)
    try:
        org = await seed_org(level1_timeout=10, level2_timeout=15)
        await verified_phone(org.alice_id, "+15550001")
        await NotificationRule.filter(user_id=org.alice_id, method=Channel.VOICE, priority=Priority.HIGH).delete()
        return org
    finally:
        await close_db()


async def _move_clock(url: str, alert_id: int, by: timedelta) -> None:
    """Stands in for ``by`` passing: the alert's escalation deadline, its unsent notifications'
    due times and any delivery lease all move earlier by ``by``."""
    await init_db(url)
    try:
        alert = await Alert.get(id=alert_id)
        assert alert.next_escalation_at is not None
        await Alert.filter(id=alert_id).update(next_escalation_at=alert.next_escalation_at - by)
        rows = await Notification.filter(
            alert_id=alert_id, status__in=[NotificationStatus.PENDING, NotificationStatus.SENDING]
        )
        for row in rows:
            changes: dict[str, Any] = {"due_at": row.due_at - by}
            if row.claimed_until is not None:
                changes["claimed_until"] = row.claimed_until - by
            await Notification.filter(id=row.id, status=row.status).update(**changes)
    finally:
        await close_db()


async def _escalation_state(url: str, alert_id: int) -> dict[str, Any]:
    await init_db(url)
    try:
        alert = await Alert.get(id=alert_id)
        escalated = await AlertLogEntry.filter(alert_id=alert_id, kind="ESCALATED").order_by("id")
        notified = await AlertLogEntry.filter(alert_id=alert_id, kind="NOTIFIED").order_by("id").values_list("text", flat=True)
        return {
            "status": alert.status.value,
            "level": alert.escalation_rule_index,
            "next_escalation_at": alert.next_escalation_at,
            "escalated": [(e.text, e.at) for e in escalated],
            "notified": sorted(notified),  # type: ignore[arg-type]
        }
    finally:
        await close_db()


class FifoRelay:
    """Copies what a process writes into a named pipe on to a file, until stopped.

    Worker A's console transport writes to the pipe. Once the relay stops reading, the
    transport's ``open()`` of the pipe blocks (a pipe without a reader), so a send that worker
    A starts then hangs after its claim: the real state of a worker killed mid-delivery.
    """

    def __init__(self, pipe: Path, dest: Path) -> None:
        self.pipe = pipe
        self.dest = dest
        os.mkfifo(pipe)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fifo-relay", daemon=True)

    def start(self) -> FifoRelay:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            with open(self.pipe, "rb") as reader:  # waits for a writer
                data = reader.read()  # until that writer closes
            if data:
                with open(self.dest, "ab") as out:
                    out.write(data)

    def stop(self) -> None:
        self._stop.set()
        deadline = time.monotonic() + 5
        while self._thread.is_alive():
            assert time.monotonic() < deadline, "the relay did not stop"
            try:  # wake the reader if it waits in open(); it then sees the stop flag
                os.close(os.open(self.pipe, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:  # no reader waiting at this instant
                pass
            self._thread.join(0.05)


def test_worker_killed_mid_escalation_and_mid_send_another_worker_carries_on_and_sends_each_once(
    pg_database_url: str, redis_url: str, tmp_path: Path
) -> None:
    url = pg_database_url
    org = run(_seed_with_sms(url))
    log = tmp_path / "console.log"
    relay = FifoRelay(tmp_path / "worker-a-console.pipe", log).start()
    env = embedded_env(url, tmp_path, PAGERLINE_REDIS_URL=redis_url)
    server: Server | None = None
    worker_a: Proc | None = None
    worker_b: Proc | None = None
    try:
        server = start_server(env, tmp_path)  # with Redis: no embedded worker in the server
        worker_a = start_worker(env | {"PAGERLINE_CONSOLE_LOG": str(relay.pipe)}, tmp_path, "worker-a")
        alert_id = alert_id_of(fire(server.url, org.api_key, "db-down", "Outage test db-down", timeout=15))

        wait_until(lambda: console.sent_to(log, org.alice_id, alert_id), timeout=15, what="worker A pushing Alice")
        assert [m["channel"] for m in console.sent_to(log, org.alice_id, alert_id)] == ["PUSH"]

        # Worker A's next send will hang. 5 minutes pass: Alice's SMS is due, the escalation
        # to Bob (at 10 minutes) is not yet.
        relay.stop()
        run(_move_clock(url, alert_id, timedelta(minutes=5)))
        sms_claimed = lambda: [r for r in run(_notifications(url, [alert_id])) if r[2] == "SMS" and r[3] == "SENDING"]  # noqa: E731
        wait_until(sms_claimed, timeout=15, what="worker A to claim Alice's SMS")

        worker_a.kill()
        assert worker_a.popen is not None and worker_a.popen.returncode == -9
        # What the dead worker left: the alert pending on level 1, its escalation still ahead,
        # the SMS claimed once and never sent.
        state = run(_escalation_state(url, alert_id))
        assert (state["status"], state["level"], state["escalated"]) == ("PENDING", 0, [])
        pages = run(_notifications(url, [alert_id]))
        assert [(u, c, s, n) for _, u, c, s, n in pages] == [
            (org.alice_id, "PUSH", "SENT", 1),
            (org.alice_id, "SMS", "SENDING", 1),
        ]

        # 5 more minutes: level 1's 10-minute timeout is over, and the dead worker's 60 s lease.
        run(_move_clock(url, alert_id, timedelta(minutes=5)))
        worker_b = start_worker(env, tmp_path, "worker-b")

        def all_sent() -> list[tuple[int, int, str, str, int]] | None:
            rows = run(_notifications(url, [alert_id]))
            return rows if len(rows) == 3 and all(r[3] == "SENT" for r in rows) else None

        rows = wait_until(all_sent, timeout=20, what="worker B to escalate to Bob and send everything")
        assert [(u, c, s, n) for _, u, c, s, n in rows] == [
            (org.alice_id, "PUSH", "SENT", 1),
            (org.alice_id, "SMS", "SENT", 2),  # claimed by A (killed), then by B
            (org.bob_id, "PUSH", "SENT", 1),
        ]
        # A SENT row cannot be claimed again, so the console log is final: each once.
        sent = console.sent(log)
        assert sorted(m["notification_id"] for m in sent) == sorted(r[0] for r in rows)
        assert Counter((m["user_id"], m["channel"], m["alert_id"]) for m in sent) == {
            (org.alice_id, "PUSH", alert_id): 1,
            (org.alice_id, "SMS", alert_id): 1,
            (org.bob_id, "PUSH", alert_id): 1,
        }
        state = run(_escalation_state(url, alert_id))
        assert (state["status"], state["level"]) == ("PENDING", 1)
        [(text, escalated_at)] = state["escalated"]
        assert text == "Escalated to level 2 (Bob)"
        assert state["next_escalation_at"] == escalated_at + timedelta(minutes=15)
        assert state["notified"] == ["Notified Alice by PUSH", "Notified Alice by SMS", "Notified Bob by PUSH"]
    finally:
        stop_all(worker_b, worker_a, server)
        relay.stop()


# --- a2. a worker killed while a provider holds its push ------------------------------------------

ANDROID = "fcm-token-of-alices-android"
IPHONE_FCM = "fcm-token-of-alices-iphone"
IPHONE_APNS = "0a1b2c3d" * 8


async def _seed_with_phones(url: str) -> Org:
    """Alice's phones: an Android phone and an iPhone through FCM, and an iPhone through APNs."""
    await init_db(url)
    try:
        org = await seed_org()
        await Device.filter(user_id=org.alice_id).delete()
        for platform, provider, token in (
            (Platform.ANDROID, PushProvider.FCM, ANDROID),
            (Platform.IOS, PushProvider.FCM, IPHONE_FCM),
            (Platform.IOS, PushProvider.APNS, IPHONE_APNS),
        ):
            await Device.create(user_id=org.alice_id, platform=platform, provider=provider, token=token, critical_alerts=True)
        return org
    finally:
        await close_db()


async def _push_row(url: str, alert_id: int) -> tuple[int, str, int]:
    """(id, status, attempts) of Alice's push for the alert."""
    await init_db(url)
    try:
        row = await Notification.get(alert_id=alert_id, channel=Channel.PUSH)
        return row.id, row.status.value, row.attempts
    finally:
        await close_db()


async def _lease_runs_out(url: str, notification_id: int) -> None:
    """Stands in for the lease's 60 s passing: the claim now ends in the past."""
    await init_db(url)
    try:
        row = await Notification.get(id=notification_id, status=NotificationStatus.SENDING)
        assert row.claimed_until is not None
        await Notification.filter(id=notification_id).update(claimed_until=row.claimed_until - timedelta(minutes=2))
    finally:
        await close_db()


async def _timeline(url: str, alert_id: int) -> list[str]:
    await init_db(url)
    try:
        return list(await AlertLogEntry.filter(alert_id=alert_id).order_by("id").values_list("text", flat=True))  # type: ignore[arg-type]
    finally:
        await close_db()


def providers_env(tmp_path: Path, fcm: FakeFcm, apns: FakeApns) -> dict[str, str]:
    return {"PAGERLINE_CONSOLE_TRANSPORT": "0", **fcm_env(fcm, tmp_path), **apns_env(apns, tmp_path)}


def test_a_worker_killed_while_the_provider_holds_its_push_is_resent_as_the_same_page_and_the_timeline_says_so(
    pg_database_url: str, redis_url: str, tmp_path: Path
) -> None:
    """kill -9 between handing a push to the provider and recording it: the provider may have
    delivered it, and the resend after the lease cannot know. Every attempt carries the same
    collapse identity on every phone (FCM collapse_key and Android tag, the APNs
    apns-collapse-id, directly and through FCM), so the resend replaces the first page instead
    of ringing a second one, and the timeline tells what happened."""
    url = pg_database_url
    org = run(_seed_with_phones(url))
    with FakeFcm() as fcm, FakeApns.for_account(ApnsAccount.new()) as apns:
        env = embedded_env(url, tmp_path, PAGERLINE_REDIS_URL=redis_url) | providers_env(tmp_path, fcm, apns)
        server: Server | None = None
        worker_a: Proc | None = None
        worker_b: Proc | None = None
        try:
            server = start_server(env, tmp_path)
            worker_a = start_worker(env, tmp_path, "worker-a")
            fcm.hold(ANDROID)  # the first push to the Android phone gets no answer
            alert_id = alert_id_of(fire(server.url, org.api_key, "held-push", "Outage test held-push", timeout=15))
            wait_until(
                lambda: fcm.script.held == 1 and fcm.for_token(IPHONE_FCM) and apns.delivered(IPHONE_APNS),
                timeout=15,
                what="the provider holding worker A's push",
            )
            worker_a.kill()
            notification_id, status, attempts = run(_push_row(url, alert_id))
            assert (status, attempts) == ("SENDING", 1)
            fcm.release()  # its answer goes nowhere: the worker that asked is gone

            run(_lease_runs_out(url, notification_id))
            worker_b = start_worker(env, tmp_path, "worker-b")
            wait_until(lambda: run(_push_row(url, alert_id))[1:] == ("SENT", 2), timeout=20, what="worker B to send it again")

            # Each phone got it twice, both times as the same page.
            collapse = f"alert-{alert_id}"
            android = [r.message for r in fcm.for_token(ANDROID)]
            assert [(m["android"]["collapse_key"], m["android"]["notification"]["tag"], m["data"]["collapse_id"]) for m in android] == [
                (collapse, collapse, collapse)
            ] * 2
            iphone_fcm = [r.message for r in fcm.for_token(IPHONE_FCM)]
            assert [m["apns"]["headers"]["apns-collapse-id"] for m in iphone_fcm] == [collapse] * 2
            assert [r.headers["apns-collapse-id"] for r in apns.for_token(IPHONE_APNS)] == [collapse] * 2

            timeline = run(_timeline(url, alert_id))
            assert timeline.count("PUSH to Alice sent again after an interrupted attempt") == 1
            assert timeline.count("Notified Alice by PUSH") == 1
            assert timeline.index("PUSH to Alice sent again after an interrupted attempt") < timeline.index("Notified Alice by PUSH")
        finally:
            stop_all(worker_b, worker_a, server)


# --- b. Redis stopped while events arrive ---------------------------------------------------------


def test_events_during_a_redis_outage_are_stored_and_paged_soon_after_it_returns(
    pg_database_url: str, tmp_path: Path
) -> None:
    url = pg_database_url
    org = seed_database(url)
    log = tmp_path / "console.log"
    redis_dir = tmp_path / "redis"
    redis_dir.mkdir()
    redis = PrivateRedis(redis_dir)
    redis.start()
    env = embedded_env(url, tmp_path, PAGERLINE_REDIS_URL=redis.url)
    server: Server | None = None
    worker: Proc | None = None
    try:
        server = start_server(env, tmp_path)
        worker = start_worker(env, tmp_path)
        first = paged_before_the_outage(server, org, log, "before-outage")

        redis.stop()
        keys = [f"redis-down-{i}" for i in range(1, 6)]
        responses = [fire(server.url, org.api_key, key, f"Outage test {key}", timeout=15) for key in keys]
        assert [r.status_code for r in responses] == [202] * 5, [r.text for r in responses]
        assert [r.json()["responseCode"] for r in responses] == ["NEW_ALERT_CREATED"] * 5
        during = [alert_id_of(r) for r in responses]
        assert run(_alert_keys(url)) == sorted(["before-outage", *keys])
        assert readiness(server) == (503, {"database": "ok", "broker": "error: unreachable"})

        redis = PrivateRedis(redis_dir, port=redis.port)
        redis.start()
        back_at = time.monotonic()
        wait_until(
            lambda: all(console.sent_to(log, org.alice_id, a) for a in during),
            timeout=10,
            what="the pages of the events that arrived while Redis was down",
        )
        assert time.monotonic() - back_at < 10

        # Every page went out once, and the rows agree.
        sent = console.sent(log)
        assert Counter((m["user_id"], m["channel"], m["alert_id"]) for m in sent) == {
            (org.alice_id, "PUSH", a): 1 for a in [first, *during]
        }
        assert len({m["notification_id"] for m in sent}) == len(sent)
        wait_until(
            lambda: [s for _, _, _, s, _ in run(_notifications(url, [first, *during]))] == ["SENT"] * 6,
            timeout=10,
            what="the pages to be recorded as sent",
        )
        wait_until(lambda: readiness(server) == (200, {"database": "ok", "broker": "ok"}), timeout=10, what="/readyz 200")  # type: ignore[arg-type]
        assert worker.popen is not None and worker.popen.poll() is None, worker.log()  # it rode the outage out
    finally:
        stop_all(worker, server)
        redis.stop()


# --- b2. Redis hung: it stops answering, then comes back ------------------------------------------

SWEEP_INTERVAL = 0.5
# What a sweep round and the console transport take on a busy 2-core machine, on top of the
# interval. A Redis timeout (5 s) in the path that pages from the database is far beyond it.
SWEEP_MARGIN = 2.0
# An intake request commits and answers; it must not wait for the broker either.
INTAKE_DEADLINE = 2.0


def test_a_hung_redis_holds_up_neither_the_intake_nor_a_page_during_or_after_it(
    pg_database_url: str, redis_url: str, tmp_path: Path
) -> None:
    """Redis stops answering (connections stay open, nothing comes back): the worst outage for
    a client, which waits for its timeouts instead of failing at once. The sweeper pages from
    the database within its interval all the same, and the intake answers at once; when Redis
    is back, the next page is no slower."""
    url = pg_database_url
    org = seed_database(url)
    log = tmp_path / "console.log"
    upstream = urlsplit(redis_url)
    proxy = TcpProxy(upstream.hostname or "127.0.0.1", upstream.port or 6379).start()
    env = embedded_env(url, tmp_path, PAGERLINE_REDIS_URL=redis_through(proxy, redis_url), PAGERLINE_SWEEP_INTERVAL_SECONDS=str(SWEEP_INTERVAL))
    server: Server | None = None
    worker: Proc | None = None

    def page_soon(key: str) -> int:
        """Posts the event on a thread and waits for its page first, then for the answer: a
        page held up behind Redis fails the first wait, an intake held up the second."""
        answer: list[httpx.Response | BaseException] = []

        def post() -> None:
            try:  # the timeout is the intake's bound: it answers within it or the test fails
                answer.append(fire(server.url, org.api_key, key, f"Hung Redis {key}", timeout=INTAKE_DEADLINE))  # type: ignore[union-attr]
            except BaseException as exc:  # noqa: BLE001 - handed to the test below
                answer.append(exc)

        poster = threading.Thread(target=post, daemon=True)
        poster.start()
        alert_id = wait_until(lambda: run(_alert_id_by_key(url, key)), timeout=INTAKE_DEADLINE, what=f"{key} stored")
        wait_until(
            lambda: console.sent_to(log, org.alice_id, alert_id),
            timeout=SWEEP_INTERVAL + SWEEP_MARGIN,
            what=f"the page of {key} within the sweep interval",
        )
        poster.join(INTAKE_DEADLINE + 1)
        [response] = answer
        assert isinstance(response, httpx.Response), f"the intake did not answer in {INTAKE_DEADLINE} s: {response!r}"
        assert alert_id_of(response) == alert_id
        return alert_id

    try:
        server = start_server(env, tmp_path)
        worker = start_worker(env, tmp_path)
        first = paged_before_the_outage(server, org, log, "before-hang")

        proxy.hang()
        during = [page_soon(f"redis-hung-{i}") for i in range(3)]
        # An escalation that falls due: the sweeper escalates and pages Bob within its interval
        # (before, each sweep step waited out Redis's 5 s timeouts in turn: 12 s and more).
        run(_move_clock(url, first, timedelta(minutes=5)))
        wait_until(
            lambda: console.sent_to(log, org.bob_id, first),
            timeout=SWEEP_INTERVAL + SWEEP_MARGIN,
            what="the escalation's page to Bob within the sweep interval",
        )

        proxy.start()  # Redis is back (the hung connections are dropped, as on a restart)
        after = [page_soon(f"redis-back-{i}") for i in range(3)]

        sent = console.sent(log)
        assert Counter((m["user_id"], m["channel"], m["alert_id"]) for m in sent) == {
            **{(org.alice_id, "PUSH", a): 1 for a in [first, *during, *after]},
            (org.bob_id, "PUSH", first): 1,
        }
        assert worker.popen is not None and worker.popen.poll() is None, worker.log()
    finally:
        stop_all(worker, server)
        proxy.close()


# --- c. the database unreachable ------------------------------------------------------------------


def test_database_outage_gets_503_with_retry_after_and_stores_nothing_then_recovers(
    pg_database_url: str, tmp_path: Path
) -> None:
    url = pg_database_url
    org = seed_database(url)
    heartbeat_key = run(_heartbeat(url, org))
    calendar_secret = run(_calendar_feed(url, org))
    log = tmp_path / "console.log"
    pg = urlsplit(url)
    proxy = TcpProxy(pg.hostname or "127.0.0.1", pg.port or 5432).start()
    server: Server | None = None
    try:
        server = start_server(embedded_env(database_through(proxy, url), tmp_path), tmp_path)  # embedded worker, no Redis
        assert alert_id_of(fire(server.url, org.api_key, "before-outage", "Outage test before-outage", timeout=15)) > 0
        assert proxy.accepted >= 1  # the server's database traffic really goes through the proxy

        proxy.stop()
        refused: list[str] = []
        for i in range(5):
            key = f"db-down-{i}"
            response = fire(server.url, org.api_key, key, f"Outage test {key}", timeout=15)
            assert response.status_code == 503, response.text
            body = response.json()
            assert set(body) == {"status", "message", "code"}, body
            assert (body["status"], body["code"]) == (503, "DATABASE_UNAVAILABLE")
            assert body["message"].strip()
            assert int(response.headers["retry-after"]) >= 1
            refused.append(key)
        # The other intake routes answer the same way (and so store nothing either).
        for path, body in (
            (f"/api/events/webhook/{org.api_key}", {"summary": "webhook while down", "alertKey": "db-down-webhook"}),
            ("/api/deployment-events", {"integrationKey": org.api_key, "summary": "deploy while down"}),
            (f"/api/heartbeats/{heartbeat_key}", None),
        ):
            response = httpx.post(server.url + path, json=body, timeout=15)
            assert response.status_code == 503 and response.json()["code"] == "DATABASE_UNAVAILABLE", (path, response.text)
            assert int(response.headers["retry-after"]) >= 1
        # So do the reads outside GraphQL: the calendar feed and the widget.
        for path, headers in (
            (f"/ical/{calendar_secret}.ics", {}),
            ("/api/widget", {"Authorization": f"Bearer {org.alice_token}"}),
        ):
            response = httpx.get(server.url + path, headers=headers, timeout=15)
            assert response.status_code == 503, (path, response.text)
            assert response.json() == {
                "status": 503, "code": "DATABASE_UNAVAILABLE", "message": "The database is unreachable, retry later"
            }, path
            assert int(response.headers["retry-after"]) >= 1

        proxy.start()
        accepted: list[tuple[str, int]] = []

        def accepted_again() -> bool:
            key = f"db-back-{len(refused) + len(accepted)}"
            response = fire(server.url, org.api_key, key, f"Outage test {key}", timeout=15)  # type: ignore[union-attr]
            if response.status_code == 503:  # still reconnecting: refused, so not stored
                assert response.json()["code"] == "DATABASE_UNAVAILABLE"
                refused.append(key)
                return False
            accepted.append((key, alert_id_of(response)))
            return True

        wait_until(accepted_again, timeout=15, interval=0.2, what="the intake to accept events again")
        [(back_key, back_alert)] = accepted
        # Stored: the events answered 202. Not stored: every event answered 503.
        assert run(_alert_keys(url)) == sorted(["before-outage", back_key])
        # The embedded worker came back too: the new alert is paged.
        wait_until(lambda: console.sent_to(log, org.alice_id, back_alert), timeout=15, what="the page after the outage")
    finally:
        stop_all(server)
        proxy.close()


def test_database_starting_up_gets_503_with_retry_after_not_500_and_stores_nothing(
    pg_database_url: str, tmp_path: Path
) -> None:
    """PostgreSQL restarting: sessions dropped, then 57P03 "the database system is starting up"
    to every new connection (asyncpg's CannotConnectNowError) until it is ready again."""
    url = pg_database_url
    org = seed_database(url)
    heartbeat_key = run(_heartbeat(url, org))
    pg = urlsplit(url)
    postgres = RestartingPostgres(pg.hostname or "127.0.0.1", pg.port or 5432).start()
    server: Server | None = None
    try:
        env = embedded_env(database_through(postgres, url), tmp_path)
        server = start_server({**env, "PAGERLINE_EMBEDDED_WORKER": "0"}, tmp_path)
        assert alert_id_of(fire(server.url, org.api_key, "before-restart", "Outage test before-restart", timeout=15)) > 0

        postgres.begin_restart()
        requests = [
            ("/api/events", {"integrationKey": org.api_key, "eventType": "ALERT", "summary": "s", "alertKey": f"starting-{i}"})
            for i in range(3)
        ] + [
            (f"/api/events/alertmanager/{org.alertmanager_key}", {"alerts": [{"status": "firing", "labels": {"alertname": "Up"}}]}),
            ("/api/deployment-events", {"integrationKey": org.api_key, "summary": "deploy while starting"}),
            (f"/api/heartbeats/{heartbeat_key}", None),
        ]
        for path, body in requests:
            response = httpx.post(server.url + path, json=body, timeout=15)
            assert response.status_code == 503, (path, response.text)
            assert response.json()["code"] == "DATABASE_UNAVAILABLE"
            assert int(response.headers["retry-after"]) >= 1
        assert postgres.refused_startups >= 1  # the 57P03 answer was really met, not only dropped sessions

        postgres.finish_restart()

        def accepted_again() -> bool:
            response = fire(server.url, org.api_key, "after-restart", "Outage test after-restart", timeout=15)  # type: ignore[union-attr]
            if response.status_code == 503:
                return False
            return alert_id_of(response) > 0

        wait_until(accepted_again, timeout=15, interval=0.2, what="the intake to accept events again")
        assert run(_alert_keys(url)) == ["after-restart", "before-restart"]
    finally:
        stop_all(server)
        postgres.close()
