"""The email intake against a real server: Python's ``smtplib`` sends mail to ``pagerline serve``
(the embedded defaults with ``PAGERLINE_SMTP_INTAKE_PORT`` set) and to ``pagerline smtp`` as a
process of its own, and the test reads what the database holds and what the console transport
sent.

Shown here: plain, multipart, HTML-only and non-UTF-8 mail (ISO-8859-1, KOI8-R, ISO-2022-JP) read
right; ``+tag`` addresses; a repeated subject joining its alert; a resolve pattern resolving it;
the key taken from the body; a page to the person on call for a mail to a HIGH source; and every
refusal (unknown key, another domain, a source of another type, a sender not allowed, a message
over 10 MiB, a key over its rate, the database unreachable) answered with its SMTP code while
nothing is stored. Random bytes as a message get a 250 or a 5xx, and the server keeps serving.

Runs on SQLite, and on PostgreSQL when PAGERLINE_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import signal
import smtplib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from email.header import Header
from email.message import EmailMessage
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pagerline.api.ratelimit import TokenBuckets
from pagerline.email_intake import start_embedded_intake
from pagerline.engine.alerts.transitions import event_counts
from pagerline.engine.sources.lookup import create_source
from pagerline.engine.sources.settings import PolicyChanges, update_source_policy
from pagerline.models import Alert, AlertStatus, DroppedEvent, IntegrationType, Priority
from pagerline.settings import Settings
from tests.support import console
from tests.support.databases import TemplateDatabases, pg_base_url
from tests.support.graphql import in_db
from tests.support.live import embedded_env
from tests.support.processes import Proc, Server, base_env, free_port, serving, start_server, wait_until
from tests.support.seed import Org, seed_org
from tests.support.tcp_proxy import TcpProxy, database_through

DOMAIN = "alerts.pagerline.test"
OPS = "ops@example.com"
ELEVEN_MB = 11_000_000  # over the default limit of 10 MiB (10,485,760 bytes)

# The sources the tests send to (each with the settings it shows), made before the server starts.
SOURCES: dict[str, PolicyChanges | None] = {
    "plain": None,  # the defaults: the subject is the key
    "keyed": PolicyChanges(
        intake_settings={"email": {"alertKeyPattern": r"^Host:\s*(\S+)", "alertKeyFrom": "BODY", "resolvePatterns": [r"^RESOLVED:", r"status:\s*ok"]}}
    ),
    "allowlisted": PolicyChanges(intake_settings={"email": {"allowedSenders": [OPS]}}),
    "filtered": PolicyChanges(event_filter={"field": "customDetails.tag", "op": "eq", "value": "prod"}),
    "fuzz": None,
}


@dataclass
class Mailroom:
    """A running server with its SMTP intake, and the seeded organisation's EMAIL sources."""

    server: Server | Proc
    smtp_port: int
    database_url: str
    org: Org
    keys: dict[str, str]
    source_ids: dict[str, int]
    console_log: Path

    def address(self, source: str, tag: str | None = None) -> str:
        key = self.keys[source] if source in self.keys else source
        return f"{key}{'+' + tag if tag else ''}@{DOMAIN}"

    def smtp(self) -> smtplib.SMTP:
        return smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=30)

    def send(self, message: EmailMessage | MIMEBase, to: str, sender: str = "nagios@example.com") -> None:
        """As a mail program sends it; raises smtplib's exception for a refusal."""
        with self.smtp() as client:
            refused = client.send_message(message, from_addr=sender, to_addrs=[to])
        assert refused == {}

    def deliver(self, data: bytes, to: str, sender: str = "nagios@example.com") -> tuple[int, str]:
        """One transaction by hand (no SIZE announced): the answer to DATA."""
        with self.smtp() as client:
            client.ehlo()
            assert client.mail(sender)[0] == 250
            code, text = client.rcpt(to)
            assert code == 250, (code, text)
            code, text = client.data(data)
            return code, text.decode()

    def alerts(self, source: str) -> list[dict[str, Any]]:
        async def read() -> list[dict[str, Any]]:
            rows = await Alert.filter(source_id=self.source_ids[source]).order_by("id").values(
                "id", "summary", "details", "alert_key", "status", "priority", "custom_details"
            )
            counts = await event_counts([row["id"] for row in rows])
            return [{**row, "events": counts[row["id"]]} for row in rows]

        return in_db(self.database_url, read)

    def alert_with(self, source: str, summary: str) -> dict[str, Any]:
        [found] = [a for a in self.alerts(source) if a["summary"] == summary]
        return found

    def stored(self) -> tuple[int, int]:
        """Alerts and dropped events in the whole database."""

        async def count() -> tuple[int, int]:
            return await Alert.all().count(), await DroppedEvent.all().count()

        return in_db(self.database_url, count)


async def _seed() -> tuple[Org, dict[str, str], dict[str, int]]:
    org = await seed_org()
    keys, ids = {}, {}
    for name, changes in SOURCES.items():
        source, key = await create_source(f"Ops mail {name}", org.policy_id, IntegrationType.EMAIL, Priority.HIGH, org.team_id)
        if changes is not None:
            await update_source_policy(source.id, changes)
        keys[name], ids[name] = key, source.id
    return org, keys, ids


def mail_env(database_url: str, workdir: Path, port: int, **extra: str) -> dict[str, str]:
    return embedded_env(database_url, workdir, PAGERLINE_EMAIL_DOMAIN=DOMAIN, PAGERLINE_SMTP_INTAKE_PORT=str(port), **extra)


def _answers_smtp(port: int) -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=2) as client:
            return client.noop()[0] == 250
    except OSError:
        return False


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def mailroom(request: pytest.FixtureRequest, templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mailroom]:
    """One server per backend for the module (a server per test would cost seconds each)."""
    if request.param == "postgres" and not pg_base_url():
        pytest.skip("PostgreSQL variant: set PAGERLINE_TEST_DATABASE_URL to run it")
    workdir = tmp_path_factory.mktemp(f"mail-{request.param}")
    url = templates.sqlite(workdir) if request.param == "sqlite" else templates.postgres()
    org, keys, ids = in_db(url, _seed)
    port = free_port()
    with serving(start_server(mail_env(url, workdir, port), workdir)) as server:
        wait_until(lambda: _answers_smtp(port), timeout=15, what="the SMTP intake")
        yield Mailroom(server, port, url, org, keys, ids, workdir / "console.log")
    assert "Traceback" not in server.log(), server.log()


def plain_mail(subject: str | Header, body: str, charset: str = "utf-8", sender: str = "Nagios <nagios@example.com>") -> MIMEText:
    message = MIMEText(body, "plain", charset)
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = "ops-alerts@example.com"
    return message


# --------------------------------------------------------------------------- what arrives


def test_a_plain_mail_opens_an_alert_and_pages_whoever_is_on_call(mailroom: Mailroom) -> None:
    message = EmailMessage()
    message["Subject"] = "Disk full on web-1"
    message["From"] = "Nagios <nagios@example.com>"
    message["To"] = mailroom.address("plain")
    message["X-Nagios-Host"] = "web-1"
    message.set_content("/var is 97% full.\nFree some space.\n")
    mailroom.send(message, mailroom.address("plain"))

    alert = mailroom.alert_with("plain", "Disk full on web-1")
    assert (alert["alert_key"], alert["details"], alert["status"], alert["priority"]) == (
        "Disk full on web-1", "/var is 97% full.\nFree some space.", AlertStatus.PENDING, Priority.HIGH
    )
    details = alert["custom_details"]
    assert (details["from"], details["fromName"], details["envelopeFrom"]) == ("nagios@example.com", "Nagios", "nagios@example.com")
    assert details["recipient"] == mailroom.address("plain") and details["headers"] == {"X-Nagios-Host": "web-1"}
    # The source is HIGH: Alice, on call at the first level, is paged at once (her push rule).
    page = wait_until(lambda: [m for m in console.pages(mailroom.console_log) if m["alert_id"] == alert["id"]], what="the page")
    assert page[0]["user_id"] == mailroom.org.alice_id and "Disk full on web-1" in page[0]["title"]


def test_multipart_and_html_only_mail_are_read_as_text(mailroom: Mailroom) -> None:
    alternative = MIMEMultipart("alternative")
    alternative["Subject"] = "CPU high on db-2"
    alternative.attach(MIMEText("CPU at 99% for 10 minutes", "plain"))
    alternative.attach(MIMEText("<p>CPU at <b>99%</b> for 10 minutes</p>", "html"))
    mailroom.send(alternative, mailroom.address("plain"))
    html_only = MIMEText(
        "<html><head><style>p {}</style></head><body><h1>Grafana &amp; Loki</h1><p>Errors: 42</p>"
        "<a href='https://grafana.example.com/d/1'>Open</a></body></html>", "html"
    )
    html_only["Subject"] = "[FIRING:1] Error rate"
    mailroom.send(html_only, mailroom.address("plain"))

    assert mailroom.alert_with("plain", "CPU high on db-2")["details"] == "CPU at 99% for 10 minutes"
    assert mailroom.alert_with("plain", "[FIRING:1] Error rate")["details"] == (
        "Grafana & Loki\n\nErrors: 42\n\nOpen <https://grafana.example.com/d/1>"
    )


@pytest.mark.parametrize(
    ("charset", "subject", "body"),
    [
        ("iso-8859-1", "Störung: Festplatte voll auf Köln-1", "Grüße: nur 3 % frei"),
        ("koi8-r", "Диск заполнен на web-3", "Свободно 3 %"),
        ("iso-2022-jp", "ディスクがいっぱいです web-4", "空き容量は3%です"),
    ],
)
def test_mail_in_other_charsets_reads_right(mailroom: Mailroom, charset: str, subject: str, body: str) -> None:
    message = plain_mail(Header(subject, charset), body, charset)
    assert b"utf-8" not in message.as_bytes().lower()  # really sent in that charset
    mailroom.send(message, mailroom.address("plain"))
    alert = mailroom.alert_with("plain", subject)
    assert (alert["alert_key"], alert["details"]) == (subject, body)


def test_the_same_subject_joins_the_open_alert_and_a_tag_is_kept(mailroom: Mailroom) -> None:
    first = mailroom.deliver(plain_mail("Backup failed on nas-1", "exit 1").as_bytes(), mailroom.address("plain", "backups"))
    again = mailroom.deliver(plain_mail("Re: Backup failed on nas-1", "exit 1 again").as_bytes(), mailroom.address("plain"))
    # 250 only after the commit, and the answer says what was done.
    assert first == (250, "2.0.0 OK: NEW_ALERT_CREATED")
    assert again == (250, "2.0.0 OK: EVENT_ADDED_TO_ALERT")
    [alert] = [a for a in mailroom.alerts("plain") if a["alert_key"] == "Backup failed on nas-1"]
    assert alert["events"] == 2
    assert alert["custom_details"]["tag"] == "backups"


def test_the_key_from_the_body_and_a_resolve_pattern(mailroom: Mailroom) -> None:
    keyed = mailroom.address("keyed")
    assert mailroom.deliver(plain_mail("PROBLEM disk", "Host: cache-9\nDisk 97%").as_bytes(), keyed)[0] == 250
    assert mailroom.deliver(plain_mail("PROBLEM disk again", "Host: cache-9\nDisk 98%").as_bytes(), keyed)[0] == 250
    [alert] = [a for a in mailroom.alerts("keyed") if a["alert_key"] == "cache-9"]
    assert (alert["summary"], alert["events"], alert["status"]) == ("PROBLEM disk", 2, AlertStatus.PENDING)

    assert mailroom.deliver(plain_mail("RESOLVED: disk", "Host: cache-9\nDisk 40%").as_bytes(), keyed) == (250, "2.0.0 OK: ALERT_RESOLVED")
    assert mailroom.alert_with("keyed", "PROBLEM disk")["status"] == AlertStatus.RESOLVED
    # Nothing open under the key any more: a resolving mail is taken and changes nothing.
    assert mailroom.deliver(plain_mail("disk", "Host: cache-9\nStatus: OK").as_bytes(), keyed) == (250, "2.0.0 OK: NO_OPEN_ALERT")
    assert len(mailroom.alerts("keyed")) == 1


def test_the_source_policies_apply_to_mail_as_to_every_event(mailroom: Mailroom) -> None:
    """The source's event filter keeps only mail to its ``+prod`` address; the rest is taken
    (250), recorded as dropped, and opens nothing."""
    dropped_before = mailroom.stored()[1]
    filtered = mailroom.deliver(plain_mail("Staging is slow", "x").as_bytes(), mailroom.address("filtered", "staging"))
    kept = mailroom.deliver(plain_mail("Production is slow", "x").as_bytes(), mailroom.address("filtered", "prod"))
    assert (filtered, kept) == ((250, "2.0.0 OK: EVENT_FILTERED"), (250, "2.0.0 OK: NEW_ALERT_CREATED"))
    assert [a["summary"] for a in mailroom.alerts("filtered")] == ["Production is slow"]
    assert mailroom.stored()[1] == dropped_before + 1


# --------------------------------------------------------------------------- what is refused


def test_a_sender_not_on_the_allowlist_is_refused_and_nothing_is_stored(mailroom: Mailroom) -> None:
    before = mailroom.stored()
    with pytest.raises(smtplib.SMTPDataError) as refused:
        mailroom.send(plain_mail("Spoofed alert", "x", sender="someone@example.org"), mailroom.address("allowlisted"), sender="someone@example.org")
    assert refused.value.smtp_code == 550 and refused.value.smtp_error.startswith(b"5.7.1")
    assert mailroom.stored() == before
    # The allowlist names the From header's address, though the envelope sender is a bounce address.
    mailroom.send(plain_mail("Real alert", "x", sender=f"Ops <{OPS}>"), mailroom.address("allowlisted"), sender="bounce+123@mailer.example.net")
    assert [a["summary"] for a in mailroom.alerts("allowlisted")] == ["Real alert"]


@pytest.mark.parametrize(
    ("recipient", "code", "enhanced"),
    [
        ("il_noSourceHasThisKey000000000000000@" + DOMAIN, 550, b"5.1.1"),
        ("<plain>@other.example.com", 550, b"5.7.1"),  # not a relay
        ("<api>@" + DOMAIN, 550, b"5.7.1"),  # an API source's key takes no mail
    ],
)
def test_recipients_that_are_no_email_source_are_refused_at_rcpt(mailroom: Mailroom, recipient: str, code: int, enhanced: bytes) -> None:
    address = recipient.replace("<plain>", mailroom.keys["plain"]).replace("<api>", mailroom.org.api_key)
    before = mailroom.stored()
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        mailroom.send(plain_mail("Should not arrive", "x"), address)
    answer = refused.value.recipients[address]
    assert answer[0] == code and answer[1].startswith(enhanced), answer
    assert mailroom.stored() == before


def test_a_message_over_the_size_limit_is_refused_with_552_and_nothing_is_stored(mailroom: Mailroom) -> None:
    big = plain_mail("Huge attachment", "see attached")
    lines = b"".join(b"%075d\r\n" % i for i in range(ELEVEN_MB // 77 + 1))
    raw = big.as_bytes().replace(b"\n", b"\r\n") + b"\r\n" + lines
    assert len(raw) > ELEVEN_MB
    before = mailroom.stored()
    with mailroom.smtp() as client:
        assert client.ehlo()[0] == 250 and client.has_extn("size") and client.esmtp_features["size"] == str(10 * 1024 * 1024)
        # smtplib announces the size: refused at MAIL FROM, before a byte of it is sent.
        with pytest.raises(smtplib.SMTPSenderRefused) as at_mail:
            client.sendmail("nagios@example.com", [mailroom.address("plain")], raw)
        assert at_mail.value.smtp_code == 552
        # A sender that does not announce it is refused at the end of DATA.
        assert client.mail("nagios@example.com")[0] == 250
        assert client.rcpt(mailroom.address("plain"))[0] == 250
        assert client.data(raw)[0] == 552
        # The connection goes on serving.
        assert client.mail("nagios@example.com")[0] == 250
        assert client.rcpt(mailroom.address("plain"))[0] == 250
        assert client.data(plain_mail("Small after huge", "ok").as_bytes()) == (250, b"2.0.0 OK: NEW_ALERT_CREATED")
    after = mailroom.stored()
    assert (after[0] - before[0], after[1] - before[1]) == (1, 0)
    assert not [a for a in mailroom.alerts("plain") if a["summary"] == "Huge attachment"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    data=st.one_of(
        st.binary(max_size=3_000),
        st.lists(st.binary(max_size=200).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")), max_size=40).map(b"\r\n".join),
    )
)
def test_random_bytes_as_a_message_get_250_or_5xx_and_the_server_keeps_serving(mailroom: Mailroom, data: bytes) -> None:
    code, text = mailroom.deliver(data, mailroom.address("fuzz"))
    assert code == 250 or 500 <= code < 600, (code, text)
    assert _answers_smtp(mailroom.smtp_port)
    assert httpx.get(f"{mailroom.server.url}/healthz", timeout=10).status_code == 200  # type: ignore[union-attr]


# --------------------------------------------------------------------------- pagerline smtp


async def test_serve_runs_the_intake_only_with_the_port_set_and_without_redis() -> None:
    """With Redis there may be many server processes: the intake is then `pagerline smtp`."""
    buckets = TokenBuckets(1, 1)
    with_redis = Settings(email_domain=DOMAIN, smtp_intake_port=free_port(), redis_url="redis://127.0.0.1:9/0", secret_key="x")
    assert await start_embedded_intake(with_redis, buckets) is None
    assert await start_embedded_intake(Settings(email_domain=DOMAIN, secret_key="x"), buckets) is None
    embedded = await start_embedded_intake(Settings(email_domain=DOMAIN, smtp_intake_port=free_port(), secret_key="x"), buckets)
    assert embedded is not None
    await embedded.close()


@pytest.fixture
def seeded(database_url: str) -> tuple[str, Org, dict[str, str], dict[str, int]]:
    org, keys, ids = in_db(database_url, _seed)
    return database_url, org, keys, ids


def test_pagerline_smtp_as_its_own_process(seeded: tuple[str, Org, dict[str, str], dict[str, int]], tmp_path: Path) -> None:
    """``pagerline smtp`` with the port from ``--port``: it stores what it is sent, answers a key
    over its rate with 451 4.7.1 (a burst of 1 here), and stops cleanly on SIGTERM."""
    url, org, keys, ids = seeded
    port = free_port()
    env = embedded_env(url, tmp_path, PAGERLINE_EMAIL_DOMAIN=DOMAIN, PAGERLINE_EVENT_RATE_PER_KEY="0.001", PAGERLINE_EVENT_BURST_PER_KEY="1")
    intake = Proc([sys.executable, "-m", "pagerline", "smtp", "--port", str(port)], base_env(env), tmp_path / "smtp.log")
    intake.start()
    try:
        wait_until(lambda: _answers_smtp(port), timeout=30, what="pagerline smtp")
        room = Mailroom(intake, port, url, org, keys, ids, tmp_path / "console.log")
        assert room.deliver(plain_mail("Queue stuck on mq-1", "depth 10,000").as_bytes(), room.address("plain")) == (250, "2.0.0 OK: NEW_ALERT_CREATED")
        assert [a["summary"] for a in room.alerts("plain")] == ["Queue stuck on mq-1"]
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            room.send(plain_mail("Queue stuck again", "x"), room.address("plain"))
        assert refused.value.recipients[room.address("plain")][0] == 451
        assert intake.popen is not None
        intake.popen.send_signal(signal.SIGTERM)
        assert intake.popen.wait(15) == 0
    finally:
        intake.stop()
    assert "Traceback" not in intake.log(), intake.log()


def test_the_database_unreachable_gets_451_and_nothing_is_stored(pg_database_url: str, tmp_path: Path) -> None:
    """Never 250 without a commit: with the database's connection cut, a mail gets 451 4.3.0
    (the sender's server tries again), at RCPT for a key not looked up yet and at DATA for one
    whose source the server still remembers; once the database is back, mail is taken again."""
    url = pg_database_url
    org, keys, ids = in_db(url, _seed)
    pg = urlsplit(url)
    proxy = TcpProxy(pg.hostname or "127.0.0.1", pg.port or 5432).start()
    port = free_port()
    try:
        with serving(start_server(mail_env(database_through(proxy, url), tmp_path, port), tmp_path)) as server:
            wait_until(lambda: _answers_smtp(port), timeout=15, what="the SMTP intake")
            room = Mailroom(server, port, url, org, keys, ids, tmp_path / "console.log")
            assert room.deliver(plain_mail("Before the outage", "x").as_bytes(), room.address("plain"))[0] == 250

            proxy.stop()
            with room.smtp() as client:
                client.ehlo()
                client.mail("nagios@example.com")
                code, text = client.rcpt(room.address("keyed"))  # not looked up yet: at RCPT
                assert (code, text[:5]) == (451, b"4.3.0"), text
                assert client.rcpt(room.address("plain"))[0] == 250  # looked up seconds ago
                assert client.data(plain_mail("During the outage", "x").as_bytes())[0] == 451

            proxy.start()
            taken: list[str] = []

            def taken_again() -> bool:
                subject = f"After the outage {len(taken)}"
                taken.append(subject)
                with room.smtp() as client:
                    client.ehlo()
                    client.mail("nagios@example.com")
                    code, _ = client.rcpt(room.address("plain"))
                    if code == 250:  # else the pool is still reconnecting: 451 at RCPT
                        code, _ = client.data(plain_mail(subject, "x").as_bytes())
                assert code in (250, 451), code
                return code == 250

            wait_until(taken_again, timeout=20, interval=0.3, what="mail to be taken again")
            assert [a["summary"] for a in room.alerts("plain")] == ["Before the outage", taken[-1]]
    finally:
        proxy.close()
