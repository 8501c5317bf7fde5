"""Each alert's message in its chat channels, kept in step with the alert.

A :class:`~pagerline.models.ChatPost` row per (channel, alert) is the outbox. :func:`plan_posts`
gives every alert of a channel's sources that has none a row: open alerts, and any created in
the last :data:`RECENT_CLOSED` (one opened and resolved between two sweeps is still posted).
:func:`sync_due` brings due rows up to date: posts the message once, edits it in place when the
alert changed (whoever changed it: the web app, a phone, a button in the channel, the
escalation), and adds the alert's new timeline entries to the message's thread. Each row is
claimed with a lease before anything is sent, so two workers never post one alert twice; the
message's reference is stored as soon as it exists (and, if the database went away before it
could be, kept with the lease and stored on the loop's next round). A rate limit postpones the row by the
platform's ``Retry-After``; other failures back off. Rows showing a resolved alert with its
whole timeline are settled and never read again, so the sweep stays flat as history grows.

Chat runs beside the pages, never in front of them: a worker syncs chat in a task of its own
(:mod:`pagerline.workers.runtime`), so a slow or failing chat platform delays no page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.functions import Max

from pagerline.engine.chat.client import ChatClient, ChatFailed, ChatRateLimited
from pagerline.engine.chat.incident_channels import keep_up, wants_channel
from pagerline.engine.chat.card import card_for
from pagerline.models import Alert, AlertLogEntry, AlertSource, AlertStatus, ChatChannel, ChatPlatform, ChatPost

log = logging.getLogger(__name__)

RECENT_CLOSED = timedelta(minutes=10)
LEASE = timedelta(seconds=60)
BATCH = 50  # rows synced per round; the rest wait for the next
THREAD_ENTRIES_PER_ROUND = 20  # a long timeline is threaded over several rounds
MAX_BACKOFF = timedelta(minutes=10)


async def plan_posts(now: datetime) -> int:
    """Rows for the alerts of every channel that have none yet; how many were made."""
    made = 0
    for channel in await ChatChannel.all():
        if channel.source_id is not None:  # type: ignore[attr-defined]
            source_ids = [channel.source_id]  # type: ignore[attr-defined]
        else:
            source_ids = list(await AlertSource.filter(team_id=channel.team_id).values_list("id", flat=True))  # type: ignore[attr-defined]
        if not source_ids:
            continue
        posted = Subquery(ChatPost.filter(channel_id=channel.id).values("alert_id"))
        wanted = await (
            Alert.filter(source_id__in=source_ids, created_at__gte=channel.created_at)
            .filter(Q(status__not=AlertStatus.RESOLVED) | Q(created_at__gte=now - RECENT_CLOSED))
            .exclude(id__in=posted)
            .order_by("id")
            .values_list("id", flat=True)
        )
        for alert_id in wanted:
            try:
                await ChatPost.create(channel_id=channel.id, alert_id=alert_id, next_attempt_at=now)
                made += 1
            except IntegrityError:
                pass  # another worker planned it a moment ago
    return made


async def due_posts(now: datetime, platform: ChatPlatform) -> list[ChatPost]:
    """Unsettled rows of ``platform`` whose message is behind its alert, oldest first."""
    rows = await (
        ChatPost.filter(settled=False, next_attempt_at__lte=now, channel__platform=platform)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .select_related("channel", "alert")
        .order_by("next_attempt_at", "id")
        .limit(BATCH * 4)
    )
    if not rows:
        return []
    newest = dict(
        await AlertLogEntry.filter(alert_id__in=[r.alert_id for r in rows])  # type: ignore[attr-defined]
        .group_by("alert_id")
        .annotate(newest=Max("id"))
        .values_list("alert_id", "newest")
    )
    behind = [r for r in rows if r.message_ref is None or r.shown_updated_at != r.alert.updated_at or newest.get(r.alert_id, 0) > r.shown_entry_id]  # type: ignore[attr-defined]
    return behind[:BATCH]


@dataclass(slots=True)
class Held:
    """A lease this loop took, and the message's reference if the platform gave one that may
    not be stored yet."""

    until: datetime
    message_ref: str | None = None


async def claim(post: ChatPost, now: datetime, held: dict[int, Held]) -> bool:
    """Take ``post`` for LEASE; False if another worker holds it. A lease taken is noted in
    ``held`` until it is given back (see :func:`release_stranded`)."""
    until = now + LEASE
    taken = await ChatPost.filter(id=post.id).filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)).update(claimed_until=until)
    if taken == 1:
        held[post.id] = Held(until)
    return taken == 1


async def release_stranded(held: dict[int, Held]) -> None:
    """Finish what a round that failed part-way left (the database went away mid-sync, so the
    row could not be written): store the reference of a message the platform had already
    taken, so the next round edits it instead of posting the alert a second time, then give
    the lease back, so the message catches up now rather than when the lease runs out. Only a
    lease that is still ours (same expiry) is touched: another worker may have taken the row
    once ours ran out."""
    for post_id, lease in list(held.items()):
        if lease.message_ref is not None:
            await ChatPost.filter(id=post_id, claimed_until=lease.until, message_ref__isnull=True).update(message_ref=lease.message_ref)
        await ChatPost.filter(id=post_id, claimed_until=lease.until).update(claimed_until=None)
        del held[post_id]


async def sync_post(post: ChatPost, client: ChatClient, now: datetime, base_url: str) -> float | None:
    """Bring one claimed row's message up to date, then release it. When the platform rate
    limits, the seconds it asked to wait (the round stops: every other call would be refused)."""
    channel: ChatChannel = post.channel  # type: ignore[assignment]
    try:
        alert = await Alert.get(id=post.alert_id).select_related("source", "accepted_by", "resolved_by")  # type: ignore[attr-defined]
        if wants_channel(post, alert):
            await keep_up(post, alert, client)
        card = card_for(alert, base_url, post.incident_channel)
        if post.message_ref is None:
            post.message_ref = await client.post(channel.target, card)
            # Stored at once: if anything after this fails, the next round edits, not posts again.
            await ChatPost.filter(id=post.id).update(message_ref=post.message_ref, shown_updated_at=alert.updated_at)
        elif post.shown_updated_at != alert.updated_at:
            post.message_ref = await client.update(channel.target, post.message_ref, card)
            await ChatPost.filter(id=post.id).update(message_ref=post.message_ref, shown_updated_at=alert.updated_at)
        entries = await AlertLogEntry.filter(alert_id=alert.id, id__gt=post.shown_entry_id).order_by("id").limit(THREAD_ENTRIES_PER_ROUND)
        for entry in entries:
            if not _written_in_this_thread(entry, post):
                await client.reply(channel.target, post.message_ref, entry.text)
            post.shown_entry_id = entry.id
            await ChatPost.filter(id=post.id).update(shown_entry_id=entry.id)
        more = len(entries) == THREAD_ENTRIES_PER_ROUND
        settled = alert.status is AlertStatus.RESOLVED and not more
        await ChatPost.filter(id=post.id).update(settled=settled, claimed_until=None, attempts=0, last_error=None, next_attempt_at=now)
    except ChatRateLimited as limited:
        await ChatPost.filter(id=post.id).update(claimed_until=None, next_attempt_at=now + timedelta(seconds=limited.retry_after), last_error=str(limited))
        return limited.retry_after
    except ChatFailed as failed:
        attempts = post.attempts + 1
        wait = min(MAX_BACKOFF, timedelta(seconds=2 ** min(attempts, 10)))  # 2, 4, 8 … s: a 5xx is usually brief
        log.warning("chat: updating alert %s in %s failed: %s", post.alert_id, channel.name, failed)  # type: ignore[attr-defined]
        await ChatPost.filter(id=post.id).update(claimed_until=None, attempts=attempts, next_attempt_at=now + wait, last_error=str(failed)[:2000])
    return None


def _written_in_this_thread(entry: AlertLogEntry, post: ChatPost) -> bool:
    """A comment someone wrote as a reply in this message's thread: the thread has it already."""
    origin = (entry.data or {}).get("origin") if isinstance(entry.data, dict) else None
    return isinstance(origin, dict) and origin.get("channel_id") == str(post.channel_id) and origin.get("thread") == post.message_ref  # type: ignore[attr-defined]


async def sync_due(now: datetime, client: ChatClient, platform: ChatPlatform, base_url: str, held: dict[int, Held] | None = None) -> int:
    """One round for ``platform``: plan new rows, then sync the due ones; how many were synced.
    ``held``: the loop's leases, kept across rounds so a round that fails part-way (an error
    other than the platform's, such as the database going away) has its lease given back by
    the next one."""
    held = {} if held is None else held
    await release_stranded(held)
    await plan_posts(now)
    synced = 0
    for post in await due_posts(now, platform):
        if await claim(post, now, held):
            synced += 1
            try:
                limited = await sync_post(post, client, now, base_url)
            except BaseException:
                # sync_post sets the reference on ``post`` before it stores it: kept with the
                # lease, the next round stores it (release_stranded).
                held[post.id].message_ref = post.message_ref
                raise
            del held[post.id]  # sync_post released it
            if limited is not None:
                break  # rate limited: the rest waits for the next round
    return synced
