"""The widget feed's reads besides the schedules: one statement each.

1. :func:`load_involvement`: the schedules the viewer is on and the escalation rules that can
   reach them, in one CTE.
2. (:func:`pagerline.engine.schedules.oncall.load_schedules` for those schedules.)
3. :func:`open_alert_counts`: PENDING/ACCEPTED x HIGH/LOW in one grouped count.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from pagerline.engine.core import sql
from pagerline.engine.core.sql_dialect import in_list, json_array_has, json_array_param, typed_null
from pagerline.models import AlertStatus, Priority, ScheduleOverride
from pagerline.widgets.status import Routes, RuleRoute


@dataclass(frozen=True, slots=True)
class Involvement:
    schedule_ids: tuple[int, ...]
    routes: Routes
    policy_names: dict[int, str]


def _involvement_sql(postgres: bool) -> str:
    """The viewer's schedules (a layer lists them, or they have a static shift or an override
    overlapping the window), rules naming the viewer ('U'), and rules naming one of those
    schedules ('R'). A rule's level is its rank in the policy (1-based), as ``onCallByPolicy``
    counts it. Parameters: user (JSON form), user, from, until, user, from, until, user."""
    level = "(SELECT COUNT(*) FROM escalation_rules r2 WHERE r2.policy_id = r.policy_id AND r2.position <= r.position)"
    number, text = typed_null(postgres, "INTEGER"), typed_null(postgres, "TEXT")
    return f"""
WITH mine AS (
    SELECT l.schedule_id FROM schedule_layers l WHERE {json_array_has(postgres, "l.user_ids")}
    UNION SELECT schedule_id FROM schedule_overrides WHERE user_id = ? AND "end" > ? AND "start" < ?
    UNION SELECT schedule_id FROM schedule_static_shifts WHERE user_id = ? AND "end" > ? AND "start" < ?
)
SELECT 'S' AS what, m.schedule_id AS schedule_id, {number} AS policy_id, {text} AS policy_name, {typed_null(postgres, "BIGINT")} AS level
FROM mine m
UNION ALL
SELECT 'U', {number}, p.id, p.name, {level}
FROM escalation_rule_users ru
JOIN escalation_rules r ON r.id = ru.escalation_rules_id
JOIN escalation_policies p ON p.id = r.policy_id
WHERE ru.user_id = ?
UNION ALL
SELECT 'R', rs.schedule_id, p.id, p.name, {level}
FROM escalation_rule_schedules rs
JOIN escalation_rules r ON r.id = rs.escalation_rules_id
JOIN escalation_policies p ON p.id = r.policy_id
WHERE rs.schedule_id IN (SELECT schedule_id FROM mine)
"""


async def load_involvement(user_id: int, lo: datetime, hi: datetime) -> Involvement:
    postgres = sql.is_postgres()
    window = [sql.db_time(ScheduleOverride, "start", t) for t in (lo, hi)]
    rows = await sql.fetch(
        _involvement_sql(postgres), json_array_param(postgres, user_id), user_id, *window, user_id, *window, user_id
    )
    schedules: set[int] = set()
    direct: set[RuleRoute] = set()
    by_schedule: dict[int, set[RuleRoute]] = defaultdict(set)
    names: dict[int, str] = {}
    for row in rows:
        if row["what"] == "S":
            schedules.add(int(row["schedule_id"]))
            continue
        route = RuleRoute(int(row["policy_id"]), int(row["level"]))
        names[route.policy_id] = row["policy_name"]
        if row["what"] == "U":
            direct.add(route)
        else:
            by_schedule[int(row["schedule_id"])].add(route)
    return Involvement(
        schedule_ids=tuple(sorted(schedules)),
        routes=Routes(
            direct=tuple(sorted(direct, key=lambda r: (r.policy_id, r.level))),
            by_schedule={sid: tuple(sorted(rs, key=lambda r: (r.policy_id, r.level))) for sid, rs in by_schedule.items()},
        ),
        policy_names=names,
    )


@dataclass(frozen=True, slots=True)
class AlertCounts:
    pending_high: int = 0
    pending_low: int = 0
    accepted_high: int = 0
    accepted_low: int = 0


def _counts_sql(policies: int) -> str:
    by_policy = f" OR policy_id IN {in_list(policies)}" if policies else ""
    return f"""
SELECT status, priority, COUNT(*) AS n FROM alerts
WHERE status IN (?, ?) AND ((status = ? AND accepted_by_id = ?){by_policy})
GROUP BY status, priority
"""


async def open_alert_counts(user_id: int, policy_ids: list[int]) -> AlertCounts:
    """Open alerts of ``policy_ids`` (the policies paging the viewer now) plus the alerts the
    viewer accepted, counted by status and priority in one statement (written out: the ORM
    spends more CPU building a grouped count than the database spends running it)."""
    open_, accepted = AlertStatus.PENDING.value, AlertStatus.ACCEPTED.value
    rows = await sql.fetch(_counts_sql(len(policy_ids)), open_, accepted, accepted, user_id, *policy_ids)
    counts = {(AlertStatus(r["status"]), Priority(r["priority"])): int(r["n"]) for r in rows}
    return AlertCounts(
        pending_high=counts.get((AlertStatus.PENDING, Priority.HIGH), 0),
        pending_low=counts.get((AlertStatus.PENDING, Priority.LOW), 0),
        accepted_high=counts.get((AlertStatus.ACCEPTED, Priority.HIGH), 0),
        accepted_low=counts.get((AlertStatus.ACCEPTED, Priority.LOW), 0),
    )
