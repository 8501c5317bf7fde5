"""The PagerDuty reader's translation, piece by piece: restrictions as weekly windows, layers whose
start is not a handoff (past, to come, on a skipped wall-clock time), the order of layers, policies,
integrations and the on-call spans. The layer cases are checked the strong way too: pagerline's
schedule engine, fed the translated layers, puts the same person on call at every instant as the
fake PagerDuty's own rendering of the original layers (tests/fakes/pagerduty_api.py)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from pagerline.engine.schedules.math import Layer, Override, ScheduleSpec, WeeklyWindow as MathWindow, compile_schedule
from pagerline.importers.model import ImportLayer, ImportSourceError, LeftOut, OnCallSpan, WeeklyWindow
from pagerline.importers.pagerduty import (
    PagerDutyReader,
    _policy,
    events_endpoint,
    fill_gaps,
    layers_listed_highest_first,
    restriction_windows,
    translate_integration,
    translate_layer,
)
from pagerline.importers.plan import rotation_text
from tests.fakes.pagerduty_api import (
    daily_restriction,
    integration_object,
    layer_object,
    override_object,
    policy_object,
    render,
    rule_object,
    schedule_object,
    user_object,
    weekly_restriction,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
A = user_object("PA", "Ann", "ann@example.com")
B = user_object("PB", "Ben", "ben@example.com")
C = user_object("PC", "Cat", "cat@example.com")
NUMBER = {"PA": 1, "PB": 2, "PC": 3}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# ------------------------------------------------------------------ restrictions


def test_a_daily_restriction_is_seven_windows_and_may_cross_midnight() -> None:
    assert restriction_windows([daily_restriction("18:00:00", 14 * 3600)]) == (
        tuple(WeeklyWindow(day, "18:00", (day + 1) % 7, "08:00") for day in range(7)), None)


def test_a_weekly_restriction_may_cross_the_end_of_the_week() -> None:
    assert restriction_windows([weekly_restriction(7, "22:00:00", 10 * 3600)]) == ((WeeklyWindow(6, "22:00", 0, "08:00"),), None)
    assert restriction_windows([weekly_restriction(1, "00:00:00", 5 * 86400)]) == ((WeeklyWindow(0, "00:00", 5, "00:00"),), None)


def test_a_restriction_covering_everything_is_no_restriction() -> None:
    assert restriction_windows([weekly_restriction(1, "09:00:00", 3600), daily_restriction("00:00:00", 86400)]) == ((), None)
    assert restriction_windows([weekly_restriction(3, "09:00:00", 7 * 86400)]) == ((), None)
    assert restriction_windows([]) == ((), None)


def test_restrictions_pagerline_cannot_write_are_refused_with_why() -> None:
    assert "not on whole minutes" in str(restriction_windows([daily_restriction("12:31:23", 3600)])[1])
    assert "not on whole minutes" in str(restriction_windows([daily_restriction("12:00:00", 3630)])[1])
    assert "not 1 (Monday) to 7 (Sunday)" in str(restriction_windows([weekly_restriction(0, "09:00:00", 3600)])[1])
    assert "'hourly_restriction' is not supported" in str(restriction_windows([{"type": "hourly_restriction", "start_time_of_day": "09:00:00", "duration_seconds": 60}])[1])


# ------------------------------------------------------------------ layers


def test_a_layer_starting_on_a_handoff_starts_there_with_that_turns_person_first() -> None:
    raw = layer_object("L", "Daily", start="2027-01-03T09:00:00+01:00", rotation_virtual_start="2027-01-01T09:00:00+01:00",
                       turn_seconds=86400, users=[A, B, C])
    assert translate_layer(raw, BERLIN, utc("2027-03-01T00:00")) == (
        [ImportLayer("L", "Daily", utc("2027-01-03T08:00"), 86400, ("PC", "PA", "PB"))], [])


def test_a_layer_that_is_over_is_skipped_and_one_without_users_reported() -> None:
    over = layer_object("L0", "Old", start="2026-01-01T00:00:00Z", end="2027-01-01T00:00:00Z",
                        rotation_virtual_start="2026-01-01T00:00:00Z", turn_seconds=86400, users=[A])
    assert translate_layer(over, BERLIN, utc("2027-03-01T00:00")) == ([], [])
    empty = {**over, "end": None, "users": []}
    assert translate_layer(empty, BERLIN, utc("2027-03-01T00:00"), schedule_name="S") == (
        [], [LeftOut("layer", "L0", "S: Old", "it has no users")])


def test_a_past_start_inside_a_turn_whose_handoff_the_clocks_skip_goes_back_to_a_real_handoff() -> None:
    # turn 1 of a 02:30 rotation would begin at 02:30 on 2027-03-28, which Berlin skips
    raw = layer_object("L", "Nights", start="2027-03-28T05:00:00+02:00", rotation_virtual_start="2027-03-27T02:30:00+01:00",
                       turn_seconds=86400, users=[A, B, C])
    assert translate_layer(raw, BERLIN, utc("2027-04-01T00:00")) == (
        [ImportLayer("L", "Nights", utc("2027-03-27T01:30"), 86400, ("PA", "PB", "PC"))], [])


def test_a_start_to_come_inside_a_turn_is_that_turn_alone_then_the_rotation() -> None:
    raw = layer_object("L", "Nights", start="2027-03-28T05:00:00+02:00", rotation_virtual_start="2027-03-27T02:30:00+01:00",
                       turn_seconds=86400, users=[A, B, C], restrictions=[daily_restriction("00:00:00", 12 * 3600)])
    morning = tuple(WeeklyWindow(day, "00:00", day, "12:00") for day in range(7))
    assert translate_layer(raw, BERLIN, utc("2027-03-20T00:00")) == ([
        ImportLayer("L#1", "Nights (first turn)", utc("2027-03-28T03:00"), 86400, ("PB",), utc("2027-03-29T00:30"), morning),
        ImportLayer("L", "Nights", utc("2027-03-29T00:30"), 86400, ("PC", "PA", "PB"), None, morning),
    ], [])


def test_a_start_to_come_on_a_skipped_handoff_is_not_used_as_the_rotations_start() -> None:
    # 2027-03-28T01:30Z is where 02:30 on that day would be: a turn begins there, but a layer
    # starting there would read its handoff time as 03:30
    raw = layer_object("L", "Nights", start="2027-03-28T03:30:00+02:00", rotation_virtual_start="2027-03-27T02:30:00+01:00",
                       turn_seconds=86400, users=[A, B])
    layers, _ = translate_layer(raw, BERLIN, utc("2027-03-20T00:00"))
    assert [(l.external_id, l.start, l.user_ids, l.end) for l in layers] == [
        ("L#1", utc("2027-03-28T01:30"), ("PB",), utc("2027-03-29T00:30")),
        ("L", utc("2027-03-29T00:30"), ("PA", "PB"), None),
    ]


def test_a_layer_ending_before_its_first_handoff_is_one_turn() -> None:
    raw = layer_object("L", "Short", start="2027-03-24T12:00:00Z", end="2027-03-24T20:00:00Z",
                       rotation_virtual_start="2027-03-01T00:00:00Z", turn_seconds=86400, users=[A, B])
    assert translate_layer(raw, ZoneInfo("UTC"), utc("2027-03-20T00:00")) == (
        [ImportLayer("L#1", "Short (first turn)", utc("2027-03-24T12:00"), 86400, ("PB",), utc("2027-03-24T20:00"))], [])


CASES: dict[str, tuple[dict[str, Any], datetime]] = {
    "02:30 rotation starting inside the turn whose handoff Berlin skips, past": (schedule_object("S", "S", "Europe/Berlin", [
        layer_object("L1", "Nights", start="2027-03-28T05:00:00+02:00", rotation_virtual_start="2027-03-27T02:30:00+01:00",
                     turn_seconds=86400, users=[A, B, C]),
    ]), utc("2027-04-01T00:00")),
    "the same, to come, restricted, under a weekend layer": (schedule_object("S", "S", "Europe/Berlin", [
        layer_object("L1", "Nights", start="2027-03-28T05:00:00+02:00", rotation_virtual_start="2027-03-27T02:30:00+01:00",
                     turn_seconds=86400, users=[A, B, C], restrictions=[daily_restriction("20:00:00", 13 * 3600)]),
        layer_object("L2", "Weekend", start="2027-01-02T00:00:00+01:00", rotation_virtual_start="2027-01-02T00:00:00+01:00",
                     turn_seconds=7 * 86400, users=[C, A], restrictions=[weekly_restriction(6, "08:00:00", 2 * 86400)]),
    ]), utc("2027-03-21T10:00")),
    "12-hour turns across New York's spring change, started inside a turn to come": (schedule_object("S", "S", "America/New_York", [
        layer_object("L1", "Halves", start="2027-03-13T15:00:00-05:00", rotation_virtual_start="2027-01-01T08:00:00-05:00",
                     turn_seconds=12 * 3600, users=[A, B, C], restrictions=[daily_restriction("06:00:00", 16 * 3600)]),
    ]), utc("2027-03-10T00:00")),
    "a weekly rotation over Berlin's fall change, Sunday night to Monday morning": (schedule_object("S", "S", "Europe/Berlin", [
        layer_object("L1", "Weekly", start="2027-10-20T12:00:00+02:00", rotation_virtual_start="2027-01-04T09:00:00+01:00",
                     turn_seconds=7 * 86400, users=[A, B],
                     restrictions=[weekly_restriction(7, "22:00:00", 10 * 3600), weekly_restriction(3, "12:00:00", 30 * 3600)]),
        layer_object("L2", "Days", start="2027-10-01T00:00:00+02:00", end="2027-10-22T00:00:00+02:00",
                     rotation_virtual_start="2027-10-01T00:00:00+02:00", turn_seconds=86400, users=[C]),
    ]), utc("2027-10-15T00:00")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_pagerlines_engine_agrees_with_pagerdutys_rendering_of_the_translated_layers(case: str) -> None:
    schedule, now = CASES[case]
    zone = ZoneInfo(schedule["time_zone"])
    overrides = [override_object("O1", _iso(now + timedelta(days=3, hours=5)), _iso(now + timedelta(days=3, hours=17)), B)]
    until = now + timedelta(weeks=4)
    layers: list[Layer] = []
    for raw in schedule["schedule_layers"]:
        made, missed = translate_layer(raw, zone, now)
        assert missed == []
        layers += [Layer(l.start, tuple(NUMBER[u] for u in l.user_ids), rotation_text(l.turn_seconds), l.end,
                         tuple(_math(w) for w in l.restrictions)) for l in made]
    spec = ScheduleSpec(schedule["time_zone"], layers=tuple(layers),
                        overrides=(Override(NUMBER["PB"], now + timedelta(days=3, hours=5), now + timedelta(days=3, hours=17)),))
    compiled = compile_schedule(spec)
    theirs = render(schedule, overrides, now, until).final
    instants = {now} | {t for s in compiled.final_shifts(now, until) for t in (s.start, s.end)} | {t for a, b, _ in theirs for t in (a, b)}
    disagreements = []
    for at in sorted(t for t in instants if now <= t < until):
        pd_user = next((NUMBER[u] for a, b, u in theirs if a <= at < b), None)
        if compiled.on_call(at) != pd_user:
            disagreements.append((at, compiled.on_call(at), pd_user))
    assert disagreements == []
    assert len(instants) > 12  # the window has handoffs and restricted hours enough to mean something


def _math(window: WeeklyWindow) -> MathWindow:
    return MathWindow(window.start_day, time.fromisoformat(window.start_time), window.end_day, time.fromisoformat(window.end_time))


def _iso(moment: datetime) -> str:
    return moment.isoformat()


# ------------------------------------------------------------------ order of layers


def _rendered(layers: list[list[tuple[str, str, str]]], final: list[tuple[str, str, str]]) -> dict[str, Any]:
    def entries(rows: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
        return [{"start": s, "end": e, "user": {"id": u, "type": "user_reference"}} for s, e, u in rows]

    return {"schedule_layers": [{"id": f"L{n}", "rendered_schedule_entries": entries(rows)} for n, rows in enumerate(layers)],
            "overrides_subschedule": {"rendered_schedule_entries": []},
            "final_schedule": {"rendered_schedule_entries": entries(final)}}


def test_the_order_of_layers_is_read_off_the_final_schedule() -> None:
    low = [("2027-03-20T00:00:00Z", "2027-03-21T00:00:00Z", "PA")]
    high = [("2027-03-20T08:00:00Z", "2027-03-20T16:00:00Z", "PB")]
    final = [("2027-03-20T00:00:00Z", "2027-03-20T08:00:00Z", "PA"), ("2027-03-20T08:00:00Z", "2027-03-20T16:00:00Z", "PB"),
             ("2027-03-20T16:00:00Z", "2027-03-21T00:00:00Z", "PA")]
    assert layers_listed_highest_first(_rendered([high, low], final)) is True
    assert layers_listed_highest_first(_rendered([low, high], final)) is False
    # no moment where two layers disagree: PagerDuty's GET order so far, highest first
    assert layers_listed_highest_first(_rendered([low, [("2027-03-22T00:00:00Z", "2027-03-23T00:00:00Z", "PB")]], final)) is True


# ------------------------------------------------------------------ policies and integrations


def test_a_policy_repeats_num_loops_more_times_and_reports_targets_it_cannot_take() -> None:
    raw = policy_object("P", "Policy", num_loops=9, rules=[
        {**rule_object("R1", 30, [A]), "targets": [{"id": "PA", "type": "user_reference"}, {"id": "X", "type": "team_reference"}]},
    ])
    left: list[LeftOut] = []
    policy = _policy(raw, left)
    assert (policy.loops, [r.delay_minutes for r in policy.rules], [t.external_id for t in policy.rules[0].targets]) == (10, [30], ["PA"])
    assert left == [LeftOut("target", "X", "Policy", "level 1 notifies a target of type 'team', which pagerline cannot")]


def test_integrations_become_the_sources_that_take_them_over() -> None:
    events = events_endpoint("https://api.eu.pagerduty.com")
    assert events == "https://events.eu.pagerduty.com/v2/enqueue"
    datadog = integration_object("I1", "events_api_v2_inbound_integration", "Datadog", "S", integration_key="abcd1234",
                                 vendor=("PV", "Datadog"))
    assert translate_integration(datadog, events).old_address == f"{events} (routing key …1234)"  # type: ignore[union-attr]
    parsed = {**integration_object("I2", "generic_email_inbound_integration", "Mail", "S", integration_email="x@acme.pagerduty.com"),
              "email_parsers": [{"action": "trigger"}]}
    assert isinstance(translate_integration(parsed, events), LeftOut)
    cloudwatch = integration_object("I3", "aws_cloudwatch_inbound_integration", "CloudWatch", "S", vendor=("PV2", "Amazon CloudWatch"))
    assert translate_integration(cloudwatch, events) == LeftOut(
        "integration", "I3", "CloudWatch", "integration type 'aws_cloudwatch_inbound_integration' (Amazon CloudWatch) is not supported")


# ------------------------------------------------------------------ on call


def test_gaps_are_nobody_and_touching_spans_of_one_person_merge() -> None:
    spans = fill_gaps([(utc("2027-03-20T10:00"), utc("2027-03-20T12:00"), "PA"), (utc("2027-03-20T12:00"), utc("2027-03-20T14:00"), "PA"),
                       (utc("2027-03-20T16:00"), utc("2027-03-20T20:00"), "PB")], utc("2027-03-20T11:00"), utc("2027-03-20T18:00"))
    assert spans == [OnCallSpan(utc("2027-03-20T11:00"), utc("2027-03-20T14:00"), "PA"),
                     OnCallSpan(utc("2027-03-20T14:00"), utc("2027-03-20T16:00"), None),
                     OnCallSpan(utc("2027-03-20T16:00"), utc("2027-03-20T18:00"), "PB")]
    assert fill_gaps([], utc("2027-03-20T11:00"), utc("2027-03-20T18:00")) == [OnCallSpan(utc("2027-03-20T11:00"), utc("2027-03-20T18:00"), None)]


async def test_on_call_asks_for_whole_seconds_and_answers_for_exactly_the_window() -> None:
    asked: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        entry = {"start": "2027-03-20T11:00:00Z", "end": "2027-03-20T12:00:01Z", "user": {"id": "PA", "type": "user_reference"}}
        return httpx.Response(200, json={"schedule": {"id": "S", "final_schedule": {"rendered_schedule_entries": [entry]}}})

    since, until = utc("2027-03-20T11:00:00.250000"), utc("2027-03-20T12:00:00.750000")
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        spans = await PagerDutyReader("k", "https://api.pagerduty.com", http=http).on_call("S", since, until)
    assert spans == [OnCallSpan(since, until, "PA")]
    assert (asked[0].url.params["since"], asked[0].url.params["until"]) == ("2027-03-20T11:00:00Z", "2027-03-20T12:00:01Z")
    assert asked[0].headers["authorization"] == "Token token=k"


async def test_an_answer_that_is_not_pagerdutys_stops_with_why() -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"people": []}))) as http:
        reader = PagerDutyReader("k", http=http)
        with pytest.raises(ImportSourceError, match=r"answer to GET /users has no 'users' list"):
            await reader.read()
