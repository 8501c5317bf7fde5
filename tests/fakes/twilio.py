"""A fake Twilio REST API: ``POST /2010-04-01/Accounts/{sid}/Messages.json`` and ``/Calls.json``.

It checks HTTP basic auth (account SID and auth token) the way Twilio does (401, code 20003),
records the form fields, answers 201 with a ``sid`` (``SM…`` for texts, ``CA…`` for calls) and
Twilio's error JSON (``{"code", "message", "more_info", "status"}``) for scripted failures.

It can also play Twilio's part in the callbacks: :meth:`FakeTwilio.callback` POSTs form fields
to one of our URLs with a valid ``X-Twilio-Signature`` (computed by the twilio package's own
``RequestValidator`` over the *public* URL), optionally through another address or a test
client, as a reverse proxy would deliver it.

    with FakeTwilio(account_sid="AC123", auth_token="secret") as tw:
        tw.error("+15550001", 400, 21211, "The 'To' number is not a valid phone number.")
        ...
        call = tw.calls_to("+15550002")[0]
        tw.callback(call.form["Url"], {"CallSid": call.sid, "Digits": "1"}, client=test_client)
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from typing import Any

import httpx
from twilio.request_validator import RequestValidator

from tests.fakes import Answer, HttpFake, HttpRequest, HttpResponse

RESOURCE = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/(?P<resource>Messages|Calls)\.json$")


@dataclass
class TwilioRequest:
    """One REST request: ``resource`` is "Messages" or "Calls"; ``form`` the last value of
    each field, ``form_lists`` all of them; ``auth_ok`` whether basic auth matched."""

    account_sid: str
    resource: str
    form: dict[str, str]
    form_lists: dict[str, list[str]]
    headers: dict[str, str]
    auth_ok: bool
    status: int | None = None
    sid: str = ""


def twilio_error(status: int, code: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


class FakeTwilio(HttpFake):
    name = "fake-twilio"

    def __init__(self, *, account_sid: str = "AC" + "0" * 32, auth_token: str = "test-auth-token", max_records: int = 10_000) -> None:
        super().__init__(max_records=max_records)
        self.account_sid = account_sid
        self.auth_token = auth_token

    # ------------------------------------------------------------------ scripts (keyed by "To")

    def error(self, to: str, status: int, code: int, message: str, times: int | None = 1) -> None:
        self.script.add(to, Answer(status, twilio_error(status, code, message), times=times))

    def slow(self, to: str, seconds: float, times: int | None = 1) -> None:
        self.script.add(to, Answer(201, None, delay=seconds, times=times))

    def hold(self, to: str, times: int | None = 1) -> None:
        self.script.add(to, Answer(201, None, hold=True, times=times))

    # ------------------------------------------------------------------ reading

    def messages_to(self, to: str) -> list[TwilioRequest]:
        return [r for r in list(self.received) if r.resource == "Messages" and r.form.get("To") == to]

    def calls_to(self, to: str) -> list[TwilioRequest]:
        return [r for r in list(self.received) if r.resource == "Calls" and r.form.get("To") == to]

    # ------------------------------------------------------------------ callbacks to us

    def signature(self, url: str, params: dict[str, str]) -> str:
        return str(RequestValidator(self.auth_token).compute_signature(url, params))

    def callback(
        self,
        url: str,
        params: dict[str, str],
        *,
        post_to: str | None = None,
        client: Any = None,
        signature: str | None = None,
    ) -> Any:
        """POST ``params`` (form-encoded) to ``url`` signed as Twilio signs it.

        ``post_to``: the address to actually send to (the signature still covers ``url``, the
        public one). ``client``: anything with ``.post(url, data=..., headers=...)`` such as
        Starlette's ``TestClient`` (default: a fresh ``httpx.Client``). ``signature``: send this
        instead (to test that a wrong one is refused). Returns the client's response."""
        headers = {"X-Twilio-Signature": signature if signature is not None else self.signature(url, params)}
        target = post_to or url
        if client is not None:
            return client.post(target, data=params, headers=headers)
        with httpx.Client(timeout=10) as http:
            return http.post(target, data=params, headers=headers)

    # ------------------------------------------------------------------ serving

    async def handle(self, request: HttpRequest) -> HttpResponse:
        match = RESOURCE.match(request.path)
        if request.method != "POST" or not match:
            return HttpResponse(404, twilio_error(404, 20404, f"The requested resource {request.path} was not found"))
        form_lists = request.form_lists()
        form = {k: v[-1] for k, v in form_lists.items()}
        record = TwilioRequest(match["sid"], match["resource"], form, form_lists, dict(request.headers), self._auth_ok(request))
        self.received.add(record)
        answer = self.script.take(form.get("To"))
        await self.script.wait(answer)

        if not record.auth_ok or match["sid"] != self.account_sid:
            response = HttpResponse(401, twilio_error(401, 20003, "Authenticate"))
        elif answer is not None and answer.status >= 300:
            response = HttpResponse(answer.status, answer.payload)
        elif not form.get("To") or not form.get("From"):
            response = HttpResponse(400, twilio_error(400, 21604, "A 'To' and a 'From' phone number are required."))
        elif match["resource"] == "Messages":
            if not form.get("Body"):
                response = HttpResponse(400, twilio_error(400, 21602, "Message body is required."))
            elif len(form["Body"]) > 1600:
                response = HttpResponse(400, twilio_error(400, 21617, "The concatenated message body exceeds the 1600 character limit."))
            else:
                record.sid = "SM" + secrets.token_hex(16)
                response = HttpResponse(201, self._resource(record, "queued", body=form["Body"]))
        else:
            if not (form.get("Url") or form.get("Twiml")):
                response = HttpResponse(400, twilio_error(400, 21205, "Url parameter is required."))
            else:
                record.sid = "CA" + secrets.token_hex(16)
                response = HttpResponse(201, self._resource(record, "queued"))
        record.status = response.status
        return response

    def _auth_ok(self, request: HttpRequest) -> bool:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return False
        return user == self.account_sid and password == self.auth_token

    def _resource(self, record: TwilioRequest, status: str, **extra: Any) -> dict[str, Any]:
        kind = "Messages" if record.sid.startswith("SM") else "Calls"
        return {
            "sid": record.sid,
            "account_sid": self.account_sid,
            "to": record.form.get("To"),
            "from": record.form.get("From"),
            "status": status,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/{kind}/{record.sid}.json",
            **extra,
        }
