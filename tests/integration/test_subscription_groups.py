"""Subscriptions fan out once per group of alike subscribers, against a real server.

Subscribers whose operation and audience (role and teams) are the same get one execution of
each event between them, and the same bytes (only the subscription's own ``id`` differs);
the server's ``pagerline_subscription_executions_total`` counts executions, so an event costs
as many executions as there are groups that see it, however many subscribers each has.
Visibility stays exact: a group of another team never gets the event, and a field that depends
on who the viewer is (someone's notification rules are shown to them only) splits a group.
And one change is one message: the timeline entry a delivered notification adds is not a
second message to a subscription that does not show the timeline.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from pagerline.engine.people.accounts import create_token, create_user
from pagerline.models import Role, TokenKind
from tests.support.databases import TemplateDatabases
from tests.support.graphql import BACKENDS, World, data, fire_ok, in_db, world_on, ws_url
from tests.support.processes import wait_until_async

PROTOCOL = "graphql-transport-ws"
FEED = "subscription { alertEvents { kind alert { id summary status } } }"
OTHER_FEED = "subscription { alertEvents { kind alert { id summary priority } } }"
PERSONAL_FEED = "subscription { alertEvents { kind alert { id responders { user { email notificationRules { method } } } } } }"
TIMELINE_FEED = "subscription { alertEvents { kind alert { id logEntries { kind } } } }"


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world_on(request.param, templates, tmp_path_factory.mktemp("subscription-groups")) as made:
        yield made


@pytest.fixture(scope="module")
def carol_token(world: World) -> str:
    """A second USER of Ops: the same audience as Ops's Alice, another person."""

    async def make() -> str:
        carol = await create_user("carol@ops.test", "Carol", "carol-password", Role.USER, "UTC", ["Ops"])
        return (await create_token(carol.id, TokenKind.API, datetime.now(UTC), "test"))[1]

    return in_db(world.database_url, make)


@dataclass
class Feed:
    """One WebSocket with one subscription (id ``sub_id``): the raw `next` messages it got."""

    url: str
    token: str
    query: str
    sub_id: str
    raw: list[str] = field(default_factory=list)

    async def open(self) -> None:
        self.ws = await websockets.connect(self.url, subprotocols=[PROTOCOL])  # type: ignore[list-item]
        await self.ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": self.token}}))
        assert json.loads(await self.ws.recv())["type"] == "connection_ack"
        await self.ws.send(json.dumps({"id": self.sub_id, "type": "subscribe", "payload": {"query": self.query}}))
        self.reading = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                parsed = json.loads(message)
                assert parsed["type"] == "next", parsed
                assert parsed["id"] == self.sub_id, parsed  # its own id, spliced into the shared bytes
                self.raw.append(str(message))
        except websockets.ConnectionClosed:
            pass

    def events(self, alert_id: int) -> list[dict[str, Any]]:
        found = [json.loads(m)["payload"]["data"]["alertEvents"] for m in self.raw]
        return [e for e in found if e["alert"]["id"] == str(alert_id)]

    def payloads(self, alert_id: int) -> list[str]:
        """The messages about ``alert_id`` as sent, with the subscription id taken out."""
        return [m.replace(json.dumps(self.sub_id), '"ID"', 1) for m in self.raw if f'"id":"{alert_id}"' in m]

    async def close(self) -> None:
        await self.ws.close()
        await self.reading


async def open_feeds(world: World, groups: dict[str, tuple[str, str, int]]) -> dict[str, list[Feed]]:
    """name -> (token, query, how many subscribers): that many feeds, each with its own id."""
    feeds = {name: [Feed(ws_url(world.url), token, query, f"{name}-{n}") for n in range(count)] for name, (token, query, count) in groups.items()}
    await asyncio.gather(*(feed.open() for group in feeds.values() for feed in group))
    everyone = [feed for group in feeds.values() for feed in group]
    # The server registers a subscription a moment after it is sent: warm up until all are live.
    for attempt in range(40):
        warm = [await asyncio.to_thread(fire_ok, world.url, org.api_key, f"groups-warm-up-{attempt}-{id(feeds)}", "warm-up") for org in (world.ops, world.web)]
        try:
            await wait_until_async(lambda: all(f.events(warm[0]) or f.events(warm[1]) for f in everyone), timeout=1.0)
            return feeds
        except AssertionError:
            continue
    raise AssertionError("the subscriptions never went live")


def executions(world: World, kind: str) -> float:
    """The server's pagerline_subscription_executions_total for alert events of ``kind``."""
    text = httpx.get(f"{world.url}/metrics", timeout=10).text
    found = re.search(rf'^pagerline_subscription_executions_total\{{kind="{kind}",topic="alert"\}} (\S+)$', text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def close_all(feeds: dict[str, list[Feed]]) -> None:
    await asyncio.gather(*(feed.close() for group in feeds.values() for feed in group))


def test_an_event_is_executed_once_per_group_and_every_subscriber_of_a_group_gets_the_same_bytes(world: World) -> None:
    async def scenario() -> None:
        feeds = await open_feeds(world, {
            "ops-users": (world.ops.alice_token, FEED, 6),
            "ops-responders": (world.ops.bob_token, FEED, 4),  # same teams, another role: another group
            "ops-other-selection": (world.ops.alice_token, OTHER_FEED, 3),
            "admins": (world.admin_token, FEED, 3),
            "web-users": (world.web.alice_token, FEED, 5),  # may not see Ops's alerts
        })
        try:
            before = await asyncio.to_thread(executions, world, "CREATED")
            ops_alert = await asyncio.to_thread(fire_ok, world.url, world.ops.api_key, "groups-ops", "Ops only")
            seeing = [f for name, group in feeds.items() if name != "web-users" for f in group]
            await wait_until_async(lambda: all(f.events(ops_alert) for f in seeing), what="every Ops-visible subscriber to get the event")
            # Four groups see it (Ops users, Ops responders, Ops users with another selection,
            # admins): four executions for sixteen subscribers.
            assert await asyncio.to_thread(executions, world, "CREATED") - before == 4

            for name, group in feeds.items():
                if name == "web-users":
                    continue
                first = group[0].payloads(ops_alert)[0]
                assert json.loads(first.replace('"ID"', '"x"'))["payload"]["data"]["alertEvents"]["kind"] == "CREATED"
                assert all(f.payloads(ops_alert)[0] == first for f in group), name  # byte for byte

            # Two visibility groups on one event: Web's, which does not see Ops's alert, and the
            # admins, who see Web's as well as Ops's.
            web_alert = await asyncio.to_thread(fire_ok, world.url, world.web.api_key, "groups-web", "Web only")
            await wait_until_async(lambda: all(f.events(web_alert) for f in feeds["web-users"] + feeds["admins"]), what="Web's alert")
            # Each subscriber's events come in bus order, so instead of waiting a while for a
            # wrong delivery: Web's subscribers already got an event after Ops's alert, and a
            # later Ops alert that every Ops subscriber receives comes after Web's alert.
            sentinel = await asyncio.to_thread(fire_ok, world.url, world.ops.api_key, "groups-ops-after", "Ops, later")
            await wait_until_async(lambda: all(f.events(sentinel) for f in seeing), what="the later Ops alert")
            assert not [f.sub_id for f in feeds["web-users"] if f.events(ops_alert)]
            assert not [f.sub_id for name in ("ops-users", "ops-responders", "ops-other-selection") for f in feeds[name] if f.events(web_alert)]
        finally:
            await close_all(feeds)

    asyncio.run(scenario())


def test_a_field_that_depends_on_who_is_looking_splits_a_group(world: World, carol_token: str) -> None:
    """Ops's Alice and Carol have the same role and teams, but only Alice sees her own
    notification rules: each gets the rules as they may see them."""

    async def scenario() -> None:
        feeds = await open_feeds(world, {"alice": (world.ops.alice_token, PERSONAL_FEED, 3), "carol": (carol_token, PERSONAL_FEED, 3)})
        try:
            before = await asyncio.to_thread(executions, world, "CREATED")
            alert = await asyncio.to_thread(fire_ok, world.url, world.ops.api_key, "groups-personal", "Who is paged")
            everyone = feeds["alice"] + feeds["carol"]
            await wait_until_async(lambda: all(f.events(alert) for f in everyone), what="the event at Alice's and Carol's")
            assert await asyncio.to_thread(executions, world, "CREATED") - before == 2

            def alices_rules(feed: Feed) -> Any:
                responders = feed.events(alert)[0]["alert"]["responders"]
                return [r["user"]["notificationRules"] for r in responders if r["user"]["email"] == "alice@ops.test"]

            assert all(alices_rules(f) and alices_rules(f)[0] for f in feeds["alice"])  # her own rules
            assert all(alices_rules(f) == [None] for f in feeds["carol"])  # not Carol's to see
        finally:
            await close_all(feeds)

    asyncio.run(scenario())


def test_one_change_is_one_message_and_a_selection_that_shows_more_sees_every_change(world: World) -> None:
    """A new alert pages Alice at once: the notification's timeline entry is a second commit.
    A feed of status and summary gets one message for the alert (CREATED), then one for the
    accept; a feed of the timeline also sees the notification's entry."""

    async def scenario() -> None:
        feeds = await open_feeds(world, {"status": (world.ops.bob_token, FEED, 2), "timeline": (world.ops.bob_token, TIMELINE_FEED, 2)})
        try:
            alert = await asyncio.to_thread(fire_ok, world.url, world.ops.api_key, "groups-one-message", "Count the messages")

            def notified(feed: Feed) -> bool:
                return any("NOTIFIED" in {e["kind"] for e in event["alert"]["logEntries"]} for event in feed.events(alert))

            await wait_until_async(lambda: all(notified(f) for f in feeds["timeline"]), what="the notification's entry on the timeline feed")
            await asyncio.to_thread(data, world.url, world.ops.bob_token, "mutation($id: ID!) { acceptAlert(id: $id) { id } }", id=str(alert))
            await wait_until_async(lambda: all(len(f.events(alert)) >= 2 for f in feeds["status"]), what="the accept")
            await asyncio.sleep(0.5)  # time for a needless message to arrive
            for feed in feeds["status"]:
                assert [(e["kind"], e["alert"]["status"]) for e in feed.events(alert)] == [("CREATED", "PENDING"), ("ACCEPTED", "ACCEPTED")]
            timeline = (await asyncio.to_thread(data, world.url, world.ops.bob_token, "query($id: ID!) { alert(id: $id) { logEntries { kind } } }", id=str(alert)))["alert"]["logEntries"]
            for feed in feeds["timeline"]:
                kinds = [e["kind"] for e in feed.events(alert)]
                assert kinds[0] == "CREATED" and "ACCEPTED" in kinds, kinds
                assert feed.events(alert)[-1]["alert"]["logEntries"] == timeline  # every change reached it
        finally:
            await close_all(feeds)

    asyncio.run(scenario())
