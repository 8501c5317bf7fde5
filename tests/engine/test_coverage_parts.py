"""Accepting a part of a coverage request, on SQLite and PostgreSQL: the part becomes an
ACCEPTED request of its own with overrides for exactly the requester's shifts inside it, the
rest stays asked of the same people, bad parts change nothing, and two people taking
overlapping parts at once get one override set and one CONFLICT."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from pagerline.engine.core.errors import BadInput, Conflict, EngineError
from pagerline.engine.people.accounts import create_user
from pagerline.engine.schedules import coverage
from pagerline.engine.schedules.coverage import Part
from pagerline.engine.schedules.oncall import on_call_users
from pagerline.models import Notification, Role, Schedule, ScheduleKind, ScheduleLayer, ScheduleOverride
from pagerline.models.coverage import CoverageRequest, CoverageStatus
from tests.support.seed import Org, seed_org

# A daily rotation handing off at 09:00 UTC: Alice on the 26th, Bob on the 27th, Alice on the 28th.
DAY0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)


async def rotation(org: Org) -> Schedule:
    schedule = await Schedule.create(name="Primary", timezone="UTC", kind=ScheduleKind.RECURRING)
    await ScheduleLayer.create(schedule=schedule, position=0, starts_on=DAY0, rotation="P1D", user_ids=[org.alice_id, org.bob_id])
    return schedule


async def windows(requester_id: int) -> list[tuple[datetime, datetime, CoverageStatus, int | None]]:
    rows = await CoverageRequest.filter(requester_id=requester_id).order_by("start")
    return [(r.start, r.end, r.status, r.accepted_by_id) for r in rows]  # type: ignore[attr-defined]


async def test_a_part_in_the_middle_is_accepted_and_both_sides_stay_asked(db: str) -> None:
    org = await seed_org()
    carol = await create_user("carol@ops.test", "Carol", None, Role.RESPONDER, "UTC", ["Ops"])
    schedule = await rotation(org)
    request = await coverage.request_coverage(org.alice_id, DAY0, DAY0 + 3 * D, NOW, "trip", recipient_ids=[org.bob_id, carol.id])
    await coverage.decline_coverage(request.id, carol.id, NOW)

    part = Part(DAY0 + 2 * D + 2 * H, DAY0 + 2 * D + 8 * H)  # 11:00–17:00 of Alice's 28th
    accepted = await coverage.accept_coverage(request.id, org.bob_id, NOW + H, part)

    assert accepted.id != request.id
    assert (accepted.status, accepted.accepted_by_id, accepted.message) == (CoverageStatus.ACCEPTED, org.bob_id, "trip")  # type: ignore[attr-defined]
    assert await windows(org.alice_id) == [
        (DAY0, part.start, CoverageStatus.PENDING, None),  # the original, narrowed
        (part.start, part.end, CoverageStatus.ACCEPTED, org.bob_id),
        (part.end, DAY0 + 3 * D, CoverageStatus.PENDING, None),  # the rest after the part
    ]
    after = await CoverageRequest.get(start=part.end)
    assert (after.recipient_ids, after.declined_ids) == ([org.bob_id, carol.id], [carol.id])
    [override] = await ScheduleOverride.filter(schedule_id=schedule.id)
    assert (override.user_id, override.start, override.end, override.coverage_request_id) == (org.bob_id, part.start, part.end, accepted.id)  # type: ignore[attr-defined]
    on_call = {at: (await on_call_users([schedule.id], at))[schedule.id] for at in (part.start - H, part.start + H, part.end + H)}
    assert on_call == {part.start - H: org.alice_id, part.start + H: org.bob_id, part.end + H: org.alice_id}
    assert await Notification.filter(user_id=org.alice_id, dedup_key=f"coverage:{accepted.id}:accepted:{org.alice_id}").count() == 1

    # What is left can still be taken: Bob takes the narrowed original whole.
    rest = await coverage.accept_coverage(request.id, org.bob_id, NOW + 2 * H)
    assert (rest.id, rest.status, rest.start, rest.end) == (request.id, CoverageStatus.ACCEPTED, DAY0, part.start)


async def test_a_part_leaving_no_shift_behind_accepts_the_whole_request(db: str) -> None:
    org = await seed_org()
    schedule = await rotation(org)
    # Alice's 26th and Bob's 27th: only the 26th is hers to hand over.
    request = await coverage.request_coverage(org.alice_id, DAY0, DAY0 + 2 * D, NOW, recipient_ids=[org.bob_id])
    accepted = await coverage.accept_coverage(request.id, org.bob_id, NOW, Part(DAY0, DAY0 + D + 5 * H))
    assert (accepted.id, accepted.status) == (request.id, CoverageStatus.ACCEPTED)
    assert await windows(org.alice_id) == [(DAY0, DAY0 + 2 * D, CoverageStatus.ACCEPTED, org.bob_id)]
    assert [(o.start, o.end) for o in await ScheduleOverride.filter(schedule_id=schedule.id)] == [(DAY0, DAY0 + D)]


@pytest.mark.parametrize(
    ("part", "error"),
    [
        (Part(DAY0 - H, DAY0 + H), Conflict),  # begins before the window
        (Part(DAY0 + 2 * H, DAY0 + 2 * H), BadInput),  # empty
        (Part(DAY0 + D + H, DAY0 + D + 2 * H), BadInput),  # Bob's own day: nothing of Alice's to cover
        (Part(DAY0.replace(tzinfo=None), (DAY0 + H).replace(tzinfo=None)), BadInput),  # no time zone
    ],
)
async def test_a_bad_part_is_refused_and_changes_nothing(db: str, part: Part, error: type[EngineError]) -> None:
    org = await seed_org()
    await rotation(org)
    request = await coverage.request_coverage(org.alice_id, DAY0, DAY0 + 2 * D, NOW, recipient_ids=[org.bob_id])
    with pytest.raises(error):
        await coverage.accept_coverage(request.id, org.bob_id, NOW, part)
    assert await windows(org.alice_id) == [(DAY0, DAY0 + 2 * D, CoverageStatus.PENDING, None)]
    assert await ScheduleOverride.all().count() == 0


async def test_two_overlapping_parts_at_once_make_one_override_and_one_conflict(db: str) -> None:
    org = await seed_org()
    carol = await create_user("carol@ops.test", "Carol", None, Role.RESPONDER, "UTC", ["Ops"])
    await rotation(org)
    request = await coverage.request_coverage(org.alice_id, DAY0, DAY0 + 3 * D, NOW, recipient_ids=[org.bob_id, carol.id])
    results = await asyncio.gather(
        coverage.accept_coverage(request.id, org.bob_id, NOW, Part(DAY0, DAY0 + D)),
        coverage.accept_coverage(request.id, carol.id, NOW, Part(DAY0, DAY0 + 6 * H)),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, EngineError)]
    assert len(errors) == 1 and errors[0].code == "CONFLICT", results
    winner = next(r for r in results if isinstance(r, CoverageRequest))
    overrides = await ScheduleOverride.all()
    assert [(o.user_id, o.start, o.end) for o in overrides] == [(winner.accepted_by_id, winner.start, winner.end)]  # type: ignore[attr-defined]
