"""The escalation engine.

State lives on the alert (``escalation_rule_index``, ``escalation_round``,
``next_escalation_at``), so whichever worker claims a due alert can carry on after a crash.
:func:`tick` is the one entry point run on a timer (the sweeper) and by delayed wake-up
messages; it claims due alerts with ``FOR UPDATE SKIP LOCKED`` so two workers never process
the same alert twice.

Semantics (ilert's): HIGH alerts escalate through the policy's rules, each after its timeout;
a rule that resolves to nobody passes to the next at once; a repeating policy runs its rules
``1 + frequency`` times in all. LOW alerts notify the first reachable rule with the users'
low-priority rules and never escalate. Accepting or resolving stops everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from pagerline.engine.core import metrics, sql
from pagerline.engine.alerts.actions import plan_for_change
from pagerline.engine.core.effects import Effects, unit_of_work
from pagerline.engine.core.errors import Conflict
from pagerline.engine.notify.planning import plan_pages, plan_updates
from pagerline.engine.schedules.oncall import on_call_users
from pagerline.engine.core.timeline import LogKind, entry
from pagerline.models import Alert, AlertActionTrigger, AlertLogEntry, AlertSource, AlertStatus, EscalationPolicy, Priority, User


@dataclass(frozen=True, slots=True)
class RuleTargets:
    position: int
    timeout_minutes: int
    user_ids: tuple[int, ...]
    schedule_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class PolicyPlan:
    policy_id: int
    repeating: bool
    frequency: int
    rules: tuple[RuleTargets, ...]


_POLICY_PLAN_SQL = """
SELECT p.repeating, p.frequency, r.id AS rule_id, r.position, r.timeout_minutes,
       ru.user_id, rs.schedule_id
FROM escalation_policies p
LEFT JOIN escalation_rules r ON r.policy_id = p.id
LEFT JOIN escalation_rule_users ru ON ru.escalation_rules_id = r.id AND ru.user_id IN (SELECT u.id FROM users u WHERE u.active)
LEFT JOIN escalation_rule_schedules rs ON rs.escalation_rules_id = r.id
WHERE p.id = ?
"""


async def load_policy_plan(policy_id: int) -> PolicyPlan | None:
    """The policy with its rules and targets in one statement (it runs for every new alert).
    Deactivated users are left out of the rules: they are never paged, and a rule naming only
    them resolves to nobody (so escalation passes it at once)."""
    rows = await sql.fetch(_POLICY_PLAN_SQL, policy_id)
    if not rows:
        return None
    rules: dict[int, tuple[int, int, set[int], set[int]]] = {}
    for row in rows:
        rule_id = row["rule_id"]
        if rule_id is None:
            continue
        _, _, users, schedules = rules.setdefault(rule_id, (row["position"], row["timeout_minutes"], set(), set()))
        if row["user_id"] is not None:
            users.add(row["user_id"])
        if row["schedule_id"] is not None:
            schedules.add(row["schedule_id"])
    return PolicyPlan(
        policy_id=policy_id,
        repeating=bool(rows[0]["repeating"]),
        frequency=rows[0]["frequency"],
        rules=tuple(
            RuleTargets(position=position, timeout_minutes=timeout, user_ids=tuple(sorted(users)), schedule_ids=tuple(sorted(schedules)))
            for position, timeout, users, schedules in sorted(rules.values(), key=lambda r: r[0])
        ),
    )


def rule_targets(rule: RuleTargets, on_call: Mapping[int, int | None]) -> list[int]:
    """Users a rule pages, given who is on call on its schedules (schedule id → user, None or
    missing for nobody): named users, then the on-call users, each once."""
    targets: list[int] = list(rule.user_ids)
    for schedule_id in rule.schedule_ids:
        user_id = on_call.get(schedule_id)
        if user_id is not None and user_id not in targets:
            targets.append(user_id)
    return targets


async def resolve_targets(rule: RuleTargets, at: datetime) -> list[int]:
    """Users a rule pages at ``at`` (see :func:`rule_targets`)."""
    return rule_targets(rule, await on_call_users(list(rule.schedule_ids), at) if rule.schedule_ids else {})


async def _names(user_ids: list[int]) -> str:
    names = dict(await User.filter(id__in=user_ids).values_list("id", "name"))
    return ", ".join(str(names.get(uid, uid)) for uid in user_ids)


@dataclass(frozen=True, slots=True)
class LevelChoice:
    """Where an escalation step lands: the level reached and who it pages, the levels passed
    on the way because nobody was on call, or why it ends."""

    index: int | None = None
    round: int = 0
    targets: tuple[int, ...] = ()
    timeout_minutes: int = 0
    passed: tuple[int, ...] = ()
    ended: str | None = None


async def choose_level(
    plan: PolicyPlan | None, rule_index: int, round_: int, priority: Priority, now: datetime, *, manual: bool = False
) -> LevelChoice:
    """The first rule at or after (``rule_index``, ``round_``) that resolves to somebody.

    Reads only (who is on call), so a new alert can be inserted with its escalation state set.
    """
    if plan is None or not plan.rules:
        return LevelChoice(ended="The escalation policy has no rules")
    index, round_now = rule_index, round_
    passed: list[int] = []
    for _ in range(len(plan.rules) + 1):
        if index >= len(plan.rules):
            if priority is Priority.HIGH and plan.repeating and round_now < plan.frequency:
                index, round_now = 0, round_now + 1
            else:
                if manual:
                    raise Conflict("There is no further escalation level")
                return LevelChoice(passed=tuple(passed), ended="No further escalation levels; the alert stays pending")
        rule = plan.rules[index]
        targets = await resolve_targets(rule, now)
        if targets:
            return LevelChoice(index, round_now, tuple(targets), rule.timeout_minutes, tuple(passed))
        passed.append(index)
        index += 1
    return LevelChoice(passed=tuple(passed), ended="Nobody on call at any escalation level")


def set_escalation_state(alert: Alert, choice: LevelChoice, now: datetime) -> None:
    """The alert's escalation fields for ``choice`` (the caller saves or inserts the alert).

    No wake-up message is sent: the sweeper's tick (every few seconds in every worker)
    escalates due alerts, which is precise enough for timeouts in minutes.
    """
    alert.next_escalation_at = None
    if choice.index is None:
        return
    alert.escalation_rule_index = choice.index
    alert.escalation_round = choice.round
    if alert.priority is Priority.HIGH:
        alert.next_escalation_at = now + timedelta(minutes=choice.timeout_minutes)


async def apply_level(
    alert: Alert,
    choice: LevelChoice,
    now: datetime,
    effects: Effects,
    *,
    announce: bool,
    manual_by: int | None = None,
    source_name: str | None = None,
    via: str = "",
) -> list[AlertLogEntry]:
    """Plan the pages of ``choice`` and return the timeline entries to write.

    ``announce`` writes an ESCALATED entry for the level reached.
    """
    entries = [
        entry(
            alert.id,
            LogKind.NOBODY_ON_CALL,
            f"Nobody on call at escalation level {index + 1}; passing to the next level",
            now,
            data={"level": index + 1},
        )
        for index in choice.passed
    ]
    if choice.index is None:
        entries.append(entry(alert.id, LogKind.ESCALATION_ENDED, str(choice.ended), now))
        return entries
    targets = list(choice.targets)
    if announce or manual_by is not None:
        how = (" by hand" + (f" via {via}" if via else "")) if manual_by is not None else ""
        names = await _names(targets)
        entries.append(
            entry(
                alert.id,
                LogKind.ESCALATED,
                f"Escalated to level {choice.index + 1} ({names}){how}" + (f", round {choice.round + 1}" if choice.round else ""),
                now,
                manual_by,
                {"level": choice.index + 1, "round": choice.round + 1, "users": targets},
            )
        )
        effects.publish("alert", "ESCALATED", alert_id=alert.id)
        await plan_updates(alert, "ESCALATED", names, now, effects)
        await plan_for_change(alert, AlertActionTrigger.ALERT_ESCALATED, now, effects, occurrence=f"{choice.index + 1}:{choice.round + 1}")
    if source_name is None:
        source_name = await AlertSource.filter(id=alert.source_id).first().values_list("name", flat=True)  # type: ignore[attr-defined]
    entries += await plan_pages(alert, str(source_name), targets, choice.index, choice.round, now, effects)
    return entries


async def _advance(alert: Alert, now: datetime, effects: Effects, manual_by: int | None = None, via: str = "") -> None:
    if alert.next_escalation_at is not None and manual_by is None:
        metrics.ESCALATION_LAG.observe(max(0.0, (now - alert.next_escalation_at).total_seconds()))
    plan = await load_policy_plan(alert.policy_id) if alert.policy_id else None  # type: ignore[attr-defined]
    choice = await choose_level(
        plan, alert.escalation_rule_index + 1, alert.escalation_round, alert.priority, now, manual=manual_by is not None
    )
    set_escalation_state(alert, choice, now)
    entries = await apply_level(alert, choice, now, effects, announce=True, manual_by=manual_by, via=via)
    alert.updated_at = now
    await alert.save(
        update_fields=[
            "escalation_rule_index",
            "escalation_round",
            "next_escalation_at",
            "updated_at",
            "status",
            "accepted_at",
            "accepted_by_id",
        ]
    )
    if entries:
        await AlertLogEntry.bulk_create(entries)


async def tick(now: datetime, batch_size: int = 50) -> int:
    """Escalate every HIGH pending alert whose timeout has passed. Returns how many moved."""
    moved = 0
    while True:
        async with unit_of_work() as effects:
            due = (
                await Alert.filter(
                    status=AlertStatus.PENDING, priority=Priority.HIGH, next_escalation_at__lte=now
                )
                .order_by("next_escalation_at")
                .limit(batch_size)
                .select_for_update(skip_locked=True)
            )
            for alert in due:
                await _advance(alert, now, effects)
        moved += len(due)
        if len(due) < batch_size:
            return moved


async def escalate_by_hand(alert: Alert, user_id: int | None, now: datetime, effects: Effects, via: str = "") -> None:
    """`escalateAlert`: page the next level now. An accepted alert goes back to pending."""
    if alert.status is AlertStatus.RESOLVED:
        raise Conflict("The alert is resolved")
    alert.status = AlertStatus.PENDING
    alert.accepted_at = None
    alert.accepted_by_id = None  # type: ignore[attr-defined]
    await _advance(alert, now, effects, manual_by=user_id, via=via)
