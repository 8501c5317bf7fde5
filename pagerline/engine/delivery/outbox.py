"""Delivering outbox rows through the transports.

A notification is *claimed* with one conditional UPDATE before anything is sent, so of two
workers (or a worker and the sweeper) woken for the same row only one sends. The claim is a
lease: a worker killed mid-send leaves a SENDING row whose lease runs out, and the sweeper
claims it again, so nothing is lost. Sending happens outside any transaction (never hold
SQLite's one writer across the network).

A crash between the provider's answer and the commit cannot be made exactly-once: the provider
may have delivered the first attempt. So the resend says so on the alert's timeline, and every
push carries a collapse identity that is the same for every attempt and every update of one
alert (``alert-<id>``; APNs ``apns-collapse-id``, FCM ``collapse_key`` and the Android
notification ``tag``, see :mod:`pagerline.push.payloads`): the phone shows one page, the resend
replacing the first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from pagerline.engine.core.config_changes import ConfigAction, ConfigKind, note_config_change
from pagerline.engine.delivery import action_tokens as actions
from pagerline.engine.people import contacts
from pagerline.engine.core import metrics, sql
from pagerline.engine.notify import storm
from pagerline.engine.notify.planning import follow_up_late_page
from pagerline.engine.core.effects import Effects, unit_of_work
from pagerline.engine.schedules.oncall_changes import push_extras
from pagerline.engine.core.timeline import LogKind, add_entry
from pagerline.models import (
    Alert,
    AlertStatus,
    Channel,
    ContactKind,
    Device,
    Notification,
    NotificationKind,
    NotificationStatus,
    Priority,
    PushProvider,
    User,
)
from pagerline.push.base import DeliveryResult, Destination, OutgoingMessage, Outcome
from pagerline.push.registry import Transports

log = logging.getLogger(__name__)

NOT_CONFIGURED = "channel not configured"

# Channels whose pages carry accept and resolve (a signed, single-use token), with how the
# timeline names them ("Accepted by Alice via Pushover"). Push says "lock screen", email "email
# link": the names those tokens had before channels named themselves.
ACTIONABLE_CHANNELS: dict[Channel, str] = {
    Channel.PUSH: "",
    Channel.EMAIL: "",
    Channel.NTFY: "ntfy",
    Channel.PUSHOVER: "Pushover",
    Channel.TELEGRAM: "Telegram",
}
# Channels whose sent pages are changed when the alert changes (a Pushover receipt cancelled so
# the phone stops repeating, a Telegram message edited): see planning.plan_follow_ups.
FOLLOW_UP_CHANNELS = (Channel.PUSHOVER, Channel.TELEGRAM)


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    lease_seconds: int = 60
    max_attempts: int = 5
    backoff_cap_seconds: int = 300
    send_timeout_seconds: float = 20.0

    def backoff(self, attempts: int, asked_seconds: float = 0.0) -> timedelta:
        """The wait before the next attempt: doubling, or what the provider asked for
        (``Retry-After``) when that is longer; never past the cap."""
        return timedelta(seconds=min(self.backoff_cap_seconds, max(5 * 2**attempts, asked_seconds)))


# Due and unclaimed, or claimed by a worker whose lease ran out (it vanished mid-send).
_CLAIMABLE = "((status = ? AND due_at <= ?) OR (status = ? AND claimed_until < ?))"


def _claimable_params(now: datetime) -> tuple[object, ...]:
    at = sql.db_time(Notification, "due_at", now)
    return (NotificationStatus.PENDING.value, at, NotificationStatus.SENDING.value, at)


async def due_notifications(
    now: datetime, channels: Collection[Channel] | None = None, per_channel: int = 200
) -> list[tuple[int, Channel]]:
    """Rows a sweeper should try, with their channels: due and unclaimed, or claimed by a worker
    that vanished. The oldest ``per_channel`` of each channel (of ``channels``, default all), so a
    backlog on one channel cannot crowd another's rows out of a sweep."""
    if channels is not None and not channels:
        return []
    only = f" AND channel IN ({', '.join('?' * len(channels))})" if channels is not None else ""
    rows = await sql.fetch(
        "SELECT id, channel FROM (SELECT id, channel, due_at, ROW_NUMBER() OVER (PARTITION BY channel ORDER BY due_at, id) AS nth "
        f"FROM notifications WHERE {_CLAIMABLE}{only}) due WHERE nth <= ? ORDER BY due_at, id",
        *_claimable_params(now),
        *[channel.value for channel in channels or ()],
        per_channel,
    )
    return [(int(row["id"]), Channel(row["channel"])) for row in rows]


async def claim(notification_id: int, now: datetime, policy: DeliveryPolicy) -> bool:
    """One conditional UPDATE: of several workers woken for the same row, one wins."""
    changed = await sql.execute(
        f"UPDATE notifications SET status = ?, claimed_until = ?, attempts = attempts + 1 WHERE id = ? AND {_CLAIMABLE}",
        NotificationStatus.SENDING.value,
        sql.db_time(Notification, "claimed_until", now + timedelta(seconds=policy.lease_seconds)),
        notification_id,
        *_claimable_params(now),
    )
    return changed == 1


async def _destinations(notification: Notification, user: User, silent: bool = False) -> list[Destination]:
    channel = notification.channel
    if channel is Channel.PUSH:
        rows = await sql.fetch(
            "SELECT id, token, provider, platform, critical_alerts, sound, critical_volume, webpush_p256dh, webpush_auth "
            "FROM devices WHERE user_id = ? AND active ORDER BY id",
            user.id,
        )
        return [
            Destination(
                address=row["token"],
                device_id=int(row["id"]),
                provider=row["provider"],
                platform=row["platform"],
                critical=bool(row["critical_alerts"]),
                sound=row["sound"],
                critical_volume=float(row["critical_volume"]),
                webpush_p256dh=row["webpush_p256dh"] or "",
                webpush_auth=row["webpush_auth"] or "",
            )
            for row in rows
            # A browser must show every push it gets (userVisibleOnly), so the silent widget
            # refresh, which only phones act on, is not sent to one.
            if not (silent and row["provider"] == PushProvider.WEB_PUSH.value)
        ]
    if notification.kind is NotificationKind.UPDATE and channel in FOLLOW_UP_CHANNELS:
        return await _follow_up_destinations(notification)
    if notification.target:
        # A verification code to a method not yet verified, or a test to one method.
        return [Destination(address=notification.target)]
    return [
        Destination(address=value, contact_method_id=method_id)
        for method_id, value in await contacts.verified_values(user.id, ContactKind(channel.value))
    ]


async def _follow_up_destinations(notification: Notification) -> list[Destination]:
    """Where the pages this update follows up went, as their providers named them (a Pushover
    receipt to cancel, a Telegram message to edit)."""
    rows = await sql.fetch(
        "SELECT provider_ids FROM notifications WHERE alert_id = ? AND user_id = ? AND kind = ? AND channel = ? AND status = ? ORDER BY id",
        notification.alert_id,  # type: ignore[attr-defined]
        notification.user_id,  # type: ignore[attr-defined]
        NotificationKind.PAGE.value,
        notification.channel.value,
        NotificationStatus.SENT.value,
    )
    ids = [provider_id for row in rows for provider_id in str(row["provider_ids"] or "").split(",") if provider_id]
    return [Destination(address=provider_id) for provider_id in dict.fromkeys(ids)]


async def _send_one(
    transports: Transports, message: OutgoingMessage, policy: DeliveryPolicy
) -> tuple[str, DeliveryResult]:
    transport = transports.for_message(message.channel, message.destination.provider)
    if transport is None:
        return "", DeliveryResult(Outcome.FAILED, NOT_CONFIGURED)
    try:
        result = await asyncio.wait_for(transport.send(message), policy.send_timeout_seconds)
    except TimeoutError:
        result = DeliveryResult(Outcome.RETRY, "timed out")
    except Exception as exc:  # a transport bug or network error: retry, never crash the worker
        log.warning("transport %s failed", transport.name, exc_info=True)
        result = DeliveryResult(Outcome.RETRY, f"{type(exc).__name__}: {exc}"[:300])
    return transport.name, result


# Lock order (PostgreSQL). A transition (accept, resolve, escalate) locks the alert's row FOR
# UPDATE first, then cancels its pending pages (their rows) and inserts notifications, whose
# foreign keys take FOR KEY SHARE on the user's row. Delivery writes rows that reference the
# alert too (timeline entries, action tokens, and any second UPDATE of the row it claimed in the
# same transaction re-checks its foreign keys), so it takes FOR KEY SHARE on the alert before
# anything else, in each of its transactions: alert, then notification, then user, as the
# transitions do. Taken later, it waits for a transition that waits for the claimed row or the
# user's row: a deadlock, and PostgreSQL aborts one of them (a RESOLVE event answered 500).
_LOCK_ALERT_OF_NOTIFICATION = (
    "SELECT a.id FROM notifications n JOIN alerts a ON a.id = n.alert_id WHERE n.id = ? FOR KEY SHARE OF a"
)
_LOCK_ALERT = "SELECT id FROM alerts WHERE id = ? FOR KEY SHARE"


async def _lock_alert_first(notification_id: int) -> None:
    """FOR KEY SHARE on the notification's alert (PostgreSQL; SQLite has one writer and no row
    locks). Many deliveries share it; a transition holding the alert is waited for."""
    if sql.is_postgres():
        await sql.fetch(_LOCK_ALERT_OF_NOTIFICATION, notification_id)


def _load_sql(postgres: bool) -> str:
    # Locking the user's row (PostgreSQL) makes storm decisions for one user take turns; SQLite
    # has one writer at a time, and the claim above already made this transaction the writer.
    # NO KEY UPDATE, not UPDATE: it excludes other deliveries to the user but not the FOR KEY
    # SHARE that inserting a notification for them takes (a transition planning pages).
    return (
        f"SELECT {sql.columns(Notification, 'n')}, {sql.columns(User, 'u')}, {sql.columns(Alert, 'a')} "
        "FROM notifications n JOIN users u ON u.id = n.user_id LEFT JOIN alerts a ON a.id = n.alert_id "
        "WHERE n.id = ?" + (" FOR NO KEY UPDATE OF u" if postgres else "")
    )


async def _load_claimed(notification_id: int) -> tuple[Notification, User, Alert | None]:
    """The claimed row with its user (locked) and alert, in one statement."""
    row = (await sql.fetch(_load_sql(sql.is_postgres()), notification_id))[0]
    notification = sql.from_row(Notification, row, "n")
    user = sql.from_row(User, row, "u")
    assert notification is not None and user is not None  # the claim just found the row
    return notification, user, sql.from_row(Alert, row, "a")


@dataclass(frozen=True, slots=True)
class DeliveryContext:
    """What delivery needs beyond the database: the transports, the retry policy, the key that
    signs action tokens and the public URL for links."""

    transports: Transports
    policy: DeliveryPolicy
    signing_key: bytes = b""
    public_url: str = "http://127.0.0.1:8000"


async def _open_alert_count(user_id: int) -> int:
    """The iOS badge: open alerts this user has been paged for."""
    return await Alert.filter(
        status__in=[AlertStatus.PENDING, AlertStatus.ACCEPTED], notifications__user_id=user_id
    ).distinct().count()


async def _messages(
    notification: Notification, alert: Alert | None, user: User, destinations: list[Destination], ctx: DeliveryContext, now: datetime
) -> list[OutgoingMessage]:
    is_page = notification.kind is NotificationKind.PAGE
    # The badge is an iOS thing; counting costs a join, so only when an iOS device will show it.
    wants_badge = notification.channel is Channel.PUSH and alert is not None and any(d.platform == "IOS" for d in destinations)
    badge = await _open_alert_count(user.id) if wants_badge else None
    body = notification.body
    if notification.bundle_key and notification.kind is NotificationKind.INFO:
        body = await storm.bundle_text(notification)
    extras = push_extras(notification.dedup_key)  # silent widget refresh, on-call change events
    messages = []
    for dest in destinations:
        data: dict[str, str] = dict(extras.data or {})
        token = ""
        channel = notification.channel
        if is_page and alert is not None and channel in ACTIONABLE_CHANNELS and ctx.signing_key:
            token = await actions.issue(ctx.signing_key, alert.id, user.id, dest.device_id, now, via=ACTIONABLE_CHANNELS[channel])
            if channel is not Channel.PUSH:
                base = ctx.public_url.rstrip("/")
                data = {
                    "accept_url": f"{base}/api/actions/confirm?action=accept&token={token}",
                    "resolve_url": f"{base}/api/actions/confirm?action=resolve&token={token}",
                    "actions_url": f"{base}/api/actions",
                    "alert_url": alert_url(ctx.public_url, alert.id),
                }
        elif alert is not None and channel is not Channel.PUSH:
            data["alert_url"] = alert_url(ctx.public_url, alert.id)
        if dest.provider == PushProvider.WEB_PUSH.value and alert is not None:
            data["url"] = alert_url(ctx.public_url, alert.id)  # what a tap on the notification opens
        messages.append(
            OutgoingMessage(
                notification_id=notification.id,
                channel=notification.channel,
                kind=notification.kind.value,
                title=notification.title,
                body=body,
                user_id=user.id,
                destination=dest,
                alert_id=alert.id if alert else None,
                priority=alert.priority.value if alert else "LOW",
                alert_status=alert.status.value if alert else "",
                # Critical only for HIGH pages to devices whose owner enabled critical alerts.
                critical=is_page and alert is not None and alert.priority is Priority.HIGH and dest.critical,
                collapse_id=f"alert-{alert.id}" if alert else extras.collapse_id or f"notification-{notification.id}",
                action_token=token if channel is not Channel.EMAIL else "",
                badge=badge,
                thread_id=f"source-{alert.source_id}" if alert else "pagerline",  # type: ignore[attr-defined]
                silent=extras.silent,
                data=data,
            )
        )
    return messages


def alert_url(public_url: str, alert_id: int) -> str:
    """The web app's page of an alert."""
    return f"{public_url.rstrip('/')}/#/alerts/{alert_id}"


@dataclass(slots=True)
class _Prepared:
    notification: Notification
    user: User
    alert: Alert | None
    messages: list[OutgoingMessage]


async def deliver(notification_id: int, now: datetime, ctx: DeliveryContext) -> str | None:
    """Claim, check, send and record one notification. Returns the final status, or None if
    another worker has it or it is not due.

    Two short transactions around the network call: the first claims the row, decides (still
    needed? muted? storm?) and issues action tokens; the second records the outcome with its
    timeline entry. Commits are what a busy database pays for, so each phase commits once.
    """
    async with unit_of_work() as effects:
        prepared = await _prepare(notification_id, now, ctx, effects)
    if not isinstance(prepared, _Prepared):
        return prepared
    metrics.DISPATCH_LAG.observe(max(0.0, (now - prepared.notification.due_at).total_seconds()))
    results = await asyncio.gather(*(_send_one(ctx.transports, m, ctx.policy) for m in prepared.messages))
    async with unit_of_work() as effects:
        return await _conclude(prepared, results, now, ctx, effects)


async def _prepare(notification_id: int, now: datetime, ctx: DeliveryContext, effects: Effects) -> _Prepared | str | None:
    await _lock_alert_first(notification_id)
    if not await claim(notification_id, now, ctx.policy):
        return None
    notification, user, alert = await _load_claimed(notification_id)
    # Set when an attempt decided to send (storm protection counts sends by it, so a finished
    # notification keeps it; a finished one is never claimed again) and cleared when an attempt
    # ends in a retry. Still set at a claim means the last attempt died in between (its lease
    # ran out), maybe after the provider already delivered.
    interrupted = notification.dispatched_at is not None

    if notification.kind is NotificationKind.PAGE and alert is not None and alert.status is not AlertStatus.PENDING:
        # Someone responded first: a later rule is not needed any more.
        return await _record(notification, alert, user, NotificationStatus.SKIPPED, f"alert {alert.status.value.lower()}", now, effects, log_it=False)
    if not user.active:
        # Deactivated after this was planned (a later rule's SMS, a reminder): never sent.
        return await _record(notification, alert, user, NotificationStatus.SKIPPED, f"{user.name} is deactivated", now, effects)
    if notification.kind is not NotificationKind.INFO and user.muted_until is not None and user.muted_until > now:
        until = user.muted_until.strftime("%Y-%m-%d %H:%M UTC")
        return await _record(notification, alert, user, NotificationStatus.SUPPRESSED, f"{user.name} muted notifications until {until}", now, effects)

    destinations = await _destinations(notification, user, silent=push_extras(notification.dedup_key).silent)
    if not destinations:
        reason = "no active device" if notification.channel is Channel.PUSH else "no reachable address"
        return await _record(notification, alert, user, NotificationStatus.FAILED, reason, now, effects)

    decision = await storm.decide(notification, now)
    if decision.bundle_id is not None and decision.bundle_due is not None:
        effects.wake_notification(decision.bundle_id, decision.bundle_due, notification.channel)
    if decision.verdict is not storm.Verdict.SEND:
        if alert is not None:
            channel = notification.channel.value
            what = "update" if notification.kind is NotificationKind.UPDATE else channel
            await add_entry(alert.id, LogKind.NOTIFICATION_SUPPRESSED, f"{what} to {user.name} held back: {decision.reason}", now, user.id, {"channel": channel, "storm": decision.verdict.value})
            effects.publish("alert", "UPDATED", alert_id=alert.id)
        return NotificationStatus.SUPPRESSED.value
    if interrupted and alert is not None:
        what = "update" if notification.kind is NotificationKind.UPDATE else notification.channel.value
        await add_entry(
            alert.id,
            LogKind.NOTIFICATION_RETRY,
            f"{what} to {user.name} sent again after an interrupted attempt",
            now,
            user.id,
            {"channel": notification.channel.value, "resend": True},
        )
    messages = await _messages(notification, alert, user, destinations, ctx, now)
    return _Prepared(notification, user, alert, messages)


async def _conclude(
    prepared: _Prepared, results: list[tuple[str, DeliveryResult]], now: datetime, ctx: DeliveryContext, effects: Effects
) -> str:
    notification, user, alert, messages = prepared.notification, prepared.user, prepared.alert, prepared.messages
    if alert is not None and sql.is_postgres():
        await sql.fetch(_LOCK_ALERT, alert.id)  # the lock order above, in this transaction too
    channel = notification.channel.value
    for message, (_, result) in zip(messages, results, strict=True):
        if result.destination_dead and message.destination.device_id is not None:
            await Device.filter(id=message.destination.device_id).update(active=False, deactivated_reason=result.reason[:200])
            effects.publish("auth", "CHANGED", user_id=user.id)  # the device's token stops working
            note_config_change(effects, ConfigKind.USER, user.id, ConfigAction.UPDATED)  # may be unreachable now
            if alert is not None:
                await add_entry(alert.id, LogKind.NOTIFICATION_FAILED, f"Device of {user.name} deactivated: {result.reason}", now, user.id)

    transport_name = ",".join(sorted({name for name, _ in results if name}))
    target = ",".join(m.destination.address[-12:] for m in messages)[:300]
    outcomes = [r.outcome for _, r in results]
    reasons = "; ".join(sorted({r.reason for _, r in results if r.reason}))
    for outcome in outcomes:
        metrics.NOTIFICATIONS_DELIVERED.labels(channel, outcome.value).inc()
    if Outcome.DELIVERED in outcomes:
        provider_ids = ",".join(r.provider_id for _, r in results if r.provider_id)[:300]
        recorded = await _record(notification, alert, user, NotificationStatus.SENT, "", now, effects, transport_name, target, provider_ids=provider_ids)
        if alert is not None and notification.kind is NotificationKind.PAGE and notification.channel in FOLLOW_UP_CHANNELS:
            await follow_up_late_page(alert.id, user.id, notification.channel, now, effects)
        return recorded
    if Outcome.RETRY in outcomes and notification.attempts < ctx.policy.max_attempts:
        asked = max((r.retry_after_seconds or 0.0 for _, r in results), default=0.0)
        retry_at = now + ctx.policy.backoff(notification.attempts, asked)
        await Notification.filter(id=notification.id, status=NotificationStatus.SENDING).update(
            status=NotificationStatus.PENDING, due_at=retry_at, claimed_until=None, last_error=reasons[:1000], dispatched_at=None
        )
        if alert is not None:
            await add_entry(
                alert.id,
                LogKind.NOTIFICATION_RETRY,
                f"{channel} to {user.name} will be retried (attempt {notification.attempts}): {reasons}",
                now,
                user.id,
            )
        effects.wake_notification(notification.id, retry_at, notification.channel)
        return NotificationStatus.PENDING.value
    return await _record(notification, alert, user, NotificationStatus.FAILED, reasons or "failed", now, effects, transport_name, target)


async def _record(
    notification: Notification,
    alert: Alert | None,
    user: User,
    status: NotificationStatus,
    reason: str,
    now: datetime,
    effects: Effects,
    transport_name: str = "",
    target: str = "",
    *,
    log_it: bool = True,
    provider_ids: str = "",
) -> str:
    """The row's final state and its timeline entry, in the caller's transaction."""
    await sql.execute(
        "UPDATE notifications SET status = ?, claimed_until = NULL, last_error = ?, sent_at = ?, transport = ?, "
        "target = ?, provider_ids = ? WHERE id = ? AND status = ?",
        status.value,
        reason or None,
        sql.db_time(Notification, "sent_at", now if status is NotificationStatus.SENT else None),
        transport_name,
        target,
        provider_ids,
        notification.id,
        NotificationStatus.SENDING.value,
    )
    channel = notification.channel.value
    if alert is not None:
        what = "update" if notification.kind is NotificationKind.UPDATE else channel
        if status is NotificationStatus.SENT:
            await add_entry(alert.id, LogKind.NOTIFIED, f"Notified {user.name} by {what}", now, user.id, {"channel": channel})
        elif status is NotificationStatus.FAILED:
            await add_entry(
                alert.id, LogKind.NOTIFICATION_FAILED, f"{what} to {user.name} failed: {reason}", now, user.id, {"channel": channel, "reason": reason}
            )
        elif status is NotificationStatus.SUPPRESSED:
            await add_entry(alert.id, LogKind.NOTIFICATION_SUPPRESSED, f"{what} to {user.name} held back: {reason}", now, user.id)
        elif log_it:
            await add_entry(alert.id, LogKind.NOTIFICATION_SKIPPED, f"{what} to {user.name} skipped: {reason}", now, user.id)
        effects.publish("alert", "UPDATED", alert_id=alert.id)
    return status.value
