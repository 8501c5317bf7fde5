"""Calendar feeds: the ICS lists exactly the schedule engine's final shifts for the feed's window
(a schedule feed, and a user feed across schedules with layers, overrides and static shifts), it is
valid RFC 5545 (parsed by the icalendar package, CRLF, folded at 75 octets, escaped text), and feed
secrets are stored as digests, refused once revoked and good for nothing else."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest

from pagerline.engine.people.accounts import authenticate, create_token, create_user
from pagerline.engine.schedules.calendars import create_feed, feed_for, feed_window, fold_line, render_ics, revoke_feed
from pagerline.engine.core.errors import NotFound
from pagerline.engine.schedules.oncall import load_schedule_specs
from pagerline.engine.schedules.math import Shift, final_shifts
from pagerline.models import (
    Schedule,
    ScheduleKind,
    ScheduleLayer,
    ScheduleOverride,
    StaticShift,
    TokenKind,
    User,
)
from pagerline.models.calendars import CalendarToken
from pagerline.security import digest

NOW = datetime(2026, 3, 10, 15, 30, 7, 250_000, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
STATIC_NAME = "Database, storage; backups \\ on-call\nsecond line"

# (uid, start, end, summary) of each VEVENT
Row = tuple[str, datetime, datetime, str]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


class World:
    alice: User
    bob: User
    carol: User
    primary: Schedule  # RECURRING, two layers and overrides
    static: Schedule  # STATIC, shifts crossing both ends of the window
    web: Schedule  # RECURRING, Alice only in an override
    other: Schedule  # Carol only


async def make_world() -> World:
    w = World()
    w.alice = await create_user("alice@cal.test", "Alice")
    w.bob = await create_user("bob@cal.test", "Bob")
    w.carol = await create_user("carol@cal.test", "Carol")
    a, b, c = w.alice.id, w.bob.id, w.carol.id

    w.primary = await Schedule.create(name="Primary", timezone="Europe/Berlin", kind=ScheduleKind.RECURRING)
    await ScheduleLayer.create(
        schedule=w.primary, position=0, starts_on=datetime(2026, 1, 5, 9, 0, tzinfo=BERLIN),
        rotation="P7D", user_ids=[a, b],
    )
    await ScheduleLayer.create(  # weekends: Carol, over the weekly rotation
        schedule=w.primary, position=1, starts_on=datetime(2026, 1, 3, tzinfo=BERLIN), rotation="P1D",
        user_ids=[c], restrictions=[{"start_day": 5, "start_time": "00:00", "end_day": 0, "end_time": "00:00"}],
    )
    await ScheduleOverride.create(schedule=w.primary, user_id=c, start=utc(2026, 3, 11, 10), end=utc(2026, 3, 11, 18))
    await ScheduleOverride.create(schedule=w.primary, user_id=a, start=utc(2026, 3, 24, 8), end=utc(2026, 3, 25, 8))

    w.static = await Schedule.create(name=STATIC_NAME, timezone="UTC", kind=ScheduleKind.STATIC)
    for user_id, start, end in [
        (a, utc(2026, 1, 1), utc(2026, 2, 15)),  # crosses the window's start
        (a, utc(2026, 3, 2), utc(2026, 3, 20)),
        (b, utc(2026, 3, 20), utc(2026, 4, 1)),
        (a, utc(2026, 8, 30), utc(2026, 9, 30)),  # crosses the window's end
        (b, utc(2025, 6, 1), utc(2025, 7, 1)),  # before the window
    ]:
        await StaticShift.create(schedule=w.static, user_id=user_id, start=start, end=end)
    await ScheduleOverride.create(schedule=w.static, user_id=c, start=utc(2026, 3, 5), end=utc(2026, 3, 6))

    w.web = await Schedule.create(name="Web", timezone="UTC")
    await ScheduleLayer.create(schedule=w.web, position=0, starts_on=utc(2026, 1, 1), rotation="P1D", user_ids=[b])
    await ScheduleOverride.create(schedule=w.web, user_id=a, start=utc(2026, 4, 1), end=utc(2026, 4, 2, 6))

    w.other = await Schedule.create(name="Other", timezone="UTC")
    await ScheduleLayer.create(schedule=w.other, position=0, starts_on=utc(2026, 1, 1), rotation="PT12H", user_ids=[c])
    return w


async def window_shifts(schedule: Schedule) -> list[Shift]:
    specs = await load_schedule_specs([schedule.id])
    return final_shifts(specs[schedule.id], *feed_window(NOW))


def uid(schedule: Schedule, shift: Shift) -> str:
    return f"{schedule.id}-{shift.user_id}-{int(shift.start.timestamp())}@pagerline"


def physical_lines(text: str) -> list[bytes]:
    """The raw lines, checked: CRLF only, at most 75 octets, each valid UTF-8 on its own."""
    raw = text.encode()
    assert raw.endswith(b"\r\n")
    lines = raw[:-2].split(b"\r\n")
    for line in lines:
        assert b"\r" not in line and b"\n" not in line, line
        assert len(line) <= 75, (len(line), line)
        line.decode()  # a fold never splits a UTF-8 sequence
    return lines


def parse(text: str) -> tuple[icalendar.Calendar, list[Row]]:
    physical_lines(text)
    calendar = icalendar.Calendar.from_ical(text)
    rows = [
        (str(ev["UID"]), ev.decoded("DTSTART"), ev.decoded("DTEND"), str(ev["SUMMARY"]))
        for ev in calendar.walk("VEVENT")
    ]
    return calendar, rows


def calendar_name(calendar: icalendar.Calendar) -> str:
    """X-WR-CALNAME as TEXT (icalendar leaves this property escaped)."""
    raw = str(calendar["X-WR-CALNAME"])
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), raw)


def content_lines(text: str) -> list[str]:
    """Unfolded content lines."""
    return text.replace("\r\n ", "").split("\r\n")[:-1]


async def ics_for(user: User, schedule: Schedule | None, now: datetime = NOW) -> str:
    token, secret = await create_feed(user.id, schedule.id if schedule else None, now)
    found = await feed_for(secret, now)
    assert found is not None and found.id == token.id
    return await render_ics(found, now)


def test_window_is_whole_utc_days_from_30_days_back_to_180_ahead() -> None:
    assert feed_window(NOW) == (utc(2026, 2, 8), utc(2026, 9, 7))
    assert feed_window(NOW.astimezone(ZoneInfo("Pacific/Auckland"))) == feed_window(NOW)


async def test_schedule_feed_lists_exactly_the_final_shifts(db: str) -> None:
    w = await make_world()
    names = {w.alice.id: "Alice", w.bob.id: "Bob", w.carol.id: "Carol"}
    text = await ics_for(w.bob, w.primary)
    calendar, rows = parse(text)

    shifts = await window_shifts(w.primary)
    expected = [(uid(w.primary, s), s.start, s.end, f"{names[s.user_id]} on call") for s in shifts]
    assert rows == expected
    # The data exercise what they should: both layers, an override, a shift clipped by the window.
    assert {s.source for s in shifts} == {"layer", "override"}
    assert {s.layer_index for s in shifts if s.source == "layer"} == {0, 1}
    assert shifts[0].start == feed_window(NOW)[0] and shifts[-1].end == feed_window(NOW)[1]
    assert len(rows) == len({r[0] for r in rows})  # UIDs are unique

    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["PRODID"]).startswith("-//pagerline//")
    assert calendar_name(calendar) == "Primary: on call"
    lines = content_lines(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert lines.count("DTSTAMP:20260310T153007Z") == len(rows)
    assert all(re.fullmatch(r"DT(START|END):\d{8}T\d{6}Z", x) for x in lines if x.startswith(("DTSTART", "DTEND")))


async def test_user_feed_lists_only_that_users_shifts_across_schedules(db: str) -> None:
    w = await make_world()
    text = await ics_for(w.alice, None)
    calendar, rows = parse(text)

    expected: list[Row] = []
    for schedule in (w.primary, w.static, w.web, w.other):
        title = f"On call: {schedule.name}"
        expected += [(uid(schedule, s), s.start, s.end, title) for s in await window_shifts(schedule) if s.user_id == w.alice.id]
    assert sorted(rows, key=lambda r: (r[1], r[0])) == sorted(expected, key=lambda r: (r[1], r[0]))
    # Alice is in a rotation (Primary), static shifts (clipped at both ends) and only an override (Web).
    assert {r[3] for r in rows} == {"On call: Primary", f"On call: {STATIC_NAME}", "On call: Web"}
    starts = {r[1] for r in rows}
    assert {feed_window(NOW)[0], utc(2026, 3, 24, 8), utc(2026, 4, 1)} <= starts
    assert max(r[2] for r in rows) == feed_window(NOW)[1]
    assert calendar_name(calendar) == "Alice: on-call shifts"

    # Carol's feed: her weekends and overrides in Primary, Static's override, all of Other.
    _, carol_rows = parse(await ics_for(w.carol, None))
    assert {r[3] for r in carol_rows} == {"On call: Primary", f"On call: {STATIC_NAME}", "On call: Other"}


async def test_uids_stay_the_same_through_the_day(db: str) -> None:
    w = await make_world()
    token, _ = await create_feed(w.alice.id, None, NOW)
    _, morning = parse(await render_ics(token, NOW))
    _, evening = parse(await render_ics(token, NOW + timedelta(hours=8)))
    assert morning == evening


async def test_text_is_escaped_and_long_lines_fold_at_75_octets(db: str) -> None:
    w = await make_world()
    long_name = ("Überwachung der Zahlungsdienste – 東京 und Frankfurt, Bereitschaft; Wochenende " * 2).strip()
    schedule = await Schedule.create(name=long_name, timezone="UTC", kind=ScheduleKind.STATIC)
    await StaticShift.create(schedule=schedule, user=w.alice, start=utc(2026, 3, 1), end=utc(2026, 3, 8))

    text = await ics_for(w.alice, schedule)
    raw = physical_lines(text)
    assert any(line.startswith(b" ") for line in raw)  # folded
    assert max(len(line) for line in raw) > 70  # and not folded early
    calendar, rows = parse(text)
    assert calendar_name(calendar) == f"{long_name}: on call"
    assert [r[3] for r in rows] == ["Alice on call"]

    _, mine = parse(await ics_for(w.alice, None))
    assert f"On call: {long_name}" in {r[3] for r in mine}
    assert f"On call: {STATIC_NAME}" in {r[3] for r in mine}  # , ; \ and a newline round-trip
    static_text = await ics_for(w.alice, w.static)
    calname = next(x for x in content_lines(static_text) if x.startswith("X-WR-CALNAME:"))
    assert calname == "X-WR-CALNAME:Database\\, storage\\; backups \\\\ on-call\\nsecond line: on call"


@pytest.mark.parametrize("line", ["SUMMARY:" + "x" * 200, "SUMMARY:" + "é" * 100, "SUMMARY:" + "東" * 70, "SHORT:ok"])
def test_fold_line_unfolds_back(line: str) -> None:
    folded = fold_line(line)
    for piece in folded.encode().split(b"\r\n"):
        assert len(piece) <= 75
        piece.decode()
    assert folded.replace("\r\n ", "") == line
    if len(line.encode()) > 75:
        assert len(folded.encode().split(b"\r\n")[0]) >= 73  # filled, not folded early


async def test_stored_hash_is_not_the_secret(db: str) -> None:
    w = await make_world()
    token, secret = await create_feed(w.alice.id, w.primary.id, NOW)
    row: dict[str, Any] = (await CalendarToken.filter(id=token.id).values())[0]
    assert secret.startswith("plc_") and len(secret) >= 36
    assert row["token_hash"] == digest(secret) != secret
    assert row["token_prefix"] == secret[:12]
    assert not any(isinstance(v, str) and secret in v for v in row.values())
    assert row["user_id"] == w.alice.id and row["schedule_id"] == w.primary.id
    assert row["created_at"] == NOW and row["revoked_at"] is None
    _, other = await create_feed(w.alice.id, w.primary.id, NOW)
    assert other != secret


async def test_revoked_and_unknown_tokens_are_refused(db: str) -> None:
    w = await make_world()
    token, secret = await create_feed(w.alice.id, None, NOW)
    assert await feed_for("plc_" + "A" * 32, NOW) is None
    assert await feed_for("", NOW) is None
    with pytest.raises(NotFound):  # only the owner may revoke
        await revoke_feed(w.bob.id, token.id, NOW)
    assert await feed_for(secret, NOW) is not None

    later = NOW + timedelta(minutes=5)
    await revoke_feed(w.alice.id, token.id, later)
    assert await feed_for(secret, later) is None
    assert await feed_for(secret, later + timedelta(days=1)) is None
    await revoke_feed(w.alice.id, token.id, later + timedelta(hours=1))  # again: keeps the first time
    assert (await CalendarToken.get(id=token.id)).revoked_at == later
    with pytest.raises(NotFound):
        await revoke_feed(w.alice.id, token.id + 1000, NOW)


async def test_a_feed_secret_is_no_bearer_token_and_a_bearer_token_no_feed(db: str) -> None:
    w = await make_world()
    _, feed_secret = await create_feed(w.alice.id, None, NOW)
    _, api_secret = await create_token(w.alice.id, TokenKind.API, NOW)
    assert await authenticate(feed_secret, NOW) is None
    assert await feed_for(api_secret, NOW) is None


async def test_feeds_need_a_real_user_and_schedule(db: str) -> None:
    w = await make_world()
    with pytest.raises(NotFound):
        await create_feed(w.alice.id, w.primary.id + 1000, NOW)
    with pytest.raises(NotFound):
        await create_feed(w.alice.id + 1000, None, NOW)
    assert await CalendarToken.all().count() == 0
