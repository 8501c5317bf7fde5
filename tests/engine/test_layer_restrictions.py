"""Layer restrictions in the engine, on SQLite and PostgreSQL: what create_schedule, add_layer
and update_layer store is what the on-call math reads back (explicit instants throughout), and
a malformed window is refused before anything is written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pagerline.engine.people.accounts import create_user
from pagerline.engine.core.errors import BadInput
from pagerline.engine.schedules.oncall import load_schedule_specs
from pagerline.engine.schedules.math import on_call
from pagerline.engine.schedules.editing import LayerInput, Restriction, add_layer, create_schedule, restrictions_of, update_layer
from pagerline.models import Role, Schedule, ScheduleKind, ScheduleLayer

BERLIN_MONDAY_9 = datetime(2026, 3, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 CET, the week before the change
OFFICE = [Restriction(day, "09:00", day, "17:00") for day in range(5)]


async def who(schedule_id: int, at: datetime) -> int | None:
    return on_call((await load_schedule_specs([schedule_id]))[schedule_id], at)


async def test_stored_restrictions_are_what_the_math_applies_across_the_spring_change(db: str) -> None:
    alice = await create_user("alice@r.test", "Alice", "pw-secret", Role.ADMIN, "UTC")
    schedule = await create_schedule(
        "Office", "Europe/Berlin", ScheduleKind.RECURRING,
        layers=[LayerInput(BERLIN_MONDAY_9, "P7D", [alice.id], restrictions=OFFICE)],
    )
    [layer] = await ScheduleLayer.filter(schedule_id=schedule.id)
    assert restrictions_of(layer) == OFFICE
    # Friday 2026-03-27 16:59 CET is covered, 17:00 is not; after the change (Sunday 2026-03-29)
    # Monday 09:00 CEST is 07:00Z.
    assert await who(schedule.id, datetime(2026, 3, 27, 15, 59, tzinfo=UTC)) == alice.id
    assert await who(schedule.id, datetime(2026, 3, 27, 16, 0, tzinfo=UTC)) is None
    assert await who(schedule.id, datetime(2026, 3, 30, 6, 59, tzinfo=UTC)) is None
    assert await who(schedule.id, datetime(2026, 3, 30, 7, 0, tzinfo=UTC)) == alice.id

    weekend = [Restriction(4, "17:00", 0, "09:00")]
    await add_layer(alice, schedule.id, LayerInput(BERLIN_MONDAY_9, "P7D", [alice.id], restrictions=weekend))
    top = await ScheduleLayer.filter(schedule_id=schedule.id).order_by("-position").first()
    assert top is not None and restrictions_of(top) == weekend
    assert await who(schedule.id, datetime(2026, 3, 28, 12, 0, tzinfo=UTC)) == alice.id  # Saturday

    # A layer that has not started yet is changed in place: [] removes its restrictions.
    edited = await update_layer(alice, top.id, datetime(2026, 3, 1, tzinfo=UTC), restrictions=[])
    assert edited.id == top.id and restrictions_of(edited) == []


@pytest.mark.parametrize(
    "window",
    [
        Restriction(7, "09:00", 0, "17:00"),
        Restriction(-1, "09:00", 0, "17:00"),
        Restriction(0, "09:00", 0, "24:00"),
        Restriction(0, "09:60", 0, "17:00"),
        Restriction(0, " 09:00", 0, "17:00"),
        Restriction(3, "12:00", 3, "12:00"),
    ],
)
async def test_a_malformed_window_is_refused_and_nothing_is_written(db: str, window: Restriction) -> None:
    alice = await create_user("alice@r.test", "Alice", "pw-secret", Role.ADMIN, "UTC")
    with pytest.raises(BadInput):
        await create_schedule(
            "Office", "Europe/Berlin", ScheduleKind.RECURRING,
            layers=[LayerInput(BERLIN_MONDAY_9, "P7D", [alice.id], restrictions=[window])],
        )
    assert await Schedule.all().count() == 0
