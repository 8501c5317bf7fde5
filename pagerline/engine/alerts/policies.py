"""Managing escalation policies and their ordered rules.

A policy's rules are always written as a whole (create, or replace on update) inside one
transaction, so a page never sees half a policy. Everything is validated before the first
write: bad input changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from pagerline.engine.core.config_changes import ConfigAction, ConfigKind, config_changed
from pagerline.engine.people.accounts import Viewer
from pagerline.engine.core.errors import BadInput, Conflict, NotFound
from pagerline.engine.people.roles import may_see, require_manager
from pagerline.engine.core.unset import UNSET, Unset
from pagerline.models import AlertSource, EscalationPolicy, EscalationRule, Schedule, Team, User

WHAT = "escalation policies"
MAX_RULES = 20
MAX_TIMEOUT_MINUTES = 1440


@dataclass(frozen=True)
class RuleSpec:
    escalation_timeout: int  # minutes before the next rule is paged
    user_ids: list[int] = field(default_factory=list)
    schedule_ids: list[int] = field(default_factory=list)


async def _check_rules(viewer: Viewer, rules: list[RuleSpec]) -> None:
    if not 1 <= len(rules) <= MAX_RULES:
        raise BadInput(f"A policy needs 1 to {MAX_RULES} rules", field="rules")
    for number, rule in enumerate(rules, start=1):
        if not 1 <= rule.escalation_timeout <= MAX_TIMEOUT_MINUTES:
            raise BadInput(f"Rule {number}: escalationTimeout must be 1 to {MAX_TIMEOUT_MINUTES} minutes", field=f"rules[{number - 1}].escalationTimeout")
        if not rule.user_ids and not rule.schedule_ids:
            raise BadInput(f"Rule {number} names nobody: give users or schedules", field=f"rules[{number - 1}]")
    user_ids = {u for r in rules for u in r.user_ids}
    if await User.filter(id__in=list(user_ids)).count() != len(user_ids):
        raise NotFound("User not found")
    schedule_ids = {s for r in rules for s in r.schedule_ids}
    schedules = await Schedule.filter(id__in=list(schedule_ids)).values_list("team_id", flat=True)
    if len(schedules) != len(schedule_ids) or not all(may_see(viewer, team) for team in schedules):
        raise NotFound("Schedule not found")


def _check_settings(name: str | None, frequency: int | None) -> None:
    if name is not None and not 0 < len(name.strip()) <= 200:
        raise BadInput("A name of 1 to 200 characters is required", field="name")
    if frequency is not None and not 1 <= frequency <= 9:
        raise BadInput("frequency must be 1 to 9", field="frequency")


async def _check_team(viewer: Viewer, team_id: int | None) -> None:
    if team_id is not None and (not await Team.exists(id=team_id) or not may_see(viewer, team_id)):
        raise NotFound("Team not found")
    require_manager(viewer, team_id, WHAT)


async def _check_routing_key(routing_key: str | None, policy_id: int | None) -> None:
    if routing_key and await EscalationPolicy.filter(routing_key=routing_key).exclude(id=policy_id or 0).exists():
        raise Conflict(f"Another policy uses the routing key '{routing_key}'", field="routingKey")


async def _write_rules(policy_id: int, rules: list[RuleSpec]) -> None:
    await EscalationRule.filter(policy_id=policy_id).delete()
    for position, spec in enumerate(rules):
        rule = await EscalationRule.create(policy_id=policy_id, position=position, timeout_minutes=spec.escalation_timeout)
        if spec.user_ids:
            await rule.users.add(*await User.filter(id__in=spec.user_ids))
        if spec.schedule_ids:
            await rule.schedules.add(*await Schedule.filter(id__in=spec.schedule_ids))


async def managed_policy(viewer: Viewer, policy_id: int) -> EscalationPolicy:
    policy = await EscalationPolicy.get_or_none(id=policy_id)
    if policy is None or not may_see(viewer, policy.team_id):  # type: ignore[attr-defined]
        raise NotFound("Escalation policy not found")
    require_manager(viewer, policy.team_id, WHAT)  # type: ignore[attr-defined]
    return policy


async def create(
    viewer: Viewer,
    name: str,
    rules: list[RuleSpec],
    team_id: int | None = None,
    repeating: bool = False,
    frequency: int = 1,
    routing_key: str | None = None,
) -> EscalationPolicy:
    routing_key = (routing_key or "").strip() or None
    _check_settings(name, frequency)
    await _check_team(viewer, team_id)
    await _check_rules(viewer, rules)
    await _check_routing_key(routing_key, None)
    try:
        async with in_transaction():
            policy = await EscalationPolicy.create(
                name=name.strip(), team_id=team_id, repeating=repeating, frequency=frequency, routing_key=routing_key
            )
            await _write_rules(policy.id, rules)
    except IntegrityError as exc:  # a routing key taken meanwhile
        raise Conflict(f"Another policy uses the routing key '{routing_key}'", field="routingKey") from exc
    await config_changed(ConfigKind.POLICY, policy.id, ConfigAction.CREATED)
    return policy


async def update(
    viewer: Viewer,
    policy_id: int,
    *,
    name: str | None = None,
    rules: list[RuleSpec] | None = None,
    team_id: int | None | Unset = UNSET,
    repeating: bool | None = None,
    frequency: int | None = None,
    routing_key: str | None | Unset = UNSET,
) -> EscalationPolicy:
    policy = await managed_policy(viewer, policy_id)
    _check_settings(name, frequency)
    if team_id is not UNSET:
        await _check_team(viewer, team_id)
        policy.team_id = team_id  # type: ignore[attr-defined]
    if rules is not None:
        await _check_rules(viewer, rules)
    if routing_key is not UNSET:
        policy.routing_key = (routing_key or "").strip() or None
        await _check_routing_key(policy.routing_key, policy.id)
    if name is not None:
        policy.name = name.strip()
    if repeating is not None:
        policy.repeating = repeating
    if frequency is not None:
        policy.frequency = frequency
    try:
        async with in_transaction():
            await policy.save()
            if rules is not None:
                await _write_rules(policy.id, rules)
    except IntegrityError as exc:
        raise Conflict(f"Another policy uses the routing key '{policy.routing_key}'", field="routingKey") from exc
    await config_changed(ConfigKind.POLICY, policy.id, ConfigAction.UPDATED)
    return policy


async def delete(viewer: Viewer, policy_id: int) -> None:
    """Refused while alert sources use the policy (their events would have nowhere to go)."""
    async with in_transaction():
        policy = await managed_policy(viewer, policy_id)
        users = await AlertSource.filter(escalation_policy_id=policy.id).values_list("name", flat=True)
        if users:
            raise Conflict(f"Alert sources use this policy: {', '.join(sorted(users))}")
        await policy.delete()
    await config_changed(ConfigKind.POLICY, policy_id, ConfigAction.DELETED)
