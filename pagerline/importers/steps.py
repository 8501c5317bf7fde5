"""The writes of an import, one small step each, run in order inside one transaction.

Every step calls the engine function the admin console's mutation calls (so the same checks
apply) as an administrator, and records the ``imported_refs`` row of what it created, so the
next import finds it. A step may name something an earlier step of the same run creates (a
policy's rule pages a schedule created just before): it then holds a :class:`Ref`, resolved
when it runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from pagerline.engine.alerts import policies
from pagerline.engine.alerts.policies import RuleSpec
from pagerline.engine.people import teams
from pagerline.engine.people.accounts import Viewer
from pagerline.engine.schedules import editing
from pagerline.engine.schedules.editing import LayerInput
from pagerline.engine.sources import admin as sources
from pagerline.models import ImportedRef, IntegrationType, Schedule, ScheduleKind, ScheduleLayer


@dataclass(frozen=True, slots=True)
class Ref:
    """pagerline's id of something this run imports, known once its step has run."""

    kind: str
    external_id: str


Local = int | Ref


@dataclass(slots=True)
class Context:
    system: str
    now: datetime
    viewer: Viewer
    ids: dict[tuple[str, str], int]  # (kind, external id) → pagerline id, filled as steps run
    keys: dict[str, str] = field(default_factory=dict)  # integration external id → its new key

    def id(self, value: Local) -> int:
        return self.ids[(value.kind, value.external_id)] if isinstance(value, Ref) else value

    def maybe_id(self, value: Local | None) -> int | None:
        return None if value is None else self.id(value)

    async def remember(self, kind: str, external_id: str, local_id: int) -> None:
        """The ``imported_refs`` row of (kind, external id), made or pointed at ``local_id``."""
        self.ids[(kind, external_id)] = local_id
        row = await ImportedRef.get_or_none(system=self.system, kind=kind, external_id=external_id)
        if row is None:
            await ImportedRef.create(system=self.system, kind=kind, external_id=external_id, local_id=local_id, created_at=self.now)
        elif row.local_id != local_id:
            row.local_id = local_id
            await row.save(update_fields=["local_id"])

    async def forget(self, kind: str, external_id: str) -> None:
        self.ids.pop((kind, external_id), None)
        await ImportedRef.filter(system=self.system, kind=kind, external_id=external_id).delete()


class Step(Protocol):
    async def run(self, ctx: Context) -> None: ...


# ------------------------------------------------------------------------------------- teams


@dataclass(frozen=True, slots=True)
class CreateTeam:
    external_id: str
    name: str
    member_ids: tuple[int, ...]

    async def run(self, ctx: Context) -> None:
        team = await teams.create_team(ctx.viewer, self.name)
        for user_id in self.member_ids:
            await teams.add_member(ctx.viewer, team.id, user_id)
        await ctx.remember("team", self.external_id, team.id)


@dataclass(frozen=True, slots=True)
class UpdateTeam:
    """A team imported before, or a pagerline team of the same name (``link``: record it)."""

    external_id: str
    team_id: int
    rename: str | None
    add_member_ids: tuple[int, ...]
    link: bool

    async def run(self, ctx: Context) -> None:
        if self.rename is not None:
            await teams.rename_team(ctx.viewer, self.team_id, self.rename)
        for user_id in self.add_member_ids:
            await teams.add_member(ctx.viewer, self.team_id, user_id)
        if self.link:
            await ctx.remember("team", self.external_id, self.team_id)


# --------------------------------------------------------------------------------- schedules


@dataclass(frozen=True, slots=True)
class CreateSchedule:
    external_id: str
    name: str
    timezone: str
    team: Local | None
    layers: tuple[LayerInput, ...]

    async def run(self, ctx: Context) -> None:
        schedule = await editing.create_schedule(
            self.name, self.timezone, ScheduleKind.RECURRING, ctx.maybe_id(self.team), list(self.layers)
        )
        await ctx.remember("schedule", self.external_id, schedule.id)


@dataclass(frozen=True, slots=True)
class UpdateSchedule:
    """Only what differs is given. ``layers``: the schedule's layers are replaced by these
    (removed, then added bottom to top), so they equal what the old service has now."""

    external_id: str
    schedule_id: int
    name: str | None = None
    timezone: str | None = None
    set_team: bool = False
    team: Local | None = None
    layers: tuple[LayerInput, ...] | None = None

    async def run(self, ctx: Context) -> None:
        actor = ctx.viewer.user
        if self.name is not None or self.timezone is not None:
            await editing.update_schedule(actor, self.schedule_id, self.name, self.timezone)
        if self.set_team:
            # The engine has no call that moves a schedule to another team (the console sets a
            # team only when creating one); the team is one this import made or found.
            await Schedule.filter(id=self.schedule_id).update(team_id=ctx.maybe_id(self.team))
        if self.layers is not None:
            for layer_id in await ScheduleLayer.filter(schedule_id=self.schedule_id).order_by("position", "id").values_list("id", flat=True):
                await editing.delete_layer(actor, layer_id)
            for layer in self.layers:
                await editing.add_layer(actor, self.schedule_id, layer)


@dataclass(frozen=True, slots=True)
class PutOverride:
    """Create an override (``replaces``: an older version of it, deleted first)."""

    external_id: str
    schedule: Local
    user_id: int
    start: datetime
    end: datetime
    replaces: int | None = None

    async def run(self, ctx: Context) -> None:
        if self.replaces is not None:
            await editing.delete_override(ctx.viewer.user, self.replaces, now=ctx.now)
        override = await editing.create_override(
            ctx.viewer.user, ctx.id(self.schedule), self.user_id, self.start, self.end, now=ctx.now
        )
        await ctx.remember("override", self.external_id, override.id)


@dataclass(frozen=True, slots=True)
class DeleteOverride:
    """An override imported before that the old service no longer has."""

    external_id: str
    override_id: int

    async def run(self, ctx: Context) -> None:
        await editing.delete_override(ctx.viewer.user, self.override_id, now=ctx.now)
        await ctx.forget("override", self.external_id)


# ---------------------------------------------------------------------------------- policies


@dataclass(frozen=True, slots=True)
class PlannedRule:
    timeout_minutes: int
    user_ids: tuple[int, ...]
    schedules: tuple[Local, ...]

    def spec(self, ctx: Context) -> RuleSpec:
        return RuleSpec(self.timeout_minutes, list(self.user_ids), [ctx.id(s) for s in self.schedules])


@dataclass(frozen=True, slots=True)
class CreatePolicy:
    external_id: str
    name: str
    team: Local | None
    rules: tuple[PlannedRule, ...]
    repeating: bool
    frequency: int

    async def run(self, ctx: Context) -> None:
        policy = await policies.create(
            ctx.viewer, self.name, [r.spec(ctx) for r in self.rules], ctx.maybe_id(self.team), self.repeating, self.frequency
        )
        await ctx.remember("policy", self.external_id, policy.id)


@dataclass(frozen=True, slots=True)
class UpdatePolicy:
    external_id: str
    policy_id: int
    name: str
    team: Local | None
    rules: tuple[PlannedRule, ...]
    repeating: bool
    frequency: int

    async def run(self, ctx: Context) -> None:
        await policies.update(
            ctx.viewer, self.policy_id, name=self.name, rules=[r.spec(ctx) for r in self.rules],
            team_id=ctx.maybe_id(self.team), repeating=self.repeating, frequency=self.frequency,
        )


# ----------------------------------------------------------------------------------- sources


@dataclass(frozen=True, slots=True)
class CreateSource:
    external_id: str
    name: str
    policy: Local
    team: Local | None
    integration_type: IntegrationType

    async def run(self, ctx: Context) -> None:
        source, key = await sources.create(
            ctx.viewer, self.name, ctx.id(self.policy), self.integration_type, team_id=ctx.maybe_id(self.team)
        )
        ctx.keys[self.external_id] = key
        await ctx.remember("integration", self.external_id, source.id)


@dataclass(frozen=True, slots=True)
class UpdateSource:
    """Its key stays as it is: senders already use it."""

    external_id: str
    source_id: int
    name: str
    policy: Local
    team: Local | None
    integration_type: IntegrationType

    async def run(self, ctx: Context) -> None:
        await sources.update(
            ctx.viewer, self.source_id, name=self.name, policy_id=ctx.id(self.policy),
            integration_type=self.integration_type, team_id=ctx.maybe_id(self.team),
        )
