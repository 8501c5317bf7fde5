"""Signed action links: the buttons of a chat platform that cannot call pagerline back.

A Microsoft Teams Workflows webhook only posts cards; a press on a card cannot reach pagerline
signed by Teams the way a Slack press is. So each button is a link to pagerline's confirm page
(``/chat/act`` in the web app), signed with the server's key over what it does, to which alert,
until when. The link proves nothing about who opened it: whoever presses the confirm button acts
as the person signed in to pagerline, with that person's rights. The signature only makes sure
the button is one pagerline drew (nobody can hand out a link that resolves another alert), and
the expiry bounds how long an old card in a channel keeps working.

A GET never acts (link previews and scanners fetch links): the confirm page does, through the
``actOnChatLink`` mutation, which calls :func:`act_on_link`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from pagerline.engine.alerts import transitions as alert_engine
from pagerline.engine.core.errors import EngineError, Forbidden
from pagerline.engine.people.accounts import Viewer
from pagerline.models import Alert, Role

VIA = "Microsoft Teams"  # the timeline says "Accepted by Alice via Microsoft Teams"
LINK_TTL = timedelta(days=7)  # an alert a week old is long handled: its card's buttons go stale
ACTIONS = ("accept", "resolve", "escalate")
PATH = "/chat/act"  # the web app's confirm page

Transition = Callable[..., Awaitable[Alert]]
TRANSITIONS: dict[str, Transition] = {
    "accept": alert_engine.accept_alert,
    "resolve": alert_engine.resolve_alert,
    "escalate": alert_engine.escalate_alert,
}


class ChatLinkRefused(EngineError):
    """A link pagerline will not act on; ``reason`` tells a client which way it is wrong."""

    code = "FORBIDDEN"
    reason = "INVALID_SIGNATURE"


class InvalidChatLink(ChatLinkRefused):
    reason = "INVALID_SIGNATURE"


class ExpiredChatLink(ChatLinkRefused):
    reason = "LINK_EXPIRED"


def signature(key: bytes, alert_id: int, action: str, expires: int) -> str:
    """Hex HMAC-SHA256 over what the link does. The ``teams:`` prefix keeps it apart from every
    other thing the same key signs (action tokens, webhooks)."""
    return hmac.new(key, f"teams:{alert_id}:{action}:{expires}".encode(), hashlib.sha256).hexdigest()


def sign_link(key: bytes, base_url: str, alert_id: int, action: str, now: datetime, ttl: timedelta = LINK_TTL) -> str:
    """The confirm page's address for ``action`` on alert ``alert_id``, good for ``ttl``."""
    expires = int((now + ttl).timestamp())
    query = urlencode({"alert": alert_id, "action": action, "expires": expires, "signature": signature(key, alert_id, action, expires)})
    return f"{base_url.rstrip('/')}{PATH}?{query}"


def check_link(key: bytes, alert_id: int, action: str, expires: int, given: str, now: datetime) -> None:
    """Raise unless pagerline signed exactly this link and it has not expired. The signature is
    checked first and in constant time: a changed link says so even if its expiry passed too."""
    expected = signature(key, alert_id, action, expires).encode()
    # Bytes, not str: compare_digest refuses non-ASCII text, and a tampered link may carry some.
    if action not in ACTIONS or not hmac.compare_digest(expected, given.strip().lower().encode("utf-8", "replace")):
        raise InvalidChatLink("This link was not made by pagerline or has been changed, so it does nothing. Open the alert in pagerline instead.")
    if now.timestamp() > expires:
        at = datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%d %H:%M UTC")
        raise ExpiredChatLink(f"This link expired on {at}, so it does nothing. Open the alert in pagerline instead.")


async def act_on_link(key: bytes, viewer: Viewer, alert_id: int, action: str, expires: int, given: str, now: datetime) -> Alert:
    """Check the link, then do its action as ``viewer``, who must be allowed to act and to see the
    alert (the engine checks that under the alert's lock: NotFound otherwise). Accepting an
    accepted alert changes nothing, so a link pressed twice accepts once."""
    check_link(key, alert_id, action, expires, given, now)
    if viewer.user.role is Role.STAKEHOLDER:
        raise Forbidden("Stakeholders cannot act on alerts.")
    return await TRANSITIONS[action](alert_id, viewer.user.id, now, VIA, viewer=viewer)
