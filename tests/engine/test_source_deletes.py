"""Deleting what the source settings create: heartbeat monitors, alert actions, support hours
and maintenance windows. Who may (ADMINs and USERs of the team; responders and stakeholders
are refused, another team's objects are "not found"), that a refused delete changes nothing,
and what a delete leaves behind: an alert a monitor opened stays open with a note, an action's
unfinished deliveries are cancelled on their alerts' timelines while delivered history stays,
support hours in use and running windows are refused with CONFLICT."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from pagerline.engine.people.accounts import Viewer, authenticate, create_token, create_user
from pagerline.engine.alerts.actions import (
    create_alert_action,
    delete_alert_action,
    deliver_action,
    deliver_due,
)
from pagerline.engine.alerts.transitions import accept_alert, resolve_alert
from pagerline.engine.core.errors import Conflict, Forbidden, NotFound
from pagerline.engine.sources.heartbeats import _go_overdue, create_heartbeat, delete_heartbeat, ping, tick
from pagerline.engine.sources.intake import EventInput, ingest_event
from pagerline.engine.sources.policy import in_maintenance
from pagerline.engine.sources.settings import (
    PolicyChanges,
    create_maintenance_window,
    create_support_hours,
    delete_maintenance_window,
    delete_support_hours,
    update_source_policy,
)
from pagerline.engine.sources.lookup import find_source_by_key
from pagerline.models import (
    ActionDeliveryStatus,
    Alert,
    AlertAction,
    AlertActionDelivery,
    AlertActionKind,
    AlertSource,
    AlertStatus,
    DropReason,
    DroppedEvent,
    Heartbeat,
    MaintenanceWindow,
    PriorityRule,
    Role,
    SupportHours,
    TokenKind,
)
from tests.fakes import Answer, wait_until
from tests.fakes.webhook import FakeWebhookReceiver
from tests.support.alert_actions import CTX, KEY, T0
from tests.support.seed import Org, raise_alert, seed_org, timeline_texts as timeline

OFFICE = [{"day": "MONDAY", "start": "09:00", "end": "17:00"}]


@dataclass(frozen=True)
class People:
    """The Ops team's USER (alice), RESPONDER (bob) and STAKEHOLDER, the Web team's USER, an admin."""

    ops: Org
    web: Org
    alice: Viewer
    bob: Viewer
    watcher: Viewer
    web_alice: Viewer
    admin: Viewer


async def viewer_of(email: str, name: str, role: Role, teams: list[str]) -> Viewer:
    user = await create_user(email, name, "pw-secret", role, "UTC", teams)
    _, token = await create_token(user.id, TokenKind.API, T0)
    return await signed_in(token)


async def signed_in(token: str) -> Viewer:
    found = await authenticate(token, T0)
    assert found is not None
    return found


@pytest.fixture
async def people(db: str) -> People:
    ops, web = await seed_org(team="Ops"), await seed_org(team="Web")
    return People(
        ops, web, await signed_in(ops.alice_token), await signed_in(ops.bob_token),
        await viewer_of("watcher@ops.test", "Watcher", Role.STAKEHOLDER, ["Ops"]), await signed_in(web.alice_token),
        await viewer_of("root@org.test", "Root", Role.ADMIN, []),
    )


@pytest.fixture
def receiver() -> Iterator[FakeWebhookReceiver]:
    with FakeWebhookReceiver() as fake:
        yield fake


async def refused_to_all_but_managers(people: People, delete: Callable[[Viewer], Awaitable[object]]) -> None:
    """Responders and stakeholders of the team are forbidden; another team does not see it."""
    for who, error in ((people.bob, Forbidden), (people.watcher, Forbidden), (people.web_alice, NotFound)):
        with pytest.raises(error):
            await delete(who)


async def fire(org: Org, key: str, now: datetime = T0) -> int:
    return await raise_alert(org.api_key, now, key, f"{key} is down")


# --------------------------------------------------------------------------- heartbeats


async def test_deleting_a_heartbeat_leaves_its_alert_open_and_says_so(people: People) -> None:
    heartbeat, key = await create_heartbeat("Nightly backup", people.ops.api_source_id, 60)
    await ping(key, T0)
    assert await tick(T0 + timedelta(seconds=60)) == 1
    alert_id = (await Heartbeat.get(id=heartbeat.id)).alert_id  # type: ignore[attr-defined]
    assert alert_id is not None

    later = T0 + timedelta(minutes=2)
    await refused_to_all_but_managers(people, lambda who: delete_heartbeat(who, heartbeat.id, later))
    with pytest.raises(NotFound):
        await delete_heartbeat(people.alice, 999_999, later)
    assert await Heartbeat.exists(id=heartbeat.id) and await timeline(alert_id, "HEARTBEAT") == []  # refused: nothing changed

    await delete_heartbeat(people.alice, heartbeat.id, later)
    assert not await Heartbeat.exists(id=heartbeat.id)
    alert = await Alert.get(id=alert_id)
    assert alert.status is AlertStatus.PENDING  # the missed ping was real: a person resolves it
    assert await timeline(alert_id, "HEARTBEAT") == [
        "Heartbeat monitor 'Nightly backup' was deleted by Alice; no ping will resolve this alert now: resolve it once the job is back"
    ]
    assert await ping(key, later) is None  # its key is gone with it
    assert await tick(T0 + timedelta(days=1)) == 0


async def test_a_heartbeat_whose_alert_was_resolved_is_simply_deleted(people: People) -> None:
    heartbeat, key = await create_heartbeat("Hourly export", people.ops.api_source_id, 60)
    await ping(key, T0)
    await tick(T0 + timedelta(seconds=60))
    alert_id = (await Heartbeat.get(id=heartbeat.id)).alert_id  # type: ignore[attr-defined]
    await resolve_alert(alert_id, people.ops.alice_id, T0 + timedelta(seconds=70))  # by hand: the monitor still links it

    await delete_heartbeat(people.admin, heartbeat.id, T0 + timedelta(minutes=5))  # admins manage every team's
    assert not await Heartbeat.exists(id=heartbeat.id)
    assert await timeline(alert_id, "HEARTBEAT") == []  # a resolved alert is not told


async def test_a_monitor_deleted_while_the_sweep_opens_its_alert_leaves_the_same_note(people: People) -> None:
    heartbeat, key = await create_heartbeat("Cron", people.ops.api_source_id, 60)
    await ping(key, T0)
    loaded = await Heartbeat.get(id=heartbeat.id)  # what the sweep loaded before the delete
    await delete_heartbeat(people.alice, heartbeat.id, T0 + timedelta(seconds=30))
    assert await _go_overdue(loaded, T0 + timedelta(seconds=60)) is False
    [alert] = await Alert.filter(alert_key=f"heartbeat-{heartbeat.id}")
    assert await timeline(alert.id, "HEARTBEAT") == [
        "Heartbeat monitor 'Cron' was deleted; no ping will resolve this alert now: resolve it once the job is back"
    ]


# --------------------------------------------------------------------------- alert actions


async def webhook(people: People, receiver: FakeWebhookReceiver, **scope: int) -> int:
    action, secret = await create_alert_action(
        "Ticketing", AlertActionKind.WEBHOOK, f"{receiver.url}/hooks", triggers=["ALERT_CREATED", "ALERT_ACCEPTED"],
        signing_key=KEY, **(scope or {"source_id": people.ops.api_source_id}),  # type: ignore[arg-type]
    )
    receiver.secret = secret
    return action.id


async def delivery_of(alert_id: int) -> AlertActionDelivery:
    [row] = await AlertActionDelivery.filter(alert_id=alert_id)
    return row


async def test_deleting_an_action_cancels_its_unfinished_deliveries_and_keeps_the_history(
    people: People, receiver: FakeWebhookReceiver
) -> None:
    action_id = await webhook(people, receiver)
    delivered = await fire(people.ops, "api")  # planned by the intake, in the alert's transaction
    await deliver_action((await delivery_of(delivered)).id, T0, CTX)
    retrying = await fire(people.ops, "db")
    receiver.fail(500)
    await deliver_action((await delivery_of(retrying)).id, T0, CTX)
    waiting = await fire(people.ops, "queue")
    assert [c.status for c in receiver.received] == [200, 500]

    later = T0 + timedelta(seconds=5)
    await refused_to_all_but_managers(people, lambda who: delete_alert_action(who, action_id, later))
    with pytest.raises(NotFound):
        await delete_alert_action(people.alice, 999_999, later)
    assert await AlertAction.exists(id=action_id) and await AlertActionDelivery.filter(action_id=action_id).count() == 3

    assert await delete_alert_action(people.alice, action_id, later) == 2
    assert not await AlertAction.exists(id=action_id)
    history = await timeline(delivered, "ACTION")
    assert len(history) == 1 and history[0].startswith("Alert action 'Ticketing' (webhook) delivered: HTTP 200")
    assert (await timeline(retrying, "ACTION"))[1:] == [
        "Alert action 'Ticketing' was deleted: its pending ALERT_CREATED delivery was cancelled after 1 attempt(s)"
    ]
    assert await timeline(waiting, "ACTION") == [
        "Alert action 'Ticketing' was deleted: its pending ALERT_CREATED delivery was cancelled before it was sent"
    ]
    assert await deliver_due(T0 + timedelta(hours=1), CTX) == 0
    assert len(receiver.received) == 2  # nothing more was sent

    await accept_alert(delivered, people.ops.alice_id, later)  # later changes plan nothing for it
    assert await AlertActionDelivery.filter(alert_id=delivered).count() == 0


async def test_an_attempt_on_the_wire_when_its_action_is_deleted_is_recorded_and_not_retried(
    people: People, receiver: FakeWebhookReceiver
) -> None:
    action_id = await webhook(people, receiver, team_id=people.ops.team_id)  # a team's action
    alert_id = await fire(people.ops, "api")
    receiver.script.add(receiver.script.ANY, Answer(500, {"error": "slow"}, hold=True))
    sending = asyncio.create_task(deliver_action((await delivery_of(alert_id)).id, T0, CTX))
    await asyncio.to_thread(wait_until, lambda: receiver.script.held == 1, 5, 0.005, "the request at the receiver")

    assert await delete_alert_action(people.admin, action_id, T0) == 1
    receiver.release()
    outcome = await sending
    assert outcome is not None and outcome.status is ActionDeliveryStatus.FAILED
    texts = await timeline(alert_id, "ACTION")
    assert texts[0] == "Alert action 'Ticketing' was deleted while its ALERT_CREATED delivery was being sent; that attempt is the last"
    assert texts[1].startswith("Alert action 'Ticketing' (webhook) failed (attempt 1 of 4): HTTP 500 in ")
    assert texts[1].endswith("; not retried: the action was deleted")
    assert await deliver_due(T0 + timedelta(hours=1), CTX) == 0
    assert len(receiver.received) == 1


async def test_a_process_still_caching_a_deleted_action_goes_on_changing_alerts(
    people: People, receiver: FakeWebhookReceiver
) -> None:
    """Each process caches a source's actions for seconds. A delete in another process does
    not clear this one's cache (here: the row deleted directly), and the next alert must still
    open, planning nothing for the action that is gone."""
    action_id = await webhook(people, receiver)
    await fire(people.ops, "api")  # fills this process's cache with the action
    await AlertAction.filter(id=action_id).delete()
    alert_id = await fire(people.ops, "db")
    assert await AlertActionDelivery.filter(alert_id=alert_id).count() == 0


# --------------------------------------------------------------------------- support hours


async def follow(source_id: int, hours_id: int | None) -> None:
    rule = PriorityRule.HIGH if hours_id is None else PriorityRule.HIGH_DURING_SUPPORT_HOURS
    await update_source_policy(source_id, PolicyChanges(priority_rule=rule, support_hours_id=hours_id))


async def conflict_message(delete: Awaitable[object]) -> str:
    with pytest.raises(Conflict) as refused:
        await delete
    return refused.value.message


async def test_support_hours_in_use_are_refused_naming_the_sources(people: People) -> None:
    hours = await create_support_hours("Office", "Europe/Berlin", OFFICE, team_id=people.ops.team_id)
    await follow(people.ops.api_source_id, hours.id)
    await follow(people.web.api_source_id, hours.id)  # shared with a source Alice cannot see

    assert await conflict_message(delete_support_hours(people.alice, hours.id)) == (
        "Alert sources use these support hours: 'Ops API', 1 you cannot see; choose others for them first"
    )
    assert await conflict_message(delete_support_hours(people.admin, hours.id)) == (
        "Alert sources use these support hours: 'Ops API', 'Web API'; choose others for them first"
    )
    await refused_to_all_but_managers(people, lambda who: delete_support_hours(who, hours.id))
    with pytest.raises(NotFound):
        await delete_support_hours(people.alice, 999_999)
    assert await SupportHours.exists(id=hours.id)  # refused: nothing changed
    source = await AlertSource.get(id=people.ops.api_source_id)
    assert (source.support_hours_id, source.priority_rule) == (hours.id, PriorityRule.HIGH_DURING_SUPPORT_HOURS)  # type: ignore[attr-defined]

    await follow(people.ops.api_source_id, None)
    await follow(people.web.api_source_id, None)
    await delete_support_hours(people.alice, hours.id)
    assert not await SupportHours.exists(id=hours.id)


async def test_the_organisations_support_hours_are_deleted_by_admins_only(people: People) -> None:
    hours = await create_support_hours("Everyone", "UTC", OFFICE)
    with pytest.raises(Forbidden, match="Only admins"):
        await delete_support_hours(people.alice, hours.id)
    await delete_support_hours(people.admin, hours.id)
    assert not await SupportHours.exists(id=hours.id)


# --------------------------------------------------------------------------- maintenance windows


async def window(org: Org, start: timedelta, end: timedelta, *more_sources: int) -> int:
    row = await create_maintenance_window("DB upgrade", T0 + start, T0 + end, [org.api_source_id, *more_sources])
    return row.id


async def test_future_and_ended_windows_are_deleted_a_running_one_is_refused(people: People) -> None:
    future = await window(people.ops, timedelta(hours=1), timedelta(hours=2))
    running = await window(people.ops, -timedelta(minutes=1), timedelta(hours=1))
    ended = await window(people.ops, -timedelta(hours=2), -timedelta(hours=1))
    dropped = await ingest_event(await find_source_by_key(people.ops.api_key), EventInput("ALERT", summary="x", alert_key="x"), T0 - timedelta(minutes=90))  # type: ignore[arg-type]
    assert dropped.alert_id is None

    for window_id in (future, running, ended):
        await refused_to_all_but_managers(people, lambda who, w=window_id: delete_maintenance_window(who, w, T0))  # type: ignore[misc]
    with pytest.raises(NotFound):
        await delete_maintenance_window(people.alice, 999_999, T0)
    message = await conflict_message(delete_maintenance_window(people.alice, running, T0))
    assert message.startswith("The maintenance window is on: end it (endMaintenanceWindow)")
    assert await MaintenanceWindow.filter(id__in=[future, running, ended]).count() == 3  # refused: nothing changed
    assert await in_maintenance(people.ops.api_source_id, T0) is not None

    await delete_maintenance_window(people.alice, future, T0)  # cancelled before it started
    await delete_maintenance_window(people.alice, ended, T0)
    assert list(await MaintenanceWindow.all().values_list("id", flat=True)) == [running]
    [event] = await DroppedEvent.filter(source_id=people.ops.api_source_id)
    assert event.reason is DropReason.MAINTENANCE  # what it swallowed stays recorded


async def test_a_window_over_two_teams_needs_rights_over_both(people: People) -> None:
    shared = await window(people.ops, timedelta(hours=1), timedelta(hours=2), people.web.api_source_id)
    for who in (people.alice, people.web_alice):
        with pytest.raises(NotFound):
            await delete_maintenance_window(who, shared, T0)
    await delete_maintenance_window(people.admin, shared, T0)
    assert not await MaintenanceWindow.exists(id=shared)

