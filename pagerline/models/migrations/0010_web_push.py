from tortoise import migrations
from tortoise.migrations import operations as ops
from pagerline.models.enums import Platform, PushProvider
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_retention_totals')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ServerKey',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=50)),
                ('value', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'server_keys', 'app': 'models', 'pk_attr': 'name', 'table_description': 'A key the server generated once for every process to share (the Web Push VAPID key'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Device',
            name='platform',
            field=fields.CharEnumField(description='IOS: IOS\nANDROID: ANDROID\nWEB: WEB', enum_type=Platform, max_length=7),
        ),
        ops.AlterField(
            model_name='Device',
            name='provider',
            field=fields.CharEnumField(description='FCM: FCM\nAPNS: APNS\nCONSOLE: CONSOLE\nWEB_PUSH: WEB_PUSH', enum_type=PushProvider, max_length=8),
        ),
        ops.AddField(
            model_name='Device',
            name='webpush_auth',
            field=fields.CharField(null=True, max_length=50),
        ),
        ops.AddField(
            model_name='Device',
            name='webpush_p256dh',
            field=fields.CharField(null=True, max_length=100),
        ),
    ]
