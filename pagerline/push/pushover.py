"""Pages through Pushover: emergency priority for HIGH pages, the receipt cancelled when the
alert is handled elsewhere, and the user key checked before it is used.

Pushover's API takes form fields and answers JSON: ``{"status": 1, "request": ...}`` on success
(plus ``"receipt"`` for an emergency-priority message), and on a refusal an HTTP 4xx with
``{"status": 0, "errors": [...], "<field>": "invalid", "request": ...}``. Calls used here:

- ``POST /1/messages.json`` (``token``, ``user``, ``title``, ``message``, ``priority``, ``url``,
  ``url_title``; for priority 2 also ``retry``, ``expire`` and ``callback``);
- ``POST /1/receipts/{receipt}/cancel.json`` (``token``): stops an emergency message repeating;
- ``POST /1/users/validate.json`` (``token``, ``user``): is this a user (or group) key?

A HIGH page is emergency priority (2): Pushover repeats it every ``retry`` seconds until someone
acknowledges it or ``expire`` seconds have passed, and on acknowledgement POSTs the ``callback``
URL. That URL is ``/api/pushover/callback`` with the page's signed single-use action token in its
query string (:mod:`pagerline.api.pushover`), so the callback needs no other secret, and the
receipt is returned as the delivery's provider id so that an UPDATE can cancel it. A LOW page
and INFO messages (verification codes, test notifications) are normal priority (0).

429 (Pushover's answer once an application's limits are reached) and 5xx are RETRY, no sooner
than ``Retry-After`` when given; any other 4xx fails with Pushover's own error text. No request
is repeated here: a timeout may come after Pushover queued the message.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from pagerline.push.base import DeliveryResult, OutgoingMessage, Outcome
from pagerline.push.http import LoopClient, json_object, refused, unreachable

if TYPE_CHECKING:
    from pagerline.settings import Settings

DEFAULT_CONCURRENCY = 16
DEFAULT_TIMEOUT = 10.0
# An unacknowledged HIGH page rings again every minute for an hour. Pushover takes a retry of at
# least 30 s and an expiry of at most 10,800 s (3 hours); escalation reaches the next person
# long before the hour is over.
DEFAULT_RETRY_SECONDS = 60
DEFAULT_EXPIRE_SECONDS = 3600
MIN_RETRY_SECONDS = 30
MAX_EXPIRE_SECONDS = 10800
MESSAGE_MAX_CHARS = 1024
TITLE_MAX_CHARS = 250
URL_MAX_CHARS = 512

NORMAL, EMERGENCY = 0, 2
# Receipts are 30 characters of [A-Za-z0-9]; anything else is not one of ours (and must not
# reach a URL path).
RECEIPT = re.compile(r"^[A-Za-z0-9]{1,64}$")
CANCELLED_WHEN = ("ACCEPTED", "RESOLVED")


def callback_url(public_url: str, action_token: str) -> str:
    return f"{public_url.rstrip('/')}/api/pushover/callback?token={quote(action_token, safe='')}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class PushoverTransport:
    """Sends PUSHOVER notifications with one Pushover application.

    ``app_token``: the application's API token. ``public_url``: where Pushover reaches the
    acknowledgement callback. ``base_url``: Pushover's API or a compatible one.
    ``retry_seconds``/``expire_seconds``: how an emergency page repeats. ``concurrency``:
    requests in flight at once.
    """

    name = "pushover"

    def __init__(
        self,
        *,
        app_token: str,
        public_url: str,
        base_url: str = "https://api.pushover.net",
        retry_seconds: int = DEFAULT_RETRY_SECONDS,
        expire_seconds: int = DEFAULT_EXPIRE_SECONDS,
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if retry_seconds < MIN_RETRY_SECONDS or not 0 < expire_seconds <= MAX_EXPIRE_SECONDS:
            raise ValueError(f"Pushover takes retry >= {MIN_RETRY_SECONDS} s and expire <= {MAX_EXPIRE_SECONDS} s")
        self._app_token = app_token
        self.public_url = public_url.rstrip("/")
        self.base_url = base_url.rstrip("/")
        self.retry_seconds = retry_seconds
        self.expire_seconds = expire_seconds
        self.timeout = timeout
        self._http = LoopClient(concurrency, base_url=self.base_url, timeout=timeout, headers={"Accept": "application/json"})
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> PushoverTransport:
        if not settings.pushover_token:
            raise ValueError("Pushover is not configured: set PAGERLINE_PUSHOVER_TOKEN")
        kwargs: dict[str, Any] = {
            "app_token": settings.pushover_token,
            "public_url": settings.public_url,
            "base_url": settings.pushover_base_url,
        }
        kwargs.update(overrides)
        return cls(**kwargs)

    # ------------------------------------------------------------------ requests (pure)

    def message_form(self, message: OutgoingMessage) -> dict[str, str]:
        """The form fields of ``POST /1/messages.json`` for a PAGE or INFO ``message``."""
        form = {
            "token": self._app_token,
            "user": message.destination.address,
            "title": _cut(message.title, TITLE_MAX_CHARS),
            "message": _cut(message.body or message.title, MESSAGE_MAX_CHARS),
            "priority": str(NORMAL),
        }
        alert_url = str(message.data.get("alert_url") or "")
        if alert_url and len(alert_url) <= URL_MAX_CHARS:
            form["url"] = alert_url
            form["url_title"] = "Open the alert"
        if message.kind == "PAGE" and message.priority == "HIGH":
            form["priority"] = str(EMERGENCY)
            form["retry"] = str(self.retry_seconds)
            form["expire"] = str(self.expire_seconds)
            if message.action_token:
                form["callback"] = callback_url(self.public_url, message.action_token)
        return form

    # ------------------------------------------------------------------ sending

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        if self._closed:
            raise RuntimeError("PushoverTransport is closed")
        if message.kind == "UPDATE":
            return await self._update(message)
        if not message.destination.address:
            return DeliveryResult(Outcome.FAILED, "Pushover: no user key")
        result = await self._post("/1/messages.json", self.message_form(message))
        if isinstance(result, DeliveryResult):
            return result
        return DeliveryResult(Outcome.DELIVERED, provider_id=str(result.get("receipt") or ""))

    async def _update(self, message: OutgoingMessage) -> DeliveryResult:
        """An UPDATE's destination is the receipt of the page it follows. Accepted or resolved:
        the phone stops repeating the page. Escalated: it keeps repeating, as it should, so
        there is nothing to send."""
        receipt = message.destination.address
        if message.alert_status not in CANCELLED_WHEN:
            return DeliveryResult(Outcome.DELIVERED, f"Pushover: nothing to do when the alert is {message.alert_status.lower() or 'unchanged'}")
        if not RECEIPT.match(receipt):
            return DeliveryResult(Outcome.FAILED, "Pushover: no emergency receipt to cancel")
        result = await self._post(f"/1/receipts/{receipt}/cancel.json", {"token": self._app_token})
        if isinstance(result, DeliveryResult):
            if result.outcome is Outcome.FAILED and "receipt" in result.reason.lower():
                # Expired, or cancelled already: the phone is quiet either way.
                return DeliveryResult(Outcome.DELIVERED, result.reason, provider_id=receipt)
            return result
        return DeliveryResult(Outcome.DELIVERED, provider_id=receipt)

    async def validate(self, user_key: str) -> bool | None:
        """Whether Pushover knows ``user_key`` as a user or group key; None when it cannot tell
        (network trouble, 429, 5xx, or Pushover refusing our own application token)."""
        if self._closed:
            raise RuntimeError("PushoverTransport is closed")
        result = await self._post("/1/users/validate.json", {"token": self._app_token, "user": user_key})
        if isinstance(result, dict):
            return True
        if result.outcome is Outcome.RETRY or "application token" in result.reason.lower():
            return None
        return False

    async def _post(self, path: str, form: dict[str, str]) -> dict[str, Any] | DeliveryResult:
        """Pushover's JSON answer on success, else the outcome it amounts to."""
        async with self._http.slot() as client:
            try:
                response = await client.post(path, data=form)
            except httpx.HTTPError as exc:
                return unreachable("Pushover", exc, self.timeout)
        return read_answer(response)

    async def close(self) -> None:
        self._closed = True
        await self._http.aclose()


def read_answer(response: httpx.Response) -> dict[str, Any] | DeliveryResult:
    """Pushover's JSON object when it says ``status: 1``; else RETRY (429, 5xx) or FAILED with
    its errors."""
    body = json_object(response)
    if response.is_success and body.get("status") == 1:
        return body
    errors = body.get("errors")
    text = "; ".join(str(e) for e in errors) if isinstance(errors, list) and errors else (response.reason_phrase or "error")
    return refused(response, f"Pushover {response.status_code}: {text}")
