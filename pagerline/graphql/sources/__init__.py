"""Alert sources over GraphQL: sources and escalation policies (``routing``), managing them, and
source policies with their types (support hours, maintenance windows, heartbeats, deployments,
dropped events, alert actions).

May import: ``core``, ``people``, ``schedules``."""
