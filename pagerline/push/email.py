"""Email through SMTP with aiosmtplib.

``PAGERLINE_SMTP_URL`` says where and how: ``smtp://user:pass@host:port`` (plain; add
``?starttls=1`` to require STARTTLS, default port 587 then, else 25) or
``smtps://user:pass@host:port`` (TLS from the first byte, default port 465). User and password
are percent-decoded. STARTTLS is never tried opportunistically: a relay with a certificate we
cannot verify must not make pages fail only sometimes.

One connection per message: email is the slowest, least urgent channel and a connection held
open between pages would mostly be a stale one. SMTP 4xx and connection trouble retry later;
5xx fail (the mailbox or the message was refused for good).
"""

from __future__ import annotations

import asyncio
import html
import ssl
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from pagerline.push.base import DeliveryResult, OutgoingMessage, Outcome

if TYPE_CHECKING:
    from pagerline.settings import Settings

DEFAULT_CONCURRENCY = 8
DEFAULT_TIMEOUT = 20.0
# (data key, label) of the links an email shows, in this order.
LINKS = (("accept_url", "Accept"), ("resolve_url", "Resolve"), ("alert_url", "Open alert"))


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False  # implicit TLS (smtps)
    start_tls: bool = False  # require STARTTLS


def parse_smtp_url(url: str) -> SmtpConfig:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        raise ValueError(f"PAGERLINE_SMTP_URL must start with smtp:// or smtps://, not {scheme or '(none)'}://")
    if not parts.hostname:
        raise ValueError("PAGERLINE_SMTP_URL has no host")
    query = {k.lower(): v[-1] for k, v in parse_qs(parts.query).items()}
    start_tls = query.get("starttls", "0").lower() in ("1", "true", "yes", "on")
    use_tls = scheme == "smtps"
    if use_tls and start_tls:
        raise ValueError("PAGERLINE_SMTP_URL: smtps:// already uses TLS; drop ?starttls=1")
    port = parts.port or (465 if use_tls else 587 if start_tls else 25)
    return SmtpConfig(
        hostname=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        use_tls=use_tls,
        start_tls=start_tls,
    )


def _domain(address: str) -> str:
    _, _, domain = address.rpartition("@")
    return domain.strip("> ") or "pagerline.local"


def _links(message: OutgoingMessage) -> list[tuple[str, str]]:
    return [(label, str(message.data[key])) for key, label in LINKS if message.data.get(key)]


def render_text(message: OutgoingMessage) -> str:
    lines = [message.body.rstrip()] if message.body else []
    links = _links(message)
    if links:
        lines.append("")
        lines.extend(f"{label}: {url}" for label, url in links)
    return "\n".join(lines) + "\n"


def render_html(message: OutgoingMessage) -> str:
    body = html.escape(message.body.rstrip()).replace("\n", "<br>\n")
    links = "".join(
        f'<a href="{html.escape(url, quote=True)}" style="margin-right:16px">{html.escape(label)}</a>'
        for label, url in _links(message)
    )
    return (
        "<!doctype html>\n<html><body>\n"
        f"<h2>{html.escape(message.title)}</h2>\n"
        f"<p>{body}</p>\n" + (f"<p>{links}</p>\n" if links else "") + "</body></html>\n"
    )


def build_email(message: OutgoingMessage, sender: str) -> EmailMessage:
    """The email for ``message``: plain text and HTML alternatives with the links of
    ``message.data`` (``accept_url``, ``resolve_url``, ``alert_url``). Pages and updates about
    one alert share a ``References`` header so mail clients thread them; ``Auto-Submitted``
    keeps auto-responders from answering."""
    email = EmailMessage()
    domain = _domain(sender)
    email["Subject"] = " ".join(message.title.split()) or "pagerline notification"
    email["From"] = sender
    email["To"] = message.destination.address
    email["Date"] = formatdate(localtime=False, usegmt=True)
    # Short enough never to be folded (make_msgid's default is 70+ characters).
    email["Message-ID"] = f"<pl.{message.notification_id}.{uuid.uuid4().hex[:20]}@{domain}>"
    email["Auto-Submitted"] = "auto-generated"
    email["X-Pagerline-Notification"] = str(message.notification_id)
    if message.alert_id is not None:
        email["X-Pagerline-Alert"] = str(message.alert_id)
        email["References"] = f"<alert-{message.alert_id}@{domain}>"
    email.set_content(render_text(message))
    email.add_alternative(render_html(message), subtype="html")
    return email


def map_smtp_error(exc: BaseException) -> DeliveryResult:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        text = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
        transient = bool(codes) and all(400 <= c < 500 for c in codes)
        return DeliveryResult(Outcome.RETRY if transient else Outcome.FAILED, f"SMTP recipient refused: {text}"[:300])
    if isinstance(exc, (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError)):
        return DeliveryResult(Outcome.RETRY, f"SMTP connection: {exc}"[:300])
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        outcome = Outcome.RETRY if 400 <= exc.code < 500 else Outcome.FAILED
        return DeliveryResult(outcome, f"SMTP {exc.code}: {exc.message}"[:300])
    if isinstance(exc, (OSError, TimeoutError)):
        return DeliveryResult(Outcome.RETRY, f"SMTP connection: {type(exc).__name__} {exc}".strip()[:300])
    return DeliveryResult(Outcome.FAILED, f"SMTP: {type(exc).__name__} {exc}".strip()[:300])


class EmailTransport:
    """Sends Channel.EMAIL. ``url``: an SMTP URL as above; ``sender``: the From address;
    ``tls_context``: what to trust for smtps/STARTTLS (default: the system CAs)."""

    name = "email"

    def __init__(
        self,
        *,
        url: str,
        sender: str,
        timeout: float = DEFAULT_TIMEOUT,
        concurrency: int = DEFAULT_CONCURRENCY,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.config = parse_smtp_url(url)
        self.sender = sender
        self.timeout = timeout
        self.concurrency = concurrency
        self._tls_context = tls_context
        self._loop_semaphore: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> EmailTransport:
        if not settings.smtp_url or not settings.smtp_from:
            raise ValueError("email is not fully configured: set PAGERLINE_SMTP_URL and PAGERLINE_SMTP_FROM")
        kwargs: dict[str, Any] = {"url": settings.smtp_url, "sender": settings.smtp_from}
        kwargs.update(overrides)
        return cls(**kwargs)

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._loop_semaphore is None or self._loop_semaphore[0] is not loop:
            self._loop_semaphore = (loop, asyncio.Semaphore(self.concurrency))
        return self._loop_semaphore[1]

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        email = build_email(message, self.sender)
        config = self.config
        async with self._semaphore():
            try:
                await aiosmtplib.send(
                    email,
                    hostname=config.hostname,
                    port=config.port,
                    username=config.username,
                    password=config.password,
                    use_tls=config.use_tls,
                    start_tls=config.start_tls,
                    tls_context=self._tls_context,
                    timeout=self.timeout,
                )
            except Exception as exc:  # every aiosmtplib and socket error is mapped
                return map_smtp_error(exc)
        return DeliveryResult(Outcome.DELIVERED, provider_id=str(email["Message-ID"]))

    async def close(self) -> None:
        return None
