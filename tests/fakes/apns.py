"""A fake APNs server: ``POST /3/device/<token>`` over the shared fake's HTTP/2 over TLS
(:class:`tests.fakes.HttpFake` with ``tls=True``; h2 on an ``asyncio.Protocol``).

It behaves like Apple's where a client can tell: a self-signed certificate made at start
(trust ``.ca_file``), ALPN ``h2``, ``MAX_CONCURRENT_STREAMS`` 1000, the ``apns-id`` echoed in
every response (aioapns matches answers by it), 200 as a HEADERS frame that ends the stream,
errors as HEADERS plus one DATA frame ``{"reason": ...}`` (410 with a ``timestamp``). It checks
what Apple checks that our code controls: the provider token (ES256 JWT with ``kid``/``iss``,
when built with the key), the topic, the priority, the push type and the 4 KB payload limit.

    with FakeApns.for_account(ApnsAccount.new()) as apns:  # or FakeApns(public_key_pem=..., key_id=..., ...)
        transport = ApnsTransport(**apns.client_options())
        apns.dead("old-token")                      # 410 Unregistered
        apns.reject("bad", 400, "BadDeviceToken")
        apns.fail("flaky", 503)                     # one 503 ServiceUnavailable, then 200
        apns.hold("slow")                           # answer after apns.release()
        apns.received[0].headers["apns-priority"]; apns.received[0].payload["aps"]
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from tests.fakes import DEFAULT_MAX_RECORDS, Answer, HttpRequest, HttpResponse, PushFake

MAX_PAYLOAD_BYTES = 4096
PUSH_TYPES = frozenset({"alert", "background", "voip", "complication", "fileprovider", "mdm", "liveactivity"})


@dataclass
class ApnsRequest:
    """One push as received: the device token from the path, the request headers (pseudo
    headers included, e.g. ``:path``), the decoded payload (None if not JSON) and, once
    answered, the status and reason sent back."""

    token: str
    headers: dict[str, str]
    payload: dict[str, Any] | None
    raw: bytes
    apns_id: str
    status: int | None = None
    reason: str | None = None
    jwt_claims: dict[str, Any] | None = None


@dataclass(frozen=True)
class ApnsAccount:
    """Push credentials as Apple issues them to a developer team: the ES256 signing key (the
    ``.p8`` file's text), its key id, the team id and the app's bundle id (the topic); and the
    key's public half, with which a fake verifies the provider tokens signed with it."""

    key: str
    public_key: str
    key_id: str = "KEY123ABCD"
    team_id: str = "TEAM456XYZ"
    topic: str = "com.example.pagerline"

    @classmethod
    def new(cls) -> ApnsAccount:
        """An account with a freshly made signing key."""
        return cls(*make_apns_key())


class FakeApns(PushFake[ApnsRequest]):
    name = "fake-apns"
    alpn = ("h2",)  # Apple speaks HTTP/2 only

    def __init__(
        self,
        *,
        public_key_pem: str | bytes | None = None,
        key_id: str | None = None,
        team_id: str | None = None,
        topic: str | None = None,
        delay: float = 0.0,
        max_records: int = DEFAULT_MAX_RECORDS,
    ) -> None:
        super().__init__(delay=delay, max_records=max_records, tls=True)
        self.public_key_pem = public_key_pem
        self.key_id = key_id
        self.team_id = team_id
        self.topic = topic
        self.account: ApnsAccount | None = None

    @classmethod
    def for_account(cls, account: ApnsAccount, **options: Any) -> FakeApns:
        """A fake that accepts only ``account``'s provider tokens, for its topic."""
        fake = cls(public_key_pem=account.public_key, key_id=account.key_id, team_id=account.team_id, topic=account.topic, **options)
        fake.account = account
        return fake

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for a client (``ApnsTransport``) pushing as the fake's account to it."""
        assert self.account is not None, "make the fake with FakeApns.for_account"
        account = self.account
        return {
            "key": account.key, "key_id": account.key_id, "team_id": account.team_id, "topic": account.topic,
            "host": self.host, "port": self.port, "ca_file": self.ca_file,
        }

    # ------------------------------------------------------------------ scripts

    def reject(self, token: str, status: int, reason: str, times: int | None = None) -> None:
        self.script.add(token, Answer(status, reason, times=times))

    def dead(self, token: str, times: int | None = None) -> None:
        """The app was removed from the device: 410 Unregistered."""
        self.reject(token, 410, "Unregistered", times)

    def fail(self, token: str, status: int = 503, reason: str = "ServiceUnavailable", times: int | None = 1) -> None:
        self.reject(token, status, reason, times)

    # ------------------------------------------------------------------ serving

    async def handle(self, request: HttpRequest) -> HttpResponse:
        headers = {**request.pseudo, **request.headers}
        path = request.pseudo.get(":path", "")
        token = path.removeprefix("/3/device/") if path.startswith("/3/device/") else ""
        apns_id = headers.get("apns-id") or str(uuid.uuid4()).upper()
        try:
            payload = json.loads(request.body.decode("utf-8")) if request.body else None
        except ValueError:
            payload = None
        record = ApnsRequest(token, headers, payload if isinstance(payload, dict) else None, request.body, apns_id)
        self.received.add(record)
        answer = await self.scripted(token)
        status, reason = self._check(record)
        if status == 200 and answer is not None and answer.status != 200:
            status, reason = answer.status, str(answer.payload)
        record.status, record.reason = status, reason
        return _reply(status, apns_id, reason)

    def _check(self, record: ApnsRequest) -> tuple[int, str | None]:
        """What APNs itself would refuse, in the order it checks."""
        headers = record.headers
        if headers.get(":method") != "POST":
            return 405, "MethodNotAllowed"
        if not record.token:
            return 404, "BadPath"
        auth = headers.get("authorization", "")
        if self.public_key_pem is not None:
            if not auth.lower().startswith("bearer "):
                return 403, "MissingProviderToken"
            claims = self._verify_jwt(auth.split(" ", 1)[1])
            if claims is None:
                return 403, "InvalidProviderToken"
            record.jwt_claims = claims
        if self.topic is not None and headers.get("apns-topic") != self.topic:
            return 400, "TopicDisallowed" if headers.get("apns-topic") else "MissingTopic"
        if headers.get("apns-priority", "10") not in ("5", "10", "1"):
            return 400, "BadPriority"
        push_type = headers.get("apns-push-type")
        if push_type is not None and push_type not in PUSH_TYPES:
            return 400, "InvalidPushType"
        if push_type == "background" and headers.get("apns-priority") == "10":
            return 400, "BadPriority"
        collapse = headers.get("apns-collapse-id")
        if collapse is not None and len(collapse.encode()) > 64:
            return 400, "BadCollapseId"
        expiration = headers.get("apns-expiration")
        if expiration is not None and not expiration.isdigit():
            return 400, "BadExpirationDate"
        if len(record.raw) > MAX_PAYLOAD_BYTES:
            return 413, "PayloadTooLarge"
        if record.payload is None:
            return 400, "PayloadEmpty" if not record.raw else "BadMessage"
        return 200, None

    def _verify_jwt(self, token: str) -> dict[str, Any] | None:
        import jwt

        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, self.public_key_pem, algorithms=["ES256"], options={"require": ["iss", "iat"]})
        except jwt.PyJWTError:
            return None
        if self.key_id is not None and header.get("kid") != self.key_id:
            return None
        if self.team_id is not None and claims.get("iss") != self.team_id:
            return None
        return dict(claims)


def _reply(status: int, apns_id: str, reason: str | None) -> HttpResponse:
    """Apple's answer: ``apns-id`` echoed always (aioapns matches answers by it); success is
    headers alone, an error carries ``{"reason": ...}`` (and, for 410, when the token died)."""
    if reason is None:
        return HttpResponse(status, headers={"apns-id": apns_id})
    body: dict[str, Any] = {"reason": reason}
    if status == 410:
        body["timestamp"] = int(time.time() * 1000)
    return HttpResponse(status, body, {"apns-id": apns_id, "Content-Type": "application/json"})


def make_apns_key() -> tuple[str, str]:
    """A fresh ES256 signing key as Apple issues it (PKCS#8 PEM, the ``.p8`` file) and its
    public key PEM for the fake."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private, public
