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
keep naming who did what.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from pagerline.engine.core.errors import NotFound
from pagerline.engine.people.accounts import Viewer, announce_credentials_changed
from pagerline.engine.people.field_rules import BadField
from pagerline.engine.people.roles import require_admin
from pagerline.models import ApiToken, Invitation, User
from pagerline.models.calendars import CalendarToken


async def set_active(viewer: Viewer, user_id: int, active: bool, now: datetime) -> tuple[User, bool]:
    """Deactivate (``active`` false) or reactivate a user; idempotent. Returns the user and
    whether anything changed (the caller announces schedule changes only then)."""
    require_admin(viewer, "deactivate or reactivate users" if not active else "reactivate users")
    if not active and user_id == viewer.user.id:
        raise BadField("You cannot deactivate yourself; ask another admin", "id")
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
    return user, True
