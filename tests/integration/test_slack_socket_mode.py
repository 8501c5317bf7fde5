"""The Slack app over Socket Mode, through a real server and the fake Slack: pagerline opens the
WebSocket itself (the app token), so presses and commands reach it with no public URL.

The server has no signing secret, so ``/api/slack/*`` refuse everything: the socket is the only
way in. Accept pressed twice (a double click) by a person whose Slack email is Alice's accepts
the alert once, each envelope acked; a Comment form's errors and ``/pagerline``'s answer come in
the ack itself, and an answer not ready within the ack's budget is acked bare and sent to the
``response_url`` instead. Slack's ``disconnect`` (it rotates connections) is followed by a new
connection that works. Stopping the server closes the connection with a close frame, finishes
what was acked, and logs no unclosed session.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from pagerline.engine.chat.commands import HELP
from pagerline.models import AlertStatus, ChatChannel, ChatPlatform
from tests.fakes import Answer, wait_until
from tests.fakes.slack import FakeSlack, SlackMessage, block_action, signed_form, slash_command, view_submission
from tests.support.graphql import in_db
from tests.support.world import SmokeWorld, WorldFactory

BOT_TOKEN = "xoxb-2222-socket-bot-token"
CHANNEL = "C0PAGERSKT"
WAIT = 20.0


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """Asked for before ``open_world``, so it stops after the server: a Slack that went away
    first would have the server reconnecting (and logging it) as it stops."""
    with FakeSlack(token=BOT_TOKEN) as fake:
        yield fake


def world_with_socket(open_world: WorldFactory, slack: FakeSlack) -> SmokeWorld:
    """A server holding a Socket Mode connection to the fake, and no signing secret; Ops'
    alerts go to the Slack channel ``CHANNEL``."""
    world = open_world(env={
        "PAGERLINE_SLACK_BOT_TOKEN": BOT_TOKEN,
        "PAGERLINE_SLACK_APP_TOKEN": slack.app_token,
        "PAGERLINE_SLACK_API_URL": slack.url + "/api/",
    })
    target = slack.add_channel("ops-alerts", CHANNEL)
    row = {"platform": ChatPlatform.SLACK, "target": target, "name": "#ops-alerts", "team_id": world.org.team_id}
    in_db(world.database_url, lambda: ChatChannel.create(**row, created_at=datetime.now(UTC)))
    wait_until(lambda: slack.socket_connections == 1, WAIT, what="the server's Socket Mode connection")
    return world


def newest_connection(slack: FakeSlack) -> Any:
    # The fake's own record of its WebSockets (websockets' ServerConnection): the count alone
    # cannot tell a reconnect from the old connection still open (a new URL is asked for before
    # the old socket closes), nor a clean close from a dropped socket.
    return slack.newest_socket


def posted(slack: FakeSlack, summary: str) -> SlackMessage:
    return wait_until(lambda: next((m for m in slack.messages(CHANNEL) if summary in m.text), None), WAIT, what=f"the message of {summary!r}")


def button(slack: FakeSlack, user_id: str, message: SlackMessage, action: str, alert_id: int) -> dict[str, Any]:
    return block_action(user_id, "alice", CHANNEL, message.ts, f"pagerline_{action}", str(alert_id), slack.response_url())


def command(slack: FakeSlack, user_id: str, text: str, response_url: str | None = None) -> dict[str, str]:
    return slash_command("/pagerline", text, user_id, "alice", CHANNEL, response_url or slack.response_url())


def stop_cleanly(world: SmokeWorld, slack: FakeSlack) -> None:
    """Stop the server: it closes its connection (a close frame, 1000, not a socket dropped
    as the process ends) and leaves no aiohttp session open."""
    connection = newest_connection(slack)
    world.server.stop()
    wait_until(lambda: slack.socket_connections == 0, WAIT, what="the connection closed by the server")
    assert connection.close_code == 1000, connection.close_code
    log = world.server.log()
    assert "Unclosed" not in log and "Traceback" not in log, log


def test_a_press_over_the_socket_accepts_once_with_the_http_routes_shut(slack: FakeSlack, open_world: WorldFactory) -> None:
    world = world_with_socket(open_world, slack)
    alice_slack = slack.add_user("alice@ops.test", name="alice")
    alert = world.event("disk", "Database disk full")
    message = posted(slack, "Database disk full")

    # Over HTTP nothing gets in, whatever it is signed with: no signing secret is set.
    body, headers = signed_form("any-secret-at-all", {"payload": json.dumps(button(slack, alice_slack, message, "accept", alert.id))})
    refused = httpx.post(f"{world.url}/api/slack/interactions", content=body, headers=headers, timeout=10)
    assert refused.status_code == 403 and refused.json()["code"] == "INVALID_SIGNATURE"
    assert world.alert(alert).status is AlertStatus.PENDING

    # Over the socket: pressed twice (a double click), each envelope acked with nothing owed.
    envelopes = [slack.socket_send("interactive", button(slack, alice_slack, message, "accept", alert.id)) for _ in range(2)]
    assert [slack.socket_ack(e, WAIT) for e in envelopes] == [{"envelope_id": e} for e in envelopes]
    wait_until(lambda: world.alert(alert).status is AlertStatus.ACCEPTED, WAIT, what="the alert accepted")
    wait_until(lambda: any("Accepted by Alice via Slack" in r.text for r in slack.message(CHANNEL, message.ts).replies), WAIT, what="the accept in the thread")

    # A form's errors are the ack's payload; a form sent as it should be is acked bare (it closes).
    slack.socket_ack(slack.socket_send("interactive", button(slack, alice_slack, message, "comment", alert.id)), WAIT)
    [opened] = wait_until(lambda: slack.views_opened, WAIT, what="the Comment form opened")
    empty = slack.socket_send("interactive", view_submission(alice_slack, "alice", opened["view"], {"comment": {"text": "  "}}))
    assert slack.socket_ack(empty, WAIT) == {"envelope_id": empty, "payload": {"response_action": "errors", "errors": {"comment": "A comment needs some text"}}}
    sent = slack.socket_send("interactive", view_submission(alice_slack, "alice", opened["view"], {"comment": {"text": "Rolling back"}}))
    assert slack.socket_ack(sent, WAIT) == {"envelope_id": sent}
    assert "Alice: Rolling back" in world.alert(alert).timeline

    stop_cleanly(world, slack)  # what was acked is handled before the server ends
    assert world.alert(alert).timeline.count("Accepted by Alice via Slack") == 1


def test_commands_answer_in_the_ack_and_the_socket_outlives_a_disconnect(slack: FakeSlack, open_world: WorldFactory) -> None:
    world = world_with_socket(open_world, slack)
    alice_slack = slack.add_user("alice@ops.test", name="alice")

    help_envelope = slack.socket_send("slash_commands", command(slack, alice_slack, "help"))
    assert slack.socket_ack(help_envelope, WAIT) == {"envelope_id": help_envelope, "payload": {"response_type": "ephemeral", "text": HELP}}
    oncall_envelope = slack.socket_send("slash_commands", command(slack, alice_slack, "oncall"))
    answer = slack.socket_ack(oncall_envelope, WAIT)["payload"]
    assert answer["response_type"] == "ephemeral" and answer["text"], answer

    # Slack slow to say who Alice is: the ack goes bare in time, the answer follows by response_url.
    slack.script.add("users.info", Answer(hold=True))
    url = slack.response_url()
    late_envelope = slack.socket_send("slash_commands", command(slack, alice_slack, "oncall", url))
    assert slack.socket_ack(late_envelope, WAIT) == {"envelope_id": late_envelope}
    assert slack.responses(url) == []
    slack.release()
    assert wait_until(lambda: slack.responses(url), WAIT, what="the late answer") == [answer]

    # Slack rotates the connection: the server opens a new one, which works as the first did.
    first = newest_connection(slack)
    slack.socket_disconnect()
    wait_until(lambda: slack.socket_connections == 1 and newest_connection(slack) is not first, WAIT, what="a new connection")
    assert len(slack.calls("apps.connections.open")) == 2
    again = slack.socket_send("slash_commands", command(slack, alice_slack, "help"))
    assert slack.socket_ack(again, WAIT)["payload"]["text"] == HELP

    stop_cleanly(world, slack)
