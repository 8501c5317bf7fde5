"""Alert timeline entries: every change to an alert writes one, and readers page through them
newest first, a bounded page at a time."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

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


# ---------------------------------------------------------------------------- reading, a page at a time
#
# A flapping check can give one alert 100,000 entries, so nothing here ever reads a whole
# timeline: every read walks the (alert_id, id) index from one end and stops after a page.
#
# The statements say so in a way PostgreSQL's planner cannot misread. Given "alert_id = x
# ORDER BY id DESC", it may walk the primary key backwards and filter on alert_id: for a quiet
# alert next to a flapping one that steps over all 100,000 of the other's entries (25 ms instead
# of 0.05 ms, measured). A range on alert_id ("alert_id >= x", with the keyset as a row
# comparison) keeps alert_id in the ORDER BY, which only the (alert_id, id) index can give in
# order, and positions the walk at the page's first entry.

#: Past this many entries a count stops counting (see :func:`count_entries`).
COUNT_CAP = 10_000
_NEWEST = 2**63 - 1  # larger than any entry id: "before this id" then means "from the newest"
# SQLite refuses a compound SELECT of more than 500 parts; a statement holds at most this many.
_SQLITE_PARTS = 100


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """What a timeline shows of an entry (its ``data`` stays in the database)."""

    id: int
    alert_id: int
    kind: str
    text: str
    at: datetime


class TimelinePage(NamedTuple):
    """The newest ``limit`` entries of an alert older than entry ``before_id`` (None: from the
    newest). A DataLoader key: hashable, and many of them make one statement."""

    alert_id: int
    before_id: int | None
    limit: int


_AT = AlertLogEntry._meta.fields_map["at"]


def _entry(row: dict[str, Any]) -> TimelineEntry:
    return TimelineEntry(int(row["id"]), int(row["alert_id"]), row["kind"], row["text"], _AT.to_python_value(row["at"]))


async def _newest_postgres(wanted: list[tuple[int, int]], limit: int) -> list[dict[str, Any]]:
    """One statement for any number of alerts: per alert, a backward walk of its index that
    stops after ``limit`` rows (LATERAL), so the cost is the pages asked for, never the history.
    ``page`` numbers the rows of ``wanted`` from 0, saying which page a row belongs to."""
    return await sql.fetch(
        'SELECT wanted.page - 1 AS page, e.id, e.alert_id, e.kind, e.text, e."at" '
        "FROM unnest(?::int[], ?::bigint[]) WITH ORDINALITY AS wanted(alert_id, before_id, page) "
        'CROSS JOIN LATERAL (SELECT id, alert_id, kind, text, "at" FROM alert_log_entries '
        "WHERE (alert_id, id) < (wanted.alert_id, wanted.before_id) AND alert_id >= wanted.alert_id "
        "ORDER BY alert_id DESC, id DESC LIMIT ?) AS e",
        [alert_id for alert_id, _ in wanted],
        [before for _, before in wanted],
        limit,
    )


async def _union_all(part: str, params: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """``part`` once per tuple of ``params``, joined by ``UNION ALL``: one statement per
    ``_SQLITE_PARTS`` of them."""
    rows: list[dict[str, Any]] = []
    for start in range(0, len(params), _SQLITE_PARTS):
        chunk = params[start : start + _SQLITE_PARTS]
        rows += await sql.fetch(" UNION ALL ".join([part] * len(chunk)), *[value for values in chunk for value in values])
    return rows


async def _newest_sqlite(wanted: list[tuple[int, int]], limit: int) -> list[dict[str, Any]]:
    """SQLite has no LATERAL: a ``UNION ALL`` of per-alert index walks, each with its LIMIT."""
    part = (
        'SELECT ? AS page, * FROM (SELECT id, alert_id, kind, text, "at" FROM alert_log_entries '
        "WHERE alert_id = ? AND id < ? ORDER BY alert_id DESC, id DESC LIMIT ?)"
    )
    return await _union_all(part, [(page, alert_id, before, limit) for page, (alert_id, before) in enumerate(wanted)])


async def newest_pages(pages: Sequence[TimelinePage]) -> list[list[TimelineEntry]]:
    """Each page's entries, newest first: one statement per distinct ``limit`` (a request asks
    for one or two), whatever the number of alerts and however long their timelines."""
    by_limit: dict[int, list[int]] = defaultdict(list)  # limit -> positions in ``pages``
    for position, page in enumerate(pages):
        if page.limit < 1:
            raise ValueError(f"a timeline page holds at least one entry, not {page.limit}")
        by_limit[page.limit].append(position)
    newest = _newest_postgres if sql.is_postgres() else _newest_sqlite
    answers: list[list[TimelineEntry]] = [[] for _ in pages]
    for limit, positions in by_limit.items():
        wanted = [(pages[p].alert_id, _NEWEST if pages[p].before_id is None else pages[p].before_id) for p in positions]
        for row in await newest(wanted, limit):
            answers[positions[int(row["page"])]].append(_entry(row))
    for entries in answers:
        entries.sort(key=lambda e: e.id, reverse=True)  # a UNION ALL keeps no order
    return answers


async def count_entries(alert_ids: Sequence[int], cap: int = COUNT_CAP) -> list[int]:
    """How many entries each alert has, counted up to ``cap``: an alert with more answers
    ``cap``. Each count walks at most ``cap`` index entries, so it costs the same at 100,000
    entries as at ``cap``. (An exact count at any size needs a counter stored with the alert.)"""
    if not alert_ids:
        return []
    part = (
        "SELECT CAST(? AS INTEGER) AS alert_id, COUNT(*) AS n FROM (SELECT 1 FROM alert_log_entries "
        "WHERE alert_id >= ? AND alert_id <= ? ORDER BY alert_id, id LIMIT ?) AS capped"
    )
    rows = await _union_all(part, [(alert_id, alert_id, alert_id, cap) for alert_id in dict.fromkeys(alert_ids)])
    counts = {int(row["alert_id"]): int(row["n"]) for row in rows}
    return [counts.get(alert_id, 0) for alert_id in alert_ids]
