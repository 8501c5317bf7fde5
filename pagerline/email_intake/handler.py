"""The SMTP intake's answers: an aiosmtpd handler over the intake engine.

A sender learns everything it can fix at ``RCPT TO``, per recipient, before it sends a byte of
the message:

- another domain than ``PAGERLINE_EMAIL_DOMAIN``: 550 5.7.1 (this is no relay);
- no source has the key (the local part before an optional ``+tag``): 550 5.1.1;
- the source is not of type EMAIL: 550 5.7.1, so mail to an API source's key never opens alerts;
- over the key's rate (the HTTP intake's token bucket, shared with it in ``pagerline serve``):
  451 4.7.1, and the sender's server tries again later;
- the database unreachable: 451 4.3.0.

At ``DATA``: a message over ``PAGERLINE_SMTP_INTAKE_MAX_BYTES`` gets aiosmtpd's 552 (the limit
is announced as ``SIZE``, so most senders are told at ``MAIL FROM`` already); a sender the
source's allowlist names neither as envelope sender nor in the From header, 550 5.7.1; an event
the engine refuses, 550 5.6.0 with its reason. Otherwise each recipient's event is ingested and
only once all are committed is the answer 250; a database outage on the way is 451 4.3.0, which
the sender retries (an event already committed for one recipient of several is then sent again
and joins its alert). Never 250 without a commit.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pagerline.api.errors import is_database_outage
from pagerline.api.ratelimit import TokenBuckets
from pagerline.engine.core import metrics
from pagerline.engine.core.errors import EngineError
from pagerline.engine.sources.email_events import Delivery, email_event, parse_message, sender_allowed
from pagerline.engine.sources.events import EventInput
from pagerline.engine.sources.intake import ingest_event
from pagerline.engine.sources.intake_settings import EmailSettings
from pagerline.engine.sources.lookup import SourceInfo, find_source_by_key
from pagerline.engine.sources.policy import load_policy
from pagerline.logs import new_request_id, request_id
from pagerline.models import IntegrationType

log = logging.getLogger(__name__)

#: Recipients one message may have: a monitoring tool names one address, a few at most.
MAX_RECIPIENTS = 20


class Reply:
    """Every answer the intake gives, in one place (the docs' table lists them)."""

    RECIPIENT_OK = "250 2.1.5 OK"
    STORED = "250 2.0.0 OK: {codes}"
    WRONG_DOMAIN = "550 5.7.1 Relaying denied: this server takes mail only for @{domain}"
    UNKNOWN_KEY = "550 5.1.1 No alert source has this address"
    NOT_EMAIL = "550 5.7.1 This alert source does not take email (its integration type is {type})"
    RATE_LIMITED = "451 4.7.1 Too many messages for this address; try again later"
    TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
    SENDER_NOT_ALLOWED = "550 5.7.1 The sender is not on the alert source's list of allowed senders"
    INVALID_EVENT = "550 5.6.0 {reason}"
    UNAVAILABLE = "451 4.3.0 The database is unreachable; the message was not stored, try again later"
    FAILED = "451 4.3.0 The message could not be stored; try again later"
    COMMAND_FAILED = "500 5.5.0 The command could not be handled"


def _reply_text(text: str) -> str:
    """One line of printable ASCII, as an SMTP reply must be."""
    cleaned = "".join(c if " " <= c <= "~" else "?" for c in " ".join(text.split()))
    return cleaned[:400]


def _rejected(code: str) -> None:
    metrics.EVENTS_REJECTED.labels(code).inc()


@dataclass(frozen=True, slots=True)
class Recipient:
    """A recipient accepted at RCPT TO: its source, as the intake sees it then."""

    source: SourceInfo
    settings: EmailSettings
    address: str
    tag: str | None
    sender_allowed: bool  # by the envelope sender already; else the From header must be


class IntakeHandler:
    """aiosmtpd calls ``handle_RCPT`` for each recipient and ``handle_DATA`` for the message."""

    def __init__(self, domain: str, buckets: TokenBuckets) -> None:
        self.domain = domain.lower()
        self.buckets = buckets
        # The recipients accepted in each transaction; aiosmtpd makes a new envelope for the next.
        self._recipients: weakref.WeakKeyDictionary[Any, list[Recipient]] = weakref.WeakKeyDictionary()
        self.busy = 0  # messages being read or stored right now (shutdown waits for them)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if request_id.get() is None:  # one id per connection, on every line it logs
            request_id.set(new_request_id())
        accepted = self._recipients.setdefault(envelope, [])
        if len(accepted) >= MAX_RECIPIENTS:
            return Reply.TOO_MANY_RECIPIENTS
        local, at, domain = address.rpartition("@")
        if not at or domain.lower().rstrip(".") != self.domain:
            _rejected("WRONG_DOMAIN")
            return Reply.WRONG_DOMAIN.format(domain=self.domain)
        key, _, tag = local.partition("+")  # keys never hold "+"
        try:
            source = await find_source_by_key(key) if key else None
            if source is None:
                _rejected("UNKNOWN_INTEGRATION_KEY")
                return Reply.UNKNOWN_KEY
            if source.integration_type is not IntegrationType.EMAIL:
                _rejected("NOT_AN_EMAIL_SOURCE")
                return _reply_text(Reply.NOT_EMAIL.format(type=source.integration_type.value))
            if any(r.source.id == source.id for r in accepted):  # the same source twice: one event
                return Reply.RECIPIENT_OK
            if self.buckets.take(key) > 0:
                _rejected("RATE_LIMITED")
                return Reply.RATE_LIMITED
            settings = (await load_policy(source.id)).intake.email
        except Exception as exc:
            if not is_database_outage(exc):
                raise
            _rejected("DATABASE_UNAVAILABLE")
            return Reply.UNAVAILABLE
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        accepted.append(Recipient(source, settings, address, tag or None, sender_allowed(settings, envelope.mail_from or "")))
        return Reply.RECIPIENT_OK

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        recipients = self._recipients.pop(envelope, [])
        if not recipients:  # aiosmtpd answers 503 before this when no RCPT was accepted
            return Reply.UNKNOWN_KEY
        self.busy += 1
        try:
            return await self._store(envelope.mail_from or "", envelope.original_content or b"", recipients)
        finally:
            self.busy -= 1

    async def _store(self, mail_from: str, raw: bytes, recipients: list[Recipient]) -> str:
        # Reading a mail of megabytes takes a while: off the event loop the app's requests share.
        events = await asyncio.to_thread(_read, raw, mail_from, recipients)
        if not events:
            _rejected("SENDER_NOT_ALLOWED")
            log.info("mail from %r refused: no recipient's source allows the sender", mail_from)
            return Reply.SENDER_NOT_ALLOWED
        if len(events) < len(recipients):
            log.info("mail from %r: %d of %d recipients' sources do not allow the sender", mail_from, len(recipients) - len(events), len(recipients))
        now = datetime.now(UTC)
        codes = []
        try:
            for recipient, event in events:
                result = await ingest_event(recipient.source, event, now)
                codes.append(result.response_code)
        except EngineError as exc:
            _rejected(exc.code)
            return _reply_text(Reply.INVALID_EVENT.format(reason=exc.message))
        except Exception as exc:
            if is_database_outage(exc):
                _rejected("DATABASE_UNAVAILABLE")
                return Reply.UNAVAILABLE
            log.exception("a mail from %r could not be stored", mail_from)
            return Reply.FAILED
        return Reply.STORED.format(codes=", ".join(codes))

    async def handle_exception(self, error: Exception) -> str:
        """An error aiosmtpd met outside the hooks' own answers (the hooks answer every error of
        theirs): logged, answered without internals."""
        if is_database_outage(error):
            return Reply.UNAVAILABLE
        log.error("SMTP intake: %s: %s", type(error).__name__, error, exc_info=error)
        return Reply.COMMAND_FAILED


def _read(raw: bytes, mail_from: str, recipients: list[Recipient]) -> list[tuple[Recipient, EventInput]]:
    """The event of the message for each recipient whose source allows the sender."""
    message = parse_message(raw)
    return [
        (r, email_event(message, r.settings, Delivery(mail_from, r.address, r.tag)))
        for r in recipients
        if r.sender_allowed or sender_allowed(r.settings, mail_from, message)
    ]
