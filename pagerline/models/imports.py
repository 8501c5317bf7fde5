"""What the compatible intakes and the importers remember: Opsgenie's asynchronous requests and
the ids things had in the service they were imported from."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class IntakeRequest(Model):
    """One request to the Opsgenie-compatible Alert API, as ``GET /v2/alerts/requests/{id}``
    reports it. Opsgenie answers 202 with a request id and processes later; pagerline processes
    before answering, so the outcome is known when the id is handed out."""

    id = fields.CharField(max_length=36, primary_key=True)  # a UUID, as Opsgenie's request ids are
    source = fields.ForeignKeyField("models.AlertSource", related_name="intake_requests", on_delete=fields.CASCADE)
    action = fields.CharField(max_length=32)  # Opsgenie's words: Create, Acknowledge, Close, AddNote
    success = fields.BooleanField()
    status = fields.CharField(max_length=500)  # e.g. "Created alert", "Alert does not exist"
    # The alert it touched; kept when retention trims the alert (the request stays answerable).
    alert = fields.ForeignKeyField("models.Alert", related_name="intake_requests", null=True, on_delete=fields.SET_NULL)
    alias = fields.CharField(max_length=512, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "intake_requests"
        indexes = (("created_at",),)


class ImportedRef(Model):
    """pagerline's row for a thing imported from another service (``system``: "pagerduty" or
    "opsgenie"), so that importing again updates it instead of making a second one."""

    id = fields.IntField(primary_key=True)
    system = fields.CharField(max_length=20)
    kind = fields.CharField(max_length=30)  # user, team, schedule, layer, override, policy, service, integration
    external_id = fields.CharField(max_length=200)
    local_id = fields.IntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "imported_refs"
        unique_together = (("system", "kind", "external_id"),)
