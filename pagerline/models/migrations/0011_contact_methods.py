from tortoise import migrations
from tortoise.migrations import operations as ops
from pagerline.models.enums import Channel, ContactKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from pagerline.models.migration_ops import DropColumn, WidenChoices

from datetime import UTC, datetime

# Every verified phone number becomes an SMS and a VOICE contact method (the older flow verified
# one number for both), and every user's sign-in address an EMAIL one (pages went to it without
# a code before). A number still waiting for its code is not carried over: its code was made for
# the older flow; asking again sends a new one.
_CARRY_OVER = [
    "INSERT INTO contact_methods (user_id, kind, value, verified, verified_at, code_attempts, created_at) "
    "SELECT id, 'SMS', phone, TRUE, {at}, 0, {at} FROM users WHERE phone IS NOT NULL AND phone <> '' AND phone_verified ORDER BY id",
    "INSERT INTO contact_methods (user_id, kind, value, verified, verified_at, code_attempts, created_at) "
    "SELECT id, 'VOICE', phone, TRUE, {at}, 0, {at} FROM users WHERE phone IS NOT NULL AND phone <> '' AND phone_verified ORDER BY id",
    "INSERT INTO contact_methods (user_id, kind, value, verified, verified_at, code_attempts, created_at) "
    "SELECT id, 'EMAIL', LOWER(email), TRUE, {at}, 0, {at} FROM users ORDER BY id",
]


async def _carry_over(apps, schema_editor):
    client = schema_editor.client
    now = datetime.now(UTC)
    postgres = client.capabilities.dialect == "postgres"
    for statement in _CARRY_OVER:
        if postgres:
            await client.execute_query(statement.format(at="CAST($1 AS TIMESTAMPTZ)"), [now])
        else:
            # Written as Tortoise writes an aware datetime on SQLite.
            await client.execute_query(statement.format(at="?1"), [now.isoformat(sep=" ")])


async def _nothing(apps, schema_editor):
    return None


class Migration(migrations.Migration):
    dependencies = [('models', '0010_web_push')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ContactMethod',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='contact_methods', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='SMS: SMS\nVOICE: VOICE\nEMAIL: EMAIL\nNTFY: NTFY\nPUSHOVER: PUSHOVER\nTELEGRAM: TELEGRAM', enum_type=ContactKind, max_length=8)),
                ('value', fields.CharField(default='', max_length=254)),
                ('verified', fields.BooleanField(default=False)),
                ('verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('code_hash', fields.CharField(null=True, db_index=True, max_length=64)),
                ('code_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('code_attempts', fields.SmallIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'contact_methods', 'app': 'models', 'indexes': [Index(fields=['user_id', 'kind', 'verified'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        WidenChoices(
            model_name='Notification',
            name='channel',
            field=fields.CharEnumField(description='PUSH: PUSH\nSMS: SMS\nVOICE: VOICE\nEMAIL: EMAIL\nNTFY: NTFY\nPUSHOVER: PUSHOVER\nTELEGRAM: TELEGRAM', enum_type=Channel, max_length=8),
        ),
        WidenChoices(
            model_name='NotificationRule',
            name='method',
            field=fields.CharEnumField(description='PUSH: PUSH\nSMS: SMS\nVOICE: VOICE\nEMAIL: EMAIL\nNTFY: NTFY\nPUSHOVER: PUSHOVER\nTELEGRAM: TELEGRAM', enum_type=Channel, max_length=8),
        ),
        ops.RunPython(_carry_over, _nothing),
        DropColumn(model_name='User', name='phone'),
        DropColumn(model_name='User', name='phone_code_attempts'),
        DropColumn(model_name='User', name='phone_code_expires_at'),
        DropColumn(model_name='User', name='phone_code_hash'),
        DropColumn(model_name='User', name='phone_pending'),
        DropColumn(model_name='User', name='phone_verified'),
    ]
