"""Alert actions: outbound webhooks and Slack incoming-webhook messages on alert changes.

Delivery works like notifications: :func:`plan_actions` writes outbox rows
(:class:`AlertActionDelivery`) in the transaction of the change, with a unique ``dedup_key``
(action, alert, trigger, occurrence) so a change is delivered once however often it is planned.
:func:`deliver_action` claims a row with a conditional UPDATE (a lease), sends outside any
transaction, and records the status code, latency and error on the row and as an ``ACTION``
entry on the alert's timeline. Retries use capped exponential backoff (5xx, 408, 429 and
network errors; another 4xx will not get better and fails at once); a Dramatiq actor wakes
deliveries on time and every sweeper picks up whatever is due (:func:`deliver_due`).

Signing: each request carries ``X-Pagerline-Signature: sha256=<hex HMAC-SHA256 of the raw
body>`` keyed with the action's secret, ``X-Pagerline-Timestamp`` (epoch seconds, also inside
the signed body as ``sentAt``, so a receiver can refuse replays), ``X-Pagerline-Delivery`` (the
same on every retry of one delivery, for the receiver's dedup) and ``X-Pagerline-Event`` (the
trigger). The secret is not stored anywhere: it is HMAC(PAGERLINE_SECRET_KEY,
"alert-action:<id>:<secret_version>"), so the database alone cannot forge requests, the server
can always sign, and rotating it means bumping ``secret_version``. Changing
PAGERLINE_SECRET_KEY changes every action's secret.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q, Subquery
from tortoise.transactions import in_transaction

from pagerline.engine.core.config_changes import ConfigAction, ConfigKind, config_changed, note_config_change
from pagerline.engine.people.accounts import Viewer
from pagerline.engine.core.effects import Effects, unit_of_work
from pagerline.engine.core.errors import BadInput, Forbidden, NotFound
from pagerline.engine.people.roles import may_see, require_manager
from pagerline.engine.core.timeline import add_entry, entry
from pagerline.models import (
    ActionDeliveryStatus,
    Alert,
    AlertAction,
    AlertActionDelivery,
    AlertActionKind,
    AlertActionMode,
    AlertActionTrigger,
    AlertLogEntry,
    AlertSource,
    Role,
)

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Pagerline-Signature"
TIMESTAMP_HEADER = "X-Pagerline-Timestamp"
DELIVERY_HEADER = "X-Pagerline-Delivery"
EVENT_HEADER = "X-Pagerline-Event"
LOG_KIND = "ACTION"
AUTOMATIC_TRIGGERS = tuple(t for t in AlertActionTrigger if t is not AlertActionTrigger.MANUAL)
RETRYABLE_STATUS = frozenset({408, 429})


@dataclass(frozen=True, slots=True)
class ActionPolicy:
    max_attempts: int = 6
    backoff_base_seconds: int = 10
    backoff_cap_seconds: int = 600
    lease_seconds: int = 60
    timeout_seconds: float = 5.0

    def backoff(self, attempts: int) -> timedelta:
        """After the n-th failed attempt: base, 2 x base, 4 x base ... capped."""
        return timedelta(seconds=min(self.backoff_cap_seconds, self.backoff_base_seconds * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True, slots=True)
class ActionContext:
    """What sending needs beyond the database: the key secrets derive from, the public URL for
    links, the retry policy."""

    signing_key: bytes
    public_url: str = "http://127.0.0.1:8000"
    policy: ActionPolicy = ActionPolicy()


# --------------------------------------------------------------------------- secrets and signatures


def action_secret(signing_key: bytes, action_id: int, secret_version: int) -> str:
    digest = hmac.new(signing_key, f"alert-action:{action_id}:{secret_version}".encode(), hashlib.sha256).hexdigest()
    return f"whsec_{digest}"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does (constant-time): recompute and compare."""
    return hmac.compare_digest(sign(secret, body).encode(), header.encode())


# --------------------------------------------------------------------------- configuring


def _check_url(url: str) -> str:
    url = url.strip()
    if not url.startswith(("http://", "https://")) or len(url) > 2000 or " " in url:
        raise BadInput("url must be an http(s) URL of at most 2000 characters", field="url")
    return url


def _check_triggers(triggers: list[str], mode: AlertActionMode) -> list[str]:
    known = {t.value for t in AUTOMATIC_TRIGGERS}
    wanted = list(dict.fromkeys(triggers))
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise BadInput(f"Unknown trigger '{unknown[0]}' (known: {', '.join(sorted(known))})", field="triggers")
    if mode is AlertActionMode.AUTOMATIC and not wanted:
        raise BadInput("An AUTOMATIC action needs at least one trigger", field="triggers")
    return wanted


async def create_alert_action(
    name: str,
    kind: AlertActionKind,
    url: str,
    *,
    source_id: int | None = None,
    team_id: int | None = None,
    triggers: list[str] | None = None,
    mode: AlertActionMode = AlertActionMode.AUTOMATIC,
    enabled: bool = True,
    signing_key: bytes,
) -> tuple[AlertAction, str]:
    """Returns the action and its signing secret (derivable by the server again, shown once)."""
    if not name.strip():
        raise BadInput("An alert action needs a name", field="name")
    if (source_id is None) == (team_id is None):
        raise BadInput("An alert action belongs to exactly one of an alert source or a team")
    action = await AlertAction.create(
        name=name.strip()[:200],
        kind=kind,
        url=_check_url(url),
        source_id=source_id,
        team_id=team_id,
        triggers=_check_triggers(triggers or [], mode),
        mode=mode,
        enabled=enabled,
    )
    clear_action_cache()  # this process sees it at once, others within ACTIONS_CACHE_SECONDS
    await config_changed(ConfigKind.ALERT_ACTION, action.id, ConfigAction.CREATED)
    return action, action_secret(signing_key, action.id, action.secret_version)


async def set_action_enabled(action_id: int, enabled: bool) -> AlertAction:
    if not await AlertAction.filter(id=action_id).update(enabled=enabled):
        raise NotFound(f"Alert action {action_id} not found")
    clear_action_cache()
    await config_changed(ConfigKind.ALERT_ACTION, action_id, ConfigAction.UPDATED)
    return await AlertAction.get(id=action_id)


async def update_alert_action(
    viewer: Viewer,
    action_id: int,
    *,
    name: str | None = None,
    url: str | None = None,
    triggers: list[str] | None = None,
    mode: AlertActionMode | None = None,
) -> AlertAction:
    """Change what is given, checked as on create (triggers against the resulting mode).
    Deliveries already planned go to the new URL when they are sent."""
    action = await managed_action(viewer, action_id)
    if name is not None:
        if not name.strip():
            raise BadInput("An alert action needs a name", field="name")
        action.name = name.strip()[:200]
    if url is not None:
        action.url = _check_url(url)
    new_mode = mode or action.mode
    if triggers is not None or mode is not None:
        action.triggers = _check_triggers(triggers if triggers is not None else list(action.triggers), new_mode)
    action.mode = new_mode
    await action.save(update_fields=["name", "url", "triggers", "mode"])
    clear_action_cache()  # this process plans with the change at once, others within ACTIONS_CACHE_SECONDS
    await config_changed(ConfigKind.ALERT_ACTION, action.id, ConfigAction.UPDATED)
    return action


async def managed_action(viewer: Viewer, action_id: int) -> AlertAction:
    """The action, if the viewer may change it: an action belongs to its source's team, or to
    its own team. One the viewer cannot see is "not found", never "forbidden"."""
    action = await AlertAction.get_or_none(id=action_id).select_related("source")
    team_id = None if action is None else action.team_id if action.source is None else action.source.team_id  # type: ignore[attr-defined]
    if action is None or not may_see(viewer, team_id):
        raise NotFound("Alert action not found")
    require_manager(viewer, team_id, "alert actions")
    return action


def _cancellation_text(action: AlertAction, delivery: AlertActionDelivery, now: datetime) -> str:
    what = f"Alert action '{action.name}' was deleted"
    if delivery.status is ActionDeliveryStatus.SENDING and delivery.claimed_until is not None and delivery.claimed_until >= now:
        return f"{what} while its {delivery.trigger} delivery was being sent; that attempt is the last"
    tried = f"after {delivery.attempts} attempt(s)" if delivery.attempts else "before it was sent"
    return f"{what}: its pending {delivery.trigger} delivery was cancelled {tried}"


async def delete_alert_action(viewer: Viewer, action_id: int, now: datetime) -> int:
    """Delete an action; returns how many of its deliveries were cancelled.

    A delivery row belongs to its action (the foreign key cascades), so the alert's timeline is
    the record that stays: what was delivered or failed is already there, and every delivery
    not yet finished gets a "cancelled" entry in the same transaction, so none disappears
    silently. An attempt already on the wire cannot be called back; its outcome is still
    recorded, and nothing retries it. Other processes may plan for the action from their cache
    for a few seconds: :func:`plan_actions` checks the ids, so their alert changes go on.
    """
    async with unit_of_work() as effects:
        action = await managed_action(viewer, action_id)
        unfinished = await AlertActionDelivery.filter(
            action_id=action.id, status__in=[ActionDeliveryStatus.PENDING, ActionDeliveryStatus.SENDING]
        ).order_by("id")
        await AlertLogEntry.bulk_create(
            [
                entry(
                    d.alert_id,  # type: ignore[attr-defined]
                    LOG_KIND,
                    _cancellation_text(action, d, now),
                    now,
                    viewer.user.id,
                    {"action_id": action.id, "delivery_id": d.id, "status": "CANCELLED"},
                )
                for d in unfinished
            ]
        )
        for alert_id in sorted({d.alert_id for d in unfinished}):  # type: ignore[attr-defined]
            effects.publish("alert", "UPDATED", alert_id=alert_id)
        await action.delete()
        note_config_change(effects, ConfigKind.ALERT_ACTION, action_id, ConfigAction.DELETED)
    clear_action_cache()  # this process stops planning for it at once
    return len(unfinished)


# --------------------------------------------------------------------------- planning


def dedup_key(action_id: int, alert_id: int, trigger: str, occurrence: str = "") -> str:
    return f"action:{action_id}:{alert_id}:{trigger}:{occurrence}"[:200]


# source id -> (cache expiry, ((action id, triggers), ...)): every alert change asks, and most
# sources have no automatic action, so the answer is kept for a few seconds per process.
ACTIONS_CACHE_SECONDS = 5.0
_automatic: dict[int, tuple[float, tuple[tuple[int, frozenset[str]], ...]]] = {}


def clear_action_cache() -> None:
    _automatic.clear()


async def automatic_actions(source_id: int, db: BaseDBAsyncClient | None = None) -> tuple[tuple[int, frozenset[str]], ...]:
    """Enabled AUTOMATIC actions of the source and of its team, with their triggers."""
    hit = _automatic.get(source_id)
    clock = time.monotonic()
    if hit is not None and hit[0] > clock:
        return hit[1]
    # The source's team in the same statement (a NULL team matches no action's team).
    team = Subquery(AlertSource.filter(id=source_id).values("team_id"))
    scope = Q(source_id=source_id) | Q(team_id__in=team)
    rows = await AlertAction.filter(scope, enabled=True, mode=AlertActionMode.AUTOMATIC).using_db(db).values_list("id", "triggers")
    found = tuple((int(action_id), frozenset(triggers or [])) for action_id, triggers in rows)
    if len(_automatic) > 10_000:
        _automatic.clear()
    _automatic[source_id] = (clock + ACTIONS_CACHE_SECONDS, found)
    return found


async def _actions_for(alert_id: int, trigger: str, db: BaseDBAsyncClient | None, source_id: int | None) -> list[int]:
    if source_id is None:
        source_id = await Alert.filter(id=alert_id).using_db(db).first().values_list("source_id", flat=True)  # type: ignore[assignment]
        if source_id is None:
            return []
    return [action_id for action_id, triggers in await automatic_actions(source_id, db) if trigger in triggers]


async def plan_actions(
    alert_id: int,
    trigger: AlertActionTrigger,
    now: datetime,
    *,
    occurrence: str = "",
    connection: BaseDBAsyncClient | None = None,
    source_id: int | None = None,
) -> list[int]:
    """Outbox rows for every enabled AUTOMATIC action of the alert's source and team that runs on
    ``trigger``; call it inside the transaction of the change. ``occurrence`` tells repeated
    changes apart (escalation level and round, a comment's log entry id); the same change
    planned twice gives no second row. ``source_id``, when the caller knows it, saves a query. Returns the ids of the rows (to wake after commit)."""
    action_ids = await _actions_for(alert_id, trigger.value, connection, source_id)
    if not action_ids:
        return []
    # The cache may name an action that another process deleted in the last few seconds; a row
    # for it would fail this change's transaction on the foreign key, so plan only for actions
    # that still exist (one query, and only for sources that have actions).
    action_ids = list(await AlertAction.filter(id__in=action_ids).using_db(connection).values_list("id", flat=True))
    if not action_ids:
        return []
    keys = [dedup_key(action_id, alert_id, trigger.value, occurrence) for action_id in action_ids]
    try:
        # A savepoint: an action deleted in this very instant (after the check above) must cost
        # its own delivery, never the alert change this runs inside (a page must not be lost).
        async with in_transaction():
            await AlertActionDelivery.bulk_create(
                [
                    AlertActionDelivery(
                        action_id=action_id, alert_id=alert_id, trigger=trigger.value, dedup_key=key, next_attempt_at=now, created_at=now
                    )
                    for action_id, key in zip(action_ids, keys, strict=True)
                ],
                ignore_conflicts=True,
                using_db=connection,
            )
    except IntegrityError:
        log.warning("alert %s: an alert action was deleted while its delivery was planned; skipped", alert_id)
        return []
    return list(await AlertActionDelivery.filter(dedup_key__in=keys).using_db(connection).values_list("id", flat=True))


async def plan_for_change(
    alert: Alert, trigger: AlertActionTrigger, now: datetime, effects: Effects, *, occurrence: str = ""
) -> None:
    """What every alert transition calls inside its transaction: plan the deliveries of the
    source's and team's automatic actions for ``trigger``, woken after commit."""
    for delivery_id in await plan_actions(alert.id, trigger, now, occurrence=occurrence, source_id=alert.source_id):  # type: ignore[attr-defined]
        effects.wake_action_delivery(delivery_id)


async def run_manual_action(action_id: int, alert_id: int, viewer: Viewer, now: datetime) -> AlertActionDelivery:
    """A user runs a MANUAL action on an alert: a delivery due now, woken after commit."""
    if viewer.user.role is Role.STAKEHOLDER:
        raise Forbidden("Stakeholders can read alerts but not run actions")
    alert = await Alert.get_or_none(id=alert_id).select_related("source")
    if alert is None or not (viewer.is_admin or alert.source.team_id is None or alert.source.team_id in viewer.team_ids):  # type: ignore[attr-defined]
        raise NotFound(f"Alert {alert_id} not found")
    action = await AlertAction.get_or_none(id=action_id)
    if action is None:
        raise NotFound(f"Alert action {action_id} not found")
    applies = action.source_id == alert.source.id or (  # type: ignore[attr-defined]
        action.team_id is not None and action.team_id == alert.source.team_id  # type: ignore[attr-defined]
    )
    if not applies:
        raise BadInput(f"Alert action '{action.name}' does not apply to the source of alert {alert_id}")
    if action.mode is not AlertActionMode.MANUAL or not action.enabled:
        raise BadInput(f"Alert action '{action.name}' is not an enabled MANUAL action")
    async with unit_of_work() as effects:
        delivery = await AlertActionDelivery.create(
            action_id=action.id,
            alert_id=alert_id,
            trigger=AlertActionTrigger.MANUAL.value,
            dedup_key=dedup_key(action.id, alert_id, AlertActionTrigger.MANUAL.value, uuid.uuid4().hex),
            next_attempt_at=now,
            requested_by_id=viewer.user.id,
            created_at=now,
        )
        await add_entry(alert_id, LOG_KIND, f"{viewer.user.name} ran alert action '{action.name}'", now, viewer.user.id, {"action_id": action.id, "delivery_id": delivery.id})
        effects.publish("alert", "UPDATED", alert_id=alert_id)
        effects.wake_action_delivery(delivery.id)
    return delivery


# --------------------------------------------------------------------------- delivering


def _claimable(now: datetime) -> Q:
    return Q(status=ActionDeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=ActionDeliveryStatus.SENDING, claimed_until__lt=now
    )


async def due_delivery_ids(now: datetime, limit: int = 50) -> list[int]:
    return list(
        await AlertActionDelivery.filter(_claimable(now)).order_by("next_attempt_at").limit(limit).values_list("id", flat=True)
    )


async def claim(delivery_id: int, now: datetime, policy: ActionPolicy) -> bool:
    updated = await AlertActionDelivery.filter(Q(id=delivery_id) & _claimable(now)).update(
        status=ActionDeliveryStatus.SENDING,
        claimed_until=now + timedelta(seconds=policy.lease_seconds),
        attempts=F("attempts") + 1,
    )
    return updated == 1


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def alert_json(alert: Alert, public_url: str) -> dict[str, Any]:
    return {
        "id": alert.id,
        "summary": alert.summary,
        "details": alert.details,
        "status": alert.status.value,
        "priority": alert.priority.value,
        "alertKey": alert.alert_key,
        "createdAt": _iso(alert.created_at),
        "acceptedAt": _iso(alert.accepted_at),
        "resolvedAt": _iso(alert.resolved_at),
        "acceptedBy": alert.accepted_by.name if alert.accepted_by else None,
        "resolvedBy": alert.resolved_by.name if alert.resolved_by else None,
        "escalationLevel": alert.escalation_rule_index + 1,
        "url": f"{public_url.rstrip('/')}/#/alerts/{alert.id}",
        "source": {"id": alert.source.id, "name": alert.source.name},
        "labels": alert.labels,
        "customDetails": alert.custom_details,
        "links": alert.links,
    }


_SLACK_HEADLINE = {
    AlertActionTrigger.ALERT_CREATED.value: "New alert",
    AlertActionTrigger.ALERT_ACCEPTED.value: "Accepted",
    AlertActionTrigger.ALERT_RESOLVED.value: "Resolved",
    AlertActionTrigger.ALERT_ESCALATED.value: "Escalated",
    AlertActionTrigger.COMMENT_ADDED.value: "New comment",
    AlertActionTrigger.MANUAL.value: "Alert",
}


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(alert: Alert, trigger: str, public_url: str) -> dict[str, Any]:
    data = alert_json(alert, public_url)
    headline = _SLACK_HEADLINE.get(trigger, "Alert")
    summary = _slack_escape(alert.summary)
    text = f"{headline}: [{data['priority']}] #{alert.id} {alert.summary} ({data['status'].lower()})"
    facts = f"*Status:* {data['status']}   *Priority:* {data['priority']}   *Source:* {_slack_escape(alert.source.name)}"
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{headline}:* <{data['url']}|#{alert.id} {summary}>"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": facts}]},
        ],
    }


def request_body(action: AlertAction, alert: Alert, delivery: AlertActionDelivery, sent_at: int, public_url: str) -> bytes:
    if action.kind is AlertActionKind.SLACK:
        payload: dict[str, Any] = slack_message(alert, delivery.trigger, public_url)
    else:
        payload = {
            "trigger": delivery.trigger,
            "deliveryId": delivery.id,
            "sentAt": sent_at,
            "action": {"id": action.id, "name": action.name},
            "alert": alert_json(alert, public_url),
        }
    return json.dumps(payload, separators=(",", ":"), default=str).encode()


@dataclass(frozen=True, slots=True)
class SendResult:
    status_code: int | None
    latency_ms: int
    error: str

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        return self.status_code is None or self.status_code >= 500 or self.status_code in RETRYABLE_STATUS


async def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> SendResult:
    """One POST; never raises (a network error is a result too)."""
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            response = await client.post(url, content=body, headers=headers)
        elapsed = int((time.monotonic() - started) * 1000)
        error = "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}: {response.text[:200]}"
        return SendResult(response.status_code, elapsed, error)
    except httpx.HTTPError as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        return SendResult(None, elapsed, f"{type(exc).__name__}: {exc}"[:300] or type(exc).__name__)


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    status: ActionDeliveryStatus
    retry_at: datetime | None = None


async def deliver_action(delivery_id: int, now: datetime, ctx: ActionContext) -> DeliveryOutcome | None:
    """Claim, send and record one delivery. None when another worker has it or it is not due."""
    if not await claim(delivery_id, now, ctx.policy):
        return None
    delivery = await AlertActionDelivery.get_or_none(id=delivery_id).select_related("action")
    if delivery is None:  # its action was deleted just after the claim
        return None
    action: AlertAction = delivery.action
    alert = await Alert.get(id=delivery.alert_id).select_related("source", "accepted_by", "resolved_by")  # type: ignore[attr-defined]
    if not action.enabled:
        result = SendResult(None, 0, "the action was disabled")
        return await _record(delivery, action, alert, result, now, ctx.policy, final=True)
    sent_at = int(now.timestamp())
    body = request_body(action, alert, delivery, sent_at, ctx.public_url)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "pagerline-alert-actions",
        SIGNATURE_HEADER: sign(action_secret(ctx.signing_key, action.id, action.secret_version), body),
        TIMESTAMP_HEADER: str(sent_at),
        DELIVERY_HEADER: str(delivery.id),
        EVENT_HEADER: delivery.trigger,
    }
    result = await post(action.url, body, headers, ctx.policy.timeout_seconds)
    return await _record(delivery, action, alert, result, now, ctx.policy)


async def _record(
    delivery: AlertActionDelivery,
    action: AlertAction,
    alert: Alert,
    result: SendResult,
    now: datetime,
    policy: ActionPolicy,
    *,
    final: bool = False,
) -> DeliveryOutcome:
    attempt = delivery.attempts
    what = f"Alert action '{action.name}' ({action.kind.value.lower()})"
    answer = f"HTTP {result.status_code}" if result.status_code is not None else result.error
    timing = f" in {result.latency_ms} ms"
    if result.delivered:
        outcome = DeliveryOutcome(ActionDeliveryStatus.DELIVERED)
        text = f"{what} delivered: {answer}{timing}"
    elif not final and result.retryable and attempt < policy.max_attempts:
        retry_at = now + policy.backoff(attempt)
        outcome = DeliveryOutcome(ActionDeliveryStatus.PENDING, retry_at)
        wait = int((retry_at - now).total_seconds())
        text = f"{what} failed (attempt {attempt} of {policy.max_attempts}): {answer}{timing}; retrying in {wait} s"
    else:
        outcome = DeliveryOutcome(ActionDeliveryStatus.FAILED)
        text = f"{what} failed for good after {attempt} attempt(s): {result.error or answer}"
    async with unit_of_work() as effects:
        kept = await AlertActionDelivery.filter(id=delivery.id, status=ActionDeliveryStatus.SENDING).update(
            status=outcome.status,
            next_attempt_at=outcome.retry_at or delivery.next_attempt_at,
            claimed_until=None,
            status_code=result.status_code,
            latency_ms=result.latency_ms,
            last_error=result.error or None,
            delivered_at=now if outcome.status is ActionDeliveryStatus.DELIVERED else None,
        )
        if outcome.retry_at is not None and not kept and not await AlertActionDelivery.exists(id=delivery.id):
            # The action was deleted while this attempt was on the wire: nothing will retry it.
            outcome = DeliveryOutcome(ActionDeliveryStatus.FAILED)
            text = f"{what} failed (attempt {attempt} of {policy.max_attempts}): {answer}{timing}; not retried: the action was deleted"
        data = {
            "action_id": action.id,
            "delivery_id": delivery.id,
            "attempt": attempt,
            "status_code": result.status_code,
            "latency_ms": result.latency_ms,
            "error": result.error,
        }
        await add_entry(alert.id, LOG_KIND, text[:1000], now, data=data)
        effects.publish("alert", "UPDATED", alert_id=alert.id)
    return outcome


async def deliver_due(now: datetime, ctx: ActionContext, limit: int = 50, concurrency: int = 8) -> int:
    """The sweeper's part: every due delivery (and any whose worker vanished). Returns how many
    this call sent or finished."""
    ids = await due_delivery_ids(now, limit)
    semaphore = asyncio.Semaphore(concurrency)

    async def one(delivery_id: int) -> DeliveryOutcome | None:
        async with semaphore:
            return await deliver_action(delivery_id, now, ctx)

    outcomes = await asyncio.gather(*(one(i) for i in ids))
    return sum(1 for o in outcomes if o is not None)
