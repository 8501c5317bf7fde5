"""The home-screen widget over GraphQL: the feed, widget tokens, on-call change events.

May import: ``core``, ``people``, ``schedules``, ``sources``, ``alerts``, ``notify``."""
