"""EmailTransport through aiosmtplib against aiosmtpd (plain + AUTH, smtps, STARTTLS)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pagerline.models import Channel
from pagerline.push.base import Destination, Outcome
from pagerline.push.email import EmailTransport, SmtpConfig, parse_smtp_url
from pagerline.push.registry import build_transports
from pagerline.settings import Settings
from tests.fakes import free_port
from tests.fakes.smtp import FakeSmtp
from tests.push import page

SENDER = "pagerline <alerts@pager.example.com>"
TO = "ada@example.com"
LINKS = {
    "accept_url": "https://pager.example.com/a/42/accept?t=abc&x=1",
    "resolve_url": "https://pager.example.com/a/42/resolve?t=abc",
    "alert_url": "https://pager.example.com/alerts/42",
}


@pytest.fixture(scope="module")
def smtp() -> Iterator[FakeSmtp]:
    with FakeSmtp(credentials=("pager", "p@ss:word")) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(smtp: FakeSmtp) -> None:
    smtp.reset()


def mail(**overrides: Any):
    fields: dict[str, Any] = {"channel": Channel.EMAIL, "data": dict(LINKS)}
    fields.update(overrides)
    return page(Destination(address=TO), **fields)


async def test_page_email_has_text_html_links_and_threading_headers(smtp: FakeSmtp) -> None:
    transport = EmailTransport(url=smtp.url, sender=SENDER, timeout=5)
    result = await transport.send(mail(body="db-1: /var/lib/postgresql at 99%\nsince 10:02 UTC <critical>"))

    [received] = smtp.received
    email = received.message
    assert (result.outcome, result.provider_id) == (Outcome.DELIVERED, email["Message-ID"])
    assert (received.mail_from, received.rcpt_tos, received.login, received.tls) == ("alerts@pager.example.com", [TO], "pager", False)
    assert email["Subject"] == "[HIGH] Database disk full"
    assert (email["From"], email["To"]) == (SENDER, TO)
    assert email["Message-ID"].endswith("@pager.example.com>")
    assert email["References"] == "<alert-42@pager.example.com>"
    assert (email["X-Pagerline-Alert"], email["X-Pagerline-Notification"], email["Auto-Submitted"]) == ("42", "1001", "auto-generated")
    assert email.get_body(("plain",)).get_content() == (
        "db-1: /var/lib/postgresql at 99%\n"
        "since 10:02 UTC <critical>\n"
        "\n"
        "Accept: https://pager.example.com/a/42/accept?t=abc&x=1\n"
        "Resolve: https://pager.example.com/a/42/resolve?t=abc\n"
        "Open alert: https://pager.example.com/alerts/42\n"
    )
    html = email.get_body(("html",)).get_content()
    assert "<h2>[HIGH] Database disk full</h2>" in html
    assert "<p>db-1: /var/lib/postgresql at 99%<br>\nsince 10:02 UTC &lt;critical&gt;</p>" in html
    assert '<a href="https://pager.example.com/a/42/accept?t=abc&amp;x=1" style="margin-right:16px">Accept</a>' in html
    assert '<a href="https://pager.example.com/alerts/42" style="margin-right:16px">Open alert</a>' in html


async def test_update_without_links_has_no_link_section(smtp: FakeSmtp) -> None:
    transport = EmailTransport(url=smtp.url, sender=SENDER)
    assert (await transport.send(mail(kind="UPDATE", title="Accepted:\n Database disk full", body="Ada accepted", data={}))).outcome is Outcome.DELIVERED
    email = smtp.received[0].message
    assert email["Subject"] == "Accepted: Database disk full"
    assert email.get_body(("plain",)).get_content() == "Ada accepted\n"
    assert "<a " not in email.get_body(("html",)).get_content()


@pytest.mark.parametrize(
    ("reply", "stage", "outcome", "reason"),
    [
        ("451 4.3.0 Try again later", "DATA", Outcome.RETRY, "SMTP 451: 4.3.0 Try again later"),
        ("421 4.7.0 Too busy", "MAIL", Outcome.RETRY, "SMTP 421: 4.7.0 Too busy"),
        ("554 5.7.1 Message rejected", "DATA", Outcome.FAILED, "SMTP 554: 5.7.1 Message rejected"),
        ("550 5.1.1 No such user", "RCPT", Outcome.FAILED, "SMTP recipient refused: 550 5.1.1 No such user"),
        ("452 4.2.2 Mailbox full", "RCPT", Outcome.RETRY, "SMTP recipient refused: 452 4.2.2 Mailbox full"),
    ],
)
async def test_smtp_refusals_map_4xx_to_retry_and_5xx_to_failed(
    smtp: FakeSmtp, reply: str, stage: str, outcome: Outcome, reason: str
) -> None:
    smtp.refuse(reply, stage=stage)
    result = await EmailTransport(url=smtp.url, sender=SENDER).send(mail())
    assert (result.outcome, result.reason, result.destination_dead) == (outcome, reason, False)
    assert smtp.count == 0


async def test_wrong_password_fails(smtp: FakeSmtp) -> None:
    url = smtp.url.replace("p%40ss%3Aword", "nope")
    result = await EmailTransport(url=url, sender=SENDER).send(mail())
    assert result.outcome is Outcome.FAILED and result.reason.startswith("SMTP 535")


async def test_unreachable_server_is_retry() -> None:
    result = await EmailTransport(url=f"smtp://127.0.0.1:{free_port()}", sender=SENDER, timeout=2).send(mail())
    assert result.outcome is Outcome.RETRY and result.reason.startswith("SMTP connection:")


@pytest.mark.parametrize("mode", ["implicit", "starttls"])
async def test_tls_modes(mode: str) -> None:
    with FakeSmtp(tls=mode) as server:
        transport = EmailTransport(url=server.url, sender=SENDER, tls_context=server.client_tls_context())
        result = await transport.send(mail())
        assert result.outcome is Outcome.DELIVERED
        assert server.received[0].tls is True
        assert server.url.startswith("smtps://" if mode == "implicit" else "smtp://")


@pytest.mark.parametrize(
    ("url", "config"),
    [
        ("smtp://relay.internal", SmtpConfig("relay.internal", 25)),
        ("smtp://u%40x:p%2Fw@mail.example.com:2525", SmtpConfig("mail.example.com", 2525, "u@x", "p/w")),
        ("smtp://u:p@mail.example.com?starttls=1", SmtpConfig("mail.example.com", 587, "u", "p", start_tls=True)),
        ("smtps://u:p@mail.example.com", SmtpConfig("mail.example.com", 465, "u", "p", use_tls=True)),
    ],
)
def test_parse_smtp_url(url: str, config: SmtpConfig) -> None:
    assert parse_smtp_url(url) == config


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "smtps://h?starttls=1"])
def test_parse_smtp_url_refuses_nonsense(url: str) -> None:
    with pytest.raises(ValueError):
        parse_smtp_url(url)


async def test_build_transports_wires_email_from_settings(smtp: FakeSmtp) -> None:
    transports = build_transports(Settings(smtp_url=smtp.url, smtp_from=SENDER))
    try:
        transport = transports.for_message(Channel.EMAIL)
        assert isinstance(transport, EmailTransport)
        assert (await transport.send(mail())).outcome is Outcome.DELIVERED
        assert smtp.received[0].rcpt_tos == [TO]
    finally:
        await transports.close()
    with pytest.raises(ValueError, match="PAGERLINE_SMTP_FROM"):
        build_transports(Settings(smtp_url=smtp.url))
