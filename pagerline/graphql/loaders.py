"""DataLoaders, made fresh per HTTP request and per subscription event (never per WebSocket
connection, or they would serve stale data)."""

from __future__ import annotations

from collections import defaultdict

from strawberry.dataloader import DataLoader

from pagerline.engine.alerts import event_counts
from pagerline.models import AlertLogEntry, AlertSource


async def _log_entries(alert_ids: list[int]) -> list[list[AlertLogEntry]]:
    grouped: dict[int, list[AlertLogEntry]] = defaultdict(list)
    for row in await AlertLogEntry.filter(alert_id__in=alert_ids).order_by("id"):
        grouped[row.alert_id].append(row)  # type: ignore[attr-defined]
    return [grouped.get(i, []) for i in alert_ids]


async def _sources(source_ids: list[int]) -> list[AlertSource | None]:
    found = {s.id: s for s in await AlertSource.filter(id__in=source_ids)}
    return [found.get(i) for i in source_ids]


async def _event_counts(alert_ids: list[int]) -> list[int]:
    counts = await event_counts(alert_ids)
    return [counts[i] for i in alert_ids]


class Loaders:
    def __init__(self) -> None:
        self.event_counts: DataLoader[int, int] = DataLoader(load_fn=_event_counts)
        self.log_entries: DataLoader[int, list[AlertLogEntry]] = DataLoader(load_fn=_log_entries)
        self.sources: DataLoader[int, AlertSource | None] = DataLoader(load_fn=_sources)
