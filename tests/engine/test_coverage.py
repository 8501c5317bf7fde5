"""Coverage requests and overrides, on SQLite and PostgreSQL: partial shifts, one winner among
simultaneous accepts, decline/cancel/expiry, and escalation following the override."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from pagerline.engine.schedules import coverage
from pagerline.engine.core.errors import BadInput, Conflict, EngineError, Forbidden
from pagerline.engine.sources.intake import EventInput, ingest_event
from pagerline.engine.schedules.oncall import on_call_users
from pagerline.engine.sources.lookup import find_source_by_key
from pagerline.models import EscalationRule, Notification, Schedule, ScheduleKind, ScheduleLayer, ScheduleOverride
from pagerline.models.coverage import CoverageStatus
from pagerline.engine.people.accounts import create_user
from pagerline.models import Role
from tests.support.seed import Org, seed_org

# A daily rotation handing off at 09:00 UTC: Alice on the 26th, Bob on the 27th, Alice again...
DAY0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


async def rotation(org: Org) -> Schedule:
    schedule = await Schedule.create(name="Primary", timezone="UTC", kind=ScheduleKind.RECURRING)
    await ScheduleLayer.create(schedule=schedule, position=0, starts_on=DAY0, rotation="P1D", user_ids=[org.alice_id, org.bob_id])
    return schedule


async def who(schedule: Schedule, at: datetime) -> int | None:
    return (await on_call_users([schedule.id], at))[schedule.id]


async def test_accepting_covers_exactly_the_requested_part_of_a_shift(db: str) -> None:
    org = await seed_org()
    schedule = await rotation(org)
    with pytest.raises(BadInput):  # Alice has no shift on the 27th
        await coverage.request_coverage(org.alice_id, DAY0 + timedelta(days=1, hours=2), DAY0 + timedelta(days=1, hours=5), NOW)
    start, end = DAY0 + timedelta(hours=3), DAY0 + timedelta(hours=9)  # 12:00–18:00 of Alice's day
    request = await coverage.request_coverage(org.alice_id, start, end, NOW, "dentist", recipient_ids=[org.bob_id])
    assert request.status is CoverageStatus.PENDING
    assert await Notification.filter(user_id=org.bob_id, kind="INFO", dedup_key__startswith=f"coverage:{request.id}:asked").count() == 1
    accepted = await coverage.accept_coverage(request.id, org.bob_id, NOW + timedelta(minutes=5))
    assert accepted.status is CoverageStatus.ACCEPTED
    [override] = await ScheduleOverride.filter(schedule_id=schedule.id)
    assert (override.user_id, override.start, override.end) == (org.bob_id, start, end)  # type: ignore[attr-defined]
    # Alice keeps the rest of her shift.
    assert await who(schedule, DAY0 + timedelta(hours=1)) == org.alice_id
    assert await who(schedule, DAY0 + timedelta(hours=4)) == org.bob_id
    assert await who(schedule, DAY0 + timedelta(hours=10)) == org.alice_id
    assert await Notification.filter(user_id=org.alice_id, dedup_key__startswith=f"coverage:{request.id}:accepted").count() == 1
    with pytest.raises(Conflict):
        await coverage.accept_coverage(request.id, org.bob_id, NOW + timedelta(minutes=6))


async def test_two_accepts_at_once_make_one_override_set_and_one_conflict(db: str) -> None:
    org = await seed_org()
    carol = await create_user("carol@ops.test", "Carol", None, Role.RESPONDER, "UTC", ["Ops"])
    schedule = await rotation(org)
    # Alice's shifts on the 26th and the 28th, with Bob's day between.
    request = await coverage.request_coverage(
        org.alice_id, DAY0, DAY0 + timedelta(days=3), NOW, recipient_ids=[org.bob_id, carol.id], schedule_ids=[schedule.id]
    )
    results = await asyncio.gather(
        coverage.accept_coverage(request.id, org.bob_id, NOW),
        coverage.accept_coverage(request.id, carol.id, NOW),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, EngineError)]
    assert len(errors) == 1 and errors[0].code == "CONFLICT"
    winner = next(r for r in results if not isinstance(r, BaseException))
    overrides = await ScheduleOverride.filter(schedule_id=schedule.id).order_by("start")
    assert [(o.user_id, o.start, o.end) for o in overrides] == [  # type: ignore[attr-defined]
        (winner.accepted_by_id, DAY0, DAY0 + timedelta(days=1)),  # type: ignore[attr-defined]
        (winner.accepted_by_id, DAY0 + timedelta(days=2), DAY0 + timedelta(days=3)),  # type: ignore[attr-defined]
    ]


async def test_decline_cancel_and_expiry(db: str) -> None:
    org = await seed_org()
    await rotation(org)
    window = (DAY0 + timedelta(hours=1), DAY0 + timedelta(hours=2))
    declined = await coverage.request_coverage(org.alice_id, *window, NOW, recipient_ids=[org.bob_id])
    with pytest.raises(Forbidden):
        await coverage.decline_coverage(declined.id, org.alice_id, NOW)
    assert (await coverage.decline_coverage(declined.id, org.bob_id, NOW)).status is CoverageStatus.DECLINED
    cancelled = await coverage.request_coverage(org.alice_id, *window, NOW, recipient_ids=[org.bob_id])
    with pytest.raises(Forbidden):
        await coverage.cancel_coverage(cancelled.id, org.bob_id, NOW)
    assert (await coverage.cancel_coverage(cancelled.id, org.alice_id, NOW)).status is CoverageStatus.CANCELLED
    with pytest.raises(Conflict):
        await coverage.accept_coverage(cancelled.id, org.bob_id, NOW)
    expiring = await coverage.request_coverage(org.alice_id, *window, NOW, recipient_ids=[org.bob_id])
    assert await coverage.expire_coverage(window[0] - timedelta(seconds=1)) == 0
    assert await coverage.expire_coverage(window[0]) == 1
    with pytest.raises(Conflict):
        await coverage.accept_coverage(expiring.id, org.bob_id, window[0] + timedelta(minutes=1))
    assert await ScheduleOverride.all().count() == 0


async def test_escalation_pages_the_overriding_user_during_the_override(db: str) -> None:
    org = await seed_org()
    schedule = await rotation(org)
    first = await EscalationRule.get(policy_id=org.policy_id, position=0)
    await first.users.clear()
    await first.schedules.add(schedule)
    request = await coverage.request_coverage(org.alice_id, DAY0 + timedelta(hours=3), DAY0 + timedelta(hours=9), NOW, recipient_ids=[org.bob_id])
    await coverage.accept_coverage(request.id, org.bob_id, NOW)
    source = await find_source_by_key(org.api_key)
    assert source is not None
    during = await ingest_event(source, EventInput("ALERT", summary="x", alert_key="during"), DAY0 + timedelta(hours=4))
    after = await ingest_event(source, EventInput("ALERT", summary="x", alert_key="after"), DAY0 + timedelta(hours=10))
    paged = {
        a: await Notification.filter(alert_id=a, escalation_rule_index=0).values_list("user_id", flat=True)
        for a in (during.alert_id, after.alert_id)
    }
    assert paged == {during.alert_id: [org.bob_id], after.alert_id: [org.alice_id]}


async def test_editing_a_layer_changes_the_future_and_keeps_the_past(db: str) -> None:
    from pagerline.engine.schedules.math import final_shifts
    from pagerline.engine.schedules.oncall import load_schedule_specs
    from pagerline.engine.schedules.editing import update_layer
    from pagerline.models import User

    org = await seed_org()
    schedule = await rotation(org)
    carol = await create_user("carol2@ops.test", "Carol", None, Role.USER, "UTC", ["Ops"])
    edit_at = DAY0 + timedelta(days=2, hours=3)  # in the middle of Alice's third day

    async def shifts() -> list[tuple[int, datetime, datetime]]:
        spec = (await load_schedule_specs([schedule.id]))[schedule.id]
        return [(s.user_id, s.start, s.end) for s in final_shifts(spec, DAY0, DAY0 + timedelta(days=5))]

    before = await shifts()
    [layer] = await ScheduleLayer.filter(schedule_id=schedule.id)
    alice = await User.get(id=org.alice_id)
    await update_layer(alice, layer.id, edit_at, user_ids=[carol.id])
    after = await shifts()
    finished = DAY0 + timedelta(days=2)
    assert [s for s in after if s[2] <= finished] == [s for s in before if s[2] <= finished]  # the past is kept
    assert len([s for s in before if s[2] <= finished]) == 2
    assert after[2] == (org.alice_id, DAY0 + timedelta(days=2), edit_at)  # Alice's day ends at the edit
    assert after[3:] == [(carol.id, edit_at, DAY0 + timedelta(days=5))]  # Carol from then on
    bob = await User.get(id=org.bob_id)
    with pytest.raises(Forbidden):
        await update_layer(bob, layer.id, edit_at)  # a RESPONDER may not edit layers
