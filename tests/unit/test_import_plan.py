"""The importers' translations that need no database: turn lengths as ISO-8601 durations,
restriction windows as pagerline stores them, a rotation with a missing person, the new
addresses of integrations, and the printed report."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pagerline.engine.schedules.editing import Restriction, restrictions_to_rows
from pagerline.engine.schedules.math import parse_rotation
from pagerline.importers.apply import new_address
from pagerline.importers.model import WeeklyWindow
from pagerline.importers.plan import covered_turns, restrictions, rotation_text
from pagerline.importers.report import Difference, ImportReport, IntegrationRow, ReportLine, render, render_differences
from pagerline.models import IntegrationType


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(86400, "P1D"), (7 * 86400, "P7D"), (12 * 3600, "PT12H"), (36 * 3600, "PT36H"), (90 * 60, "PT90M"), (45, "PT45S")],
)
def test_a_turn_length_becomes_the_duration_pagerline_parses_back(seconds: int, text: str) -> None:
    assert rotation_text(seconds) == text
    rotation = parse_rotation(text)
    assert rotation.days * 86400 + rotation.seconds == seconds


def test_restriction_windows_become_pagerline_restrictions_the_engine_accepts() -> None:
    weekdays = tuple(WeeklyWindow(day, "9:00", day, "17:00:00") for day in range(5))
    windows, why = restrictions(weekdays)
    assert why is None
    assert windows == [Restriction(day, "09:00", day, "17:00") for day in range(5)]
    assert restrictions_to_rows(windows)  # what the engine checks before storing

    # An end at 24:00 is the next day's 00:00; a window as long as the week is no restriction.
    assert restrictions((WeeklyWindow(6, "18:00", 6, "24:00"),)) == ([Restriction(6, "18:00", 0, "00:00")], None)
    assert restrictions((WeeklyWindow(0, "09:00", 0, "09:00"),)) == ([], None)
    assert restrictions(()) == ([], None)

    assert restrictions((WeeklyWindow(7, "09:00", 0, "10:00"),))[1] == "restriction 1 names a day that is not Monday to Sunday ((7, 0))"
    assert restrictions((WeeklyWindow(0, "09:30:15", 0, "10:00"),))[1] == "restriction 1 has a time pagerline cannot read (09:30:15-10:00)"
    many = tuple(WeeklyWindow(d % 7, f"{h:02d}:00", d % 7, f"{h:02d}:30") for d in range(7) for h in range(8))
    assert restrictions(many)[1] == "it has 56 restriction windows; pagerline takes at most 50 per layer"


def test_a_missing_persons_turns_go_to_whoever_has_the_turn_before() -> None:
    assert covered_turns([1, 2, 3]) == ([1, 2, 3], [])
    assert covered_turns([1, None, 3]) == ([1, 1, 3], [1])
    assert covered_turns([None, 2, 3]) == ([3, 2, 3], [0])  # before the first turn comes the last
    assert covered_turns([None, 2, None]) == ([2, 2, 2], [0, 2])
    with pytest.raises(ValueError):
        covered_turns([None, None])


def test_each_kind_of_integration_gets_the_address_of_pagerlines_intake() -> None:
    base = "https://pager.example.com/"
    assert new_address(IntegrationType.PAGERDUTY, "k1", base, None) == "https://pager.example.com/v2/enqueue with routing_key k1"
    assert new_address(IntegrationType.OPSGENIE, "k2", base, None) == "API URL https://pager.example.com with header Authorization: GenieKey k2"
    assert new_address(IntegrationType.EMAIL, "k3", base, "alerts.example.com") == "k3@alerts.example.com"
    assert new_address(IntegrationType.EMAIL, "k3", base, None).startswith("k3@<email domain> (pagerline's email intake is not configured")
    assert new_address(IntegrationType.ALERTMANAGER, "k4", base, None) == "https://pager.example.com/api/events/alertmanager/k4"
    assert new_address(IntegrationType.GRAFANA, "k5", base, None) == "https://pager.example.com/api/events/grafana/k5"
    assert new_address(IntegrationType.API, "k6", base, None) == "POST https://pager.example.com/api/events with integrationKey k6"


def test_the_report_prints_every_section_with_its_count() -> None:
    report = ImportReport(
        system="opsgenie",
        dry_run=False,
        created=[ReportLine("schedule", "Ops", "Europe/Berlin, 2 layers", "s-1")],
        left_out=[ReportLine("user", "Gus", "no pagerline user with email gus@example.com — invite them first", "u-9")],
        integrations=[IntegrationRow("Ops", "API", "OPSGENIE", "", "API URL https://p.example with header Authorization: GenieKey k")],
    )
    assert render(report).splitlines() == [
        "Import from Opsgenie",
        "====================",
        "Created (1):",
        "  + schedule 'Ops' [s-1]: Europe/Berlin, 2 layers",
        "Changed: none",
        "Unchanged: none",
        "Left out (1):",
        "  - user 'Gus' [u-9]: no pagerline user with email gus@example.com — invite them first",
        "",
        "Integrations (1): point each sender at its new address (a new key is shown only now: keep this output safe)",
        "  Ops / API (OPSGENIE)",
        "    old: (not given by Opsgenie)",
        "    new: API URL https://p.example with header Authorization: GenieKey k",
        "",
        "Summary: 1 created, 0 changed, 0 unchanged, 1 left out.",
    ]


def test_the_check_prints_real_and_expected_differences_apart() -> None:
    since, until = datetime(2027, 3, 20, 12, tzinfo=UTC), datetime(2027, 4, 17, 12, tzinfo=UTC)
    assert render_differences([], "pagerduty", since, until, 2).splitlines()[-1] == "No differences."
    real = Difference("s", "Nights", "Europe/Berlin", datetime(2027, 3, 28, 1, 30, tzinfo=UTC), datetime(2027, 3, 29, 0, 30, tzinfo=UTC), "bob@x", None)
    expected = Difference("s", "Nights", "UTC", since, until, None, "gus@x", "gus@x has no pagerline account and was left out")
    assert render_differences([real, expected], "pagerduty", since, until, 1).splitlines() == [
        "On-call check against PagerDuty: 1 schedule(s), 2027-03-20 12:00 to 2027-04-17 12:00 UTC",
        "=" * 88,
        "Differences (1):",
        "  schedule 'Nights', Sun 2027-03-28 03:30 CEST to Mon 2027-03-29 02:30 CEST: pagerline has bob@x, PagerDuty has nobody",
        "Expected differences (1), from what the import left out:",
        "  schedule 'Nights', Sat 2027-03-20 12:00 UTC to Sat 2027-04-17 12:00 UTC: pagerline has nobody, PagerDuty has gus@x "
        "(expected: gus@x has no pagerline account and was left out)",
    ]
