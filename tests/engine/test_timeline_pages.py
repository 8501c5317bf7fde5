"""Reading an alert's timeline a bounded page at a time (engine/core/timeline.py): the newest
entries of many alerts in one statement, paging backwards that reaches every entry exactly
once, and a count that stops at its cap. On SQLite and PostgreSQL with 5,000 repeated events,
and with 100,000 (on PostgreSQL when configured), where what a read fetches must not depend on the history."""

from __future__ import annotations

from datetime import UTC, datetime

from pagerline.engine.alerts.transitions import NewAlert, open_alert
from pagerline.engine.core.timeline import COUNT_CAP, TimelinePage, count_entries, newest_pages
from pagerline.models import Priority
from tests.support.queries import count_statements
from tests.support.seed import seed_org
from tests.support.timelines import add_repeats, entry_ids

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _alerts(*keys: str) -> list[int]:
    org = await seed_org()
    return [
        (await open_alert(NewAlert(org.api_source_id, org.policy_id, f"Flapping {key}", None, Priority.HIGH, key), NOW)).id
        for key in keys
    ]


async def test_newest_entries_of_several_alerts_come_in_one_statement(db: str) -> None:
    flapping, quiet = await _alerts("flapping", "quiet")
    opened = len(await entry_ids(flapping))  # received, routed, paged: a few
    await add_repeats(flapping, 5_000, NOW)
    flapping_ids, quiet_ids = await entry_ids(flapping), await entry_ids(quiet)
    assert len(flapping_ids) == opened + 5_000 and 1 <= len(quiet_ids) < 20

    with count_statements() as log:
        newest, few, latest = await newest_pages([TimelinePage(flapping, None, 20), TimelinePage(quiet, None, 20), TimelinePage(flapping, None, 1)])
    assert [e.id for e in newest] == flapping_ids[::-1][:20]  # newest first
    assert [e.id for e in few] == quiet_ids[::-1]  # all of a short timeline
    assert [e.id for e in latest] == [flapping_ids[-1]]
    assert newest[0].text == "Repeated event 5000" and newest[0].kind == "EVENT" and newest[0].at == NOW
    assert log.count == 2, log.statements  # one per page size, not one per alert


async def test_paging_backwards_reaches_every_entry_exactly_once(db: str) -> None:
    [alert] = await _alerts("paged")
    await add_repeats(alert, 5_000, NOW)
    seen: list[int] = []
    before = None
    while True:
        [page] = await newest_pages([TimelinePage(alert, before, 487)])  # pages that do not divide the total
        seen += [e.id for e in page]
        if len(page) < 487:
            break
        before = page[-1].id
    assert seen == (await entry_ids(alert))[::-1]


async def test_the_count_is_exact_below_its_cap_and_stops_at_it(db: str) -> None:
    flapping, quiet = await _alerts("counted", "short")
    await add_repeats(flapping, 5_000, NOW)
    total = len(await entry_ids(flapping))
    assert await count_entries([flapping, quiet, flapping]) == [total, len(await entry_ids(quiet)), total]
    assert await count_entries([flapping], cap=1_000) == [1_000]
    assert await count_entries([]) == []


async def test_reads_at_100_000_entries_fetch_only_the_page(heavy_db: str) -> None:
    """On PostgreSQL when configured (LATERAL over the (alert_id, id) index), else SQLite: the
    newest page, a page from the middle and the oldest page of 100,000 entries come in one
    statement with exactly the rows asked for."""
    [alert] = await _alerts("storm")
    await add_repeats(alert, 100_000, NOW)
    ids = await entry_ids(alert)
    assert len(ids) > 100_000
    middle = ids[50_000]

    with count_statements() as log:
        newest, from_middle, oldest = await newest_pages(
            [TimelinePage(alert, None, 100), TimelinePage(alert, middle, 100), TimelinePage(alert, ids[100], 100)]
        )
    assert log.count == 1, log.statements
    assert [e.id for e in newest] == ids[::-1][:100]
    assert [e.id for e in from_middle] == ids[49_900:50_000][::-1]
    assert [e.id for e in oldest] == ids[:100][::-1]
    assert await count_entries([alert]) == [COUNT_CAP]
