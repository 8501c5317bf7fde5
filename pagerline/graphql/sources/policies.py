"""Source policies over GraphQL: grouping, auto-resolve, priority rules and support hours,
event filters, webhook templates (with a preview), maintenance windows, heartbeats, deployment
events, dropped events and alert actions.

Whoever sees a source's team reads these; ADMINs and USERs of the source's team change them
(``engine.people.roles``). Resolvers authorize, call the engine and shape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON
from strawberry.types import Info

from pagerline import models
from pagerline.engine.alerts import actions as alert_actions
from pagerline.engine.sources import heartbeats, settings as source_settings
from pagerline.engine.people.accounts import Viewer
from pagerline.engine.sources.deployments import deployments_before
from pagerline.engine.core.errors import EngineError
from pagerline.engine.sources.intake import validate
from pagerline.engine.people.roles import may_see, require_manager
from pagerline.engine.sources.policy import in_maintenance, priority_rule_of, support_hours_spec
from pagerline.engine.sources.settings import PolicyChanges, TemplateInvalid
from pagerline.engine.sources.support_hours import in_support, next_change
from pagerline.engine.core.unset import UNSET
from pagerline.engine.sources.webhook_templates import MappingError, TemplateFieldError, compile_webhook_templates, render_payload, to_event
from pagerline.graphql.core.args import now, optional_id, parse_id, parse_ids
from pagerline.graphql.core.context import app_state, viewer_of
from pagerline.graphql.core.errors import engine_errors, not_found
from pagerline.graphql.core.permissions import require_viewer, visible_alert
from pagerline.graphql.sources.types import (
    AlertAction,
    AlertActionDelivery,
    AlertActionKind,
    AlertActionMode,
    AlertActionTrigger,
    AlertCreation,
    AlertSourcePolicy,
    DeploymentEvent,
    DroppedEvent,
    Heartbeat,
    MaintenanceWindow,
    PriorityRule,
    SupportHours,
    TemplatePreview,
)

T = TypeVar("T")
MAX_LIST = 200


def template_error(exc: TemplateInvalid | TemplateFieldError) -> GraphQLError:
    """Bad templates name the template and the position in it."""
    return GraphQLError(
        str(exc), extensions={"code": "BAD_USER_INPUT", "field": exc.field, "line": exc.line, "column": exc.column}
    )


async def _source(info: Info, raw_id: strawberry.ID, *, manage: bool) -> tuple[Viewer, models.AlertSource]:
    viewer = require_viewer(viewer_of(info))
    row = await models.AlertSource.get_or_none(id=parse_id(raw_id, "alert source id"))
    team_id = row.team_id if row is not None else None  # type: ignore[attr-defined]
    if row is None or not may_see(viewer, team_id):
        raise not_found("Alert source")
    if manage:
        with engine_errors():
            require_manager(viewer, team_id, "alert source policies")
    return viewer, row


async def _deleted(info: Info, delete: Callable[[Viewer], Awaitable[object]]) -> bool:
    """The delete mutations: the engine checks who may and what is refused; true when done."""
    viewer = require_viewer(viewer_of(info))
    with engine_errors():
        await delete(viewer)
    return True


async def policy_of(row: models.AlertSource) -> AlertSourcePolicy:
    return AlertSourcePolicy(
        source_id=strawberry.ID(str(row.id)),
        alert_creation=AlertCreation(row.alert_creation.value),
        alert_grouping_window_sec=row.alert_grouping_window_sec,
        auto_resolution_timeout_sec=row.auto_resolution_timeout_sec,
        priority_rule=PriorityRule(priority_rule_of(row.priority_rule, row.default_priority).value),
        support_hours_id=strawberry.ID(str(row.support_hours_id)) if row.support_hours_id else None,  # type: ignore[attr-defined]
        auto_raise_alerts=row.auto_raise_alerts,
        event_filter=row.event_filter,
        templates=row.templates,
        intake_settings=row.intake_settings,
        in_maintenance=await in_maintenance(row.id, now()) is not None,
        dropped_event_count=await models.DroppedEvent.filter(source_id=row.id).count(),
    )


def support_hours_of(row: models.SupportHours, at: datetime) -> SupportHours:
    spec = support_hours_spec(row)
    return SupportHours(
        id=strawberry.ID(str(row.id)), name=row.name, timezone=row.timezone, weekly=row.weekly, exceptions=row.exceptions,
        team_id=strawberry.ID(str(row.team_id)) if row.team_id else None,  # type: ignore[attr-defined]
        in_support_now=in_support(spec, at), next_change=next_change(spec, at),
    )


async def window_of(row: models.MaintenanceWindow) -> MaintenanceWindow:
    return MaintenanceWindow.of(row, list(await row.sources.all().values_list("id", flat=True)))


async def alert_deployments(alert_id: int) -> list[DeploymentEvent]:
    """``Alert.deployments`` (the alert was already checked to be visible)."""
    alert = await models.Alert.get(id=alert_id)
    return [DeploymentEvent.of(row) for row in await deployments_before(alert)]


def _given(value: T | None, convert: Callable[[T], Any]) -> Any:
    """An input field: omitted (or null where null means nothing) leaves the setting as it is."""
    return UNSET if value is strawberry.UNSET or value is None else convert(value)


def _nullable(value: T | None, convert: Callable[[T], Any]) -> Any:
    """An input field where null is a value (it turns the setting off)."""
    if value is strawberry.UNSET:
        return UNSET
    return None if value is None else convert(value)


@strawberry.input
class AlertSourcePolicyInput:
    alert_creation: AlertCreation | None = strawberry.UNSET
    alert_grouping_window_sec: int | None = strawberry.field(default=strawberry.UNSET, description="120 to 86400 seconds.")
    auto_resolution_timeout_sec: int | None = strawberry.field(default=strawberry.UNSET, description="null turns it off.")
    priority_rule: PriorityRule | None = strawberry.UNSET
    support_hours_id: strawberry.ID | None = strawberry.UNSET
    auto_raise_alerts: bool | None = strawberry.UNSET
    event_filter: JSON | None = strawberry.field(default=strawberry.UNSET, description="null keeps every event.")
    templates: JSON | None = strawberry.field(default=strawberry.UNSET, description="null uses the default templates.")
    intake_settings: JSON | None = strawberry.field(
        default=strawberry.UNSET,
        description="How the email, PagerDuty- and Opsgenie-compatible intakes read events: {email: {alertKeyPattern, alertKeyFrom, "
        "resolvePatterns, allowedSenders}, pagerdutySeverities, opsgeniePriorities}; null uses the defaults.",
    )

    def changes(self) -> PolicyChanges:
        return PolicyChanges(
            alert_creation=_given(self.alert_creation, lambda v: models.AlertCreation(v.value)),
            alert_grouping_window_sec=_given(self.alert_grouping_window_sec, int),
            auto_resolution_timeout_sec=_nullable(self.auto_resolution_timeout_sec, int),
            priority_rule=_given(self.priority_rule, lambda v: models.PriorityRule(v.value)),
            support_hours_id=_nullable(self.support_hours_id, lambda v: parse_id(v, "support hours id")),
            auto_raise_alerts=_given(self.auto_raise_alerts, bool),
            event_filter=_nullable(self.event_filter, lambda v: v),
            templates=_nullable(self.templates, lambda v: v),
            intake_settings=_nullable(self.intake_settings, lambda v: v),
        )


@strawberry.type
class SourcesAdminQuery:
    @strawberry.field
    async def alert_source_policy(self, info: Info, source_id: strawberry.ID) -> AlertSourcePolicy:
        _, row = await _source(info, source_id, manage=False)
        return await policy_of(row)

    @strawberry.field
    async def support_hours(self, info: Info) -> list[SupportHours]:
        viewer = require_viewer(viewer_of(info))
        rows = await models.SupportHours.all().order_by("name", "id")
        at = now()
        return [support_hours_of(r, at) for r in rows if may_see(viewer, r.team_id)]  # type: ignore[attr-defined]

    @strawberry.field(description="Windows of the source that have not ended (all of them with includeEnded).")
    async def maintenance_windows(self, info: Info, source_id: strawberry.ID, include_ended: bool = False) -> list[MaintenanceWindow]:
        _, row = await _source(info, source_id, manage=False)
        query = models.MaintenanceWindow.filter(sources__id=row.id)
        if not include_ended:
            query = query.filter(end__gt=now())
        return [await window_of(w) for w in await query.order_by("start").limit(MAX_LIST)]

    @strawberry.field(description="Newest first; the events are kept for 30 days.")
    async def dropped_events(self, info: Info, source_id: strawberry.ID, first: int = 50) -> list[DroppedEvent]:
        _, row = await _source(info, source_id, manage=False)
        rows = await models.DroppedEvent.filter(source_id=row.id).order_by("-id").limit(min(max(first, 1), MAX_LIST))
        return [DroppedEvent.of(r) for r in rows]

    @strawberry.field
    async def heartbeats(self, info: Info, source_id: strawberry.ID) -> list[Heartbeat]:
        _, row = await _source(info, source_id, manage=False)
        return [Heartbeat.of(h) for h in await models.Heartbeat.filter(source_id=row.id).order_by("name", "id")]

    @strawberry.field(description="Deployments that came through the source, newest first.")
    async def deployment_events(self, info: Info, source_id: strawberry.ID, first: int = 50) -> list[DeploymentEvent]:
        _, row = await _source(info, source_id, manage=False)
        rows = await models.DeploymentEvent.filter(source_id=row.id).order_by("-at", "-id").limit(min(max(first, 1), MAX_LIST))
        return [DeploymentEvent.of(r) for r in rows]

    @strawberry.field(description="The actions of a source and of its team.")
    async def alert_actions(self, info: Info, source_id: strawberry.ID) -> list[AlertAction]:
        _, row = await _source(info, source_id, manage=False)
        team_id = row.team_id  # type: ignore[attr-defined]
        rows = await models.AlertAction.filter(source_id=row.id).order_by("id")
        if team_id is not None:
            rows += await models.AlertAction.filter(team_id=team_id).order_by("id")
        return [AlertAction.of(r) for r in rows]

    @strawberry.field
    async def alert_action_deliveries(self, info: Info, alert_id: strawberry.ID) -> list[AlertActionDelivery]:
        viewer = require_viewer(viewer_of(info))
        alert = await visible_alert(viewer, parse_id(alert_id, "alert id"))
        if alert is None:
            raise not_found("Alert")
        rows = await models.AlertActionDelivery.filter(alert_id=alert.id).order_by("id").limit(MAX_LIST)
        return [AlertActionDelivery.of(r) for r in rows]


@strawberry.type
class SourcesAdminMutation:
    @strawberry.mutation(description="Change what is given; bad settings are refused and change nothing.")
    async def update_alert_source_policy(self, info: Info, id: strawberry.ID, input: AlertSourcePolicyInput) -> AlertSourcePolicy:
        viewer, row = await _source(info, id, manage=True)
        changes = input.changes()
        if changes.support_hours_id not in (UNSET, None):
            hours = await models.SupportHours.get_or_none(id=changes.support_hours_id)
            if hours is None or not may_see(viewer, hours.team_id):  # type: ignore[attr-defined]
                raise not_found("Support hours")
        with engine_errors():
            try:
                updated = await source_settings.update_source_policy(row.id, changes)
            except TemplateInvalid as exc:
                raise template_error(exc) from None
        return await policy_of(updated)

    @strawberry.mutation(description="Render sample payload with the given templates, or the source's stored ones.")
    async def preview_template(
        self, info: Info, payload: JSON, source_id: strawberry.ID | None = None, templates: JSON | None = None
    ) -> TemplatePreview:
        require_viewer(viewer_of(info))
        if templates is None:
            if source_id is None:
                raise GraphQLError("Give templates, or the sourceId whose templates to use", extensions={"code": "BAD_USER_INPUT"})
            _, row = await _source(info, source_id, manage=False)
            templates = row.templates
        try:
            compiled = compile_webhook_templates(templates)
        except TemplateFieldError as exc:
            raise template_error(exc) from None
        rendered = render_payload(compiled, payload)
        problem = None
        try:
            validate(to_event(rendered, payload))
        except (MappingError, EngineError) as exc:
            problem = str(exc)
        return TemplatePreview(
            summary=rendered.summary, details=rendered.details, alert_key=rendered.alert_key, priority=rendered.priority,
            event_type=rendered.event_type, links=[dict(link) for link in rendered.links], problem=problem,
        )

    @strawberry.mutation(description="weekly: [{day, start, end}]; exceptions: [{date, closed}] or [{date, start, end}].")
    async def create_support_hours(
        self, info: Info, name: str, timezone: str, weekly: JSON, exceptions: JSON | None = None, team_id: strawberry.ID | None = None
    ) -> SupportHours:
        viewer = require_viewer(viewer_of(info))
        team = optional_id(team_id, "team id")
        with engine_errors():
            require_manager(viewer, team, "support hours")
            row = await source_settings.create_support_hours(name, timezone, weekly, exceptions, team)
        return support_hours_of(row, now())

    @strawberry.mutation
    async def update_support_hours(
        self, info: Info, id: strawberry.ID, timezone: str, weekly: JSON, exceptions: JSON | None = None, name: str | None = None
    ) -> SupportHours:
        viewer = require_viewer(viewer_of(info))
        row = await models.SupportHours.get_or_none(id=parse_id(id, "support hours id"))
        if row is None or not may_see(viewer, row.team_id):  # type: ignore[attr-defined]
            raise not_found("Support hours")
        with engine_errors():
            require_manager(viewer, row.team_id, "support hours")  # type: ignore[attr-defined]
            row = await source_settings.update_support_hours(row.id, timezone, weekly, exceptions, name)
        return support_hours_of(row, now())

    @strawberry.mutation(description="Refused (CONFLICT, naming them) while alert sources use them.")
    async def delete_support_hours(self, info: Info, id: strawberry.ID) -> bool:
        return await _deleted(info, lambda viewer: source_settings.delete_support_hours(viewer, parse_id(id, "support hours id")))

    @strawberry.mutation(description="Events of these sources create no alert while the window is on.")
    async def create_maintenance_window(
        self, info: Info, summary: str, start: datetime, end: datetime, source_ids: list[strawberry.ID]
    ) -> MaintenanceWindow:
        viewer = require_viewer(viewer_of(info))
        for raw in source_ids:
            await _source(info, raw, manage=True)
        with engine_errors():
            row = await source_settings.create_maintenance_window(summary, start, end, parse_ids(source_ids, "alert source id"), viewer.user.id)
        return await window_of(row)

    @strawberry.mutation(description=(
        "Change what is given (sourceIds replaces the sources). A window that has ended keeps its times and "
        "sources (CONFLICT): only its summary changes."
    ))
    async def update_maintenance_window(
        self, info: Info, id: strawberry.ID, summary: str | None = None, start: datetime | None = None,
        end: datetime | None = None, source_ids: list[strawberry.ID] | None = None,
    ) -> MaintenanceWindow:
        require_viewer(viewer_of(info))
        row = await models.MaintenanceWindow.get_or_none(id=parse_id(id, "maintenance window id"))
        if row is None:
            raise not_found("Maintenance window")
        # Whoever manages every source it holds back, before and after the change.
        for source_id in [*await row.sources.all().values_list("id", flat=True), *(source_ids or [])]:
            await _source(info, strawberry.ID(str(source_id)), manage=True)
        with engine_errors():
            row = await source_settings.update_maintenance_window(
                row.id, now(), summary=summary, start=start, end=end,
                source_ids=parse_ids(source_ids, "alert source id") if source_ids is not None else None,
            )
        return await window_of(row)

    @strawberry.mutation(description="Ends the window now.")
    async def end_maintenance_window(self, info: Info, id: strawberry.ID) -> MaintenanceWindow:
        require_viewer(viewer_of(info))
        row = await models.MaintenanceWindow.get_or_none(id=parse_id(id, "maintenance window id"))
        if row is None:
            raise not_found("Maintenance window")
        for source_id in await row.sources.all().values_list("id", flat=True):
            await _source(info, strawberry.ID(str(source_id)), manage=True)
        with engine_errors():
            row = await source_settings.end_maintenance_window(row.id, now())
        return await window_of(row)

    @strawberry.mutation(description="Cancel a window that has not started or remove an ended one; a running one is refused (CONFLICT): end it.")
    async def delete_maintenance_window(self, info: Info, id: strawberry.ID) -> bool:
        return await _deleted(info, lambda viewer: source_settings.delete_maintenance_window(viewer, parse_id(id, "maintenance window id"), now()))

    @strawberry.mutation(description="The answer's key and url are the only time the key can be read.")
    async def create_heartbeat(self, info: Info, source_id: strawberry.ID, name: str, interval_sec: int) -> Heartbeat:
        _, row = await _source(info, source_id, manage=True)
        with engine_errors():
            heartbeat, key = await heartbeats.create_heartbeat(name, row.id, interval_sec)
        base = app_state(info).settings.public_url.rstrip("/")
        return Heartbeat.of(heartbeat, key, f"{base}/api/heartbeats/{key}")

    @strawberry.mutation(description=(
        "Rename a monitor or change its interval (30 s to 30 days); a new interval counts from the last ping. "
        "The key stays as it is."
    ))
    async def update_heartbeat(self, info: Info, id: strawberry.ID, name: str | None = None, interval_sec: int | None = None) -> Heartbeat:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            row = await heartbeats.update_heartbeat(viewer, parse_id(id, "heartbeat id"), name=name, interval_sec=interval_sec)
        return Heartbeat.of(row)

    @strawberry.mutation(description="An alert the monitor opened stays open; its timeline says the monitor was deleted.")
    async def delete_heartbeat(self, info: Info, id: strawberry.ID) -> bool:
        return await _deleted(info, lambda viewer: heartbeats.delete_heartbeat(viewer, parse_id(id, "heartbeat id"), now()))

    @strawberry.mutation(description="For a source (sourceId) or all sources of a team (teamId). The answer's secret signs its requests.")
    async def create_alert_action(
        self,
        info: Info,
        name: str,
        kind: AlertActionKind,
        url: str,
        triggers: list[AlertActionTrigger] | None = None,
        mode: AlertActionMode = AlertActionMode.AUTOMATIC,
        source_id: strawberry.ID | None = None,
        team_id: strawberry.ID | None = None,
    ) -> AlertAction:
        viewer = require_viewer(viewer_of(info))
        source = (await _source(info, source_id, manage=True))[1].id if source_id is not None else None
        team = optional_id(team_id, "team id")
        with engine_errors():
            if team is not None:
                require_manager(viewer, team, "alert actions")
            row, secret = await alert_actions.create_alert_action(
                name, models.AlertActionKind(kind.value), url, source_id=source, team_id=team,
                triggers=[t.value for t in triggers or []], mode=models.AlertActionMode(mode.value),
                signing_key=app_state(info).settings.signing_key(),
            )
        return AlertAction.of(row, secret)

    @strawberry.mutation(description="Change what is given; triggers are checked against the (new) mode. The signing secret stays.")
    async def update_alert_action(
        self, info: Info, id: strawberry.ID, name: str | None = None, url: str | None = None,
        triggers: list[AlertActionTrigger] | None = None, mode: AlertActionMode | None = None,
    ) -> AlertAction:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            row = await alert_actions.update_alert_action(
                viewer, parse_id(id, "alert action id"), name=name, url=url,
                triggers=[t.value for t in triggers] if triggers is not None else None,
                mode=models.AlertActionMode(mode.value) if mode is not None else None,
            )
        return AlertAction.of(row)

    @strawberry.mutation
    async def set_alert_action_enabled(self, info: Info, id: strawberry.ID, enabled: bool) -> AlertAction:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            row = await alert_actions.managed_action(viewer, parse_id(id, "alert action id"))
            row = await alert_actions.set_action_enabled(row.id, enabled)
        return AlertAction.of(row)

    @strawberry.mutation(description="Its unfinished deliveries are cancelled, each noted on its alert's timeline; delivered history stays there.")
    async def delete_alert_action(self, info: Info, id: strawberry.ID) -> bool:
        return await _deleted(info, lambda viewer: alert_actions.delete_alert_action(viewer, parse_id(id, "alert action id"), now()))

    @strawberry.mutation(description="Run a MANUAL action on an alert now (responders may too).")
    async def run_alert_action(self, info: Info, action_id: strawberry.ID, alert_id: strawberry.ID) -> AlertActionDelivery:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            delivery = await alert_actions.run_manual_action(
                parse_id(action_id, "alert action id"), parse_id(alert_id, "alert id"), viewer, now()
            )
        return AlertActionDelivery.of(delivery)
