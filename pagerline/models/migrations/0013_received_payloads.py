from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0012_people_invitations')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ReceivedPayload',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('source', fields.ForeignKeyField('models.AlertSource', source_field='source_id', db_constraint=True, to_field='id', related_name='received_payloads', on_delete=OnDelete.CASCADE)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('payload', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'received_payloads', 'app': 'models', 'indexes': [Index(fields=['source_id', 'id'])], 'pk_attr': 'id', 'table_description': "A raw event body a source received, kept for the template editor's preview: at most a"},
            bases=['Model'],
        ),
    ]
