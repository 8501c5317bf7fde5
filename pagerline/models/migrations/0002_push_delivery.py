from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ActionToken',
            fields=[
                ('nonce', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('alert', fields.ForeignKeyField('models.Alert', source_field='alert_id', db_constraint=True, to_field='id', related_name='action_tokens', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='action_tokens', on_delete=OnDelete.CASCADE)),
                ('device', fields.ForeignKeyField('models.Device', source_field='device_id', null=True, db_constraint=True, to_field='id', related_name='action_tokens', on_delete=OnDelete.CASCADE)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'action_tokens', 'app': 'models', 'pk_attr': 'nonce', 'table_description': 'A single-use token carried by one page for lock-screen (or email) accept/resolve.'},
            bases=['Model'],
        ),
        ops.RemoveField(model_name='Alert', name='event_count'),
        ops.AddField(
            model_name='Notification',
            name='bundle_key',
            field=fields.CharField(null=True, db_index=True, max_length=100),
        ),
        ops.AddField(
            model_name='Notification',
            name='content_hash',
            field=fields.CharField(default='', max_length=64),
        ),
        ops.AddField(
            model_name='Notification',
            name='dispatched_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Notification',
            name='provider_ids',
            field=fields.CharField(default='', max_length=300),
        ),
        ops.AddIndex(
            model_name='Notification',
            index=Index(fields=['user_id', 'channel', 'dispatched_at']),
        ),
        ops.AddField(
            model_name='User',
            name='phone_code_attempts',
            field=fields.SmallIntField(default=0),
        ),
        ops.AddField(
            model_name='User',
            name='phone_code_expires_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='User',
            name='phone_code_hash',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='User',
            name='phone_pending',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddField(
            model_name='User',
            name='update_on_accepted',
            field=fields.BooleanField(default=True),
        ),
        ops.AddField(
            model_name='User',
            name='update_on_escalated',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='User',
            name='update_on_resolved',
            field=fields.BooleanField(default=True),
        ),
    ]
