"""Heartbeat monitors (states, a missed ping opens an alert, the next ping resolves it) and
deployment events (timestamps in every accepted form, the deployments shown with an alert)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pagerline.engine.sources.deployments import DeploymentInput, deployments_before, parse_timestamp, record_deployment
from pagerline.engine.core.errors import BadInput
from pagerline.engine.sources.heartbeats import create_heartbeat, ping, tick
from pagerline.engine.sources.intake import EventInput, ingest_event
from pagerline.engine.sources.lookup import find_source_by_key
from pagerline.models import Alert, AlertLogEntry, AlertStatus, Heartbeat, HeartbeatState, Notification
from tests.support.seed import Org, api_source, seed_org

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


async def test_a_missed_heartbeat_opens_an_alert_and_the_next_ping_resolves_it(db: str) -> None:
    org = await seed_org()
    heartbeat, key = await create_heartbeat("Nightly backup", org.api_source_id, 60)
    assert heartbeat.state is HeartbeatState.UNKNOWN
    assert await tick(T0 + timedelta(days=1)) == 0  # never pinged: never overdue

    assert (await ping(key, T0)).state is HeartbeatState.HEALTHY  # type: ignore[union-attr]
    assert await tick(T0 + timedelta(seconds=59)) == 0
    assert await tick(T0 + timedelta(seconds=60)) == 1
    row = await Heartbeat.get(id=heartbeat.id)
    assert row.state is HeartbeatState.OVERDUE and row.alert_id is not None  # type: ignore[attr-defined]
    alert = await Alert.get(id=row.alert_id)  # type: ignore[attr-defined]
    assert (alert.summary, alert.status, alert.alert_key) == ("Heartbeat 'Nightly backup' missed its ping", AlertStatus.PENDING, f"heartbeat-{heartbeat.id}")
    assert await Notification.filter(alert_id=alert.id, user_id=org.alice_id).exists()  # it pages like any alert
    assert await tick(T0 + timedelta(seconds=90)) == 0  # one alert per miss

    result = await ping(key, T0 + timedelta(seconds=120))
    assert result is not None and result.resolved_alert_id == alert.id
    assert (await Alert.get(id=alert.id)).status is AlertStatus.RESOLVED
    assert await AlertLogEntry.filter(alert_id=alert.id, kind="RESOLVED", text="Resolved by an event via heartbeat ping").exists()
    row = await Heartbeat.get(id=heartbeat.id)
    assert (row.state, row.alert_id, row.last_ping_at, row.due_at) == (  # type: ignore[attr-defined]
        HeartbeatState.HEALTHY, None, T0 + timedelta(seconds=120), T0 + timedelta(seconds=180)
    )

    assert await tick(T0 + timedelta(seconds=180)) == 1  # missed again: a new alert
    newer = (await Heartbeat.get(id=heartbeat.id)).alert_id  # type: ignore[attr-defined]
    assert newer is not None and newer != alert.id
    assert await ping("hb_unknown", T0) is None


async def test_bad_heartbeats_are_refused(db: str) -> None:
    org = await seed_org()
    with pytest.raises(BadInput, match="intervalSec"):
        await create_heartbeat("x", org.api_source_id, 5)
    with pytest.raises(BadInput, match="name"):
        await create_heartbeat(" ", org.api_source_id, 60)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1_795_000_000, datetime(2026, 11, 18, 11, 6, 40, tzinfo=UTC)),
        (1_795_000_000_123, datetime(2026, 11, 18, 11, 6, 40, 123_000, tzinfo=UTC)),
        (1_795_000_000.5, datetime(2026, 11, 18, 11, 6, 40, 500_000, tzinfo=UTC)),
        ("1795000000", datetime(2026, 11, 18, 11, 6, 40, tzinfo=UTC)),
        ("2026-11-18T12:06:40+01:00", datetime(2026, 11, 18, 11, 6, 40, tzinfo=UTC)),
        ("2026-11-18T11:06:40Z", datetime(2026, 11, 18, 11, 6, 40, tzinfo=UTC)),
        ("2026-11-18T11:06:40", datetime(2026, 11, 18, 11, 6, 40, tzinfo=UTC)),  # no zone: UTC
        (None, T0),
    ],
)
def test_timestamps_in_seconds_milliseconds_or_iso_8601(raw: object, expected: datetime) -> None:
    assert parse_timestamp(raw, T0) == expected


@pytest.mark.parametrize("raw", ["yesterday", True, [1], 12, "9999999999999999999", "1899-01-01T00:00:00Z"])
def test_bad_timestamps_are_refused(raw: object) -> None:
    with pytest.raises(BadInput):
        parse_timestamp(raw, T0)


async def test_alerts_show_their_teams_deployments_in_the_hour_before(db: str) -> None:
    ops, web = await seed_org(), await seed_org(team="Web")
    ops_source, web_source = await api_source(ops), await api_source(web)
    for minutes, summary in ((-90, "too early"), (-50, "v41"), (-10, "v42"), (5, "after")):
        await record_deployment(ops_source, DeploymentInput(summary, T0 + timedelta(minutes=minutes), "dev@ops.test", {"sha": summary}), T0)
    await record_deployment(web_source, DeploymentInput("web deploy", T0 - timedelta(minutes=5)), T0)
    # Another source of the same team counts too: deployments belong to the team.
    am = await find_source_by_key(ops.alertmanager_key)
    assert am is not None
    result = await ingest_event(am, EventInput("ALERT", summary="5xx", alert_key="x"), T0)
    alert = await Alert.get(id=result.alert_id)
    shown = await deployments_before(alert)
    assert [d.summary for d in shown] == ["v42", "v41"]
    assert (shown[0].user_email, shown[0].custom_details) == ("dev@ops.test", {"sha": "v42"})
    with pytest.raises(BadInput):
        await record_deployment(ops_source, DeploymentInput("  ", T0), T0)
