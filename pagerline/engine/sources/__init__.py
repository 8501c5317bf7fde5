"""Alert sources and the intake: looking a source up by key, the event type, intake, source
policies and their settings, event filters, webhook templates and their template language,
support hours, heartbeats, deployments, managing sources, and the policies' timed jobs.

May import: ``core``, ``notify``, ``people``, ``schedules``, ``alerts``, ``delivery``."""
