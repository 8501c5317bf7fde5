"""The chat loop through a database outage: a real server (embedded worker) whose PostgreSQL
traffic goes through a proxy the test unplugs, and the fake Slack Web API.

While the database is away the loop's rounds fail and are retried; nothing is posted twice and
the loop is still running when the database comes back: an alert opened afterwards is posted
once, and one accepted afterwards has its message edited in place at once, not when the lease
of a round cut off by the outage runs out (a minute later).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pagerline.models import ChatChannel, ChatPlatform
from tests.fakes import wait_until
from tests.fakes.slack import FakeSlack, SlackMessage
from tests.support.graphql import alert_id_of, data, fire, in_db
from tests.support.live import embedded_env, seed_database
from tests.support.processes import start_server
from tests.support.tcp_proxy import TcpProxy, database_through

BOT_TOKEN = "xoxb-2222-outage-bot-token"
CHANNEL = "C0OUTAGE01"
WAIT = 20.0
OUTAGE_ROUNDS = 3  # the loop runs about once a second: this many failed rounds show it retried


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(token=BOT_TOKEN) as fake:
        fake.add_channel("ops-alerts", CHANNEL)
        yield fake


def messages_of(slack: FakeSlack, summary: str) -> list[SlackMessage]:
    return [m for m in slack.messages(CHANNEL) if summary in m.text]


def posted_once(slack: FakeSlack, summary: str) -> SlackMessage:
    wait_until(lambda: messages_of(slack, summary), WAIT, what=f"the message of {summary!r}")
    [message] = messages_of(slack, summary)
    return message


def test_the_chat_loop_rides_out_a_database_outage_and_posts_each_alert_once(pg_database_url: str, slack: FakeSlack, tmp_path: Path) -> None:
    url = pg_database_url
    org = seed_database(url)

    async def channel() -> None:
        await ChatChannel.create(platform=ChatPlatform.SLACK, target=CHANNEL, name="#ops-alerts", team_id=org.team_id, created_at=datetime.now(UTC))

    in_db(url, channel)
    pg = urlsplit(url)
    proxy = TcpProxy(pg.hostname or "127.0.0.1", pg.port or 5432).start()
    env = embedded_env(database_through(proxy, url), tmp_path, PAGERLINE_SLACK_BOT_TOKEN=BOT_TOKEN, PAGERLINE_SLACK_API_URL=slack.url + "/api/")
    server = start_server(env, tmp_path)
    try:
        before = alert_id_of(fire(server.url, org.api_key, "before", "Disk full before the outage", timeout=15))
        posted_once(slack, "Disk full before the outage")

        proxy.stop()
        failures_before = server.log().count("chat sync for SLACK failed")
        wait_until(lambda: server.log().count("chat sync for SLACK failed") >= failures_before + OUTAGE_ROUNDS or None, WAIT,
                   what="the chat loop's rounds to fail while the database is away")
        proxy.start()

        def fired_after() -> int | None:
            response = fire(server.url, org.api_key, "after", "Queue stuck after the outage", timeout=15)
            return alert_id_of(response) if response.status_code == 202 else None  # 503 while reconnecting: not stored

        wait_until(fired_after, WAIT, what="the intake to take events again")
        accepted = data(server.url, org.alice_token, "mutation($id: ID!) { acceptAlert(id: $id) { status } }", id=str(before))
        assert accepted["acceptAlert"]["status"] == "ACCEPTED"

        posted_once(slack, "Queue stuck after the outage")
        wait_until(lambda: "Accepted by Alice" in str(posted_once(slack, "Disk full before the outage").blocks) or None, WAIT,
                   what="the first alert's message to show it accepted")
        # Wait for the round that edits the first message to finish (it threads the accept last):
        # a second post of either alert could only come from a round up to then, since both rows
        # now hold their message's reference. No fixed sleep.
        first = posted_once(slack, "Disk full before the outage")
        wait_until(lambda: any("Accepted by Alice" in r.text for r in slack.message(CHANNEL, first.ts).replies) or None, WAIT,
                   what="the accept in the first message's thread")
        assert len(messages_of(slack, "Disk full before the outage")) == 1
        assert len(messages_of(slack, "Queue stuck after the outage")) == 1
        top_level = [c for c in slack.calls("chat.postMessage") if not c.params.get("thread_ts")]
        assert len(top_level) == 2, top_level  # thread replies carry the timeline; these are the messages
    finally:
        server.stop()
        proxy.close()
