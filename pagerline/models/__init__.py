"""Tortoise models, one module per domain. Data and constraints, little logic."""

from pagerline.models.accounts import ApiToken, Team, User
from pagerline.models.alerts import Alert, AlertLogEntry
from pagerline.models.coverage import CoverageRequest, CoverageStatus
from pagerline.models.devices import Device
from pagerline.models.enums import (
    AlertStatus,
    Channel,
    IntegrationType,
    NotificationKind,
    NotificationStatus,
    Platform,
    Priority,
    PushProvider,
    Role,
    ScheduleKind,
    TokenKind,
)
from pagerline.models.escalation import EscalationPolicy, EscalationRule
from pagerline.models.notifications import ActionToken, Notification, NotificationRule
from pagerline.models.schedules import Schedule, ScheduleLayer, ScheduleOverride, StaticShift
from pagerline.models.sources import AlertSource

MODEL_MODULES = [
    "pagerline.models.accounts",
    "pagerline.models.sources",
    "pagerline.models.escalation",
    "pagerline.models.schedules",
    "pagerline.models.alerts",
    "pagerline.models.notifications",
    "pagerline.models.devices",
    "pagerline.models.coverage",
    "pagerline.models.calendars",
    "pagerline.models.reminders",
]

__all__ = [
    "MODEL_MODULES",
    "ActionToken",
    "Alert",
    "AlertLogEntry",
    "AlertSource",
    "AlertStatus",
    "ApiToken",
    "Channel",
    "CoverageRequest",
    "CoverageStatus",
    "Device",
    "EscalationPolicy",
    "EscalationRule",
    "IntegrationType",
    "Notification",
    "NotificationKind",
    "NotificationRule",
    "NotificationStatus",
    "Platform",
    "Priority",
    "PushProvider",
    "Role",
    "Schedule",
    "ScheduleKind",
    "ScheduleLayer",
    "ScheduleOverride",
    "StaticShift",
    "Team",
    "TokenKind",
    "User",
]
