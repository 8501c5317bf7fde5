"""Long alert timelines made quickly: one INSERT … SELECT writes thousands of repeated-event
entries (what a flapping check leaves behind) without going through the intake one by one."""

from __future__ import annotations

from datetime import datetime

from pagerline.engine.core import sql
from pagerline.models import AlertLogEntry


async def add_repeats(alert_id: int, count: int, at: datetime) -> None:
    """``count`` EVENT entries ("Repeated event 1" …) on the alert, all at ``at``."""
    if sql.is_postgres():
        rows = "SELECT ?, 'EVENT', 'Repeated event ' || i, ?, '{}'::jsonb FROM generate_series(1, ?) AS i"
    else:
        rows = (
            "SELECT ?, 'EVENT', 'Repeated event ' || i, ?, '{}' FROM "
            "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) SELECT i FROM n)"
        )
    await sql.execute(
        f'INSERT INTO alert_log_entries (alert_id, kind, text, "at", data) {rows}',
        alert_id,
        sql.db_time(AlertLogEntry, "at", at),
        count,
    )


async def entry_ids(alert_id: int) -> list[int]:
    """Every entry id of the alert, oldest first: what a test compares paged answers with."""
    return [int(row["id"]) for row in await sql.fetch("SELECT id FROM alert_log_entries WHERE alert_id = ? ORDER BY id", alert_id)]
