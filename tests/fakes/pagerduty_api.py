"""A fake PagerDuty REST API v2, the part an importer reads: ``GET /users``, ``/teams``,
``/teams/{id}/members``, ``/schedules``, ``/schedules/{id}`` (rendered with ``since``/``until``),
``/schedules/{id}/overrides``, ``/escalation_policies``, ``/services`` (``include[]=integrations``),
``/services/{id}/integrations/{id}``, ``/event_orchestrations`` and ``/v3/schedules``.

It answers as PagerDuty documents (developer.pagerduty.com, github.com/PagerDuty/api-schema):
``Authorization: Token token=<key>`` (anything else is 401 ``{"error": {"message":
"Authentication failed", "code": 2006}}``); lists page with ``limit`` (default 25, more than
100 is a 400) and ``offset``, answering ``limit``, ``offset``, ``more`` and ``total`` (null
unless ``total=true``); objects are wrapped (``{"schedule": {...}}``); times carry offsets of
the schedule's zone (or of ``time_zone``). A rate limit (:meth:`FakePagerDuty.rate_limit`) is
429 with ``ratelimit-limit``/``-remaining``/``-reset`` and ``{"error": {"message": "Rate Limit
Exceeded", "code": 2020}}``.

The account is plain PagerDuty JSON (:class:`PagerDutyAccount`, built with the helpers below).
Schedule layers are kept in the order they were created (Layer 1 first); ``GET
/schedules/{id}`` lists them highest first, as PagerDuty's ``GET`` has (or lowest first with
``layers_listed="lowest_first"``, as PagerDuty announced it would).

``final_schedule`` is computed here, by this module's own reading of PagerDuty's layers (it
never calls pagerline's schedule engine, so comparing the two means something):

* a layer's turn ``k`` begins at the wall-clock time of ``rotation_virtual_start`` plus ``k``
  turns in the schedule's zone (a wall time skipped by a clock change falls after the change);
  ``users[k mod n]`` has it;
* the layer counts from ``start`` to ``end`` and only inside its restrictions (a daily one every
  day from ``start_time_of_day`` for ``duration_seconds`` of wall-clock time; a weekly one from
  ``start_day_of_week``), while its turns keep counting;
* a higher layer wins where it counts; overrides win over layers, a later one over an earlier;
* entries are cut at ``since``/``until``; nobody on call is simply no entry.

    account = PagerDutyAccount(users=[user_object("PALICE", "Alice", "alice@example.com")], ...)
    with FakePagerDuty(account, token="key") as pd:
        pd.rate_limit("GET /users", reset=1)
        reader = PagerDutyReader("key", pd.url)
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from tests.fakes import Answer, HttpFake, HttpRequest, HttpResponse

Json = dict[str, Any]
API = "https://api.pagerduty.com"
WEB = "https://acme.pagerduty.com"
DEFAULT_LIMIT = 25
MAX_LIMIT = 100
MAX_RECORDS = 10_000

_ROUTES = (  # (name, path pattern): the name is what a test scripts and reads calls by
    ("GET /users", re.compile(r"^/users$")),
    ("GET /teams", re.compile(r"^/teams$")),
    ("GET /teams/members", re.compile(r"^/teams/(?P<id>[^/]+)/members$")),
    ("GET /schedules", re.compile(r"^/schedules$")),
    ("GET /schedules/overrides", re.compile(r"^/schedules/(?P<id>[^/]+)/overrides$")),
    ("GET /schedule", re.compile(r"^/schedules/(?P<id>[^/]+)$")),
    ("GET /escalation_policies", re.compile(r"^/escalation_policies$")),
    ("GET /services", re.compile(r"^/services$")),
    ("GET /services/integration", re.compile(r"^/services/(?P<id>[^/]+)/integrations/(?P<integration>[^/]+)$")),
    ("GET /event_orchestrations", re.compile(r"^/event_orchestrations$")),
    ("GET /v3/schedules", re.compile(r"^/v3/schedules$")),
)

Entry = tuple[datetime, datetime, str]


# --------------------------------------------------------------------------- the account


@dataclass
class PagerDutyAccount:
    """What the account holds, as PagerDuty's JSON. ``team_members``: team id → ``[{"user":
    reference, "role": ...}]``; ``overrides``: schedule id → overrides, oldest first;
    ``v3_schedules``: None when the account has no shift-based schedules API (404)."""

    users: list[Json] = field(default_factory=list)
    teams: list[Json] = field(default_factory=list)
    team_members: dict[str, list[Json]] = field(default_factory=dict)
    schedules: list[Json] = field(default_factory=list)
    overrides: dict[str, list[Json]] = field(default_factory=dict)
    escalation_policies: list[Json] = field(default_factory=list)
    services: list[Json] = field(default_factory=list)
    event_orchestrations: list[Json] = field(default_factory=list)
    v3_schedules: list[Json] | None = None


def reference(kind: str, object_id: str, summary: str) -> Json:
    plural = {"user": "users", "team": "teams", "schedule": "schedules", "escalation_policy": "escalation_policies",
              "service": "services", "vendor": "vendors"}.get(kind, kind + "s")
    return {"id": object_id, "type": f"{kind}_reference", "summary": summary, "self": f"{API}/{plural}/{object_id}",
            "html_url": f"{WEB}/{plural}/{object_id}"}


def user_object(user_id: str, name: str, email: str, time_zone: str = "Etc/UTC", role: str = "user") -> Json:
    return {**reference("user", user_id, name), "type": "user", "name": name, "email": email, "time_zone": time_zone,
            "color": "purple", "role": role, "avatar_url": f"https://secure.gravatar.com/avatar/{user_id}.png",
            "description": None, "invitation_sent": False, "job_title": None, "teams": [], "contact_methods": [],
            "notification_rules": []}


def team_object(team_id: str, name: str) -> Json:
    return {**reference("team", team_id, name), "type": "team", "name": name, "description": None, "parent": None}


def member(user: Json, role: str = "responder") -> Json:
    return {"user": reference("user", user["id"], user["name"]), "role": role}


def daily_restriction(start_time_of_day: str, duration_seconds: int) -> Json:
    return {"type": "daily_restriction", "start_time_of_day": start_time_of_day, "duration_seconds": duration_seconds}


def weekly_restriction(start_day_of_week: int, start_time_of_day: str, duration_seconds: int) -> Json:
    return {"type": "weekly_restriction", "start_day_of_week": start_day_of_week, "start_time_of_day": start_time_of_day,
            "duration_seconds": duration_seconds}


def layer_object(
    layer_id: str, name: str, *, start: str, rotation_virtual_start: str, turn_seconds: int, users: Sequence[Json],
    end: str | None = None, restrictions: Sequence[Json] = (),
) -> Json:
    return {"id": layer_id, "name": name, "start": start, "end": end, "rotation_virtual_start": rotation_virtual_start,
            "rotation_turn_length_seconds": turn_seconds,
            "users": [{"user": reference("user", u["id"], u["name"])} for u in users],
            "restrictions": list(restrictions)}


def schedule_object(schedule_id: str, name: str, time_zone: str, layers: Sequence[Json], teams: Sequence[Json] = ()) -> Json:
    """``layers`` in the order they were created: Layer 1 (the lowest) first."""
    return {**reference("schedule", schedule_id, name), "type": "schedule", "name": name, "time_zone": time_zone,
            "description": None, "escalation_policies": [], "users": [],
            "teams": [reference("team", t["id"], t["name"]) for t in teams], "schedule_layers": list(layers)}


def override_object(override_id: str, start: str, end: str, user: Json) -> Json:
    return {"id": override_id, "start": start, "end": end, "user": reference("user", user["id"], user["name"])}


def rule_object(rule_id: str, delay_minutes: int, targets: Sequence[Json]) -> Json:
    """``targets``: user or schedule objects (or any ``{"id", "type", "summary"}``)."""
    refs = [reference(t["type"].removesuffix("_reference"), t["id"], t.get("name") or t.get("summary") or t["id"])
            for t in targets]
    return {"id": rule_id, "escalation_delay_in_minutes": delay_minutes, "targets": refs,
            "escalation_rule_assignment_strategy": {"type": "assign_to_everyone"}}


def policy_object(
    policy_id: str, name: str, rules: Sequence[Json], *, num_loops: int = 0, teams: Sequence[Json] = (),
    on_call_handoff_notifications: str = "if_has_services",
) -> Json:
    return {**reference("escalation_policy", policy_id, name), "type": "escalation_policy", "name": name,
            "description": "", "num_loops": num_loops, "on_call_handoff_notifications": on_call_handoff_notifications,
            "escalation_rules": list(rules), "services": [],
            "teams": [reference("team", t["id"], t["name"]) for t in teams]}


def integration_object(
    integration_id: str, kind: str, name: str, service_id: str, *, integration_key: str | None = None,
    integration_email: str | None = None, vendor: tuple[str, str] | None = None,
) -> Json:
    made: Json = {"id": integration_id, "type": kind, "summary": name, "name": name,
                  "self": f"{API}/services/{service_id}/integrations/{integration_id}",
                  "html_url": f"{WEB}/services/{service_id}/integrations/{integration_id}",
                  "service": reference("service", service_id, ""), "created_at": "2025-01-02T10:00:00Z",
                  "vendor": reference("vendor", vendor[0], vendor[1]) if vendor else None}
    if integration_key is not None:
        made["integration_key"] = integration_key
    if integration_email is not None:
        made["integration_email"] = integration_email
    return made


def service_object(
    service_id: str, name: str, policy: Json, integrations: Sequence[Json], *, teams: Sequence[Json] = (),
    urgency: Json | None = None, status: str = "active",
) -> Json:
    return {**reference("service", service_id, name), "type": "service", "name": name, "description": None,
            "status": status, "created_at": "2025-01-02T10:00:00Z", "auto_resolve_timeout": None,
            "acknowledgement_timeout": None, "alert_creation": "create_alerts_and_incidents",
            "escalation_policy": reference("escalation_policy", policy["id"], policy["name"]),
            "teams": [reference("team", t["id"], t["name"]) for t in teams], "integrations": list(integrations),
            "incident_urgency_rule": urgency or {"type": "constant", "urgency": "high"}, "support_hours": None,
            "scheduled_actions": [], "alert_grouping_parameters": {"type": None}}


# --------------------------------------------------------------------------- records


@dataclass
class PagerDutyCall:
    """One API call as the fake got it, and the status it answered."""

    route: str
    path: str
    query: dict[str, list[str]]
    authorization: str
    accept: str
    status: int | None = None

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None


def _error(status: int, message: str, code: int, errors: Sequence[str] = ()) -> HttpResponse:
    body: Json = {"error": {"message": message, "code": code}}
    if errors:
        body["error"]["errors"] = list(errors)
    return HttpResponse(status, body)


class _BadInput(Exception):
    def __init__(self, response: HttpResponse) -> None:
        super().__init__(response.status)
        self.response = response


# --------------------------------------------------------------------------- the server


class FakePagerDuty(HttpFake):
    name = "fake-pagerduty"

    def __init__(
        self, account: PagerDutyAccount | None = None, *, token: str = "fake-pagerduty-token",
        layers_listed: Literal["highest_first", "lowest_first"] = "highest_first", max_records: int = 10_000,
    ) -> None:
        super().__init__(max_records=max_records)
        self.account = account or PagerDutyAccount()
        self.token = token
        self.layers_listed = layers_listed
        self._lock = threading.Lock()

    def calls(self, route: str | None = None) -> list[PagerDutyCall]:
        return [c for c in list(self.received) if route is None or c.route == route]

    # ------------------------------------------------------------------ scripts

    def rate_limit(self, route: str = "*", *, reset: int = 1, times: int | None = 1) -> None:
        """The next ``times`` calls of ``route`` (``"*"``: any) are 429, as PagerDuty's rate limit."""
        headers = {"ratelimit-limit": "960", "ratelimit-remaining": "0", "ratelimit-reset": str(reset)}
        response = HttpResponse(429, {"error": {"message": "Rate Limit Exceeded", "code": 2020}}, headers)
        self.script.add(route, Answer(429, response, times=times))

    def fail(self, route: str, status: int, times: int | None = 1) -> None:
        """The next ``times`` calls of ``route`` answer HTTP ``status`` (an outage, a 403, ...)."""
        message = {403: "Access Denied", 404: "Not Found"}.get(status, "An internal error has occurred.")
        code = {403: 2010, 404: 2100}.get(status, 2000)
        self.script.add(route, Answer(status, _error(status, message, code), times=times))

    # ------------------------------------------------------------------ serving

    async def handle(self, request: HttpRequest) -> HttpResponse:
        route, params = next(((name, m.groupdict()) for name, pattern in _ROUTES if (m := pattern.match(request.path))),
                             ("", {}))
        call = PagerDutyCall(route or request.path, request.path, request.query,
                             request.headers.get("authorization", ""), request.headers.get("accept", ""))
        self.received.add(call)
        response = await self._answer(request, route, params, call)
        call.status = response.status
        return response

    async def _answer(self, request: HttpRequest, route: str, params: dict[str, str], call: PagerDutyCall) -> HttpResponse:
        answer = self.script.take(route or None)
        await self.script.wait(answer)
        if answer is not None and isinstance(answer.payload, HttpResponse):
            return answer.payload
        if call.authorization != f"Token token={self.token}":
            return _error(401, "Authentication failed", 2006)
        if request.method != "GET" or not route:
            return _error(404, "Not Found", 2100)
        try:
            with self._lock:
                return self._route(route, params, request.query)
        except _BadInput as bad:
            return bad.response

    def _route(self, route: str, params: dict[str, str], query: dict[str, list[str]]) -> HttpResponse:
        account = self.account
        if route == "GET /users":
            return self._page("users", account.users, query)
        if route == "GET /teams":
            return self._page("teams", account.teams, query)
        if route == "GET /teams/members":
            if not any(t["id"] == params["id"] for t in account.teams):
                return _error(404, "Team Not Found", 6001)
            return self._page("members", account.team_members.get(params["id"], []), query)
        if route == "GET /schedules":
            listed = [{k: v for k, v in s.items() if k != "schedule_layers"} for s in account.schedules]
            return self._page("schedules", listed, query)
        if route == "GET /schedule":
            return self._schedule(params["id"], query)
        if route == "GET /schedules/overrides":
            return self._overrides(params["id"], query)
        if route == "GET /escalation_policies":
            return self._page("escalation_policies", account.escalation_policies, query)
        if route == "GET /services":
            included = "integrations" in query.get("include[]", [])
            services = [s if included else {**s, "integrations": [_integration_reference(i) for i in s["integrations"]]}
                        for s in account.services]
            return self._page("services", services, query)
        if route == "GET /services/integration":
            service = next((s for s in account.services if s["id"] == params["id"]), None)
            found = next((i for i in (service or {}).get("integrations", []) if i["id"] == params["integration"]), None)
            if found is None:
                return _error(404, "Not Found", 2100)
            return HttpResponse(200, {"integration": copy.deepcopy(found)})
        if route == "GET /event_orchestrations":
            return self._page("orchestrations", account.event_orchestrations, query)
        if route == "GET /v3/schedules":
            if account.v3_schedules is None:
                return _error(404, "Not Found", 2100)
            return self._page("schedules", account.v3_schedules, query)
        return _error(404, "Not Found", 2100)

    def _page(self, key: str, items: Sequence[Json], query: dict[str, list[str]]) -> HttpResponse:
        limit, offset = _int(query, "limit", DEFAULT_LIMIT), _int(query, "offset", 0)
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            raise _BadInput(_error(400, "Invalid Input Provided", 2001, [f"limit must be 1 to {MAX_LIMIT}, offset at least 0"]))
        if offset + limit > MAX_RECORDS:
            raise _BadInput(_error(400, "Invalid Input Provided", 2001, ["Offset must be less than 10000"]))
        page = copy.deepcopy(list(items[offset:offset + limit]))
        total = len(items) if _last(query, "total") == "true" else None
        return HttpResponse(200, {key: page, "limit": limit, "offset": offset, "more": offset + len(page) < len(items),
                                  "total": total})

    def _find_schedule(self, schedule_id: str) -> Json:
        found = next((s for s in self.account.schedules if s["id"] == schedule_id), None)
        if found is None:
            raise _BadInput(_error(404, "Schedule Not Found", 3004))
        return found

    def _schedule(self, schedule_id: str, query: dict[str, list[str]]) -> HttpResponse:
        schedule = copy.deepcopy(self._find_schedule(schedule_id))
        zone = ZoneInfo(_last(query, "time_zone") or schedule["time_zone"])
        since, until = _query_time(query, "since"), _query_time(query, "until")
        layers: list[Json] = schedule["schedule_layers"]
        if since is not None and until is not None:
            rendered = render(schedule, self.account.overrides.get(schedule_id, []), since, until)
            names = {u["id"]: u["name"] for u in self.account.users}
            for layer, entries in zip(layers, rendered.layers):
                layer["rendered_schedule_entries"] = _entries_json(entries, zone, names)
                layer["rendered_coverage_percentage"] = _coverage(entries, since, until)
            schedule["overrides_subschedule"] = {"name": "Overrides", "rendered_schedule_entries":
                                                 _entries_json(rendered.overrides, zone, names),
                                                 "rendered_coverage_percentage": _coverage(rendered.overrides, since, until)}
            schedule["final_schedule"] = {"name": "Final Schedule", "rendered_schedule_entries":
                                          _entries_json(rendered.final, zone, names),
                                          "rendered_coverage_percentage": _coverage(rendered.final, since, until)}
        else:
            for layer in layers:
                layer["rendered_schedule_entries"] = []
            schedule["overrides_subschedule"] = {"name": "Overrides", "rendered_schedule_entries": []}
            schedule["final_schedule"] = {"name": "Final Schedule", "rendered_schedule_entries": []}
        if self.layers_listed == "highest_first":
            schedule["schedule_layers"] = list(reversed(layers))
        return HttpResponse(200, {"schedule": schedule})

    def _overrides(self, schedule_id: str, query: dict[str, list[str]]) -> HttpResponse:
        schedule = self._find_schedule(schedule_id)
        since, until = _query_time(query, "since"), _query_time(query, "until")
        if since is None or until is None or until <= since:
            raise _BadInput(_error(400, "Invalid Query Date Range", 2005, ["since and until are required, since before until"]))
        zone = ZoneInfo(schedule["time_zone"])
        whole = _last(query, "overflow") == "true"
        out: list[Json] = []
        for override in self.account.overrides.get(schedule_id, []):
            start, end = _parse(override["start"]), _parse(override["end"])
            if end <= since or start >= until:
                continue
            if not whole:
                start, end = max(start, since), min(end, until)
            out.append({**copy.deepcopy(override), "start": _format(start, zone), "end": _format(end, zone)})
        return HttpResponse(200, {"overrides": out})


def _integration_reference(integration: Json) -> Json:
    return {"id": integration["id"], "type": f"{integration['type']}_reference", "summary": integration["name"],
            "self": integration["self"], "html_url": integration["html_url"]}


# --------------------------------------------------------------------------- rendering


@dataclass
class Rendered:
    layers: list[list[Entry]]  # per layer, in the order the schedule keeps them (lowest first)
    overrides: list[Entry]
    final: list[Entry]


def render(schedule: Json, overrides: Iterable[Json], since: datetime, until: datetime) -> Rendered:
    """Who PagerDuty puts on call from ``since`` to ``until`` (see the module's docstring)."""
    zone = ZoneInfo(schedule["time_zone"])
    per_layer = [layer_entries(layer, zone, since, until) for layer in schedule["schedule_layers"]]
    override_entries: list[Entry] = []
    for override in overrides:
        start, end = max(_parse(override["start"]), since), min(_parse(override["end"]), until)
        if start < end:
            override_entries.append((start, end, override["user"]["id"]))
    final: list[Entry] = []
    for entries in per_layer:  # lowest first: each higher layer paints over the ones below
        for entry in entries:
            final = _paint(final, entry)
    for entry in override_entries:  # oldest first: a later override paints over an earlier one
        final = _paint(final, entry)
    return Rendered(per_layer, _merge(override_entries), _merge(final))


def layer_entries(layer: Json, zone: ZoneInfo, since: datetime, until: datetime) -> list[Entry]:
    """Where one layer puts someone on call within [since, until): its span, cut to its
    restrictions, cut at its handoffs."""
    start = max(_parse(layer["start"]), since)
    end = min(_parse(layer["end"]) if layer.get("end") else until, until)
    users = [u["user"]["id"] for u in layer["users"]]
    if start >= end or not users:
        return []
    spans = [(start, end)]
    if layer.get("restrictions"):
        spans = _intersect(spans, _restricted(layer["restrictions"], zone, start, end))
    origin = _parse(layer["rotation_virtual_start"]).astimezone(zone).replace(tzinfo=None)
    turn = timedelta(seconds=int(layer["rotation_turn_length_seconds"]))

    def handoff(k: int) -> datetime:
        return _localize(origin + k * turn, zone)

    out: list[Entry] = []
    for a, b in spans:
        k = (a.astimezone(zone).replace(tzinfo=None) - origin) // turn
        while handoff(k) > a:
            k -= 1
        while handoff(k + 1) <= a:
            k += 1
        at = a
        while at < b:
            upto = min(max(handoff(k + 1), at), b)
            if upto > at:
                out.append((at, upto, users[k % len(users)]))
            at = upto
            k += 1
    return _merge(out)


def _restricted(restrictions: Iterable[Json], zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The instants the restrictions allow around [start, end): each occurrence runs from its
    start's wall-clock time for its duration of wall-clock time."""
    first = start.astimezone(zone).date() - timedelta(days=8)
    last = end.astimezone(zone).date() + timedelta(days=1)
    spans: list[tuple[datetime, datetime]] = []
    for restriction in restrictions:
        clock = time.fromisoformat(restriction["start_time_of_day"])
        length = timedelta(seconds=int(restriction["duration_seconds"]))
        day: date = first
        while day <= last:
            weekly = restriction["type"] == "weekly_restriction"
            if not weekly or day.isoweekday() == int(restriction["start_day_of_week"]):
                wall = datetime.combine(day, clock)
                spans.append((_localize(wall, zone), _localize(wall + length, zone)))
            day += timedelta(days=1)
    spans.sort()
    merged: list[tuple[datetime, datetime]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        elif a < b:
            merged.append((a, b))
    return merged


def _intersect(spans: list[tuple[datetime, datetime]], allowed: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out = []
    for a, b in spans:
        for c, d in allowed:
            lo, hi = max(a, c), min(b, d)
            if lo < hi:
                out.append((lo, hi))
    return sorted(out)


def _paint(segments: list[Entry], new: Entry) -> list[Entry]:
    start, end, _ = new
    kept: list[Entry] = []
    for a, b, user in segments:
        if b <= start or a >= end:
            kept.append((a, b, user))
            continue
        if a < start:
            kept.append((a, start, user))
        if b > end:
            kept.append((end, b, user))
    kept.append(new)
    return sorted(kept)


def _merge(entries: Iterable[Entry]) -> list[Entry]:
    out: list[Entry] = []
    for a, b, user in sorted(entries):
        if out and out[-1][2] == user and out[-1][1] == a:
            out[-1] = (out[-1][0], b, user)
        else:
            out.append((a, b, user))
    return out


def _localize(wall: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time in ``zone`` as an instant; a time the clocks skip falls after the skip
    (02:30 on a spring-forward night at 02:00 is 03:30 summer time), the first of two that
    repeat (a fall-back night) is taken."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _coverage(entries: Sequence[Entry], since: datetime, until: datetime) -> float:
    covered = sum((b - a).total_seconds() for a, b, _ in entries)
    return round(100 * covered / max((until - since).total_seconds(), 1), 2)


def _entries_json(entries: Iterable[Entry], zone: ZoneInfo, names: dict[str, str]) -> list[Json]:
    return [{"start": _format(a, zone), "end": _format(b, zone), "user": reference("user", user, names.get(user, user))}
            for a, b, user in entries]


def _format(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat(timespec="seconds")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _last(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def _int(query: dict[str, list[str]], name: str, default: int) -> int:
    value = _last(query, name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise _BadInput(_error(400, "Invalid Input Provided", 2001, [f"{name} must be a number"])) from exc


def _query_time(query: dict[str, list[str]], name: str) -> datetime | None:
    value = _last(query, name)
    if value is None:
        return None
    try:
        return _parse(value)
    except ValueError as exc:
        raise _BadInput(_error(400, "Invalid time values in 'since' and/or 'until' parameters", 2004)) from exc
