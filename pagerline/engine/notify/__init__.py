"""Notifications before they leave: planning pages and update pushes into outbox rows, their
wording, a user's notification rules, muting, storm protection.

May import: ``core``."""
