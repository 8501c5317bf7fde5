"""A fake browser push service (RFC 8030) and the browser side of a subscription.

The service takes ``POST /push/<id>`` over HTTPS (a self-signed certificate; clients trust it
through ``SSL_CERT_FILE``) as Firebase, Mozilla, Microsoft and Apple do: it insists on ``TTL``,
``Content-Encoding: aes128gcm`` and a VAPID ``Authorization`` header whose JWT verifies with the
key in ``k=`` (401 otherwise), refuses bodies over 4096 bytes (413), answers 201 with a
``Location``, and plays 404/410/429/5xx when scripted. It keeps the encrypted body: the *test*
decrypts it with the subscription's private key (:class:`BrowserSubscription`), as a browser
would, so the encryption is checked end to end.

    with FakeWebPush() as service:
        browser = service.subscribe()          # a browser's key pair and auth secret
        browser.json()                          # what PushSubscription.toJSON() returns
        service.gone(browser)                   # 410 Gone, every time
        push = service.received[0]
        browser.decrypt(push)                   # the JSON the service worker would get
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.fakes import Answer, HttpRequest, HttpResponse, PushFake

PUSH_PATH = re.compile(r"^/push/(?P<id>[A-Za-z0-9_-]+)$")
MAX_BODY = 4096  # RFC 8030 section 7.2: a push service must accept at least 4096 bytes


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class WebPushRequest:
    """One push as received: ``token`` is the subscription id in the path."""

    token: str
    headers: dict[str, str]
    body: bytes
    status: int | None = None
    location: str = ""

    @property
    def authorization(self) -> dict[str, str]:
        """``vapid t=…, k=…`` as ``{"t": …, "k": …}`` (empty when the scheme is not vapid)."""
        scheme, _, rest = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "vapid":
            return {}
        return {k.strip(): v.strip() for k, _, v in (p.partition("=") for p in rest.split(","))}

    def vapid_claims(self) -> dict[str, Any]:
        """The JWT's claims once its ES256 signature verified with the ``k=`` key (raises if not)."""
        auth = self.authorization
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(auth["k"]))
        return dict(jwt.decode(auth["t"], public, algorithms=["ES256"], options={"verify_aud": False, "verify_exp": False}))


@dataclass
class BrowserSubscription:
    """What a browser keeps for one subscription: the endpoint, its ECDH key pair and the
    16-byte auth secret (RFC 8291)."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    @property
    def id(self) -> str:
        return self.endpoint.rsplit("/", 1)[1]

    @property
    def p256dh(self) -> str:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return _b64(point)

    def json(self, expiration_time: float | None = None) -> dict[str, Any]:
        """``PushSubscription.toJSON()``."""
        return {"endpoint": self.endpoint, "expirationTime": expiration_time, "keys": {"p256dh": self.p256dh, "auth": _b64(self.auth_secret)}}

    def decrypt(self, push: WebPushRequest) -> dict[str, Any]:
        """The payload the service worker's ``push`` event would see, as JSON."""
        plain = http_ece.decrypt(push.body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm")
        return dict(json.loads(plain.decode("utf-8")))


class FakeWebPush(PushFake[WebPushRequest]):
    name = "fake-webpush"

    def __init__(self, *, delay: float = 0.0, max_records: int = 10_000, clock: Callable[[], float] = time.time) -> None:
        """``clock``: the service's view of now (Unix seconds), which a JWT's ``exp`` may be at
        most 24 hours past (RFC 8292 section 2)."""
        super().__init__(delay=delay, max_records=max_records, tls=True)
        self.clock = clock
        self._counter = 0
        self._lock = threading.Lock()

    def subscribe(self) -> BrowserSubscription:
        """A new subscription at this service, as a browser would make it."""
        return BrowserSubscription(f"{self.url}/push/{_b64(os.urandom(12))}", ec.generate_private_key(ec.SECP256R1()), os.urandom(16))

    # ------------------------------------------------------------------ scripts

    def gone(self, browser: BrowserSubscription, status: int = 410, times: int | None = None) -> None:
        """The subscription expired or was unsubscribed: 410 Gone (or 404)."""
        self.script.add(browser.id, Answer(status, b"", times=times))

    def too_many(self, browser: BrowserSubscription, retry_after: int = 30, times: int | None = 1) -> None:
        self.script.add(browser.id, Answer(429, {"retry_after": retry_after}, times=times))

    def fail(self, browser: BrowserSubscription, status: int = 503, times: int | None = 1) -> None:
        self.script.add(browser.id, Answer(status, b"unavailable", times=times))

    def for_browser(self, browser: BrowserSubscription) -> list[WebPushRequest]:
        return self.for_token(browser.id)

    # ------------------------------------------------------------------ serving

    async def handle(self, request: HttpRequest) -> HttpResponse:
        match = PUSH_PATH.match(request.path)
        if request.method != "POST" or not match:
            return HttpResponse(404, b"no such subscription")
        record = WebPushRequest(match["id"], dict(request.headers), request.body)
        self.received.add(record)
        answer = await self.scripted(record.token)
        response = self._check(record, request)
        if response is None and answer is not None and answer.status != 200:
            headers = {"Retry-After": str(answer.payload["retry_after"])} if answer.status == 429 else {}
            body = answer.payload if isinstance(answer.payload, bytes) else b"too many requests"
            response = HttpResponse(answer.status, body, headers)
        if response is None:
            with self._lock:
                self._counter += 1
                record.location = f"{self.url}/message/{self._counter}"
            response = HttpResponse(201, b"", {"Location": record.location})
        record.status = response.status
        return response

    def _check(self, record: WebPushRequest, request: HttpRequest) -> HttpResponse | None:
        """What a real push service refuses, before any scripted answer."""
        if "ttl" not in record.headers or not record.headers["ttl"].isdigit():
            return HttpResponse(400, b"TTL header required")
        if len(record.body) > MAX_BODY:
            return HttpResponse(413, b"payload too large")
        if record.body and record.headers.get("content-encoding") != "aes128gcm":
            return HttpResponse(400, b"unsupported content encoding")
        try:
            claims = record.vapid_claims()
        except Exception:
            return HttpResponse(401, b"missing or invalid VAPID authorization")
        if claims.get("aud") != self.url or not claims.get("sub") or not self.clock() < int(claims.get("exp", 0)) <= self.clock() + 86400:
            return HttpResponse(403, b"VAPID claims rejected")
        return None
