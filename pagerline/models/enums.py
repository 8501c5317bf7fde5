"""Enumerations shared by the models, the engine and the GraphQL schema."""

from __future__ import annotations

from enum import Enum


class Role(str, Enum):
    ADMIN = "ADMIN"
    USER = "USER"
    RESPONDER = "RESPONDER"
    STAKEHOLDER = "STAKEHOLDER"


class TokenKind(str, Enum):
    SESSION = "SESSION"  # from `login`; expires
    API = "API"  # for scripts
    DEVICE = "DEVICE"  # long-lived, bound to a registered mobile device
    WIDGET = "WIDGET"  # read-only, widget feed only


class IntegrationType(str, Enum):
    API = "API"
    ALERTMANAGER = "ALERTMANAGER"
    GRAFANA = "GRAFANA"
    WEBHOOK = "WEBHOOK"
    HEARTBEAT = "HEARTBEAT"


class AlertStatus(str, Enum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    RESOLVED = "RESOLVED"


class Priority(str, Enum):
    HIGH = "HIGH"
    LOW = "LOW"


class Channel(str, Enum):
    PUSH = "PUSH"
    SMS = "SMS"
    VOICE = "VOICE"
    EMAIL = "EMAIL"


class NotificationKind(str, Enum):
    PAGE = "PAGE"  # an alert page from escalation
    UPDATE = "UPDATE"  # alert accepted / resolved / escalated
    INFO = "INFO"  # reminders, coverage requests, on-call changes


class NotificationStatus(str, Enum):
    PENDING = "PENDING"  # waiting for due_at
    SENDING = "SENDING"  # claimed by a worker until claimed_until
    SENT = "SENT"  # handed to the provider
    FAILED = "FAILED"  # permanent failure (reason in last_error)
    SKIPPED = "SKIPPED"  # no longer needed (responded first, alert closed, unreachable)
    SUPPRESSED = "SUPPRESSED"  # storm protection or mute


class Platform(str, Enum):
    IOS = "IOS"
    ANDROID = "ANDROID"


class PushProvider(str, Enum):
    FCM = "FCM"
    APNS = "APNS"
    CONSOLE = "CONSOLE"  # demo devices: deliveries go to the console transport


class ScheduleKind(str, Enum):
    STATIC = "STATIC"
    RECURRING = "RECURRING"
