"""Microsoft Teams through a Workflows webhook, with a real server and a fake webhook endpoint.

Ops' alerts go to one Teams channel (its webhook URL): an alert is posted once as an Adaptive
Card that the Adaptive Card 1.4 rules (tests/fixtures/adaptive-card-1.4-subset.json) accept, with Accept,
Resolve, Escalate and Open; an accept in the web app posts the card again showing it. The card's
buttons are signed links to pagerline's confirm page: in Chromium, Alice signs in there and
accepts once, "via Microsoft Teams"; a changed or expired link changes nothing and says why.
``actOnChatLink`` is also driven over GraphQL (who may press, what a refused link answers), the
client against the fake (429, 5xx, a deleted flow, a card that would look the same), and the
channel's validation and masked URL.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest

from pagerline.chat.teams import TeamsClient
from pagerline.engine.chat.card import AlertCard
from pagerline.engine.chat.client import ChatFailed, ChatRateLimited
from pagerline.engine.chat.links import sign_link
from pagerline.engine.people.accounts import create_token, create_user
from pagerline.models import AlertStatus, ChatChannel, ChatPlatform, Role, TokenKind
from tests.fakes import wait_until
from tests.fakes.teams import FakeTeams
from tests.support.browser import needs_chromium, needs_web_app, new_page, outside_playwright, sign_in
from tests.support.graphql import gql, in_db
from tests.support.world import SmokeWorld, WorldFactory

if TYPE_CHECKING:
    from playwright.sync_api import Browser

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "adaptive-card-1.4-subset.json"
CHANNEL = "ops"
WAIT = 20.0
ACT = "mutation($alert: ID!, $action: String!, $expires: Float!, $signature: String!) { actOnChatLink(alert: $alert, action: $action, expires: $expires, signature: $signature) { id status } }"


@pytest.fixture(scope="module")
def card_schema() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


@pytest.fixture
def teams() -> Iterator[FakeTeams]:
    with FakeTeams() as fake:
        yield fake


def world_with_teams(open_world: WorldFactory, teams: FakeTeams) -> SmokeWorld:
    world = open_world()
    url = teams.webhook_url(CHANNEL)

    async def channel() -> None:
        await ChatChannel.create(platform=ChatPlatform.TEAMS, target=url, name="Ops alerts", team_id=world.org.team_id, created_at=datetime.now(UTC))

    in_db(world.database_url, channel)
    return world


def cards_of(teams: FakeTeams, summary: str, count: int = 1) -> list[dict[str, Any]]:
    """The cards posted for ``summary`` once there are ``count`` of them."""
    def posted() -> list[dict[str, Any]] | None:
        found = [c for c in teams.cards(CHANNEL) if summary in c["body"][0]["text"]]
        return found if len(found) >= count else None

    return wait_until(posted, WAIT, what=f"{count} card(s) of {summary!r}")  # type: ignore[no-any-return]


def buttons(card: dict[str, Any]) -> dict[str, str]:
    return {a["title"]: a["url"] for a in card["actions"]}


def link_parts(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def act(world: SmokeWorld, token: str, parts: dict[str, str]) -> dict[str, Any]:
    return gql(world.url, token, ACT, alert=parts["alert"], action=parts["action"], expires=int(parts["expires"]), signature=parts["signature"])


def refusal(body: dict[str, Any]) -> tuple[str, str]:
    [error] = body["errors"]
    return error["extensions"]["code"], error["extensions"].get("reason", "")


def test_posted_once_as_a_valid_card_and_again_when_accepted(open_world: WorldFactory, teams: FakeTeams, card_schema: jsonschema.protocols.Validator) -> None:
    world = world_with_teams(open_world, teams)
    alert = world.event("disk", "Database disk full", details="/var is at 99%")

    [card] = cards_of(teams, "Database disk full")
    card_schema.validate(card)
    # The rules refuse what Teams would not draw: a TextBlock without text, an unknown size, a
    # button without a URL.
    assert not card_schema.is_valid({**card, "body": [{"type": "TextBlock"}]})
    assert not card_schema.is_valid({**card, "body": [{"type": "TextBlock", "text": "x", "size": "Huge"}]})
    assert not card_schema.is_valid({**card, "actions": [{"type": "Action.OpenUrl", "title": "Open"}]})
    assert card["version"] == "1.4" and card["type"] == "AdaptiveCard"
    assert list(buttons(card)) == ["Accept", "Resolve", "Escalate", "Open"]
    assert buttons(card)["Open"] == f"{world.url}/alerts/{alert.id}"
    for action in ("accept", "resolve", "escalate"):
        url = buttons(card)[action.title()]
        assert url.startswith(f"{world.url}/chat/act?") and link_parts(url)["action"] == action and link_parts(url)["alert"] == str(alert.id)
    facts = {f["title"]: f["value"] for b in card["body"] if b["type"] == "FactSet" for f in b["facts"]}
    assert facts == {"Status": "Pending", "Priority": "HIGH", "Source": "Ops API", "Escalation level": "1"}

    world.alice.accepts(alert)
    accepted = cards_of(teams, "Database disk full", 2)[-1]
    card_schema.validate(accepted)
    assert "Accepted by Alice" in json.dumps(accepted["body"])
    assert list(buttons(accepted)) == ["Resolve", "Escalate", "Open"]

    # A comment changes the alert but not its card: no third card. The resolve after it does post.
    world.alice.comments(alert, "looking")
    world.alice.resolves(alert)
    resolved = cards_of(teams, "Database disk full", 3)
    assert len(resolved) == 3 and "Resolved by Alice" in json.dumps(resolved[-1]["body"])
    assert list(buttons(resolved[-1])) == ["Open"]
    # The URL is the channel's secret: GraphQL shows its host only.
    listed = gql(world.url, world.alice.token, "{ chatChannels { platform target } }")["data"]["chatChannels"]
    assert listed == [{"platform": "TEAMS", "target": "http://127.0.0.1/…"}]


def test_signed_links_over_graphql(open_world: WorldFactory, teams: FakeTeams) -> None:
    world = world_with_teams(open_world, teams)
    alert = world.event("queue", "Queue backlog")
    other = world.event("cpu", "CPU on fire")
    accept = link_parts(buttons(cards_of(teams, "Queue backlog")[0])["Accept"])

    async def stakeholder() -> str:
        sam = await create_user("sam@ops.test", "Sam", "sam-password-123", Role.STAKEHOLDER, "UTC", ["Ops"])
        return (await create_token(sam.id, TokenKind.API, datetime.now(UTC), "test"))[1]

    sam = in_db(world.database_url, stakeholder)
    assert refusal(act(world, sam, accept))[0] == "FORBIDDEN"
    tampered = {**accept, "signature": accept["signature"][:-1] + ("0" if accept["signature"][-1] != "0" else "1")}
    assert refusal(act(world, world.alice.token, tampered)) == ("FORBIDDEN", "INVALID_SIGNATURE")
    assert refusal(act(world, world.alice.token, {**accept, "alert": str(other.id)})) == ("FORBIDDEN", "INVALID_SIGNATURE")
    assert refusal(act(world, world.alice.token, {**accept, "action": "resolve"})) == ("FORBIDDEN", "INVALID_SIGNATURE")
    stale = link_parts(sign_link(world.settings.signing_key(), world.url, alert.id, "accept", datetime.now(UTC) - timedelta(days=8)))
    code, reason = refusal(body := act(world, world.alice.token, stale))
    assert (code, reason) == ("FORBIDDEN", "LINK_EXPIRED") and "expired" in body["errors"][0]["message"]
    fraction = gql(world.url, world.alice.token, ACT, alert=accept["alert"], action="accept", expires=int(accept["expires"]) + 0.5,
                   signature=accept["signature"])
    assert fraction["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "expires"}
    # An expiry past 2038 (beyond a 32-bit Int) is read as it is: refused for its signature, not its size.
    assert refusal(act(world, world.alice.token, {**accept, "expires": str(2**31 + 7 * 86400)})) == ("FORBIDDEN", "INVALID_SIGNATURE")
    assert world.alert(alert).status is AlertStatus.PENDING and world.alert(other).status is AlertStatus.PENDING

    # Pressed twice: accepted once, as Alice, via Teams.
    for _ in range(2):
        assert act(world, world.alice.token, accept)["data"]["actOnChatLink"] == {"id": str(alert.id), "status": "ACCEPTED"}
    assert world.alert(alert).timeline.count("Accepted by Alice via Microsoft Teams") == 1
    escalate = link_parts(buttons(cards_of(teams, "CPU on fire")[0])["Escalate"])
    assert act(world, world.bob.token, escalate)["data"]["actOnChatLink"]["id"] == str(other.id)
    assert any("via Microsoft Teams" in t for t in world.alert(other).timeline)


def test_a_teams_channel_is_a_webhook_url_and_never_a_dedicated_one(open_world: WorldFactory) -> None:
    world = open_world()
    create = "mutation($target: String!, $high: Boolean!) { createChatChannel(platform: TEAMS, target: $target, name: \"Ops\", teamId: \"%s\", dedicatedHigh: $high) { target } }"
    query = create % world.org.team_id
    body = gql(world.url, world.alice.token, query, target="#ops-alerts", high=False)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "target"}
    body = gql(world.url, world.alice.token, query, target="https://prod-12.westus.logic.azure.com/workflows/1/invoke?sig=x", high=True)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "dedicatedHigh"}
    # A real Workflows URL, as long as they come (the newer powerplatform.com ones pass 400 characters).
    real = ("https://default0123456789abcdef0123456789abcd.ef.environment.api.powerplatform.com:443/powerautomate/automations/direct/"
            "workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun"
            "&sv=1.0&sig=" + "A1b2C3d4E5f6G7h8I9j0" * 4 + "&extra=" + "x" * 120)
    assert len(real) > 400
    body = gql(world.url, world.alice.token, query, target=real, high=False)
    assert "errors" not in body and body["data"]["createChatChannel"]["target"].startswith("https://default0123456789abcdef"), body


def _card(**changes: Any) -> AlertCard:
    fields: dict[str, Any] = dict(
        alert_id=7, summary="Checkout is down", details=None, status="Pending", by=None, priority="HIGH", source="Ops API",
        escalation_level=1, link="https://pagerline.example/alerts/7", actions=("accept", "resolve", "escalate", "comment"),
    )
    return AlertCard(**{**fields, **changes})


def test_the_client_against_the_webhook(teams: FakeTeams, card_schema: jsonschema.protocols.Validator) -> None:
    async def run() -> None:
        client = TeamsClient(lambda: b"k", "https://pagerline.example")
        url = teams.webhook_url(CHANNEL)
        try:
            ref = await client.post(url, _card())
            assert await client.update(url, ref, _card()) == ref  # looks the same: not posted again
            accepted = await client.update(url, ref, _card(status="Accepted", by="Alice", actions=("resolve", "escalate", "comment")))
            assert accepted != ref
            await client.reply(url, accepted, "Alice: looking")  # a webhook has no thread
            assert len(teams.cards(CHANNEL)) == 2
            for card in teams.cards(CHANNEL):
                card_schema.validate(card)
            assert await client.email_of("anyone") is None and await client.user_id_of("a@b.test") is None
            with pytest.raises(ChatFailed) as refused:
                await client.create_channel("alert-7")
            assert not refused.value.retryable
            teams.fail(429, retry_after=3)
            with pytest.raises(ChatRateLimited) as limited:
                await client.post(url, _card())
            assert limited.value.retry_after == 3
            teams.fail(503)
            with pytest.raises(ChatFailed) as down:
                await client.post(url, _card())
            assert down.value.retryable and "sig=" not in str(down.value)
            with pytest.raises(ChatFailed) as gone:
                await client.post(f"{teams.url}/not-a-flow?sig=secret", _card())
            assert not gone.value.retryable and "secret" not in str(gone.value)
        finally:
            await client.close()

    asyncio.run(run())


@needs_chromium
@needs_web_app
def test_the_signed_link_in_a_browser(open_world: WorldFactory, teams: FakeTeams, browser: Browser) -> None:
    world = outside_playwright(lambda: world_with_teams(open_world, teams))
    alert = outside_playwright(lambda: world.event("checkout", "Checkout is down"))
    card = outside_playwright(lambda: cards_of(teams, "Checkout is down")[0])
    accept = buttons(card)["Accept"]

    # A changed link: the page asks, the server refuses and the page says why.
    page = new_page(browser, accept.replace("action=accept", "action=resolve"))
    sign_in(page, "alice@ops.test", "alice-password", alert_list=False)
    page.get_by_role("heading", name=f"Resolve alert #{alert.id} Checkout is down?").wait_for()
    page.get_by_role("button", name="Resolve").click()
    page.locator("#chat-act-result").filter(has_text="not made by pagerline or has been changed").wait_for()

    # An expired link says so before anyone presses.
    stale = sign_link(world.settings.signing_key(), world.url, alert.id, "accept", datetime.now(UTC) - timedelta(days=8))
    page.goto(stale)
    page.get_by_text("This link has expired").wait_for()
    assert page.get_by_role("button", name="Accept").count() == 0
    assert outside_playwright(lambda: world.alert(alert)).status is AlertStatus.PENDING

    # The real link: opening it does nothing; pressing accepts, as Alice, via Teams.
    page.goto(accept)
    page.get_by_role("heading", name=f"Accept alert #{alert.id} Checkout is down?").wait_for()
    assert outside_playwright(lambda: world.alert(alert)).status is AlertStatus.PENDING
    page.get_by_role("button", name="Accept").click()
    page.locator("#chat-act-result").filter(has_text=f"alert #{alert.id} is accepted").wait_for()
    state = outside_playwright(lambda: world.alert(alert))
    assert state.status is AlertStatus.ACCEPTED and state.timeline.count("Accepted by Alice via Microsoft Teams") == 1
