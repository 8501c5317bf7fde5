"""Schedules: the pure schedule math (``math`` and its helpers, plain data, no database), who is on
call, on-call change pushes, coverage requests, reminders, calendar feeds, editing schedules and
overrides.

May import: ``core``, ``notify``, ``people``."""
