"""Saving source policies, support hours and maintenance windows: validate, then store.

Everything is checked before anything is written, so bad input changes nothing; errors say
which setting is wrong (and, for templates, the line and column). Saving clears this process's
policy cache so the next event sees the change.

Deleting: support hours only while no source uses them (a source whose priority follows them
would silently lose its rule), maintenance windows only before they start or after they end
(a running one is ended, which keeps the record of when it was on).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from pagerline.engine.core.config_changes import ConfigAction, ConfigKind, config_changed
from pagerline.engine.people.accounts import Viewer
from pagerline.engine.core.errors import BadInput, Conflict, NotFound
from pagerline.engine.sources.event_filter import FilterError, compile_filter
from pagerline.engine.people.roles import may_see, require_manager
from pagerline.engine.sources.intake_settings import IntakeSettingsError, compile_intake_settings
from pagerline.engine.sources.policy import clear_policy_cache
from pagerline.engine.sources.lookup import clear_cache as clear_source_cache
from pagerline.engine.sources.support_hours import SupportHoursError, parse_support_hours, uses_support_hours
from pagerline.engine.core.unset import UNSET, Unset
from pagerline.engine.sources.webhook_templates import TemplateFieldError, compile_webhook_templates
from pagerline.models import AlertCreation, AlertSource, MaintenanceWindow, Priority, PriorityRule, SupportHours

GROUPING_WINDOW_RANGE = (120, 86_400)  # 2 minutes to 24 hours, as ilert
AUTO_RESOLUTION_RANGE = (60, 30 * 86_400)
MAX_MAINTENANCE = timedelta(days=366)


class TemplateInvalid(BadInput):
    """A template that does not compile: the GraphQL layer shows the field, line and column."""

    def __init__(self, error: TemplateFieldError) -> None:
        super().__init__(str(error))
        self.field = error.field
        self.line = error.line
        self.column = error.column


@dataclass(frozen=True, slots=True)
class PolicyChanges:
    """Settings to change: UNSET leaves one as it is (None is a value: it turns a setting off)."""

    alert_creation: AlertCreation | Unset = UNSET
    alert_grouping_window_sec: int | Unset = UNSET
    auto_resolution_timeout_sec: int | None | Unset = UNSET
    priority_rule: PriorityRule | Unset = UNSET
    support_hours_id: int | None | Unset = UNSET
    auto_raise_alerts: bool | Unset = UNSET
    event_filter: Any = UNSET  # JSON condition, or None for none
    templates: Any = UNSET  # JSON templates, or None for the defaults
    intake_settings: Any = UNSET  # JSON (pagerline.engine.sources.intake_settings), or None for the defaults


def _in_range(value: int, bounds: tuple[int, int], name: str) -> int:
    low, high = bounds
    if not isinstance(value, int) or not low <= value <= high:
        raise BadInput(f"{name} must be between {low} and {high} seconds", field=name)
    return value


def check_filter(raw: Any) -> Any:
    if raw is not None:
        try:
            compile_filter(raw)
        except FilterError as exc:
            # The field names where in the filter: "eventFilter.and[1].op" for the path "$.and[1].op".
            raise BadInput(f"eventFilter {exc}", field="eventFilter" + exc.path.removeprefix("$")) from None
    return raw


def check_templates(raw: Any) -> Any:
    if raw is not None:
        try:
            compile_webhook_templates(raw)
        except TemplateFieldError as exc:
            raise TemplateInvalid(exc) from None
    return raw


def check_intake_settings(raw: Any) -> Any:
    try:
        compile_intake_settings(raw)
    except IntakeSettingsError as exc:
        raise BadInput(f"{exc.field} {exc.message}", field=exc.field) from None
    return raw


async def update_source_policy(source_id: int, changes: PolicyChanges) -> AlertSource:
    """Apply the changes that are not UNSET, all or nothing."""
    async with in_transaction():
        source = await AlertSource.filter(id=source_id).select_for_update().first()
        if source is None:
            raise NotFound(f"Alert source {source_id} not found")
        updates: dict[str, Any] = {}
        if changes.alert_creation is not UNSET:
            updates["alert_creation"] = AlertCreation(changes.alert_creation)
        if changes.alert_grouping_window_sec is not UNSET:
            updates["alert_grouping_window_sec"] = _in_range(changes.alert_grouping_window_sec, GROUPING_WINDOW_RANGE, "alertGroupingWindowSec")
        if changes.auto_resolution_timeout_sec is not UNSET:
            timeout = changes.auto_resolution_timeout_sec
            updates["auto_resolution_timeout_sec"] = None if timeout is None else _in_range(timeout, AUTO_RESOLUTION_RANGE, "autoResolutionTimeoutSec")
        if changes.support_hours_id is not UNSET:
            # Locked, so a delete of the same support hours waits and then sees this source.
            wanted = changes.support_hours_id
            if wanted is not None and await SupportHours.filter(id=wanted).select_for_update().first() is None:
                raise BadInput(f"Support hours {wanted} not found", field="supportHoursId")
            updates["support_hours_id"] = changes.support_hours_id
        if changes.priority_rule is not UNSET:
            rule = PriorityRule(changes.priority_rule)
            # One truth: HIGH and LOW are the source's default priority (what the intake and
            # updateAlertSource already use); the column holds only the support-hours rules.
            updates["priority_rule"] = rule if uses_support_hours(rule) else None
            if not uses_support_hours(rule):
                updates["default_priority"] = Priority(rule.value)
        if changes.auto_raise_alerts is not UNSET:
            updates["auto_raise_alerts"] = bool(changes.auto_raise_alerts)
        if changes.event_filter is not UNSET:
            updates["event_filter"] = check_filter(changes.event_filter)
        if changes.templates is not UNSET:
            updates["templates"] = check_templates(changes.templates)
        if changes.intake_settings is not UNSET:
            updates["intake_settings"] = check_intake_settings(changes.intake_settings)
        rule = updates.get("priority_rule", source.priority_rule)
        hours = updates.get("support_hours_id", source.support_hours_id)  # type: ignore[attr-defined]
        if rule is not None and uses_support_hours(rule) and hours is None:
            raise BadInput(f"priorityRule {rule.value} needs support hours (supportHoursId)", field="priorityRule")
        if updates:
            await AlertSource.filter(id=source_id).update(**updates)
    clear_policy_cache()
    clear_source_cache()  # default_priority may have changed
    await config_changed(ConfigKind.SOURCE, source_id, ConfigAction.UPDATED)
    return await AlertSource.get(id=source_id)


def _check_support_hours(timezone: str, weekly: Any, exceptions: Any) -> None:
    try:
        parse_support_hours(timezone, weekly, exceptions)
    except SupportHoursError as exc:
        raise BadInput(f"support hours {exc}", field=exc.path) from None


async def create_support_hours(
    name: str, timezone: str, weekly: Any, exceptions: Any = None, team_id: int | None = None
) -> SupportHours:
    _check_support_hours(timezone, weekly, exceptions)
    hours = await SupportHours.create(
        name=_support_hours_name(name), timezone=timezone, weekly=weekly or [], exceptions=exceptions or [], team_id=team_id
    )
    await config_changed(ConfigKind.SUPPORT_HOURS, hours.id, ConfigAction.CREATED)
    return hours


def _support_hours_name(name: str) -> str:
    if not name.strip():
        raise BadInput("Support hours need a name", field="name")
    return name.strip()[:200]


async def update_support_hours(
    hours_id: int, timezone: str, weekly: Any, exceptions: Any = None, name: str | None = None
) -> SupportHours:
    """Replace the hours' zone, weekly windows and exceptions; rename them when ``name`` is given."""
    _check_support_hours(timezone, weekly, exceptions)
    renamed = {"name": _support_hours_name(name)} if name is not None else {}
    updated = await SupportHours.filter(id=hours_id).update(timezone=timezone, weekly=weekly or [], exceptions=exceptions or [], **renamed)
    if not updated:
        raise NotFound(f"Support hours {hours_id} not found")
    clear_policy_cache()
    await config_changed(ConfigKind.SUPPORT_HOURS, hours_id, ConfigAction.UPDATED)
    return await SupportHours.get(id=hours_id)


def _users_named(viewer: Viewer, sources: list[tuple[str, int | None]]) -> str:
    """The sources the viewer may see by name; the others only counted."""
    names = [f"'{name}'" for name, team_id in sources if may_see(viewer, team_id)]
    hidden = len(sources) - len(names)
    return ", ".join(names + ([f"{hidden} you cannot see"] if hidden else []))


async def delete_support_hours(viewer: Viewer, hours_id: int) -> None:
    """Refused (Conflict, naming them) while alert sources use the support hours."""
    async with in_transaction():
        hours = await SupportHours.filter(id=hours_id).select_for_update().first()
        if hours is None or not may_see(viewer, hours.team_id):  # type: ignore[attr-defined]
            raise NotFound("Support hours not found")
        require_manager(viewer, hours.team_id, "support hours")  # type: ignore[attr-defined]
        users = await AlertSource.filter(support_hours_id=hours.id).order_by("name", "id").values_list("name", "team_id")
        if users:
            raise Conflict(f"Alert sources use these support hours: {_users_named(viewer, users)}; choose others for them first")
        await hours.delete()
    clear_policy_cache()
    await config_changed(ConfigKind.SUPPORT_HOURS, hours_id, ConfigAction.DELETED)


def _checked_summary(summary: str) -> str:
    if not summary.strip():
        raise BadInput("A maintenance window needs a summary", field="summary")
    return summary.strip()[:500]


def _check_window(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise BadInput("start and end need a time zone", field="start" if start.tzinfo is None else "end")
    if end <= start or end - start > MAX_MAINTENANCE:
        raise BadInput("end must be after start, at most 366 days later", field="end")


async def _window_sources(source_ids: list[int]) -> list[AlertSource]:
    wanted = sorted(set(source_ids))
    if not wanted:
        raise BadInput("A maintenance window needs at least one alert source", field="sourceIds")
    sources = await AlertSource.filter(id__in=wanted)
    if len(sources) != len(wanted):
        raise BadInput("Some alert sources do not exist", field="sourceIds")
    return list(sources)


async def create_maintenance_window(
    summary: str, start: datetime, end: datetime, source_ids: list[int], created_by: int | None = None
) -> MaintenanceWindow:
    _checked_summary(summary)
    _check_window(start, end)
    sources = await _window_sources(source_ids)
    async with in_transaction():
        window = await MaintenanceWindow.create(summary=_checked_summary(summary), start=start, end=end, created_by_id=created_by)
        await window.sources.add(*sources)
    clear_policy_cache()
    await config_changed(ConfigKind.MAINTENANCE, window.id, ConfigAction.CREATED)
    return window


async def update_maintenance_window(
    window_id: int,
    now: datetime,
    *,
    summary: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    source_ids: list[int] | None = None,
) -> MaintenanceWindow:
    """Change what is given, all or nothing. Who may is the caller's check (whoever manages
    every source before and after). A window that has ended keeps its times: it is the record
    of when events were held back; only its summary may change."""
    new_summary = _checked_summary(summary) if summary is not None else None
    sources = await _window_sources(source_ids) if source_ids is not None else None
    async with in_transaction():
        window = await MaintenanceWindow.filter(id=window_id).select_for_update().first()
        if window is None:
            raise NotFound(f"Maintenance window {window_id} not found")
        if window.end <= now and (start is not None or end is not None or sources is not None):
            raise Conflict("The maintenance window has ended; only its summary can change (create a new one)")
        new_start, new_end = start or window.start, end or window.end
        if start is not None or end is not None:
            _check_window(new_start, new_end)
        window.summary = new_summary or window.summary
        window.start, window.end = new_start, new_end
        await window.save(update_fields=["summary", "start", "end"])
        if sources is not None:
            await window.sources.clear()
            await window.sources.add(*sources)
    clear_policy_cache()
    await config_changed(ConfigKind.MAINTENANCE, window.id, ConfigAction.UPDATED)
    return window


async def end_maintenance_window(window_id: int, now: datetime) -> MaintenanceWindow:
    """Ends a window now (one that has not started yet is cut to nothing)."""
    window = await MaintenanceWindow.get_or_none(id=window_id)
    if window is None:
        raise NotFound(f"Maintenance window {window_id} not found")
    if window.end > now:
        window.end = max(now, window.start)
        await window.save(update_fields=["end"])
        await config_changed(ConfigKind.MAINTENANCE, window.id, ConfigAction.UPDATED)
    clear_policy_cache()
    return window


async def delete_maintenance_window(viewer: Viewer, window_id: int, now: datetime) -> None:
    """Cancel a window that has not started, or remove one that has ended; a running one is
    refused (end it). Who may: whoever manages every one of its sources (a window left with
    no source belongs to the organisation: admins)."""
    async with in_transaction():
        window = await MaintenanceWindow.filter(id=window_id).select_for_update().first()
        if window is None:
            raise NotFound("Maintenance window not found")
        team_ids = set(await window.sources.all().values_list("team_id", flat=True)) or {None}
        if not all(may_see(viewer, team_id) for team_id in team_ids):
            raise NotFound("Maintenance window not found")
        for team_id in team_ids:
            require_manager(viewer, team_id, "maintenance windows")
        if window.start <= now < window.end:
            raise Conflict("The maintenance window is on: end it (endMaintenanceWindow); only future or ended windows are deleted")
        await window.delete()
    clear_policy_cache()
    await config_changed(ConfigKind.MAINTENANCE, window_id, ConfigAction.DELETED)
