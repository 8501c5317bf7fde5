"""A channel of its own for each HIGH alert, for chat channels that ask for one.

Whoever the alert pages is invited, as they are paged: the people it paged so far (any
channel, any level) and whoever accepted it, found on the platform by email. The alert's
message in the team's channel links to it. Made once per post (the row keeps its id), so a
retried sync never makes a second channel.
"""

from __future__ import annotations

import re
import unicodedata

from pagerline.engine.chat.client import ChatClient
from pagerline.models import Alert, ChatPost, Notification, NotificationKind, Priority, User

MAX_NAME = 80  # Slack's limit for a channel name
_NOT_ALLOWED = re.compile(r"[^a-z0-9_-]+")


def channel_name(alert: Alert) -> str:
    """``alert-<id>-<summary>``, as Slack allows names: lower case, digits, ``-`` and ``_``."""
    plain = unicodedata.normalize("NFKD", alert.summary).encode("ascii", "ignore").decode().lower()
    slug = _NOT_ALLOWED.sub("-", plain).strip("-")
    return f"alert-{alert.id}-{slug}"[:MAX_NAME].rstrip("-")


def wants_channel(post: ChatPost, alert: Alert) -> bool:
    return bool(post.channel.dedicated_high) and alert.priority is Priority.HIGH  # type: ignore[attr-defined]


async def responders(alert: Alert) -> list[int]:
    """The people the alert paged, and whoever accepted it, in the order they came."""
    paged = await Notification.filter(alert_id=alert.id, kind=NotificationKind.PAGE).order_by("id").values_list("user_id", flat=True)
    ids = list(dict.fromkeys([*paged, *([alert.accepted_by_id] if alert.accepted_by_id else [])]))  # type: ignore[attr-defined]
    return [i for i in ids if i is not None]


async def keep_up(post: ChatPost, alert: Alert, client: ChatClient) -> None:
    """Make the alert's channel if it has none, and invite whoever is not in it yet."""
    if post.incident_channel is None:
        post.incident_channel = await client.create_channel(channel_name(alert))
        await ChatPost.filter(id=post.id).update(incident_channel=post.incident_channel)
    invited = set(post.invited_user_ids or [])
    new = [user_id for user_id in await responders(alert) if user_id not in invited]
    if not new:
        return
    emails = dict(await User.filter(id__in=new).values_list("id", "email"))
    platform_ids = [found for user_id in new if (found := await client.user_id_of(emails.get(user_id, "")))]
    if platform_ids:
        await client.invite(post.incident_channel, platform_ids)
    # Someone with no account on the platform is not looked up again on every round.
    post.invited_user_ids = sorted(invited | set(new))
    await ChatPost.filter(id=post.id).update(invited_user_ids=post.invited_user_ids)
