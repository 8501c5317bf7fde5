"""Schedules over GraphQL: schedules, on-call, overrides, coverage requests and their
subscription.

May import: ``core``, ``people``."""
