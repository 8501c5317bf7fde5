"""Alerts over GraphQL: the ``Alert`` type with its connection and cursors, its timeline (always a
bounded page), and what its detail view shows (responders, notifications, links, images, labels).

May import: ``core``, ``people``, ``schedules``, ``sources``."""
