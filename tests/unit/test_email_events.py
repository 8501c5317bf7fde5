"""A mail read as the intake's event (pagerline/engine/sources/email_events.py).

Messages are built as bytes the way mail programs write them (the stdlib's compat32 MIME classes
keep the charset given, where EmailMessage would re-encode everything as UTF-8), parsed with
``parse_message`` as the SMTP intake parses them, and read with the source's settings. Every
event is checked by the intake's own ``validate`` (text the database can store, a summary for an
ALERT, a key for a RESOLVE) and against the events API's field limits."""

from __future__ import annotations

import base64
import json
import time
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pagerline.engine.sources.email_events import (
    CUT_MARK,
    MAX_BOUNDARY_LINES,
    NO_SUBJECT,
    Delivery,
    email_event,
    html_to_text,
    normalised_subject,
    parse_message,
    sender_allowed,
)
from pagerline.engine.sources.events import EventInput, EventType
from pagerline.engine.sources.intake import validate
from pagerline.engine.sources.intake_settings import EmailSettings, compile_intake_settings
from tests.support.readme import DOCS, fenced_blocks

KEY = "il_ExampleKey0123456789abcdefghijklmn"
DELIVERY = Delivery("nagios@example.com", f"{KEY}@alerts.example.com")
DEFAULTS = EmailSettings()


def email_settings(**email: Any) -> EmailSettings:
    return compile_intake_settings({"email": email}).email


def read(raw: bytes, settings: EmailSettings = DEFAULTS, delivery: Delivery = DELIVERY) -> EventInput:
    event = email_event(parse_message(raw), settings, delivery)
    assert_storable(event)
    return event


def assert_storable(event: EventInput) -> None:
    validate(event)  # raises BadInput on what the intake would refuse
    assert event.summary and len(event.summary) <= 500
    assert event.details is None or len(event.details) <= 65_536
    assert event.alert_key and len(event.alert_key) <= 255 and len(event.alert_key.strip().lower()) <= 255
    json.dumps(event.custom_details, allow_nan=False)
    assert event.via == "Email"


def plain(body: str, subject: str | Header, charset: str = "utf-8", **headers: str) -> bytes:
    message = MIMEText(body, "plain", charset)
    message["Subject"] = subject
    message["From"] = headers.pop("From", "Nagios <nagios@example.com>")
    message["To"] = headers.pop("To", f"{KEY}@alerts.example.com")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    return message.as_bytes()


def raw_mail(head: bytes, body: bytes) -> bytes:
    return head.rstrip(b"\r\n") + b"\r\n\r\n" + body


# --------------------------------------------------------------------------- what maps where


def test_subject_is_the_summary_and_the_key_and_the_text_part_the_details() -> None:
    raw = plain(
        "Disk /var is 97% full on web-1.\n\nCheck it.\n", "Fwd: RE: Disk full on web-1",
        Cc="Ops <ops@example.com>, dba@example.com", Date="Fri, 04 Dec 2026 18:57:02 +0000",
        Message_ID="<123@mon.example.com>", X_Nagios_Host="web-1", X_Received="by 10.0.0.1", Importance="high",
    )
    event = read(raw, delivery=Delivery("bounce@mon.example.com", f"{KEY}+db@alerts.example.com", "db"))
    assert event.event_type == EventType.ALERT
    assert event.summary == "Fwd: RE: Disk full on web-1"
    assert event.alert_key == "Disk full on web-1"  # so replies and forwards join the alert
    assert event.details == "Disk /var is 97% full on web-1.\n\nCheck it."
    assert event.custom_details == {
        "from": "nagios@example.com",
        "fromName": "Nagios",
        "to": [f"{KEY}@alerts.example.com"],
        "cc": ["ops@example.com", "dba@example.com"],
        "subject": "Fwd: RE: Disk full on web-1",
        "date": "Fri, 04 Dec 2026 18:57:02 +0000",
        "messageId": "<123@mon.example.com>",
        "envelopeFrom": "bounce@mon.example.com",
        "recipient": f"{KEY}+db@alerts.example.com",
        "tag": "db",
        "headers": {"X-Nagios-Host": "web-1", "Importance": "high"},  # X-Received says nothing of the alert
    }
    assert event.priority is None  # the source's priority rules decide


def test_the_text_part_of_an_alternative_wins_over_the_html_part() -> None:
    message = MIMEMultipart("alternative")
    message["Subject"] = "CPU high"
    message.attach(MIMEText("CPU at 99% (text)", "plain"))
    message.attach(MIMEText("<p>CPU at <b>99%</b> (html)</p>", "html"))
    assert read(message.as_bytes()).details == "CPU at 99% (text)"


def test_an_empty_text_part_gives_way_to_the_html_part() -> None:
    message = MIMEMultipart("alternative")
    message["Subject"] = "CPU high"
    message.attach(MIMEText("  \n", "plain"))
    message.attach(MIMEText("<p>CPU at <b>99%</b></p>", "html"))
    assert read(message.as_bytes()).details == "CPU at 99%"


def test_an_html_only_mail_is_read_as_a_reader_sees_it() -> None:
    html = """<!doctype html><html><head><title>Grafana</title><style>p { color: red }</style></head>
    <body><script>track()</script><h1>[FIRING:1] Disk&nbsp;full &amp; slow</h1>
    <p>Host:   <b>web-1</b><br>Value: 97&#37;</p>
    <ul><li>/var</li><li>/srv</li></ul>
    <table><tr><th>Label</th><th>Value</th></tr><tr><td>env</td><td>prod</td></tr></table>
    <pre>  Traceback:
    line 1</pre>
    <p><a href="https://grafana.example.com/d/1">Open dashboard</a> &lt;here&gt;</p></body></html>"""
    event = read(raw_mail(b"Subject: Grafana alert\r\nContent-Type: text/html; charset=utf-8", html.encode()))
    assert event.details == (
        "[FIRING:1] Disk full & slow\n\nHost: web-1\nValue: 97%\n\n- /var\n- /srv\n\nLabel Value\nenv prod\n\n"
        "  Traceback:\n    line 1\n\nOpen dashboard <https://grafana.example.com/d/1> <here>"
    )
    assert html_to_text("<p>unclosed <b>bold <div>and <!-- a comment --> more") == "unclosed bold\nand more"


def test_attachments_are_listed_not_read() -> None:
    message = MIMEMultipart()
    message["Subject"] = "Report"
    message.attach(MIMEText("See the attached report", "plain"))
    message.attach(MIMEApplication(b"%PDF-1.4 ...", "pdf", Name="report.pdf"))
    message.get_payload()[1]["Content-Disposition"] = 'attachment; filename="report.pdf"'
    event = read(message.as_bytes())
    assert event.details == "See the attached report"
    assert event.custom_details["attachments"] == [{"filename": "report.pdf", "contentType": "application/pdf"}]


@pytest.mark.parametrize(
    ("charset", "subject", "body"),
    [
        ("iso-8859-1", "Störung: Festplatte voll", "Grüße aus Köln: 97 % belegt"),
        ("windows-1252", "Fehler – „web-1“ antwortet nicht", "Preis: 5 € – „Zitat“"),
        ("koi8-r", "Диск заполнен на web-1", "Свободно 3 %"),
        ("iso-2022-jp", "ディスクがいっぱいです", "空き容量は3%です"),
        ("shift_jis", "サーバー停止", "再起動してください"),
        ("gb2312", "磁盘已满", "请检查服务器"),
    ],
)
def test_subjects_and_bodies_in_other_charsets_are_decoded(charset: str, subject: str, body: str) -> None:
    raw = plain(body, Header(subject, charset), charset)
    assert b"utf-8" not in raw.lower()  # sent in that charset (or its mail form), not re-encoded as UTF-8
    event = read(raw)
    assert (event.summary, event.alert_key, event.details) == (subject, subject, body)


def test_raw_eight_bit_headers_are_read_as_utf8_else_latin1() -> None:
    utf8 = raw_mail("Subject: Überlauf in Zürich\r\nContent-Type: text/plain".encode(), "Grüße".encode())
    assert (read(utf8).summary, read(utf8).details) == ("Überlauf in Zürich", "Grüße")
    latin1 = raw_mail("Subject: Überlauf in Zürich\r\nContent-Type: text/plain; charset=iso-8859-1".encode("latin-1"), "Grüße".encode("latin-1"))
    assert (read(latin1).summary, read(latin1).details) == ("Überlauf in Zürich", "Grüße")


@pytest.mark.parametrize("charset", ["x-made-up", "base64", "rot13", "idna", "punycode", "utf-7", '"', "\x00", "us-ascii"])
def test_an_unknown_or_odd_charset_is_read_as_utf8(charset: str) -> None:
    head = f'Subject: =?{charset}?q?Disk_full?= now\r\nContent-Type: text/plain; charset="{charset}"'.encode()
    event = read(raw_mail(head, "caf\xe9 \x00 ok".encode()))
    assert event.details is not None and event.details.endswith("ok") and "\x00" not in event.details


def test_a_mail_without_subject_or_body_still_opens_an_alert() -> None:
    event = read(b"From: cron@example.com\r\n\r\n")
    assert (event.event_type, event.summary, event.alert_key, event.details) == (EventType.ALERT, NO_SUBJECT, NO_SUBJECT, None)


def test_normalised_subject() -> None:
    assert normalised_subject("  Re: RE[2]: Fwd:FW:  Disk \t full  ") == "Disk full"
    assert normalised_subject("Review: nothing to trim") == "Review: nothing to trim"


# --------------------------------------------------------------------------- settings


def test_the_key_pattern_picks_the_key_from_the_subject_or_the_body() -> None:
    raw = plain("Host: db-7\nService: postgres\n", "PROBLEM: ticket #4711 disk")
    assert read(raw, email_settings(alertKeyPattern=r"#(\d+)")).alert_key == "4711"  # the first group
    assert read(raw, email_settings(alertKeyPattern=r"ticket #\d+")).alert_key == "ticket #4711"  # the whole match
    body_key = email_settings(alertKeyPattern=r"^Host:\s*(\S+)", alertKeyFrom="BODY")
    assert read(raw, body_key).alert_key == "db-7"
    # No match: the default key (the subject).
    assert read(raw, email_settings(alertKeyPattern=r"incident-(\d+)")).alert_key == "PROBLEM: ticket #4711 disk"


def test_a_resolve_pattern_in_the_subject_or_body_resolves_the_alert_of_the_key() -> None:
    resolving = email_settings(resolvePatterns=[r"^RESOLVED:", r"status:\s*ok"])
    opened = read(plain("Disk at 97%", "Disk full on web-1"), resolving)
    assert opened.event_type == EventType.ALERT
    by_subject = read(plain("Disk at 40%", "RESOLVED: Disk full on web-1"), resolving)
    # What the resolve pattern matched is left out of the default key: it names the alert opened.
    assert (by_subject.event_type, by_subject.alert_key) == (EventType.RESOLVE, opened.alert_key)
    by_body = read(plain("Disk at 40%\nStatus: OK", "Disk full on web-1"), resolving)  # patterns ignore case
    assert (by_body.event_type, by_body.alert_key) == (EventType.RESOLVE, opened.alert_key)
    nagios = email_settings(alertKeyPattern=r"Service Alert: (\S+)", resolvePatterns=[r"\bRECOVERY\b"])
    problem = read(plain("", "** PROBLEM Service Alert: web-1/disk is CRITICAL **"), nagios)
    recovery = read(plain("", "** RECOVERY Service Alert: web-1/disk is OK **"), nagios)
    assert (problem.event_type, recovery.event_type) == (EventType.ALERT, EventType.RESOLVE)
    assert problem.alert_key == recovery.alert_key == "web-1/disk"


def test_the_settings_example_of_the_email_page_does_what_the_page_says() -> None:
    page = (DOCS / "integrations" / "email.md").read_text(encoding="utf-8")
    examples = {marker: json.loads(body) for lang, body, marker in fenced_blocks(page) if marker.startswith("intake settings")}
    nagios = compile_intake_settings(examples["intake settings"]).email
    problem = read(plain("", "** PROBLEM Service Alert: web-1/disk is CRITICAL **", From="nagios@example.com"), nagios)
    recovery = read(plain("", "** RECOVERY Service Alert: web-1/disk is OK **", From="nagios@example.com"), nagios)
    assert (problem.event_type, problem.alert_key) == (EventType.ALERT, "web-1/disk")
    assert (recovery.event_type, recovery.alert_key) == (EventType.RESOLVE, "web-1/disk")
    assert sender_allowed(nagios, "zabbix@monitoring.example.com") and not sender_allowed(nagios, "x@example.com")
    by_body = compile_intake_settings(examples["intake settings: body"]).email
    assert read(plain("Service: disk\nHost: db-7\n", "x"), by_body).alert_key == "db-7"


def test_the_sender_allowlist_checks_the_envelope_and_the_from_header() -> None:
    only_ops = email_settings(allowedSenders=["ops@example.com", "@monitoring.example.com"])
    message = parse_message(plain("x", "y", From="Ops <OPS@example.com>"))
    assert sender_allowed(only_ops, "bounce@mailer.example.net", message)  # the From header
    assert sender_allowed(only_ops, "zabbix@monitoring.example.com")  # the envelope, by domain
    assert not sender_allowed(only_ops, "someone@example.org", parse_message(plain("x", "y", From="x@example.org")))
    assert sender_allowed(DEFAULTS, "anyone@anywhere.example")


# --------------------------------------------------------------------------- limits


def test_long_fields_are_cut_to_what_the_intake_stores_not_refused() -> None:
    long_subject = "Disk full " + "x" * 2_000
    event = read(plain("line\n" * 40_000, long_subject))
    assert len(event.summary or "") == 500 and event.summary.endswith("…")  # type: ignore[union-attr]
    assert event.details is not None and len(event.details) == 65_536 and event.details.endswith(CUT_MARK)
    assert event.custom_details["subject"].startswith("Disk full xxx") and len(event.custom_details["subject"]) == 1_000
    # Some characters lower-case to two: the key stays within 255 once lower-cased too.
    event = read(plain("x", Header("İ" * 400, "utf-8")))
    assert len(event.alert_key.lower()) <= 255  # type: ignore[union-attr]


def test_what_the_database_cannot_store_becomes_a_replacement_character() -> None:
    head = b"Subject: a\x00b =?utf-8?b?" + base64.b64encode("nul\x00".encode()) + b"?=\r\nX-Tool: \xff\xfe\x00"
    event = read(raw_mail(head, b"bad \xff\xfe bytes \x00 and a lone \xed\xa0\x80 surrogate"))
    assert "\x00" not in json.dumps([event.summary, event.details, event.custom_details])


def test_hostile_headers_are_clipped_before_the_stdlib_parses_them() -> None:
    """Unclipped, the first of these takes the stdlib 30 s to parse and the second raises
    RecursionError; a Message-ID like the third makes the stdlib raise IndexError."""
    for head in (
        b"Content-Type: text/plain; " + b"a=b; " * 100_000,
        b"Content-Type: text/plain (" + b"(" * 100_000,
        b"Message-ID: " + b"<" * 10_000 + b"\r\nFrom: " + b"(" * 10_000 + b"\r\nSubject: " + b"=?utf-8?q?a?= " * 50_000,
    ):
        started = time.monotonic()
        read(raw_mail(head, b"body"))
        assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "html",
    ["<a " * 100_000, "<x" * 150_000, "<!--" * 75_000, "<?" * 150_000, "</" * 150_000, "<p>ok<!-- never closed " + "x" * 250_000],
)
def test_html_that_stalls_pythons_html_parser_is_read_in_time(html: str) -> None:
    """Python 3.11's HTMLParser rescans the rest at each unfinished construct: the first three
    took it over 20 s each (the unclosed comments 63 s); read after ``_complete_tags``, each
    takes well under a second."""
    started = time.monotonic()
    text = html_to_text(html)
    assert time.monotonic() - started < 5
    assert text.startswith("<") == html.startswith(("<a", "<x", "<?", "</"))  # broken markup shows as text
    assert html_to_text("<p>ok<!-- never closed <b>x") == "ok"  # as in a browser
    assert html_to_text("if a <b then <c>") == "if a <b then"


def test_a_message_too_deep_or_too_divided_is_read_as_text() -> None:
    depth = 3_000
    deep = b"Subject: deep\r\nContent-Type: multipart/mixed; boundary=B0\r\n\r\n" + b"".join(
        b"--B%d\r\nContent-Type: multipart/mixed; boundary=B%d\r\n\r\n" % (i, i + 1) for i in range(depth)
    ) + b"--B%d\r\n\r\nthe text\r\n" % depth
    many = b"Subject: many\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" + b"".join(
        b"--B\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i for i in range(MAX_BOUNDARY_LINES + 1)
    ) + b"--B--\r\n"
    for raw in (deep, many):
        started = time.monotonic()
        message = parse_message(raw)
        assert not message.is_multipart()
        event = read(raw)
        assert event.summary in {"deep", "many"} and event.details and event.details.startswith("--B")
        assert time.monotonic() - started < 5


# --------------------------------------------------------------------------- generated mail

CHARSETS = st.sampled_from(
    ["utf-8", "us-ascii", "iso-8859-1", "windows-1252", "koi8-r", "iso-2022-jp", "shift_jis", "gb2312", "big5",
     "utf-16", "utf-7", "x-unknown", "punycode", "base64"]
)  # fmt: skip
HEADER_TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=300)
PATTERN_SETTINGS = st.sampled_from(
    [
        DEFAULTS,
        email_settings(alertKeyPattern=r"(\w+)", resolvePatterns=["ok", r"^\s*$"]),
        email_settings(alertKeyPattern=r"(x*)*y", alertKeyFrom="BODY", resolvePatterns=[r"(a|aa)+$"]),  # backtracks
        email_settings(alertKeyPattern=r"()", resolvePatterns=["İ"]),
    ]
)


def _encoded(text: str, charset: str) -> bytes:
    try:
        return text.encode(charset, "replace")
    except Exception:
        return text.encode("utf-8", "replace")


@st.composite
def mails(draw: st.DrawFn) -> bytes:
    charset = draw(CHARSETS)
    subject = draw(HEADER_TEXT)
    body = draw(st.text(max_size=2_000))
    subtype = draw(st.sampled_from(["plain", "html"]))
    cte = draw(st.sampled_from(["8bit", "base64", "quoted-printable", "7bit", "x-uuencode", "bogus"]))
    encoded = _encoded(body, charset)
    if cte == "base64":
        encoded = base64.encodebytes(encoded)
    subject_header = draw(
        st.sampled_from(["raw", "encoded", "broken"])
    )
    if subject_header == "encoded":
        subject_bytes = b"=?" + charset.encode() + b"?b?" + base64.b64encode(_encoded(subject, charset)) + b"?="
    elif subject_header == "broken":
        subject_bytes = b"=?" + charset.encode() + b"?q?" + _encoded(subject, "utf-8") + b"?"
    else:
        subject_bytes = _encoded(subject, "utf-8").replace(b"\r", b" ").replace(b"\n", b" ")
    extra = draw(st.lists(st.tuples(st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,20}", fullmatch=True), HEADER_TEXT), max_size=5))
    head = [b"Subject: " + subject_bytes, f"Content-Type: text/{subtype}; charset=\"{charset}\"".encode(), f"Content-Transfer-Encoding: {cte}".encode()]
    head += [name.encode() + b": " + _encoded(value, "utf-8").replace(b"\r", b" ").replace(b"\n", b" ") for name, value in extra]
    raw = b"\r\n".join(head) + b"\r\n\r\n" + encoded
    if draw(st.booleans()):  # wrapped in a multipart with an HTML alternative and an attachment
        raw = (
            b"Subject: " + subject_bytes + b"\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n"
            + raw.split(b"\r\n", 1)[1] + b"\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>" + _encoded(body, "utf-8")
            + b"\r\n--b1\r\nContent-Disposition: attachment; filename=\"" + _encoded(subject[:20], "utf-8") + b"\"\r\n\r\nxx\r\n--b1--\r\n"
        )
    return raw


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=mails(), email=PATTERN_SETTINGS, tag=st.none() | st.text(max_size=30))
def test_any_mail_reads_as_a_storable_event(raw: bytes, email: EmailSettings, tag: str | None) -> None:
    read(raw, email, Delivery("sender@example.com", f"{KEY}@alerts.example.com", tag))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=4_000), email=PATTERN_SETTINGS)
def test_any_bytes_read_as_a_storable_event(raw: bytes, email: EmailSettings) -> None:
    read(raw, email)
    read(b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n" + raw, email)
