"""An alert's timeline over GraphQL stays bounded however long it grows (a flapping check leaves
thousands of repeated events): ``logEntries`` answers the newest entries in order,
``timeline(first, after)`` pages back to the first entry reaching each exactly once, page sizes
past the cap and foreign cursors are coded errors, and the web dashboard's own query sends the
same SQL and fetches the same rows for an alert of 100 events as for one of 5,000 (SQLite) or
100,000 (PostgreSQL).

The API tests run against a real server; the cost test runs the real app in-process (its
lifespan, HTTP through httpx's ASGI transport) so that the database client can be watched."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pagerline.db import close_db, init_db
from pagerline.engine.alerts.transitions import NewAlert, open_alert
from pagerline.engine.core.timeline import COUNT_CAP
from pagerline.graphql.alerts.timeline import MAX_ENTRIES
from pagerline.models import Priority
from tests.support.databases import TemplateDatabases
from tests.support.graphql import BACKENDS, World, data, error_code, fire_ok, gql, in_db, in_process_client, world_on
from tests.support.web_app import web_app_document
from tests.support.seed import Org, seed_org
from tests.support.statements import StatementCounter, client_class_for
from tests.support.timelines import add_repeats, entry_ids

REPEATS = 5_000

NEWEST = "query($id: ID!, $last: Int!) { alert(id: $id) { logEntries(last: $last) { id kind text } latestLogEntry { id } } }"
DEFAULT_NEWEST = "query($id: ID!) { alert(id: $id) { logEntries { id } } }"
PAGE = """query($id: ID!, $first: Int!, $after: String) { alert(id: $id) {
  timeline(first: $first, after: $after) { edges { cursor node { id kind text at } } pageInfo { hasNextPage endCursor } } } }"""
COUNT = "query($id: ID!) { alert(id: $id) { logEntryCount } }"


@dataclass(frozen=True)
class Flapping:
    world: World
    alert_id: int  # REPEATS repeated events on top of what opening it wrote
    quiet_id: int  # a handful of entries


@pytest.fixture(scope="module", params=BACKENDS)
def flapping(request: pytest.FixtureRequest, templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flapping]:
    with world_on(request.param, templates, tmp_path_factory.mktemp("timeline")) as world:
        alert_id = fire_ok(world.url, world.ops.api_key, "flapping-check", "Disk check flapping")
        quiet_id = fire_ok(world.url, world.ops.api_key, "quiet-check", "Quiet check")
        in_db(world.database_url, lambda: add_repeats(alert_id, REPEATS, datetime.now(UTC)))
        yield Flapping(world, alert_id, quiet_id)


def stored_ids(made: Flapping, alert_id: int) -> list[int]:
    """The alert's entry ids now, oldest first. The server's worker may still be adding entries
    (the page it sent): answers are compared with what was stored up to their newest entry."""
    return in_db(made.world.database_url, lambda: entry_ids(alert_id))


def ids_of(entries: list[dict[str, Any]]) -> list[int]:
    return [int(entry["id"]) for entry in entries]


def test_log_entries_are_the_newest_in_order(flapping: Flapping) -> None:
    url, token = flapping.world.url, flapping.world.ops.bob_token
    default = ids_of(data(url, token, DEFAULT_NEWEST, id=str(flapping.alert_id))["alert"]["logEntries"])
    stored = stored_ids(flapping, flapping.alert_id)
    assert len(stored) > REPEATS
    assert default == [i for i in stored if i <= default[-1]][-100:]  # the newest 100, oldest first

    alert = data(url, token, NEWEST, id=str(flapping.alert_id), last=7)["alert"]
    assert ids_of(alert["logEntries"]) == [i for i in stored_ids(flapping, flapping.alert_id) if i <= ids_of(alert["logEntries"])[-1]][-7:]
    assert alert["latestLogEntry"]["id"] == alert["logEntries"][-1]["id"]

    quiet = data(url, token, NEWEST, id=str(flapping.quiet_id), last=MAX_ENTRIES)["alert"]
    assert ids_of(quiet["logEntries"]) == [i for i in stored_ids(flapping, flapping.quiet_id) if i <= ids_of(quiet["logEntries"])[-1]]


def test_paging_back_reaches_every_entry_exactly_once(flapping: Flapping) -> None:
    url, token = flapping.world.url, flapping.world.ops.bob_token
    seen: list[int] = []
    oldest_kind = ""
    after = None
    for size in [1, MAX_ENTRIES] + [173] * 100:  # sizes that do not divide the total, the largest allowed
        page = data(url, token, PAGE, id=str(flapping.alert_id), first=size, after=after)["alert"]["timeline"]
        assert 0 < len(page["edges"]) <= size
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        seen += [int(edge["node"]["id"]) for edge in page["edges"]]
        oldest_kind = page["edges"][-1]["node"]["kind"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    else:
        raise AssertionError("the timeline did not end")
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == len(seen)  # newest first, once each
    assert seen[::-1] == [i for i in stored_ids(flapping, flapping.alert_id) if i <= seen[0]]  # down to the first entry
    assert oldest_kind == "RECEIVED"  # the alert's first entry


def test_page_sizes_past_the_cap_and_foreign_cursors_are_refused(flapping: Flapping) -> None:
    url, token, alert = flapping.world.url, flapping.world.ops.bob_token, str(flapping.alert_id)
    for last in (MAX_ENTRIES + 1, 100_000, 0, -1):
        refused = gql(url, token, NEWEST, id=alert, last=last)
        assert error_code(refused) == "BAD_USER_INPUT" and str(MAX_ENTRIES) in refused["errors"][0]["message"], refused
    for first in (MAX_ENTRIES + 1, 0):
        assert error_code(gql(url, token, PAGE, id=alert, first=first)) == "BAD_USER_INPUT"
    quiet_cursor = data(url, token, PAGE, id=str(flapping.quiet_id), first=1)["alert"]["timeline"]["pageInfo"]["endCursor"]
    alerts_cursor = data(url, token, "{ alerts(first: 1) { pageInfo { endCursor } } }")["alerts"]["pageInfo"]["endCursor"]
    past_ids = base64.urlsafe_b64encode(f"entry:{alert}:{2**64}".encode()).decode()
    for after in (quiet_cursor, alerts_cursor, past_ids, "not a cursor", "", "ZW50cnk6MTow"):
        refused = gql(url, token, PAGE, id=alert, first=5, after=after)
        assert error_code(refused) == "BAD_USER_INPUT" and "cursor" in refused["errors"][0]["message"], (after, refused)
    null_last = gql(url, token, "query($id: ID!) { alert(id: $id) { logEntries(last: null) { id } } }", id=alert)
    assert error_code(null_last) == "BAD_USER_INPUT"  # no way to ask for "everything"


def test_the_entry_count_is_exact_below_its_cap(flapping: Flapping) -> None:
    url, token = flapping.world.url, flapping.world.ops.bob_token
    counted = data(url, token, COUNT, id=str(flapping.alert_id))["alert"]["logEntryCount"]
    assert REPEATS < counted <= len(stored_ids(flapping, flapping.alert_id)) < COUNT_CAP
    quiet = data(url, token, COUNT, id=str(flapping.quiet_id))["alert"]["logEntryCount"]
    assert 0 < quiet <= len(stored_ids(flapping, flapping.quiet_id))


# ---------------------------------------------------------------------------- what the dashboard costs


def dashboard_query() -> str:
    return web_app_document("DASHBOARD")


def alert_page_query() -> str:
    return web_app_document("AlertPage")


class RowCounter(StatementCounter):
    """Statements, and the rows they brought back, of every client of one class."""

    def __init__(self) -> None:
        super().__init__()
        self.rows = 0

    def answered(self, result: Any) -> None:
        if isinstance(result, list):  # execute_query_dict
            self.rows += len(result)
        elif isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], list):  # execute_query
            self.rows += len(result[1])


@dataclass(frozen=True)
class Cost:
    statements: int
    rows: int
    bytes: int
    # Each distinct statement once (its first 80 characters): what was asked, however batched.
    shapes: frozenset[str] = frozenset()


def statement_shape(statement: str) -> str:
    """What a statement asks, whatever its batch: the users loader may ask for one person in one
    batch and three in another (its batches depend on timing), so ``IN ($1)`` and ``IN ($1, $2)``
    are the same question."""
    return re.sub(r"IN \(\$\d+(, \$\d+)*\)", "IN (…)", " ".join(statement.split()))[:80]


async def _seed_dashboard(database_url: str) -> tuple[Org, int]:
    """Three open alerts; the first will flap."""
    await init_db(database_url)
    try:
        org = await seed_org()
        start = datetime.now(UTC) - timedelta(minutes=1)
        ids = [
            (await open_alert(NewAlert(org.api_source_id, org.policy_id, f"Check {i}", None, Priority.HIGH, f"check-{i}"), start)).id
            for i in range(3)
        ]
        return org, ids[0]
    finally:
        await close_db()


async def test_the_dashboard_costs_the_same_at_100_events_as_at_many(backend: str, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    many = 100_000 if backend == "postgres" else REPEATS
    org, flapping_id = await _seed_dashboard(database_url)
    counter = RowCounter()
    counter.install(monkeypatch, client_class_for(database_url))
    documents = {"list": (dashboard_query(), {}), "page": (alert_page_query(), {"id": str(flapping_id)})}
    async with in_process_client(database_url) as client:

        added = [0]

        async def cost_with(repeats: int) -> dict[str, tuple[Cost, dict[str, Any]]]:
            """The open-alert list's and the alert page's cost once the flapping alert has had
            ``repeats`` repeated events."""
            await add_repeats(flapping_id, repeats - added[0], datetime.now(UTC))
            added[0] = repeats
            costs = {}
            for name, (query, variables) in documents.items():
                counter.statements.clear()
                counter.rows = 0
                response = await client.post(
                    "/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {org.alice_token}"}
                )
                assert response.status_code == 200 and "errors" not in response.json(), response.text
                shapes = frozenset(statement_shape(statement) for statement in counter.statements)
                costs[name] = Cost(len(counter.statements), counter.rows, len(response.content), shapes), response.json()["data"]
            return costs

        few = await cost_with(10)
        hundred = await cost_with(100)
        lots = await cost_with(many)

    newest = f"Repeated event {many - 100}"
    [listed] = [e["node"] for e in lots["list"][1]["alerts"]["edges"] if int(e["node"]["id"]) == flapping_id]
    assert listed["latestLogEntry"]["text"] == newest  # the list shows the newest entry, and only it
    assert json.dumps(lots["list"][1]).count("Repeated event") == 1
    page = lots["page"][1]["alert"]["timeline"]
    texts = [edge["node"]["text"] for edge in page["edges"]]
    assert texts[0] == newest and page["pageInfo"]["hasNextPage"]  # really the newest, and more to load
    assert json.dumps(lots["page"][1]).count("Repeated event") == len(texts) + 1  # and latestLogEntry
    for name, shown_entries in (("list", 1), ("page", len(texts) + 1)):
        (f, _), (h, _), (l, _) = few[name], hundred[name], lots[name]
        assert l.shapes == h.shapes == f.shapes, (name, f, h, l)
        if name == "list":
            assert l.statements == h.statements == f.statements, (name, f, h, l)
        else:
            # The page loads users along four paths (responders, notifications, the policy's
            # levels, who is on call): whether their loader runs in one batch or two depends on
            # when the other statements answer, not on how many events the alert had.
            assert max(f.statements, h.statements, l.statements) - min(f.statements, h.statements, l.statements) <= 1, (name, f, h, l)
        assert l.rows == h.rows and f.rows <= h.rows, (name, f, h, l)
        # The same number of entries; only the digits of their ids and texts grow ("Repeated event 99900").
        assert abs(l.bytes - h.bytes) <= 10 * shown_entries, (name, h, l)
        assert l.bytes < 64 * 1024, (name, l)
