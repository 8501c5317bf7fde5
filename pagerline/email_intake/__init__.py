"""The email intake: an SMTP server (aiosmtpd) whose recipients are EMAIL sources.

Mail to ``<integration key>@<PAGERLINE_EMAIL_DOMAIN>`` (or ``<key>+<tag>@...``) becomes an
event of that source, read by :mod:`pagerline.engine.sources.email_events` and ingested by the
one intake path every event takes. This package is only the SMTP adapter:

- :mod:`.handler`: the answers. A recipient is checked at ``RCPT TO`` (the domain, the key, that
  the source is of type EMAIL, the per-key rate, as the HTTP intake's); the message at ``DATA``
  (its size, the sender allowlist), and ``250`` is sent only once every event is committed.
- :mod:`.server`: the listening socket, inside ``pagerline serve`` (the embedded defaults, when
  ``PAGERLINE_SMTP_INTAKE_PORT`` is set) or as ``pagerline smtp``.
"""

from pagerline.email_intake.handler import IntakeHandler, Reply
from pagerline.email_intake.server import SmtpIntake, run_smtp_intake, start_embedded_intake, start_smtp_intake

__all__ = ["IntakeHandler", "Reply", "SmtpIntake", "run_smtp_intake", "start_embedded_intake", "start_smtp_intake"]
