"""A user's notification rules: which channel, after how many minutes, for which priority.

``set_rules`` replaces the whole list in one transaction (how a settings screen saves), after
checking every rule, so a bad rule changes nothing. Pages already planned keep their rows;
the new rules apply to the next page.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from pagerline.engine.core.config_changes import ConfigAction, ConfigKind, config_changed
from pagerline.engine.core.errors import BadInput
from pagerline.models import Channel, NotificationRule, Priority

MAX_DELAY_MINUTES = 120
MAX_RULES = 20


@dataclass(frozen=True, slots=True)
class RuleSpec:
    method: Channel
    delay_minutes: int
    priority: Priority


def _check(rules: list[RuleSpec]) -> None:
    if len(rules) > MAX_RULES:
        raise BadInput(f"At most {MAX_RULES} notification rules")
    for number, rule in enumerate(rules, start=1):
        if not 0 <= rule.delay_minutes <= MAX_DELAY_MINUTES:
            raise BadInput(f"Rule {number}: delay must be 0 to {MAX_DELAY_MINUTES} minutes")
    if len(set(rules)) != len(rules):
        raise BadInput("The same rule (channel, delay, priority) is given twice")


async def rules_of(user_id: int) -> list[NotificationRule]:
    return await NotificationRule.filter(user_id=user_id).order_by("priority", "delay_minutes", "id")


async def set_rules(user_id: int, rules: list[RuleSpec]) -> list[NotificationRule]:
    _check(rules)
    async with in_transaction():
        await NotificationRule.filter(user_id=user_id).delete()
        await NotificationRule.bulk_create(
            [NotificationRule(user_id=user_id, method=r.method, delay_minutes=r.delay_minutes, priority=r.priority) for r in rules]
        )
    await config_changed(ConfigKind.USER, user_id, ConfigAction.UPDATED)  # whether a page reaches them
    return await rules_of(user_id)
