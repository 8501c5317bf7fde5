"""Applying what a reader read: plan, then run the plan's steps, all in one transaction.

One transaction makes an import all or nothing: a refusal of any engine check (or a crash)
leaves pagerline as it was, and running again starts from the same state. A dry run is the
same code with the transaction rolled back at the end: it plans from the same rows, runs the
same engine calls (so a value the engine would refuse shows in the dry run too) and prints the
same report, but keeps nothing and shows no keys.

The engine functions open their own transactions inside this one (Tortoise turns those into
savepoints). They also announce their changes to the process's dispatcher when their savepoint
is released, before the outer commit: ``pagerline import`` runs without a dispatcher (as every
CLI command does), so nothing is announced early; servers pick the changes up from the
database (the sweeper sees on-call changes, the console refetches when it next loads).
"""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from pagerline.engine.people.accounts import Viewer
from pagerline.importers.model import ImportBundle
from pagerline.importers.plan import Plan, PlannedIntegration, make_plan
from pagerline.importers.report import (
    DRY_RUN_KEY,
    UNCHANGED_KEY,
    ImportedSchedule,
    ImportMapping,
    ImportReport,
    IntegrationRow,
)
from pagerline.importers.steps import Context
from pagerline.models import IntegrationType, Role, TokenKind, User


def importer_viewer() -> Viewer:
    """Who the engine sees making the changes: an administrator that exists only in this
    process. Whoever runs ``pagerline import`` holds the database's credentials, which is more
    than any admin account (``pagerline user create`` makes admins the same way)."""
    user = User(id=0, email="import@pagerline.invalid", name="pagerline import", role=Role.ADMIN)
    return Viewer(user=user, token_kind=TokenKind.API, token_id=0, team_ids=frozenset())


def new_address(integration_type: IntegrationType, key: str, public_url: str, email_domain: str | None) -> str:
    """Where senders of this kind send to pagerline, with the source's key."""
    base = public_url.rstrip("/")
    if integration_type is IntegrationType.PAGERDUTY:
        return f"{base}/v2/enqueue with routing_key {key}"
    if integration_type is IntegrationType.OPSGENIE:
        return f"API URL {base} with header Authorization: GenieKey {key}"
    if integration_type is IntegrationType.EMAIL:
        if email_domain:
            return f"{key}@{email_domain}"
        return f"{key}@<email domain> (pagerline's email intake is not configured yet: set its domain first)"
    if integration_type is IntegrationType.ALERTMANAGER:
        return f"{base}/api/events/alertmanager/{key}"
    if integration_type is IntegrationType.GRAFANA:
        return f"{base}/api/events/grafana/{key}"
    if integration_type is IntegrationType.WEBHOOK:
        return f"{base}/api/events/webhook/{key}"
    return f"POST {base}/api/events with integrationKey {key}"


class _RolledBack(Exception):
    """Ends a dry run's transaction (rolled back) once its steps have run."""


def _table(plan: Plan, keys: dict[str, str], dry_run: bool, public_url: str, email_domain: str | None) -> list[IntegrationRow]:
    def address(row: PlannedIntegration) -> str:
        if not row.created:
            return UNCHANGED_KEY
        if dry_run:
            return DRY_RUN_KEY
        return new_address(row.integration_type, keys[row.external_id], public_url, email_domain)

    return [
        IntegrationRow(row.service, row.integration, row.integration_type.value, row.old_address, address(row))
        for row in plan.integrations
    ]


async def apply_bundle(
    bundle: ImportBundle, *, dry_run: bool, now: datetime, public_url: str, email_domain: str | None
) -> ImportReport:
    """Import ``bundle`` (or, with ``dry_run``, say what importing it would do and keep
    nothing). Raises the engine's error if one of its checks refuses a step: nothing is kept."""
    try:
        async with in_transaction():
            plan = await make_plan(bundle, now)
            ctx = Context(bundle.system, now, importer_viewer(), dict(plan.known_ids))
            for step in plan.steps:
                await step.run(ctx)
            if dry_run:
                raise _RolledBack
    except _RolledBack:
        pass
    mapping = None
    if not dry_run:
        mapping = ImportMapping(
            system=bundle.system,
            schedules={
                external_id: ImportedSchedule(ctx.id(local), name, zone)
                for external_id, (local, name, zone) in plan.schedules.items()
            },
            users=dict(plan.users),
            emails=dict(plan.emails),
            missing_users=frozenset(plan.missing_users),
            inactive_users=frozenset(plan.inactive_users),
        )
    return ImportReport(
        system=bundle.system,
        dry_run=dry_run,
        created=plan.created,
        changed=plan.changed,
        unchanged=plan.unchanged,
        left_out=plan.left_out,
        integrations=_table(plan, ctx.keys, dry_run, public_url, email_domain),
        mapping=mapping,
    )
