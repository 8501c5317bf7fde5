from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from pagerline.models.enums import ActionDeliveryStatus, AlertActionKind, AlertActionMode, AlertCreation, DropReason, HeartbeatState, PriorityRule
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_device_tokens')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AlertAction',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('source', fields.ForeignKeyField('models.AlertSource', source_field='source_id', null=True, db_constraint=True, to_field='id', related_name='alert_actions', on_delete=OnDelete.CASCADE)),
                ('team', fields.ForeignKeyField('models.Team', source_field='team_id', null=True, db_constraint=True, to_field='id', related_name='alert_actions', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='WEBHOOK: WEBHOOK\nSLACK: SLACK', enum_type=AlertActionKind, max_length=7)),
                ('url', fields.CharField(max_length=2000)),
                ('triggers', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('mode', fields.CharEnumField(default=AlertActionMode.AUTOMATIC, description='AUTOMATIC: AUTOMATIC\nMANUAL: MANUAL', enum_type=AlertActionMode, max_length=9)),
                ('enabled', fields.BooleanField(default=True)),
                ('secret_version', fields.SmallIntField(default=1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'alert_actions', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An outbound call on alert changes, for the alerts of one source or of a whole team.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AlertActionDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('action', fields.ForeignKeyField('models.AlertAction', source_field='action_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('alert', fields.ForeignKeyField('models.Alert', source_field='alert_id', db_constraint=True, to_field='id', related_name='action_deliveries', on_delete=OnDelete.CASCADE)),
                ('trigger', fields.CharField(max_length=40)),
                ('dedup_key', fields.CharField(unique=True, max_length=200)),
                ('status', fields.CharEnumField(default=ActionDeliveryStatus.PENDING, description='PENDING: PENDING\nSENDING: SENDING\nDELIVERED: DELIVERED\nFAILED: FAILED', enum_type=ActionDeliveryStatus, max_length=9)),
                ('attempts', fields.SmallIntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claimed_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('status_code', fields.SmallIntField(null=True)),
                ('latency_ms', fields.IntField(null=True)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('requested_by', fields.ForeignKeyField('models.User', source_field='requested_by_id', null=True, db_constraint=True, to_field='id', related_name='alert_action_runs', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'alert_action_deliveries', 'app': 'models', 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'One call of one action for one alert change: an outbox row.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DeploymentEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('source', fields.ForeignKeyField('models.AlertSource', source_field='source_id', db_constraint=True, to_field='id', related_name='deployment_events', on_delete=OnDelete.CASCADE)),
                ('team', fields.ForeignKeyField('models.Team', source_field='team_id', null=True, db_constraint=True, to_field='id', related_name='deployment_events', on_delete=OnDelete.SET_NULL)),
                ('summary', fields.CharField(max_length=500)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('user_email', fields.CharField(null=True, max_length=254)),
                ('custom_details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('links', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'deployment_events', 'app': 'models', 'indexes': [Index(fields=['team_id', 'at']), Index(fields=['source_id', 'at'])], 'pk_attr': 'id', 'table_description': 'A deployment reported by a pipeline, shown on the alerts of its team that follow it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Heartbeat',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('source', fields.ForeignKeyField('models.AlertSource', source_field='source_id', db_constraint=True, to_field='id', related_name='heartbeats', on_delete=OnDelete.CASCADE)),
                ('key_hash', fields.CharField(unique=True, max_length=64)),
                ('key_prefix', fields.CharField(max_length=12)),
                ('interval_sec', fields.IntField()),
                ('state', fields.CharEnumField(default=HeartbeatState.UNKNOWN, description='UNKNOWN: UNKNOWN\nHEALTHY: HEALTHY\nOVERDUE: OVERDUE', enum_type=HeartbeatState, max_length=7)),
                ('last_ping_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('due_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('alert', fields.ForeignKeyField('models.Alert', source_field='alert_id', null=True, db_constraint=True, to_field='id', related_name='heartbeats', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'heartbeats', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A monitor that expects a ping every interval_sec and opens an alert on its source'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MaintenanceWindow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('summary', fields.CharField(max_length=500)),
                ('start', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('end', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('sources', fields.ManyToManyField('models.AlertSource', unique=True, db_constraint=True, through='maintenance_window_sources', forward_key='alertsource_id', backward_key='maintenance_windows_id', related_name='maintenance_windows', on_delete=OnDelete.CASCADE)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='maintenance_windows', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'maintenance_windows', 'app': 'models', 'pk_attr': 'id', 'table_description': 'While a window is on, events of its sources create no alert and page no one.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DroppedEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('source', fields.ForeignKeyField('models.AlertSource', source_field='source_id', db_constraint=True, to_field='id', related_name='dropped_events', on_delete=OnDelete.CASCADE)),
                ('reason', fields.CharEnumField(description='FILTERED: FILTERED\nMAINTENANCE: MAINTENANCE', enum_type=DropReason, max_length=11)),
                ('maintenance_window', fields.ForeignKeyField('models.MaintenanceWindow', source_field='maintenance_window_id', null=True, db_constraint=True, to_field='id', related_name='dropped_events', on_delete=OnDelete.SET_NULL)),
                ('event_type', fields.CharField(max_length=20)),
                ('summary', fields.CharField(default='', max_length=500)),
                ('alert_key', fields.CharField(null=True, max_length=255)),
                ('event', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'dropped_events', 'app': 'models', 'indexes': [Index(fields=['source_id', 'at'])], 'pk_attr': 'id', 'table_description': 'An event that created no alert, and why. Insert-only, so a storm of dropped events'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SupportHours',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('timezone', fields.CharField(max_length=64)),
                ('weekly', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('exceptions', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('team', fields.ForeignKeyField('models.Team', source_field='team_id', null=True, db_constraint=True, to_field='id', related_name='support_hours', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'support_hours', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Weekly support hours in a time zone, with exceptions, shared by any number of sources.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='AlertSource',
            name='alert_creation',
            field=fields.CharEnumField(default=AlertCreation.ONE_ALERT_PER_KEY, description='ONE_ALERT_PER_KEY: ONE_ALERT_PER_KEY\nONE_PENDING_ALERT: ONE_PENDING_ALERT\nONE_OPEN_ALERT: ONE_OPEN_ALERT\nONE_ALERT_GROUPED_PER_WINDOW: ONE_ALERT_GROUPED_PER_WINDOW', enum_type=AlertCreation, max_length=28),
        ),
        ops.AddField(
            model_name='AlertSource',
            name='alert_grouping_window_sec',
            field=fields.IntField(default=300),
        ),
        ops.AddField(
            model_name='AlertSource',
            name='auto_raise_alerts',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='AlertSource',
            name='auto_resolution_timeout_sec',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='AlertSource',
            name='event_filter',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='AlertSource',
            name='priority_rule',
            field=fields.CharEnumField(null=True, description='HIGH: HIGH\nLOW: LOW\nHIGH_DURING_SUPPORT_HOURS: HIGH_DURING_SUPPORT_HOURS\nLOW_DURING_SUPPORT_HOURS: LOW_DURING_SUPPORT_HOURS', enum_type=PriorityRule, max_length=25),
        ),
        ops.AddField(
            model_name='AlertSource',
            name='support_hours',
            field=fields.ForeignKeyField('models.SupportHours', source_field='support_hours_id', null=True, db_constraint=True, to_field='id', related_name='sources', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='AlertSource',
            name='templates',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
