"""The fake Slack (tests/fakes/slack.py) driven by the real ``slack_sdk`` clients: if these pass,
what pagerline's Slack code does against the fake is what it would do against Slack."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookClient

from tests.fakes.slack import (
    FakeSlack,
    block_action,
    interaction_fields,
    message_shortcut,
    signed_form,
    slack_signature,
    slash_command,
)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BLOCKS = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*DB down*"}},
    {"type": "actions", "elements": [{"type": "button", "action_id": "ack", "value": "alert-1",
                                      "text": {"type": "plain_text", "text": "Acknowledge"}}]},
]


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def web(slack: FakeSlack, token: str | None = "") -> WebClient:
    return WebClient(token=slack.token if token == "" else token, base_url=slack.url + "/api/")


def aweb(slack: FakeSlack, token: str | None = "") -> AsyncWebClient:
    return AsyncWebClient(token=slack.token if token == "" else token, base_url=slack.url + "/api/")


def api_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value


async def async_api_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        await call()
    return caught.value


# --------------------------------------------------------------------------- messages


def test_post_message_then_update_edits_it_in_place(slack: FakeSlack) -> None:
    alerts = slack.add_channel("alerts")
    client = web(slack)

    posted = client.chat_postMessage(channel=alerts, text="DB down", blocks=BLOCKS)
    assert posted["ok"] and posted["channel"] == alerts
    seconds, micros = posted["ts"].split(".")
    assert seconds.isdigit() and len(micros) == 6 and micros.isdigit()
    assert posted["message"]["text"] == "DB down" and posted["message"]["blocks"] == BLOCKS

    updated = client.chat_update(channel=alerts, ts=posted["ts"], text="DB down (acked by alice)", blocks=BLOCKS[:1])
    assert (updated["channel"], updated["ts"], updated["text"]) == (alerts, posted["ts"], "DB down (acked by alice)")

    [message] = slack.messages(alerts)
    assert (message.ts, message.text, message.blocks, message.edits) == (posted["ts"], "DB down (acked by alice)", BLOCKS[:1], 1)
    with pytest.warns(UserWarning, match="text"):  # slack_sdk's advice; the fake keeps the old text
        client.chat_update(channel=alerts, ts=posted["ts"], blocks=BLOCKS)
    assert (slack.messages(alerts)[0].text, slack.messages(alerts)[0].blocks) == ("DB down (acked by alice)", BLOCKS)
    assert slack.calls("chat.postMessage")[0].content_type.startswith("application/json")
    assert slack.tokens == [slack.token]


def test_ts_are_unique_and_increasing(slack: FakeSlack) -> None:
    alerts = slack.add_channel("alerts")
    client = web(slack)
    stamps = [client.chat_postMessage(channel=alerts, text=f"page {i}")["ts"] for i in range(5)]
    assert stamps == sorted(stamps, key=float) and len(set(stamps)) == 5
    assert [m.text for m in slack.messages(alerts)] == [f"page {i}" for i in range(5)]


def test_update_of_an_unknown_message_is_message_not_found(slack: FakeSlack) -> None:
    alerts = slack.add_channel("alerts")
    error = api_error(lambda: web(slack).chat_update(channel=alerts, ts="1700000000.000001", text="x"))
    assert error.response["error"] == "message_not_found"


def test_unknown_channel_is_channel_not_found(slack: FakeSlack) -> None:
    error = api_error(lambda: web(slack).chat_postMessage(channel="C0NOPE", text="hi"))
    assert error.response["error"] == "channel_not_found"


async def test_thread_reply_is_kept_under_its_parent(slack: FakeSlack) -> None:
    alerts = slack.add_channel("alerts")
    client = aweb(slack)
    parent = await client.chat_postMessage(channel=alerts, text="DB down")
    reply = await client.chat_postMessage(channel=alerts, text="escalated to Bob", thread_ts=parent["ts"])
    assert reply["message"]["thread_ts"] == parent["ts"]

    [message] = slack.messages(alerts)
    assert [(r.text, r.thread_ts) for r in message.replies] == [("escalated to Bob", parent["ts"])]
    await client.chat_update(channel=alerts, ts=reply["ts"], text="escalated to Bob (2nd)")
    assert slack.messages(alerts)[0].replies[0].edits == 1


def test_form_body_with_blocks_as_a_json_string(slack: FakeSlack) -> None:
    alerts = slack.add_channel("alerts")
    web(slack).api_call("chat.postMessage", params={"channel": alerts, "text": "t", "blocks": json.dumps(BLOCKS)})
    [call] = slack.calls("chat.postMessage")
    assert call.content_type.startswith("application/x-www-form-urlencoded")
    assert slack.messages(alerts)[0].blocks == BLOCKS


def test_a_user_id_as_channel_is_a_dm(slack: FakeSlack) -> None:
    alice = slack.add_user("alice@example.com", name="alice")
    posted = web(slack).chat_postMessage(channel=alice, text="You are on call")
    assert posted["channel"].startswith("D")
    assert [m.text for m in slack.messages(alice)] == ["You are on call"]


def test_ephemeral_is_recorded_per_user(slack: FakeSlack) -> None:
    alerts = slack.add_channel("alerts")
    alice = slack.add_user("alice@example.com")
    bob = slack.add_user("bob@example.com")
    answer = web(slack).chat_postEphemeral(channel=alerts, user=alice, text="Only you can see this")
    assert answer["message_ts"]
    assert [(e.text, e.channel) for e in slack.ephemerals(alice)] == [("Only you can see this", alerts)]
    assert slack.ephemerals(bob) == [] and slack.messages(alerts) == []


# --------------------------------------------------------------------------- people and channels


async def test_lookup_by_email_found_and_not_found(slack: FakeSlack) -> None:
    alice = slack.add_user("alice@example.com", name="alice", real_name="Alice Liddell")
    client = aweb(slack)

    found = await client.users_lookupByEmail(email="Alice@Example.com")
    user = found["user"]
    assert (user["id"], user["team_id"], user["name"], user["real_name"]) == (alice, slack.team_id, "alice", "Alice Liddell")
    assert user["profile"]["email"] == "alice@example.com"
    assert alice.startswith("U") and alice.isupper()

    error = await async_api_error(lambda: client.users_lookupByEmail(email="nobody@example.com"))
    assert error.response["error"] == "users_not_found"


def test_conversations_create_and_invite(slack: FakeSlack) -> None:
    alice = slack.add_user("alice@example.com")
    bob = slack.add_user("bob@example.com")
    client = web(slack)

    created = client.conversations_create(name="inc-42-db-down", is_private=False)
    channel = created["channel"]
    assert channel["id"].startswith("C") and channel["name"] == "inc-42-db-down"
    assert api_error(lambda: client.conversations_create(name="inc-42-db-down")).response["error"] == "name_taken"
    assert api_error(lambda: client.conversations_create(name="Has Spaces")).response["error"] == "invalid_name_specials"

    invited = client.conversations_invite(channel=channel["id"], users=[alice, bob])
    assert invited["channel"]["id"] == channel["id"]
    assert slack.channel(channel["id"]).members == [slack.bot_user_id, alice, bob]
    assert slack.calls("conversations.invite")[0].params["users"] == f"{alice},{bob}"

    again = api_error(lambda: client.conversations_invite(channel=channel["id"], users=alice))
    assert again.response["error"] == "already_in_channel"
    unknown = api_error(lambda: client.conversations_invite(channel="C0NOPE", users=alice))
    assert unknown.response["error"] == "channel_not_found"


def test_private_channel(slack: FakeSlack) -> None:
    created = web(slack).conversations_create(name="inc-secret", is_private=True)
    assert created["channel"]["is_private"] is True and created["channel"]["id"].startswith("G")


# --------------------------------------------------------------------------- auth and failures


def test_wrong_token_is_invalid_auth_and_none_is_not_authed(slack: FakeSlack) -> None:
    alerts = slack.add_channel("alerts")
    wrong = api_error(lambda: web(slack, "xoxb-wrong").chat_postMessage(channel=alerts, text="hi"))
    assert wrong.response.status_code == 200 and wrong.response["error"] == "invalid_auth"
    missing = api_error(lambda: web(slack, None).chat_postMessage(channel=alerts, text="hi"))
    assert missing.response["error"] == "not_authed"
    assert slack.messages(alerts) == [] and slack.tokens == ["xoxb-wrong"]


def test_app_token_only_opens_connections(slack: FakeSlack) -> None:
    bot_opens = api_error(lambda: web(slack).apps_connections_open(app_token=slack.token))
    assert bot_opens.response["error"] == "not_allowed_token_type"
    opened = web(slack, None).apps_connections_open(app_token=slack.app_token)
    assert opened["url"].startswith(f"ws://127.0.0.1:") and "ticket=" in opened["url"]


def test_rate_limit_is_429_with_retry_after(slack: FakeSlack) -> None:
    alerts = slack.add_channel("alerts")
    slack.fail("chat.postMessage", 429, retry_after=3)
    client = web(slack)

    error = api_error(lambda: client.chat_postMessage(channel=alerts, text="hi"))
    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "3"
    assert error.response["error"] == "ratelimited"
    assert client.chat_postMessage(channel=alerts, text="hi")["ok"]  # times=1: the next one goes through
    assert [c.status for c in slack.calls("chat.postMessage")] == [429, 200]


async def test_rate_limit_with_the_async_client(slack: FakeSlack) -> None:
    alerts = slack.add_channel("alerts")
    slack.fail("chat.postMessage", 429, retry_after=3, times=2)
    client = aweb(slack)
    for _ in range(2):
        error = await async_api_error(lambda: client.chat_postMessage(channel=alerts, text="hi"))
        assert error.response.status_code == 429 and error.response.headers["Retry-After"] == "3"
    assert (await client.chat_postMessage(channel=alerts, text="hi"))["ok"]


def test_server_error_and_scripted_error_code(slack: FakeSlack) -> None:
    alerts = slack.add_channel("alerts")
    client = web(slack)
    slack.fail("chat.update", 503)
    slack.error("chat.postMessage", "restricted_action")

    assert api_error(lambda: client.chat_postMessage(channel=alerts, text="x")).response["error"] == "restricted_action"
    posted = client.chat_postMessage(channel=alerts, text="x")
    assert api_error(lambda: client.chat_update(channel=alerts, ts=posted["ts"], text="y")).response.status_code == 503
    assert slack.messages(alerts)[0].edits == 0


# --------------------------------------------------------------------------- what Slack sends


def test_signature_agrees_with_slack_sdk() -> None:
    verifier = SignatureVerifier(SECRET)
    now = int(time.time())
    body = b"token=x&team_id=T1&command=%2Fpage&text=db"
    signature = slack_signature(SECRET, now, body)
    assert signature.startswith("v0=")
    assert verifier.is_valid(body, now, signature)
    assert not verifier.is_valid(body + b"x", now, signature)

    form, headers = signed_form(SECRET, {"payload": "{}"})
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert verifier.is_valid_request(form, headers)
    old_form, old_headers = signed_form(SECRET, {"payload": "{}"}, timestamp=now - 3600)
    assert not verifier.is_valid_request(old_form, old_headers)  # Slack's five-minute window


def test_block_action_payload_round_trips_through_the_form(slack: FakeSlack) -> None:
    alerts = slack.add_channel("alerts")
    alice = slack.add_user("alice@example.com", name="alice")
    posted = web(slack).chat_postMessage(channel=alerts, text="DB down", blocks=BLOCKS)
    url = slack.response_url()
    payload = block_action(alice, "alice", alerts, posted["ts"], "ack", "alert-1", url,
                           message=slack.message(alerts, posted["ts"]).as_dict())

    body, headers = signed_form(SECRET, interaction_fields(payload))
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    parsed = json.loads(parse_qs(body.decode())["payload"][0])
    assert parsed["type"] == "block_actions" and parsed["user"]["id"] == alice
    assert parsed["container"] == {"type": "message", "message_ts": posted["ts"], "channel_id": alerts, "is_ephemeral": False}
    assert parsed["channel"]["id"] == alerts and parsed["message"]["blocks"] == BLOCKS
    [action] = parsed["actions"]
    assert (action["action_id"], action["value"], action["type"]) == ("ack", "alert-1", "button")
    assert parsed["response_url"] == url and parsed["trigger_id"].count(".") == 2


def test_shortcut_and_slash_command_shapes() -> None:
    shortcut = message_shortcut("page_someone", "U0ALICE", "alice", "C0ALERTS", "1700000000.000100", "http://r")
    assert shortcut["type"] == "message_action" and shortcut["callback_id"] == "page_someone"
    assert shortcut["message"]["ts"] == "1700000000.000100" and shortcut["user"]["id"] == "U0ALICE"

    fields = slash_command("/page", "db-team urgent", "U0ALICE", "alice", "C0ALERTS", "http://r")
    assert (fields["command"], fields["text"], fields["user_id"]) == ("/page", "db-team urgent", "U0ALICE")
    assert all(isinstance(v, str) for v in fields.values())
    assert {"token", "team_id", "team_domain", "channel_name", "api_app_id", "trigger_id"} <= fields.keys()


def test_response_url_records_posts_and_allows_five(slack: FakeSlack) -> None:
    url = slack.response_url()
    hook = WebhookClient(url)
    for i in range(5):
        assert hook.send(text=f"ack {i}", response_type="ephemeral").status_code == 200
    assert hook.send(text="too many").status_code == 404
    bodies = slack.responses(url)
    assert [b["text"] for b in bodies] == [f"ack {i}" for i in range(5)]
    assert bodies[0]["response_type"] == "ephemeral"
    assert slack.responses(slack.response_url()) == []


# --------------------------------------------------------------------------- Socket Mode


async def test_socket_mode_client_connects_and_its_ack_reaches_the_fake(slack: FakeSlack) -> None:
    from slack_sdk.socket_mode.aiohttp import SocketModeClient
    from slack_sdk.socket_mode.request import SocketModeRequest
    from slack_sdk.socket_mode.response import SocketModeResponse

    alice = slack.add_user("alice@example.com", name="alice")
    got: list[SocketModeRequest] = []

    async def on_request(client: SocketModeClient, request: SocketModeRequest) -> None:
        got.append(request)
        await client.send_socket_mode_response(SocketModeResponse(request.envelope_id, payload={"text": "acked"}))

    client = SocketModeClient(app_token=slack.app_token, web_client=AsyncWebClient(base_url=slack.url + "/api/"))
    client.socket_mode_request_listeners.append(on_request)  # type: ignore[arg-type]
    await client.connect()
    try:
        payload = block_action(alice, "alice", "C0ALERTS", "1700000000.000100", "ack", "alert-1", slack.response_url())
        envelope_id = await asyncio.to_thread(slack.socket_send, "interactive", payload)
        ack = await slack.socket_ack_async(envelope_id)
        assert ack == {"envelope_id": envelope_id, "payload": {"text": "acked"}}
        [request] = got
        assert request.type == "interactive" and request.payload["actions"][0]["value"] == "alert-1"
        assert slack.socket_connections == 1
        assert slack.calls("apps.connections.open")[0].token == slack.app_token
    finally:
        await client.close()


async def test_socket_ack_that_never_comes_fails(slack: FakeSlack) -> None:
    from slack_sdk.socket_mode.aiohttp import SocketModeClient

    client = SocketModeClient(app_token=slack.app_token, web_client=AsyncWebClient(base_url=slack.url + "/api/"))
    await client.connect()  # no listener: nothing acks
    try:
        envelope_id = await asyncio.to_thread(slack.socket_send, "events_api", {"type": "event_callback"})
        with pytest.raises(AssertionError, match="ack of"):
            await slack.socket_ack_async(envelope_id, timeout=0.3)
    finally:
        await client.close()
