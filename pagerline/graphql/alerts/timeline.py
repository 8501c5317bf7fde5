"""An alert's timeline over GraphQL, always a bounded page: ``logEntries(last:)`` (the newest
entries, oldest first, as scripts have always read them), ``latestLogEntry``, the paged
``timeline(first:, after:)`` (newest first, keyset cursors on (alert, entry)) and
``logEntryCount``. A flapping check can give one alert 100,000 entries; what a request costs
depends on the page sizes it asks for, never on how long the timeline is."""

from __future__ import annotations

import base64
from datetime import datetime

import strawberry
from strawberry.types import Info

from pagerline.engine.core.timeline import COUNT_CAP, TimelineEntry, TimelinePage
from pagerline.graphql.core.context import loaders_of
from pagerline.graphql.core.errors import user_error

#: The most entries one field answers; more is refused, so a page's cost has a ceiling.
MAX_ENTRIES = 200
#: ``logEntries`` without ``last``: every entry of all but the busiest alerts.
DEFAULT_LAST = 100
#: ``timeline`` without ``first``.
DEFAULT_FIRST = 50
MAX_ENTRY_ID = 2**63 - 1  # the id column is 64-bit: a cursor past it names no entry

LAST_HELP = f"How many of the newest entries (1 to {MAX_ENTRIES}); page further back with `timeline`."
FIRST_HELP = f"How many entries (1 to {MAX_ENTRIES})."
COUNT_HELP = (
    f"How many timeline entries the alert has, counted up to {COUNT_CAP:,}: an alert with more "
    f"answers {COUNT_CAP:,} (read it as 'at least')."
)


@strawberry.type
class LogEntry:
    id: strawberry.ID = strawberry.field(description="Grows with every entry: of two entries of an alert, the larger id is newer.")
    kind: str
    text: str
    at: datetime

    @classmethod
    def of(cls, entry: TimelineEntry) -> LogEntry:
        return cls(id=strawberry.ID(str(entry.id)), kind=entry.kind, text=entry.text, at=entry.at)


@strawberry.type
class LogEntryEdge:
    cursor: str
    node: LogEntry


def encode_cursor(alert_id: int, entry_id: int) -> str:
    return base64.urlsafe_b64encode(f"entry:{alert_id}:{entry_id}".encode()).decode()


def decode_cursor(cursor: str, alert_id: int) -> int:
    """The entry id in a cursor of this alert's timeline; anything else is BAD_USER_INPUT
    (a cursor of another alert would silently page through the wrong timeline)."""
    try:
        prefix, owner, entry_id = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        if prefix == "entry" and int(owner) == alert_id and 0 < int(entry_id) <= MAX_ENTRY_ID:
            return int(entry_id)
    except (ValueError, UnicodeDecodeError):
        pass
    raise user_error("BAD_USER_INPUT", "'after' is not a cursor from this alert's timeline")


def checked_size(value: int, argument: str) -> int:
    if not 1 <= value <= MAX_ENTRIES:
        raise user_error(
            "BAD_USER_INPUT",
            f"'{argument}' must be 1 to {MAX_ENTRIES} (got {value}): page through a longer timeline with timeline(first, after)",
        )
    return value


async def newest(info: Info, alert_id: int, last: int) -> list[LogEntry]:
    """The newest ``last`` entries, oldest first."""
    entries = await loaders_of(info).timeline_pages.load(TimelinePage(alert_id, None, checked_size(last, "last")))
    return [LogEntry.of(entry) for entry in reversed(entries)]


async def latest(info: Info, alert_id: int) -> LogEntry | None:
    entries = await loaders_of(info).timeline_pages.load(TimelinePage(alert_id, None, 1))
    return LogEntry.of(entries[0]) if entries else None


async def page(info: Info, alert_id: int, first: int, after: str | None) -> tuple[list[LogEntryEdge], bool]:
    """A page of the timeline, newest first, older than the entry ``after`` names; and whether
    older entries exist (one more row is asked for to know)."""
    size = checked_size(first, "first")
    before_id = decode_cursor(after, alert_id) if after is not None else None
    entries = await loaders_of(info).timeline_pages.load(TimelinePage(alert_id, before_id, size + 1))
    edges = [LogEntryEdge(cursor=encode_cursor(alert_id, entry.id), node=LogEntry.of(entry)) for entry in entries[:size]]
    return edges, len(entries) > size


async def count(info: Info, alert_id: int) -> int:
    return await loaders_of(info).log_entry_counts.load(alert_id)
