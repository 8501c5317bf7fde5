"""Calendar feeds: secret iCalendar (RFC 5545) URLs of on-call shifts.

A feed token belongs to a user. Without a schedule it lists that user's own shifts in every
schedule that names them (in a layer, a static shift or an override), with a schedule it lists
everyone's shifts in that schedule. The secret is shown once and stored as a SHA-256 digest,
like API tokens, but in its own table: a feed secret reads its feed and authenticates nothing
else.

The feed covers the UTC days from 30 days before ``now`` to 180 days after it (see
:func:`feed_window`), and lists exactly :func:`final_shifts` for that window: a shift that
crosses an edge of the window is clipped to it. Day-aligned edges keep the clipped shifts (and so
their UIDs) the same for a whole day of polling.

The ICS text is written here (no library at run time): CRLF line endings, lines folded at 75
octets without splitting a UTF-8 sequence, TEXT values escaped, every time in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q

from pagerline.engine.core.config_changes import ConfigAction, ConfigKind, config_changed
from pagerline.engine.core.errors import NotFound
from pagerline.engine.schedules.oncall import load_schedule_specs
from pagerline.engine.schedules.math import final_shifts
from pagerline.models import Schedule, ScheduleLayer, ScheduleOverride, User
from pagerline.models import StaticShift as StaticShiftRow
from pagerline.models.calendars import CalendarToken
from pagerline.security import digest, digests_match, new_secret

FEED_SECRET_PREFIX = "plc"
TOKEN_PREFIX_CHARS = 12  # "plc_" and 8 random characters: enough to tell feeds apart
DAYS_BEFORE = 30
DAYS_AFTER = 180
PRODID = "-//pagerline//On-call shifts//EN"
MAX_OCTETS = 75


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One shift as the calendar shows it."""

    schedule_id: int
    user_id: int
    start: datetime
    end: datetime
    summary: str


# ------------------------------------------------------------------ tokens


async def create_feed(user_id: int, schedule_id: int | None, now: datetime) -> tuple[CalendarToken, str]:
    """A new feed for ``user_id`` (of one schedule, or of the user's own shifts when
    ``schedule_id`` is None). Returns the row and the secret, which is not stored. Whether the
    user may see the schedule is the caller's decision."""
    if not await User.exists(id=user_id):
        raise NotFound(f"User {user_id} does not exist")
    if schedule_id is not None and not await Schedule.exists(id=schedule_id):
        raise NotFound(f"Schedule {schedule_id} does not exist")
    secret = new_secret(FEED_SECRET_PREFIX, 24)
    token = await CalendarToken.create(
        user_id=user_id,
        schedule_id=schedule_id,
        token_hash=digest(secret),
        token_prefix=secret[:TOKEN_PREFIX_CHARS],
        created_at=now,
    )
    await config_changed(ConfigKind.CALENDAR_FEED, token.id, ConfigAction.CREATED)
    return token, secret


async def revoke_feed(user_id: int, token_id: int, now: datetime) -> CalendarToken:
    """Revoke one of the user's own feeds (revoking twice keeps the first time)."""
    token = await CalendarToken.get_or_none(id=token_id, user_id=user_id)
    if token is None:
        raise NotFound(f"Calendar feed {token_id} does not exist")
    if token.revoked_at is None:
        await CalendarToken.filter(id=token.id, revoked_at__isnull=True).update(revoked_at=now)
        token.revoked_at = now
        await config_changed(ConfigKind.CALENDAR_FEED, token.id, ConfigAction.DELETED)
    return token


async def live_feeds(user_id: int) -> list[CalendarToken]:
    """The user's feeds that still work, oldest first, with their schedules loaded. What a user
    can be shown of them: the secret is not kept, only its first characters."""
    return await CalendarToken.filter(user_id=user_id, revoked_at__isnull=True).prefetch_related("schedule").order_by("id")


async def feed_for(secret: str, now: datetime) -> CalendarToken | None:
    """The live feed whose secret this is, or None (unknown, revoked, or its owner deactivated). Feeds do not expire,
    ``now`` is taken like every engine entry point so that one could be added."""
    if not secret:
        return None
    token_hash = digest(secret)
    token = await CalendarToken.get_or_none(token_hash=token_hash, user__active=True)  # a deactivated owner's feeds end
    if token is None or not digests_match(token.token_hash, token_hash):
        return None
    return None if token.revoked_at is not None else token


# ------------------------------------------------------------------ shifts


def feed_window(now: datetime) -> tuple[datetime, datetime]:
    """[start of the UTC day 30 days ago, start of the UTC day after the one 180 days ahead)."""
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=DAYS_BEFORE), day + timedelta(days=DAYS_AFTER + 1)


async def schedules_naming(user_id: int, start: datetime, until: datetime) -> list[int]:
    """Schedules whose layers, static shifts or overrides name the user within [start, until)."""
    found: set[int] = set()
    layers = await ScheduleLayer.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gt=start), starts_on__lt=until
    ).values_list("schedule_id", "user_ids")
    for schedule_id, user_ids in layers:
        if user_id in {int(u) for u in user_ids or ()}:
            found.add(int(schedule_id))
    for model in (StaticShiftRow, ScheduleOverride):
        rows = await model.filter(user_id=user_id, end__gt=start, start__lt=until).values_list("schedule_id", flat=True)
        found.update(int(sid) for sid in rows)
    return sorted(found)


async def user_names(user_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    return {int(uid): str(name) for uid, name in await User.filter(id__in=ids).values_list("id", "name")}


async def user_feed(user_id: int, start: datetime, until: datetime) -> tuple[str, list[FeedEvent]]:
    """The user's own shifts across every schedule, and the calendar's name."""
    user = await User.get(id=user_id)
    schedule_ids = await schedules_naming(user_id, start, until)
    specs = await load_schedule_specs(schedule_ids)
    names = dict(await Schedule.filter(id__in=schedule_ids).values_list("id", "name"))
    events: list[FeedEvent] = []
    for sid in sorted(specs):
        title = f"On call: {names[sid]}"
        shifts = final_shifts(specs[sid], start, until)
        events += [FeedEvent(sid, user_id, s.start, s.end, title) for s in shifts if s.user_id == user_id]
    events.sort(key=lambda e: (e.start, e.schedule_id))
    return f"{user.name}: on-call shifts", events


async def schedule_feed(schedule_id: int, start: datetime, until: datetime) -> tuple[str, list[FeedEvent]]:
    """Everyone's shifts in one schedule, and the calendar's name."""
    schedule = await Schedule.get(id=schedule_id)
    specs = await load_schedule_specs([schedule_id])
    shifts = final_shifts(specs[schedule_id], start, until)
    names = await user_names(s.user_id for s in shifts)
    events = [
        FeedEvent(schedule_id, s.user_id, s.start, s.end, f"{names.get(s.user_id, f'User #{s.user_id}')} on call")
        for s in shifts
    ]
    return f"{schedule.name}: on call", events


async def render_ics(token: CalendarToken, now: datetime) -> str:
    """The feed's VCALENDAR text for ``now``."""
    start, until = feed_window(now)
    if token.schedule_id is None:  # type: ignore[attr-defined]
        name, events = await user_feed(token.user_id, start, until)  # type: ignore[attr-defined]
    else:
        name, events = await schedule_feed(token.schedule_id, start, until)  # type: ignore[attr-defined]
    return build_calendar(name, events, now)


# --------------------------------------------------------------------- ICS

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def escape_text(value: str) -> str:
    """An RFC 5545 TEXT value: backslash, semicolon, comma and newlines escaped, other control
    characters (not allowed in TEXT) dropped."""
    text = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return _CONTROL.sub("", text)


def fold_line(line: str) -> str:
    """Fold a content line into physical lines of at most 75 octets (continuations start with
    one space, which counts), never inside a UTF-8 sequence."""
    if len(line.encode()) <= MAX_OCTETS:
        return line
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        width = len(char.encode())
        if size + width > MAX_OCTETS:
            pieces.append("".join(current))
            current, size = [], 1  # the leading space of the continuation
        current.append(char)
        size += width
    pieces.append("".join(current))
    return "\r\n ".join(pieces)


def format_utc(at: datetime) -> str:
    """A DATE-TIME in UTC form (``20260310T153000Z``); sub-second parts are dropped."""
    t = at.astimezone(UTC)
    return f"{t.year:04d}{t.month:02d}{t.day:02d}T{t.hour:02d}{t.minute:02d}{t.second:02d}Z"


def event_uid(event: FeedEvent) -> str:
    """Stable per (schedule, user, start), so a refreshed feed updates events in place."""
    return f"{event.schedule_id}-{event.user_id}-{int(event.start.timestamp())}@pagerline"


def event_lines(event: FeedEvent, stamp: str) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{event_uid(event)}",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{format_utc(event.start)}",
        f"DTEND:{format_utc(event.end)}",
        f"SUMMARY:{escape_text(event.summary)}",
        "END:VEVENT",
    ]


def calendar_lines(name: str, events: Sequence[FeedEvent], now: datetime) -> list[str]:
    stamp = format_utc(now)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        f"NAME:{escape_text(name)}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for event in events:
        lines += event_lines(event, stamp)
    lines.append("END:VCALENDAR")
    return lines


def build_calendar(name: str, events: Sequence[FeedEvent], now: datetime) -> str:
    """The whole VCALENDAR object, folded, with CRLF after every line."""
    return "".join(fold_line(line) + "\r\n" for line in calendar_lines(name, events, now))
