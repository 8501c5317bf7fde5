"""Importers: bring users, teams, schedules, escalation policies and services over from PagerDuty
or Opsgenie (``pagerline import pagerduty|opsgenie``)."""
