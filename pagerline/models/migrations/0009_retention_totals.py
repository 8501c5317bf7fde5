from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_history_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RetentionTotal',
            fields=[
                ('table_name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=63)),
                ('deleted_rows', fields.BigIntField(default=0)),
            ],
            options={'table': 'retention_totals', 'app': 'models', 'pk_attr': 'table_name', 'table_description': 'Rows the retention job has deleted from one table since the beginning, all processes.'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Heartbeat',
            name='alert',
            field=fields.ForeignKeyField('models.Alert', source_field='alert_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='heartbeats', on_delete=OnDelete.SET_NULL),
        ),
    ]
