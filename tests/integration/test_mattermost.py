"""Mattermost through a real server and the fake Mattermost API v4 (pagerline's own client on
one side, requests built as Mattermost sends them on the other).

Ops' alerts go to one channel: an alert is posted there once with Accept, Resolve and Escalate;
Accept pressed twice at once by a person whose Mattermost email is Alice's accepts it once, the
post is edited in place (and the presser is answered with it) and its thread carries the
timeline; an accept over GraphQL edits the post too. Comment opens a form whose sending comments
as the person. Someone Mattermost knows but pagerline does
not, a stakeholder, and a button context that is unsigned, forged or for another alert change
nothing. ``/pagerline oncall`` answers as the person who asked when the command's token is
right, and is a 401 when it is not. A Mattermost that answers 429 delays its own post and never
the page of the same alert.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from pagerline.engine.chat.channels import create_chat_channel
from pagerline.engine.chat.presses import viewer_for
from pagerline.engine.core.errors import BadInput
from pagerline.engine.people.accounts import create_user
from pagerline.models import AlertStatus, ChatChannel, ChatPlatform, Notification, NotificationStatus, Role, Schedule, ScheduleOverride, Team
from tests.fakes import wait_until
from tests.fakes.mattermost import FakeMattermost, MattermostPost, action_request, dialog_submission, slash_command
from tests.support.graphql import in_db
from tests.support.world import SmokeWorld, WorldFactory

BOT_TOKEN = "e2e-mattermost-bot-token-0123456789"
COMMAND_TOKEN = "e2ecommandtoken0123456789ab"
WAIT = 20.0


@pytest.fixture
def mattermost() -> Iterator[FakeMattermost]:
    with FakeMattermost(token=BOT_TOKEN) as fake:
        yield fake


@pytest.fixture
def channel(mattermost: FakeMattermost) -> str:
    return mattermost.add_channel("ops-alerts")


def world_with_mattermost(open_world: WorldFactory, mattermost: FakeMattermost, channel: str) -> SmokeWorld:
    env = {
        "PAGERLINE_MATTERMOST_URL": mattermost.url,
        "PAGERLINE_MATTERMOST_BOT_TOKEN": BOT_TOKEN,
        "PAGERLINE_MATTERMOST_COMMAND_TOKEN": COMMAND_TOKEN,
    }
    world = open_world(env=env)

    async def add_channel() -> None:
        await ChatChannel.create(platform=ChatPlatform.MATTERMOST, target=channel, name="~ops-alerts", team_id=world.org.team_id, created_at=datetime.now(UTC))

    in_db(world.database_url, add_channel)
    return world


def posted(mattermost: FakeMattermost, channel: str, summary: str) -> MattermostPost:
    return wait_until(lambda: next((p for p in mattermost.posts(channel) if summary in p.message), None), WAIT, what=f"the post of {summary!r}")


def buttons(post: MattermostPost | dict[str, Any]) -> list[str]:
    props = post.props if isinstance(post, MattermostPost) else post["props"]
    return [a["name"] for attachment in props.get("attachments") or [] for a in attachment.get("actions") or []]


def press(world: SmokeWorld, post: MattermostPost, action: str, user_id: str, context: dict[str, Any] | None = None) -> httpx.Response:
    url, body = action_request(post, action, user_id, "someone", context=context)
    assert url == f"{world.url}/api/mattermost/actions"  # the button points at this server's public URL
    return httpx.post(url, json=body, timeout=10)


def test_posted_once_accepted_once_and_the_post_follows_the_alert(open_world: WorldFactory, mattermost: FakeMattermost, channel: str) -> None:
    world = world_with_mattermost(open_world, mattermost, channel)
    alice_mm = mattermost.add_user("alice@ops.test", "alice")

    alert = world.event("disk", "Database disk full")
    post = posted(mattermost, channel, "Database disk full")
    assert buttons(post) == ["Accept", "Resolve", "Escalate", "Comment"]
    assert post.props["disable_group_highlight"] is True  # an alert's text never notifies @channel

    # Pressed twice at once (a double click, or a second person): accepted once.
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: press(world, post, "accept", alice_mm), range(2)))
    assert [a.status_code for a in answers] == [200, 200]
    state = world.alert(alert)
    assert state.status is AlertStatus.ACCEPTED and state.next_escalation_at is None
    assert state.timeline.count("Accepted by Alice via Mattermost") == 1
    # Whoever pressed sees the post as it now is at once (the second press changed nothing, and
    # is answered with the same post).
    for answer in answers:
        update = answer.json()["update"]
        assert buttons(update) == ["Resolve", "Escalate", "Comment"] and "Accepted by Alice" in str(update["props"])

    # Edited in place by the outbox too; the thread has the timeline; posted once.
    wait_until(lambda: (p := mattermost.post(channel, post.id)).edits and "Accept" not in buttons(p), WAIT, what="the post edited")
    wait_until(lambda: any("Accepted by Alice via Mattermost" in r.message for r in mattermost.post(channel, post.id).replies), WAIT, what="the accept in the thread")
    assert len([p for p in mattermost.posts(channel) if "Database disk full" in p.message]) == 1
    assert all(c.token == BOT_TOKEN for c in mattermost.calls("POST /posts"))

    # An accept over GraphQL edits the other alert's post the same way.
    other = world.event("cpu", "CPU on fire")
    second = posted(mattermost, channel, "CPU on fire")
    world.alice.accepts(other)
    wait_until(lambda: "Accept" not in buttons(mattermost.post(channel, second.id)), WAIT, what="the GraphQL accept in Mattermost")


def test_who_may_not_act_and_unsigned_buttons_change_nothing(open_world: WorldFactory, mattermost: FakeMattermost, channel: str) -> None:
    world = world_with_mattermost(open_world, mattermost, channel)
    stranger = mattermost.add_user("someone@elsewhere.test", "someone")
    watcher = mattermost.add_user("sam@ops.test", "sam")
    alice_mm = mattermost.add_user("alice@ops.test", "alice")

    async def stakeholder() -> None:
        await create_user("sam@ops.test", "Sam", "sam-password-123", Role.STAKEHOLDER, "UTC", ["Ops"])

    in_db(world.database_url, stakeholder)
    alert = world.event("queue", "Queue backlog")
    post = posted(mattermost, channel, "Queue backlog")
    other = world.event("cache", "Cache misses")
    other_post = posted(mattermost, channel, "Cache misses")

    refused = press(world, post, "accept", stranger)
    assert refused.status_code == 200 and "not the email of an active pagerline user" in refused.json()["ephemeral_text"]
    assert press(world, post, "resolve", watcher).json() == {"ephemeral_text": "Stakeholders cannot act on alerts."}

    context = dict(next(b for b in post.buttons if b["id"] == "accept")["integration"]["context"])
    forgeries = {
        "unsigned": {k: v for k, v in context.items() if k != "signature"},
        "forged": {**context, "signature": "0" * 64},
        "another action": {**context, "action": "resolve"},  # accept's signature does not sign resolve
        "another alert": {**context, "alert_id": str(other.id)},
        "no context": {},
    }
    for what, forged in forgeries.items():
        answer = press(world, post, "accept", alice_mm, context=forged)
        assert answer.status_code == 403 and answer.json()["code"] == "INVALID_SIGNATURE", what
    # A signed context of one alert's button sent as a press on another alert's post.
    other_context = next(b for b in other_post.buttons if b["id"] == "accept")["integration"]["context"]
    assert press(world, post, "accept", alice_mm, context=other_context).status_code == 403

    for ref in (alert, other):
        state = world.alert(ref)
        assert state.status is AlertStatus.PENDING and not [t for t in state.timeline if "via Mattermost" in t], state.timeline


def test_pagerline_oncall_answers_with_the_right_token_only(open_world: WorldFactory, mattermost: FakeMattermost, channel: str) -> None:
    world = world_with_mattermost(open_world, mattermost, channel)
    alice_mm = mattermost.add_user("alice@ops.test", "alice")
    stranger = mattermost.add_user("someone@elsewhere.test", "someone")

    def command(user_id: str, text: str, token: str = COMMAND_TOKEN) -> httpx.Response:
        return httpx.post(f"{world.url}/api/mattermost/commands", data=slash_command(token, text, user_id, "alice", channel), timeout=10)

    now = datetime.now(UTC)

    async def schedules() -> None:
        ops = await Schedule.create(name="Ops primary", team_id=world.org.team_id)
        await ScheduleOverride.create(schedule=ops, user_id=world.org.alice_id, start=now - timedelta(hours=1), end=now + timedelta(hours=1))

    in_db(world.database_url, schedules)
    answer = command(alice_mm, "oncall")
    assert answer.status_code == 200 and answer.json() == {"response_type": "ephemeral", "text": "On call now:\n*Ops primary*: Alice"}
    assert "not the email of an active pagerline user" in command(stranger, "oncall").json()["text"]
    help_text = command(alice_mm, "help").json()["text"]
    assert help_text.startswith("`/pagerline oncall`") and "`/pagerline alert <summary>`" in help_text

    wrong = command(alice_mm, "oncall", token="not-the-command-token")
    assert wrong.status_code == 401 and wrong.json()["code"] == "INVALID_TOKEN"
    assert command(alice_mm, "oncall", token="").status_code == 401


def test_a_rate_limited_mattermost_delays_its_post_and_never_the_page(open_world: WorldFactory, mattermost: FakeMattermost, channel: str) -> None:
    world = world_with_mattermost(open_world, mattermost, channel)
    mattermost.fail("POST /posts", 429, retry_after=2, times=2)
    alert = world.event("latency", "API latency high")
    post = posted(mattermost, channel, "API latency high")  # after two refusals, each waited out

    async def page_sent_at() -> list[datetime]:
        return list(await Notification.filter(alert_id=alert.id, status=NotificationStatus.SENT).values_list("sent_at", flat=True))

    [sent_at] = wait_until(lambda: in_db(world.database_url, page_sent_at), WAIT, what="the page sent")
    statuses = [c.status for c in mattermost.calls("POST /posts") if not (c.body or {}).get("root_id")]
    assert statuses[:3] == [429, 429, 201], statuses
    # Mattermost's waits (at least 2 s each) came after the page, which did not wait for them.
    assert sent_at.timestamp() < post.create_at / 1000 - 3.5


def test_comment_opens_a_form_that_comments_as_the_person(open_world: WorldFactory, mattermost: FakeMattermost, channel: str) -> None:
    world = world_with_mattermost(open_world, mattermost, channel)
    alice_mm = mattermost.add_user("alice@ops.test", "alice")
    stranger = mattermost.add_user("someone@elsewhere.test", "someone")
    alert = world.event("errors", "Error rate above 5%")
    post = posted(mattermost, channel, "Error rate above 5%")

    answer = press(world, post, "comment", alice_mm)
    assert answer.status_code == 200 and answer.json() == {}
    [opened] = mattermost.dialogs_opened
    assert opened["url"] == f"{world.url}/api/mattermost/dialogs" and opened["dialog"]["state"].startswith(f"{alert.id}:")

    def submit(user_id: str, text: str, **options: Any) -> httpx.Response:
        url, body = dialog_submission(opened, user_id, {"comment": text}, **options)
        return httpx.post(url, json=body, timeout=10)

    assert submit(alice_mm, "Rolling back the deploy").json() == {}
    assert "Alice: Rolling back the deploy" in world.alert(alert).timeline
    refused = submit(stranger, "I should not be able to say this").json()
    assert "not the email of an active pagerline user" in refused["errors"]["comment"]
    assert submit(alice_mm, "   ").json() == {"errors": {"comment": "A comment needs some text"}}
    assert submit(alice_mm, "ignored", cancelled=True).json() == {}
    forged = submit(alice_mm, "Forged", state=f"{alert.id}:{'0' * 64}")
    assert forged.status_code == 403 and forged.json()["code"] == "INVALID_SIGNATURE"
    assert not [t for t in world.alert(alert).timeline if "I should not" in t or "Forged" in t or "ignored" in t]
    wait_until(lambda: any("Rolling back the deploy" in r.message for r in mattermost.post(channel, post.id).replies), WAIT, what="the comment in the thread")


async def test_a_mattermost_channel_is_given_by_its_id(db: str) -> None:
    team = await Team.create(name="Ops")
    admin = await create_user("root@ops.test", "Root", "root-password-123", Role.ADMIN, "UTC", ["Ops"])
    viewer = await viewer_for(admin)
    now = datetime.now(UTC)
    for target in ("town-square", "~ops-alerts", "C0OPSALERTS", "4XQ1Z8CPPJBQ7FMMOTJ9XE3T9A", "abc"):
        with pytest.raises(BadInput, match="Mattermost channel is given by its id"):
            await create_chat_channel(viewer, ChatPlatform.MATTERMOST, target, "ops", now, team_id=team.id)
    made = await create_chat_channel(viewer, ChatPlatform.MATTERMOST, " 4xq1z8cppjbq7fmmotj9xe3t9a ", "~ops-alerts", now, team_id=team.id)
    assert made.target == "4xq1z8cppjbq7fmmotj9xe3t9a"


def test_a_high_alert_gets_a_channel_of_its_own(open_world: WorldFactory, mattermost: FakeMattermost, channel: str) -> None:
    world = world_with_mattermost(open_world, mattermost, channel)

    async def dedicated() -> None:
        await ChatChannel.filter(target=channel).update(dedicated_high=True)

    in_db(world.database_url, dedicated)
    alice_mm = mattermost.add_user("alice@ops.test", "alice")
    high = world.event("payments", "Payments failing everywhere!", priority="HIGH")
    post = posted(mattermost, channel, "Payments failing everywhere!")
    [made] = [c for c in mattermost.calls("POST /channels") if c.status == 201]
    name = made.body["name"]
    assert name == f"alert-{high.id}-payments-failing-everywhere"
    assert f"~{name}" in str(post.props)  # the post links the channel by its name
    own = mattermost.channel_named(name)
    assert own is not None
    wait_until(lambda: alice_mm in mattermost.channel(own.id).members, WAIT, what="Alice (paged first) added")
