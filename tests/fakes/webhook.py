"""A webhook receiver such as a customer would run: it checks ``X-Pagerline-Signature``
(``sha256=`` + hex HMAC-SHA256 of the raw body, keyed with the action's secret) on its own,
answers 401 when it does not match, records every call and answers what the test scripts.

    with FakeWebhookReceiver(secret) as receiver:
        receiver.fail(500, times=2)          # the next two calls get HTTP 500
        ...
        [call] = receiver.delivered()        # the calls it answered with 2xx
        assert call.signature_ok
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from tests.fakes import Answer, HttpFake, HttpRequest, HttpResponse


@dataclass
class WebhookCall:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    status: int = 0

    def json(self) -> Any:
        return json.loads(self.body)


class FakeWebhookReceiver(HttpFake):
    name = "fake-webhook-receiver"

    def __init__(self, secret: str = "", *, max_records: int = 10_000) -> None:
        super().__init__(max_records=max_records)
        self.secret = secret

    def fail(self, status: int, times: int | None = 1) -> None:
        self.script.add(self.script.ANY, Answer(status, {"error": "scripted"}, times=times))

    def delivered(self) -> list[WebhookCall]:
        return [c for c in list(self.received) if 200 <= c.status < 300]

    def _signature_ok(self, request: HttpRequest) -> bool:
        expected = "sha256=" + hmac.new(self.secret.encode(), request.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, request.headers.get("x-pagerline-signature", ""))

    async def handle(self, request: HttpRequest) -> HttpResponse:
        call = WebhookCall(request.path, dict(request.headers), request.body, self._signature_ok(request))
        self.received.add(call)
        answer = self.script.take(None)
        await self.script.wait(answer)
        if self.secret and not call.signature_ok:
            response = HttpResponse(401, {"error": "bad signature"})
        elif answer is not None:
            response = HttpResponse(answer.status, answer.payload)
        else:
            response = HttpResponse(200, {"ok": True})
        call.status = response.status
        return response
