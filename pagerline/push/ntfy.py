"""Pages through ntfy (https://ntfy.sh or a self-hosted server), published as JSON.

ntfy takes a whole message as one JSON object POSTed to the server's *root* URL (not the topic
URL): ``topic``, ``title``, ``message``, ``priority`` (1..5), ``tags``, ``click`` and up to three
``actions``. The topic is the responder's contact value; whoever knows it can read it, so the
app suggests an unguessable one. ``PAGERLINE_NTFY_TOKEN``, when set, goes in
``Authorization: Bearer`` for servers that require login to publish.

Priorities: a HIGH page is 5 ("max": long vibration bursts and a pop-over; on Android the ntfy
app can let it through Do Not Disturb) with a click-through to the alert and two ``http`` action
buttons, Accept and Resolve, that POST ``{"token", "action"}`` to ``/api/actions`` from the
phone. A LOW page and INFO messages (verification codes, test notifications) are 3, ntfy's
default. An UPDATE is 2 ("low": no sound, no vibration): see :func:`priority_of`.

Errors come back as ``{"code": 42901, "http": 429, "error": "limit reached: too many requests",
"link": ...}``. 429 and 5xx are worth another try (no sooner than ``Retry-After`` when given);
any other 4xx will fail the same way again, so it fails now with ntfy's own words. No request
is repeated here: a timeout may come after ntfy published, and a page shown twice is worse than
one a little later from the engine's retry.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx

from pagerline.push.base import DeliveryResult, OutgoingMessage, Outcome
from pagerline.push.http import LoopClient, json_object, refused, unreachable

if TYPE_CHECKING:
    from pagerline.settings import Settings

DEFAULT_CONCURRENCY = 16
DEFAULT_TIMEOUT = 10.0
# ntfy turns a message over 4,096 bytes into an attachment; a page's text is never that long,
# but an event's summary can be, and the text should stay a notification.
MESSAGE_MAX_CHARS = 3000
TITLE_MAX_CHARS = 250

MAX, DEFAULT, LOW = 5, 3, 2


def priority_of(message: OutgoingMessage) -> int:
    """5 for a HIGH page, 3 for a LOW page and for INFO, 2 for an UPDATE.

    An UPDATE ("accepted by Ada") cannot retract the page: ntfy only replaces or clears a
    delivered notification when the server and app are recent enough to know sequence ids (not
    on iOS), and an older server publishes a second notification instead, without saying so. So
    the update is its own quiet note: it tells the rest of the phone's drawer that the page is
    handled without waking anyone a second time, and a tap on the page's buttons afterwards
    just hears that the alert is no longer pending."""
    if message.kind == "PAGE":
        return MAX if message.priority == "HIGH" else DEFAULT
    if message.kind == "UPDATE":
        return LOW
    return DEFAULT


def _tags(message: OutgoingMessage) -> list[str]:
    # Tags that are emoji short codes show as that emoji before the title.
    if message.kind == "PAGE":
        return ["rotating_light" if message.priority == "HIGH" else "warning", "pagerline"]
    if message.kind == "UPDATE":
        return ["white_check_mark" if message.alert_status in ("ACCEPTED", "RESOLVED") else "arrow_up", "pagerline"]
    return ["pagerline"]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def publish_body(message: OutgoingMessage) -> dict[str, Any]:
    """The JSON ntfy publishes for ``message`` (pure; the tests compare it with the fake)."""
    body: dict[str, Any] = {
        "topic": message.destination.address,
        "title": _cut(message.title, TITLE_MAX_CHARS),
        "message": _cut(message.body or message.title, MESSAGE_MAX_CHARS),
        "priority": priority_of(message),
        "tags": _tags(message),
    }
    alert_url = str(message.data.get("alert_url") or "")
    if alert_url:
        body["click"] = alert_url
    actions_url = str(message.data.get("actions_url") or "")
    if message.kind == "PAGE" and message.action_token and actions_url:
        body["actions"] = [_http_action(label, verb, actions_url, message.action_token) for label, verb in (("Accept", "accept"), ("Resolve", "resolve"))]
    return body


def _http_action(label: str, verb: str, url: str, token: str) -> dict[str, Any]:
    return {
        "action": "http",
        "label": label,
        "url": url,
        "method": "POST",
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"token": token, "action": verb}, separators=(",", ":")),
        # The notification goes once the request succeeded (and stays when it failed).
        "clear": True,
    }


class NtfyTransport:
    """Publishes NTFY notifications to one ntfy server.

    ``base_url``: the server (``PAGERLINE_NTFY_URL``). ``token``: an access token for servers
    that require login. ``concurrency``: requests in flight at once. ``timeout``: seconds for one.
    """

    name = "ntfy"

    def __init__(
        self,
        *,
        base_url: str = "https://ntfy.sh",
        token: str | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = LoopClient(concurrency, base_url=self.base_url, timeout=timeout, headers=headers)
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> NtfyTransport:
        kwargs: dict[str, Any] = {"base_url": settings.ntfy_url, "token": settings.ntfy_token}
        kwargs.update(overrides)
        return cls(**kwargs)

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        if self._closed:
            raise RuntimeError("NtfyTransport is closed")
        if not message.destination.address:
            return DeliveryResult(Outcome.FAILED, "ntfy: no topic")
        async with self._http.slot() as client:
            try:
                # The root URL: a JSON body posted to a topic URL would be published as its text.
                response = await client.post("/", json=publish_body(message))
            except httpx.HTTPError as exc:
                return unreachable("ntfy", exc, self.timeout)
        return map_response(response)

    async def close(self) -> None:
        self._closed = True
        await self._http.aclose()


def map_response(response: httpx.Response) -> DeliveryResult:
    body = json_object(response)
    if response.is_success:
        return DeliveryResult(Outcome.DELIVERED, provider_id=str(body.get("id") or ""))
    code = body.get("code")
    text = str(body.get("error") or response.reason_phrase or "error")
    return refused(response, f"ntfy {response.status_code}" + (f" ({code})" if code else "") + f": {text}")
