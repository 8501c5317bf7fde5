"""Which chat channel a team's or a source's alerts go to: set up by those who manage the team."""

from __future__ import annotations

import re
from datetime import datetime

from pagerline.engine.core.config_changes import ConfigAction, ConfigKind, config_changed
from pagerline.engine.core.errors import BadInput, NotFound
from pagerline.engine.people.accounts import Viewer
from pagerline.engine.people.roles import require_manager
from pagerline.models import AlertSource, ChatChannel, ChatPlatform, Team

SLACK_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,20}$")  # public (C…) and private (G…) channels
TEAMS_WEBHOOK = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)  # a Workflows webhook URL
MATTERMOST_CHANNEL_ID = re.compile(r"^[a-z0-9]{26}$")  # Mattermost ids: 26 lowercase letters and digits


async def create_chat_channel(
    viewer: Viewer, platform: ChatPlatform, target: str, name: str, now: datetime, *, team_id: int | None = None, source_id: int | None = None,
    dedicated_high: bool = False,
) -> ChatChannel:
    """Post the alerts of one source, or of every source of one team, to ``target``;
    ``dedicated_high``: each HIGH alert also gets a channel of its own."""
    target, name = target.strip(), name.strip()
    if (team_id is None) == (source_id is None):
        raise BadInput("Choose a team or a source whose alerts go to this channel, not both", field="teamId")
    if platform is ChatPlatform.SLACK and not SLACK_CHANNEL_ID.match(target):
        raise BadInput("A Slack channel is given by its id (C… or G…: the channel's details show it at the bottom)", field="target")
    if platform is ChatPlatform.TEAMS:
        # The Workflows webhook's URL (a secret: GraphQL shows only its host). http is accepted for
        # a test's local fake; Teams' own URLs are https. Dedicated channels need a bot: Slack only.
        if not TEAMS_WEBHOOK.match(target):
            raise BadInput("A Teams channel is given by its Workflows webhook URL (https://…): copy it from the flow's trigger", field="target")
        if dedicated_high:
            raise BadInput("A channel of its own for each HIGH alert needs a bot (Slack or Mattermost), not a Teams webhook", field="dedicatedHigh")
    if platform is ChatPlatform.MATTERMOST and not MATTERMOST_CHANNEL_ID.match(target):
        raise BadInput("A Mattermost channel is given by its id (26 lowercase letters and digits: the channel's View Info shows it)", field="target")
    if not name or len(name) > 200:
        raise BadInput("A channel needs a name of at most 200 characters", field="name")
    if source_id is not None:
        source = await AlertSource.get_or_none(id=source_id)
        if source is None:
            raise NotFound(f"Alert source {source_id} not found")
        team_id_checked = source.team_id  # type: ignore[attr-defined]
    else:
        if not await Team.exists(id=team_id):
            raise NotFound(f"Team {team_id} not found")
        team_id_checked = team_id
    require_manager(viewer, team_id_checked, "chat channels")
    channel = await ChatChannel.create(
        platform=platform, target=target, name=name, team_id=team_id, source_id=source_id, dedicated_high=dedicated_high, created_at=now
    )
    await config_changed(ConfigKind.CHAT_CHANNEL, channel.id, ConfigAction.CREATED)  # other admins' open lists
    return channel


async def delete_chat_channel(viewer: Viewer, channel_id: int) -> None:
    channel = await ChatChannel.get_or_none(id=channel_id).select_related("source")
    if channel is None:
        raise NotFound(f"Chat channel {channel_id} not found")
    team_id = channel.team_id if channel.source is None else channel.source.team_id  # type: ignore[attr-defined]
    require_manager(viewer, team_id, "chat channels")
    await channel.delete()
    await config_changed(ConfigKind.CHAT_CHANNEL, channel_id, ConfigAction.DELETED)
