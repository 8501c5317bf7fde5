"""Storm protection: one outage must not ring a phone a thousand times.

Decided per user and channel at delivery time, inside a transaction that locks the user's row,
so concurrent workers take turns and the limits hold exactly:

- identical content (same channel and title) within ``IDENTICAL_WINDOW`` is dropped;
- at most ``PUSH_LIMIT`` pushes per ``PUSH_WINDOW``; the rest are dropped; the apps that push
  like a device does (ntfy, Pushover, Telegram) have the same limit, each counted on its own;
- after the first ``VOICE_SMS_FREE`` SMS (or calls) in ``BUNDLE_WINDOW``, further ones are held
  and one summary per window goes out instead.

Every held-back notification is still written on its alert's timeline by the caller.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from tortoise.exceptions import IntegrityError

from pagerline.engine.core import sql
from pagerline.models import Channel, Notification, NotificationKind, NotificationStatus

IDENTICAL_WINDOW = timedelta(seconds=240)
PUSH_WINDOW = timedelta(seconds=60)
PUSH_LIMIT = 20
BUNDLE_WINDOW = timedelta(seconds=180)
VOICE_SMS_FREE = 3
# Channels that wake a phone like a push and are limited like one, each counted on its own.
PUSH_LIKE = (Channel.PUSH, Channel.NTFY, Channel.PUSHOVER, Channel.TELEGRAM)
# Updates that stop a page rather than make one (a Pushover receipt cancelled, so the phone stops
# repeating; a Telegram message edited): never held back, whatever the storm.
FOLLOW_UPS = (Channel.PUSHOVER, Channel.TELEGRAM)


class Verdict(str, Enum):
    SEND = "SEND"
    DROP = "DROP"
    BUNDLE = "BUNDLE"


@dataclass(frozen=True, slots=True)
class StormDecision:
    verdict: Verdict
    reason: str = ""
    bundle_id: int | None = None
    bundle_due: datetime | None = None


def content_hash(channel: Channel, title: str) -> str:
    return hashlib.sha256(f"{channel.value}\x00{title}".encode()).hexdigest()


def bundle_key(user_id: int, channel: Channel, now: datetime) -> tuple[str, datetime]:
    """The summary a held-back SMS/call joins: one per user, channel and window."""
    seconds = int(BUNDLE_WINDOW.total_seconds())
    start = int(now.timestamp()) // seconds * seconds
    window_end = datetime.fromtimestamp(start + seconds, now.tzinfo)
    return f"bundle:{user_id}:{channel.value}:{start}", window_end


# One pass over the user's recent sends on this channel answers all three questions.
_RECENT_SQL = """
SELECT MAX(CASE WHEN content_hash = ? THEN dispatched_at END) AS identical_at,
       SUM(CASE WHEN dispatched_at >= ? THEN 1 ELSE 0 END) AS in_push_window,
       SUM(CASE WHEN dispatched_at >= ? THEN 1 ELSE 0 END) AS in_bundle_window
FROM notifications
WHERE user_id = ? AND channel = ? AND dispatched_at >= ? AND status IN (?, ?) AND id <> ? AND kind <> ?
"""
_EARLIEST_WINDOW = max(IDENTICAL_WINDOW, PUSH_WINDOW, BUNDLE_WINDOW)


@dataclass(frozen=True, slots=True)
class RecentSends:
    identical_at: datetime | None  # the last identical send within IDENTICAL_WINDOW
    in_push_window: int
    in_bundle_window: int


async def recent_sends(notification: Notification, digest: str, now: datetime) -> RecentSends:
    def at(delta: timedelta) -> object:
        return sql.db_time(Notification, "dispatched_at", now - delta)

    row = (
        await sql.fetch(
            _RECENT_SQL,
            digest,
            at(PUSH_WINDOW),
            at(BUNDLE_WINDOW),
            notification.user_id,  # type: ignore[attr-defined]
            notification.channel.value,
            at(_EARLIEST_WINDOW),
            NotificationStatus.SENDING.value,
            NotificationStatus.SENT.value,
            notification.id,
            # A verification code, a reminder or a storm's summary is not a page of the storm:
            # counting them would bundle the first real pages after someone verified a number.
            NotificationKind.INFO.value,
        )
    )[0]
    identical_at = _DISPATCHED_AT.to_python_value(row["identical_at"])
    if identical_at is not None and identical_at < now - IDENTICAL_WINDOW:
        identical_at = None
    return RecentSends(identical_at, int(row["in_push_window"] or 0), int(row["in_bundle_window"] or 0))


_DISPATCHED_AT = Notification._meta.fields_map["dispatched_at"]


async def decide(notification: Notification, now: datetime) -> StormDecision:
    """Runs in the caller's transaction, which holds the user's row lock (delivery loads the
    claimed notification with ``FOR NO KEY UPDATE`` of its user), so decisions are taken in turn."""
    channel = notification.channel
    digest = content_hash(channel, notification.title)

    follow_up = notification.kind is NotificationKind.UPDATE and channel in FOLLOW_UPS
    if notification.kind is not NotificationKind.INFO and not follow_up:
        recent = await recent_sends(notification, digest, now)
        if recent.identical_at is not None:
            ago = int((now - recent.identical_at).total_seconds())
            return await _drop(notification, f"identical to a {channel.value} sent {ago} s ago")

        if channel in PUSH_LIKE and recent.in_push_window >= PUSH_LIMIT:
            what = "pushes" if channel is Channel.PUSH else f"{channel.value} notifications"
            return await _drop(notification, f"more than {PUSH_LIMIT} {what} in {int(PUSH_WINDOW.total_seconds())} s")

        if channel in (Channel.SMS, Channel.VOICE) and notification.kind is NotificationKind.PAGE:
            if recent.in_bundle_window >= VOICE_SMS_FREE:
                return await _bundle(notification, now)

    await Notification.filter(id=notification.id).update(dispatched_at=now, content_hash=digest)
    return StormDecision(Verdict.SEND)


async def _drop(notification: Notification, reason: str) -> StormDecision:
    await Notification.filter(id=notification.id).update(
        status=NotificationStatus.SUPPRESSED, last_error=reason, claimed_until=None
    )
    return StormDecision(Verdict.DROP, reason)


async def _bundle(notification: Notification, now: datetime) -> StormDecision:
    bundle, key, due = await _open_bundle(notification, now)
    await Notification.filter(id=notification.id).update(
        status=NotificationStatus.SUPPRESSED,
        last_error="bundled into a summary (storm protection)",
        claimed_until=None,
        bundle_key=key,
        dispatched_at=None,
    )
    return StormDecision(Verdict.BUNDLE, "bundled into a summary", bundle.id, due)


async def _open_bundle(notification: Notification, now: datetime) -> tuple[Notification, str, datetime]:
    """The summary this page joins: its window's, unless that summary was already claimed for
    sending (its text is written at the claim, under the same user lock as this decision). A
    page decided with a ``now`` read before the summary's claim took the lock would otherwise
    be held back into a summary that never mentions it; it joins the next window's instead."""
    key, due = bundle_key(notification.user_id, notification.channel, now)  # type: ignore[attr-defined]
    while True:
        bundle = await Notification.get_or_none(dedup_key=key)
        if bundle is None:
            try:
                bundle = await Notification.create(
                    dedup_key=key,
                    user_id=notification.user_id,  # type: ignore[attr-defined]
                    kind=NotificationKind.INFO,
                    channel=notification.channel,
                    due_at=due,
                    title="pagerline: more alerts",
                    body="",  # written when it is sent, from the notifications it carries
                    created_at=now,
                    bundle_key=key,
                )
            except IntegrityError:
                bundle = await Notification.get(dedup_key=key)
        if bundle.status is NotificationStatus.PENDING:
            return bundle, key, due
        key, due = bundle_key(notification.user_id, notification.channel, due)  # type: ignore[attr-defined]


async def bundle_text(bundle: Notification) -> str:
    """The summary's text: how many alerts it carries and their codes and titles."""
    carried = await Notification.filter(bundle_key=bundle.bundle_key, status=NotificationStatus.SUPPRESSED).order_by("id").prefetch_related("alert")
    titles = [f"#{n.alert.id} {n.alert.summary}" for n in carried if n.alert is not None]
    head = f"pagerline: {len(titles)} more alert{'s' if len(titles) != 1 else ''} in the last {int(BUNDLE_WINDOW.total_seconds() // 60)} minutes"
    listed = "; ".join(titles[:10])
    more = f"; and {len(titles) - 10} more" if len(titles) > 10 else ""
    return f"{head}: {listed}{more}. Open the app to act on them."[:1500]
