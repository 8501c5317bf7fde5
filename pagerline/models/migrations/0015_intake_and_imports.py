from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from pagerline.models.enums import IntegrationType
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

from pagerline.models.migration_ops import WidenChoices

class Migration(migrations.Migration):
    dependencies = [('models', '0014_chat_channels')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ImportedRef',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('system', fields.CharField(max_length=20)),
                ('kind', fields.CharField(max_length=30)),
                ('external_id', fields.CharField(max_length=200)),
                ('local_id', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'imported_refs', 'app': 'models', 'unique_together': (('system', 'kind', 'external_id'),), 'pk_attr': 'id', 'table_description': 'pagerline\'s row for a thing imported from another service (``system``: "pagerduty" or'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IntakeRequest',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=36)),
                ('source', fields.ForeignKeyField('models.AlertSource', source_field='source_id', db_constraint=True, to_field='id', related_name='intake_requests', on_delete=OnDelete.CASCADE)),
                ('action', fields.CharField(max_length=32)),
                ('success', fields.BooleanField()),
                ('status', fields.CharField(max_length=500)),
                ('alert', fields.ForeignKeyField('models.Alert', source_field='alert_id', null=True, db_constraint=True, to_field='id', related_name='intake_requests', on_delete=OnDelete.SET_NULL)),
                ('alias', fields.CharField(null=True, max_length=512)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'intake_requests', 'app': 'models', 'indexes': [Index(fields=['created_at'])], 'pk_attr': 'id', 'table_description': 'One request to the Opsgenie-compatible Alert API, as ``GET /v2/alerts/requests/{id}``'},
            bases=['Model'],
        ),
        # Not ops.AlterField: on SQLite that rebuilds alert_sources, and dropping the old table
        # cascades to every alert, dropped event and chat channel of every source.
        WidenChoices(
            model_name='AlertSource',
            name='integration_type',
            field=fields.CharEnumField(default=IntegrationType.API, description='API: API\nALERTMANAGER: ALERTMANAGER\nGRAFANA: GRAFANA\nWEBHOOK: WEBHOOK\nHEARTBEAT: HEARTBEAT\nEMAIL: EMAIL\nPAGERDUTY: PAGERDUTY\nOPSGENIE: OPSGENIE', enum_type=IntegrationType, max_length=12),
        ),
        ops.AddField(
            model_name='AlertSource',
            name='intake_settings',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
