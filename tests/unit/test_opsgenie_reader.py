"""The Opsgenie reader's translation rules one by one, over an in-memory transport (httpx's
MockTransport answering in Opsgenie's shapes): what each kind of rotation, restriction,
override, escalation rule, repeat, routing rule and integration becomes, or why it is left out,
and how the on-call timeline's rotations are merged into one line."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from pagerline.importers.model import ImportPolicy, ImportRule, ImportTarget, LeftOut, OnCallSpan, WeeklyWindow
from pagerline.importers.opsgenie import OpsgenieReader
from tests.fakes.opsgenie_api import participant, restriction, rotation, time_of_day, user

NOW = datetime(2027, 3, 20, 12, tzinfo=UTC)
BASE = "https://api.eu.opsgenie.com"
ANN = user("u-ann", "ann@example.com", "Ann")
BEN = user("u-ben", "ben@example.com", "Ben")


class Account:
    """Opsgenie's answers by path (``data`` of each), and the requests made."""

    def __init__(self, **data: Any) -> None:
        self.data: dict[str, Any] = {
            "/v2/users": [ANN, BEN], "/v2/teams": [], "/v2/schedules": [], "/v2/escalations": [], "/v2/integrations": [],
        }
        self.data.update({k.replace("__", "/"): v for k, v in data.items()})
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("Authorization") != "GenieKey k":
            return httpx.Response(401, json={"message": "Could not authenticate", "took": 0, "requestId": "r"})
        path = request.url.path
        if path not in self.data:
            return httpx.Response(404, json={"message": f"no {path}", "took": 0, "requestId": "r"})
        body = self.data[path]
        return httpx.Response(200, json=body if isinstance(body, dict) and "data" in body else {"data": body, "took": 0, "requestId": "r"})

    def reader(self) -> OpsgenieReader:
        return OpsgenieReader("k", BASE, http=httpx.AsyncClient(transport=httpx.MockTransport(self)), clock=lambda: NOW)


def schedule(id: str, rotations: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"id": id, "name": id, "timezone": "Europe/Berlin", "enabled": True, "ownerTeam": None, "rotations": rotations, **extra}


def rule(delay: int, recipient: dict[str, Any], *, unit: str = "minutes", notify: str = "default", condition: str = "if-not-acked") -> dict[str, Any]:
    return {"condition": condition, "notifyType": notify, "delay": {"timeAmount": delay, "timeUnit": unit}, "recipient": recipient}


ANN_REF = {"type": "user", "id": "u-ann", "username": "ann@example.com"}
BEN_REF = {"type": "user", "id": "u-ben", "username": "ben@example.com"}


# --------------------------------------------------------------------------- schedules


async def test_rotations_restrictions_and_overrides() -> None:
    account = Account(**{
        "/v2/schedules": [
            schedule("s1", [
                rotation("r-hourly", "Six hours", "hourly", "2027-03-01T06:00:00Z", [participant(ANN), participant(BEN)], length=6,
                         time_restriction={"type": "weekday-and-time-of-day", "restrictions": [restriction("friday", "18:00", "monday", "09:00")]}),
                rotation("r-all-day", "All day", "daily", "2027-03-01T06:00:00Z", [participant(BEN)], time_restriction=time_of_day("08:00", "08:00")),
                rotation("r-none", "With a gap", "weekly", "2027-03-01T06:00:00Z", [participant(ANN), {"type": "none"}]),
                rotation("r-escalation", "Escalation", "weekly", "2027-03-01T06:00:00Z", [{"type": "escalation", "id": "e9", "name": "Esc"}]),
            ]),
            schedule("s-off", [rotation("r-x", "x", "daily", "2027-03-01T06:00:00Z", [participant(ANN)])], enabled=False),
        ],
        "/v2/schedules/s1/overrides": [
            {"alias": "a1", "user": {"type": "user", "id": "u-ann", "username": "ann@example.com"},
             "startDate": "2027-03-21T00:00:00Z", "endDate": "2027-03-22T00:00:00Z", "rotations": [{"id": "r-hourly", "name": "Six hours"}]},
            {"alias": "a2", "user": {"type": "user", "username": "ben@example.com"},  # named by username only
             "startDate": "2027-03-20T00:00:00Z", "endDate": "2027-03-20T13:00:00Z", "rotations": []},
        ],
    })
    reader = account.reader()
    bundle = await reader.read()
    await reader.close()
    [s1] = bundle.schedules
    assert [(l.external_id, l.turn_seconds, l.user_ids, l.restrictions) for l in s1.layers] == [
        ("r-hourly", 6 * 3600, ("u-ann", "u-ben"), (WeeklyWindow(4, "18:00", 0, "09:00"),)),
        ("r-all-day", 86400, ("u-ben",), ()),  # 08:00 to 08:00: the whole day, no restriction
    ]
    assert [(o.external_id, o.user_id) for o in s1.overrides] == [("s1:a2", "u-ben")]  # still running at NOW
    assert list(bundle.left_out) == [
        LeftOut("layer", "r-none", "s1 / With a gap", "participant 2 is 'none' (a turn with nobody on call); pagerline's layers rotate people only, and dropping the turn would shift everybody's turns"),
        LeftOut("layer", "r-escalation", "s1 / Escalation", "participant 1 is escalation 'Esc': pagerline's layers rotate users only (a team or escalation decides by its own rules whom it pages)"),
        LeftOut("override", "s1:a1", "s1 / override a1", "it replaces only the people of rotation(s) 'Six hours'; a pagerline override takes the whole schedule"),
        LeftOut("schedule", "s-off", "s-off", "disabled in Opsgenie: nobody is paged through it"),
    ]


# --------------------------------------------------------------------------- escalations


async def test_escalation_rules_become_levels_by_the_differences_of_their_delays() -> None:
    account = Account(**{
        "/v2/teams": [{"id": "t1", "name": "T"}],
        "/v2/teams/t1": {"id": "t1", "name": "T", "members": [{"user": {"id": "u-ann", "username": "ann@example.com"}, "role": "admin"}, {"user": {"id": "u-ben", "username": "ben@example.com"}, "role": "user"}]},
        "/v2/schedules": [schedule("s1", [rotation("r", "r", "daily", "2027-03-01T06:00:00Z", [participant(ANN)])])],
        "/v2/schedules/s1/overrides": [],
        "/v2/escalations": [
            {"id": "e1", "name": "E1", "ownerTeam": {"id": "t1", "name": "T"}, "rules": [
                rule(5, {"type": "schedule", "id": "s1", "name": "s1"}),
                rule(1, ANN_REF, unit="hours"),
                rule(1, {"type": "team", "id": "t1", "name": "T"}, unit="hours", notify="all"),
                rule(90, {"type": "team", "id": "t1", "name": "T"}),
                rule(90, {"type": "schedule", "id": "s1", "name": "s1"}, notify="next"),
            ], "repeat": {"waitInterval": 0, "count": 12, "resetRecipientStates": True, "closeAlertAfterAll": True}},
            {"id": "e2", "name": "E2", "rules": [rule(0, {"type": "schedule", "id": "s-gone", "name": "gone"})]},
        ],
    })
    reader = account.reader()
    bundle = await reader.read()
    await reader.close()
    assert list(bundle.policies) == [
        ImportPolicy(
            "e1", "E1",
            rules=(
                ImportRule(55, (ImportTarget("schedule", "s1"),)),
                # repeats start waitInterval (0) after the last level, then the first rule waits 5 again
                ImportRule(5, (ImportTarget("user", "u-ann"), ImportTarget("user", "u-ben"))),
            ),
            loops=13,
            team_id="t1",
        ),
    ]
    assert [(l.kind, l.external_id, l.why) for l in bundle.left_out] == [
        ("rule", "e1/rules/4", "it pages team 'T' through the team's own routing rules; name the team's schedule or people in this level instead"),
        ("rule", "e1/rules/5", "it notifies the next on-call person of schedule 's1'; pagerline notifies who is on call now"),
        ("policy", "e1", "its first rule waits 5 min after the alert is created; pagerline pages the first level at once"),
        ("policy", "e1", "its repeats also re-page people who acknowledged; pagerline repeats only while nobody accepted"),
        ("policy", "e1", "it closes the alert after its last repeat; pagerline leaves the alert pending"),
        ("rule", "e2/rules/1", "its schedule 'gone' is not imported (see above)"),
        ("policy", "e2", "none of its rules can be imported (see above)"),
    ]


# --------------------------------------------------------------------------- integrations


async def test_integrations_are_routed_by_their_teams_default_rule() -> None:
    account = Account(**{
        "/v2/teams": [{"id": "t1", "name": "T"}],
        "/v2/teams/t1": {"id": "t1", "name": "T", "members": []},
        "/v2/teams/t1/routing-rules": [
            {"id": "rr-p1", "name": "P1 to DB", "isDefault": False, "order": 0, "criteria": {"type": "match-all-conditions"},
             "notify": {"type": "escalation", "id": "e-db", "name": "DB_Escalation"}},
            {"id": "rr-def", "name": "Default", "isDefault": True, "order": 1, "notify": {"type": "schedule", "id": "s1", "name": "Primary"}},
        ],
        "/v2/schedules": [schedule("s1", [rotation("r", "r", "daily", "2027-03-01T06:00:00Z", [participant(ANN)])])],
        "/v2/schedules/s1/overrides": [],
        "/v2/integrations": [
            {"id": "i-graf", "name": "Grafana", "type": "Grafana", "enabled": True, "teamId": "t1"},
            {"id": "i-global", "name": "Global API", "type": "API", "enabled": True},
            {"id": "i-off", "name": "Old", "type": "API", "enabled": False, "teamId": "t1"},
        ],
        "/v2/integrations/i-graf": {"id": "i-graf", "name": "Grafana", "type": "Grafana", "ownerTeam": {"id": "t1", "name": "T"}},
        "/v2/integrations/i-global": {"id": "i-global", "name": "Global API", "type": "API", "apiKey": "abc"},
    })
    reader = account.reader()
    bundle = await reader.read()
    await reader.close()
    [service] = bundle.services
    assert (service.external_id, service.policy_id, service.team_id) == ("i-graf", "routing-rule:t1:rr-def", "t1")
    assert [(i.kind, i.old_address) for i in service.integrations] == [("opsgenie", f"{BASE}/v2/alerts")]
    assert list(bundle.policies) == [
        ImportPolicy("routing-rule:t1:rr-def", "Primary (routing)", (ImportRule(30, (ImportTarget("schedule", "s1"),)),), team_id="t1"),
    ]
    assert [(l.kind, l.external_id) for l in bundle.left_out] == [("routing rule", "rr-p1"), ("integration", "i-global"), ("integration", "i-off")]
    assert "alerts matching its conditions to escalation 'DB_Escalation'" in bundle.left_out[0].why


# --------------------------------------------------------------------------- paging and on call


async def test_paging_follows_next_on_the_configured_host_only() -> None:
    first = {"data": [ANN], "paging": {"next": "https://elsewhere.example/v2/users?limit=1&offset=1"}, "took": 0, "requestId": "r"}
    second = {"data": [BEN], "paging": {}, "took": 0, "requestId": "r"}
    account = Account()
    pages = iter([first, second])

    def answer(request: httpx.Request) -> httpx.Response:
        account.requests.append(request)
        return httpx.Response(200, json=next(pages))

    reader = OpsgenieReader("k", BASE, http=httpx.AsyncClient(transport=httpx.MockTransport(answer)), clock=lambda: NOW)
    users = await reader._read_users()
    await reader.close()
    assert [u.email for u in users] == ["ann@example.com", "ben@example.com"]
    assert [str(r.url) for r in account.requests] == [
        f"{BASE}/v2/users?limit=100&offset=0&sort=username&order=asc",
        f"{BASE}/v2/users?limit=1&offset=1",
    ]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def test_on_call_merges_the_final_timeline_into_one_line() -> None:
    def period(start: str, end: str, who: dict[str, Any], kind: str = "default") -> dict[str, Any]:
        return {"startDate": start, "endDate": end, "type": kind, "recipient": who}

    timeline = {"finalTimeline": {"rotations": [
        {"id": "r2", "name": "second", "order": 1.0, "periods": [
            period("2027-03-20T10:00:00Z", "2027-03-20T14:00:00Z", {"type": "user", "name": "ben@example.com"}),  # no id: by username
        ]},
        {"id": "r1", "name": "first", "order": 0.0, "periods": [
            period("2027-03-20T06:00:00Z", "2027-03-20T16:00:00Z", {"type": "user", "id": "u-ann", "name": "ann@example.com"}),
            period("2027-03-20T12:00:00Z", "2027-03-20T13:00:00Z", {"type": "user", "id": "u-ann", "name": "ann@example.com"}, "override"),
            period("2027-03-20T17:00:00Z", "2027-03-20T18:00:00Z", {"type": "team", "id": "t1", "name": "T"}),
        ]},
    ]}}
    account = Account(**{"/v2/schedules/s1/timeline": timeline})
    reader = account.reader()
    spans = await reader.on_call("s1", at("2027-03-20T08:00"), at("2027-03-20T20:00"))
    await reader.close()
    assert spans == [
        OnCallSpan(at("2027-03-20T08:00"), at("2027-03-20T10:00"), "u-ann"),
        OnCallSpan(at("2027-03-20T10:00"), at("2027-03-20T12:00"), "u-ben"),  # the later rotation wins
        OnCallSpan(at("2027-03-20T12:00"), at("2027-03-20T13:00"), "u-ann"),  # an override beats both
        OnCallSpan(at("2027-03-20T13:00"), at("2027-03-20T14:00"), "u-ben"),
        OnCallSpan(at("2027-03-20T14:00"), at("2027-03-20T16:00"), "u-ann"),
        OnCallSpan(at("2027-03-20T16:00"), at("2027-03-20T20:00"), None),  # a gap, a team, a gap
    ]
    [request] = [r for r in account.requests if r.url.path.endswith("/timeline")]
    assert dict(request.url.params) == {"identifierType": "id", "date": "2027-03-20T08:00:00Z", "interval": "1", "intervalUnit": "days"}
    assert {r.method for r in account.requests} == {"GET"}
