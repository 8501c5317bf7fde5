"""Reading an Opsgenie account through its REST API v2, for ``pagerline import opsgenie``.

:class:`OpsgenieReader` fetches users, teams, schedules (with their rotations and overrides),
escalations, integrations and the teams' routing rules, and translates them into
:mod:`pagerline.importers.model` values. Whatever pagerline cannot express exactly is reported
as :class:`~pagerline.importers.model.LeftOut` with why, instead of being imported half right.
:meth:`OpsgenieReader.on_call` reads Opsgenie's own on-call timeline, which the import's check
compares with pagerline's.

How Opsgenie's terms map. Marked (doc) where Opsgenie's API reference or support pages say so;
the rest is pagerline's reading where they are silent, and the fake API the tests run against
(tests/fakes/opsgenie_api.py) assumes the same:

* Users: ``username`` is the e-mail address (doc), which is what pagerline matches on.
* Rotations: ``type`` daily/weekly/hourly times ``length`` is the turn (doc); turns are counted
  from ``startDate``, whose time of day is the handover time (doc). That handovers keep their
  wall-clock time in the schedule's zone across daylight saving, and that a time restriction
  hides time without pausing the turns, is not written down; both are taken as pagerline (and
  PagerDuty) work. Participants rotate in the order given and may be users, teams, escalations
  or the reserved word ``none`` (doc). pagerline's layers rotate users only, so a rotation with
  any other kind of participant is left out whole (dropping a slot would shift every turn).
* Several rotations: Opsgenie notifies the on-call users of *every* rotation (doc: "all on-call
  users from different rotations are notified"); pagerline has one person on call at a time,
  the later layer winning. Rotations are imported in Opsgenie's order (the planner,
  :mod:`pagerline.importers.plan`, reports where two of them overlap ahead: there only the later
  rotation's person is paged), and :meth:`OpsgenieReader.on_call` merges Opsgenie's timeline the
  same way, so the check compares like with like.
* Time restrictions: ``time-of-day`` has one ``restriction`` (every day from start to end,
  crossing midnight when the end is not after the start), ``weekday-and-time-of-day`` a list of
  ``restrictions`` from a day and time to a day and time (doc); both become weekly windows.
* Overrides: one without ``rotations`` takes precedence over all rotations, one with rotations
  applies to those only (doc). The first becomes a pagerline override; the second cannot be
  expressed (a pagerline override takes the whole schedule) and is left out. Overrides that
  are over (by ``clock``) are skipped.
* Escalations: rules notify "when the specified time is over" (doc) counted from the alert's
  creation, not from the previous rule, so rules become levels by the differences of their
  delays (rules with the same delay form one level). ``repeat`` repeats the rules "for a
  specified number of times" (doc): ``loops`` is ``count + 1``; ``waitInterval`` (minutes before
  repeating) becomes the last level's timeout. ``if-not-closed`` rules are imported as
  pagerline's only kind ("until someone accepts") and reported. Recipients: users and schedules
  (notify type ``default``: who is on call); a team with notify type ``all`` becomes its members
  as they are now; any other recipient is left out with why.
* Integrations: API, Prometheus (Alertmanager's ``opsgenie_configs``) and Grafana (its Opsgenie
  contact point) all post to Opsgenie's Alert API, which pagerline's Opsgenie-compatible route
  takes over; Email integrations become email sources; other types are left out. Each
  integration is its own service, routed by its owner team's default routing rule (the one
  every alert falls through to); the team's other routing rules are reported.

Errors: a refused key (401, 403, 422) stops the import at once; 429 is retried after the wait
Opsgenie asks for (``Retry-After`` or ``X-RateLimit-Period-In-Sec``), server errors and
unreachable hosts a few times with backoff; then :class:`ImportSourceError` says why.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

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

DEFAULT_BASE_URL = "https://api.opsgenie.com"
EU_BASE_URL = "https://api.eu.opsgenie.com"

TURN_SECONDS = {"hourly": 3600, "daily": 86_400, "weekly": 604_800}
DAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}
MINUTES_PER = {"minutes": 1, "hours": 60, "days": 1440}
# Opsgenie's integration types whose alerts arrive through its Alert API (``POST /v2/alerts``
# with ``Authorization: GenieKey``): pagerline's Opsgenie-compatible route takes them over.
ALERT_API_TYPES = {"API", "Prometheus", "Grafana"}
EMAIL_TYPES = {"Email"}
# A non-repeating policy's last level has no next level; pagerline still wants a timeout
# (after it the alert's timeline says "no further levels"): pagerline's default.
LAST_LEVEL_MINUTES = 30
USERS_PAGE = 100  # Opsgenie's list-users ``limit`` (it pages with offset and paging.next)
TIMELINE_DAYS_PER_REQUEST = 35  # a four-week check (plus a partial day) in one request


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class _Period:
    start: datetime
    end: datetime
    user_id: str | None
    rank: tuple[int, int]  # (override first, later rotation next): the higher wins


class OpsgenieReader:
    """One Opsgenie account, read through ``base_url`` (``https://api.eu.opsgenie.com`` for the EU
    instance) with ``Authorization: GenieKey <api_key>``. The key needs read access to the
    configuration (an API integration's key, or an account API key with "Read" and "Configuration
    access").

    ``clock`` says what "now" is (overrides that are over are skipped); ``sleep`` waits between
    retries; both are parameters so tests need no wall clock and no real waiting."""

    system: Literal["pagerduty", "opsgenie"] = "opsgenie"

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], datetime] = _now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        attempts: int = 5,
        max_wait: float = 60.0,
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self._getter = PatientGetter("Opsgenie", self.base_url, _wait_asked, _message, http, sleep, attempts, max_wait)
        self._clock = clock
        self._user_ids_by_name: dict[str, str] | None = None

    async def close(self) -> None:
        await self._getter.close()

    # ------------------------------------------------------------------ HTTP

    async def _get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        """One GET, retried on 429, 5xx and network errors (bounded); the decoded JSON body."""
        headers = {"Authorization": f"GenieKey {self.api_key}", "Accept": "application/json"}

        def refuse(response: httpx.Response) -> None:
            if response.status_code in (401, 403, 422):
                raise ImportSourceError(
                    f"Opsgenie refused the API key (HTTP {response.status_code} on GET {path}: {_message(response)}). Use the key of an "
                    "API integration, or an account API key with read and configuration access, and the right "
                    f"instance (US {DEFAULT_BASE_URL}, EU {EU_BASE_URL})."
                )

        response = await self._getter.get(path, [(k, str(v)) for k, v in (params or {}).items()], headers, refuse)
        try:
            return response.json()
        except ValueError as exc:
            raise ImportSourceError(f"Opsgenie's answer to GET {path} is not JSON") from exc

    async def _data(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        body = await self._get(path, params)
        if not isinstance(body, dict) or "data" not in body:
            raise ImportSourceError(f"Opsgenie's answer to GET {path} has no 'data'")
        return body["data"]

    async def _list(self, path: str, params: Mapping[str, str | int] | None = None) -> list[dict[str, Any]]:
        """Every item of a list, following ``paging.next`` (a full URL: only its path and query
        are used, so the key never goes to another host)."""
        items: list[dict[str, Any]] = []
        next_path, next_params = path, dict(params or {})
        for _ in range(10_000):
            body = await self._get(next_path, next_params)
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                raise ImportSourceError(f"Opsgenie's answer to GET {next_path} has no list in 'data'")
            items += [item for item in data if isinstance(item, dict)]
            paging = body.get("paging")
            following = paging.get("next") if isinstance(paging, dict) else None
            if not following or not data:
                return items
            parts = urlsplit(str(following))
            next_path, next_params = parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
        raise ImportSourceError(f"Opsgenie's paging of {path} does not end")

    # ------------------------------------------------------------------ read

    async def read(self) -> ImportBundle:
        try:
            return await self._read()
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a shape Opsgenie does not document
            raise ImportSourceError(f"Opsgenie sent an answer the import does not understand ({type(exc).__name__}: {exc})") from exc

    async def _read(self) -> ImportBundle:
        left: list[LeftOut] = []
        users = await self._read_users()
        user_ids = {u.external_id for u in users}
        self._user_ids_by_name = {u.email.lower(): u.external_id for u in users}
        teams, members_by_team = await self._read_teams()
        team_ids = {t.external_id for t in teams}
        schedules = await self._read_schedules(user_ids, team_ids, left)
        schedule_ids = {s.external_id for s in schedules}
        policies = await self._read_escalations(user_ids, team_ids, schedule_ids, members_by_team, left)
        services, routing_policies = await self._read_integrations(team_ids, {p.external_id for p in policies}, schedule_ids, left)
        return ImportBundle(
            system="opsgenie",
            users=tuple(users),
            teams=tuple(teams),
            schedules=tuple(schedules),
            policies=tuple(policies + routing_policies),
            services=tuple(services),
            left_out=tuple(left),
        )

    async def _read_users(self) -> list[ImportUser]:
        found: list[ImportUser] = []
        for item in await self._list("/v2/users", {"limit": USERS_PAGE, "offset": 0, "sort": "username", "order": "asc"}):
            username = str(item.get("username") or "")
            found.append(
                ImportUser(
                    external_id=str(item["id"]),
                    name=str(item.get("fullName") or username),
                    email=username,
                    time_zone=str(item["timeZone"]) if item.get("timeZone") else None,
                )
            )
        return found

    def _user_id(self, ref: Mapping[str, Any]) -> str | None:
        """A user reference (``{"type": "user", "id": …, "username": …}``) as an Opsgenie id."""
        if ref.get("id"):
            return str(ref["id"])
        name = str(ref.get("username") or ref.get("name") or "").lower()
        return (self._user_ids_by_name or {}).get(name)

    async def _read_teams(self) -> tuple[list[ImportTeam], dict[str, tuple[str, ...]]]:
        teams: list[ImportTeam] = []
        members: dict[str, tuple[str, ...]] = {}
        for listed in await self._list("/v2/teams"):
            team_id = str(listed["id"])
            detail = await self._data(f"/v2/teams/{team_id}", {"identifierType": "id"})
            ids: list[str] = []
            for member in detail.get("members") or []:
                uid = self._user_id((member or {}).get("user") or {})
                if uid and uid not in ids:
                    ids.append(uid)
            members[team_id] = tuple(ids)
            teams.append(ImportTeam(external_id=team_id, name=str(detail.get("name") or listed.get("name") or team_id), member_ids=tuple(ids)))
        return teams, members

    # ------------------------------------------------------------ schedules

    async def _read_schedules(self, user_ids: set[str], team_ids: set[str], left: list[LeftOut]) -> list[ImportSchedule]:
        now = self._clock()
        found: list[ImportSchedule] = []
        for item in await self._list("/v2/schedules", {"expand": "rotation"}):
            schedule_id, name = str(item["id"]), str(item.get("name") or item["id"])
            if item.get("enabled") is False:
                left.append(LeftOut("schedule", schedule_id, name, "disabled in Opsgenie: nobody is paged through it"))
                continue
            zone = str(item.get("timezone") or "UTC")
            rotations = item.get("rotations")
            if not isinstance(rotations, list):
                rotations = await self._data(f"/v2/schedules/{schedule_id}/rotations", {"scheduleIdentifierType": "id"})
            layers: list[ImportLayer] = []
            for index, rotation in enumerate(rotations):
                layer = self._layer(name, index, rotation, user_ids, left)
                if layer is not None:
                    layers.append(layer)
            if not layers:
                left.append(LeftOut("schedule", schedule_id, name, "none of its rotations can be imported (see above)" if rotations else "it has no rotations"))
                continue
            overrides = await self._overrides(schedule_id, name, now, user_ids, left)
            owner = (item.get("ownerTeam") or {}).get("id")
            found.append(
                ImportSchedule(
                    external_id=schedule_id,
                    name=name,
                    time_zone=zone,
                    layers=tuple(layers),
                    overrides=tuple(overrides),
                    team_id=str(owner) if owner and str(owner) in team_ids else None,
                )
            )
        return found

    def _layer(self, schedule: str, index: int, rotation: Mapping[str, Any], user_ids: set[str], left: list[LeftOut]) -> ImportLayer | None:
        rotation_id = str(rotation.get("id") or f"rotation-{index + 1}")
        name = str(rotation.get("name") or f"Rotation {index + 1}")
        label = f"{schedule} / {name}"
        kind = str(rotation.get("type") or "")
        if kind not in TURN_SECONDS:
            left.append(LeftOut("layer", rotation_id, label, f"rotation type '{kind}' is not daily, weekly or hourly"))
            return None
        people: list[str] = []
        for position, participant in enumerate(rotation.get("participants") or [], start=1):
            ptype = str((participant or {}).get("type") or "")
            uid = self._user_id(participant) if ptype == "user" else None
            if ptype == "user" and uid in user_ids:
                people.append(str(uid))
                continue
            if ptype == "none":
                why = f"participant {position} is 'none' (a turn with nobody on call); pagerline's layers rotate people only, and dropping the turn would shift everybody's turns"
            elif ptype == "user":
                why = f"participant {position} is a user Opsgenie does not list"
            else:
                who = participant.get("name") or participant.get("id") or "?"
                why = f"participant {position} is {ptype or 'an unknown kind'} '{who}': pagerline's layers rotate users only (a team or escalation decides by its own rules whom it pages)"
            left.append(LeftOut("layer", rotation_id, label, why))
            return None
        if not people:
            left.append(LeftOut("layer", rotation_id, label, "it has no participants"))
            return None
        restrictions = _windows(rotation.get("timeRestriction"))
        if restrictions is None:
            restriction_type = (rotation.get("timeRestriction") or {}).get("type")
            left.append(LeftOut("layer", rotation_id, label, f"time restriction of type '{restriction_type}' is not understood"))
            return None
        length = int(rotation.get("length") or 1)
        return ImportLayer(
            external_id=rotation_id,
            name=name,
            start=_parse_time(rotation.get("startDate"), "rotation startDate"),
            turn_seconds=TURN_SECONDS[kind] * length,
            user_ids=tuple(people),
            end=_parse_time(rotation["endDate"], "rotation endDate") if rotation.get("endDate") else None,
            restrictions=restrictions,
        )

    async def _overrides(self, schedule_id: str, schedule: str, now: datetime, user_ids: set[str], left: list[LeftOut]) -> list[ImportOverride]:
        found: list[ImportOverride] = []
        for item in await self._list(f"/v2/schedules/{schedule_id}/overrides", {"scheduleIdentifierType": "id"}):
            alias = str(item.get("alias") or "")
            external_id = f"{schedule_id}:{alias}"
            start = _parse_time(item.get("startDate"), "override startDate")
            end = _parse_time(item.get("endDate"), "override endDate")
            if end <= now:
                continue
            user = item.get("user") or {}
            uid = self._user_id(user) if user.get("type", "user") == "user" else None
            label = f"{schedule} / override {alias}"
            if uid is None or uid not in user_ids:
                left.append(LeftOut("override", external_id, label, f"it puts {user.get('type') or 'someone'} '{user.get('name') or user.get('username') or user.get('id')}' on call, not a user"))
                continue
            rotations = [r.get("name") or r.get("id") for r in item.get("rotations") or [] if isinstance(r, dict)]
            if rotations:
                left.append(
                    LeftOut(
                        "override",
                        external_id,
                        label,
                        f"it replaces only the people of rotation(s) {', '.join(repr(r) for r in rotations)}; a pagerline override takes the whole schedule",
                    )
                )
                continue
            found.append(ImportOverride(external_id=external_id, user_id=uid, start=start, end=end))
        return found

    # ------------------------------------------------------------ escalations

    async def _read_escalations(
        self,
        user_ids: set[str],
        team_ids: set[str],
        schedule_ids: set[str],
        members_by_team: Mapping[str, tuple[str, ...]],
        left: list[LeftOut],
    ) -> list[ImportPolicy]:
        found: list[ImportPolicy] = []
        for item in await self._list("/v2/escalations"):
            policy = self._policy(item, user_ids, team_ids, schedule_ids, members_by_team, left)
            if policy is not None:
                found.append(policy)
        return found

    def _policy(
        self,
        item: Mapping[str, Any],
        user_ids: set[str],
        team_ids: set[str],
        schedule_ids: set[str],
        members_by_team: Mapping[str, tuple[str, ...]],
        left: list[LeftOut],
    ) -> ImportPolicy | None:
        policy_id, name = str(item["id"]), str(item.get("name") or item["id"])
        levels: dict[int, list[ImportTarget]] = {}
        for number, rule in enumerate(item.get("rules") or [], start=1):
            rule_id, label = f"{policy_id}/rules/{number}", f"{name} / rule {number}"
            targets = self._rule_targets(rule, label, rule_id, user_ids, schedule_ids, members_by_team, left)
            if not targets:
                continue
            if rule.get("condition", "if-not-acked") == "if-not-closed":
                left.append(
                    LeftOut(
                        "rule",
                        rule_id,
                        label,
                        "its condition is 'if not closed' (page even after someone acknowledged); imported as pagerline's "
                        "'until someone accepts', so it does not page for an accepted alert",
                    )
                )
            delay = _minutes(rule.get("delay"))
            level = levels.setdefault(delay, [])
            level += [t for t in targets if t not in level]
        if not levels:
            left.append(LeftOut("policy", policy_id, name, "none of its rules can be imported (see above)"))
            return None
        delays = sorted(levels)
        first = delays[0]
        if first > 0:
            left.append(LeftOut("policy", policy_id, name, f"its first rule waits {first} min after the alert is created; pagerline pages the first level at once"))
        repeat = item.get("repeat") or {}
        count = int(repeat.get("count") or 0)
        loops = count + 1 if count > 0 else 1
        if loops > 1:
            # The next round starts waitInterval after the last rule, and its first rule waits
            # its own delay again.
            last = int(repeat.get("waitInterval") or 0) + first
            if last < 1:
                left.append(LeftOut("policy", policy_id, name, "it repeats at once after its last rule; pagerline waits at least 1 min"))
                last = 1
            if repeat.get("resetRecipientStates"):
                left.append(LeftOut("policy", policy_id, name, "its repeats also re-page people who acknowledged; pagerline repeats only while nobody accepted"))
            if repeat.get("closeAlertAfterAll"):
                left.append(LeftOut("policy", policy_id, name, "it closes the alert after its last repeat; pagerline leaves the alert pending"))
        else:
            last = LAST_LEVEL_MINUTES
        rules = [
            ImportRule(delay_minutes=(delays[i + 1] - delays[i]) if i + 1 < len(delays) else last, targets=tuple(levels[delay]))
            for i, delay in enumerate(delays)
        ]
        owner = (item.get("ownerTeam") or {}).get("id")
        return ImportPolicy(
            external_id=policy_id,
            name=name,
            rules=tuple(rules),
            loops=loops,
            team_id=str(owner) if owner and str(owner) in team_ids else None,
        )

    def _rule_targets(
        self,
        rule: Mapping[str, Any],
        label: str,
        rule_id: str,
        user_ids: set[str],
        schedule_ids: set[str],
        members_by_team: Mapping[str, tuple[str, ...]],
        left: list[LeftOut],
    ) -> list[ImportTarget]:
        recipient = rule.get("recipient") or {}
        kind = str(recipient.get("type") or "")
        notify = str(rule.get("notifyType") or "default")
        who = recipient.get("name") or recipient.get("username") or recipient.get("id") or "?"
        why: str
        if kind == "user":
            uid = self._user_id(recipient)
            if uid in user_ids:
                return [ImportTarget("user", str(uid))]
            why = f"its user '{who}' is not listed by Opsgenie"
        elif kind == "schedule":
            schedule_id = str(recipient.get("id") or "")
            if notify != "default":
                why = f"it notifies the {notify} on-call person of schedule '{who}'; pagerline notifies who is on call now"
            elif schedule_id in schedule_ids:
                return [ImportTarget("schedule", schedule_id)]
            else:
                why = f"its schedule '{who}' is not imported (see above)"
        elif kind == "team":
            members = members_by_team.get(str(recipient.get("id") or ""), ())
            if notify == "all" and members:
                return [ImportTarget("user", uid) for uid in members if uid in user_ids]
            if notify == "default":
                why = f"it pages team '{who}' through the team's own routing rules; name the team's schedule or people in this level instead"
            else:
                why = f"it pages the {notify} of team '{who}'; pagerline's levels name users and schedules"
        else:
            why = f"its recipient is of kind '{kind}'"
        left.append(LeftOut("rule", rule_id, label, why))
        return []

    # ------------------------------------------------------------ integrations

    async def _read_integrations(
        self, team_ids: set[str], policy_ids: set[str], schedule_ids: set[str], left: list[LeftOut]
    ) -> tuple[list[ImportService], list[ImportPolicy]]:
        services: list[ImportService] = []
        routing_policies: dict[str, ImportPolicy] = {}
        routes: dict[str, tuple[str | None, str]] = {}  # team id -> (policy id, why not)
        for listed in await self._list("/v2/integrations"):
            integration_id = str(listed["id"])
            name = str(listed.get("name") or integration_id)
            kind = str(listed.get("type") or "")
            if listed.get("enabled") is False:
                left.append(LeftOut("integration", integration_id, name, "disabled in Opsgenie"))
                continue
            if kind not in ALERT_API_TYPES | EMAIL_TYPES:
                left.append(LeftOut("integration", integration_id, name, f"pagerline has no intake that takes over Opsgenie's {kind or 'unknown'} integration"))
                continue
            detail = await self._data(f"/v2/integrations/{integration_id}")
            team_id = str(listed.get("teamId") or (detail.get("ownerTeam") or {}).get("id") or "")
            if not team_id:
                left.append(LeftOut("integration", integration_id, name, "it belongs to no team, so its alerts go to the responders each alert names, which pagerline cannot route"))
                continue
            if team_id not in routes:
                routes[team_id] = await self._team_route(team_id, policy_ids, schedule_ids, routing_policies, left)
            policy_id, why = routes[team_id]
            if policy_id is None:
                left.append(LeftOut("integration", integration_id, name, why))
                continue
            services.append(
                ImportService(
                    external_id=integration_id,
                    name=name,
                    policy_id=policy_id,
                    integrations=(self._integration(integration_id, name, kind, detail),),
                    team_id=team_id if team_id in team_ids else None,
                )
            )
        return services, list(routing_policies.values())

    def _integration(self, integration_id: str, name: str, kind: str, detail: Mapping[str, Any]) -> ImportIntegration:
        if kind in EMAIL_TYPES:
            address = str(detail.get("emailAddress") or detail.get("emailUsername") or "")
            return ImportIntegration(external_id=integration_id, name=name, kind="email", old_address=address)
        key = str(detail.get("apiKey") or "")
        old = f"{self.base_url}/v2/alerts" + (f" (GenieKey …{key[-4:]})" if len(key) >= 4 else "")
        return ImportIntegration(external_id=integration_id, name=name, kind="opsgenie", old_address=old)

    async def _team_route(
        self,
        team_id: str,
        policy_ids: set[str],
        schedule_ids: set[str],
        routing_policies: dict[str, ImportPolicy],
        left: list[LeftOut],
    ) -> tuple[str | None, str]:
        """The policy a team's default routing rule sends alerts to (or why there is none);
        the team's other routing rules, which send some alerts elsewhere, are reported."""
        rules = await self._data(f"/v2/teams/{team_id}/routing-rules", {"teamIdentifierType": "id"})
        default: Mapping[str, Any] | None = None
        for rule in rules if isinstance(rules, list) else []:
            if rule.get("isDefault"):
                default = rule
                continue
            target = rule.get("notify") or {}
            left.append(
                LeftOut(
                    "routing rule",
                    str(rule.get("id") or ""),
                    str(rule.get("name") or "routing rule"),
                    f"it sends the alerts matching its conditions to {target.get('type')} '{target.get('name') or target.get('id')}'; "
                    "pagerline sends all of an integration's alerts to the team's default route",
                )
            )
        if default is None:
            return None, "its team has no default routing rule"
        notify = default.get("notify") or {}
        kind, target_id, target_name = str(notify.get("type") or ""), str(notify.get("id") or ""), notify.get("name") or notify.get("id")
        if kind == "escalation":
            if target_id in policy_ids:
                return target_id, ""
            return None, f"its team routes alerts to escalation '{target_name}', which is not imported (see above)"
        if kind == "schedule":
            if target_id not in schedule_ids:
                return None, f"its team routes alerts to schedule '{target_name}', which is not imported (see above)"
            # Routing straight to a schedule pages whoever is on call, once: a one-level policy.
            policy_id = f"routing-rule:{team_id}:{default.get('id') or 'default'}"
            routing_policies.setdefault(
                policy_id,
                ImportPolicy(
                    external_id=policy_id,
                    name=f"{target_name} (routing)",
                    rules=(ImportRule(delay_minutes=LAST_LEVEL_MINUTES, targets=(ImportTarget("schedule", target_id),)),),
                    team_id=team_id,
                ),
            )
            return policy_id, ""
        return None, f"its team's default routing rule notifies {kind or 'nobody'}"

    # ------------------------------------------------------------ on call

    async def on_call(self, schedule_id: str, since: datetime, until: datetime) -> list[OnCallSpan]:
        """Opsgenie's final on-call timeline of the schedule from ``since`` to ``until``: every
        rotation's periods merged into one line (an override beats a rotation, a later rotation
        an earlier one, as the import does), nobody where no period is, in time order."""
        if since.tzinfo is None or until.tzinfo is None:
            raise ValueError("since and until must be aware datetimes")
        try:
            periods = await self._timeline(schedule_id, since, until)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ImportSourceError(f"Opsgenie sent a timeline of schedule {schedule_id} the check does not understand ({type(exc).__name__}: {exc})") from exc
        return _merge(periods, since, until)

    async def _timeline(self, schedule_id: str, since: datetime, until: datetime) -> list[_Period]:
        periods: list[_Period] = []
        start = since.astimezone(UTC).replace(microsecond=0)  # the ``date`` sent is in whole seconds
        while start < until:
            days = min(TIMELINE_DAYS_PER_REQUEST, max(1, math.ceil((until - start) / timedelta(days=1))))
            data = await self._data(
                f"/v2/schedules/{schedule_id}/timeline",
                {"identifierType": "id", "date": _format_time(start), "interval": days, "intervalUnit": "days"},
            )
            periods += await self._periods(data, schedule_id)
            start += timedelta(days=days)
        return periods

    async def _periods(self, data: Any, schedule_id: str) -> list[_Period]:
        rotations = ((data or {}).get("finalTimeline") or {}).get("rotations") if isinstance(data, dict) else None
        if not isinstance(rotations, list):
            raise ImportSourceError(f"Opsgenie's timeline of schedule {schedule_id} has no finalTimeline.rotations")
        indexed = sorted(enumerate(rotations), key=lambda pair: (float(pair[1].get("order", pair[0])), pair[0]))
        found: list[_Period] = []
        for rank, (_, rotation) in enumerate(indexed):
            for period in rotation.get("periods") or []:
                recipient = period.get("recipient") or period.get("responder") or {}
                user: str | None = None
                if recipient.get("type") == "user":
                    if not recipient.get("id") and self._user_ids_by_name is None:
                        await self._learn_user_names()
                    user = self._user_id(recipient)
                found.append(
                    _Period(
                        start=_parse_time(period.get("startDate"), "period startDate"),
                        end=_parse_time(period.get("endDate"), "period endDate"),
                        user_id=user,
                        rank=(1 if period.get("type") == "override" else 0, rank),
                    )
                )
        return found

    async def _learn_user_names(self) -> None:
        users = await self._read_users()
        self._user_ids_by_name = {u.email.lower(): u.external_id for u in users}


# ---------------------------------------------------------------------- helpers


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])[:200]
    return response.reason_phrase


def _wait_asked(response: httpx.Response) -> float | None:
    """The wait a 429 asks for: ``Retry-After`` seconds, else Opsgenie's
    ``X-RateLimit-Period-In-Sec`` (the window that was exceeded: 1 or 60)."""
    for header in ("Retry-After", "X-RateLimit-Period-In-Sec"):
        value = response.headers.get(header)
        if value is None:
            continue
        try:
            return max(0.0, float(value))
        except ValueError:
            continue
    return None


def _parse_time(value: Any, what: str) -> datetime:
    if not isinstance(value, str) or not value:
        raise ImportSourceError(f"Opsgenie sent no {what}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ImportSourceError(f"Opsgenie sent a {what} that is not a date: {value!r}") from exc
    if parsed.tzinfo is None:
        raise ImportSourceError(f"Opsgenie sent a {what} without a time zone: {value!r}")
    return parsed.astimezone(UTC)


def _format_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _minutes(delay: Any) -> int:
    if not isinstance(delay, dict):
        return int(delay or 0)
    return int(delay.get("timeAmount") or 0) * MINUTES_PER.get(str(delay.get("timeUnit") or "minutes"), 1)


def _hhmm(hour: Any, minute: Any) -> str:
    return f"{int(hour or 0):02d}:{int(minute or 0):02d}"


def _windows(restriction: Any) -> tuple[WeeklyWindow, ...] | None:
    """An Opsgenie ``timeRestriction`` as weekly windows (``()``: none, always on; None: not
    understood)."""
    if not restriction:
        return ()
    kind = restriction.get("type")
    if kind == "time-of-day":
        one = restriction.get("restriction") or next(iter(restriction.get("restrictions") or []), None)
        if not isinstance(one, dict):
            return None
        start, end = _hhmm(one.get("startHour"), one.get("startMin")), _hhmm(one.get("endHour"), one.get("endMin"))
        if start == end:
            return ()
        return tuple(WeeklyWindow(day, start, day if end > start else (day + 1) % 7, end) for day in range(7))
    if kind == "weekday-and-time-of-day":
        windows: list[WeeklyWindow] = []
        for one in restriction.get("restrictions") or []:
            start_day, end_day = DAYS.get(str(one.get("startDay", "")).lower()), DAYS.get(str(one.get("endDay", "")).lower())
            if start_day is None or end_day is None:
                return None
            windows.append(
                WeeklyWindow(start_day, _hhmm(one.get("startHour"), one.get("startMin")), end_day, _hhmm(one.get("endHour"), one.get("endMin")))
            )
        return tuple(windows) if windows else None
    return None


def _merge(periods: list[_Period], since: datetime, until: datetime) -> list[OnCallSpan]:
    cuts = sorted({since, until} | {t for p in periods for t in (p.start, p.end) if since < t < until})
    spans: list[OnCallSpan] = []
    for lo, hi in zip(cuts, cuts[1:]):
        covering = [p for p in periods if p.start <= lo and hi <= p.end]
        user = max(covering, key=lambda p: p.rank).user_id if covering else None
        if spans and spans[-1].user_id == user and spans[-1].end == lo:
            spans[-1] = OnCallSpan(spans[-1].start, hi, user)
        else:
            spans.append(OnCallSpan(lo, hi, user))
    return spans
