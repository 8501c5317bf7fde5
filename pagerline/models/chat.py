"""Chat channels (a Slack channel a team or a source posts its alerts to) and their posts."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from pagerline.models.enums import ChatPlatform
from pagerline.models.indexes import WhereIndex


class ChatChannel(Model):
    """Where the alerts of one source, or of every source of one team, are posted."""

    id = fields.IntField(primary_key=True)
    platform = fields.CharEnumField(ChatPlatform)
    # Slack: the channel id (C…), the bot a member of it; Mattermost: the channel id; Teams: the
    # Workflows webhook URL (a credential: shown masked).
    target = fields.CharField(max_length=1000)  # a Teams Workflows URL runs to several hundred characters
    name = fields.CharField(max_length=200)
    team = fields.ForeignKeyField("models.Team", related_name="chat_channels", null=True, on_delete=fields.CASCADE)
    source = fields.ForeignKeyField("models.AlertSource", related_name="chat_channels", null=True, on_delete=fields.CASCADE)
    # Slack: each HIGH alert also gets a channel of its own, its responders invited.
    dedicated_high = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()

    class Meta:
        table = "chat_channels"


class ChatPost(Model):
    """One alert's message in one chat channel: an outbox row that holds what the message shows.

    The message is brought up to date with its alert (posted, then edited in place, the
    timeline in its thread) by whichever chat worker claims the row (a lease). ``shown_*`` say
    what it shows; a row whose alert changed since is due again. Settled once it shows its alert
    resolved with the whole timeline: settled rows are never read again.
    """

    id = fields.BigIntField(primary_key=True)
    channel = fields.ForeignKeyField("models.ChatChannel", related_name="posts", on_delete=fields.CASCADE)
    alert = fields.ForeignKeyField("models.Alert", related_name="chat_posts", on_delete=fields.CASCADE)
    message_ref = fields.CharField(max_length=100, null=True)  # Slack: the message's ts
    incident_channel = fields.CharField(max_length=100, null=True)  # the alert's own channel (dedicated_high)
    invited_user_ids = fields.JSONField(default=list)  # pagerline users invited to it so far
    shown_updated_at = fields.DatetimeField(null=True)  # the alert's updated_at the message shows
    shown_entry_id = fields.BigIntField(default=0)  # the last timeline entry in its thread
    settled = fields.BooleanField(default=False)
    next_attempt_at = fields.DatetimeField()
    claimed_until = fields.DatetimeField(null=True)
    attempts = fields.SmallIntField(default=0)
    last_error = fields.TextField(null=True)

    class Meta:
        table = "chat_posts"
        unique_together = (("channel_id", "alert_id"),)
        indexes = (
            ("alert_id", "id"),  # an alert's posts; retention walks them in this order
            # The sweep reads unsettled posts only: flat however many alerts were ever posted.
            WhereIndex(fields=("next_attempt_at",), name="chat_posts_unsettled", where="settled = false"),
        )
