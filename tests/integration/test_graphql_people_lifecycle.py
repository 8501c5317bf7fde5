"""Inviting, deactivating and reactivating people, over GraphQL against a real server (SQLite
and PostgreSQL): an invitation link sets the password once and signs in; a deactivated user
cannot sign in, every token of theirs stops at once, they are never paged and their shifts do
not count anywhere (shifts, onCall, onCallByPolicy, calendar feeds, escalation); and
deactivationImpact reports exactly the gaps that deactivating leaves, across a DST change."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import httpx
import pytest

from pagerline.models import Invitation, Notification, NotificationKind, User
from tests.support.databases import TemplateDatabases
from tests.support.graphql import BACKENDS, World, collect, data, error_code, fire_ok, gql, in_db, world_on
from tests.support.polling import wait_until

INVITE = """mutation($email: String!, $name: String!, $teams: [ID!]! = [], $zone: String! = "UTC", $role: Role! = USER) {
  inviteUser(email: $email, name: $name, teamIds: $teams, timezone: $zone, role: $role) {
    url expiresAt user { id email name role timezone active teams { name } } } }"""
ACCEPT = "mutation($t: String!, $p: String!) { acceptInvitation(token: $t, password: $p) { token user { id email } } }"
INFO = "query($t: String!) { invitation(token: $t) { email name expiresAt } }"
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
DEACTIVATE = "mutation($id: ID!) { deactivateUser(id: $id) { id active } }"
REACTIVATE = "mutation($id: ID!) { reactivateUser(id: $id) { id active } }"
IMPACT = """query($id: ID!, $from: DateTime, $days: Int! = 28) { deactivationImpact(userId: $id, from: $from, days: $days) {
  user { id } gaps { schedule { id name } start end } emptyLevels { policy { id name } position } schedules { id name } } }"""
SHIFTS = "query($id: ID!, $from: DateTime!, $until: DateTime!) { schedule(id: $id) { shifts(from: $from, until: $until) { user { id } start end } } }"

_numbers = count(1)


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world_on(request.param, templates, tmp_path_factory.mktemp("gql-people")) as made:
        yield made


def field_of(body: dict[str, Any]) -> str | None:
    return body["errors"][0].get("extensions", {}).get("field")


def person(world: World, name: str) -> tuple[str, str, str]:
    """A new USER with a password: (id, email, password)."""
    email = f"{name.lower()}{next(_numbers)}@people.test"
    password = f"{name.lower()}-password"
    made = data(world.url, world.admin_token, """mutation($e: String!, $n: String!, $p: String!) {
        createUser(email: $e, name: $n, password: $p) { id } }""", e=email, n=name, p=password)
    return made["createUser"]["id"], email, password


def login(world: World, email: str, password: str) -> dict[str, Any]:
    return gql(world.url, None, LOGIN, e=email, p=password)


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# ------------------------------------------------------------------------------------ invitations


def test_an_invitation_link_sets_the_password_once_and_signs_in(world: World) -> None:
    email = f"ivy{next(_numbers)}@people.test"
    for token in (world.ops.alice_token, world.stakeholder_token):
        assert error_code(gql(world.url, token, INVITE, email=email, name="Ivy")) == "FORBIDDEN"
    refused = {
        "email": gql(world.url, world.admin_token, INVITE, email="not an address", name="Ivy"),
        "name": gql(world.url, world.admin_token, INVITE, email=email, name="  "),
        "timezone": gql(world.url, world.admin_token, INVITE, email=email, name="Ivy", zone="Mars/Base"),
        "teamIds": gql(world.url, world.admin_token, INVITE, email=email, name="Ivy", teams=["999999"]),
    }
    for field, body in refused.items():
        assert (error_code(body), field_of(body)) == ("BAD_USER_INPUT", field), body
    assert in_db(world.database_url, lambda: User.filter(email=email).exists()) is False  # nothing made

    sent_at = datetime.now(UTC)
    invited = data(world.url, world.admin_token, INVITE, email=email.upper(), name="Ivy", teams=[str(world.ops.team_id)],
                   zone="Europe/Berlin", role="RESPONDER")["inviteUser"]
    user = invited["user"]
    assert (user["email"], user["role"], user["timezone"], user["active"], user["teams"]) == (email, "RESPONDER", "Europe/Berlin", True, [{"name": "Ops"}])
    prefix = f"{world.url}/invite/"
    assert invited["url"].startswith(prefix)
    token = invited["url"][len(prefix):]
    expires = parse(invited["expiresAt"])
    assert sent_at + timedelta(days=7) - timedelta(minutes=1) < expires <= datetime.now(UTC) + timedelta(days=7)
    stored = in_db(world.database_url, lambda: Invitation.filter(user_id=int(user["id"])).values_list("token_hash", flat=True))
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]  # only the digest is kept
    assert error_code(gql(world.url, world.admin_token, INVITE, email=email, name="Ivy again")) == "CONFLICT"
    # The link opens the web app (as its root answers: 503 where it was not built), no 404.
    assert httpx.get(invited["url"], timeout=10).status_code == httpx.get(f"{world.url}/", timeout=10).status_code

    # Anyone holding the link sees who it is for; before accepting, nobody can sign in as Ivy.
    assert data(world.url, None, INFO, t=token)["invitation"] == {"email": email, "name": "Ivy", "expiresAt": invited["expiresAt"]}
    assert data(world.url, None, INFO, t=token + "x")["invitation"] is None
    assert error_code(login(world, email, "")) == "UNAUTHENTICATED"

    # A resent link retires the first one at once.
    resent = data(world.url, world.admin_token, "mutation($id: ID!) { resendInvitation(userId: $id) { url user { id } } }", id=user["id"])
    new_token = resent["resendInvitation"]["url"][len(prefix):]
    assert new_token != token and data(world.url, None, INFO, t=token)["invitation"] is None
    assert error_code(gql(world.url, None, ACCEPT, t=token, p="ivy-password")) == "NOT_FOUND"
    assert error_code(gql(world.url, world.ops.alice_token, "mutation($id: ID!) { resendInvitation(userId: $id) { url } }", id=user["id"])) == "FORBIDDEN"

    # The password rules of setUserPassword; a refused password uses nothing up.
    short = gql(world.url, None, ACCEPT, t=new_token, p="short")
    assert (error_code(short), field_of(short)) == ("BAD_USER_INPUT", "password")
    session = data(world.url, None, ACCEPT, t=new_token, p="ivy-password")["acceptInvitation"]
    assert session["user"] == {"id": user["id"], "email": email}
    assert data(world.url, session["token"], "{ me { id } }")["me"] == {"id": user["id"]}
    assert login(world, email, "ivy-password")["data"]["login"]["token"]

    # One use; then resending is a conflict (Ivy signs in with her password).
    assert error_code(gql(world.url, None, ACCEPT, t=new_token, p="other-password")) == "NOT_FOUND"
    assert data(world.url, None, INFO, t=new_token)["invitation"] is None
    assert error_code(gql(world.url, world.admin_token, "mutation($id: ID!) { resendInvitation(userId: $id) { url } }", id=user["id"])) == "CONFLICT"


def test_an_expired_invitation_link_is_refused(world: World) -> None:
    email = f"late{next(_numbers)}@people.test"
    invited = data(world.url, world.admin_token, INVITE, email=email, name="Late")["inviteUser"]
    token = invited["url"].rsplit("/", 1)[1]
    in_db(world.database_url, lambda: Invitation.filter(user_id=int(invited["user"]["id"])).update(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert data(world.url, None, INFO, t=token)["invitation"] is None
    assert error_code(gql(world.url, None, ACCEPT, t=token, p="late-password")) == "NOT_FOUND"
    assert error_code(login(world, email, "late-password")) == "UNAUTHENTICATED"


# ------------------------------------------------------------------------------------ deactivation


def test_a_deactivated_user_cannot_sign_in_and_every_token_stops(world: World) -> None:
    dana_id, email, password = person(world, "Dana")
    session = login(world, email, password)["data"]["login"]["token"]
    api = data(world.url, session, 'mutation { createApiToken(name: "script") { secret } }')["createApiToken"]["secret"]
    widget = data(world.url, session, 'mutation { createWidgetToken(name: "phone") { secret } }')["createWidgetToken"]["secret"]
    feed = data(world.url, session, "mutation { createCalendarFeed { url } }")["createCalendarFeed"]["url"]
    assert httpx.get(feed, timeout=10).status_code == 200
    assert httpx.get(f"{world.url}/api/widget", headers={"Authorization": f"Bearer {widget}"}, timeout=10).status_code == 200

    assert error_code(gql(world.url, world.ops.alice_token, DEACTIVATE, id=dana_id)) == "FORBIDDEN"
    yourself = gql(world.url, world.admin_token, DEACTIVATE, id=str(world.admin_id))
    assert (error_code(yourself), field_of(yourself)) == ("BAD_USER_INPUT", "id")
    assert data(world.url, session, "{ me { active } }")["me"] == {"active": True}

    assert data(world.url, world.admin_token, DEACTIVATE, id=dana_id)["deactivateUser"] == {"id": dana_id, "active": False}
    for token in (session, api):
        assert error_code(gql(world.url, token, "{ me { id } }")) == "UNAUTHENTICATED"
    assert httpx.get(f"{world.url}/api/widget", headers={"Authorization": f"Bearer {widget}"}, timeout=10).status_code == 401
    assert httpx.get(feed, timeout=10).status_code == 404
    assert error_code(login(world, email, password)) == "UNAUTHENTICATED"
    assert data(world.url, world.admin_token, DEACTIVATE, id=dana_id)["deactivateUser"] == {"id": dana_id, "active": False}  # idempotent
    listed = data(world.url, world.admin_token, "{ users { id active } }")["users"]
    assert {"id": dana_id, "active": False} in listed

    # Reactivated: signs in again; the old tokens stay revoked.
    assert error_code(gql(world.url, world.ops.alice_token, REACTIVATE, id=dana_id)) == "FORBIDDEN"
    assert data(world.url, world.admin_token, REACTIVATE, id=dana_id)["reactivateUser"] == {"id": dana_id, "active": True}
    assert data(world.url, world.admin_token, REACTIVATE, id=dana_id)["reactivateUser"] == {"id": dana_id, "active": True}
    for token in (session, api):
        assert error_code(gql(world.url, token, "{ me { id } }")) == "UNAUTHENTICATED"
    assert httpx.get(feed, timeout=10).status_code == 404
    fresh = login(world, email, password)["data"]["login"]["token"]
    assert data(world.url, fresh, "{ me { id active } }")["me"] == {"id": dana_id, "active": True}


def _rota(world: World, dana: str, now: datetime) -> str:
    """Bob all the time underneath; on top Dana for the day from an hour ago, then Carol; and an
    override of Dana's for two hours, starting in three days (when Carol's turn has come round)."""
    layers = [
        {"startsOn": iso(now - timedelta(days=2)), "rotation": "P1D", "userIds": [str(world.ops.bob_id)]},
        {"startsOn": iso(now - timedelta(hours=1)), "rotation": "P1D", "userIds": [dana, str(world.ops.alice_id)]},
    ]
    made = data(world.url, world.admin_token, """mutation($layers: [LayerInput!]!) {
        createSchedule(name: "Rota", layers: $layers) { id } }""", layers=layers)
    schedule = made["createSchedule"]["id"]
    data(world.url, world.admin_token, "mutation($s: ID!, $u: ID!, $a: DateTime!, $b: DateTime!) { createOverride(scheduleId: $s, userId: $u, start: $a, end: $b) { id } }",
         s=schedule, u=dana, a=iso(now + timedelta(days=3)), b=iso(now + timedelta(days=3, hours=2)))
    return schedule


def test_a_deactivated_user_is_never_paged_and_their_shifts_do_not_count(world: World) -> None:
    dana, _, _ = person(world, "Dana")
    now = datetime.now(UTC)
    schedule = _rota(world, dana, now)
    policy = data(world.url, world.admin_token, """mutation($rules: [EscalationRuleInput!]!) {
        createEscalationPolicy(name: "Rota policy", rules: $rules) { id } }""",
                  rules=[{"escalationTimeout": 5, "scheduleIds": [schedule]}, {"escalationTimeout": 5, "userIds": [dana]}])["createEscalationPolicy"]["id"]
    key = data(world.url, world.admin_token, 'mutation($p: ID!) { createAlertSource(name: "Rota source", escalationPolicyId: $p) { integrationKey } }',
               p=policy)["createAlertSource"]["integrationKey"]
    feed = data(world.url, world.admin_token, "mutation($s: ID!) { createCalendarFeed(scheduleId: $s) { url } }", s=schedule)["createCalendarFeed"]["url"]
    window = {"id": schedule, "from": iso(now), "until": iso(now + timedelta(days=4))}
    override_at = now + timedelta(days=3, hours=1)

    def views() -> dict[str, Any]:
        shifts = data(world.url, world.admin_token, SHIFTS, **window)["schedule"]["shifts"]
        answer = data(world.url, world.admin_token, """query($at: DateTime!) { onCall { schedule { id } user { id } }
            later: onCall(at: $at) { schedule { id } user { id } } onCallByPolicy { policyId level users { id } } }""", at=iso(override_at))
        return {
            "shift users": {s["user"]["id"] for s in shifts},
            "now": next(o["user"]["id"] for o in answer["onCall"] if o["schedule"]["id"] == schedule),
            "override": next(o["user"]["id"] for o in answer["later"] if o["schedule"]["id"] == schedule),
            "levels": [[u["id"] for u in r["users"]] for r in answer["onCallByPolicy"] if r["policyId"] == policy],
            "feed names Dana": "Dana" in httpx.get(feed, timeout=10).text,
        }

    bob, alice = str(world.ops.bob_id), str(world.ops.alice_id)
    assert views() == {"shift users": {dana, alice}, "now": dana, "override": dana, "levels": [[dana], [dana]], "feed names Dana": True}
    data(world.url, world.admin_token, DEACTIVATE, id=dana)
    # The lower layer shows through Dana's turns and her override; her level pages nobody.
    assert views() == {"shift users": {bob, alice}, "now": bob, "override": alice, "levels": [[bob], []], "feed names Dana": False}

    alert = fire_ok(world.url, key, f"rota-{next(_numbers)}")

    def paged() -> set[int]:
        return set(in_db(world.database_url, lambda: Notification.filter(alert_id=alert, kind=NotificationKind.PAGE).values_list("user_id", flat=True)))

    assert wait_until(paged, what="the page of the alert") == {int(bob)}

    data(world.url, world.admin_token, REACTIVATE, id=dana)
    assert views() == {"shift users": {dana, alice}, "now": dana, "override": dana, "levels": [[dana], [dana]], "feed names Dana": True}

    # Who became and stopped being on call there because of it was told (a deactivated user never).
    def told() -> list[tuple[int, str]]:
        rows = in_db(world.database_url, lambda: Notification.filter(dedup_key__startswith="oncall:", kind=NotificationKind.INFO).values_list("user_id", "dedup_key"))
        return sorted((int(user), key.split(":")[3]) for user, key in rows if key.split(":")[2] == schedule)

    assert told() == [(int(bob), "OFF"), (int(bob), "ON"), (int(dana), "ON")]


# ------------------------------------------------------------------------------------ impact


def test_deactivation_impact_reports_the_gaps_shifts_show_afterwards_across_dst(world: World) -> None:
    dana, _, _ = person(world, "Dana")
    erin, _, _ = person(world, "Erin")
    # Berlin leaves summer time on 2026-10-25: Dana's first day (from the 24th, 09:00) lasts 25 hours.
    starts = "2026-10-24T09:00:00+02:00"
    restriction = {"startDay": "MONDAY", "startTime": "09:00", "endDay": "FRIDAY", "endTime": "17:00"}
    layers = [
        {"startsOn": starts, "rotation": "P1D", "userIds": [dana, erin]},
        {"startsOn": starts, "rotation": "P1W", "userIds": [dana], "restrictions": [restriction]},
    ]
    schedule = data(world.url, world.admin_token, """mutation($layers: [LayerInput!]!) {
        createSchedule(name: "Berlin days", timezone: "Europe/Berlin", layers: $layers) { id } }""", layers=layers)["createSchedule"]["id"]
    other = data(world.url, world.admin_token, """mutation($layers: [LayerInput!]!) {
        createSchedule(name: "Erin only", layers: $layers) { id } }""", layers=[{"startsOn": starts, "rotation": "P1D", "userIds": [erin]}])["createSchedule"]["id"]
    rules = [
        {"escalationTimeout": 5, "userIds": [dana]},
        {"escalationTimeout": 5, "userIds": [dana, str(world.ops.alice_id)]},
        {"escalationTimeout": 5, "userIds": [dana], "scheduleIds": [other]},
        {"escalationTimeout": 5, "userIds": [dana]},
    ]
    policy = data(world.url, world.admin_token, """mutation($rules: [EscalationRuleInput!]!) {
        createEscalationPolicy(name: "Dana first", rules: $rules) { id name rules { position } } }""", rules=rules)["createEscalationPolicy"]
    positions = [r["position"] for r in policy["rules"]]

    start, days = datetime(2026, 10, 22, 22, tzinfo=UTC), 10
    for token in (world.ops.alice_token, world.stakeholder_token):
        assert error_code(gql(world.url, token, IMPACT, id=dana, **{"from": iso(start)})) == "FORBIDDEN"
    for wrong in (0, 57):
        body = gql(world.url, world.admin_token, IMPACT, id=dana, days=wrong, **{"from": iso(start)})
        assert (error_code(body), field_of(body)) == ("BAD_USER_INPUT", "days")

    impact = data(world.url, world.admin_token, IMPACT, id=dana, days=days, **{"from": iso(start)})["deactivationImpact"]
    assert impact["user"] == {"id": dana}
    assert impact["schedules"] == [{"id": schedule, "name": "Berlin days"}]
    assert impact["emptyLevels"] == [{"policy": {"id": policy["id"], "name": "Dana first"}, "position": p} for p in (positions[0], positions[3])]
    assert {g["schedule"]["id"] for g in impact["gaps"]} == {schedule}
    reported = [(parse(g["start"]), parse(g["end"])) for g in impact["gaps"]]
    assert timedelta(hours=25) in {end - begin for begin, end in reported}  # the day the clocks went back

    # Covered all along before; once Dana is gone, the stretches with nobody are exactly the gaps.
    until = start + timedelta(days=days)
    window = {"id": schedule, "from": iso(start), "until": iso(until)}
    before = data(world.url, world.admin_token, SHIFTS, **window)["schedule"]["shifts"]
    data(world.url, world.admin_token, DEACTIVATE, id=dana)
    after = data(world.url, world.admin_token, SHIFTS, **window)["schedule"]["shifts"]
    assert {s["user"]["id"] for s in after} == {erin}
    assert reported == _uncovered_in(after, _covered(before)) and reported

    # Asked about someone already deactivated, it says what reactivating would restore: the same.
    again = data(world.url, world.admin_token, IMPACT, id=dana, days=days, **{"from": iso(start)})["deactivationImpact"]
    assert again["gaps"] == impact["gaps"]
    data(world.url, world.admin_token, REACTIVATE, id=dana)
    assert data(world.url, world.admin_token, SHIFTS, **window)["schedule"]["shifts"] == before


def _covered(shifts: list[dict[str, Any]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for s in shifts:
        begin, end = parse(s["start"]), parse(s["end"])
        if out and out[-1][1] == begin:
            out[-1] = (out[-1][0], end)
        else:
            out.append((begin, end))
    return out


def _uncovered_in(shifts: list[dict[str, Any]], covered: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The parts of ``covered`` (sorted, disjoint) that ``shifts`` leave without anybody."""
    taken = _covered(shifts)
    out: list[tuple[datetime, datetime]] = []
    for begin, end in covered:
        cursor = begin
        for s, e in taken:
            if e <= cursor or s >= end:
                continue
            if s > cursor:
                out.append((cursor, s))
            cursor = max(cursor, e)
        if cursor < end:
            out.append((cursor, end))
    return out


# ------------------------------------------------------------------------------------ live changes


def watched(world: World, trigger: Callable[[], None], expected: int) -> list[dict[str, Any]]:
    """The admin's ``configChanges`` while ``trigger`` runs (after a warm-up rename of the admin
    that makes sure the subscription is live), waiting for one more than ``expected``."""

    def warm_up(attempt: int) -> None:
        data(world.url, world.admin_token, "mutation($id: ID!, $n: String!) { updateUser(id: $id, name: $n) { id } }", id=str(world.admin_id), n=f"Root {attempt}")

    def is_warm_up(message: dict[str, Any]) -> bool:
        return message["configChanges"] == {"kind": "USER", "id": str(world.admin_id), "action": "UPDATED"}

    received = asyncio.run(collect(world.url, world.admin_token, "subscription { configChanges { kind id action } }", warm_up, is_warm_up, trigger,
                                   lambda got: len(got) > expected))
    return [m["configChanges"] for m in received]


def test_people_changes_reach_the_admins_console(world: World) -> None:
    made: dict[str, str] = {}
    now = datetime.now(UTC)

    def changes() -> None:
        invited = data(world.url, world.admin_token, INVITE, email=f"live{next(_numbers)}@people.test", name="Live", teams=[str(world.web.team_id)])["inviteUser"]
        made["user"] = invited["user"]["id"]
        resent = data(world.url, world.admin_token, "mutation($id: ID!) { resendInvitation(userId: $id) { url } }", id=made["user"])
        data(world.url, None, ACCEPT, t=resent["resendInvitation"]["url"].rsplit("/", 1)[1], p="live-password")
        made["schedule"] = data(world.url, world.admin_token, """mutation($layers: [LayerInput!]!) { createSchedule(name: "Live", layers: $layers) { id } }""",
                                layers=[{"startsOn": iso(now), "rotation": "P1D", "userIds": [made["user"]]}])["createSchedule"]["id"]
        made["policy"] = data(world.url, world.admin_token, "mutation($r: [EscalationRuleInput!]!) { createEscalationPolicy(name: \"Live\", rules: $r) { id } }",
                              r=[{"escalationTimeout": 5, "userIds": [made["user"]]}])["createEscalationPolicy"]["id"]
        data(world.url, world.admin_token, DEACTIVATE, id=made["user"])
        data(world.url, world.admin_token, DEACTIVATE, id=made["user"])  # changes nothing: announces nothing
        data(world.url, world.admin_token, REACTIVATE, id=made["user"])

    received = watched(world, changes, expected=12)
    user, schedule, policy = (("USER", made["user"]), ("SCHEDULE", made["schedule"]), ("POLICY", made["policy"]))
    assert [(m["kind"], m["id"], m["action"]) for m in received] == [
        (*user, "CREATED"), ("TEAM", str(world.web.team_id), "UPDATED"),  # invited
        (*user, "UPDATED"),  # resent
        (*user, "UPDATED"),  # accepted
        (*schedule, "CREATED"), (*policy, "CREATED"),
        (*user, "UPDATED"), (*schedule, "UPDATED"), (*policy, "UPDATED"),  # deactivated
        (*user, "UPDATED"), (*schedule, "UPDATED"), (*policy, "UPDATED"),  # reactivated
    ]
