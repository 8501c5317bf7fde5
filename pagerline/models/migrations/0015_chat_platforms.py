from tortoise import migrations
from tortoise.migrations import operations as ops
from pagerline.models.enums import ChatPlatform
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0014_chat_channels')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='ChatChannel',
            name='platform',
            field=fields.CharEnumField(description='SLACK: SLACK\nMATTERMOST: MATTERMOST\nTEAMS: TEAMS', enum_type=ChatPlatform, max_length=10),
        ),
    ]
