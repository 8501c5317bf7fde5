"""TwilioTransport over httpx against the fake Twilio REST API; TwiML; signed callbacks."""

from __future__ import annotations

import asyncio
import base64
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator

import pytest
from twilio.request_validator import RequestValidator

from pagerline.models import Channel
from pagerline.push.base import Destination, Outcome
from pagerline.push.registry import build_transports
from pagerline.push.twilio import TwilioTransport, twiml_page, twiml_say
from pagerline.settings import Settings
from tests.fakes import HttpFake, HttpRequest, HttpResponse, free_port, wait_until
from tests.fakes.twilio import FakeTwilio
from tests.push import page

SID, TOKEN, FROM = "AC" + "1f" * 16, "auth-token-42", "+15005550006"
PUBLIC = "https://pager.example.com"
PHONE = "+491701234567"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio(account_sid=SID, auth_token=TOKEN) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(fake: FakeTwilio) -> Iterator[None]:
    with fake.for_one_test():
        yield


@pytest.fixture
async def twilio(fake: FakeTwilio) -> AsyncIterator[TwilioTransport]:
    transport = TwilioTransport(account_sid=SID, auth_token=TOKEN, from_number=FROM, public_url=PUBLIC + "/", base_url=fake.url, timeout=3)
    yield transport
    await transport.close()


def sms(body: str = "[HIGH] Database disk full (#K7Q2). Reply 1K7Q2 to accept, 2K7Q2 to resolve.", **overrides: object):
    return page(Destination(address=PHONE), channel=Channel.SMS, body=body, **overrides)


async def test_sms_posts_the_documented_form_with_basic_auth(fake: FakeTwilio, twilio: TwilioTransport) -> None:
    result = await twilio.send(sms())

    [request] = fake.messages_to(PHONE)
    assert (result.outcome, result.provider_id) == (Outcome.DELIVERED, request.sid)
    assert request.sid.startswith("SM") and len(request.sid) == 34
    assert request.account_sid == SID and request.auth_ok
    assert request.headers["authorization"] == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form_lists == {
        "To": [PHONE],
        "From": [FROM],
        "Body": ["[HIGH] Database disk full (#K7Q2). Reply 1K7Q2 to accept, 2K7Q2 to resolve."],
        "StatusCallback": [f"{PUBLIC}/api/twilio/status?n=1001"],
    }


async def test_voice_call_posts_twiml_url_and_status_callback(fake: FakeTwilio, twilio: TwilioTransport) -> None:
    result = await twilio.send(page(Destination(address=PHONE), channel=Channel.VOICE, notification_id=77))

    [request] = fake.calls_to(PHONE)
    assert (result.outcome, result.provider_id) == (Outcome.DELIVERED, request.sid)
    assert request.sid.startswith("CA") and request.auth_ok
    assert request.form_lists == {
        "To": [PHONE],
        "From": [FROM],
        "Url": [f"{PUBLIC}/api/twilio/voice?n=77"],
        "Method": ["POST"],
        "StatusCallback": [f"{PUBLIC}/api/twilio/status?n=77"],
        "StatusCallbackMethod": ["POST"],
        "StatusCallbackEvent": ["completed"],
    }


async def test_sms_body_is_cut_to_twilios_1600_characters(fake: FakeTwilio, twilio: TwilioTransport) -> None:
    result = await twilio.send(sms("x" * 2000))
    assert result.outcome is Outcome.DELIVERED  # the fake refuses > 1600 like Twilio (21617)
    body = fake.messages_to(PHONE)[0].form["Body"]
    assert (len(body), body[-2:]) == (1600, "x…")


async def test_invalid_number_fails_with_twilios_message(fake: FakeTwilio, twilio: TwilioTransport) -> None:
    fake.error(PHONE, 400, 21211, "The 'To' number +491701234567 is not a valid phone number.")
    result = await twilio.send(sms())
    assert (result.outcome, result.destination_dead) == (Outcome.FAILED, False)
    assert result.reason == "Twilio 400 (21211): The 'To' number +491701234567 is not a valid phone number."


@pytest.mark.parametrize(("status", "code", "text"), [(429, 20429, "Too Many Requests"), (503, 20503, "Service Unavailable"), (500, 20500, "Internal Server Error")])
async def test_rate_limit_and_server_errors_are_retry_and_not_repeated(
    fake: FakeTwilio, twilio: TwilioTransport, status: int, code: int, text: str
) -> None:
    fake.error(PHONE, status, code, text, times=None)
    result = await twilio.send(sms())
    assert (result.outcome, result.reason) == (Outcome.RETRY, f"Twilio {status} ({code}): {text}")
    assert [r.status for r in fake.messages_to(PHONE)] == [status]  # a 5xx may follow a queued SMS: no resend here


async def test_wrong_credentials_fail(fake: FakeTwilio) -> None:
    transport = TwilioTransport(account_sid=SID, auth_token="wrong", from_number=FROM, public_url=PUBLIC, base_url=fake.url)
    try:
        result = await transport.send(sms())
        assert (result.outcome, result.reason) == (Outcome.FAILED, "Twilio 401 (20003): Authenticate")
        assert fake.messages_to(PHONE)[0].auth_ok is False
    finally:
        await transport.close()


async def test_timeout_is_retry_and_the_request_was_made_once(fake: FakeTwilio) -> None:
    transport = TwilioTransport(account_sid=SID, auth_token=TOKEN, from_number=FROM, public_url=PUBLIC, base_url=fake.url, timeout=0.3)
    try:
        fake.hold(PHONE)
        result = await transport.send(sms())
        assert (result.outcome, result.reason) == (Outcome.RETRY, "Twilio timed out after 0.3s")
        fake.release()
        await asyncio.to_thread(wait_until, lambda: fake.messages_to(PHONE)[0].status == 201, 5, 0.005, "held answer")
        assert len(fake.messages_to(PHONE)) == 1
    finally:
        await transport.close()


async def test_unreachable_twilio_is_retry() -> None:
    transport = TwilioTransport(account_sid=SID, auth_token=TOKEN, from_number=FROM, public_url=PUBLIC,
                                base_url=f"http://127.0.0.1:{free_port()}")
    try:
        result = await transport.send(sms())
        assert result.outcome is Outcome.RETRY and result.reason.startswith("Twilio unreachable: ConnectError")
    finally:
        await transport.close()


async def test_push_and_email_are_not_twilios(twilio: TwilioTransport) -> None:
    result = await twilio.send(page(Destination(address="x@example.com"), channel=Channel.EMAIL))
    assert (result.outcome, result.reason) == (Outcome.FAILED, "Twilio does not send EMAIL")


async def test_concurrency_limit(fake: FakeTwilio) -> None:
    transport = TwilioTransport(account_sid=SID, auth_token=TOKEN, from_number=FROM, public_url=PUBLIC, base_url=fake.url, concurrency=2)
    try:
        numbers = [f"+4917000000{i}" for i in range(6)]
        for number in numbers:
            fake.slow(number, 0.05)
        results = await asyncio.gather(*(transport.send(page(Destination(address=n), channel=Channel.SMS)) for n in numbers))
        assert [r.outcome for r in results] == [Outcome.DELIVERED] * 6
        assert fake.max_in_flight == 2
    finally:
        await transport.close()


def test_twiml_page_gathers_one_digit_twice_then_hangs_up() -> None:
    action = "https://pager.example.com/api/twilio/voice?n=77&step=digits"
    root = ET.fromstring(twiml_page("Alert: database disk full.", action))

    assert root.tag == "Response"
    assert [child.tag for child in root] == ["Gather", "Gather", "Say", "Hangup"]
    for gather in root[:2]:
        assert gather.attrib == {"numDigits": "1", "action": action, "method": "POST", "timeout": "5"}
        assert [(say.tag, say.text) for say in gather] == [
            ("Say", "Alert: database disk full."),
            ("Say", "Press 1 to accept, press 2 to resolve."),
        ]
    assert root[2].text == "No input received. Goodbye."
    assert "&amp;step=digits" in twiml_page("x", action)  # the URL is escaped in the XML


def test_twiml_say() -> None:
    assert twiml_say("Alert accepted. Goodbye.") == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Alert accepted. Goodbye.</Say><Hangup /></Response>'
    )


class _CallbackReceiver(HttpFake):
    """Stands in for pagerline's callback route: validates like it must (public URL)."""

    async def handle(self, request: HttpRequest) -> HttpResponse:
        form = request.form()
        public = f"{PUBLIC}{request.target}"
        valid = RequestValidator(TOKEN).validate(public, form, request.headers.get("x-twilio-signature", ""))
        self.received.add((valid, request.target, form))
        return HttpResponse(200 if valid else 403, b"ok" if valid else b"bad signature")


def test_fake_signs_callbacks_that_twilios_validator_accepts(fake: FakeTwilio) -> None:
    """The callback arrives on an internal address but is signed over the public URL."""
    params = {"CallSid": "CA" + "0" * 32, "Digits": "1", "CallStatus": "in-progress", "To": PHONE}
    with _CallbackReceiver() as receiver:
        good = fake.callback(f"{PUBLIC}/api/twilio/voice?n=77", params, post_to=f"{receiver.url}/api/twilio/voice?n=77")
        moved = fake.callback(f"{PUBLIC}/api/twilio/voice?n=78", params, post_to=f"{receiver.url}/api/twilio/voice?n=77")
        forged = fake.callback(f"{PUBLIC}/api/twilio/voice?n=77", params, post_to=f"{receiver.url}/api/twilio/voice?n=77",
                               signature="AAAA")
        received = list(receiver.received)

    assert [good.status_code, moved.status_code, forged.status_code] == [200, 403, 403]
    assert received == [(True, "/api/twilio/voice?n=77", params)] + [(False, "/api/twilio/voice?n=77", params)] * 2


async def test_build_transports_uses_one_twilio_transport_for_sms_and_voice(fake: FakeTwilio) -> None:
    settings = Settings(twilio_account_sid=SID, twilio_auth_token=TOKEN, twilio_from=FROM, twilio_base_url=fake.url,
                        public_url="https://public.example.org")
    transports = build_transports(settings)
    try:
        sms_transport = transports.for_message(Channel.SMS)
        assert isinstance(sms_transport, TwilioTransport) and sms_transport is transports.for_message(Channel.VOICE)
        result = await sms_transport.send(page(Destination(address=PHONE), channel=Channel.VOICE, notification_id=5))
        assert result.outcome is Outcome.DELIVERED
        assert fake.calls_to(PHONE)[0].form["Url"] == "https://public.example.org/api/twilio/voice?n=5"
    finally:
        await transports.close()
