"""No N+1: the dashboard query (alerts with source, policy, responders and latest log entry)
costs the same number of SQL statements for 5 alerts as for 50, and accepting an alert the same
for one person paged as for five. Statements are counted by
wrapping the Tortoise client's execute methods while the real app (in-process, with its
lifespan) answers HTTP requests through httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from pagerline.db import close_db, init_db
from pagerline.engine.alerts.actions import clear_action_cache
from pagerline.engine.alerts.transitions import NewAlert, comment_alert, open_alert
from pagerline.engine.people.accounts import create_user
from pagerline.models import Alert, AlertStatus, Channel, Notification, NotificationKind, NotificationStatus, Priority, Role
from tests.support.graphql import data_via, in_process_client
from tests.support.seed import Org, raise_alert, seed_org, timeline_texts
from tests.support.statements import StatementCounter, client_class_for
from tests.support.web_app import web_app_document

DASHBOARD = """query($first: Int) { alerts(first: $first, status: [PENDING, ACCEPTED]) {
  edges { cursor node { id summary status priority createdAt
    source { name team { name } } escalationPolicy { name }
    responders { user { name } notifiedAt accepted }
    latestLogEntry { kind text at } } }
  pageInfo { hasNextPage endCursor } } }"""


async def _seed(database_url: str, alerts: int) -> Org:
    """``alerts`` open alerts, each paged (a responder), some accepted, some commented."""
    await init_db(database_url)
    try:
        org = await seed_org()
        start = datetime.now(UTC) - timedelta(minutes=1)
        for i in range(alerts):
            alert = await open_alert(
                NewAlert(org.api_source_id, org.policy_id, f"Alert {i}", None, Priority.HIGH, f"key-{i}"), start + timedelta(milliseconds=i)
            )
            if i % 3 == 0:
                await comment_alert(alert.id, org.bob_id, f"looking at {i}", start + timedelta(seconds=1))
        return org
    finally:
        await close_db()


@pytest.fixture
async def dashboard(database_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[httpx.AsyncClient, StatementCounter, Org]]:
    """The real app with its lifespan (no embedded worker, so only requests touch the database)."""
    org = await _seed(database_url, 50)
    counter = StatementCounter()
    counter.install(monkeypatch, client_class_for(database_url))
    async with in_process_client(database_url) as client:
        yield client, counter, org


async def _statements_for(client: httpx.AsyncClient, counter: StatementCounter, token: str, first: int) -> tuple[int, list[dict[str, Any]]]:
    counter.statements.clear()
    shown = await data_via(client, token, DASHBOARD, first=first)
    return len(counter.statements), shown["alerts"]["edges"]


async def test_dashboard_query_costs_the_same_for_5_and_50_alerts(dashboard: tuple[httpx.AsyncClient, StatementCounter, Org]) -> None:
    client, counter, org = dashboard
    few, few_edges = await _statements_for(client, counter, org.alice_token, 5)
    many, many_edges = await _statements_for(client, counter, org.alice_token, 50)
    assert (len(few_edges), len(many_edges)) == (5, 50)
    # The relations are really there (a loader returning nothing would also be "constant").
    for edge in many_edges:
        node = edge["node"]
        assert node["source"] == {"name": "Ops API", "team": {"name": "Ops"}} and node["escalationPolicy"] == {"name": "Ops policy"}
        assert [r["user"]["name"] for r in node["responders"]] == ["Alice"] and node["latestLogEntry"]
    commented = [e["node"] for e in many_edges if e["node"]["latestLogEntry"]["kind"] == "COMMENT"]
    assert len(commented) == 17 and all(n["latestLogEntry"]["text"].startswith("Bob: looking at") for n in commented)
    assert few == many, f"{few} statements for 5 alerts, {many} for 50:\n" + "\n".join(counter.statements)
    assert many <= 15, "\n".join(counter.statements)


POLICIES = "{ escalationPolicies { name rules { escalationTimeout users { name } schedules { name layers { rotation userIds } } } } }"


async def test_policies_with_schedules_and_layers_cost_the_same_for_1_and_6_schedules(
    dashboard: tuple[httpx.AsyncClient, StatementCounter, Org],
) -> None:
    from pagerline.engine.schedules.editing import LayerInput, create_schedule
    from pagerline.models import EscalationRule, ScheduleKind

    client, counter, org = dashboard
    rule = await EscalationRule.filter(policy_id=org.policy_id).order_by("position").first()
    assert rule is not None

    async def statements_with(total: int) -> tuple[int, list[str]]:
        while await rule.schedules.all().count() < total:
            made = await create_schedule(
                f"Rota {await rule.schedules.all().count()}", "UTC", ScheduleKind.RECURRING, org.team_id,
                [LayerInput(datetime.now(UTC), "P1D", [org.alice_id, org.bob_id]), LayerInput(datetime.now(UTC), "PT12H", [org.bob_id])],
            )
            await rule.schedules.add(made)
        counter.statements.clear()
        response = await client.post("/graphql", json={"query": POLICIES}, headers={"Authorization": f"Bearer {org.alice_token}"})
        assert response.status_code == 200 and "errors" not in response.json(), response.text
        [policy] = [p for p in response.json()["data"]["escalationPolicies"] if p["name"] == "Ops policy"]
        layers = [len(s["layers"]) for r in policy["rules"] for s in r["schedules"]]
        assert layers == [2] * total  # the layers are really there
        return len(counter.statements), counter.statements[:]

    one, _ = await statements_with(1)
    six, statements = await statements_with(6)
    assert one == six, f"{one} statements for 1 schedule, {six} for 6:\n" + "\n".join(statements)


async def _paged(alert_id: int, user_ids: list[int], status: NotificationStatus) -> None:
    """Push pages of the alert to ``user_ids``, as delivery would have left them."""
    now = datetime.now(UTC)
    for user_id in user_ids:
        await Notification.create(
            dedup_key=f"test-page:{alert_id}:{user_id}:{status.value}", alert_id=alert_id, user_id=user_id, kind=NotificationKind.PAGE,
            channel=Channel.PUSH, status=status, due_at=now, title="t", body="b", created_at=now,
        )


async def test_accepting_costs_the_same_statements_however_many_were_paged(
    dashboard: tuple[httpx.AsyncClient, StatementCounter, Org],
) -> None:
    """acceptAlert (the web app's own document) in a fixed, small number of statements: the
    lock reads the actor's name and the viewer's right to see the alert, and the updates to
    everyone paged are one statement, whether one person was paged or five."""
    client, counter, org = dashboard
    people = [org.alice_id, org.bob_id] + [
        (await create_user(f"p{i}@ops.test", f"Person {i}", None, Role.RESPONDER, "UTC", ["Ops"])).id for i in range(3)
    ]
    few, many = (await Alert.filter(status=AlertStatus.PENDING).order_by("id").limit(2).values_list("id", flat=True))
    await Notification.filter(alert_id__in=[few, many]).delete()
    await _paged(few, people[:1], NotificationStatus.SENT)
    await _paged(many, people, NotificationStatus.SENT)
    await _paged(many, people[1:2], NotificationStatus.PENDING)  # not handed to a transport yet: cancelled
    accept = web_app_document("Accept")

    async def statements_to_accept(alert_id: int) -> list[str]:
        clear_action_cache()  # each accept reads its source's actions afresh, alike
        counter.statements.clear()
        shown = await data_via(client, org.alice_token, accept, id=str(alert_id))
        assert shown["acceptAlert"]["status"] == "ACCEPTED"
        return counter.statements[:]

    one, five = await statements_to_accept(few), await statements_to_accept(many)
    assert len(one) == len(five) <= 9, "\n".join(five)
    updates = await Notification.filter(alert_id=many, kind=NotificationKind.UPDATE).order_by("user_id").values_list("user_id", "status", "dedup_key")
    assert updates == [(u, NotificationStatus.PENDING, f"update:{many}:{u}:ACCEPTED:0:0") for u in sorted(people)]
    assert await Notification.filter(alert_id=many, kind=NotificationKind.PAGE, status=NotificationStatus.PENDING).count() == 0
    assert await timeline_texts(many, "ACCEPTED") == ["Accepted by Alice via app"]

    # Again: nothing changes, nothing is written twice.
    again = await statements_to_accept(many)
    assert len(again) < len(five)
    assert await Notification.filter(alert_id=many, kind=NotificationKind.UPDATE).count() == len(people)
    assert await timeline_texts(many, "ACCEPTED") == ["Accepted by Alice via app"]


async def test_an_alert_the_viewer_may_not_see_is_not_found_and_stays_as_it_was(
    dashboard: tuple[httpx.AsyncClient, StatementCounter, Org],
) -> None:
    client, _, org = dashboard
    other = await seed_org(team="Elsewhere")
    hidden = await raise_alert(other.api_key, datetime.now(UTC), "hidden-1", "Not for Ops")
    for mutation in ("acceptAlert", "resolveAlert", "escalateAlert"):
        response = await client.post(
            "/graphql", json={"query": f"mutation($id: ID!) {{ {mutation}(id: $id) {{ id status }} }}", "variables": {"id": str(hidden)}},
            headers={"Authorization": f"Bearer {org.alice_token}"},
        )
        body = response.json()
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND" and body["errors"][0]["message"] == "Alert not found", body
    alert = await Alert.get(id=hidden)
    assert (alert.status, alert.escalation_rule_index) == (AlertStatus.PENDING, 0)
    assert await timeline_texts(hidden, "ACCEPTED") == [] and await timeline_texts(hidden, "RESOLVED") == []
    assert (await data_via(client, other.alice_token, "mutation($id: ID!) { acceptAlert(id: $id) { status } }", id=str(hidden))) == {
        "acceptAlert": {"status": "ACCEPTED"}
    }
