"""Configuration changes, announced on the bus for the admin console's ``configChanges``.

Every create, update and delete of a configured thing (a team, a user, a schedule, ...) is
announced once it has committed, whoever made it and on whichever process: the console of
another admin refetches what it shows instead of going stale. An announcement names the kind,
the id and what happened, nothing else; the console loads what it may see.

There is one way to announce: :func:`config_changed` after the change has committed, or
:func:`note_config_change` inside a :func:`pagerline.engine.core.effects.unit_of_work`, which
publishes when that transaction commits (and never if it rolls back). Both go through the
process's dispatcher, so a change made by a worker or a CLI with a dispatcher reaches servers
through the same bus as alert events.
"""

from __future__ import annotations

from enum import StrEnum

from pagerline.engine.core.effects import Effects, dispatch_after_commit

TOPIC = "config"


class ConfigKind(StrEnum):
    TEAM = "TEAM"
    USER = "USER"
    SCHEDULE = "SCHEDULE"
    POLICY = "POLICY"
    SOURCE = "SOURCE"
    SUPPORT_HOURS = "SUPPORT_HOURS"
    MAINTENANCE = "MAINTENANCE"
    HEARTBEAT = "HEARTBEAT"
    ALERT_ACTION = "ALERT_ACTION"
    CALENDAR_FEED = "CALENDAR_FEED"
    CHAT_CHANNEL = "CHAT_CHANNEL"


class ConfigAction(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"


def note_config_change(effects: Effects, kind: ConfigKind, id: int, action: ConfigAction) -> None:
    """Announce the change when the unit of work ``effects`` belongs to commits."""
    # The action is the event's kind, as for alert events: the dispatcher's coalescing then
    # folds an UPDATED into a CREATED of the same thing in one batch.
    effects.publish(TOPIC, action.value, config_kind=kind.value, id=id)


async def config_changed(kind: ConfigKind, id: int, action: ConfigAction) -> None:
    """Announce a change that has committed (call it after the write, outside any transaction)."""
    effects = Effects()
    note_config_change(effects, kind, id, action)
    await dispatch_after_commit(effects)
