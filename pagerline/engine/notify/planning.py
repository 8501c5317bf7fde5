"""Notification planning: turns "notify these users about this alert" into outbox rows.

Each user's notification rules for the alert's priority become one row each, due after the
rule's delay, in the caller's transaction. The unique ``dedup_key`` (alert, user, escalation
rule, round, notification rule) makes a second page for the same step impossible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pagerline.engine.notify import render
from pagerline.engine.core import sql
from pagerline.engine.core.sql_dialect import in_list
from pagerline.engine.core.effects import Effects
from pagerline.engine.core.timeline import LogKind, entry
from pagerline.models import (
    Alert,
    AlertLogEntry,
    AlertStatus,
    Channel,
    ContactKind,
    Notification,
    NotificationKind,
    NotificationRule,
    NotificationStatus,
    Priority,
    User,
)


@dataclass(frozen=True, slots=True)
class DefaultRule:
    method: Channel
    delay_minutes: int
    priority: Priority


# What a new user starts with (ilert's defaults).
DEFAULT_RULES: tuple[DefaultRule, ...] = (
    DefaultRule(Channel.PUSH, 0, Priority.HIGH),
    DefaultRule(Channel.SMS, 5, Priority.HIGH),
    DefaultRule(Channel.VOICE, 10, Priority.HIGH),
    DefaultRule(Channel.PUSH, 0, Priority.LOW),
)


async def create_default_rules(user_id: int) -> None:
    await NotificationRule.bulk_create(
        [
            NotificationRule(user_id=user_id, method=r.method, delay_minutes=r.delay_minutes, priority=r.priority)
            for r in DEFAULT_RULES
        ]
    )


@dataclass(frozen=True, slots=True)
class Recipient:
    """What planning needs to know about a user: how to name them and whether each channel
    can reach them."""

    id: int
    name: str
    has_device: bool
    # The kinds of contact method the user has verified (SMS, VOICE, EMAIL, NTFY, ...).
    reachable: frozenset[ContactKind] = frozenset()


@dataclass(frozen=True, slots=True)
class RecipientRule:
    id: int
    method: Channel
    delay_minutes: int


_MISSING = {
    ContactKind.SMS: "no verified phone number",
    ContactKind.VOICE: "no verified phone number",
    ContactKind.EMAIL: "no verified email address",
    ContactKind.NTFY: "no verified ntfy topic",
    ContactKind.PUSHOVER: "no verified Pushover user key",
    ContactKind.TELEGRAM: "no linked Telegram chat",
}


def unreachable_reason(channel: Channel, recipient: Recipient) -> str | None:
    """Why a user cannot be reached on a channel, or None when they can."""
    if channel is Channel.PUSH:
        return None if recipient.has_device else "no active device"
    kind = ContactKind(channel.value)
    return None if kind in recipient.reachable else _MISSING[kind]


def _recipients_sql(count: int) -> str:
    return f"""
SELECT u.id, u.name,
       EXISTS (SELECT 1 FROM devices d WHERE d.user_id = u.id AND d.active) AS has_device,
       r.id AS rule_id, r.method, r.delay_minutes, c.kind AS contact_kind
FROM users u
LEFT JOIN notification_rules r ON r.user_id = u.id AND r.priority = ?
LEFT JOIN contact_methods c ON c.user_id = u.id AND c.verified
WHERE u.id IN {in_list(count)} AND u.active
ORDER BY r.delay_minutes, r.id
"""


async def load_recipients(user_ids: list[int], priority: Priority) -> dict[int, tuple[Recipient, list[RecipientRule]]]:
    """The users with their rules for ``priority`` and the kinds of contact method they can be
    reached by, in one statement (it runs for every page): a row per rule and verified contact
    method, folded here. Deactivated users are left out: they are never paged."""
    names: dict[int, tuple[str, bool]] = {}
    kinds: dict[int, set[ContactKind]] = {}
    rules: dict[int, dict[int, RecipientRule]] = {}
    for row in await sql.fetch(_recipients_sql(len(user_ids)), priority.value, *user_ids):
        user_id = int(row["id"])
        names.setdefault(user_id, (row["name"], bool(row["has_device"])))
        kinds.setdefault(user_id, set())
        rules.setdefault(user_id, {})
        if row["contact_kind"] is not None:
            kinds[user_id].add(ContactKind(row["contact_kind"]))
        if row["rule_id"] is not None and int(row["rule_id"]) not in rules[user_id]:
            rule_id = int(row["rule_id"])
            rules[user_id][rule_id] = RecipientRule(rule_id, Channel(row["method"]), int(row["delay_minutes"]))
    return {
        user_id: (Recipient(user_id, name, has_device, frozenset(kinds[user_id])), list(rules[user_id].values()))
        for user_id, (name, has_device) in names.items()
    }


def page_dedup_key(alert_id: int, user_id: int, rule_index: int, round_: int, notification_rule_id: int) -> str:
    return f"page:{alert_id}:{user_id}:{rule_index}:{round_}:{notification_rule_id}"


async def plan_pages(
    alert: Alert,
    source_name: str,
    user_ids: list[int],
    rule_index: int,
    round_: int,
    now: datetime,
    effects: Effects,
) -> list[AlertLogEntry]:
    """Create the page rows for ``user_ids``; returns timeline entries the caller saves."""
    recipients = await load_recipients(user_ids, alert.priority) if user_ids else {}
    entries: list[AlertLogEntry] = []
    title = render.page_title(alert)
    for user_id in user_ids:
        if user_id not in recipients:
            continue
        user, rules = recipients[user_id]
        if not rules:
            entries.append(
                entry(
                    alert.id,
                    LogKind.NOTIFICATION_SKIPPED,
                    f"{user.name} has no notification rules for {alert.priority.value} alerts",
                    now,
                    user_id,
                )
            )
            continue
        for rule in rules:
            reason = unreachable_reason(rule.method, user)
            if reason is not None:
                entries.append(
                    entry(
                        alert.id,
                        LogKind.NOTIFICATION_SKIPPED,
                        f"{rule.method.value} to {user.name} skipped: {reason}",
                        now,
                        user_id,
                        {"channel": rule.method.value, "reason": reason},
                    )
                )
                continue
            due_at = now + timedelta(minutes=rule.delay_minutes)
            row = await Notification.create(
                dedup_key=page_dedup_key(alert.id, user_id, rule_index, round_, rule.id),
                alert_id=alert.id,
                user_id=user_id,
                kind=NotificationKind.PAGE,
                channel=rule.method,
                notification_rule_id=rule.id,
                escalation_rule_index=rule_index,
                escalation_round=round_,
                due_at=due_at,
                title=title,
                body=render.page_body(alert, source_name, rule.method),
                created_at=now,
            )
            effects.wake_notification(row.id, due_at, rule.method)
    return entries


_UPDATE_PREFERENCES = {"ACCEPTED": "update_on_accepted", "RESOLVED": "update_on_resolved", "ESCALATED": "update_on_escalated"}


def _updates_sql(preference: str, postgres: bool) -> str:
    # One statement for what was a read of the paged users, a read of their preferences and an
    # insert per user: it runs inside every accept and resolve, while the alert is locked.
    # Every NOT NULL column is given as the model's defaults would fill it. The second half plans
    # the follow-ups: for each user whose page went out on a channel whose pages are changed
    # afterwards (a Pushover receipt cancelled, a Telegram message edited), one update on that
    # channel, whatever their update preferences (it stops a page, it does not make one).
    # PostgreSQL types a UNION's parameters as text unless told: the casts say what they are.
    at = "CAST(? AS TIMESTAMPTZ)" if postgres else "?"
    return f"""
INSERT INTO notifications (dedup_key, alert_id, user_id, kind, channel, status, due_at, attempts, title, body,
                           target, transport, provider_ids, created_at, content_hash)
SELECT CAST(? AS TEXT) || CAST(u.id AS TEXT) || CAST(? AS TEXT), CAST(? AS INTEGER), u.id, ?, ?, ?, {at}, 0, ?, ?, '', '', '', {at}, ''
FROM users u
WHERE u.{preference} = ? AND u.id IN (
    SELECT p.user_id FROM notifications p WHERE p.alert_id = ? AND p.kind = ? AND p.channel = ? AND p.status = ?
)
UNION ALL
SELECT CAST(? AS TEXT) || CAST(f.user_id AS TEXT) || ':' || f.channel || CAST(? AS TEXT), CAST(? AS INTEGER), f.user_id, ?, f.channel, ?,
       {at}, 0, ?, ?, '', '', '', {at}, ''
FROM (SELECT DISTINCT p.user_id, p.channel FROM notifications p
      WHERE p.alert_id = ? AND p.kind = ? AND p.channel IN (?, ?) AND p.status = ?) f
RETURNING id, channel
"""


# What each change follows up on: a Pushover receipt is cancelled once someone took the alert
# (an escalation leaves it repeating), a Telegram message is edited at every change.
_FOLLOW_UPS = {
    "ACCEPTED": (Channel.PUSHOVER, Channel.TELEGRAM),
    "RESOLVED": (Channel.PUSHOVER, Channel.TELEGRAM),
    "ESCALATED": (Channel.TELEGRAM, Channel.TELEGRAM),
}


_LATE_FOLLOW_UP_SQL = """
INSERT INTO notifications (dedup_key, alert_id, user_id, kind, channel, status, due_at, attempts, title, body,
                           target, transport, provider_ids, created_at, content_hash)
VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, '', '', '', ?, '')
ON CONFLICT (dedup_key) DO NOTHING
RETURNING id
"""


async def follow_up_late_page(alert_id: int, user_id: int, channel: Channel, now: datetime, effects: Effects) -> None:
    """A Pushover or Telegram page recorded as sent after its alert was accepted or resolved.

    The accept (or resolve) plans follow-ups only for pages already recorded as sent: a page
    still in flight then (pressed within moments of arriving, or recorded late on a busy worker)
    would keep repeating or keep its buttons. Called in the transaction that records the page,
    with the alert locked (PostgreSQL; SQLite serialises writers), so either the accept saw this
    page as sent or this reads the alert as taken: one of them plans the follow-up, and the
    dedup key (the accept's own) keeps it to one."""
    alert = await Alert.get_or_none(id=alert_id)
    if alert is None or alert.status is AlertStatus.PENDING:
        return
    what = alert.status.value  # ACCEPTED or RESOLVED, as plan_updates names them
    actor_id = alert.accepted_by_id if alert.status is AlertStatus.ACCEPTED else alert.resolved_by_id  # type: ignore[attr-defined]
    actor = await User.get_or_none(id=actor_id) if actor_id else None
    who = actor.name if actor is not None else "pagerline"
    suffix = f":{what}:{alert.escalation_rule_index}:{alert.escalation_round}"
    rows = await sql.fetch(
        _LATE_FOLLOW_UP_SQL,
        f"follow-up:{alert.id}:{user_id}:{channel.value}{suffix}", alert.id, user_id, NotificationKind.UPDATE.value, channel.value,
        NotificationStatus.PENDING.value, sql.db_time(Notification, "due_at", now),
        render.update_title(alert, what.capitalize()), render.update_body(alert, what, who), sql.db_time(Notification, "created_at", now),
    )
    for row in rows:
        effects.wake_notification(int(row["id"]), now, channel)


async def plan_updates(alert: Alert, what: str, who: str, now: datetime, effects: Effects) -> None:
    """After accept/resolve/escalate: a push to everyone whose devices got this alert's page,
    per their update preferences, so the lock screen stops showing a page someone took; and the
    follow-ups of the pages sent by Pushover and Telegram. ``what`` is ACCEPTED, RESOLVED or
    ESCALATED."""
    due = sql.db_time(Notification, "due_at", now)
    created = sql.db_time(Notification, "created_at", now)
    title, body = render.update_title(alert, what.capitalize()), render.update_body(alert, what, who)
    suffix = f":{what}:{alert.escalation_rule_index}:{alert.escalation_round}"
    rows = await sql.fetch(
        _updates_sql(_UPDATE_PREFERENCES[what], sql.is_postgres()),
        f"update:{alert.id}:", suffix, alert.id, NotificationKind.UPDATE.value, Channel.PUSH.value,
        NotificationStatus.PENDING.value, due, title, body, created,
        True, alert.id, NotificationKind.PAGE.value, Channel.PUSH.value, NotificationStatus.SENT.value,
        f"follow-up:{alert.id}:", suffix, alert.id, NotificationKind.UPDATE.value,
        NotificationStatus.PENDING.value, due, title, body, created,
        alert.id, NotificationKind.PAGE.value, *(c.value for c in _FOLLOW_UPS[what]), NotificationStatus.SENT.value,
    )
    for row in rows:
        effects.wake_notification(int(row["id"]), now, Channel(row["channel"]))
