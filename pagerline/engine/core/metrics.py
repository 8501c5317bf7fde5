"""Process-local Prometheus metrics the engine records. Figures that must cover every process
(open alerts, notifications waiting, recent outcomes) are read from the database at scrape time
instead, through indexes on open work: see :mod:`pagerline.api.health`."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

EVENTS_RECEIVED = Counter(
    "pagerline_events_received_total", "Events accepted by the intake, by integration and event type",
    ["integration", "event_type"],
)
EVENTS_REJECTED = Counter("pagerline_events_rejected_total", "Events refused with a 4xx or 503", ["code"])
ALERTS_OPENED = Counter("pagerline_alerts_opened_total", "Alerts opened by this process", ["priority"])
ALERTS_RESOLVED = Counter("pagerline_alerts_resolved_total", "Alerts resolved by this process")
NOTIFICATIONS_DELIVERED = Counter(
    "pagerline_notification_deliveries_total", "Delivery attempts by this process, by channel and outcome",
    ["channel", "outcome"],
)
ESCALATION_LAG = Histogram(
    "pagerline_escalation_lag_seconds",
    "How late an escalation step ran after its due time",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
DISPATCH_LAG = Histogram(
    "pagerline_notification_dispatch_lag_seconds",
    "Due time to hand-over to the transport",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 60),
)
