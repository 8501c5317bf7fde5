from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_calendar_feeds')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ReminderSetting',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='reminder_setting', on_delete=OnDelete.CASCADE)),
                ('before_minutes', fields.SmallIntField()),
            ],
            options={'table': 'reminder_settings', 'app': 'models', 'pk_attr': 'id', 'table_description': "A user's on-call reminder, in minutes before a shift starts (0 is at the start)."},
            bases=['Model'],
        ),
    ]
