"""Coverage requests: how a team trades shifts without an admin.

A requester asks named colleagues (or everyone else on the schedules) to take their shifts
between ``start`` and ``end``. Accepting creates overrides for exactly the requester's shifts
inside the window (partial shifts included), all in one transaction that locks the request's
row, so of two people accepting at once one wins and the other gets a CONFLICT. Pending
requests expire when their start passes. Both sides are notified through the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError

from pagerline.engine.schedules import oncall_changes
from pagerline.engine.core.config_changes import ConfigAction, ConfigKind, note_config_change
from pagerline.engine.core.effects import Effects, unit_of_work
from pagerline.engine.core.errors import BadInput, Conflict, Forbidden, NotFound
from pagerline.engine.schedules.oncall import load_schedule_specs
from pagerline.engine.schedules.math import ScheduleSpec, Shift, final_shifts
from pagerline.models import Channel, Notification, NotificationKind, Schedule, ScheduleOverride, User
from pagerline.models.coverage import CoverageRequest, CoverageStatus


async def requester_shifts(user_id: int, schedule_ids: list[int], start: datetime, end: datetime) -> dict[int, list[Shift]]:
    """The user's final shifts inside [start, end), per schedule (clipped to the window)."""
    specs = await load_schedule_specs(schedule_ids)
    return {
        sid: [s for s in final_shifts(spec, start, end) if s.user_id == user_id]
        for sid, spec in specs.items()
    }


def _people_on(spec: ScheduleSpec) -> set[int]:
    people = {u for layer in spec.layers for u in layer.user_ids}
    people |= {s.user_id for s in spec.static_shifts}
    people |= {o.user_id for o in spec.overrides}
    return people


async def _notify(user_ids: list[int], title: str, body: str, key: str, now: datetime, effects: Effects) -> None:
    for user_id in user_ids:
        try:
            row = await Notification.create(
                dedup_key=f"{key}:{user_id}", user_id=user_id, kind=NotificationKind.INFO, channel=Channel.PUSH,
                due_at=now, title=title[:300], body=body[:1000], created_at=now,
            )
        except IntegrityError:
            continue
        effects.wake_notification(row.id, now, row.channel)


def _window(start: datetime, end: datetime) -> str:
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC"


async def request_coverage(
    requester_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    message: str = "",
    schedule_ids: list[int] | None = None,
    recipient_ids: list[int] | None = None,
) -> CoverageRequest:
    if start.tzinfo is None or end.tzinfo is None:
        raise BadInput("start and end need a time zone")
    if end <= start:
        raise BadInput("end must be after start")
    if end <= now:
        raise BadInput("The window is already over")
    if schedule_ids is None:
        schedule_ids = list(await Schedule.all().values_list("id", flat=True))
    elif await Schedule.filter(id__in=schedule_ids).count() != len(set(schedule_ids)):
        raise NotFound("Schedule not found")
    shifts = await requester_shifts(requester_id, schedule_ids, start, end)
    covered = [sid for sid, found in shifts.items() if found]
    if not covered:
        raise BadInput(f"You have no shift between {_window(start, end)}")
    if recipient_ids is None:
        specs = await load_schedule_specs(covered)
        recipients = sorted(set().union(*(_people_on(spec) for spec in specs.values())) - {requester_id})
    else:
        recipients = sorted(set(recipient_ids) - {requester_id})
        if await User.filter(id__in=recipients).count() != len(recipients):
            raise NotFound("User not found")
    if not recipients:
        raise BadInput("Nobody to ask: name colleagues or add people to the schedule")
    requester = await User.get(id=requester_id)
    async with unit_of_work() as effects:
        request = await CoverageRequest.create(
            requester_id=requester_id, start=start, end=end, message=message[:2000], schedule_ids=sorted(covered),
            recipient_ids=recipients, created_at=now,
        )
        await _notify(
            recipients,
            f"{requester.name} asks you to cover on call",
            f"{_window(start, end)}" + (f": {message[:300]}" if message else ""),
            f"coverage:{request.id}:asked",
            now,
            effects,
        )
        effects.publish("coverage", "REQUESTED", coverage_request_id=request.id)
    return request


async def _locked(request_id: int) -> CoverageRequest:
    request = await CoverageRequest.filter(id=request_id).select_for_update().first()
    if request is None:
        raise NotFound("Coverage request not found")
    return request


def _pending(request: CoverageRequest, now: datetime) -> None:
    if request.status is CoverageStatus.PENDING and request.start <= now:
        raise Conflict("The coverage request has expired")
    if request.status is not CoverageStatus.PENDING:
        raise Conflict(f"The coverage request is {request.status.value.lower()} already")


@dataclass(frozen=True)
class Part:
    """The stretch [start, end) of a request that a recipient takes."""

    start: datetime
    end: datetime


async def accept_coverage(request_id: int, user_id: int, now: datetime, part: Part | None = None) -> CoverageRequest:
    """Take the whole request, or only ``part`` of its window; returns the ACCEPTED request
    (the original, or the new one recording the part)."""
    if part is not None and (part.start.tzinfo is None or part.end.tzinfo is None):
        raise BadInput("start and end need a time zone")
    if part is not None and part.end <= part.start:
        raise BadInput("end must be after start")
    async with unit_of_work() as effects:
        request = await _locked(request_id)
        if user_id not in request.recipient_ids:
            raise Forbidden("You were not asked to cover this request")
        _pending(request, now)
        if part is not None and not (request.start <= part.start and part.end <= request.end):
            raise Conflict(f"The coverage request asks for {_window(request.start, request.end)} only")
        taken = part or Part(request.start, request.end)
        schedule_ids: list[int] = list(request.schedule_ids)  # type: ignore[arg-type]
        shifts = await requester_shifts(request.requester_id, schedule_ids, taken.start, taken.end)  # type: ignore[attr-defined]
        if not any(shifts.values()):
            raise BadInput(f"There is no shift to cover between {_window(taken.start, taken.end)}")
        left = [p for p in (Part(request.start, taken.start), Part(taken.end, request.end)) if await _has_shift(request, p)]
        accepted = await _split(request, taken, left, now, effects) if left else request
        for schedule_id, found in shifts.items():
            for shift in found:
                await ScheduleOverride.create(
                    schedule_id=schedule_id, user_id=user_id, start=shift.start, end=shift.end, coverage_request_id=accepted.id
                )
        accepted.status = CoverageStatus.ACCEPTED
        accepted.accepted_by_id = user_id  # type: ignore[attr-defined]
        accepted.decided_at = now
        await accepted.save(update_fields=["status", "accepted_by_id", "decided_at"])
        taker = await User.get(id=user_id)
        await _notify(
            [request.requester_id],  # type: ignore[attr-defined]
            f"{taker.name} covers {'part of ' if left else ''}your shifts",
            _window(taken.start, taken.end),
            f"coverage:{accepted.id}:accepted",
            now,
            effects,
        )
        effects.publish("coverage", "ACCEPTED", coverage_request_id=accepted.id)
        effects.publish("oncall", "CHANGED", schedule_ids=schedule_ids)
        for schedule_id in schedule_ids:  # the overrides it made
            note_config_change(effects, ConfigKind.SCHEDULE, schedule_id, ConfigAction.UPDATED)
        await oncall_changes.refresh_widgets({request.requester_id, user_id}, f"coverage:{accepted.id}", now, effects)  # type: ignore[attr-defined]
    return accepted


async def _has_shift(request: CoverageRequest, stretch: Part) -> bool:
    if stretch.end <= stretch.start:
        return False
    found = await requester_shifts(request.requester_id, list(request.schedule_ids), stretch.start, stretch.end)  # type: ignore[attr-defined,arg-type]
    return any(found.values())


async def _split(request: CoverageRequest, taken: Part, left: list[Part], now: datetime, effects: Effects) -> CoverageRequest:
    """Narrow ``request`` to the first remaining stretch, ask for a second one in a new PENDING
    request, and return a new request recording the part taken (saved by the caller)."""
    def copy(stretch: Part) -> dict[str, object]:
        return {
            "requester_id": request.requester_id,  # type: ignore[attr-defined]
            "start": stretch.start, "end": stretch.end, "message": request.message,
            "schedule_ids": list(request.schedule_ids), "recipient_ids": list(request.recipient_ids),  # type: ignore[arg-type]
            "created_at": now,
        }

    accepted = await CoverageRequest.create(**copy(taken))
    request.start, request.end = left[0].start, left[0].end
    await request.save(update_fields=["start", "end"])
    effects.publish("coverage", "NARROWED", coverage_request_id=request.id)
    for stretch in left[1:]:
        rest = await CoverageRequest.create(**copy(stretch), declined_ids=list(request.declined_ids))  # type: ignore[arg-type]
        effects.publish("coverage", "REQUESTED", coverage_request_id=rest.id)
    return accepted


async def decline_coverage(request_id: int, user_id: int, now: datetime) -> CoverageRequest:
    async with unit_of_work() as effects:
        request = await _locked(request_id)
        if user_id not in request.recipient_ids:
            raise Forbidden("You were not asked to cover this request")
        _pending(request, now)
        declined = sorted(set(request.declined_ids) | {user_id})
        request.declined_ids = declined
        fields = ["declined_ids"]
        if set(declined) >= set(request.recipient_ids):
            request.status = CoverageStatus.DECLINED
            request.decided_at = now
            fields += ["status", "decided_at"]
            await _notify(
                [request.requester_id],  # type: ignore[attr-defined]
                "Nobody could cover your shifts",
                _window(request.start, request.end),
                f"coverage:{request.id}:declined",
                now,
                effects,
            )
        await request.save(update_fields=fields)
        effects.publish("coverage", "DECLINED", coverage_request_id=request.id)
    return request


async def cancel_coverage(request_id: int, user_id: int, now: datetime) -> CoverageRequest:
    async with unit_of_work() as effects:
        request = await _locked(request_id)
        if request.requester_id != user_id:  # type: ignore[attr-defined]
            raise Forbidden("Only the requester can cancel a coverage request")
        _pending(request, now)
        request.status = CoverageStatus.CANCELLED
        request.decided_at = now
        await request.save(update_fields=["status", "decided_at"])
        effects.publish("coverage", "CANCELLED", coverage_request_id=request.id)
    return request


async def expire_coverage(now: datetime) -> int:
    """Pending requests whose start has passed; run by the sweeper."""
    async with unit_of_work() as effects:
        expired = await CoverageRequest.filter(status=CoverageStatus.PENDING, start__lte=now).select_for_update().values_list("id", flat=True)
        if expired:
            await CoverageRequest.filter(id__in=list(expired)).update(status=CoverageStatus.EXPIRED, decided_at=now)
            for request_id in expired:
                effects.publish("coverage", "EXPIRED", coverage_request_id=request_id)
    return len(expired)
