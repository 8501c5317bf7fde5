"""Chat channels over GraphQL against a real server: a team's or a source's alerts posted to a
Slack channel. Managers of the team add and remove them; everyone sees only their teams'
channels (another team's is NOT_FOUND); refusals name the field at fault and change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pagerline.models import ChatChannel, ChatPost
from tests.support.databases import TemplateDatabases
from tests.support.graphql import World, data, error_code, fire_ok, gql, in_db, running_world

FIELDS = "id platform target name createdAt lastError postedAlerts team { id name } source { id name }"
CREATE = f"""mutation($target: String!, $name: String!, $team: ID, $source: ID) {{
  createChatChannel(platform: SLACK, target: $target, name: $name, teamId: $team, sourceId: $source) {{ {FIELDS} }}
}}"""
LIST = f"{{ chatChannels {{ {FIELDS} }} }}"
DELETE = "mutation($id: ID!) { deleteChatChannel(id: $id) }"


@pytest.fixture(scope="module")
def world(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world(templates, tmp_path_factory.mktemp("chat-channels")) as made:
        yield made


def create(world: World, token: str, target: str, name: str, **owner: Any) -> dict[str, Any]:
    """The answer (data or errors) to a createChatChannel for ``team`` or ``source``."""
    return gql(world.url, token, CREATE, target=target, name=name, **owner)


def listed(world: World, token: str) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in data(world.url, token, LIST)["chatChannels"]}


def field_error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors") and body.get("data") is None, body
    return body["errors"][0]["extensions"]  # type: ignore[no-any-return]


def test_a_manager_adds_a_team_channel_and_an_admin_a_source_channel(world: World) -> None:
    ops_team, ops_source = str(world.ops.team_id), str(world.ops.api_source_id)
    team_channel = data(world.url, world.ops.alice_token, CREATE, target=" C0OPSALERTS ", name=" ops-alerts ", team=ops_team)["createChatChannel"]
    assert team_channel | {"id": "", "createdAt": ""} == {
        "id": "", "platform": "SLACK", "target": "C0OPSALERTS", "name": "ops-alerts", "createdAt": "",
        "lastError": None, "postedAlerts": 0, "team": {"id": ops_team, "name": "Ops"}, "source": None,
    }
    source_channel = data(world.url, world.admin_token, CREATE, target="G0OPSAPI01", name="ops-api", source=ops_source)["createChatChannel"]
    assert (source_channel["team"], source_channel["source"]) == (None, {"id": ops_source, "name": "Ops API"})

    for token in (world.ops.alice_token, world.ops.bob_token, world.stakeholder_token, world.admin_token):
        assert {"ops-alerts", "ops-api"} <= set(listed(world, token))  # everyone of Ops, and admins
    for token in (world.web.alice_token, world.web.bob_token):
        assert not {"ops-alerts", "ops-api"} & set(listed(world, token))  # another team's stay hidden
    for channel in (team_channel, source_channel):
        data(world.url, world.admin_token, DELETE, id=channel["id"])


def test_the_list_counts_posted_alerts_and_shows_the_latest_error_still_standing(world: World) -> None:
    alerts = [fire_ok(world.url, world.web.api_key, f"chat-{n}", f"disk {n} full") for n in range(3)]
    channel = data(world.url, world.web.alice_token, CREATE, target="C0WEBALERTS", name="web-alerts", team=str(world.web.team_id))["createChatChannel"]

    async def post() -> None:
        due = datetime.now(UTC) + timedelta(hours=1)  # no chat worker runs here (no Slack token); out of any sweep anyway
        for alert_id, error in zip(alerts, ["not_in_channel", "ratelimited", None], strict=True):
            await ChatPost.create(channel_id=int(channel["id"]), alert_id=alert_id, message_ref="1.2", last_error=error, next_attempt_at=due)

    in_db(world.database_url, post)
    shown = listed(world, world.web.alice_token)["web-alerts"]
    assert (shown["postedAlerts"], shown["lastError"]) == (3, "ratelimited")  # the newest post that still fails
    data(world.url, world.web.alice_token, DELETE, id=channel["id"])
    assert in_db(world.database_url, lambda: ChatPost.filter(alert_id__in=alerts).count()) == 0  # its posts go with it


@pytest.mark.parametrize(
    ("target", "name", "owner", "field"),
    [
        ("#ops", "ops", "team", "target"),  # a channel's name, not its id
        ("", "ops", "team", "target"),
        ("C0OPSALERTS", "  ", "team", "name"),
        ("C0OPSALERTS", "x" * 201, "team", "name"),
        ("C0OPSALERTS", "ops", "both", "teamId"),
        ("C0OPSALERTS", "ops", "neither", "teamId"),
    ],
)
def test_bad_input_names_the_field_and_makes_nothing(world: World, target: str, name: str, owner: str, field: str) -> None:
    team, source = str(world.ops.team_id), str(world.ops.api_source_id)
    owners = {"team": {"team": team}, "both": {"team": team, "source": source}, "neither": {}}[owner]
    before = in_db(world.database_url, lambda: ChatChannel.all().count())
    assert field_error(create(world, world.ops.alice_token, target, name, **owners)) == {"code": "BAD_USER_INPUT", "field": field}
    assert in_db(world.database_url, lambda: ChatChannel.all().count()) == before


def test_responders_stakeholders_and_other_teams_are_refused(world: World) -> None:
    ops_team, ops_source = str(world.ops.team_id), str(world.ops.api_source_id)
    for token in (world.ops.bob_token, world.stakeholder_token):  # a responder and a stakeholder of Ops
        assert error_code(create(world, token, "C0REFUSED1", "refused", team=ops_team)) == "FORBIDDEN"
        assert error_code(create(world, token, "C0REFUSED1", "refused", source=ops_source)) == "FORBIDDEN"
    # Another team's team and source, and ones that do not exist, are not found (ids leak nothing).
    assert error_code(create(world, world.web.alice_token, "C0REFUSED1", "refused", team=ops_team)) == "NOT_FOUND"
    assert error_code(create(world, world.web.alice_token, "C0REFUSED1", "refused", source=ops_source)) == "NOT_FOUND"
    assert error_code(create(world, world.admin_token, "C0REFUSED1", "refused", team="99999")) == "NOT_FOUND"
    assert error_code(create(world, world.admin_token, "C0REFUSED1", "refused", source="99999")) == "NOT_FOUND"
    assert "refused" not in listed(world, world.admin_token)

    channel = data(world.url, world.ops.alice_token, CREATE, target="C0OPSKEEP1", name="ops-keep", team=ops_team)["createChatChannel"]
    assert error_code(gql(world.url, world.ops.bob_token, DELETE, id=channel["id"])) == "FORBIDDEN"
    assert error_code(gql(world.url, world.stakeholder_token, DELETE, id=channel["id"])) == "FORBIDDEN"
    assert error_code(gql(world.url, world.web.alice_token, DELETE, id=channel["id"])) == "NOT_FOUND"
    assert "ops-keep" in listed(world, world.ops.alice_token)  # the refusals deleted nothing


def test_delete_removes_the_channel_once(world: World) -> None:
    channel = data(world.url, world.ops.alice_token, CREATE, target="C0OPSGONE1", name="ops-gone", team=str(world.ops.team_id))["createChatChannel"]
    assert data(world.url, world.ops.alice_token, DELETE, id=channel["id"]) == {"deleteChatChannel": True}
    assert "ops-gone" not in listed(world, world.admin_token)
    assert error_code(gql(world.url, world.ops.alice_token, DELETE, id=channel["id"])) == "NOT_FOUND"
    assert error_code(gql(world.url, world.ops.alice_token, DELETE, id="not a number")) == "BAD_USER_INPUT"
