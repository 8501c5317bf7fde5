"""Alert timeline entries. Every change to an alert writes one."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pagerline.engine.core import sql
from pagerline.models import AlertLogEntry


class LogKind:
    RECEIVED = "RECEIVED"
    EVENT = "EVENT"
    ROUTED = "ROUTED"
    NOTIFIED = "NOTIFIED"
    NOTIFICATION_FAILED = "NOTIFICATION_FAILED"
    NOTIFICATION_SKIPPED = "NOTIFICATION_SKIPPED"
    NOTIFICATION_RETRY = "NOTIFICATION_RETRY"
    NOTIFICATION_SUPPRESSED = "NOTIFICATION_SUPPRESSED"
    ESCALATED = "ESCALATED"
    ESCALATION_ENDED = "ESCALATION_ENDED"
    NOBODY_ON_CALL = "NOBODY_ON_CALL"
    ACCEPTED = "ACCEPTED"
    RESOLVED = "RESOLVED"
    COMMENT = "COMMENT"


async def add_entry(
    alert_id: int,
    kind: str,
    text: str,
    at: datetime,
    user_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Write one entry now, in the caller's transaction (one plain INSERT: every delivery
    writes one, so the ORM's per-insert cost shows)."""
    json_param = "?::jsonb" if sql.is_postgres() else "?"
    await sql.execute(
        f'INSERT INTO alert_log_entries (alert_id, kind, text, "at", user_id, data) VALUES (?, ?, ?, ?, ?, {json_param})',
        alert_id,
        kind,
        text,
        sql.db_time(AlertLogEntry, "at", at),
        user_id,
        json.dumps(data or {}),
    )


def entry(
    alert_id: int,
    kind: str,
    text: str,
    at: datetime,
    user_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AlertLogEntry:
    """An unsaved entry, for bulk_create when one change writes several."""
    return AlertLogEntry(alert_id=alert_id, kind=kind, text=text, at=at, user_id=user_id, data=data or {})
