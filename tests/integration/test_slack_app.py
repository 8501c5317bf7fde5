"""The Slack app through a real server and the fake Slack Web API (the real ``slack_sdk`` client
on one side, requests signed as Slack signs them on the other).

Ops' alerts go to one channel: an alert is posted there once with Accept, Resolve and
Escalate; Accept pressed twice at once by a person whose Slack email is Alice's accepts it once,
the message is edited in place and its thread carries the timeline; an accept in the web app
edits the message too. Someone Slack knows but pagerline does not, a stakeholder, a forged
signature and a request older than five minutes change nothing. ``/pagerline oncall`` answers
as the person who asked. A Slack that answers 429 delays its own message (by Retry-After) and
never the page of the same alert.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from pagerline.engine.people.accounts import create_user
from pagerline.engine.chat.commands import who_is_on_call
from pagerline.models import AlertLogEntry, AlertStatus, ChatChannel, ChatPlatform, Notification, NotificationStatus, Role, Schedule, ScheduleOverride, Team, User
from tests.fakes import wait_until
from tests.fakes.slack import FakeSlack, Selected, SlackMessage, block_action, message_event, message_shortcut, signed_form, signed_json, slash_command, view_submission
from tests.support.graphql import in_db
from tests.support.world import SmokeWorld, WorldFactory

BOT_TOKEN = "xoxb-1111-e2e-bot-token"
SIGNING_SECRET = "e2e-signing-secret-0123456789abcdef"
CHANNEL = "C0PAGERE2E"
WAIT = 20.0


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(token=BOT_TOKEN) as fake:
        fake.add_channel("ops-alerts", CHANNEL)
        yield fake


def world_with_slack(open_world: WorldFactory, slack: FakeSlack, backend: str = "sqlite") -> SmokeWorld:
    env = {
        "PAGERLINE_SLACK_BOT_TOKEN": BOT_TOKEN,
        "PAGERLINE_SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "PAGERLINE_SLACK_API_URL": slack.url + "/api/",
    }
    world = open_world(backend=backend, env=env)

    async def channel() -> None:
        await ChatChannel.create(platform=ChatPlatform.SLACK, target=CHANNEL, name="#ops-alerts", team_id=world.org.team_id, created_at=datetime.now(UTC))

    in_db(world.database_url, channel)
    return world


def posted(slack: FakeSlack, summary: str) -> SlackMessage:
    return wait_until(lambda: next((m for m in slack.messages(CHANNEL) if summary in m.text), None), WAIT, what=f"the message of {summary!r}")


def buttons(message: SlackMessage) -> list[str]:
    return [e["text"]["text"] for b in message.blocks if b.get("type") == "actions" for e in b["elements"]]


def press(world: SmokeWorld, slack: FakeSlack, user_id: str, message: SlackMessage, action: str, value: str, *, timestamp: int | None = None,
          secret: str = SIGNING_SECRET) -> httpx.Response:
    payload = block_action(user_id, "someone", CHANNEL, message.ts, f"pagerline_{action}", value, slack.response_url())
    body, headers = signed_form(secret, {"payload": json.dumps(payload)}, timestamp=timestamp)
    return httpx.post(f"{world.url}/api/slack/interactions", content=body, headers=headers, timeout=10)


def test_posted_once_accepted_once_and_the_message_follows_the_alert(open_world: WorldFactory, slack: FakeSlack) -> None:
    world = world_with_slack(open_world, slack)
    alice_slack = slack.add_user("alice@ops.test", name="alice")

    alert = world.event("disk", "Database disk full")
    message = posted(slack, "Database disk full")
    assert buttons(message) == ["Accept", "Resolve", "Escalate", "Comment", "Open"]

    # Pressed twice at once (a double click) and by a second person at the same moment: accepted once.
    bob_slack = slack.add_user("bob@ops.test", name="bob")
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda who: press(world, slack, who, message, "accept", str(alert.id)), [alice_slack, alice_slack, bob_slack]))
    assert [a.status_code for a in answers] == [200, 200, 200]
    state = world.alert(alert)
    assert state.status is AlertStatus.ACCEPTED and state.next_escalation_at is None
    accepts = [t for t in state.timeline if t.startswith("Accepted by")]
    assert accepts in (["Accepted by Alice via Slack"], ["Accepted by Bob via Slack"]), accepts

    # Edited in place: no Accept any more; the thread has the timeline.
    edited = wait_until(lambda: (m := slack.message(CHANNEL, message.ts)).edits and "Accept" not in buttons(m) and m, WAIT, what="the message edited")
    accepter = accepts[0].removeprefix("Accepted by ").removesuffix(" via Slack")
    assert f"Accepted by {accepter}" in " ".join(str(b) for b in edited.blocks)
    wait_until(lambda: any(accepts[0] in r.text for r in slack.message(CHANNEL, message.ts).replies), WAIT, what="the accept in the thread")
    assert len([m for m in slack.messages(CHANNEL) if "Database disk full" in m.text]) == 1  # posted once

    # An accept in the web app edits the other alert's message the same way.
    other = world.event("cpu", "CPU on fire")
    second = posted(slack, "CPU on fire")
    world.alice.accepts(other)
    wait_until(lambda: "Accept" not in buttons(slack.message(CHANNEL, second.ts)), WAIT, what="the web app's accept in Slack")


def test_who_may_not_act_changes_nothing(open_world: WorldFactory, slack: FakeSlack) -> None:
    world = world_with_slack(open_world, slack)
    stranger = slack.add_user("someone@elsewhere.test", name="someone")
    watcher = slack.add_user("sam@ops.test", name="sam")
    alice_slack = slack.add_user("alice@ops.test", name="alice")

    async def stakeholder() -> None:
        await create_user("sam@ops.test", "Sam", "sam-password-123", Role.STAKEHOLDER, "UTC", ["Ops"])

    in_db(world.database_url, stakeholder)
    alert = world.event("queue", "Queue backlog")
    message = posted(slack, "Queue backlog")

    assert press(world, slack, stranger, message, "accept", str(alert.id)).status_code == 200
    assert press(world, slack, watcher, message, "resolve", str(alert.id)).status_code == 200
    forged = press(world, slack, alice_slack, message, "accept", str(alert.id), secret="not-the-signing-secret")
    assert forged.status_code == 401
    replayed = press(world, slack, alice_slack, message, "accept", str(alert.id), timestamp=int(time.time()) - 6 * 60)
    assert replayed.status_code == 401 and replayed.json()["code"] == "INVALID_SIGNATURE"

    refusals = [e.text for e in wait_until(lambda: len(slack.ephemerals(stranger)) + len(slack.ephemerals(watcher)) == 2 and slack.ephemerals(stranger) + slack.ephemerals(watcher), WAIT, what="both refusals")]
    assert "not the email of an active pagerline user" in refusals[0]
    assert refusals[1] == "Stakeholders cannot act on alerts."
    state = world.alert(alert)
    assert state.status is AlertStatus.PENDING and not [t for t in state.timeline if "via Slack" in t]


def test_pagerline_oncall_answers_as_the_person_who_asked(open_world: WorldFactory, slack: FakeSlack) -> None:
    world = world_with_slack(open_world, slack)
    alice_slack = slack.add_user("alice@ops.test", name="alice")
    stranger = slack.add_user("someone@elsewhere.test", name="someone")

    def command(user_id: str, text: str) -> dict[str, Any]:
        body, headers = signed_form(SIGNING_SECRET, slash_command("/pagerline", text, user_id, "x", CHANNEL, slack.response_url()))
        answer = httpx.post(f"{world.url}/api/slack/commands", content=body, headers=headers, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]

    now = datetime.now(UTC)
    handoff = now + timedelta(hours=1)  # Alice until then, Bob after

    async def schedules() -> None:
        ops = await Schedule.create(name="Ops primary", team_id=world.org.team_id)
        await ScheduleOverride.create(schedule=ops, user_id=world.org.alice_id, start=now - timedelta(hours=1), end=handoff)
        await ScheduleOverride.create(schedule=ops, user_id=world.org.bob_id, start=handoff, end=handoff + timedelta(hours=2))
        await Schedule.create(name="Ops secondary", team_id=world.org.team_id)
        other = await Team.create(name="Web")
        await Schedule.create(name="Web primary", team_id=other.id)  # not Alice's team: not shown to her

    in_db(world.database_url, schedules)
    answer = command(alice_slack, "oncall")
    assert answer == {"response_type": "ephemeral", "text": "On call now:\n*Ops primary*: Alice\n*Ops secondary*: nobody"}, answer
    assert command(alice_slack, "oncall PRIMARY")["text"] == "On call now:\n*Ops primary*: Alice"

    async def after_the_handoff() -> str:
        alice = await User.get(id=world.org.alice_id)
        return await who_is_on_call(alice, "primary", handoff + timedelta(minutes=1))

    assert in_db(world.database_url, after_the_handoff) == "On call now:\n*Ops primary*: Bob"
    assert command(alice_slack, "oncall no-such-schedule")["text"] == "No schedule you can see is called “no-such-schedule”."
    assert "not the email of an active pagerline user" in command(stranger, "oncall")["text"]
    assert command(alice_slack, "")["text"].startswith("`/pagerline oncall`")


@pytest.mark.parametrize("status", [429, 503])
def test_a_rate_limited_or_failing_slack_delays_its_message_and_never_the_page(open_world: WorldFactory, slack: FakeSlack, status: int) -> None:
    world = world_with_slack(open_world, slack)
    slack.fail("chat.postMessage", status, retry_after=2, times=2)
    alert = world.event("latency", "API latency high")
    message = posted(slack, "API latency high")  # after two refusals, each waited out (Retry-After, or the backoff)

    async def page_sent_at() -> list[datetime]:
        return list(await Notification.filter(alert_id=alert.id, status=NotificationStatus.SENT).values_list("sent_at", flat=True))

    [sent_at] = wait_until(lambda: in_db(world.database_url, page_sent_at), WAIT, what="the page sent")
    statuses = [c.status for c in slack.calls("chat.postMessage") if not c.params.get("thread_ts")]
    assert statuses[:3] == [status, status, 200], statuses
    # Slack's waits (at least 2 s each: Retry-After, or the backoff after a 5xx) came after the
    # page, which did not wait for them.
    assert sent_at.timestamp() < float(message.ts) - 3.5


def test_escalate_and_comment_from_the_channel(open_world: WorldFactory, slack: FakeSlack) -> None:
    world = world_with_slack(open_world, slack)
    alice_slack = slack.add_user("alice@ops.test", name="alice")
    stranger = slack.add_user("someone@elsewhere.test", name="someone")
    alert = world.event("errors", "Error rate above 5%")
    message = posted(slack, "Error rate above 5%")
    assert buttons(message) == ["Accept", "Resolve", "Escalate", "Comment", "Open"]

    assert press(world, slack, alice_slack, message, "escalate", str(alert.id)).status_code == 200
    wait_until(lambda: any("by hand via Slack" in t for t in world.alert(alert).timeline), WAIT, what="the escalation on the timeline")

    # Comment opens a form for whoever pressed; sending it comments as them.
    assert press(world, slack, alice_slack, message, "comment", str(alert.id)).status_code == 200
    [opened] = slack.views_opened
    assert opened["view"]["private_metadata"] == str(alert.id)

    def submit(user_id: str, text: str) -> httpx.Response:
        payload = view_submission(user_id, "x", opened["view"], {"comment": {"text": text}})
        body, headers = signed_form(SIGNING_SECRET, {"payload": json.dumps(payload)})
        return httpx.post(f"{world.url}/api/slack/interactions", content=body, headers=headers, timeout=10)

    done = submit(alice_slack, "Rolling back the deploy")
    assert done.status_code == 200 and done.content == b""  # an empty answer closes the form
    assert "Alice: Rolling back the deploy" in world.alert(alert).timeline
    refused = submit(stranger, "I should not be able to say this")
    assert refused.json()["response_action"] == "errors" and "not the email of an active pagerline user" in refused.json()["errors"]["comment"]
    empty = submit(alice_slack, "   ")
    assert empty.json() == {"response_action": "errors", "errors": {"comment": "A comment needs some text"}}
    assert not [t for t in world.alert(alert).timeline if "I should not" in t]
    wait_until(lambda: any("Rolling back the deploy" in r.text for r in slack.message(CHANNEL, message.ts).replies), WAIT, what="the comment in the thread")


def test_a_high_alert_gets_a_channel_of_its_own_with_its_responders(open_world: WorldFactory, slack: FakeSlack) -> None:
    world = world_with_slack(open_world, slack)

    async def dedicated() -> None:
        await ChatChannel.filter(target=CHANNEL).update(dedicated_high=True)

    in_db(world.database_url, dedicated)
    alice_slack = slack.add_user("alice@ops.test", name="alice")
    bob_slack = slack.add_user("bob@ops.test", name="bob")

    low = world.event("slow", "Slow page loads", priority="LOW")
    posted(slack, "Slow page loads")
    high = world.event("payments", "Payments failing everywhere!", priority="HIGH")
    message = posted(slack, "Payments failing everywhere!")
    [made] = [c for c in slack.calls("conversations.create") if c.status == 200]  # none for the LOW alert
    assert made.params["name"] == f"alert-{high.id}-payments-failing-everywhere"
    own = slack.channel_named(made.params["name"])
    assert own is not None and f"<#{own.id}>" in json.dumps(message.blocks)
    wait_until(lambda: alice_slack in slack.channel(own.id).members, WAIT, what="Alice (paged first) invited")
    assert bob_slack not in slack.channel(own.id).members

    # Escalated to Bob: he is invited too.
    press(world, slack, alice_slack, message, "escalate", str(high.id))
    wait_until(lambda: bob_slack in slack.channel(own.id).members, WAIT, what="Bob invited once paged")
    assert low.id != high.id and len([c for c in slack.calls("conversations.create") if c.status == 200]) == 1


def test_an_alert_is_opened_from_a_command_or_a_message(open_world: WorldFactory, slack: FakeSlack) -> None:
    world = world_with_slack(open_world, slack)
    alice_slack = slack.add_user("alice@ops.test", name="alice")
    stranger = slack.add_user("someone@elsewhere.test", name="someone")

    def post(path: str, fields: dict[str, str]) -> httpx.Response:
        body, headers = signed_form(SIGNING_SECRET, fields)
        return httpx.post(f"{world.url}/api/slack/{path}", content=body, headers=headers, timeout=10)

    answer = post("commands", slash_command("/pagerline", "alert Checkout returns 502", alice_slack, "alice", CHANNEL, slack.response_url()))
    assert answer.status_code == 200 and answer.content == b""
    [opened] = slack.views_opened
    blocks = {b["block_id"]: b for b in opened["view"]["blocks"]}
    assert blocks["summary"]["element"]["initial_value"] == "Checkout returns 502"
    services = {o["text"]["text"]: o["value"] for o in blocks["source"]["element"]["options"]}
    source_id = str(world.org.api_source_id)
    assert source_id in services.values()  # Alice's team's services are offered

    def submit(user_id: str, source: str, summary: str) -> httpx.Response:
        payload = view_submission(user_id, "x", opened["view"], {
            "source": {"value": Selected(source)}, "summary": {"value": summary}, "details": {"value": "Seen by a customer"},
            "priority": {"value": Selected("HIGH")},
        })
        return post("interactions", {"payload": json.dumps(payload)})

    refused = submit(stranger, source_id, "Checkout returns 502")
    assert refused.json()["response_action"] == "errors" and "not the email of an active pagerline user" in refused.json()["errors"]["summary"]
    assert submit(alice_slack, "999999", "Checkout returns 502").json()["errors"] == {"source": "Choose a service you can see in pagerline."}
    assert submit(alice_slack, source_id, "Checkout returns 502").content == b""
    message = posted(slack, "Checkout returns 502")  # the new alert, in the team's channel
    alert_id = int(message.text.split("#", 1)[1].split(" ", 1)[0])

    async def timeline() -> list[str]:
        return list(await AlertLogEntry.filter(alert_id=alert_id).order_by("id").values_list("text", flat=True))

    assert "Opened by Alice via Slack" in in_db(world.database_url, timeline)

    # The shortcut on a message opens the same form with the message in it.
    shortcut = message_shortcut("pagerline_open_alert", alice_slack, "alice", CHANNEL, "1700000000.000100", slack.response_url(),
                                message={"type": "message", "text": "db-1 is out of disk\nfull log attached", "ts": "1700000000.000100"})
    assert post("interactions", {"payload": json.dumps(shortcut)}).status_code == 200
    second = slack.views_opened[-1]["view"]
    fields = {b["block_id"]: b["element"].get("initial_value") for b in second["blocks"] if b["type"] == "input"}
    assert fields["summary"] == "db-1 is out of disk" and fields["details"] == "db-1 is out of disk\nfull log attached"


def test_a_slack_that_fails_while_answering_a_press_changes_nothing_and_breaks_nothing(open_world: WorldFactory, slack: FakeSlack) -> None:
    world = world_with_slack(open_world, slack)
    alice_slack = slack.add_user("alice@ops.test", name="alice")
    alert = world.event("mem", "Memory pressure")
    message = posted(slack, "Memory pressure")
    slack.fail("users.info", 429, retry_after=5)
    assert press(world, slack, alice_slack, message, "accept", str(alert.id)).status_code == 200  # never a 500 to Slack
    assert world.alert(alert).status is AlertStatus.PENDING  # who pressed was not known: nothing done
    slack.fail("users.info", 503)
    body, headers = signed_form(SIGNING_SECRET, slash_command("/pagerline", "oncall", alice_slack, "alice", CHANNEL, slack.response_url()))
    answer = httpx.post(f"{world.url}/api/slack/commands", content=body, headers=headers, timeout=10)
    assert answer.status_code == 200 and "try again" in answer.json()["text"]
    assert press(world, slack, alice_slack, message, "accept", str(alert.id)).status_code == 200  # Slack is back
    assert world.alert(alert).status is AlertStatus.ACCEPTED


def test_a_reply_in_the_thread_is_a_comment_once_and_not_echoed(open_world: WorldFactory, slack: FakeSlack) -> None:
    world = world_with_slack(open_world, slack)
    alice_slack = slack.add_user("alice@ops.test", name="alice")
    stranger = slack.add_user("someone@elsewhere.test", name="someone")
    alert = world.event("cache", "Cache hit rate low")
    message = posted(slack, "Cache hit rate low")

    def send(event: dict[str, Any]) -> httpx.Response:
        body, headers = signed_json(SIGNING_SECRET, event)
        return httpx.post(f"{world.url}/api/slack/events", content=body, headers=headers, timeout=10)

    reply = message_event(alice_slack, CHANNEL, "Looking into it", thread_ts=message.ts)
    assert send(reply).status_code == 200
    assert send(reply).status_code == 200  # Slack's retry of the same event: one comment
    assert world.alert(alert).timeline.count("Alice: Looking into it") == 1
    assert send(message_event(stranger, CHANNEL, "me too", thread_ts=message.ts)).status_code == 200
    assert send(message_event(alice_slack, CHANNEL, "unrelated thread", thread_ts="1700000000.000001")).status_code == 200
    assert send(message_event(alice_slack, CHANNEL, "not in a thread")).status_code == 200
    assert send(message_event("U0PAGERBOT", CHANNEL, "Alice: Looking into it", thread_ts=message.ts, bot_id="B0PAGERBOT")).status_code == 200
    timeline = world.alert(alert).timeline
    assert not [t for t in timeline if "me too" in t or "unrelated" in t or "not in a thread" in t] and timeline.count("Alice: Looking into it") == 1
    [refusal] = wait_until(lambda: slack.ephemerals(stranger), WAIT, what="the stranger told why not")
    assert "not the email of an active pagerline user" in refusal.text

    # The thread gets the rest of the timeline but not a copy of what Alice wrote there herself.
    world.alice.accepts(alert)
    wait_until(lambda: any("Accepted by Alice" in r.text for r in slack.message(CHANNEL, message.ts).replies), WAIT, what="the accept in the thread")
    assert not [r for r in slack.message(CHANNEL, message.ts).replies if "Looking into it" in r.text]
