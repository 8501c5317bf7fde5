"""The ``ChatChannel`` type: where it posts, for which team or source, and how its posts fare."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import strawberry
from strawberry.types import Info
from tortoise.functions import Count, Max

from pagerline import models
from pagerline.graphql.core.context import loaders_of
from pagerline.graphql.people.types import Team
from pagerline.graphql.sources.routing import AlertSource

# The model's own enum, so the schema and the stored platforms cannot disagree.
ChatPlatform = strawberry.enum(models.ChatPlatform, name="ChatPlatform", description="The chat service a channel is in.")


@dataclass(frozen=True, slots=True)
class PostStats:
    """How a channel's posts fare: how many there are, and the latest error still standing."""

    posted: int = 0
    last_error: str | None = None


async def post_stats(channel_ids: list[int]) -> dict[int, PostStats]:
    """The stats of every channel in ``channel_ids`` in three queries, however many channels and
    posts: a list of channels must not cost a query per channel."""
    if not channel_ids:
        return {}
    counts = await (
        models.ChatPost.filter(channel_id__in=channel_ids).annotate(posted=Count("id")).group_by("channel_id").values_list("channel_id", "posted")
    )
    # A post's last_error is cleared once it goes through, so what is left is still failing; the
    # newest such post (the highest id) says what goes wrong now.
    failing = await (
        models.ChatPost.filter(channel_id__in=channel_ids, last_error__isnull=False)
        .annotate(newest=Max("id")).group_by("channel_id").values_list("newest", flat=True)
    )
    errors = dict(await models.ChatPost.filter(id__in=list(failing)).values_list("channel_id", "last_error")) if failing else {}
    return {int(channel_id): PostStats(int(posted), errors.get(channel_id)) for channel_id, posted in counts}


def shown_target(row: models.ChatChannel) -> str:
    """A Teams channel's webhook URL carries its own signature: whoever reads it can post there,
    so it is written once and never shown again, only its host (enough to tell two apart)."""
    if row.platform is not models.ChatPlatform.TEAMS:
        return row.target
    parts = urlsplit(row.target)
    return f"{parts.scheme}://{parts.hostname}/…" if parts.hostname else "…"


@strawberry.type(description="A chat channel the alerts of one source, or of every source of one team, are posted to and kept up to date in.")
class ChatChannel:
    id: strawberry.ID
    platform: ChatPlatform  # type: ignore[valid-type]
    target: str = strawberry.field(description=(
        "Slack: the channel's id (C… for a public channel, G… for a private one). "
        "Teams: only the Workflows webhook's host, as https://host/… (its URL is a secret that lets anyone post)."
    ))
    name: str
    dedicated_high: bool = strawberry.field(description="Each HIGH alert also gets a Slack channel of its own, its responders invited.")
    created_at: datetime
    last_error: str | None = strawberry.field(description="The latest error of its posts that still fail; null when none does.")
    posted_alerts: int = strawberry.field(description="How many alerts have been posted to it.")
    team_id: strawberry.Private[int | None]
    source_id: strawberry.Private[int | None]

    @strawberry.field(description="The team whose sources' alerts it posts; null for a source's channel.")
    async def team(self, info: Info) -> Team | None:
        row = await loaders_of(info).teams.load(self.team_id) if self.team_id is not None else None
        return Team.of(row) if row else None

    @strawberry.field(description="The source whose alerts it posts; null for a team's channel.")
    async def source(self, info: Info) -> AlertSource | None:
        row = await loaders_of(info).sources.load(self.source_id) if self.source_id is not None else None
        return AlertSource.of(row) if row else None

    @classmethod
    def of(cls, row: models.ChatChannel, stats: PostStats = PostStats()) -> ChatChannel:
        return cls(
            id=strawberry.ID(str(row.id)), platform=ChatPlatform(row.platform.value), target=shown_target(row), name=row.name,
            dedicated_high=row.dedicated_high, created_at=row.created_at, last_error=stats.last_error, posted_alerts=stats.posted,
            team_id=row.team_id, source_id=row.source_id,  # type: ignore[attr-defined]
        )
