"""The demo organisation, seeded at a fixed instant: a weekly two-person rotation with the demo
admin's week first, a policy that pages the rotation and then the demo admin, and a coverage
request the demo admin can make right away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pagerline.demo import BACKUP_EMAIL, DEMO_EMAIL, SCHEDULE_NAME, rotation_start, seed_demo
from pagerline.engine.schedules import coverage
from pagerline.engine.alerts.escalation import load_policy_plan
from pagerline.engine.schedules.oncall import on_call_users
from pagerline.engine.sources.lookup import find_source_by_key
from pagerline.models import IntegrationType, Schedule, User
from pagerline.models.coverage import CoverageStatus

NOW = datetime(2026, 11, 26, 7, 30, tzinfo=UTC)  # a Thursday, before the 09:00 handoff


@pytest.mark.parametrize(
    ("now", "start"),
    [
        (NOW, datetime(2026, 11, 25, 9, 0, tzinfo=UTC)),
        (datetime(2026, 11, 26, 9, 0, tzinfo=UTC), datetime(2026, 11, 26, 9, 0, tzinfo=UTC)),
        (datetime(2026, 11, 26, 23, 59, tzinfo=UTC), datetime(2026, 11, 26, 9, 0, tzinfo=UTC)),
    ],
)
def test_the_rotation_starts_at_the_last_0900_utc(now: datetime, start: datetime) -> None:
    assert rotation_start(now) == start


async def test_the_demo_seeds_a_weekly_rotation_the_policy_pages(db: str, tmp_path: Path) -> None:
    info = await seed_demo("http://127.0.0.1:9000", str(tmp_path / "demo.json"), NOW)
    assert info.url == "http://127.0.0.1:9000"
    demo = await User.get(email=DEMO_EMAIL)
    backup = await User.get(email=BACKUP_EMAIL)
    schedule = await Schedule.get(name=SCHEDULE_NAME)

    # Demo admin until next Wednesday 09:00 UTC, then the backup for a week, then back.
    handoff = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    assert (await on_call_users([schedule.id], NOW))[schedule.id] == demo.id
    assert (await on_call_users([schedule.id], handoff - timedelta(seconds=1)))[schedule.id] == demo.id
    assert (await on_call_users([schedule.id], handoff))[schedule.id] == backup.id
    assert (await on_call_users([schedule.id], handoff + timedelta(days=7)))[schedule.id] == demo.id

    # The API source (the integrationKey printed) pages the rotation, then the demo admin.
    source = await find_source_by_key(info.integrationKey)
    assert source is not None and source.integration_type is IntegrationType.API
    plan = await load_policy_plan(source.policy_id)
    assert plan is not None
    assert [(r.schedule_ids, r.user_ids) for r in plan.rules] == [((schedule.id,), ()), ((), (demo.id,))]

    # The demo admin can ask for coverage of part of the week; the backup is asked.
    tomorrow = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    request = await coverage.request_coverage(demo.id, tomorrow, tomorrow + timedelta(hours=8), NOW, "dentist")
    assert request.status is CoverageStatus.PENDING and request.recipient_ids == [backup.id]

    # Seeded once: a second run reuses the organisation and its secrets.
    again = await seed_demo("http://127.0.0.1:9000", str(tmp_path / "demo.json"), NOW + timedelta(days=3))
    assert (again.integrationKey, again.password) == (info.integrationKey, info.password)
    assert await Schedule.filter(name=SCHEDULE_NAME).count() == 1
