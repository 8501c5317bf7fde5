"""Tortoise models, one module per domain. Data and constraints, little logic."""

from pagerline.models.accounts import ApiToken, Invitation, Team, User
from pagerline.models.alert_actions import AlertAction, AlertActionDelivery
from pagerline.models.alerts import Alert, AlertLogEntry
from pagerline.models.chat import ChatChannel, ChatPost
from pagerline.models.contacts import ContactMethod
from pagerline.models.coverage import CoverageRequest, CoverageStatus
from pagerline.models.devices import Device, ServerKey
from pagerline.models.enums import (
    ActionDeliveryStatus,
    AlertActionKind,
    AlertActionMode,
    AlertActionTrigger,
    AlertCreation,
    AlertStatus,
    Channel,
    ChatPlatform,
    ContactKind,
    DropReason,
    HeartbeatState,
    IntegrationType,
    NotificationKind,
    NotificationStatus,
    Platform,
    Priority,
    PriorityRule,
    PushProvider,
    Role,
    ScheduleKind,
    TokenKind,
)
from pagerline.models.escalation import EscalationPolicy, EscalationRule
from pagerline.models.imports import ImportedRef, IntakeRequest
from pagerline.models.notifications import ActionToken, Notification, NotificationRule
from pagerline.models.monitoring import DeploymentEvent, Heartbeat, RetentionTotal
from pagerline.models.schedules import Schedule, ScheduleLayer, ScheduleOverride, StaticShift
from pagerline.models.source_policies import DroppedEvent, MaintenanceWindow, ReceivedPayload, SupportHours
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
    "pagerline.models.source_policies",
    "pagerline.models.monitoring",
    "pagerline.models.alert_actions",
    "pagerline.models.contacts",
    "pagerline.models.chat",
    "pagerline.models.imports",
]

__all__ = [
    "MODEL_MODULES",
    "ActionDeliveryStatus",
    "ActionToken",
    "Alert",
    "AlertAction",
    "AlertActionDelivery",
    "AlertActionKind",
    "AlertActionMode",
    "AlertActionTrigger",
    "AlertCreation",
    "AlertLogEntry",
    "AlertSource",
    "AlertStatus",
    "ApiToken",
    "ImportedRef",
    "IntakeRequest",
    "Channel",
    "ChatChannel",
    "ChatPlatform",
    "ChatPost",
    "ContactKind",
    "ContactMethod",
    "CoverageRequest",
    "CoverageStatus",
    "DeploymentEvent",
    "Device",
    "DropReason",
    "DroppedEvent",
    "ReceivedPayload",
    "EscalationPolicy",
    "EscalationRule",
    "Heartbeat",
    "HeartbeatState",
    "RetentionTotal",
    "IntegrationType",
    "Invitation",
    "MaintenanceWindow",
    "Notification",
    "NotificationKind",
    "NotificationRule",
    "NotificationStatus",
    "Platform",
    "Priority",
    "PriorityRule",
    "PushProvider",
    "Role",
    "Schedule",
    "ServerKey",
    "ScheduleKind",
    "ScheduleLayer",
    "ScheduleOverride",
    "StaticShift",
    "SupportHours",
    "Team",
    "TokenKind",
    "User",
]
