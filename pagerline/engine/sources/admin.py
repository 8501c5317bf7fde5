"""Managing alert sources: create, change, delete, rotate the integration key.

Who may: admins, and USERs for their own teams' sources (see :mod:`pagerline.engine.people.roles`). A source or policy
the actor cannot see is "not found", never "forbidden", so ids of other teams leak nothing.
Integration keys are shown once (on create and rotate) and stored as digests; every change
that affects the intake clears this process's key cache so an old key stops working at once.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from pagerline.engine.core.config_changes import ConfigAction, ConfigKind, config_changed
from pagerline.engine.sources import policy as source_policy, lookup as sources
from pagerline.engine.people.accounts import Viewer
from pagerline.engine.core.errors import BadInput, Conflict, NotFound
from pagerline.engine.people.roles import may_see, require_manager
from pagerline.engine.core.unset import UNSET, Unset
from pagerline.models import Alert, AlertSource, AlertStatus, EscalationPolicy, IntegrationType, Priority, Team

WHAT = "alert sources"


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200:
        raise BadInput("A name of 1 to 200 characters is required", field="name")
    return name


async def _check_policy(viewer: Viewer, policy_id: int) -> None:
    policy = await EscalationPolicy.get_or_none(id=policy_id)
    if policy is None or not may_see(viewer, policy.team_id):  # type: ignore[attr-defined]
        raise NotFound("Escalation policy not found")


async def _check_team(viewer: Viewer, team_id: int | None) -> None:
    if team_id is not None and (not await Team.exists(id=team_id) or not may_see(viewer, team_id)):
        raise NotFound("Team not found")
    require_manager(viewer, team_id, WHAT)


async def visible_source(viewer: Viewer, source_id: int) -> AlertSource:
    source = await AlertSource.get_or_none(id=source_id)
    if source is None or not may_see(viewer, source.team_id):  # type: ignore[attr-defined]
        raise NotFound("Alert source not found")
    return source


async def managed_source(viewer: Viewer, source_id: int) -> AlertSource:
    source = await visible_source(viewer, source_id)
    require_manager(viewer, source.team_id, WHAT)  # type: ignore[attr-defined]
    return source


async def create(
    viewer: Viewer,
    name: str,
    policy_id: int,
    integration_type: IntegrationType = IntegrationType.API,
    default_priority: Priority = Priority.HIGH,
    team_id: int | None = None,
) -> tuple[AlertSource, str]:
    """Returns the source and its integration key (the only time the key is readable)."""
    name = _clean_name(name)
    await _check_team(viewer, team_id)
    await _check_policy(viewer, policy_id)
    source, key = await sources.create_source(name, policy_id, integration_type, default_priority, team_id)
    await config_changed(ConfigKind.SOURCE, source.id, ConfigAction.CREATED)
    return source, key


async def update(
    viewer: Viewer,
    source_id: int,
    *,
    name: str | None = None,
    policy_id: int | None = None,
    integration_type: IntegrationType | None = None,
    default_priority: Priority | None = None,
    team_id: int | None | Unset = UNSET,
) -> AlertSource:
    source = await managed_source(viewer, source_id)
    if name is not None:
        source.name = _clean_name(name)
    if policy_id is not None:
        await _check_policy(viewer, policy_id)
        source.escalation_policy_id = policy_id  # type: ignore[attr-defined]
    if team_id is not UNSET:
        await _check_team(viewer, team_id)  # moving it needs rights over the new team too
        source.team_id = team_id  # type: ignore[attr-defined]
    if integration_type is not None:
        source.integration_type = integration_type
    if default_priority is not None:
        source.default_priority = default_priority
    await source.save()
    # The intake caches the policy, priority and team of a key: this process sees the change at
    # once, other processes within their cache time (seconds).
    sources.clear_cache()
    source_policy.clear_policy_cache()
    await config_changed(ConfigKind.SOURCE, source.id, ConfigAction.UPDATED)
    return source


async def delete(viewer: Viewer, source_id: int) -> None:
    """Refused while the source has open alerts: resolve them first (deleting would drop them
    silently, with their timelines)."""
    async with in_transaction():
        source = await managed_source(viewer, source_id)
        open_alerts = await Alert.filter(source_id=source.id).exclude(status=AlertStatus.RESOLVED).count()
        if open_alerts:
            raise Conflict(f"The source has {open_alerts} open alert(s); resolve them before deleting it")
        await source.delete()
    sources.clear_cache()
    source_policy.clear_policy_cache()
    await config_changed(ConfigKind.SOURCE, source_id, ConfigAction.DELETED)


async def rotate_key(viewer: Viewer, source_id: int) -> tuple[AlertSource, str]:
    source = await managed_source(viewer, source_id)
    key = await sources.rotate_integration_key(source)
    await config_changed(ConfigKind.SOURCE, source.id, ConfigAction.UPDATED)
    return source, key
