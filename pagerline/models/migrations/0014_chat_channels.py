from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from pagerline.models.enums import ChatPlatform
from pagerline.models.indexes import WhereIndex
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0013_received_payloads')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ChatChannel',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('platform', fields.CharEnumField(description='SLACK: SLACK\nMATTERMOST: MATTERMOST\nTEAMS: TEAMS', enum_type=ChatPlatform, max_length=10)),
                ('target', fields.CharField(max_length=1000)),
                ('name', fields.CharField(max_length=200)),
                ('team', fields.ForeignKeyField('models.Team', source_field='team_id', null=True, db_constraint=True, to_field='id', related_name='chat_channels', on_delete=OnDelete.CASCADE)),
                ('source', fields.ForeignKeyField('models.AlertSource', source_field='source_id', null=True, db_constraint=True, to_field='id', related_name='chat_channels', on_delete=OnDelete.CASCADE)),
                ('dedicated_high', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'chat_channels', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Where the alerts of one source, or of every source of one team, are posted.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ChatPost',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.ForeignKeyField('models.ChatChannel', source_field='channel_id', db_constraint=True, to_field='id', related_name='posts', on_delete=OnDelete.CASCADE)),
                ('alert', fields.ForeignKeyField('models.Alert', source_field='alert_id', db_constraint=True, to_field='id', related_name='chat_posts', on_delete=OnDelete.CASCADE)),
                ('message_ref', fields.CharField(null=True, max_length=100)),
                ('incident_channel', fields.CharField(null=True, max_length=100)),
                ('invited_user_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('shown_updated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('shown_entry_id', fields.BigIntField(default=0)),
                ('settled', fields.BooleanField(default=False)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claimed_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('attempts', fields.SmallIntField(default=0)),
                ('last_error', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'chat_posts', 'app': 'models', 'unique_together': (('channel_id', 'alert_id'),), 'indexes': [Index(fields=['alert_id', 'id']), WhereIndex(fields=['next_attempt_at'], name='chat_posts_unsettled', where='settled = false')], 'pk_attr': 'id', 'table_description': "One alert's message in one chat channel: an outbox row that holds what the message shows."},
            bases=['Model'],
        ),
    ]
