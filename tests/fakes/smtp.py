"""A fake SMTP server: aiosmtpd's ``Controller`` (its own thread and loop) recording every
message, with optional AUTH, implicit TLS (smtps) or STARTTLS, and scripted refusals.

    with FakeSmtp(credentials=("pager", "s3cret")) as smtp:
        smtp.refuse("451 4.3.0 Try again later")              # next DATA gets a 451
        smtp.refuse("550 5.1.1 No such user", stage="RCPT")
        ...
        smtp.received[0].message["Subject"]; smtp.received[0].message.get_body(("plain",))
"""

from __future__ import annotations

import email
import email.policy
import threading
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.fakes import LOOPBACK, Records, SelfSigned, free_port, make_self_signed


@dataclass
class SmtpMessage:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    message: EmailMessage
    login: str | None  # the AUTH user, None if the client did not log in
    tls: bool


class _Handler:
    def __init__(self, fake: FakeSmtp) -> None:
        self.fake = fake

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]) -> str:
        refusal = self.fake._take("MAIL")
        if refusal:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        refusal = self.fake._take("RCPT")
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        refusal = self.fake._take("DATA")
        if refusal:
            return refusal
        raw = bytes(envelope.original_content or envelope.content)
        parsed = email.message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=email.policy.default)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        tls = server.transport is not None and server.transport.get_extra_info("ssl_object") is not None
        self.fake.received.add(SmtpMessage(envelope.mail_from, list(envelope.rcpt_tos), raw, parsed, login, tls))  # type: ignore[arg-type]
        return "250 2.0.0 Message accepted for delivery"


class FakeSmtp:
    """``tls``: None (plain), "implicit" (smtps) or "starttls" (required before MAIL)."""

    name = "fake-smtp"

    def __init__(
        self, *, credentials: tuple[str, str] | None = None, tls: str | None = None, max_records: int = 1_000
    ) -> None:
        if tls not in (None, "implicit", "starttls"):
            raise ValueError("tls must be None, 'implicit' or 'starttls'")
        self.credentials = credentials
        self.tls_mode = tls
        self.received = Records(max_records)
        self.host = LOOPBACK
        self.port = 0
        self.tls: SelfSigned | None = None
        self._refusals: deque[tuple[str, str]] = deque()
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        scheme = "smtps" if self.tls_mode == "implicit" else "smtp"
        auth = ""
        if self.credentials:
            auth = f"{quote(self.credentials[0], safe='')}:{quote(self.credentials[1], safe='')}@"
        query = "?starttls=1" if self.tls_mode == "starttls" else ""
        return f"{scheme}://{auth}{self.host}:{self.port}{query}"

    @property
    def count(self) -> int:
        return self.received.count

    def client_tls_context(self) -> Any:
        assert self.tls is not None, "no TLS on this fake"
        return self.tls.client_context()

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (
            self.credentials is not None
            and isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.credentials[0]
            and auth_data.password.decode() == self.credentials[1]
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    def start(self) -> FakeSmtp:
        kwargs: dict[str, Any] = {}
        if self.credentials:
            # AUTH offered without TLS; not *required* (aiosmtpd warns about that combination):
            # each record's ``login`` shows whether the client logged in.
            kwargs.update(authenticator=self._authenticate, auth_require_tls=False)
        if self.tls_mode:
            self.tls = make_self_signed()
            if self.tls_mode == "implicit":
                kwargs["ssl_context"] = self.tls.server_context()
            else:
                kwargs.update(tls_context=self.tls.server_context(), require_starttls=True)
        last: Exception | None = None
        for _ in range(5):  # the port is picked before the server binds it: retry a clash
            self.port = free_port()
            controller = Controller(_Handler(self), hostname=self.host, port=self.port, **kwargs)
            try:
                controller.start()
            except Exception as exc:
                last = exc
                continue
            self._controller = controller
            return self
        raise RuntimeError(f"fake SMTP could not start: {last!r}")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self.tls is not None:
            self.tls.remove()

    def __enter__(self) -> FakeSmtp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        with self._lock:
            self._refusals.clear()
        self.received.reset()

    def refuse(self, reply: str, *, stage: str = "DATA", times: int = 1) -> None:
        """Answer the next ``times`` MAIL/RCPT/DATA commands with ``reply`` (e.g. "451 4.3.0
        Try again later")."""
        if stage not in ("MAIL", "RCPT", "DATA"):
            raise ValueError("stage must be MAIL, RCPT or DATA")
        with self._lock:
            self._refusals.extend([(stage, reply)] * times)

    def _take(self, stage: str) -> str | None:
        with self._lock:
            for item in list(self._refusals):
                if item[0] == stage:
                    self._refusals.remove(item)
                    return item[1]
        return None
