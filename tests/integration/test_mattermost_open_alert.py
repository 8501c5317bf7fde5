"""``/pagerline alert <summary>`` on Mattermost, through a real server and the fake Mattermost
API v4: requests built as Mattermost sends them (the slash command form-encoded with its token,
the dialog's submission as JSON with its callback_id, state, submission, user_id and cancelled).

The command opens an interactive dialog with the services Alice may see (her team's and the
organisation's, never another team's or a heartbeat), her summary filled in and HIGH chosen;
sending it opens one alert on the chosen service, which pages its policy, and the timeline says
"Opened by Alice via Mattermost". A bad field keeps the dialog open with why, and opens nothing.
A state that is unsigned, forged, signed for someone else or too old, and a Comment form's state
sent as an open-an-alert form (or the other way round), open nothing. Someone pagerline does
not know, a stakeholder and someone who can see no service are told why, and get no dialog.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from pagerline.engine.chat.mattermost_message import form_state, open_alert_dialog, open_state
from pagerline.engine.chat.forms import OpenForm
from pagerline.engine.people.accounts import create_user
from pagerline.engine.sources.lookup import create_source
from pagerline.models import Alert, AlertLogEntry, AlertSource, ChatChannel, ChatPlatform, EscalationPolicy, IntegrationType, Priority, Role, Team
from tests.fakes import wait_until
from tests.fakes.mattermost import FakeMattermost, MattermostPost, action_request, dialog_problems, dialog_submission, slash_command
from tests.support.graphql import in_db
from tests.support.world import SmokeWorld, WorldFactory

BOT_TOKEN = "e2e-mattermost-bot-token-0123456789"
COMMAND_TOKEN = "e2ecommandtoken0123456789ab"
WAIT = 20.0
NO_SERVICE = "There is no service you can open an alert on."


@pytest.fixture
def mattermost() -> Iterator[FakeMattermost]:
    with FakeMattermost(token=BOT_TOKEN) as fake:
        yield fake


@dataclass
class Chat:
    """A running pagerline with Mattermost on, Ops' alerts going to ``channel``."""

    world: SmokeWorld
    mattermost: FakeMattermost
    channel: str

    def command(self, user_id: str, text: str) -> httpx.Response:
        fields = slash_command(COMMAND_TOKEN, text, user_id, "someone", self.channel)
        return httpx.post(f"{self.world.url}/api/mattermost/commands", data=fields, timeout=10)

    def send(self, opened: dict[str, Any], user_id: str, submission: dict[str, Any], **options: Any) -> httpx.Response:
        url, body = dialog_submission(opened, user_id, submission, **options)
        assert url == f"{self.world.url}/api/mattermost/dialogs"
        return httpx.post(url, json=body, timeout=10)

    def alerts(self) -> list[dict[str, Any]]:
        async def read() -> list[dict[str, Any]]:
            return list(await Alert.all().order_by("id").values("id", "source_id", "summary", "details", "priority"))

        return in_db(self.world.database_url, read)

    def timeline(self, alert_id: int) -> list[str]:
        async def read() -> list[str]:
            return list(await AlertLogEntry.filter(alert_id=alert_id).order_by("id").values_list("text", flat=True))

        return in_db(self.world.database_url, read)


def open_chat(open_world: WorldFactory, mattermost: FakeMattermost, backend: str = "sqlite") -> Chat:
    env = {"PAGERLINE_MATTERMOST_URL": mattermost.url, "PAGERLINE_MATTERMOST_BOT_TOKEN": BOT_TOKEN, "PAGERLINE_MATTERMOST_COMMAND_TOKEN": COMMAND_TOKEN}
    world = open_world(backend=backend, env=env)
    channel = mattermost.add_channel("ops-alerts")

    async def add_channel() -> None:
        await ChatChannel.create(platform=ChatPlatform.MATTERMOST, target=channel, name="~ops-alerts", team_id=world.org.team_id, created_at=datetime.now(UTC))

    in_db(world.database_url, add_channel)
    return Chat(world, mattermost, channel)


def add_other_sources(chat: Chat) -> dict[str, int]:
    """Besides Ops' three seeded sources: the organisation's own (no team: everyone sees it), an
    Ops heartbeat (nothing to open an alert on) and another team's. Their ids by name."""
    org = chat.world.org

    async def add() -> dict[str, int]:
        payments = await Team.create(name="Payments")
        policy = await EscalationPolicy.create(name="Payments policy", team=payments)
        shared, _ = await create_source("Status page", org.policy_id, IntegrationType.API, Priority.HIGH, None)
        heartbeat, _ = await create_source("Ops heartbeat", org.policy_id, IntegrationType.HEARTBEAT, Priority.HIGH, org.team_id)
        theirs, _ = await create_source("Payments API", policy.id, IntegrationType.API, Priority.HIGH, payments.id)
        return {"Status page": shared.id, "Ops heartbeat": heartbeat.id, "Payments API": theirs.id}

    return in_db(chat.world.database_url, add)


def ops_sources(chat: Chat) -> dict[str, int]:
    """Ops' sources that are not heartbeats (the seeded API, Alertmanager and Grafana), by name."""

    async def read() -> dict[str, int]:
        rows = AlertSource.filter(team_id=chat.world.org.team_id).exclude(integration_type=IntegrationType.HEARTBEAT).values_list("name", "id")
        return {name: source_id for name, source_id in await rows}

    return in_db(chat.world.database_url, read)


def elements(opened: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in opened["dialog"]["elements"]}


def opened_for(chat: Chat, user_id: str, summary: str) -> dict[str, Any]:
    """The dialog ``/pagerline alert <summary>`` opens for ``user_id`` (the command says nothing)."""
    before = len(chat.mattermost.dialogs_opened)
    answer = chat.command(user_id, f"alert {summary}")
    assert answer.status_code == 200 and answer.json() == {"response_type": "ephemeral", "text": ""}, answer.text
    assert len(chat.mattermost.dialogs_opened) == before + 1
    return chat.mattermost.dialogs_opened[-1]


def test_the_dialog_offers_alices_services_and_opens_one_alert_that_pages(open_world: WorldFactory, mattermost: FakeMattermost, backend: str) -> None:
    chat = open_chat(open_world, mattermost, backend)
    others = add_other_sources(chat)
    ops = ops_sources(chat)
    alice_mm = mattermost.add_user("alice@ops.test", "alice")

    fields = slash_command(COMMAND_TOKEN, "alert   Checkout returns 502", alice_mm, "alice", chat.channel)
    answer = httpx.post(f"{chat.world.url}/api/mattermost/commands", data=fields, timeout=10)
    assert answer.status_code == 200 and answer.json() == {"response_type": "ephemeral", "text": ""}  # nothing posted: the dialog is the answer
    [opened] = mattermost.dialogs_opened
    assert opened["trigger_id"] == fields["trigger_id"] and opened["url"] == f"{chat.world.url}/api/mattermost/dialogs"
    assert mattermost.dialog_warnings == []  # nothing Mattermost would find invalid
    dialog, by_name = opened["dialog"], elements(opened)
    assert dialog["title"] == "Open an alert" and dialog["callback_id"] == "pagerline_open_alert"
    assert list(by_name) == ["source", "summary", "details", "priority"]
    service = by_name["source"]
    assert service["type"] == "select" and service["display_name"] == "Service"
    offered = {o["text"]: o["value"] for o in service["options"]}
    # Exactly what Alice may see: her team's and the organisation's; no heartbeat, no other team's.
    assert offered == {name: str(source_id) for name, source_id in {**ops, "Status page": others["Status page"]}.items()}
    assert by_name["summary"]["type"] == "text" and by_name["summary"]["default"] == "Checkout returns 502"
    assert by_name["details"]["type"] == "textarea" and by_name["details"]["optional"] is True
    priority = by_name["priority"]
    assert priority["type"] == "select" and priority["default"] == "HIGH" and [o["value"] for o in priority["options"]] == ["HIGH", "LOW"]

    before = chat.alerts()
    grafana = ops["Ops Grafana"]
    sent = chat.send(opened, alice_mm, {"source": str(grafana), "summary": "Checkout returns 502", "details": "Seen by a customer", "priority": "HIGH"})
    assert sent.status_code == 200 and sent.json() == {}  # the dialog closes
    [new] = [a for a in chat.alerts() if a not in before]
    assert (new["source_id"], new["summary"], new["details"], new["priority"]) == (grafana, "Checkout returns 502", "Seen by a customer", Priority.HIGH)
    assert "Opened by Alice via Mattermost" in chat.timeline(new["id"])
    push = chat.world.fcm.expect_push(to=chat.world.alice, critical=True)  # Ops policy's first level
    assert push.data["alert_id"] == str(new["id"])
    wait_until(lambda: any("Checkout returns 502" in p.message for p in mattermost.posts(chat.channel)), WAIT, what="the new alert's post")


def test_a_bad_field_keeps_the_dialog_open_and_opens_nothing(open_world: WorldFactory, mattermost: FakeMattermost) -> None:
    chat = open_chat(open_world, mattermost)
    others = add_other_sources(chat)
    source = str(chat.world.org.api_source_id)
    alice_mm = mattermost.add_user("alice@ops.test", "alice")
    opened = opened_for(chat, alice_mm, "Disk full")

    def send(**changes: str) -> dict[str, Any]:
        submission = {"source": source, "summary": "Disk full", "details": "", "priority": "HIGH", **changes}
        answer = chat.send(opened, alice_mm, submission)
        assert answer.status_code == 200, answer.text
        said: dict[str, Any] = answer.json()
        return said

    before = chat.alerts()
    assert list(send(summary="   ")["errors"]) == ["summary"]
    assert send(source=str(others["Payments API"])) == {"errors": {"source": "Choose a service you can see in pagerline."}}
    assert send(source=str(others["Ops heartbeat"])) == {"errors": {"source": "Choose a service you can see in pagerline."}}  # not offered, not taken
    assert send(source="999999") == {"errors": {"source": "Choose a service you can see in pagerline."}}
    assert send(source="") == {"errors": {"source": "Choose a service you can see in pagerline."}}
    assert send(priority="URGENT") == {"errors": {"priority": "Choose HIGH or LOW."}}
    assert chat.send(opened, alice_mm, {}, cancelled=True).json() == {}
    assert chat.alerts() == before


def test_a_forged_foreign_stale_or_replayed_state_opens_nothing(open_world: WorldFactory, mattermost: FakeMattermost) -> None:
    chat = open_chat(open_world, mattermost)
    key = chat.world.settings.signing_key()
    alice_mm = mattermost.add_user("alice@ops.test", "alice")
    bob_mm = mattermost.add_user("bob@ops.test", "bob")
    alert = chat.world.event("queue", "Queue backlog")
    post: MattermostPost = wait_until(lambda: next((p for p in mattermost.posts(chat.channel) if "Queue backlog" in p.message), None), WAIT, what="the post")
    opened = opened_for(chat, alice_mm, "Forged alert")
    state = opened["dialog"]["state"]
    fields = {"source": str(chat.world.org.api_source_id), "summary": "Forged alert", "priority": "HIGH"}
    before = chat.alerts()

    kind, user, issued, signature = state.split(":")
    forgeries = {
        "unsigned": "",
        "no signature": f"{kind}:{user}:{issued}",
        "forged": f"{kind}:{user}:{issued}:{'0' * 64}",
        "another user": f"{kind}:{bob_mm}:{issued}:{signature}",
        "later": f"{kind}:{user}:{int(issued) + 3600}:{signature}",
    }
    for what, forged in forgeries.items():
        answer = chat.send(opened, alice_mm, fields, state=forged)
        assert answer.status_code == 403 and answer.json()["code"] == "INVALID_SIGNATURE", what
    # Alice's own signed form, sent in Bob's name: refused, though Bob could open alerts himself.
    assert chat.send(opened, bob_mm, fields).status_code == 403
    # Signed for Alice, but two days old: the dialog says to start again.
    stale = open_state(key, alice_mm, datetime.now(UTC) - timedelta(days=2))
    assert "type /pagerline alert again" in chat.send(opened, alice_mm, fields, state=stale).json()["error"]

    # The Comment form's state, sent with the open-an-alert form's callback id and fields, is
    # the Comment form (its state says so): no text to comment, nothing opened.
    url, body = action_request(post, "comment", alice_mm, "alice")
    assert httpx.post(url, json=body, timeout=10).json() == {}
    comment_form = mattermost.dialogs_opened[-1]
    assert comment_form["dialog"]["callback_id"] == "pagerline_comment"
    url, body = dialog_submission(comment_form, alice_mm, fields)
    body["callback_id"] = "pagerline_open_alert"
    assert httpx.post(url, json=body, timeout=10).json() == {"errors": {"comment": "A comment needs some text"}}
    # The open-an-alert form's state with a comment: an open-an-alert form, so no comment.
    wrong_way = chat.send(opened, alice_mm, {"comment": "Comment through the wrong form"}, state=state)
    assert wrong_way.status_code == 200 and "source" in wrong_way.json()["errors"]

    assert chat.alerts() == before
    assert not [t for t in chat.world.alert(alert).timeline if "wrong form" in t or "Forged" in t]


def test_who_may_not_open_is_told_why_and_gets_no_dialog(open_world: WorldFactory, mattermost: FakeMattermost) -> None:
    chat = open_chat(open_world, mattermost)
    stranger = mattermost.add_user("someone@elsewhere.test", "someone")
    sam_mm = mattermost.add_user("sam@ops.test", "sam")
    carol_mm = mattermost.add_user("carol@quiet.test", "carol")
    alice_mm = mattermost.add_user("alice@ops.test", "alice")

    async def people() -> None:
        await create_user("sam@ops.test", "Sam", "sam-password-123", Role.STAKEHOLDER, "UTC", ["Ops"])
        await create_user("carol@quiet.test", "Carol", "carol-password-123", Role.USER, "UTC", ["Quiet"])  # a team with no services

    in_db(chat.world.database_url, people)

    def refusal(user_id: str) -> str:
        answer = chat.command(user_id, "alert Something broke")
        assert answer.status_code == 200 and answer.json()["response_type"] == "ephemeral"
        return str(answer.json()["text"])

    assert "not the email of an active pagerline user" in refusal(stranger)
    assert refusal(sam_mm) == "Stakeholders cannot act on alerts."
    assert refusal(carol_mm) == NO_SERVICE
    assert mattermost.dialogs_opened == []

    # Mattermost failing to open the dialog: Alice is told to try again.
    mattermost.fail("POST /actions/dialogs/open", 503)
    assert refusal(alice_mm) == "pagerline could not open the form just now; try again in a moment."
    assert chat.alerts() == []

    help_text = chat.command(alice_mm, "help").json()["text"]
    assert "`/pagerline alert <summary>`" in help_text and help_text.startswith("`/pagerline oncall`")  # offered on Mattermost too


def test_a_long_summary_fits_mattermosts_limits_and_is_kept_whole() -> None:
    key, now = b"k" * 32, datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    summary = "Zahlungsdienst antwortet nicht – " * 8  # multi-byte: Mattermost counts the default in bytes
    opened = open_alert_dialog(OpenForm([(7, "Checkout")], summary.strip(), ""), "u" * 26, "https://pager.example/", key, now)
    assert dialog_problems(opened["dialog"]) == []
    by_name = elements(opened)
    assert len(by_name["summary"]["default"].encode()) <= 150 and by_name["summary"]["default"].endswith("…")
    assert by_name["details"]["default"] == summary.strip()  # nothing of it lost
    state = form_state(key, opened["dialog"]["state"])
    assert state is not None and (state.kind, state.ref, state.issued) == ("open_alert", "u" * 26, int(now.timestamp()))
    assert form_state(b"another key" * 3, opened["dialog"]["state"]) is None
