"""Who is on call: loads schedule rows into the pure schedule math and asks it."""

from __future__ import annotations

from datetime import datetime, time

from pagerline.engine.schedule_math import Layer, Override, ScheduleSpec, StaticShift, WeeklyWindow, on_call
from pagerline.models import Schedule, ScheduleLayer, ScheduleOverride
from pagerline.models import StaticShift as StaticShiftRow


def _parse_time(text: str) -> time:
    return time.fromisoformat(text)


def restriction_from_json(item: dict[str, object]) -> WeeklyWindow:
    return WeeklyWindow(
        start_day=int(item["start_day"]),  # type: ignore[call-overload]
        start_time=_parse_time(str(item["start_time"])),
        end_day=int(item["end_day"]),  # type: ignore[call-overload]
        end_time=_parse_time(str(item["end_time"])),
    )


async def load_schedule_specs(schedule_ids: list[int]) -> dict[int, ScheduleSpec]:
    """One query per table, whatever the number of schedules."""
    if not schedule_ids:
        return {}
    schedules = await Schedule.filter(id__in=schedule_ids)
    layers = await ScheduleLayer.filter(schedule_id__in=schedule_ids).order_by("position", "id")
    statics = await StaticShiftRow.filter(schedule_id__in=schedule_ids).order_by("id")
    overrides = await ScheduleOverride.filter(schedule_id__in=schedule_ids).order_by("id")
    specs: dict[int, ScheduleSpec] = {}
    for schedule in schedules:
        sid = schedule.id
        specs[sid] = ScheduleSpec(
            timezone=schedule.timezone,
            kind=schedule.kind.value,
            layers=tuple(
                Layer(
                    starts_on=row.starts_on,
                    user_ids=tuple(int(u) for u in row.user_ids),
                    rotation=row.rotation,
                    ends_on=row.ends_on,
                    restrictions=tuple(restriction_from_json(r) for r in row.restrictions),
                    id=row.id,
                )
                for row in layers
                if row.schedule_id == sid  # type: ignore[attr-defined]
            ),
            static_shifts=tuple(
                StaticShift(user_id=row.user_id, start=row.start, end=row.end, id=row.id)  # type: ignore[attr-defined]
                for row in statics
                if row.schedule_id == sid  # type: ignore[attr-defined]
            ),
            overrides=tuple(
                Override(user_id=row.user_id, start=row.start, end=row.end, id=row.id)  # type: ignore[attr-defined]
                for row in overrides
                if row.schedule_id == sid  # type: ignore[attr-defined]
            ),
        )
    return specs


async def on_call_users(schedule_ids: list[int], at: datetime) -> dict[int, int | None]:
    """Schedule id → the user on call at ``at`` (None for a gap)."""
    specs = await load_schedule_specs(schedule_ids)
    return {sid: on_call(spec, at) for sid, spec in specs.items()}
