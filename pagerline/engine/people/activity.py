"""Deactivating and reactivating accounts (admins only).

A deactivated user (``User.active`` false) cannot sign in, and every token of theirs stops
working at once: sessions, API, device and widget tokens are revoked, calendar feeds too, and
authentication also refuses any token of an inactive account (so nothing issued between the
check and the revocation survives). They are never paged: escalation leaves them out of the
rules that name them (``engine.alerts.escalation.load_policy_plan``), and their shifts do not
count in any schedule (``engine.schedules.oncall.load_schedules`` marks them absent, see
``ScheduleSpec.absent``), so every view of a schedule, escalation, the widget and the calendar
feeds agree. Reactivating restores all of that except the tokens: they stay revoked, and the
user signs in again.

Accounts are deactivated rather than deleted so that alert history, timelines and schedules
keep naming who did what. Callers go through ``engine.alerts.deactivation.set_active``, which
also announces who starts or stops being on call because of it.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from pagerline.engine.core.config_changes import ConfigAction, ConfigKind, config_changed
from pagerline.engine.core.errors import BadInput, NotFound
from pagerline.engine.people.accounts import Viewer, announce_credentials_changed
from pagerline.engine.people.roles import require_admin
from pagerline.models import ApiToken, EscalationRule, Invitation, ScheduleLayer, ScheduleOverride, StaticShift, User
from pagerline.models.calendars import CalendarToken


async def set_active(viewer: Viewer, user_id: int, active: bool, now: datetime) -> tuple[User, bool]:
    """Deactivate (``active`` false) or reactivate a user; idempotent. Returns the user and
    whether anything changed (the caller announces schedule changes only then)."""
    require_admin(viewer, "deactivate or reactivate users" if not active else "reactivate users")
    if not active and user_id == viewer.user.id:
        raise BadInput("You cannot deactivate yourself; ask another admin", field="id")
    async with in_transaction():
        user = await User.filter(id=user_id).select_for_update().first()
        if user is None:
            raise NotFound("User not found")
        if user.active is active:
            return user, False
        user.active = active
        await user.save(update_fields=["active"])
        if not active:
            await ApiToken.filter(user_id=user_id, revoked_at__isnull=True).update(revoked_at=now)
            await CalendarToken.filter(user_id=user_id, revoked_at__isnull=True).update(revoked_at=now)
            await Invitation.filter(user_id=user_id).delete()  # a pending link must not revive the account
    # Open subscriptions of theirs check their token again (and end), after the commit.
    await announce_credentials_changed(user_id)
    await config_changed(ConfigKind.USER, user_id, ConfigAction.UPDATED)
    # What the console shows of the schedules and policies naming them changes too (who is on
    # call, who a level pages).
    schedule_ids, policy_ids = await _naming(user_id, now)
    for schedule_id in schedule_ids:
        await config_changed(ConfigKind.SCHEDULE, schedule_id, ConfigAction.UPDATED)
    for policy_id in policy_ids:
        await config_changed(ConfigKind.POLICY, policy_id, ConfigAction.UPDATED)
    return user, True


async def _naming(user_id: int, now: datetime) -> tuple[list[int], list[int]]:
    """The schedules naming the user from ``now`` on (a layer, an override or static shift not
    over yet) and the escalation policies naming them."""
    schedules: set[int] = set()
    for schedule_id, user_ids in await ScheduleLayer.filter(Q(ends_on__isnull=True) | Q(ends_on__gt=now)).values_list("schedule_id", "user_ids"):
        if user_id in {int(u) for u in user_ids or ()}:
            schedules.add(int(schedule_id))
    for model in (StaticShift, ScheduleOverride):
        schedules.update(await model.filter(user_id=user_id, end__gt=now).values_list("schedule_id", flat=True))
    policies = await EscalationRule.filter(users__id=user_id).distinct().values_list("policy_id", flat=True)
    return sorted(schedules), sorted(set(policies))
