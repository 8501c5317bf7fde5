from tortoise import migrations
from tortoise.migrations import operations as ops
from pagerline.models.indexes import WhereIndex
from pagerline.models.migration_ops import IndexColumn
from tortoise import fields
from tortoise.indexes import Index

# Text search (``alerts(text:)``) matches ``UPPER(CAST(column AS VARCHAR)) LIKE UPPER('%word%')``,
# the SQL Tortoise writes for ``icontains``. pg_trgm's GIN indexes on exactly those expressions
# answer it from the index, with today's substring semantics. Tortoise cannot express an index
# with an operator class (nor does SQLite have GIN), so these are raw SQL, on PostgreSQL only;
# SQLite keeps scanning, which is fine for the embedded, single-team size it serves. pg_trgm is a
# trusted extension (PostgreSQL 13+): the database owner may create it without superuser rights.
TRIGRAM_INDEXES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    'CREATE INDEX IF NOT EXISTS "alerts_summary_trgm" ON "alerts" USING GIN ((UPPER(CAST("summary" AS VARCHAR))) gin_trgm_ops)',
    'CREATE INDEX IF NOT EXISTS "alerts_details_trgm" ON "alerts" USING GIN ((UPPER(CAST("details" AS VARCHAR))) gin_trgm_ops)',
]
DROP_TRIGRAM_INDEXES = ['DROP INDEX IF EXISTS "alerts_summary_trgm"', 'DROP INDEX IF EXISTS "alerts_details_trgm"']


def _on_postgres(statements):
    async def run(apps, schema_editor):
        if schema_editor.client.capabilities.dialect != "postgres":
            return
        for statement in statements:
            await schema_editor.client.execute_script(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [('models', '0007_source_policies')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='ActionToken',
            index=Index(fields=['alert_id']),
        ),
        # Not ops.AlterField: on SQLite that rebuilt alerts, and dropping the old table deleted
        # every alert's timeline, notifications and action tokens (tests/unit/test_sqlite_upgrades.py).
        IndexColumn(
            model_name='Alert',
            name='resolved_at',
            field=fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='Alert',
            index=WhereIndex(fields=['id', 'status'], name='alerts_open', where="status <> 'RESOLVED'"),
        ),
        ops.AddIndex(
            model_name='AlertActionDelivery',
            index=Index(fields=['alert_id', 'id']),
        ),
        ops.AddIndex(
            model_name='AlertActionDelivery',
            index=WhereIndex(fields=['next_attempt_at'], name='alert_action_deliveries_outbox', where="status IN ('PENDING', 'SENDING')"),
        ),
        ops.AddIndex(
            model_name='Notification',
            index=Index(fields=['alert_id', 'id']),
        ),
        ops.AddIndex(
            model_name='Notification',
            index=WhereIndex(fields=['due_at'], name='notifications_outbox', where="status IN ('PENDING', 'SENDING')"),
        ),
        ops.RunPython(_on_postgres(TRIGRAM_INDEXES), _on_postgres(DROP_TRIGRAM_INDEXES)),
    ]
