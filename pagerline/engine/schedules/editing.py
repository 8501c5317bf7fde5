"""Creating schedules and overrides (the math is in :mod:`pagerline.engine.schedules.math`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


from pagerline.engine.schedules import oncall_changes
from pagerline.engine.core.config_changes import ConfigAction, ConfigKind, note_config_change
from pagerline.engine.core.effects import Effects, unit_of_work
from pagerline.engine.core.errors import BadInput, Conflict, Forbidden, NotFound
from pagerline.engine.schedules.math import parse_rotation
from pagerline.models.calendars import CalendarToken
from pagerline.models import EscalationPolicy, Role, Schedule, ScheduleKind, ScheduleLayer, ScheduleOverride, StaticShift, User


@dataclass(frozen=True)
class Restriction:
    """A weekly window a layer covers, from (start_day, start_time) to (end_day, end_time) in the
    schedule's time zone; days 0 (Monday) .. 6 (Sunday), times "HH:MM". An end at or before the
    start on the same day wraps into the next week (Fri 18:00 - Mon 09:00 is a weekend)."""

    start_day: int
    start_time: str
    end_day: int
    end_time: str


@dataclass(frozen=True)
class LayerInput:
    starts_on: datetime
    rotation: str
    user_ids: list[int]
    ends_on: datetime | None = None
    restrictions: list[Restriction] = field(default_factory=list)


# Enough for several windows a day; the schedule math walks every window of every week it shows.
MAX_RESTRICTIONS = 50
_CLOCK_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _check_restriction(index: int, window: Restriction) -> None:
    for what, day in (("start", window.start_day), ("end", window.end_day)):
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise BadInput(f"restrictions[{index}]: the {what} day must be 0 (Monday) .. 6 (Sunday)", field=f"restrictions[{index}].{what}Day")
    for what, clock in (("start", window.start_time), ("end", window.end_time)):
        if not isinstance(clock, str) or _CLOCK_TIME.fullmatch(clock) is None:
            raise BadInput(f"restrictions[{index}]: the {what} time must be HH:MM from 00:00 to 23:59, got {clock!r}", field=f"restrictions[{index}].{what}Time")
    if (window.start_day, window.start_time) == (window.end_day, window.end_time):
        # The math would read this as the whole week; as input it is far more likely a slip.
        raise BadInput(
            f"restrictions[{index}]: starts and ends at {_DAY_NAMES[window.start_day]} {window.start_time}; "
            "leave restrictions out for a layer that covers the whole week",
            field=f"restrictions[{index}]",
        )


def restrictions_to_rows(restrictions: list[Restriction]) -> list[dict[str, object]]:
    """Checked restrictions in the stored shape (what :func:`oncall.restriction_from_json` reads)."""
    if len(restrictions) > MAX_RESTRICTIONS:
        raise BadInput(f"A layer has at most {MAX_RESTRICTIONS} restrictions", field="restrictions")
    for index, window in enumerate(restrictions):
        _check_restriction(index, window)
    return [
        {"start_day": w.start_day, "start_time": w.start_time, "end_day": w.end_day, "end_time": w.end_time}
        for w in restrictions
    ]


def restrictions_of(row: ScheduleLayer) -> list[Restriction]:
    """A stored layer's restrictions, as they were given."""
    return [
        Restriction(int(r["start_day"]), str(r["start_time"])[:5], int(r["end_day"]), str(r["end_time"])[:5])
        for r in row.restrictions
    ]


@dataclass(frozen=True)
class ShiftInput:
    user_id: int
    start: datetime
    end: datetime


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: a name too long for a file
        raise BadInput(f"Unknown time zone '{name}'", field="timezone") from exc


async def _check_users(user_ids: set[int]) -> None:
    if user_ids and await User.filter(id__in=list(user_ids)).count() != len(user_ids):
        raise NotFound("User not found")


def _checked_layer(layer: LayerInput) -> list[dict[str, object]]:
    """Everything about a new layer that needs no database; its restrictions as stored."""
    _check_rotation(layer.rotation)
    if layer.starts_on.tzinfo is None or (layer.ends_on is not None and layer.ends_on.tzinfo is None):
        raise BadInput("Layer times need a time zone", field="startsOn")
    if not layer.user_ids:
        raise BadInput("A layer needs at least one user", field="userIds")
    return restrictions_to_rows(layer.restrictions)


def _check_rotation(rotation: str) -> None:
    try:
        parse_rotation(rotation)
    except ValueError as exc:
        raise BadInput(str(exc), field="rotation") from exc


def _changed(effects: Effects, schedule_id: int, action: ConfigAction = ConfigAction.UPDATED) -> None:
    """Who is on call may have changed, and the schedule's configuration did (on commit)."""
    effects.publish("oncall", "CHANGED", schedule_ids=[schedule_id])
    note_config_change(effects, ConfigKind.SCHEDULE, schedule_id, action)


async def create_schedule(
    name: str,
    timezone: str,
    kind: ScheduleKind,
    team_id: int | None = None,
    layers: list[LayerInput] | None = None,
    shifts: list[ShiftInput] | None = None,
) -> Schedule:
    if not name.strip():
        raise BadInput("A schedule needs a name", field="name")
    _check_timezone(timezone)
    layers, shifts = layers or [], shifts or []
    windows = [_checked_layer(layer) for layer in layers]
    for shift in shifts:
        if shift.end <= shift.start:
            raise BadInput("A shift must end after it starts", field="end")
    await _check_users({u for layer in layers for u in layer.user_ids} | {s.user_id for s in shifts})
    async with unit_of_work() as effects:
        schedule = await Schedule.create(name=name.strip()[:200], timezone=timezone, kind=kind, team_id=team_id)
        for position, (layer, restrictions) in enumerate(zip(layers, windows, strict=True)):
            await ScheduleLayer.create(
                schedule=schedule, position=position, starts_on=layer.starts_on, ends_on=layer.ends_on,
                rotation=layer.rotation, user_ids=list(layer.user_ids), restrictions=restrictions,
            )
        for shift in shifts:
            await StaticShift.create(schedule=schedule, user_id=shift.user_id, start=shift.start, end=shift.end)
        note_config_change(effects, ConfigKind.SCHEDULE, schedule.id, ConfigAction.CREATED)
    return schedule


async def create_override(
    actor: User, schedule_id: int, user_id: int, start: datetime, end: datetime, *, now: datetime
) -> ScheduleOverride:
    """ilert's rule: a RESPONDER may override only for themselves; USER and ADMIN for anyone."""
    if actor.role is Role.STAKEHOLDER:
        raise Forbidden("Stakeholders cannot change schedules")
    if actor.role is Role.RESPONDER and user_id != actor.id:
        raise Forbidden("Responders can create overrides only for themselves")
    if end <= start:
        raise BadInput("An override must end after it starts", field="end")
    if not await Schedule.exists(id=schedule_id):
        raise NotFound("Schedule not found")
    await _check_users({user_id})
    if not await User.exists(id=user_id, active=True):
        raise BadInput("That user is deactivated: an override of theirs would not count", field="userId")
    async with unit_of_work() as effects:
        override = await ScheduleOverride.create(schedule_id=schedule_id, user_id=user_id, start=start, end=end)
        _changed(effects, schedule_id)
        await oncall_changes.override_changed(override, now, effects, removed=False)
    return override


async def delete_override(actor: User, override_id: int, *, now: datetime) -> None:
    override = await ScheduleOverride.get_or_none(id=override_id)
    if override is None:
        raise NotFound("Override not found")
    if actor.role is Role.STAKEHOLDER or (actor.role is Role.RESPONDER and override.user_id != actor.id):  # type: ignore[attr-defined]
        raise Forbidden("You may not delete this override")
    async with unit_of_work() as effects:
        await override.delete()
        _changed(effects, override.schedule_id)  # type: ignore[attr-defined]
        await oncall_changes.override_changed(override, now, effects, removed=True)


class KeepEnd:
    """The layer's end as it was (``update_layer``'s default: ``None`` means "no end")."""


KEEP_END = KeepEnd()


async def update_layer(
    actor: User,
    layer_id: int,
    now: datetime,
    *,
    rotation: str | None = None,
    user_ids: list[int] | None = None,
    handoff_from: datetime | None = None,
    restrictions: list[Restriction] | None = None,
    ends_on: datetime | None | KeepEnd = KEEP_END,
) -> ScheduleLayer:
    """Edit a layer from now on; shifts already past stay as they were.

    A layer that has not started yet is changed in place. Otherwise the old version ends at the
    moment the change takes effect (``handoff_from``, at the earliest now) and a new version with
    the changes starts there, handing off from that instant. ``restrictions=None`` keeps the
    layer's restrictions, ``[]`` removes them. ``ends_on``: when the layer stops (``None``: it
    never does; left out: as it was); it must come after the (new) version starts.
    """
    if actor.role in (Role.STAKEHOLDER, Role.RESPONDER):
        raise Forbidden("Only users and admins can edit schedules")
    layer = await ScheduleLayer.get_or_none(id=layer_id)
    if layer is None:
        raise NotFound("Layer not found")
    if rotation is not None:
        _check_rotation(rotation)
    windows = restrictions_to_rows(restrictions) if restrictions is not None else list(layer.restrictions)
    if user_ids is not None:
        if not user_ids:
            raise BadInput("A layer needs at least one user", field="userIds")
        await _check_users(set(user_ids))
    effective = max(now, handoff_from) if handoff_from is not None else now
    in_place = layer.starts_on >= now
    new_start = (handoff_from or layer.starts_on) if in_place else effective
    new_end = layer.ends_on if isinstance(ends_on, KeepEnd) else ends_on
    if not isinstance(ends_on, KeepEnd) and ends_on is not None and ends_on <= new_start:
        raise BadInput("The layer must end after it starts (or after the change takes effect)", field="endsOn")
    async with unit_of_work() as effects:
        if in_place:
            layer.rotation = rotation or layer.rotation
            layer.user_ids = list(user_ids) if user_ids is not None else layer.user_ids
            layer.starts_on = new_start
            layer.ends_on = new_end
            layer.restrictions = windows
            await layer.save(update_fields=["rotation", "user_ids", "starts_on", "ends_on", "restrictions"])
            result = layer
        else:
            old_end = layer.ends_on
            layer.ends_on = effective if old_end is None else min(old_end, effective)
            await layer.save(update_fields=["ends_on"])
            result = await ScheduleLayer.create(
                schedule_id=layer.schedule_id,  # type: ignore[attr-defined]
                position=layer.position,
                starts_on=effective,
                ends_on=new_end,
                rotation=rotation or layer.rotation,
                user_ids=list(user_ids) if user_ids is not None else list(layer.user_ids),
                restrictions=windows,
            )
        _changed(effects, layer.schedule_id)  # type: ignore[attr-defined]
    return result


def _may_edit(actor: User) -> None:
    if actor.role in (Role.STAKEHOLDER, Role.RESPONDER):
        raise Forbidden("Only users and admins can edit schedules")


async def update_schedule(actor: User, schedule_id: int, name: str | None = None, timezone: str | None = None) -> Schedule:
    _may_edit(actor)
    schedule = await Schedule.get_or_none(id=schedule_id)
    if schedule is None:
        raise NotFound("Schedule not found")
    if name is not None:
        if not name.strip():
            raise BadInput("A schedule needs a name", field="name")
        schedule.name = name.strip()[:200]
    if timezone is not None:
        _check_timezone(timezone)
        schedule.timezone = timezone
    async with unit_of_work() as effects:
        await schedule.save(update_fields=["name", "timezone"])
        _changed(effects, schedule_id)
    return schedule


async def add_layer(actor: User, schedule_id: int, layer: LayerInput) -> ScheduleLayer:
    """A new layer goes on top (later layers win)."""
    _may_edit(actor)
    if not await Schedule.exists(id=schedule_id):
        raise NotFound("Schedule not found")
    restrictions = _checked_layer(layer)
    await _check_users(set(layer.user_ids))
    async with unit_of_work() as effects:
        top = await ScheduleLayer.filter(schedule_id=schedule_id).order_by("-position").first()
        row = await ScheduleLayer.create(
            schedule_id=schedule_id, position=(top.position + 1) if top else 0, starts_on=layer.starts_on,
            ends_on=layer.ends_on, rotation=layer.rotation, user_ids=list(layer.user_ids), restrictions=restrictions,
        )
        _changed(effects, schedule_id)
    return row


async def add_static_shift(actor: User, schedule_id: int, shift: ShiftInput) -> StaticShift:
    _may_edit(actor)
    if not await Schedule.exists(id=schedule_id):
        raise NotFound("Schedule not found")
    if shift.end <= shift.start:
        raise BadInput("A shift must end after it starts", field="end")
    await _check_users({shift.user_id})
    async with unit_of_work() as effects:
        row = await StaticShift.create(schedule_id=schedule_id, user_id=shift.user_id, start=shift.start, end=shift.end)
        _changed(effects, schedule_id)
    return row


async def delete_static_shift(actor: User, shift_id: int) -> None:
    _may_edit(actor)
    row = await StaticShift.get_or_none(id=shift_id)
    if row is None:
        raise NotFound("Shift not found")
    async with unit_of_work() as effects:
        await row.delete()
        _changed(effects, row.schedule_id)  # type: ignore[attr-defined]


async def delete_layer(actor: User, layer_id: int) -> int:
    """Remove a layer (this version of it: an edit from now on ends one version and starts the
    next, each a layer of its own). Its shifts, past ones too, are gone from the schedule; the
    layers below show through. Returns the schedule's id."""
    _may_edit(actor)
    layer = await ScheduleLayer.get_or_none(id=layer_id)
    if layer is None:
        raise NotFound("Layer not found")
    async with unit_of_work() as effects:
        await layer.delete()
        _changed(effects, layer.schedule_id)  # type: ignore[attr-defined]
    return int(layer.schedule_id)  # type: ignore[attr-defined]


async def move_layer(actor: User, layer_id: int, position: int) -> int:
    """Put a layer at ``position`` in the schedule's order (0 at the bottom; a higher position
    wins), the others renumbered 0, 1, ... around it. The versions of one layer (same position)
    move together. Returns the schedule's id."""
    _may_edit(actor)
    layer = await ScheduleLayer.get_or_none(id=layer_id)
    if layer is None:
        raise NotFound("Layer not found")
    schedule_id: int = layer.schedule_id  # type: ignore[attr-defined]
    async with unit_of_work() as effects:
        rows = await ScheduleLayer.filter(schedule_id=schedule_id).select_for_update().order_by("position", "id")
        slots = sorted({row.position for row in rows})
        if not 0 <= position < len(slots):
            raise BadInput(f"position must be 0 to {len(slots) - 1} (the schedule has {len(slots)} layers)", field="position")
        order = [slot for slot in slots if slot != layer.position]
        order.insert(position, layer.position)
        renumbered = {old: new for new, old in enumerate(order)}
        for row in rows:
            if row.position != renumbered[row.position]:
                row.position = renumbered[row.position]
                await row.save(update_fields=["position"])
        _changed(effects, schedule_id)
    return schedule_id


async def delete_schedule(actor: User, schedule_id: int) -> None:
    """Refused (Conflict, naming them) while an escalation policy pages the schedule: its level
    would page nobody. Its layers, shifts, overrides and calendar feeds go with it."""
    _may_edit(actor)
    async with unit_of_work() as effects:
        schedule = await Schedule.filter(id=schedule_id).select_for_update().first()
        if schedule is None:
            raise NotFound("Schedule not found")
        policies = await EscalationPolicy.filter(rules__schedules__id=schedule_id).distinct().order_by("name").values_list("name", flat=True)
        if policies:
            names = ", ".join(f"'{name}'" for name in policies)
            raise Conflict(f"Escalation policies page this schedule: {names}; take it out of them first")
        feeds = await CalendarToken.filter(schedule_id=schedule_id, revoked_at__isnull=True).values_list("id", flat=True)
        await schedule.delete()
        effects.publish("oncall", "CHANGED", schedule_ids=[schedule_id])
        note_config_change(effects, ConfigKind.SCHEDULE, schedule_id, ConfigAction.DELETED)
        for feed_id in feeds:
            note_config_change(effects, ConfigKind.CALENDAR_FEED, feed_id, ConfigAction.DELETED)
