"""A fake Opsgenie REST API v2 (the configuration half an import reads), answering in Opsgenie's
documented shapes: ``{"data": …, "took": …, "requestId": …}``, lists of users paged with
``limit``/``offset`` and ``paging.next`` (a full URL), errors as ``{"message", "took",
"requestId"}``. Every request needs ``Authorization: GenieKey <api_key>``; anything else is 401.

Routes: ``GET /v2/users``, ``/v2/teams``, ``/v2/teams/{id}``, ``/v2/teams/{id}/routing-rules``,
``/v2/schedules`` (rotations only with ``expand=rotation``), ``/v2/schedules/{id}/rotations``,
``/v2/schedules/{id}/overrides``, ``/v2/schedules/{id}/timeline``, ``/v2/escalations``,
``/v2/integrations`` and ``/v2/integrations/{id}``. The test fills the account as Opsgenie
would answer it (:attr:`FakeOpsgenie.users` and the rest are lists of those JSON objects).

The timeline (``date``, ``interval``, ``intervalUnit`` days/weeks/months) is computed here from the
stored rotations and overrides by this module's own reading of Opsgenie's rotation rules, not by
pagerline's schedule engine, so comparing the two means something:

* turns of ``length`` hours/days/weeks follow each other from ``startDate`` on the wall clock of
  the schedule's zone (the handover keeps its local time across daylight saving), and
  participants take them in order; restrictions hide time without stopping the turns;
* a wall time that does not exist (the spring-forward gap) is moved later by the gap, and one
  that exists twice means its earlier instant: ``java.time.ZonedDateTime.of``'s documented rule;
* an override without ``rotations`` takes every rotation's time in its window (it shows as a
  period of type ``override`` in the first rotation); one with ``rotations`` replaces the people
  of those rotations only.

Scripted answers win over everything: :meth:`FakeOpsgenie.fail` answers a status (429 carries
``X-RateLimit-State: THROTTLED`` and ``X-RateLimit-Period-In-Sec``, as Opsgenie's do).

    with FakeOpsgenie(api_key="k", page_limit=3) as og:
        og.users += [user("u1", "alice@example.com", "Alice")]
        og.fail(429, period=1)
        ...
        [call] = og.calls("/v2/users")
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from tests.fakes import Answer, HttpFake, HttpRequest, HttpResponse

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
UNITS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(weeks=1)}


@dataclass
class OpsgenieCall:
    """One request as the fake got it, and the status it answered."""

    path: str
    query: dict[str, str]
    authorization: str
    status: int = 0


# --------------------------------------------------------------------------- documented shapes


def user(id: str, username: str, full_name: str, time_zone: str = "Europe/Berlin") -> dict[str, Any]:
    return {
        "id": id, "username": username, "fullName": full_name, "role": {"id": "User", "name": "User"},
        "blocked": False, "verified": True, "timeZone": time_zone, "locale": "en_US",
        "createdAt": "2026-01-05T09:00:00.000Z", "userAddress": {}, "tags": [], "details": {},
    }


def participant(u: dict[str, Any]) -> dict[str, Any]:
    return {"type": "user", "id": u["id"], "username": u["username"]}


def restriction(start_day: str, start: str, end_day: str, end: str) -> dict[str, Any]:
    (sh, sm), (eh, em) = (int(x) for x in start.split(":")), (int(x) for x in end.split(":"))
    return {"startDay": start_day, "startHour": sh, "startMin": sm, "endDay": end_day, "endHour": eh, "endMin": em}


def time_of_day(start: str, end: str) -> dict[str, Any]:
    (sh, sm), (eh, em) = (int(x) for x in start.split(":")), (int(x) for x in end.split(":"))
    return {"type": "time-of-day", "restriction": {"startHour": sh, "startMin": sm, "endHour": eh, "endMin": em}}


def rotation(
    id: str, name: str, kind: str, start: str, participants: list[dict[str, Any]], *, length: int = 1,
    end: str | None = None, time_restriction: dict[str, Any] | None = None,
) -> dict[str, Any]:
    made: dict[str, Any] = {"id": id, "name": name, "startDate": start, "type": kind, "length": length, "participants": participants}
    if end is not None:
        made["endDate"] = end
    if time_restriction is not None:
        made["timeRestriction"] = time_restriction
    return made


# --------------------------------------------------------------------------- the rotation rules


def localize(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant a naive wall time in ``zone`` means (``ZonedDateTime.of``'s rule)."""
    offsets = {(wall + timedelta(hours=h)).replace(tzinfo=zone).utcoffset() for h in (-36, -12, 0, 12, 36)}
    readings = sorted(
        instant for offset in offsets if offset is not None
        for instant in [(wall - offset).replace(tzinfo=UTC)]
        if instant.astimezone(zone).replace(tzinfo=None) == wall
    )
    if readings:
        return readings[0]
    before = (wall - timedelta(days=1)).replace(tzinfo=zone).utcoffset()
    assert before is not None
    return (wall - before).replace(tzinfo=UTC)  # in a gap: later by the gap's length


def _minutes(hour: int, minute: int) -> timedelta:
    return timedelta(hours=hour, minutes=minute)


def active_windows(restriction_: dict[str, Any] | None, zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The instants a rotation may cover between ``start`` and ``end``."""
    if not restriction_:
        return [(start, end)]
    first = start.astimezone(zone).date() - timedelta(days=8)
    last = end.astimezone(zone).date() + timedelta(days=1)
    local: list[tuple[datetime, datetime]] = []
    day = first
    while day <= last:
        midnight = datetime(day.year, day.month, day.day)
        if restriction_["type"] == "time-of-day":
            r = restriction_["restriction"]
            a, b = _minutes(r["startHour"], r["startMin"]), _minutes(r["endHour"], r["endMin"])
            local.append((midnight + a, midnight + (b if b > a else b + timedelta(days=1))))
        else:
            for r in restriction_["restrictions"]:
                if DAYS.index(r["startDay"]) != day.weekday():
                    continue
                a = _minutes(r["startHour"], r["startMin"])
                b = timedelta(days=(DAYS.index(r["endDay"]) - DAYS.index(r["startDay"])) % 7) + _minutes(r["endHour"], r["endMin"])
                local.append((midnight + a, midnight + (b if b > a else b + timedelta(days=7))))
        day += timedelta(days=1)
    found = []
    for a, b in local:
        lo, hi = max(localize(a, zone), start), min(localize(b, zone), end)
        if lo < hi:
            found.append((lo, hi))
    return found


def rotation_periods(rot: dict[str, Any], zone: ZoneInfo, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """One rotation's periods between ``start`` and ``end``, before overrides."""
    rot_start = parse(rot["startDate"])
    rot_end = parse(rot["endDate"]) if rot.get("endDate") else end
    lo, hi = max(start, rot_start), min(end, rot_end)
    if lo >= hi or not rot["participants"]:
        return []
    step = UNITS[rot["type"]] * rot.get("length", 1)
    wall0 = rot_start.astimezone(zone).replace(tzinfo=None)
    turn = max(0, int((lo - rot_start) / step) - 2)
    windows = active_windows(rot.get("timeRestriction"), zone, lo, hi)
    periods: list[dict[str, Any]] = []
    while True:
        turn_start = rot_start if turn == 0 else localize(wall0 + step * turn, zone)
        turn_end = localize(wall0 + step * (turn + 1), zone)
        if turn_start >= hi:
            return periods
        who = rot["participants"][turn % len(rot["participants"])]
        for a, b in windows:
            pa, pb = max(a, turn_start, lo), min(b, turn_end, hi)
            if pa < pb:
                periods.append({"startDate": iso(pa), "endDate": iso(pb), "type": "default", "recipient": recipient(who)})
        turn += 1


def recipient(who: dict[str, Any]) -> dict[str, Any]:
    if who["type"] == "none":
        return {"type": "none"}
    return {"type": who["type"], "id": who.get("id"), "name": who.get("username") or who.get("name")}


def cut(periods: list[dict[str, Any]], start: datetime, end: datetime) -> list[dict[str, Any]]:
    """``periods`` without what falls in [start, end)."""
    kept = []
    for p in periods:
        a, b = parse(p["startDate"]), parse(p["endDate"])
        for lo, hi in ((a, min(b, start)), (max(a, end), b)):
            if lo < hi:
                kept.append({**p, "startDate": iso(lo), "endDate": iso(hi)})
    return sorted(kept, key=lambda p: p["startDate"])


def final_timeline(schedule: dict[str, Any], overrides: list[dict[str, Any]], start: datetime, end: datetime) -> list[dict[str, Any]]:
    zone = ZoneInfo(schedule.get("timezone") or "UTC")
    rotations = [
        {"id": rot["id"], "name": rot["name"], "order": float(order), "periods": rotation_periods(rot, zone, start, end)}
        for order, rot in enumerate(schedule.get("rotations") or [])
    ]
    for override in overrides:
        o_start, o_end = max(parse(override["startDate"]), start), min(parse(override["endDate"]), end)
        if o_start >= o_end:
            continue
        who = recipient({"type": "user", **override["user"]})
        names = {r.get("id") for r in override.get("rotations") or []}
        if not names:
            for rot in rotations:
                rot["periods"] = cut(rot["periods"], o_start, o_end)
            if rotations:
                rotations[0]["periods"] = sorted(
                    rotations[0]["periods"] + [{"startDate": iso(o_start), "endDate": iso(o_end), "type": "override", "recipient": who}],
                    key=lambda p: p["startDate"],
                )
            continue
        for rot in rotations:
            if rot["id"] not in names:
                continue
            replaced = []
            for p in rot["periods"]:
                a, b = max(parse(p["startDate"]), o_start), min(parse(p["endDate"]), o_end)
                if a < b:
                    replaced.append({"startDate": iso(a), "endDate": iso(b), "type": "override", "recipient": who})
            rot["periods"] = sorted(cut(rot["periods"], o_start, o_end) + replaced, key=lambda p: p["startDate"])
    return rotations


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- the fake


class FakeOpsgenie(HttpFake):
    name = "fake-opsgenie"

    def __init__(self, api_key: str = "og-fake-0000-key", *, page_limit: int = 100, max_records: int = 10_000) -> None:
        super().__init__(max_records=max_records)
        self.api_key = api_key
        self.page_limit = page_limit  # the most users one page holds, whatever ``limit`` asks
        self.users: list[dict[str, Any]] = []
        self.teams: list[dict[str, Any]] = []  # with "members": [{"user": {"id", "username"}, "role"}]
        self.schedules: list[dict[str, Any]] = []  # with "rotations"
        self.overrides: dict[str, list[dict[str, Any]]] = {}  # schedule id -> overrides
        self.escalations: list[dict[str, Any]] = []
        self.integrations: list[dict[str, Any]] = []  # as GET /v2/integrations/{id} answers
        self.routing_rules: dict[str, list[dict[str, Any]]] = {}  # team id -> rules

    def fail(self, status: int, *, path: str | None = None, times: int | None = 1, period: int | None = None, retry_after: int | None = None) -> None:
        """The next request(s) to ``path`` (any: None) answer ``status``."""
        self.script.add(path or self.script.ANY, Answer(status, {"period": period, "retry_after": retry_after}, times=times))

    def calls(self, path: str | None = None) -> list[OpsgenieCall]:
        return [c for c in list(self.received) if path is None or c.path == path]

    # ------------------------------------------------------------------ serving

    async def handle(self, request: HttpRequest) -> HttpResponse:
        query = {k: v[-1] for k, v in request.query.items()}
        call = OpsgenieCall(request.path, query, request.headers.get("authorization", ""))
        self.received.add(call)
        answer = self.script.take(request.path)
        await self.script.wait(answer)
        if answer is not None:
            response = self._scripted(answer)
        elif request.method != "GET":
            response = self._error(405, "Method not allowed")
        elif call.authorization != f"GenieKey {self.api_key}":
            response = self._error(401, "Could not authenticate")
        else:
            response = self._route(request.path, query)
        call.status = response.status
        return response

    def _scripted(self, answer: Answer) -> HttpResponse:
        extra = answer.payload or {}
        headers: dict[str, str] = {}
        if answer.status == 429:
            headers = {"X-RateLimit-State": "THROTTLED", "X-RateLimit-Reason": "ACCOUNT", "X-RateLimit-Period-In-Sec": str(extra.get("period") or 60)}
        if extra.get("retry_after") is not None:
            headers["Retry-After"] = str(extra["retry_after"])
        message = {401: "Could not authenticate", 403: "You are not authorized to access this resource", 429: "TooManyRequests"}
        return self._error(answer.status, message.get(answer.status, "Internal Server Error"), headers)

    @staticmethod
    def _envelope(data: Any, **extra: Any) -> dict[str, Any]:
        return {"data": data, **extra, "took": 0.012, "requestId": str(uuid.uuid4())}

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> HttpResponse:
        return HttpResponse(status, {"message": message, "took": 0.002, "requestId": str(uuid.uuid4())}, headers or {})

    def _route(self, path: str, query: dict[str, str]) -> HttpResponse:
        if path == "/v2/users":
            return self._users(query)
        if path == "/v2/teams":
            return HttpResponse(200, self._envelope([{"id": t["id"], "name": t["name"], "description": t.get("description", "")} for t in self.teams]))
        if m := re.fullmatch(r"/v2/teams/([^/]+)", path):
            team = self._find(self.teams, m[1], query.get("identifierType"))
            return HttpResponse(200, self._envelope(team)) if team else self._error(404, "No team exists with identifier")
        if m := re.fullmatch(r"/v2/teams/([^/]+)/routing-rules", path):
            team = self._find(self.teams, m[1], query.get("teamIdentifierType"))
            if team is None:
                return self._error(404, "No team exists with identifier")
            return HttpResponse(200, self._envelope(self.routing_rules.get(team["id"], [])))
        if path == "/v2/schedules":
            expand = "rotation" in query.get("expand", "").split(",")
            listed = [s if expand else {k: v for k, v in s.items() if k != "rotations"} for s in self.schedules]
            return HttpResponse(200, self._envelope(listed, expandable=["rotation"]))
        if m := re.fullmatch(r"/v2/schedules/([^/]+)/(rotations|overrides|timeline)", path):
            schedule = self._find(self.schedules, m[1], query.get("scheduleIdentifierType") or query.get("identifierType"))
            if schedule is None:
                return self._error(404, "No schedule exists with identifier")
            if m[2] == "rotations":
                return HttpResponse(200, self._envelope(schedule.get("rotations") or []))
            if m[2] == "overrides":
                parent = {"id": schedule["id"], "name": schedule["name"], "enabled": schedule.get("enabled", True)}
                return HttpResponse(200, self._envelope([{"_parent": parent, **o} for o in self.overrides.get(schedule["id"], [])]))
            return self._timeline(schedule, query)
        if path == "/v2/escalations":
            return HttpResponse(200, self._envelope(self.escalations))
        if path == "/v2/integrations":
            fields = ("id", "name", "enabled", "type", "teamId")
            return HttpResponse(200, self._envelope([{k: i.get(k) for k in fields} for i in self.integrations]))
        if m := re.fullmatch(r"/v2/integrations/([^/]+)", path):
            found = next((i for i in self.integrations if i["id"] == m[1]), None)
            return HttpResponse(200, self._envelope(found)) if found else self._error(404, "Integration not found")
        return self._error(404, f"No route for {path}")

    @staticmethod
    def _find(items: list[dict[str, Any]], identifier: str, kind: str | None) -> dict[str, Any] | None:
        key = "name" if kind == "name" else "id"
        return next((i for i in items if i.get(key) == identifier), None)

    def _users(self, query: dict[str, str]) -> HttpResponse:
        limit = min(max(int(query.get("limit", 20)), 1), self.page_limit)
        offset = max(int(query.get("offset", 0)), 0)
        ordered = sorted(self.users, key=lambda u: u.get(query.get("sort", "username"), ""), reverse=query.get("order") == "desc")
        page = ordered[offset : offset + limit]

        def link(at: int) -> str:
            return f"{self.url}/v2/users?{urlencode({**query, 'limit': limit, 'offset': at})}"

        paging = {"first": link(0), "last": link(max(0, (len(ordered) - 1) // limit * limit))}
        if offset + limit < len(ordered):
            paging["next"] = link(offset + limit)
        if offset > 0:
            paging["prev"] = link(max(0, offset - limit))
        return HttpResponse(200, self._envelope(page, totalCount=len(ordered), paging=paging))

    def _timeline(self, schedule: dict[str, Any], query: dict[str, str]) -> HttpResponse:
        start = parse(query["date"]) if query.get("date") else datetime.now(UTC)
        interval = int(query.get("interval", 1))
        unit = query.get("intervalUnit", "weeks")
        span = {"days": timedelta(days=1), "weeks": timedelta(weeks=1), "months": timedelta(days=31)}.get(unit)
        if span is None or interval < 1:
            return self._error(422, "intervalUnit must be days, weeks or months")
        end = start + span * interval
        data = {
            "_parent": {"id": schedule["id"], "name": schedule["name"], "enabled": schedule.get("enabled", True)},
            "startDate": iso(start),
            "endDate": iso(end),
            "finalTimeline": {"rotations": final_timeline(schedule, self.overrides.get(schedule["id"], []), start, end)},
        }
        return HttpResponse(200, self._envelope(data, expandable=["base", "forwarding", "override"]))
