"""Reading a PagerDuty account through its REST API v2, for ``pagerline import pagerduty``.

:class:`PagerDutyReader` fetches users, teams (with their members), layer-based schedules (with
their layers, restrictions and future overrides), escalation policies and services (with their
integrations), and translates them into :mod:`pagerline.importers.model` values. Whatever
pagerline cannot express exactly is reported as :class:`~pagerline.importers.model.LeftOut`
with why, instead of being imported half right. :meth:`PagerDutyReader.on_call` reads
PagerDuty's own rendered final schedule, which the import's check compares with pagerline's.

The API as PagerDuty documents it (developer.pagerduty.com, the OpenAPI description in
github.com/PagerDuty/api-schema):

* Every request carries ``Authorization: Token token=<key>`` and
  ``Accept: application/vnd.pagerduty+json;version=2``. Lists page with ``limit`` (default 25,
  at most 100) and ``offset``; an answer echoes them and says ``more``; ``offset + limit`` may
  not pass 10,000. A refused key is 401 (403: the key may not see that resource); too many
  requests is 429 with ``ratelimit-reset`` (seconds); errors are ``{"error": {"message",
  "code", "errors"}}``.
* ``GET /schedules/{id}`` has ``schedule_layers``, each with ``start`` (in effect from),
  ``end`` (null: open), ``rotation_virtual_start`` (an instant at which a turn begins; "can be
  before the start of the layer"), ``rotation_turn_length_seconds``, ``users`` in turn order and
  ``restrictions``: ``daily_restriction`` (``start_time_of_day`` "HH:MM:SS" and
  ``duration_seconds``, every day) or ``weekly_restriction`` (plus ``start_day_of_week``, 1 =
  Monday … 7 = Sunday). With ``since``/``until`` it also renders each layer, the overrides and
  the ``final_schedule`` (``rendered_schedule_entries`` of ``{start, end, user}``; windows with
  nobody on call are simply absent).
* Where layers overlap, the higher layer wins ("If a user on Layer 1 and Layer 2 overlap, the
  user on Layer 2 will be the one on-call", support.pagerduty.com/docs/schedules). A ``GET``
  has listed ``schedule_layers`` highest first, the reverse of the order they are created in
  (PagerDuty/public-support-scripts#60; the Terraform provider reverses them back), and
  PagerDuty announced it would change that (terraform-provider-pagerduty#610). So the reader
  reads the order off PagerDuty's own rendering when it can (:func:`layers_listed_highest_first`)
  and assumes highest first otherwise.
* ``GET /schedules/{id}/overrides?since&until`` lists overrides (not paged); an override
  created on top of another wins. ``overflow=true`` gives them whole instead of cut at the range.
* Escalation policies: ``escalation_rules`` with ``escalation_delay_in_minutes`` and
  ``targets`` (``user_reference``, ``schedule_reference``); ``num_loops`` is "the number of
  times the escalation policy will repeat after reaching the end of its escalation", so
  pagerline's ``loops`` is ``num_loops + 1``.
* Services (``include[]=integrations``): an Events API v2 integration
  (``events_api_v2_inbound_integration``, also what Alertmanager's ``pagerduty_configs`` and most
  vendors send to) has an ``integration_key``; an email integration
  (``generic_email_inbound_integration``) an ``integration_email``.
* Shift-based schedules live under ``/v3/schedules`` only; event orchestrations under
  ``/event_orchestrations``. Neither is imported; both are listed as left out.

How layers become pagerline layers. PagerDuty counts turns from ``rotation_virtual_start``
(handoffs at the same wall-clock time in the schedule's zone) and shows the layer from
``start``; a pagerline layer has one ``starts_on`` for both. When ``start`` is a handoff, the
layer starts there with its users rotated to whoever's turn that is. When it falls inside a
turn (as after every edit in PagerDuty's web app) and is already past, the layer starts at the
handoff before it instead: the two differ only before ``start``, which is over. When such a
start is still to come, the first partial turn becomes a one-person layer up to the next
handoff and the rotation a second layer from there, which is exact. A handoff whose wall-clock
time does not exist (a daylight-saving gap) is never used as a start, as pagerline would read
its handoff time off it. Layers that are over, and overrides that are over, are skipped.

Errors: a refused key (401; 403 on a required list) stops the import at once; 429 is retried
after the wait PagerDuty asks for (``Retry-After`` or ``ratelimit-reset``), server errors and
dropped connections a few times with backoff; a host that cannot be reached at all stops at
once. Then :class:`ImportSourceError` says why.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import httpx

from pagerline.importers.http import PatientGetter
from pagerline.importers.model import (
    ImportBundle,
    ImportIntegration,
    ImportLayer,
    ImportOverride,
    ImportPolicy,
    ImportRule,
    ImportSchedule,
    ImportService,
    ImportSourceError,
    ImportTarget,
    ImportTeam,
    ImportUser,
    LeftOut,
    OnCallSpan,
    WeeklyWindow,
)

DEFAULT_BASE_URL = "https://api.pagerduty.com"
EU_BASE_URL = "https://api.eu.pagerduty.com"
ACCEPT = "application/vnd.pagerduty+json;version=2"
PAGE_LIMIT = 100  # PagerDuty's largest page (its default is 25)
MAX_RECORDS = 10_000  # offset + limit may not pass this
# Overrides are read this far ahead, in ranges of OVERRIDE_RANGE (PagerDuty does not document a
# longest range; asking in quarters keeps every request modest).
OVERRIDE_HORIZON = timedelta(days=365)
OVERRIDE_RANGE = timedelta(days=90)
# How much of each schedule is rendered when it is read, to tell the order of its layers.
RENDER_WINDOW = timedelta(days=28)
DAY = 86_400
WEEK = 7 * DAY

EVENTS_V2_TYPES = {"events_api_v2_inbound_integration"}
EMAIL_TYPES = {"generic_email_inbound_integration", "email_inbound_integration"}
EVENTS_V1_TYPES = {"generic_events_api_inbound_integration"}
DEFAULT_HANDOFF_NOTIFICATIONS = "if_has_services"

Json = dict[str, Any]


def _now() -> datetime:
    return datetime.now(UTC)


class _Unavailable(Exception):
    """An optional list the account or key cannot show (400, 402, 403 or 404)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class PagerDutyReader:
    """One PagerDuty account, read through ``base_url`` (``https://api.eu.pagerduty.com`` for the
    EU service region) with a REST API key (an account key, read-only is enough, or the user key
    of someone who may see the whole configuration).

    ``clock`` says what "now" is (what is over is skipped, overrides are read from now on);
    ``sleep`` waits between retries; both are parameters so tests need no wall clock and no real
    waiting. ``page_size`` is the ``limit`` asked per page."""

    system: Literal["pagerduty", "opsgenie"] = "pagerduty"

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], datetime] = _now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        page_size: int = PAGE_LIMIT,
        attempts: int = 5,
        max_wait: float = 60.0,
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self._getter = PatientGetter("PagerDuty", self.base_url, _wait_asked, _message, http, sleep, attempts, max_wait)
        self._clock = clock
        self._page_size = max(1, min(page_size, PAGE_LIMIT))

    async def close(self) -> None:
        await self._getter.close()

    # ------------------------------------------------------------------ HTTP

    async def _get(self, path: str, params: Sequence[tuple[str, str]] = (), *, optional: bool = False) -> Json:
        """One GET, retried on 429, 5xx and dropped connections (bounded); the decoded JSON object.
        ``optional``: a 400, 402, 403 or 404 raises :class:`_Unavailable` instead of stopping."""
        headers = {"Authorization": f"Token token={self.api_key}", "Accept": ACCEPT}

        def refuse(response: httpx.Response) -> None:
            status = response.status_code
            if status == 401:
                raise ImportSourceError(
                    f"PagerDuty refused the API key (HTTP 401 on GET {path}: {_message(response)}). Use a REST API key "
                    f"(an account key, read-only is enough) and the right service region (US {DEFAULT_BASE_URL}, "
                    f"EU {EU_BASE_URL})."
                )
            if optional and status in (400, 402, 403, 404):
                raise _Unavailable(status)
            if status == 403:
                raise ImportSourceError(
                    f"PagerDuty refused the API key access to GET {path} (HTTP 403: {_message(response)}). The import "
                    "reads the whole configuration: use an account API key, or the key of an admin."
                )

        def unreachable(exc: httpx.ConnectError) -> ImportSourceError:
            return ImportSourceError(
                f"could not reach PagerDuty at {self.base_url} ({type(exc).__name__}: {exc}); check --base-url "
                f"(US {DEFAULT_BASE_URL}, EU {EU_BASE_URL})"
            )

        response = await self._getter.get(path, params, headers, refuse, unreachable)
        try:
            body = response.json()
        except ValueError as exc:
            raise ImportSourceError(f"PagerDuty's answer to GET {path} is not JSON") from exc
        if not isinstance(body, dict):
            raise ImportSourceError(f"PagerDuty's answer to GET {path} is not a JSON object")
        return body

    async def _list(
        self, path: str, key: str, params: Sequence[tuple[str, str]] = (), *, optional: bool = False
    ) -> list[Json]:
        """Every item of a classic-paginated list (``limit``/``offset``, until ``more`` is false)."""
        items: list[Json] = []
        offset = 0
        while True:
            limit = min(self._page_size, MAX_RECORDS - offset)
            body = await self._get(path, [*params, ("limit", str(limit)), ("offset", str(offset))], optional=optional)
            page = body.get(key)
            if not isinstance(page, list):
                raise ImportSourceError(f"PagerDuty's answer to GET {path} has no {key!r} list")
            items.extend(item for item in page if isinstance(item, dict))
            if not body.get("more") or not page:
                return items
            offset += len(page)
            if offset >= MAX_RECORDS:
                raise ImportSourceError(
                    f"GET {path} lists more than {MAX_RECORDS:,} items, more than PagerDuty's API pages through"
                )

    # ------------------------------------------------------------------ reading

    async def read(self) -> ImportBundle:
        now = self._clock()
        left: list[LeftOut] = []
        users = _users(await self._list("/users", "users"))
        teams = [await self._team(raw) for raw in await self._list("/teams", "teams") if raw.get("id")]

        schedules: list[ImportSchedule] = []
        for ref in await self._list("/schedules", "schedules"):
            if ref.get("id"):
                schedule = await self._schedule(str(ref["id"]), now, left)
                if schedule is not None:
                    schedules.append(schedule)
        left.extend(await self._shift_based_schedules())

        policies = [_policy(raw, left) for raw in await self._list("/escalation_policies", "escalation_policies") if raw.get("id")]

        events_url = events_endpoint(self.base_url)
        services: list[ImportService] = []
        for raw in await self._list("/services", "services", [("include[]", "integrations")]):
            if raw.get("id"):
                service = await self._service(raw, events_url, left)
                if service is not None:
                    services.append(service)
        left.extend(await self._event_orchestrations())

        return ImportBundle(
            system="pagerduty",
            users=tuple(users),
            teams=tuple(teams),
            schedules=tuple(schedules),
            policies=tuple(policies),
            services=tuple(services),
            left_out=tuple(left),
        )

    async def _team(self, raw: Json) -> ImportTeam:
        team_id = str(raw["id"])
        members = await self._list(f"/teams/{quote(team_id, safe='')}/members", "members")
        member_ids = tuple(dict.fromkeys(_ref_id(m.get("user")) for m in members if _ref_id(m.get("user"))))
        return ImportTeam(team_id, _name(raw, team_id), member_ids)

    async def _schedule(self, schedule_id: str, now: datetime, left: list[LeftOut]) -> ImportSchedule | None:
        body = await self._get(
            f"/schedules/{quote(schedule_id, safe='')}",
            [("since", _iso(now)), ("until", _iso(now + RENDER_WINDOW))],
        )
        data = body.get("schedule")
        if not isinstance(data, dict):
            raise ImportSourceError(f"PagerDuty's answer to GET /schedules/{schedule_id} has no 'schedule'")
        name = _name(data, schedule_id)
        zone_name = str(data.get("time_zone") or "")
        zone = _zone(zone_name)
        if zone is None:
            left.append(LeftOut("schedule", schedule_id, name, f"its time zone {zone_name!r} is not an IANA time zone"))
            return None
        listed = [layer for layer in data.get("schedule_layers") or [] if isinstance(layer, dict)]
        lowest_first = list(reversed(listed)) if layers_listed_highest_first(data) else listed
        layers: list[ImportLayer] = []
        for raw in lowest_first:
            made, missed = translate_layer(raw, zone, now, schedule_name=name)
            layers.extend(made)
            left.extend(missed)
        overrides = await self._overrides(schedule_id, now)
        teams = _ref_ids(data.get("teams"))
        if len(teams) > 1:
            left.append(LeftOut(
                "schedule", schedule_id, name,
                f"it belongs to {len(teams)} teams; a pagerline schedule has one, so it is imported under the first ({teams[0]})",
            ))
        return ImportSchedule(schedule_id, name, zone_name, tuple(layers), tuple(overrides), teams[0] if teams else None)

    async def _overrides(self, schedule_id: str, now: datetime) -> list[ImportOverride]:
        found: dict[str, ImportOverride] = {}
        since, horizon = now, now + OVERRIDE_HORIZON
        while since < horizon:
            until = min(since + OVERRIDE_RANGE, horizon)
            body = await self._get(
                f"/schedules/{quote(schedule_id, safe='')}/overrides",
                [("since", _iso(since)), ("until", _iso(until)), ("overflow", "true")],
            )
            for raw in body.get("overrides") or []:
                if not isinstance(raw, dict):
                    continue
                override_id, user_id = str(raw.get("id") or ""), _ref_id(raw.get("user"))
                start, end = _instant(raw.get("start")), _instant(raw.get("end"))
                if not override_id or not user_id or start is None or end is None or end <= now or end <= start:
                    continue
                found.setdefault(override_id, ImportOverride(override_id, user_id, start, end))
            since = until
        return list(found.values())  # as PagerDuty lists them

    async def _shift_based_schedules(self) -> list[LeftOut]:
        try:
            refs = await self._list("/v3/schedules", "schedules", optional=True)
        except _Unavailable as unavailable:
            if unavailable.status == 403:
                return [LeftOut("schedule", "/v3/schedules", "shift-based schedules", "the API key may not list them (HTTP 403), so none were checked")]
            return []  # no shift-based schedules on this account
        return [
            LeftOut("schedule", str(ref["id"]), _name(ref, str(ref["id"])),
                    "it is a shift-based (v3) schedule; the import reads layer-based schedules only")
            for ref in refs if ref.get("id")
        ]

    async def _service(self, raw: Json, events_url: str, left: list[LeftOut]) -> ImportService | None:
        service_id = str(raw["id"])
        name = _name(raw, service_id)
        if raw.get("status") == "disabled":
            left.append(LeftOut("service", service_id, name, "it is disabled in PagerDuty"))
            return None
        policy_id = _ref_id(raw.get("escalation_policy"))
        if not policy_id:
            left.append(LeftOut("service", service_id, name, "it has no escalation policy"))
            return None
        integrations: list[ImportIntegration] = []
        for ref in raw.get("integrations") or []:
            if not isinstance(ref, dict) or not ref.get("id"):
                continue
            full = ref if _is_whole_integration(ref) else await self._integration(service_id, str(ref["id"]))
            made = translate_integration(full, events_url)
            if isinstance(made, LeftOut):
                left.append(made)
            else:
                integrations.append(made)
        left.extend(service_left_out(raw))
        teams = _ref_ids(raw.get("teams"))
        return ImportService(service_id, name, policy_id, tuple(integrations), teams[0] if teams else None)

    async def _integration(self, service_id: str, integration_id: str) -> Json:
        body = await self._get(f"/services/{quote(service_id, safe='')}/integrations/{quote(integration_id, safe='')}")
        data = body.get("integration")
        if not isinstance(data, dict):
            raise ImportSourceError(f"PagerDuty's answer to GET /services/{service_id}/integrations/{integration_id} has no 'integration'")
        return data

    async def _event_orchestrations(self) -> list[LeftOut]:
        try:
            found = await self._list("/event_orchestrations", "orchestrations", optional=True)
        except _Unavailable as unavailable:
            if unavailable.status == 403:
                return [LeftOut("event_orchestration", "/event_orchestrations", "event orchestrations",
                                "the API key may not list them (HTTP 403), so none were checked")]
            return []
        out: list[LeftOut] = []
        for raw in found:
            if not raw.get("id"):
                continue
            keys = [str((i.get("parameters") or {}).get("routing_key") or "") for i in raw.get("integrations") or [] if isinstance(i, dict)]
            shown = ", ".join(f"…{k[-4:]}" for k in keys if k)
            out.append(LeftOut(
                "event_orchestration", str(raw["id"]), _name(raw, str(raw["id"])),
                "event orchestrations (rules that route, change or drop events) are not imported: events sent to its "
                f"routing key{'s' if len(keys) > 1 else ''}{' ' + shown if shown else ''} reach no pagerline source; "
                "send them to the new key of the service they should page",
            ))
        return out

    # ------------------------------------------------------------------ on call

    async def on_call(self, schedule_id: str, since: datetime, until: datetime) -> list[OnCallSpan]:
        """PagerDuty's rendered final schedule from ``since`` to ``until``, gaps filled in as
        nobody (PagerDuty leaves them out), in time order."""
        # PagerDuty's times are whole seconds: ask for whole seconds around the window, then cut.
        upto = until if until.microsecond == 0 else until + timedelta(seconds=1)
        body = await self._get(
            f"/schedules/{quote(schedule_id, safe='')}",
            [("since", _iso(since)), ("until", _iso(upto)), ("time_zone", "UTC")],
        )
        data = body.get("schedule")
        if not isinstance(data, dict):
            raise ImportSourceError(f"PagerDuty's answer to GET /schedules/{schedule_id} has no 'schedule'")
        return fill_gaps(_entries(data.get("final_schedule")), since, until)


# ---------------------------------------------------------------------- translation (pure)


def translate_layer(
    raw: Mapping[str, Any], zone: ZoneInfo, now: datetime, *, schedule_name: str = ""
) -> tuple[list[ImportLayer], list[LeftOut]]:
    """One PagerDuty schedule layer as pagerline layers (none when it is over; two when it starts
    inside a turn that is still to come), and what of it cannot be imported."""
    layer_id = str(raw.get("id") or "")
    name = _name(raw, layer_id or "layer")
    shown = f"{schedule_name}: {name}" if schedule_name else name
    start, end = _instant(raw.get("start")), _instant(raw.get("end"))
    virtual = _instant(raw.get("rotation_virtual_start")) or start
    if end is not None and end <= now:
        return [], []  # over: the layers an edit ended stay in PagerDuty's list
    if start is None or virtual is None:
        return [], [LeftOut("layer", layer_id, shown, "it has no start")]
    users = [uid for uid in (_ref_id(u.get("user")) for u in raw.get("users") or [] if isinstance(u, dict)) if uid]
    if not users:
        return [], [LeftOut("layer", layer_id, shown, "it has no users")]
    try:
        turn = int(raw.get("rotation_turn_length_seconds") or 0)
    except (TypeError, ValueError):
        turn = 0
    if turn <= 0:
        return [], [LeftOut("layer", layer_id, shown, f"its turn length {raw.get('rotation_turn_length_seconds')!r} is not a positive number of seconds")]
    windows, problem = restriction_windows(raw.get("restrictions") or [])
    if problem:
        return [], [LeftOut("layer", layer_id, shown, problem)]

    rotation = _Rotation(zone, virtual, turn)
    k = rotation.index_at(start)

    def layer(external_id: str, label: str, at: datetime, until: datetime | None, turn_index: int, only_one: bool) -> ImportLayer:
        shift = turn_index % len(users)
        order = (users[shift],) if only_one else tuple(users[shift:] + users[:shift])
        return ImportLayer(external_id, label, at, turn, order, until, windows)

    if rotation.handoff(k) == start and rotation.exists(k):
        return [layer(layer_id, name, start, end, k, False)], []
    if start <= now:
        # Inside a turn, but past: start at a clean handoff before it (the same from now on).
        while not rotation.exists(k):
            k -= 1
        return [layer(layer_id, name, rotation.handoff(k), end, k, False)], []
    # Inside a turn still to come: that partial turn alone, then the rotation from a clean handoff.
    made: list[ImportLayer] = []
    piece_start = start
    for step in range(1, 8):
        following = rotation.handoff(k + 1)
        if end is not None and following >= end:
            made.append(layer(f"{layer_id}#{step}", f"{name} (first turn)", piece_start, end, k, True))
            return made, []
        if following > piece_start:
            made.append(layer(f"{layer_id}#{step}", f"{name} (first turn)", piece_start, following, k, True))
            piece_start = following
        k += 1
        if rotation.exists(k):
            made.append(layer(layer_id, name, rotation.handoff(k), end, k, False))
            return made, []
    return [], [LeftOut("layer", layer_id, shown, "no handoff of its rotation falls on an existing local time")]


def restriction_windows(restrictions: Iterable[Any]) -> tuple[tuple[WeeklyWindow, ...], str | None]:
    """PagerDuty's restrictions as pagerline's weekly windows (none: the layer is never
    restricted), or why they cannot be expressed. A daily restriction is seven windows; a
    duration crossing midnight or the end of the week ends on the following day."""
    windows: list[WeeklyWindow] = []
    for raw in restrictions:
        if not isinstance(raw, dict):
            continue
        kind = raw.get("type")
        clock = str(raw.get("start_time_of_day") or "")
        seconds = _seconds_of_day(clock)
        try:
            duration = int(raw.get("duration_seconds") or 0)
        except (TypeError, ValueError):
            duration = -1
        if seconds is None or duration < 0:
            return (), f"its restriction {raw!r} is not one PagerDuty documents"
        if seconds % 60 or duration % 60:
            return (), f"a restriction from {clock} for {duration} s is not on whole minutes, which pagerline's windows are"
        if duration == 0:
            continue
        if kind == "daily_restriction":
            if duration >= DAY:
                return (), None  # on all day, every day: no restriction at all
            windows.extend(_window(day * DAY + seconds, duration) for day in range(7))
        elif kind == "weekly_restriction":
            try:
                weekday = int(raw.get("start_day_of_week") or 0)
            except (TypeError, ValueError):
                weekday = 0
            if not 1 <= weekday <= 7:
                return (), f"its weekly restriction starts on day {raw.get('start_day_of_week')!r}, not 1 (Monday) to 7 (Sunday)"
            if duration >= WEEK:
                return (), None
            windows.append(_window((weekday - 1) * DAY + seconds, duration))
        else:
            return (), f"its restriction type {kind!r} is not supported"
    return tuple(dict.fromkeys(windows)), None


def _window(offset: int, duration: int) -> WeeklyWindow:
    end = (offset + duration) % WEEK
    return WeeklyWindow(offset // DAY, _hhmm(offset % DAY), end // DAY, _hhmm(end % DAY))


def layers_listed_highest_first(schedule: Mapping[str, Any]) -> bool:
    """Whether ``schedule_layers`` lists the winning layer first, read off PagerDuty's own
    rendering (each layer's entries, the overrides and the final schedule, present when the
    schedule was fetched with ``since``/``until``): wherever two layers put different people on
    call and no override applies, the final schedule names the winner. Without such a moment,
    highest first (PagerDuty's ``GET`` order so far)."""
    layers = [layer for layer in schedule.get("schedule_layers") or [] if isinstance(layer, dict)]
    if len(layers) < 2:
        return True
    per_layer = [_entries(layer) for layer in layers]
    overrides = _entries(schedule.get("overrides_subschedule"))
    final = _entries(schedule.get("final_schedule"))
    moments = sorted({t for entries in (*per_layer, overrides, final) for s, e, _ in entries for t in (s, e)})
    first_wins = last_wins = 0
    for t in moments:
        if any(s <= t < e for s, e, _ in overrides):
            continue
        covering = [(index, user) for index, entries in enumerate(per_layer) for s, e, user in entries if s <= t < e]
        if len({user for _, user in covering}) < 2:
            continue
        winner = next((user for s, e, user in final if s <= t < e), None)
        first, last = min(covering)[1], max(covering)[1]
        if first == last:
            continue
        if winner == first:
            first_wins += 1
        elif winner == last:
            last_wins += 1
    return first_wins >= last_wins


def translate_integration(raw: Mapping[str, Any], events_url: str) -> ImportIntegration | LeftOut:
    """A service's integration as the alert source that takes it over, or why none can."""
    integration_id = str(raw.get("id") or "")
    kind = str(raw.get("type") or "").removesuffix("_reference")
    vendor = _name(raw.get("vendor") or {}, "") if isinstance(raw.get("vendor"), dict) else ""
    name = str(raw.get("name") or raw.get("summary") or vendor or kind)
    if kind in EVENTS_V2_TYPES:
        key = str(raw.get("integration_key") or "")
        shown = f" (routing key …{key[-4:]})" if key else ""
        return ImportIntegration(integration_id, name, "pagerduty", f"{events_url}{shown}")
    if kind in EMAIL_TYPES:
        email = str(raw.get("integration_email") or "")
        filters = raw.get("email_filters") or []
        parsers = raw.get("email_parsers") or []
        mode = raw.get("email_filter_mode")
        if parsers or (filters and mode not in (None, "all-email")):
            return LeftOut("integration", integration_id, name,
                           "its email filters or parsers are not imported; recreate them as the new email source's settings")
        return ImportIntegration(integration_id, name, "email", email)
    if kind in EVENTS_V1_TYPES:
        return LeftOut("integration", integration_id, name,
                       "it takes PagerDuty's Events API v1, which pagerline does not; move its sender to Events API v2 "
                       "(pagerline's /v2/enqueue) with a new alert source")
    what = f"{kind!r}" + (f" ({vendor})" if vendor else "")
    return LeftOut("integration", integration_id, name, f"integration type {what} is not supported")


def service_left_out(raw: Mapping[str, Any]) -> list[LeftOut]:
    """What of a service's own settings the import does not carry over."""
    service_id = str(raw.get("id") or "")
    name = _name(raw, service_id)
    out: list[LeftOut] = []
    found = raw.get("incident_urgency_rule")
    rule: Mapping[str, Any] = found if isinstance(found, dict) else {}
    if rule.get("type") == "use_support_hours":
        out.append(LeftOut("service", service_id, name,
                           "its urgency follows support hours, which the import does not carry over: set the new "
                           "sources' priority (or support hours) in pagerline"))
    elif rule.get("urgency") == "low":
        out.append(LeftOut("service", service_id, name,
                           "its incidents are low urgency, which the import does not carry over: set the new sources' "
                           "priority to LOW in pagerline"))
    elif rule.get("urgency") == "severity_based":
        out.append(LeftOut("service", service_id, name,
                           "its urgency follows each event's severity, which the import does not carry over: set the "
                           "new sources' severity map in pagerline"))
    if raw.get("acknowledgement_timeout"):
        out.append(LeftOut("service", service_id, name,
                           f"re-triggering {raw['acknowledgement_timeout']} s after an acknowledgement is not imported"))
    if raw.get("auto_resolve_timeout"):
        out.append(LeftOut("service", service_id, name,
                           f"resolving incidents {raw['auto_resolve_timeout']} s after they open is not imported"))
    grouping = raw.get("alert_grouping_parameters")
    if isinstance(grouping, dict) and grouping.get("type"):
        out.append(LeftOut("service", service_id, name,
                           f"alert grouping {grouping['type']!r} is not imported (pagerline groups events by their key)"))
    return out


def _policy(raw: Json, left: list[LeftOut]) -> ImportPolicy:
    policy_id = str(raw["id"])
    name = _name(raw, policy_id)
    rules: list[ImportRule] = []
    for level, rule in enumerate((r for r in raw.get("escalation_rules") or [] if isinstance(r, dict)), start=1):
        rule_id = str(rule.get("id") or f"{policy_id}#{level}")
        targets: list[ImportTarget] = []
        for target in rule.get("targets") or []:
            if not isinstance(target, dict) or not target.get("id"):
                continue
            kind = str(target.get("type") or "").removesuffix("_reference")
            if kind == "user":
                targets.append(ImportTarget("user", str(target["id"])))
            elif kind == "schedule":
                targets.append(ImportTarget("schedule", str(target["id"])))
            else:
                left.append(LeftOut("target", str(target["id"]), name,
                                    f"level {level} notifies a target of type {kind!r}, which pagerline cannot"))
        strategy = rule.get("escalation_rule_assignment_strategy")
        if isinstance(strategy, dict) and strategy.get("type") == "round_robin":
            left.append(LeftOut("rule", rule_id, name,
                                f"level {level} assigns its targets round-robin; pagerline notifies every target of a level"))
        try:
            delay = int(rule.get("escalation_delay_in_minutes") or 0)
        except (TypeError, ValueError):
            delay = 0
        rules.append(ImportRule(delay, tuple(dict.fromkeys(targets))))
    try:
        loops = int(raw.get("num_loops") or 0) + 1
    except (TypeError, ValueError):
        loops = 1
    handoffs = raw.get("on_call_handoff_notifications")
    if handoffs not in (None, DEFAULT_HANDOFF_NOTIFICATIONS):
        left.append(LeftOut("policy", policy_id, name,
                            f"on-call handoff notifications {handoffs!r} are not imported: pagerline's on-call reminders "
                            "are set by each person"))
    teams = _ref_ids(raw.get("teams"))
    return ImportPolicy(policy_id, name, tuple(rules), loops, teams[0] if teams else None)


def _users(raws: Iterable[Json]) -> list[ImportUser]:
    users: dict[str, ImportUser] = {}
    for raw in raws:
        user_id, email = str(raw.get("id") or ""), str(raw.get("email") or "")
        if user_id and email and user_id not in users:
            zone = raw.get("time_zone")
            users[user_id] = ImportUser(user_id, _name(raw, email), email, str(zone) if zone else None)
    return list(users.values())


def fill_gaps(entries: Iterable[tuple[datetime, datetime, str | None]], since: datetime, until: datetime) -> list[OnCallSpan]:
    """Entries clipped to [since, until), in time order, touching spans of one person merged and
    the time between them given to nobody."""
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    spans: list[OnCallSpan] = []
    cursor = since
    for start, end, user in sorted(entries, key=lambda entry: (entry[0], entry[1])):
        start, end = max(start.astimezone(UTC), cursor), min(end.astimezone(UTC), until)
        if end <= start:
            continue
        if start > cursor:
            spans.append(OnCallSpan(cursor, start, None))
        if spans and spans[-1].user_id == user and spans[-1].end == start:
            spans[-1] = OnCallSpan(spans[-1].start, end, user)
        else:
            spans.append(OnCallSpan(start, end, user))
        cursor = end
    if cursor < until:
        if spans and spans[-1].user_id is None:
            spans[-1] = OnCallSpan(spans[-1].start, until, None)
        else:
            spans.append(OnCallSpan(cursor, until, None))
    return spans


def events_endpoint(base_url: str) -> str:
    """Where the account's Events API v2 senders post (the EU service region has its own host)."""
    host = urlsplit(base_url).hostname or ""
    region = "events.eu.pagerduty.com" if host == urlsplit(EU_BASE_URL).hostname else "events.pagerduty.com"
    return f"https://{region}/v2/enqueue"


# ---------------------------------------------------------------------- rotation arithmetic


class _Rotation:
    """A layer's handoffs: turn ``k`` begins at the wall-clock time of ``virtual_start`` plus
    ``k`` turns, in the schedule's zone (a time in a daylight-saving gap falls after it, as
    Python's ``fold=0`` and PagerDuty's Rails time zones place it)."""

    def __init__(self, zone: ZoneInfo, virtual_start: datetime, turn_seconds: int) -> None:
        self.zone = zone
        self.origin = virtual_start.astimezone(zone).replace(tzinfo=None)
        self.turn = timedelta(seconds=turn_seconds)

    def wall(self, k: int) -> datetime:
        return self.origin + k * self.turn

    def handoff(self, k: int) -> datetime:
        return self.wall(k).replace(tzinfo=self.zone).astimezone(UTC)

    def exists(self, k: int) -> bool:
        """Whether handoff ``k``'s wall-clock time exists (is not skipped by a clock change)."""
        wall = self.wall(k)
        return wall.replace(tzinfo=self.zone).astimezone(UTC).astimezone(self.zone).replace(tzinfo=None) == wall

    def index_at(self, t: datetime) -> int:
        """The last turn begun at or before ``t``."""
        k = (t.astimezone(self.zone).replace(tzinfo=None) - self.origin) // self.turn
        while self.handoff(k) > t:
            k -= 1
        while self.handoff(k + 1) <= t:
            k += 1
        return k


# ---------------------------------------------------------------------- small helpers


def _entries(sub: Any) -> list[tuple[datetime, datetime, str | None]]:
    """``rendered_schedule_entries`` of a layer or sub-schedule as (start, end, user id)."""
    if not isinstance(sub, dict):
        return []
    out: list[tuple[datetime, datetime, str | None]] = []
    for entry in sub.get("rendered_schedule_entries") or []:
        if not isinstance(entry, dict):
            continue
        start, end = _instant(entry.get("start")), _instant(entry.get("end"))
        if start is not None and end is not None and start < end:
            out.append((start, end, _ref_id(entry.get("user")) or None))
    return out


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError as exc:
        raise ImportSourceError(f"PagerDuty sent a time that is not ISO 8601: {value!r}") from exc
    if parsed.tzinfo is None:
        raise ImportSourceError(f"PagerDuty sent a time without an offset: {value!r}")
    return parsed.astimezone(UTC)


def _iso(moment: datetime) -> str:
    """An instant as PagerDuty writes one, in whole seconds (rounded down)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _zone(name: str) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return None


def _seconds_of_day(clock: str) -> int | None:
    parts = clock.split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        return None
    hours, minutes = int(parts[0]), int(parts[1])
    seconds = int(parts[2]) if len(parts) == 3 else 0
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    return hours * 3600 + minutes * 60 + seconds


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _ref_id(ref: Any) -> str:
    return str(ref.get("id") or "") if isinstance(ref, dict) else ""


def _ref_ids(refs: Any) -> list[str]:
    return [rid for rid in (_ref_id(ref) for ref in refs or []) if rid] if isinstance(refs, list) else []


def _name(raw: Mapping[str, Any], fallback: str) -> str:
    return str(raw.get("name") or raw.get("summary") or fallback)


def _is_whole_integration(ref: Mapping[str, Any]) -> bool:
    """Whether an integration in a service's list is the whole object (with
    ``include[]=integrations``) rather than a reference to fetch."""
    kind = str(ref.get("type") or "")
    if kind.endswith("_reference"):
        return False
    if kind in EVENTS_V2_TYPES:
        return "integration_key" in ref
    if kind in EMAIL_TYPES:
        return "integration_email" in ref
    return True


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        details = [str(e) for e in error.get("errors") or []]
        text = str(error.get("message") or "")
        return "; ".join([text, *details]) if details else text or response.reason_phrase
    return response.text[:200] or response.reason_phrase


def _wait_asked(response: httpx.Response) -> float | None:
    """The wait a 429 asks for: ``Retry-After`` (seconds) or PagerDuty's ``ratelimit-reset``."""
    for header in ("retry-after", "ratelimit-reset"):
        value = response.headers.get(header)
        if value:
            try:
                return float(value)
            except ValueError:
                continue
    return None
