"""Heartbeat monitors: a job pings ``/api/heartbeats/{key}`` every ``interval_sec``; a missed
ping opens an alert on the monitor's source, and the next ping resolves it.

States: ``UNKNOWN`` until the first ping (a monitor nobody has wired up yet never pages),
``HEALTHY`` while pings arrive in time, ``OVERDUE`` once one is missed. The alert goes through
the intake like any event (``alertKey`` ``heartbeat-<id>``), so the source's policies (its
escalation policy, maintenance windows, grouping) apply to it.

:func:`tick` runs in every sweeper. It opens the alert first and marks the monitor OVERDUE
after, on the condition that no ping moved its due time meanwhile, so a crash in between only
means the next sweep opens (that is: appends to) the same alert again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pagerline.engine.alerts import resolve_alert
from pagerline.engine.errors import BadInput, NotFound
from pagerline.engine.ingest import EventInput, ingest_event
from pagerline.engine.sources import load_source_info
from pagerline.models import AlertSource, Heartbeat, HeartbeatState
from pagerline.security import digest, digests_match, new_secret

INTERVAL_RANGE = (30, 30 * 86_400)
KEY_PREFIX = "hb"


def heartbeat_alert_key(heartbeat_id: int) -> str:
    return f"heartbeat-{heartbeat_id}"


async def create_heartbeat(name: str, source_id: int, interval_sec: int) -> tuple[Heartbeat, str]:
    """Returns the monitor and its key (shown once, only its digest is stored)."""
    if not name.strip():
        raise BadInput("A heartbeat needs a name")
    low, high = INTERVAL_RANGE
    if not low <= interval_sec <= high:
        raise BadInput(f"intervalSec must be between {low} and {high}")
    if not await AlertSource.exists(id=source_id):
        raise NotFound(f"Alert source {source_id} not found")
    key = new_secret(KEY_PREFIX, 24)
    heartbeat = await Heartbeat.create(
        name=name.strip()[:200], source_id=source_id, key_hash=digest(key), key_prefix=key[:8], interval_sec=interval_sec
    )
    return heartbeat, key


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
    if current is not None and current.due_at != heartbeat.due_at and result.alert_id is not None:
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
