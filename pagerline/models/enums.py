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
    EMAIL = "EMAIL"  # mail to <integration key>@PAGERLINE_EMAIL_DOMAIN
    PAGERDUTY = "PAGERDUTY"  # PagerDuty Events API v2 (POST /v2/enqueue)
    OPSGENIE = "OPSGENIE"  # Opsgenie Alert API (POST /v2/alerts)


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
    NTFY = "NTFY"
    PUSHOVER = "PUSHOVER"
    TELEGRAM = "TELEGRAM"


class ContactKind(str, Enum):
    """A user's contact methods: every channel but push (devices register themselves). The
    values are the channels' values, so a rule of a method reaches the contact methods of that
    kind."""

    SMS = "SMS"
    VOICE = "VOICE"
    EMAIL = "EMAIL"
    NTFY = "NTFY"
    PUSHOVER = "PUSHOVER"
    TELEGRAM = "TELEGRAM"


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
    WEB = "WEB"  # a browser's Web Push subscription


class PushProvider(str, Enum):
    FCM = "FCM"
    APNS = "APNS"
    CONSOLE = "CONSOLE"  # demo devices: deliveries go to the console transport
    WEB_PUSH = "WEB_PUSH"  # RFC 8030 push service of a browser; token = the subscription endpoint


class ScheduleKind(str, Enum):
    STATIC = "STATIC"
    RECURRING = "RECURRING"


class AlertCreation(str, Enum):
    """How a source groups events into alerts (ilert's ``alertCreation``)."""

    ONE_ALERT_PER_KEY = "ONE_ALERT_PER_KEY"  # the default: events with the same alertKey share an alert
    ONE_PENDING_ALERT = "ONE_PENDING_ALERT"  # every event joins the pending alert, if there is one
    ONE_OPEN_ALERT = "ONE_OPEN_ALERT"  # every event joins the open (pending or accepted) alert
    ONE_ALERT_GROUPED_PER_WINDOW = "ONE_ALERT_GROUPED_PER_WINDOW"  # one alert per grouping window


class PriorityRule(str, Enum):
    """Where an alert's priority comes from (ilert's ``alertPriorityRule``)."""

    HIGH = "HIGH"
    LOW = "LOW"
    HIGH_DURING_SUPPORT_HOURS = "HIGH_DURING_SUPPORT_HOURS"
    LOW_DURING_SUPPORT_HOURS = "LOW_DURING_SUPPORT_HOURS"


class DropReason(str, Enum):
    FILTERED = "FILTERED"  # the source's event filter did not match
    MAINTENANCE = "MAINTENANCE"  # the source was in a maintenance window


class HeartbeatState(str, Enum):
    UNKNOWN = "UNKNOWN"  # no ping yet
    HEALTHY = "HEALTHY"
    OVERDUE = "OVERDUE"


class AlertActionKind(str, Enum):
    WEBHOOK = "WEBHOOK"
    SLACK = "SLACK"  # a Slack incoming-webhook URL


class ChatPlatform(str, Enum):
    SLACK = "SLACK"  # the Slack app: messages with buttons, edited in place
    MATTERMOST = "MATTERMOST"  # a bot account: messages with buttons, edited in place
    TEAMS = "TEAMS"  # a Workflows webhook: Adaptive Cards, posted again as the alert changes


class AlertActionMode(str, Enum):
    AUTOMATIC = "AUTOMATIC"  # runs on its triggers
    MANUAL = "MANUAL"  # runs when a user asks (runAlertAction)


class AlertActionTrigger(str, Enum):
    ALERT_CREATED = "ALERT_CREATED"
    ALERT_ACCEPTED = "ALERT_ACCEPTED"
    ALERT_RESOLVED = "ALERT_RESOLVED"
    ALERT_ESCALATED = "ALERT_ESCALATED"
    COMMENT_ADDED = "COMMENT_ADDED"
    MANUAL = "MANUAL"  # a user ran a MANUAL action


class ActionDeliveryStatus(str, Enum):
    PENDING = "PENDING"  # waiting for next_attempt_at
    SENDING = "SENDING"  # claimed by a worker until claimed_until
    DELIVERED = "DELIVERED"  # the receiver answered 2xx
    FAILED = "FAILED"  # gave up after the last attempt
