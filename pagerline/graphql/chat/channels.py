"""Chat channels over GraphQL: list those of your teams (all of them for admins), and add or
remove them where you manage the team (``engine.chat.channels`` checks and decides).

Another team's channel, source or team answers NOT_FOUND, never FORBIDDEN, as everywhere else:
ids leak nothing."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from pagerline import models
from pagerline.engine.chat import channels as chat_channels
from pagerline.engine.people.accounts import Viewer
from pagerline.engine.people.roles import may_see, may_see_team
from pagerline.graphql.chat.types import ChatChannel, ChatPlatform, PostStats, post_stats
from pagerline.graphql.core.args import now, optional_id, parse_id
from pagerline.graphql.core.context import viewer_of
from pagerline.graphql.core.errors import engine_errors, not_found
from pagerline.graphql.core.permissions import require_viewer


def _team_of(row: models.ChatChannel) -> int | None:
    """The team a channel belongs to: its own, or its source's (loaded with it)."""
    return row.team_id if row.source is None else row.source.team_id  # type: ignore[attr-defined]


async def _visible_source(viewer: Viewer, source_id: int) -> None:
    source = await models.AlertSource.get_or_none(id=source_id)
    if source is None or not may_see(viewer, source.team_id):  # type: ignore[attr-defined]
        raise not_found("Alert source")


async def _visible_team(viewer: Viewer, team_id: int) -> None:
    # Checked here so that an admin naming a team that does not exist hears NOT_FOUND, not a
    # foreign-key failure from the database.
    if not may_see_team(viewer, team_id) or not await models.Team.exists(id=team_id):
        raise not_found("Team")


@strawberry.type
class ChatQuery:
    @strawberry.field(description="The channels of your teams and of their sources (every channel for admins), by name.")
    async def chat_channels(self, info: Info) -> list[ChatChannel]:
        viewer = require_viewer(viewer_of(info))
        rows = [r for r in await models.ChatChannel.all().select_related("source").order_by("name", "id") if may_see(viewer, _team_of(r))]
        stats = await post_stats([r.id for r in rows])
        return [ChatChannel.of(r, stats.get(r.id, PostStats())) for r in rows]


@strawberry.type
class ChatMutation:
    @strawberry.mutation(description=(
        "Post the alerts of one source (sourceId), or of every source of one team (teamId), to a chat channel: "
        "Slack's channel id in target (C… or G…; invite the app to the channel)."
    ))
    async def create_chat_channel(
        self, info: Info, platform: ChatPlatform, target: str, name: str,  # type: ignore[valid-type]
        team_id: strawberry.ID | None = None, source_id: strawberry.ID | None = None, dedicated_high: bool = False,
    ) -> ChatChannel:
        viewer = require_viewer(viewer_of(info))
        team, source = optional_id(team_id, "team id"), optional_id(source_id, "alert source id")
        if source is not None:
            await _visible_source(viewer, source)
        if team is not None:
            await _visible_team(viewer, team)
        with engine_errors():
            row = await chat_channels.create_chat_channel(
                viewer, models.ChatPlatform(platform.value), target, name, now(), team_id=team, source_id=source, dedicated_high=dedicated_high
            )
        return ChatChannel.of(row)

    @strawberry.mutation(description="Its alerts are no longer posted there; messages already posted stay in the channel.")
    async def delete_chat_channel(self, info: Info, id: strawberry.ID) -> bool:
        viewer = require_viewer(viewer_of(info))
        channel_id = parse_id(id, "chat channel id")
        row = await models.ChatChannel.get_or_none(id=channel_id).select_related("source")
        if row is None or not may_see(viewer, _team_of(row)):
            raise not_found("Chat channel")
        with engine_errors():
            await chat_channels.delete_chat_channel(viewer, channel_id)
        return True
