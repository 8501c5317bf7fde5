"""GET /ical/{token}.ics through a real server: a valid feed token gets the calendar, an unknown
or revoked one a 404 JSON error, and a feed token opens nothing but its feed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import icalendar
import pytest

from pagerline.db import close_db, init_db
from pagerline.engine.people.accounts import create_user
from pagerline.engine.schedules.calendars import create_feed, revoke_feed
from pagerline.models import Schedule, ScheduleLayer
from tests.conftest import run
from tests.support.databases import TemplateDatabases
from tests.support.graphql import error_code, gql
from tests.support.processes import Server, start_server


@dataclass
class World:
    server: Server
    user_feed: str
    schedule_feed: str
    revoked_feed: str


async def _seed(url: str) -> tuple[str, str, str]:
    await init_db(url)
    try:
        now = datetime.now(UTC)
        alice = await create_user("alice@ical.test", "Alice")
        bob = await create_user("bob@ical.test", "Bob")
        schedule = await Schedule.create(name="Primary", timezone="Europe/Berlin")
        await ScheduleLayer.create(
            schedule=schedule, position=0, starts_on=now - timedelta(days=3), rotation="P1D", user_ids=[alice.id, bob.id]
        )
        _, user_feed = await create_feed(alice.id, None, now)
        _, schedule_feed = await create_feed(bob.id, schedule.id, now)
        revoked, revoked_feed = await create_feed(alice.id, schedule.id, now)
        await revoke_feed(alice.id, revoked.id, now)
        return user_feed, schedule_feed, revoked_feed
    finally:
        await close_db()


@pytest.fixture(scope="module")
def world(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    workdir = tmp_path_factory.mktemp("ical")
    url = templates.sqlite(workdir)
    feeds = run(_seed(url))
    server = start_server({"PAGERLINE_DATABASE_URL": url}, workdir)
    try:
        yield World(server, *feeds)
    finally:
        server.stop()


def events(response: httpx.Response) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(response.content).walk("VEVENT"))


def test_a_valid_token_gets_its_calendar(world: World) -> None:
    response = httpx.get(f"{world.server.url}/ical/{world.user_feed}.ics", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["cache-control"] == "private, max-age=300"
    assert response.content.startswith(b"BEGIN:VCALENDAR\r\n")
    mine = events(response)
    assert len(mine) > 50 and {str(e["SUMMARY"]) for e in mine} == {"On call: Primary"}

    everyone = events(httpx.get(f"{world.server.url}/ical/{world.schedule_feed}.ics", timeout=10))
    assert {str(e["SUMMARY"]) for e in everyone} == {"Alice on call", "Bob on call"}
    assert len(everyone) > len(mine)

    head = httpx.head(f"{world.server.url}/ical/{world.user_feed}.ics", timeout=10)
    assert head.status_code == 200 and head.headers["content-type"] == "text/calendar; charset=utf-8"


@pytest.mark.parametrize("which", ["unknown", "revoked"])
def test_unknown_and_revoked_tokens_get_404_json(world: World, which: str) -> None:
    secret = world.revoked_feed if which == "revoked" else "plc_" + "x" * 32
    response = httpx.get(f"{world.server.url}/ical/{secret}.ics", timeout=10)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == 404 and body["code"] == "UNKNOWN_CALENDAR_FEED" and body["message"]
    assert set(body) == {"status", "message", "code"}


def test_the_ics_suffix_is_part_of_the_route(world: World) -> None:
    assert httpx.get(f"{world.server.url}/ical/{world.user_feed}", timeout=10).status_code == 404
    assert httpx.get(f"{world.server.url}/ical/{world.user_feed}.ics.ics", timeout=10).status_code == 404
    assert httpx.get(f"{world.server.url}/ical/{world.user_feed}.ics", timeout=10).status_code == 200


def test_a_feed_token_is_not_a_bearer_token(world: World) -> None:
    assert error_code(gql(world.server.url, world.user_feed, "{ me { name } }")) == "UNAUTHENTICATED"
