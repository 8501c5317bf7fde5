"""Listing alerts: filters combined with a keyset cursor (newest first, ``id < after``), so
pages stay stable while new alerts arrive, at any depth, with one indexed query per page.
Open-alert lists (``status`` PENDING and/or ACCEPTED) read the partial index ``alerts_open``,
which holds open alerts only; text search reads pg_trgm indexes on PostgreSQL (see below).

The caller passes who may see what as a query expression (the adapters own visibility).
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q

from pagerline.engine.core.errors import BadInput
from pagerline.engine.core.input_rules import check_text
from pagerline.models import Alert, AlertStatus, Priority

MAX_TEXT = 200


@dataclass(frozen=True, slots=True)
class AlertFilter:
    statuses: tuple[AlertStatus, ...] = ()
    priority: Priority | None = None
    source_id: int | None = None
    team_id: int | None = None
    text: str | None = None  # case-insensitive, in summary or details


def _text_filter(text: str) -> Q:
    text = check_text(text.strip(), "text")
    if len(text) > MAX_TEXT:
        raise BadInput(f"text is limited to {MAX_TEXT} characters")
    # The text is matched literally: Tortoise escapes LIKE's wildcards (% _ and the escape
    # character \) in icontains and adds ESCAPE '\', on PostgreSQL and SQLite alike.
    # On PostgreSQL, icontains is ``UPPER(CAST(col AS VARCHAR)) LIKE UPPER(…)``, and migration
    # 0008 indexes exactly those two expressions with pg_trgm (GIN): a text of three characters
    # or more is looked up in the index, so a word in no alert costs two index probes however
    # many alerts there are. tests/integration/test_query_plans.py fails if that stops holding.
    return Q(summary__icontains=text) | Q(details__icontains=text)


async def page(visible: Q, wanted: AlertFilter, after_id: int | None, limit: int) -> list[Alert]:
    """Up to ``limit`` alerts older than ``after_id``; ask for one more to learn if a next page exists."""
    query = Alert.filter(visible)
    if wanted.statuses:
        query = query.filter(status__in=list(wanted.statuses))
    if wanted.priority is not None:
        query = query.filter(priority=wanted.priority)
    if wanted.source_id is not None:
        query = query.filter(source_id=wanted.source_id)
    if wanted.team_id is not None:
        query = query.filter(source__team_id=wanted.team_id)
    if wanted.text and wanted.text.strip():
        query = query.filter(_text_filter(wanted.text))
    if after_id is not None:
        query = query.filter(id__lt=after_id)
    return await query.order_by("-id").limit(limit)
