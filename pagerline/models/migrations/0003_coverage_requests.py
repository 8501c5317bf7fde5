from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from pagerline.models.coverage import CoverageStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_push_delivery')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CoverageRequest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('requester', fields.ForeignKeyField('models.User', source_field='requester_id', db_constraint=True, to_field='id', related_name='coverage_requests', on_delete=OnDelete.CASCADE)),
                ('start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('end', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('message', fields.TextField(default='', unique=False)),
                ('status', fields.CharEnumField(default=CoverageStatus.PENDING, db_index=True, description='PENDING: PENDING\nACCEPTED: ACCEPTED\nDECLINED: DECLINED\nCANCELLED: CANCELLED\nEXPIRED: EXPIRED', enum_type=CoverageStatus, max_length=9)),
                ('schedule_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('recipient_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('declined_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('accepted_by', fields.ForeignKeyField('models.User', source_field='accepted_by_id', null=True, db_constraint=True, to_field='id', related_name='covered_requests', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'coverage_requests', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='ScheduleOverride',
            name='coverage_request',
            field=fields.ForeignKeyField('models.CoverageRequest', source_field='coverage_request_id', null=True, db_constraint=True, to_field='id', related_name='overrides', on_delete=OnDelete.SET_NULL),
        ),
    ]
