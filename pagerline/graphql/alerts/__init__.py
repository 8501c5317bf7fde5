"""Alerts over GraphQL: the ``Alert`` type with its connection and cursors, and what its detail
view shows (responders, notifications, links, images, labels).

May import: ``core``, ``people``, ``schedules``, ``sources``."""
