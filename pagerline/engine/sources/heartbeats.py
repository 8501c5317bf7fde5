"""Heartbeat monitors: a job pings ``/api/heartbeats/{key}`` every ``interval_sec``; a missed
ping opens an alert on the monitor's source, and the next ping resolves it.

States: ``UNKNOWN`` until the first ping (a monitor nobody has wired up yet never pages),
``HEALTHY`` while pings arrive in time, ``OVERDUE`` once one is missed. The alert goes through
the intake like any event (``alertKey`` ``heartbeat-<id>``), so the source's policies (its
escalation policy, maintenance windows, grouping) apply to it.

:func:`tick` runs in every sweeper. It opens the alert first and marks the monitor OVERDUE
after, on the condition that no ping moved its due time meanwhile, so a crash in between only
means the next sweep opens (that is: appends to) the same alert again.

Deleting a monitor (:func:`delete_heartbeat`) leaves the alert it opened open: the missed ping
was real, and deleting the monitor does not show the job is back. Since no ping can resolve
that alert any more, its timeline says so, and a person resolves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from pagerline.engine.core.config_changes import ConfigAction, ConfigKind, config_changed, note_config_change
from pagerline.engine.people.accounts import Viewer
from pagerline.engine.alerts.transitions import resolve_alert
from pagerline.engine.core.effects import Effects, unit_of_work
from pagerline.engine.core.errors import BadInput, NotFound
from pagerline.engine.sources.intake import EventInput, ingest_event
from pagerline.engine.people.roles import may_see, require_manager
from pagerline.engine.sources.lookup import load_source_info
from pagerline.engine.core.timeline import add_entry
from pagerline.models import Alert, AlertSource, AlertStatus, Heartbeat, HeartbeatState, User
from pagerline.security import digest, digests_match, new_secret

INTERVAL_RANGE = (30, 30 * 86_400)
KEY_PREFIX = "hb"
LOG_KIND = "HEARTBEAT"


def heartbeat_alert_key(heartbeat_id: int) -> str:
    return f"heartbeat-{heartbeat_id}"


def _checked_name(name: str) -> str:
    if not name.strip():
        raise BadInput("A heartbeat needs a name", field="name")
    return name.strip()[:200]


def _check_interval(interval_sec: int) -> None:
    low, high = INTERVAL_RANGE
    if not low <= interval_sec <= high:
        raise BadInput(f"intervalSec must be between {low} and {high}", field="intervalSec")


async def create_heartbeat(name: str, source_id: int, interval_sec: int) -> tuple[Heartbeat, str]:
    """Returns the monitor and its key (shown once, only its digest is stored)."""
    _checked_name(name)
    _check_interval(interval_sec)
    if not await AlertSource.exists(id=source_id):
        raise NotFound(f"Alert source {source_id} not found")
    key = new_secret(KEY_PREFIX, 24)
    heartbeat = await Heartbeat.create(
        name=name.strip()[:200], source_id=source_id, key_hash=digest(key), key_prefix=key[:8], interval_sec=interval_sec
    )
    await config_changed(ConfigKind.HEARTBEAT, heartbeat.id, ConfigAction.CREATED)
    return heartbeat, key


async def managed_heartbeat(viewer: Viewer, heartbeat_id: int) -> Heartbeat:
    """The monitor, if the viewer may change it (ADMINs, and USERs of its source's team); one
    they cannot see is "not found"."""
    heartbeat = await Heartbeat.get_or_none(id=heartbeat_id).select_related("source")
    team_id = heartbeat.source.team_id if heartbeat is not None else None  # type: ignore[attr-defined]
    if heartbeat is None or not may_see(viewer, team_id):
        raise NotFound("Heartbeat not found")
    require_manager(viewer, team_id, "heartbeats")
    return heartbeat


async def update_heartbeat(viewer: Viewer, heartbeat_id: int, *, name: str | None = None, interval_sec: int | None = None) -> Heartbeat:
    """Rename a monitor or change its interval. A new interval counts from the last ping: the
    next one is due that long after it (a monitor with no ping yet stays UNKNOWN)."""
    await managed_heartbeat(viewer, heartbeat_id)
    new_name = _checked_name(name) if name is not None else None
    if interval_sec is not None:
        _check_interval(interval_sec)
    async with in_transaction():
        # Locked: a ping at the same moment moves due_at either before this (and is counted
        # from) or after it.
        heartbeat = await Heartbeat.filter(id=heartbeat_id).select_for_update().first()
        if heartbeat is None:
            raise NotFound("Heartbeat not found")
        heartbeat.name = new_name or heartbeat.name
        if interval_sec is not None:
            heartbeat.interval_sec = interval_sec
            if heartbeat.last_ping_at is not None:
                heartbeat.due_at = heartbeat.last_ping_at + timedelta(seconds=interval_sec)
        await heartbeat.save(update_fields=["name", "interval_sec", "due_at"])
    await config_changed(ConfigKind.HEARTBEAT, heartbeat.id, ConfigAction.UPDATED)
    return heartbeat


async def _note_deletion(alert_id: int, name: str, now: datetime, effects: Effects, by: User | None = None) -> None:
    """Tell an open alert that the monitor which would have resolved it is gone."""
    if not await Alert.filter(id=alert_id).exclude(status=AlertStatus.RESOLVED).exists():
        return
    who = f" by {by.name}" if by is not None else ""
    text = f"Heartbeat monitor '{name}' was deleted{who}; no ping will resolve this alert now: resolve it once the job is back"
    await add_entry(alert_id, LOG_KIND, text[:1000], now, by.id if by is not None else None)
    effects.publish("alert", "UPDATED", alert_id=alert_id)


async def delete_heartbeat(viewer: Viewer, heartbeat_id: int, now: datetime) -> None:
    """Delete a monitor (ADMINs, and USERs of its source's team); an alert it opened stays open."""
    async with unit_of_work() as effects:
        heartbeat = await managed_heartbeat(viewer, heartbeat_id)
        await heartbeat.delete()
        note_config_change(effects, ConfigKind.HEARTBEAT, heartbeat_id, ConfigAction.DELETED)
        if heartbeat.alert_id is not None:  # type: ignore[attr-defined]
            await _note_deletion(heartbeat.alert_id, heartbeat.name, now, effects, viewer.user)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class PingResult:
    heartbeat_id: int
    state: HeartbeatState
    resolved_alert_id: int | None


async def ping(key: str, now: datetime) -> PingResult | None:
    """Record a ping; resolves the alert the monitor opened, if any. None for an unknown key."""
    key_hash = digest(key)
    heartbeat = await Heartbeat.get_or_none(key_hash=key_hash)
    if heartbeat is None or not digests_match(heartbeat.key_hash, key_hash):
        return None
    await Heartbeat.filter(id=heartbeat.id).update(
        last_ping_at=now, due_at=now + timedelta(seconds=heartbeat.interval_sec), state=HeartbeatState.HEALTHY
    )
    alert_id: int | None = heartbeat.alert_id  # type: ignore[attr-defined]
    resolved = None
    # Only the ping that clears the link resolves, so two pings at once resolve once.
    if alert_id is not None and await Heartbeat.filter(id=heartbeat.id, alert_id=alert_id).update(alert_id=None):
        await resolve_alert(alert_id, None, now, via="heartbeat ping")
        resolved = alert_id
    return PingResult(heartbeat.id, HeartbeatState.HEALTHY, resolved)


async def _go_overdue(heartbeat: Heartbeat, now: datetime) -> bool:
    source = await load_source_info(heartbeat.source_id)  # type: ignore[attr-defined]
    if source is None:
        return False
    last = heartbeat.last_ping_at.strftime("%Y-%m-%d %H:%M:%S UTC") if heartbeat.last_ping_at else "never"
    result = await ingest_event(
        source,
        EventInput(
            "ALERT",
            summary=f"Heartbeat '{heartbeat.name}' missed its ping"[:500],
            details=f"Expected a ping every {heartbeat.interval_sec} s; the last one came at {last}.",
            alert_key=heartbeat_alert_key(heartbeat.id),
            custom_details={"heartbeatId": heartbeat.id, "intervalSec": heartbeat.interval_sec},
            via="Heartbeat",
        ),
        now,
    )
    marked = await Heartbeat.filter(id=heartbeat.id, state=HeartbeatState.HEALTHY, due_at=heartbeat.due_at).update(
        state=HeartbeatState.OVERDUE, alert_id=result.alert_id
    )
    if marked:
        return True
    current = await Heartbeat.get_or_none(id=heartbeat.id)
    if current is None and result.alert_id is not None:
        # The monitor was deleted while its alert was being opened: say so, as a delete would.
        async with unit_of_work() as effects:
            await _note_deletion(result.alert_id, heartbeat.name, now, effects)
    elif current is not None and current.due_at != heartbeat.due_at and result.alert_id is not None:
        # A ping came while the alert was being opened: it is not overdue any more.
        await resolve_alert(result.alert_id, None, now, via="heartbeat ping")
    return False


async def tick(now: datetime, batch_size: int = 100) -> int:
    """Open an alert for every HEALTHY monitor whose ping is overdue. Returns how many."""
    overdue = await Heartbeat.filter(state=HeartbeatState.HEALTHY, due_at__lte=now).order_by("due_at").limit(batch_size)
    went = 0
    for heartbeat in overdue:
        went += await _go_overdue(heartbeat, now)
    return went
