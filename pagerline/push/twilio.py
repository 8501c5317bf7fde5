"""SMS and voice calls through Twilio's REST API, plus the TwiML the voice callbacks answer with.

The ``twilio`` client is synchronous and only knows ``*.twilio.com`` (STACK_NOTES.md), so the two
REST endpoints are called with httpx against ``PAGERLINE_TWILIO_BASE_URL``; the ``twilio``
package is used for TwiML only (and, in the callback routes, ``RequestValidator``).

Callback URLs are built from ``PAGERLINE_PUBLIC_URL`` because Twilio signs the exact URL it
calls: the voice TwiML at ``/api/twilio/voice?n=<notification id>`` and the status callback at
``/api/twilio/status?n=<notification id>`` (the routes live in :mod:`pagerline.api`).

No request is retried here: a 5xx or a timeout may come after Twilio queued the SMS or placed
the call, and a page sent twice is worse than one sent a little later by the engine's retry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx
from twilio.twiml.voice_response import Gather, VoiceResponse

from pagerline.models import Channel
from pagerline.push.base import DeliveryResult, OutgoingMessage, Outcome
from pagerline.push.http import LoopClient, json_object, refused, unreachable

if TYPE_CHECKING:
    from pagerline.settings import Settings

DEFAULT_CONCURRENCY = 16
DEFAULT_TIMEOUT = 10.0
SMS_MAX_CHARS = 1600  # Twilio refuses longer bodies (error 21617)
VOICE_PROMPT = "Press 1 to accept, press 2 to resolve."


def twiml_page(text: str, action_url: str) -> str:
    """TwiML for a paging call: say ``text`` and the key prompt, wait for one digit (posted to
    ``action_url`` as ``Digits``), ask once more, then hang up."""
    response = VoiceResponse()
    for _ in range(2):
        gather = Gather(num_digits=1, action=action_url, method="POST", timeout=5)
        gather.say(text)
        gather.say(VOICE_PROMPT)
        response.append(gather)
    response.say("No input received. Goodbye.")
    response.hangup()
    return str(response)


def twiml_say(text: str) -> str:
    """TwiML that says ``text`` and hangs up (the answer to a keypress)."""
    response = VoiceResponse()
    response.say(text)
    response.hangup()
    return str(response)


def voice_url(public_url: str, notification_id: int) -> str:
    return f"{public_url.rstrip('/')}/api/twilio/voice?n={notification_id}"


def status_url(public_url: str, notification_id: int) -> str:
    return f"{public_url.rstrip('/')}/api/twilio/status?n={notification_id}"


def sms_body(text: str) -> str:
    return text if len(text) <= SMS_MAX_CHARS else text[: SMS_MAX_CHARS - 1] + "…"


class TwilioTransport:
    """Sends Channel.SMS as a Twilio Message and Channel.VOICE as a Twilio Call.

    ``from_number``: the Twilio number (E.164) or messaging service the texts and calls come
    from. ``public_url``: where Twilio reaches pagerline's callbacks. ``base_url``: Twilio's API
    or a compatible one. ``concurrency``: requests in flight at once.
    """

    name = "twilio"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str,
        public_url: str,
        base_url: str = "https://api.twilio.com",
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.account_sid = account_sid
        self.from_number = from_number
        self.public_url = public_url.rstrip("/")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._http = LoopClient(
            concurrency,
            base_url=self.base_url,
            auth=httpx.BasicAuth(account_sid, auth_token),
            timeout=timeout,
            headers={"Accept": "application/json"},
        )
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> TwilioTransport:
        missing = [
            f"PAGERLINE_TWILIO_{name.upper()}"
            for name in ("account_sid", "auth_token", "from")
            if not getattr(settings, f"twilio_{name}")
        ]
        if missing:
            raise ValueError(f"Twilio is not fully configured: set {', '.join(missing)}")
        kwargs: dict[str, Any] = {
            "account_sid": settings.twilio_account_sid,
            "auth_token": settings.twilio_auth_token,
            "from_number": settings.twilio_from,
            "public_url": settings.public_url,
            "base_url": settings.twilio_base_url,
        }
        kwargs.update(overrides)
        return cls(**kwargs)

    def _account_path(self, resource: str) -> str:
        return f"/2010-04-01/Accounts/{quote(self.account_sid, safe='')}/{resource}.json"

    def request_for(self, message: OutgoingMessage) -> tuple[str, dict[str, str]]:
        """The path and form fields for ``message`` (pure; the tests compare with the fake)."""
        to = message.destination.address
        if message.channel is Channel.SMS:
            return self._account_path("Messages"), {
                "To": to,
                "From": self.from_number,
                "Body": sms_body(message.body),
                "StatusCallback": status_url(self.public_url, message.notification_id),
            }
        if message.channel is Channel.VOICE:
            return self._account_path("Calls"), {
                "To": to,
                "From": self.from_number,
                "Url": voice_url(self.public_url, message.notification_id),
                "Method": "POST",
                "StatusCallback": status_url(self.public_url, message.notification_id),
                "StatusCallbackMethod": "POST",
                "StatusCallbackEvent": "completed",
            }
        raise ValueError(f"Twilio does not send {message.channel.value}")

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        if self._closed:
            raise RuntimeError("TwilioTransport is closed")
        try:
            path, form = self.request_for(message)
        except ValueError as exc:
            return DeliveryResult(Outcome.FAILED, str(exc))
        async with self._http.slot() as client:
            try:
                response = await client.post(path, data=form)
            except httpx.HTTPError as exc:
                return unreachable("Twilio", exc, self.timeout)
        return _map_response(response)

    async def close(self) -> None:
        self._closed = True
        await self._http.aclose()


def _map_response(response: httpx.Response) -> DeliveryResult:
    body = json_object(response)
    if response.is_success:
        return DeliveryResult(Outcome.DELIVERED, provider_id=str(body.get("sid") or ""))
    code = body.get("code")
    text = str(body.get("message") or response.reason_phrase or "error")
    return refused(response, f"Twilio {response.status_code}" + (f" ({code})" if code else "") + f": {text}")
