"""Alert actions against a real local receiver: signed webhook bodies, the outbox's dedup,
retries with capped backoff (time moved by ``now``), permanent failures, Slack messages,
manual runs and who may run them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from pagerline.engine.people.accounts import Viewer, authenticate, create_token, create_user
from pagerline.engine.alerts.actions import (
    action_secret,
    claim,
    create_alert_action,
    deliver_action,
    deliver_due,
    plan_actions,
    run_manual_action,
    signature_valid,
)
from pagerline.engine.core.errors import BadInput, Forbidden
from pagerline.engine.sources.heartbeats import create_heartbeat, ping
from pagerline.engine.sweeper import sweep_once
from pagerline.models import (
    ActionDeliveryStatus,
    AlertActionDelivery,
    AlertActionKind,
    AlertActionMode,
    AlertActionTrigger,
    AlertLogEntry,
    Heartbeat,
    HeartbeatState,
    Role,
    TokenKind,
)
from tests.fakes.webhook import FakeWebhookReceiver
from tests.support.alert_actions import CTX, KEY, T0
from tests.support.transports import SIGNING_KEY, ScriptedTransport, ctx
from tests.support.seed import Org, raise_alert, seed_org



@pytest.fixture
def receiver() -> Iterator[FakeWebhookReceiver]:
    with FakeWebhookReceiver() as fake:
        yield fake


async def fire(org: Org, key: str = "disk", now: datetime = T0) -> int:
    return await raise_alert(org.api_key, now, key, "Disk full on db-1")


async def webhook(org: Org, receiver: FakeWebhookReceiver, **kwargs: object) -> int:
    options: dict[str, object] = {"triggers": ["ALERT_CREATED", "ALERT_ACCEPTED"], **kwargs}
    action, secret = await create_alert_action(
        "Ticketing", AlertActionKind.WEBHOOK, f"{receiver.url}/hooks/pagerline", source_id=org.api_source_id, signing_key=KEY, **options  # type: ignore[arg-type]
    )
    receiver.secret = secret
    return action.id


async def actions_timeline(alert_id: int) -> list[str]:
    return list(await AlertLogEntry.filter(alert_id=alert_id, kind="ACTION").order_by("id").values_list("text", flat=True))


async def test_a_delivery_is_signed_recorded_and_planned_once(db: str, receiver: FakeWebhookReceiver) -> None:
    org = await seed_org()
    action_id = await webhook(org, receiver)
    alert_id = await fire(org)
    [delivery_id] = await plan_actions(alert_id, AlertActionTrigger.ALERT_CREATED, T0)
    assert await plan_actions(alert_id, AlertActionTrigger.ALERT_CREATED, T0) == [delivery_id]  # same change: one row
    assert await plan_actions(alert_id, AlertActionTrigger.ALERT_RESOLVED, T0) == []  # not one of its triggers
    # What the caller may already know, to save a query.
    assert await plan_actions(alert_id, AlertActionTrigger.ALERT_CREATED, T0, source_id=org.api_source_id) == [delivery_id]

    outcome = await deliver_action(delivery_id, T0, CTX)
    assert outcome is not None and outcome.status is ActionDeliveryStatus.DELIVERED
    assert await deliver_action(delivery_id, T0 + timedelta(minutes=1), CTX) is None  # nothing left to do

    [call] = receiver.received
    assert call.signature_ok and call.path == "/hooks/pagerline"
    assert signature_valid(action_secret(KEY, action_id, 1), call.body, call.headers["x-pagerline-signature"])
    assert call.headers["x-pagerline-timestamp"] == str(int(T0.timestamp()))
    assert call.headers["x-pagerline-delivery"] == str(delivery_id)
    assert call.headers["x-pagerline-event"] == "ALERT_CREATED"
    body = call.json()
    assert (body["trigger"], body["deliveryId"], body["sentAt"]) == ("ALERT_CREATED", delivery_id, int(T0.timestamp()))
    assert body["alert"]["id"] == alert_id and body["alert"]["summary"] == "Disk full on db-1"
    assert body["alert"]["url"] == f"https://pagerline.example/#/alerts/{alert_id}"
    assert body["alert"]["source"]["name"] == "Ops API"

    row = await AlertActionDelivery.get(id=delivery_id)
    assert (row.status, row.status_code, row.attempts, row.delivered_at) == (ActionDeliveryStatus.DELIVERED, 200, 1, T0)
    assert row.latency_ms is not None and row.latency_ms >= 0
    [text] = await actions_timeline(alert_id)
    assert text.startswith("Alert action 'Ticketing' (webhook) delivered: HTTP 200 in ")


async def test_a_receiver_that_fails_twice_gets_it_on_the_third_try_exactly_once(db: str, receiver: FakeWebhookReceiver) -> None:
    org = await seed_org()
    await webhook(org, receiver)
    alert_id = await fire(org)
    [delivery_id] = await plan_actions(alert_id, AlertActionTrigger.ALERT_CREATED, T0)
    receiver.fail(500, times=2)

    assert await deliver_due(T0, CTX) == 1  # 500: retry in 10 s
    assert await deliver_due(T0 + timedelta(seconds=9), CTX) == 0
    assert await deliver_due(T0 + timedelta(seconds=10), CTX) == 1  # 500: retry in 20 s
    assert await deliver_due(T0 + timedelta(seconds=29), CTX) == 0
    assert await deliver_due(T0 + timedelta(seconds=30), CTX) == 1  # delivered
    assert await deliver_due(T0 + timedelta(hours=1), CTX) == 0

    assert [c.status for c in receiver.received] == [500, 500, 200]
    assert len(receiver.delivered()) == 1
    assert all(c.signature_ok for c in receiver.received)
    assert {c.headers["x-pagerline-delivery"] for c in receiver.received} == {str(delivery_id)}
    row = await AlertActionDelivery.get(id=delivery_id)
    assert (row.status, row.attempts, row.status_code, row.last_error) == (ActionDeliveryStatus.DELIVERED, 3, 200, None)
    texts = await actions_timeline(alert_id)
    assert [t.split(":")[0] for t in texts] == [
        "Alert action 'Ticketing' (webhook) failed (attempt 1 of 4)",
        "Alert action 'Ticketing' (webhook) failed (attempt 2 of 4)",
        "Alert action 'Ticketing' (webhook) delivered",
    ]
    assert "HTTP 500" in texts[0] and texts[0].endswith("retrying in 10 s") and texts[1].endswith("retrying in 20 s")


async def test_backoff_is_capped_and_retries_end(db: str, receiver: FakeWebhookReceiver) -> None:
    org = await seed_org()
    await webhook(org, receiver)
    alert_id = await fire(org)
    [delivery_id] = await plan_actions(alert_id, AlertActionTrigger.ALERT_CREATED, T0)
    receiver.fail(503, times=None)
    now, waits = T0, []
    for _ in range(4):
        outcome = await deliver_action(delivery_id, now, CTX)
        assert outcome is not None
        if outcome.retry_at is None:
            break
        waits.append((outcome.retry_at - now).total_seconds())
        now = outcome.retry_at
    assert waits == [10, 20, 40]  # capped at 40 s; the 4th attempt is the last
    row = await AlertActionDelivery.get(id=delivery_id)
    assert (row.status, row.attempts, row.status_code) == (ActionDeliveryStatus.FAILED, 4, 503)
    assert (await actions_timeline(alert_id))[-1].startswith("Alert action 'Ticketing' (webhook) failed for good after 4 attempt(s): HTTP 503")


async def test_a_client_error_fails_at_once_and_an_unreachable_receiver_is_retried(db: str, receiver: FakeWebhookReceiver) -> None:
    org = await seed_org()
    await webhook(org, receiver)
    alert_id = await fire(org)
    [gone] = await plan_actions(alert_id, AlertActionTrigger.ALERT_CREATED, T0)
    receiver.fail(404)
    outcome = await deliver_action(gone, T0, CTX)
    assert outcome is not None and (outcome.status, outcome.retry_at) == (ActionDeliveryStatus.FAILED, None)

    closed = FakeWebhookReceiver().start()
    closed_url = f"{closed.url}/hook"
    closed.stop()  # nothing listens there any more
    action, _ = await create_alert_action("Down", AlertActionKind.WEBHOOK, closed_url, source_id=org.api_source_id, triggers=["ALERT_CREATED"], signing_key=KEY)
    other = await fire(org, key="cpu")
    planned = await plan_actions(other, AlertActionTrigger.ALERT_CREATED, T0)
    [unreachable] = [i for i in planned if (await AlertActionDelivery.get(id=i)).action_id == action.id]  # type: ignore[attr-defined]
    outcome = await deliver_action(unreachable, T0, CTX)
    assert outcome is not None and outcome.status is ActionDeliveryStatus.PENDING
    row = await AlertActionDelivery.get(id=unreachable)
    assert row.status_code is None and row.last_error and "Connect" in row.last_error


async def test_slack_actions_post_a_slack_message(db: str, receiver: FakeWebhookReceiver) -> None:
    org = await seed_org()
    await create_alert_action("Slack", AlertActionKind.SLACK, f"{receiver.url}/services/T/B/X", team_id=org.team_id, triggers=["ALERT_CREATED"], signing_key=KEY)
    alert_id = await fire(org)
    [delivery_id] = await plan_actions(alert_id, AlertActionTrigger.ALERT_CREATED, T0)  # a team's action covers its sources
    await deliver_action(delivery_id, T0, CTX)
    [call] = receiver.received
    body = call.json()
    assert body["text"] == f"New alert: [HIGH] #{alert_id} Disk full on db-1 (pending)"
    assert body["blocks"][0]["text"]["text"] == f"*New alert:* <https://pagerline.example/#/alerts/{alert_id}|#{alert_id} Disk full on db-1>"
    assert "x-pagerline-signature" in call.headers


async def viewer(token: str) -> Viewer:
    found = await authenticate(token, T0)
    assert found is not None
    return found


async def test_manual_actions_run_on_request_by_users_of_the_team(db: str, receiver: FakeWebhookReceiver) -> None:
    org = await seed_org()
    automatic = await webhook(org, receiver)
    manual = await webhook(org, receiver, mode=AlertActionMode.MANUAL, triggers=[])  # the receiver checks its secret
    alert_id = await fire(org)
    alice, bob = await viewer(org.alice_token), await viewer(org.bob_token)

    delivery = await run_manual_action(manual, alert_id, alice, T0)
    second = await run_manual_action(manual, alert_id, bob, T0)  # responders may run them too
    assert delivery.id != second.id  # every run is its own delivery
    # The automatic action ran on the alert's creation too (signed with its own secret, which
    # this receiver, holding the manual action's, refuses).
    assert await deliver_due(T0, CTX) == 3
    assert sorted(c.json()["trigger"] for c in receiver.received) == ["ALERT_CREATED", "MANUAL", "MANUAL"]
    assert [c.json()["trigger"] for c in receiver.delivered()] == ["MANUAL", "MANUAL"]
    timeline = await actions_timeline(alert_id)
    assert timeline[:2] == ["Alice ran alert action 'Ticketing'", "Bob ran alert action 'Ticketing'"]

    with pytest.raises(BadInput, match="not an enabled MANUAL action"):
        await run_manual_action(automatic, alert_id, alice, T0)
    watcher = await create_user("watcher@ops.test", "Watcher", "pw-secret", Role.STAKEHOLDER, "UTC", ["Ops"])
    _, token = await create_token(watcher.id, TokenKind.API, T0)
    with pytest.raises(Forbidden):
        await run_manual_action(manual, alert_id, await viewer(token), T0)
    web = await seed_org(team="Web")
    with pytest.raises(BadInput, match="does not apply"):
        await run_manual_action(manual, await fire(web), await viewer(web.alice_token), T0)


async def test_bad_actions_are_refused(db: str) -> None:
    org = await seed_org()
    for url in ("ftp://example.com", "not a url", "http://" + "x" * 2000):
        with pytest.raises(BadInput, match="url"):
            await create_alert_action("x", AlertActionKind.WEBHOOK, url, source_id=org.api_source_id, triggers=["ALERT_CREATED"], signing_key=KEY)
    with pytest.raises(BadInput, match="Unknown trigger"):
        await create_alert_action("x", AlertActionKind.WEBHOOK, "https://e.x", source_id=org.api_source_id, triggers=["PAGED"], signing_key=KEY)
    with pytest.raises(BadInput, match="at least one trigger"):
        await create_alert_action("x", AlertActionKind.WEBHOOK, "https://e.x", source_id=org.api_source_id, signing_key=KEY)
    with pytest.raises(BadInput, match="exactly one"):
        await create_alert_action("x", AlertActionKind.WEBHOOK, "https://e.x", triggers=["ALERT_CREATED"], signing_key=KEY)


async def test_every_sweep_runs_the_source_jobs(db: str, receiver: FakeWebhookReceiver) -> None:
    """The sweeper's guarantee covers these jobs too: a due delivery and an overdue heartbeat
    are handled by sweep_once, with the sweep's signing key."""
    org = await seed_org()
    action, secret = await create_alert_action(
        "Ticketing", AlertActionKind.WEBHOOK, receiver.url, source_id=org.api_source_id, triggers=["ALERT_CREATED"], signing_key=SIGNING_KEY
    )
    receiver.secret = secret
    alert_id = await fire(org)
    await plan_actions(alert_id, AlertActionTrigger.ALERT_CREATED, T0)
    heartbeat, key = await create_heartbeat("cron", org.api_source_id, 60)
    await ping(key, T0)
    await sweep_once(T0 + timedelta(seconds=61), ctx(ScriptedTransport()))
    # Two alerts were created on the source, each delivered once: the event's and the overdue
    # heartbeat's (opened in this same sweep).
    assert sorted(c.json()["alert"]["id"] for c in receiver.delivered()) == sorted([alert_id, (await Heartbeat.get(id=heartbeat.id)).alert_id])
    assert [c.signature_ok for c in receiver.delivered()] == [True, True]
    assert (await Heartbeat.get(id=heartbeat.id)).state is HeartbeatState.OVERDUE


async def test_a_delivery_whose_worker_died_mid_send_goes_out_once_after_its_lease(db: str, receiver: FakeWebhookReceiver) -> None:
    """A worker killed after claiming leaves the row SENDING; nobody touches it until the lease
    runs out, then the sweeper sends it, once."""
    org = await seed_org()
    await webhook(org, receiver)
    alert_id = await fire(org)
    [delivery_id] = await plan_actions(alert_id, AlertActionTrigger.ALERT_CREATED, T0)
    assert await claim(delivery_id, T0, CTX.policy)  # the worker that then vanished
    assert await deliver_due(T0 + timedelta(seconds=CTX.policy.lease_seconds - 1), CTX) == 0
    assert receiver.received == []
    assert await deliver_due(T0 + timedelta(seconds=CTX.policy.lease_seconds + 1), CTX) == 1
    assert await deliver_due(T0 + timedelta(minutes=30), CTX) == 0
    assert [c.json()["deliveryId"] for c in receiver.delivered()] == [delivery_id]
    row = await AlertActionDelivery.get(id=delivery_id)
    assert (row.status, row.attempts) == (ActionDeliveryStatus.DELIVERED, 2)
