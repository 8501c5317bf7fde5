"""A fake FCM HTTP v1 server: ``POST /v1/projects/{project}/messages:send``.

Answers like Google does: ``{"name": "projects/<p>/messages/<id>"}`` on success, and Google's
error JSON (``{"error": {"code", "message", "status", "details": [FcmError]}}``) for scripted
failures, which is what firebase-admin parses into ``UnregisteredError`` and friends.

Also an OAuth token endpoint (``POST /token``): :meth:`FakeFcm.write_service_account` writes a
real service-account JSON whose ``token_uri`` points here, so ``PAGERLINE_FCM_CREDENTIALS`` can
be used end to end; once a token was issued, send requests must carry it.

    with FakeFcm() as fcm:
        fcm.dead("old-token")            # 404 UNREGISTERED, every time
        fcm.fail("flaky", status=503)    # one 503, then success
        fcm.hold("slow")                 # answer only after fcm.release()
        ...
        fcm.received[0].message["android"]["notification"]["channel_id"]
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fakes import Answer, HttpRequest, HttpResponse, PushFake

SEND_PATH = re.compile(r"^/v1/projects/(?P<project>[^/]+)/messages:send$")
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"

_STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}


def google_error(status: int, message: str, fcm_code: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": status, "message": message, "status": _STATUS_NAMES.get(status, "UNKNOWN")}
    if fcm_code:
        error["details"] = [{"@type": FCM_ERROR_TYPE, "errorCode": fcm_code}]
    return {"error": error}


@dataclass
class FcmRequest:
    """One send request as received. ``message`` is the ``message`` object firebase-admin
    encoded; ``status`` is filled in once the fake answered (None while held or delayed)."""

    project: str
    token: str | None
    body: dict[str, Any]
    headers: dict[str, str]
    status: int | None = None
    name: str = ""
    http_version: str = "HTTP/1.1"

    @property
    def message(self) -> dict[str, Any]:
        return dict(self.body.get("message") or {})


@dataclass
class _Issued:
    tokens: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeFcm(PushFake[FcmRequest]):
    name = "fake-fcm"

    def __init__(
        self, *, project_id: str = "pagerline-test", delay: float = 0.0, max_records: int = 10_000, tls: bool = False
    ) -> None:
        """``tls=True``: HTTPS with HTTP/2, as Google serves FCM (firebase-admin's httpx client
        trusts the fake when ``SSL_CERT_FILE`` names :attr:`ca_file`); else HTTP/1.1."""
        super().__init__(delay=delay, max_records=max_records, tls=tls)
        self.project_id = project_id
        self._counter = 0
        self._counter_lock = threading.Lock()
        self._issued = _Issued()

    # ------------------------------------------------------------------ scripts

    def dead(self, token: str, times: int | None = None) -> None:
        """The token is unregistered (app uninstalled): HTTP 404 UNREGISTERED."""
        self.script.add(token, Answer(404, google_error(404, "Requested entity was not found.", "UNREGISTERED"), times=times))

    def sender_mismatch(self, token: str, times: int | None = None) -> None:
        self.script.add(
            token, Answer(403, google_error(403, "SenderId mismatch", "SENDER_ID_MISMATCH"), times=times)
        )

    def invalid(self, token: str, times: int | None = 1) -> None:
        """HTTP 400 INVALID_ARGUMENT (a payload or token format FCM refused)."""
        self.script.add(
            token,
            Answer(400, google_error(400, "The registration token is not a valid FCM registration token", "INVALID_ARGUMENT"), times=times),
        )

    def quota(self, token: str, times: int | None = 1) -> None:
        self.script.add(token, Answer(429, google_error(429, "Quota exceeded.", "QUOTA_EXCEEDED"), times=times))

    def fail(self, token: str, status: int = 503, times: int | None = 1) -> None:
        """A server error without an FCM code (firebase-admin retries 500 and 503 itself)."""
        self.script.add(token, Answer(status, google_error(status, "The service is currently unavailable."), times=times))

    def answer(self, token: str, status: int, body: Any, times: int | None = 1) -> None:
        self.script.add(token, Answer(status, body, times=times))

    # ------------------------------------------------------------------ reading

    @property
    def tokens_issued(self) -> int:
        return len(self._issued.tokens)

    def write_service_account(self, path: Path | str, project_id: str | None = None) -> Path:
        """A service-account JSON with a fresh RSA key whose ``token_uri`` is this fake."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        project = project_id or self.project_id
        data = {
            "type": "service_account",
            "project_id": project,
            "private_key_id": "fake-key-1",
            "private_key": pem,
            "client_email": f"pagerline@{project}.iam.gserviceaccount.com",
            "client_id": "1",
            "token_uri": f"{self.url}/token",
        }
        path = Path(path)
        path.write_text(json.dumps(data))
        return path

    # ------------------------------------------------------------------ serving

    async def handle(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path == "/token":
            return self._issue_token()
        match = SEND_PATH.match(request.path)
        if request.method != "POST" or not match:
            return HttpResponse(404, google_error(404, f"no route {request.method} {request.path}"))
        try:
            body = request.json()
        except ValueError:
            return HttpResponse(400, google_error(400, "Invalid JSON payload received."))
        token = (body.get("message") or {}).get("token") if isinstance(body, dict) else None
        record = FcmRequest(
            match["project"], token, body if isinstance(body, dict) else {}, dict(request.headers), http_version=request.version
        )
        self.received.add(record)
        answer = await self.scripted(token)

        if match["project"] != self.project_id:
            response = HttpResponse(404, google_error(404, f"project {match['project']} not found"))
        elif not self._authorised(request):
            response = HttpResponse(401, google_error(401, "Request had invalid authentication credentials."))
        elif answer is not None and answer.status != 200:
            response = HttpResponse(answer.status, answer.payload)
        elif not token:
            response = HttpResponse(400, google_error(400, "Recipient of the message is not set.", "INVALID_ARGUMENT"))
        else:
            with self._counter_lock:
                self._counter += 1
                number = self._counter
            record.name = f"projects/{self.project_id}/messages/0:{number}"
            response = HttpResponse(200, {"name": record.name})
        record.status = response.status
        return response

    def _authorised(self, request: HttpRequest) -> bool:
        if not self._issued.tokens:
            return True  # anonymous credentials (tests): nothing to check
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        with self._issued.lock:
            return scheme.lower() == "bearer" and value in self._issued.tokens

    def _issue_token(self) -> HttpResponse:
        import secrets

        token = "ya29.fake-" + secrets.token_urlsafe(16)
        with self._issued.lock:
            self._issued.tokens.add(token)
        return HttpResponse(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})
