"""The widget feed, on SQLite and PostgreSQL: the timeline holds exactly the changes of the
viewer's on-call state (across a handoff, an override, a coverage request taking part of a
shift, a gap and a daylight-saving change), the ETag stays while nothing the widget shows
changes, the selected policy levels decide what counts, and a user on five schedules costs at
most three statements and under 4 KB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pagerline.engine.schedules import coverage
from pagerline.engine.people.accounts import create_user
from pagerline.engine.alerts.transitions import accept_alert
from pagerline.engine.core.errors import BadInput
from pagerline.engine.sources.intake import EventInput, ingest_event
from pagerline.engine.schedules.editing import create_override
from pagerline.engine.sources.lookup import SourceInfo, create_source, find_source_by_key
from pagerline.models import (
    Alert,
    EscalationPolicy,
    EscalationRule,
    IntegrationType,
    Priority,
    Role,
    Schedule,
    ScheduleKind,
    ScheduleLayer,
    StaticShift,
    User,
)
from pagerline.widgets.feed import build_feed, compact_json, document, etag
from pagerline.widgets.levels import parse_levels
from tests.support.queries import count_statements

# A daily rotation handing off at 09:00 UTC: Alice on the 26th, Bob on the 27th, Alice again...
DAY0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
NOON = DAY0.replace(hour=12)
PUBLIC = "https://pagerline.example"


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


async def people() -> tuple[User, User, User]:
    alice = await create_user("alice@feed.test", "Alice", "pw-secret", Role.USER, "UTC", ["Ops"])
    bob = await create_user("bob@feed.test", "Bob", "pw-secret", Role.USER, "UTC", ["Ops"])
    carol = await create_user("carol@feed.test", "Carol", "pw-secret", Role.USER, "UTC", ["Ops"])
    return alice, bob, carol


async def rotation(user_ids: list[int], name: str = "Primary", timezone: str = "UTC", starts_on: datetime = DAY0) -> Schedule:
    schedule = await Schedule.create(name=name, timezone=timezone, kind=ScheduleKind.RECURRING)
    await ScheduleLayer.create(schedule=schedule, position=0, starts_on=starts_on, rotation="P1D", user_ids=user_ids)
    return schedule


async def policy(name: str, *levels: tuple[list[Schedule], list[User]]) -> EscalationPolicy:
    row = await EscalationPolicy.create(name=name)
    for position, (schedules, users) in enumerate(levels):
        rule = await EscalationRule.create(policy=row, position=position, timeout_minutes=10)
        for schedule in schedules:
            await rule.schedules.add(schedule)
        for user in users:
            await rule.users.add(user)
    return row


async def api_source(owner: EscalationPolicy) -> SourceInfo:
    _, key = await create_source(f"{owner.name} API", owner.id, IntegrationType.API, Priority.HIGH)
    found = await find_source_by_key(key)
    assert found is not None
    return found


async def feed_of(user: User, now: datetime, levels: list[str] | None = None) -> dict[str, Any]:
    fresh = await User.get(id=user.id)
    return document(await build_feed(fresh, now, public_url=PUBLIC, levels=parse_levels(levels)))


def changes(doc: dict[str, Any]) -> list[tuple[str, bool, list[str]]]:
    return [(e["at"], e["onCall"], e["through"]["schedules"]) for e in doc["timeline"]]


def iso(at_: datetime) -> str:
    return at_.isoformat()


async def test_handoff_and_back_to_back_shifts(db: str) -> None:
    alice, bob, _ = await people()
    primary = await rotation([alice.id, alice.id, bob.id])  # Alice 26th and 27th, Bob 28th
    sid = str(primary.id)

    doc = await feed_of(alice, NOON)
    assert doc["onCall"] is True and doc["through"] == {"schedules": [sid], "levels": []}
    # Her two days in a row are one stretch: no entry at the 27th's handoff to herself.
    assert changes(doc) == [(iso(at(28, 9)), False, [])]
    assert doc["shift"]["endsAt"] == iso(at(28, 9))
    assert doc["shift"]["secondsLeft"] == int((at(28, 9) - NOON).total_seconds())
    assert doc["nextShift"] == {"startsAt": iso(at(29, 9)), "endsAt": iso(at(1, 9, month=12))}
    assert doc["schedules"] == [{"id": sid, "name": "Primary"}]
    assert doc["coverage"] == {
        "app": f"pagerline://coverage/request?end=2026-11-28T09:00:00Z&schedules={sid}",
        "web": f"{PUBLIC}/#/coverage/request?end=2026-11-28T09:00:00Z&schedules={sid}",
    }

    doc = await feed_of(bob, NOON)
    assert doc["onCall"] is False and doc["shift"] is None
    assert changes(doc) == [(iso(at(28, 9)), True, [sid])]
    assert doc["nextShift"] == {"startsAt": iso(at(28, 9)), "endsAt": iso(at(29, 9))}
    assert doc["coverage"]["app"] == f"pagerline://coverage/request?start=2026-11-28T09:00:00Z&end=2026-11-29T09:00:00Z&schedules={sid}"
    assert doc["refreshAfter"] == 15 * 60  # the next change is days away: the cap


async def test_an_override_cuts_the_shift_and_the_timeline_follows(db: str) -> None:
    alice, bob, _ = await people()
    primary = await rotation([alice.id, bob.id])
    sid = str(primary.id)
    await create_override(alice, primary.id, bob.id, at(26, 14), at(26, 16), now=NOON)

    alice_doc = await feed_of(alice, NOON)
    assert changes(alice_doc) == [
        (iso(at(26, 14)), False, []),
        (iso(at(26, 16)), True, [sid]),
        (iso(at(27, 9)), False, []),
        (iso(at(28, 9)), True, [sid]),
    ]
    assert alice_doc["shift"]["endsAt"] == iso(at(26, 14))
    assert alice_doc["nextShift"] == {"startsAt": iso(at(26, 16)), "endsAt": iso(at(27, 9))}
    assert alice_doc["refreshAfter"] == 15 * 60
    # Bob's override (16:00 → his own day from 09:00 on the 27th) are two stretches.
    assert changes(await feed_of(bob, NOON)) == [
        (iso(at(26, 14)), True, [sid]),
        (iso(at(26, 16)), False, []),
        (iso(at(27, 9)), True, [sid]),
        (iso(at(28, 9)), False, []),
    ]
    # Close to a change, the widget is told to come back exactly then.
    assert (await feed_of(alice, at(26, 13, 55)))["refreshAfter"] == 300


async def test_a_coverage_request_taking_part_of_a_shift(db: str) -> None:
    alice, bob, _ = await people()
    primary = await rotation([alice.id, bob.id])
    sid = str(primary.id)
    request = await coverage.request_coverage(alice.id, at(26, 18), at(26, 22), NOON, "dinner", recipient_ids=[bob.id])
    await coverage.accept_coverage(request.id, bob.id, NOON)

    assert changes(await feed_of(alice, NOON)) == [
        (iso(at(26, 18)), False, []),
        (iso(at(26, 22)), True, [sid]),  # she keeps the rest of her shift
        (iso(at(27, 9)), False, []),
        (iso(at(28, 9)), True, [sid]),
    ]
    assert changes(await feed_of(bob, NOON)) == [
        (iso(at(26, 18)), True, [sid]),
        (iso(at(26, 22)), False, []),
        (iso(at(27, 9)), True, [sid]),
        (iso(at(28, 9)), False, []),
    ]


async def test_gaps_and_overlapping_schedules(db: str) -> None:
    alice, _, _ = await people()
    ops = await Schedule.create(name="Ops", timezone="UTC", kind=ScheduleKind.STATIC)
    db_ = await Schedule.create(name="Database", timezone="UTC", kind=ScheduleKind.STATIC)
    for schedule, start, end in ((ops, at(26, 13), at(26, 15)), (db_, at(26, 14), at(26, 16)), (ops, at(26, 20), at(26, 21))):
        await StaticShift.create(schedule=schedule, user=alice, start=start, end=end)

    doc = await feed_of(alice, NOON)
    assert doc["onCall"] is False
    # Still on call at 15:00, but through another schedule: the widget shows which, so it is an entry.
    assert changes(doc) == [
        (iso(at(26, 13)), True, [str(ops.id)]),
        (iso(at(26, 14)), True, [str(ops.id), str(db_.id)]),
        (iso(at(26, 15)), True, [str(db_.id)]),
        (iso(at(26, 16)), False, []),  # the gap
        (iso(at(26, 20)), True, [str(ops.id)]),
        (iso(at(26, 21)), False, []),
    ]
    # The next stretch runs across both schedules.
    assert doc["nextShift"] == {"startsAt": iso(at(26, 13)), "endsAt": iso(at(26, 16))}
    assert {s["name"] for s in doc["schedules"]} == {"Ops", "Database"}
    # Inside the stretch: it ends when the last schedule lets go, not at the first handoff.
    inside = await feed_of(alice, at(26, 13, 30))
    assert inside["shift"]["endsAt"] == iso(at(26, 16))
    assert inside["coverage"]["app"].endswith(f"schedules={ops.id},{db_.id}")


async def test_a_daylight_saving_change(db: str) -> None:
    """Berlin springs forward on 2026-03-29: the 09:00 handoff moves from 08:00 to 07:00 UTC."""
    alice, bob, _ = await people()
    berlin = await rotation([alice.id, bob.id], "Berlin", "Europe/Berlin", datetime(2026, 3, 27, 8, 0, tzinfo=UTC))
    now = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)  # Alice's Friday
    sid = str(berlin.id)
    assert changes(await feed_of(alice, now)) == [
        ("2026-03-28T08:00:00+00:00", False, []),  # Saturday 09:00 CET
        ("2026-03-29T07:00:00+00:00", True, [sid]),  # Sunday 09:00 CEST
    ]
    assert changes(await feed_of(bob, now)) == [
        ("2026-03-28T08:00:00+00:00", True, [sid]),
        ("2026-03-29T07:00:00+00:00", False, []),  # a 23-hour shift
    ]


async def test_etag_holds_until_something_shown_changes(db: str) -> None:
    alice, bob, _ = await people()
    primary = await rotation([alice.id, bob.id])
    first = await feed_of(alice, NOON)
    later = await feed_of(alice, NOON + timedelta(minutes=7))
    assert later["shift"]["secondsLeft"] != first["shift"]["secondsLeft"]  # the clock moved...
    assert etag(later) == etag(first)  # ...and nothing the widget shows did

    await create_override(alice, primary.id, bob.id, at(26, 20), at(26, 21), now=NOON)
    overridden = await feed_of(alice, NOON)
    assert etag(overridden) != etag(first)
    # Passing a change moves it from the timeline into the current state: a new ETag.
    assert etag(await feed_of(alice, at(26, 20, 1))) != etag(overridden)


async def test_selected_levels_decide_what_counts(db: str) -> None:
    alice, bob, carol = await people()
    primary = await rotation([alice.id, bob.id])
    ops = await policy("Ops", ([primary], []), ([], [carol]))  # level 1: the schedule; level 2: Carol
    backstop = await policy("Backstop", ([], [alice]))  # Alice named directly at level 1

    # Without a selection a rule naming Alice pages her at any time: on call with no end.
    doc = await feed_of(alice, NOON)
    assert doc["onCall"] is True and doc["shift"] == {"endsAt": None, "secondsLeft": None}
    assert doc["through"] == {"schedules": [str(primary.id)], "levels": [f"{ops.id}:1", f"{backstop.id}:1"]}
    # Still on call when the schedule hands over, only through fewer routes.
    assert changes(doc) == [(iso(at(27, 9)), True, []), (iso(at(28, 9)), True, [str(primary.id)])]
    assert [e["through"]["levels"] for e in doc["timeline"]] == [[f"{backstop.id}:1"], [f"{ops.id}:1", f"{backstop.id}:1"]]
    assert doc["nextShift"] is None
    assert {p["name"] for p in doc["policies"]} == {"Ops", "Backstop"}

    # Only Ops' first level counts: the schedule decides again.
    only_ops = await feed_of(alice, NOON, [f"{ops.id}:1"])
    assert only_ops["levels"] == [f"{ops.id}:1"]
    assert only_ops["through"] == {"schedules": [str(primary.id)], "levels": [f"{ops.id}:1"]}
    assert changes(only_ops) == [(iso(at(27, 9)), False, []), (iso(at(28, 9)), True, [str(primary.id)])]
    # Level 2 of every policy: Carol is on call around the clock, Alice never.
    assert (await feed_of(carol, NOON, ["2"]))["onCall"] is True
    assert (await feed_of(alice, NOON, ["2"]))["onCall"] is False
    # A schedule used by no selected level does not count.
    assert (await feed_of(bob, at(27, 10), [f"{backstop.id}:1"]))["onCall"] is False
    for bad in (["0"], ["x"], ["1:"], [":1"], ["1:2:3"], ["100"], [",".join(["1"] * 51)]):
        with pytest.raises(BadInput):
            parse_levels(bad)
    assert parse_levels(["", " "]) is None and parse_levels(["2,1", "7:1"]).canonical() == ("1", "2", "7:1")  # type: ignore[union-attr]


async def test_alert_counts_are_what_the_viewer_is_responsible_for_now(db: str) -> None:
    alice, bob, _ = await people()
    primary = await rotation([alice.id, bob.id])
    ops = await policy("Ops", ([primary], []))
    source = await api_source(ops)
    for key, priority in (("a", Priority.HIGH), ("b", Priority.HIGH), ("c", Priority.LOW)):
        await ingest_event(source, EventInput("ALERT", summary=key, alert_key=key, priority=priority), NOON)
    accepted = await Alert.get(alert_key="b")
    await accept_alert(accepted.id, bob.id, NOON)

    assert (await feed_of(alice, NOON))["alerts"] == {"pending": {"high": 1, "low": 1}, "accepted": {"high": 1, "low": 0}}
    # Bob is off call: only the alert he accepted himself is his.
    assert (await feed_of(bob, NOON))["alerts"] == {"pending": {"high": 0, "low": 0}, "accepted": {"high": 1, "low": 0}}
    assert (await feed_of(bob, at(27, 10)))["alerts"] == {"pending": {"high": 1, "low": 1}, "accepted": {"high": 1, "low": 0}}


async def test_muted_until_shows_while_muted(db: str) -> None:
    alice, _, _ = await people()
    await User.filter(id=alice.id).update(muted_until=NOON + timedelta(minutes=5))
    doc = await feed_of(alice, NOON)
    assert doc["mutedUntil"] == iso(NOON + timedelta(minutes=5)) and doc["refreshAfter"] == 300
    assert (await feed_of(alice, NOON + timedelta(minutes=6)))["mutedUntil"] is None


async def test_five_schedules_cost_three_statements_and_under_4kb(db: str) -> None:
    alice, bob, carol = await people()
    schedules = []
    for i, rotation_length in enumerate(("PT8H", "PT12H", "P1D", "P1D", "P7D")):
        schedule = await Schedule.create(name=f"Team {i} on-call rotation", timezone="Europe/Berlin")
        await ScheduleLayer.create(
            schedule=schedule, position=0, starts_on=DAY0 - timedelta(hours=i), rotation=rotation_length,
            user_ids=[alice.id, bob.id, carol.id][: 2 + i % 2],
        )
        schedules.append(schedule)
        await create_override(alice, schedule.id, alice.id, at(27, 1 + i), at(27, 3 + i), now=NOON)
    ops = await policy("Ops", (schedules[:3], []), (schedules[3:], [bob]))
    source = await api_source(ops)
    await ingest_event(source, EventInput("ALERT", summary="disk", alert_key="disk"), NOON)
    await rotation([bob.id])  # a schedule Alice is not on: not read

    user = await User.get(id=alice.id)
    with count_statements() as log:
        feed = await build_feed(user, NOON, public_url=PUBLIC)
    assert log.count <= 3, log.statements
    body = compact_json(document(feed))
    assert len(body) < 4096, len(body)
    assert len(document(feed)["timeline"]) >= 10  # a busy two days, still small
