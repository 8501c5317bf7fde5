"""Alerts: transitions (open, accept, resolve, comment, escalate), the escalation engine, listing
and search, outbound alert actions (webhooks, Slack), managing escalation policies.

May import: ``core``, ``notify``, ``people``, ``schedules``."""
