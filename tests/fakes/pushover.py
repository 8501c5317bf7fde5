"""A fake Pushover API: ``POST /1/messages.json``, ``POST /1/receipts/{receipt}/cancel.json`` and
``POST /1/users/validate.json``, form-encoded as Pushover takes them (https://pushover.net/api,
https://pushover.net/api/receipts).

It answers like Pushover: 200 ``{"status": 1, "request": ...}`` (plus a 30-character
``receipt`` for an emergency-priority message), and a refusal as HTTP 400 ``{"status": 0,
"errors": [...], "<field>": "invalid", "request": ...}``: a wrong application token, an unknown
user key, a missing message, priority 2 without ``retry`` (at least 30) and ``expire`` (at most
10,800), an unknown receipt. User keys are known once :meth:`FakePushover.user` made them.
Answers are scripted per user key (or receipt, for a cancel): :meth:`FakePushover.rate_limit`
(429 with ``Retry-After``), :meth:`FakePushover.error`, :meth:`FakePushover.slow`,
:meth:`FakePushover.hold`; ``delay`` slows every answer. Emergencies are kept like the
records: at most ``max_records``, the oldest forgotten.

It also plays Pushover's part when a responder acknowledges an emergency page:
:meth:`FakePushover.acknowledge` POSTs the message's ``callback`` URL with the form fields
Pushover sends (``receipt``, ``acknowledged``, ``acknowledged_at``, ``acknowledged_by``,
``acknowledged_by_device``).

    with FakePushover(app_token="a" * 30) as pushover:
        alice = pushover.user()
        ...
        [page] = pushover.messages_to(alice)
        pushover.acknowledge(page.receipt)
        assert pushover.emergencies[page.receipt].cancelled
"""

from __future__ import annotations

import asyncio
import re
import secrets
import string
import time
from dataclasses import dataclass
from typing import Any

import httpx

from tests.fakes import Answer, HttpFake, HttpRequest, HttpResponse

CANCEL = re.compile(r"^/1/receipts/(?P<receipt>[^/]+)/cancel\.json$")
ALPHABET = string.ascii_letters + string.digits


def _key() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(30))


def refusal(field: str, error: str, request_id: str = "") -> dict[str, Any]:
    return {field: "invalid", "errors": [error], "status": 0, "request": request_id or secrets.token_hex(16)}


@dataclass
class PushoverRequest:
    """One API request: ``resource`` is "messages", "cancel" or "validate"; ``form`` the last
    value of each field; ``status`` what the fake answered; ``receipt`` the emergency receipt it
    gave (messages) or was asked to cancel."""

    resource: str
    form: dict[str, str]
    headers: dict[str, str]
    status: int | None = None
    receipt: str = ""


@dataclass
class Emergency:
    """An emergency-priority message Pushover keeps repeating until acknowledged, cancelled or expired."""

    receipt: str
    user: str
    callback: str
    acknowledged: bool = False
    cancelled: bool = False


class FakePushover(HttpFake):
    name = "fake-pushover"

    def __init__(self, *, app_token: str = "azGDORePK8gMaC0QOYAMyEEuzJnyUi", delay: float = 0.0, max_records: int = 10_000) -> None:
        super().__init__(max_records=max_records)
        self.app_token = app_token
        self.delay = delay  # seconds before every answer (a server's round trip, for benchmarks)
        self.max_records = max_records
        self.users: dict[str, list[str]] = {}  # user key -> device names
        self.emergencies: dict[str, Emergency] = {}

    def user(self, devices: tuple[str, ...] = ("pixel",)) -> str:
        """A new user key Pushover knows, with these devices."""
        key = "u" + _key()[1:]
        self.users[key] = list(devices)
        return key

    # ------------------------------------------------------------------ scripts (keyed by user key or receipt)

    def rate_limit(self, key: str, retry_after: int | None = 9, times: int | None = 1) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = {"status": 0, "errors": ["application has exceeded its message limit"], "request": secrets.token_hex(16)}
        self.script.add(key, Answer(429, (body, headers), times=times))

    def error(self, key: str, status: int, errors: list[str], times: int | None = 1) -> None:
        body = {"status": 0, "errors": errors, "request": secrets.token_hex(16)}
        self.script.add(key, Answer(status, (body, {}), times=times))

    def slow(self, key: str, seconds: float, times: int | None = 1) -> None:
        self.script.add(key, Answer(200, None, delay=seconds, times=times))

    def hold(self, key: str, times: int | None = 1) -> None:
        self.script.add(key, Answer(200, None, hold=True, times=times))

    # ------------------------------------------------------------------ reading

    def messages_to(self, user: str) -> list[PushoverRequest]:
        return [r for r in list(self.received) if r.resource == "messages" and r.form.get("user") == user]

    def cancels(self, receipt: str | None = None) -> list[PushoverRequest]:
        return [r for r in list(self.received) if r.resource == "cancel" and (receipt is None or r.receipt == receipt)]

    # ------------------------------------------------------------------ callbacks to us

    def acknowledgement(self, receipt: str, device: str = "") -> dict[str, str]:
        """The form Pushover posts to the callback URL once ``receipt`` is acknowledged."""
        emergency = self.emergencies[receipt]
        return {
            "receipt": receipt,
            "acknowledged": "1",
            "acknowledged_at": str(int(time.time())),
            "acknowledged_by": emergency.user,
            "acknowledged_by_device": device or (self.users.get(emergency.user) or ["phone"])[0],
        }

    def acknowledge(self, receipt: str, *, device: str = "", post_to: str | None = None, client: Any = None) -> Any:
        """The responder pressed Acknowledge: Pushover stops repeating the message and POSTs its
        ``callback`` URL, form-encoded. ``post_to``: send there instead (the internal address
        behind a proxy). ``client``: anything with ``.post(url, data=...)``. Returns the response."""
        emergency = self.emergencies[receipt]
        assert emergency.callback, "the message was sent without a callback URL"
        emergency.acknowledged = True
        form = self.acknowledgement(receipt, device)
        target = post_to or emergency.callback
        if client is not None:
            return client.post(target, data=form)
        with httpx.Client(timeout=10) as http:
            return http.post(target, data=form)

    # ------------------------------------------------------------------ serving

    async def handle(self, request: HttpRequest) -> HttpResponse:
        form = request.form() if request.method == "POST" else {}
        cancel = CANCEL.match(request.path)
        resource = {"/1/messages.json": "messages", "/1/users/validate.json": "validate"}.get(request.path, "cancel" if cancel else "")
        record = PushoverRequest(resource, form, dict(request.headers), receipt=cancel["receipt"] if cancel else "")
        self.received.add(record)
        answer = self.script.take(record.receipt or form.get("user") or None)
        await self.script.wait(answer)
        if self.delay:
            await asyncio.sleep(self.delay)
        response = self._answer(request, record, answer)
        record.status = response.status
        return response

    def _answer(self, request: HttpRequest, record: PushoverRequest, answer: Answer | None) -> HttpResponse:
        if request.method != "POST" or not record.resource:
            return HttpResponse(404, {"status": 0, "errors": ["not found"], "request": secrets.token_hex(16)})
        if answer is not None and answer.status >= 300:
            payload, headers = answer.payload
            return HttpResponse(answer.status, payload, dict(headers))
        form = record.form
        if form.get("token") != self.app_token:
            return HttpResponse(400, refusal("token", "application token is invalid"))
        if record.resource == "cancel":
            emergency = self.emergencies.get(record.receipt)
            if emergency is None:
                return HttpResponse(400, refusal("receipt", "receipt not found; may be invalid or expired"))
            emergency.cancelled = True
            return HttpResponse(200, {"status": 1, "request": secrets.token_hex(16)})
        if form.get("user") not in self.users:
            return HttpResponse(400, refusal("user", "user identifier is not a valid user, group, or subscribed user key"))
        if record.resource == "validate":
            return HttpResponse(200, {"status": 1, "group": 0, "devices": self.users[form["user"]], "licenses": ["Android"],
                                      "request": secrets.token_hex(16)})
        return self._message(form, record)

    def _message(self, form: dict[str, str], record: PushoverRequest) -> HttpResponse:
        if not form.get("message"):
            return HttpResponse(400, refusal("message", "message cannot be blank"))
        priority = form.get("priority", "0")
        if priority not in ("-2", "-1", "0", "1", "2"):
            return HttpResponse(400, refusal("priority", "priority is invalid"))
        body: dict[str, Any] = {"status": 1, "request": secrets.token_hex(16)}
        if priority == "2":
            if not form.get("retry", "").isdigit() or int(form["retry"]) < 30:
                return HttpResponse(400, refusal("retry", "retry must be supplied with priority=2 and be at least 30 seconds"))
            if not form.get("expire", "").isdigit() or not 0 < int(form["expire"]) <= 10800:
                return HttpResponse(400, refusal("expire", "expire must be supplied with priority=2 and be at most 10800 seconds"))
            callback = form.get("callback", "")
            if callback and not callback.startswith(("http://", "https://")):
                return HttpResponse(400, refusal("callback", "callback is not a valid URL"))
            record.receipt = _key()
            self.emergencies[record.receipt] = Emergency(record.receipt, form["user"], callback)
            # Kept like the records (at most ``max_records``, the oldest forgotten: a cancel
            # of one is then "receipt not found", as for an expired one), so a long run stays small.
            while len(self.emergencies) > self.max_records:
                del self.emergencies[next(iter(self.emergencies))]
            body["receipt"] = record.receipt
        return HttpResponse(200, body)
