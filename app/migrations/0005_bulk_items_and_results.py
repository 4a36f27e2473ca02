from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_workspace_limits_per_day')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BulkItem',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('job', fields.ForeignKeyField('models.BulkJob', source_field='job_id', db_constraint=True, to_field='id', related_name='item_rows', on_delete=OnDelete.CASCADE)),
                ('index', fields.IntField()),
                ('fields_', fields.JSONField(source_field='fields', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('code_id', fields.BigIntField(null=True)),
                ('errors', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'bulk_item', 'app': 'models', 'unique_together': (('job_id', 'index'),), 'pk_attr': 'id', 'table_description': 'One item of a job as it came, with its code once made or its errors if it cannot be.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ResultChunk',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(max_length=300)),
                ('no', fields.IntField()),
                ('data', fields.BinaryField()),
            ],
            options={'table': 'result_chunk', 'app': 'models', 'unique_together': (('key', 'no'),), 'pk_attr': 'id', 'table_description': 'A piece of a stored file: rows rather than one large value, so neither side ever holds'},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='BulkJob',
            options={'table': 'bulk_job', 'app': 'models', 'unique_together': (('workspace_id', 'idempotency_key'),), 'indexes': [Index(fields=['status', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A batch of codes created by the worker, its items in rows of their own (BulkItem).'},
        ),
        ops.AddField(
            model_name='BulkJob',
            name='result_expires_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='BulkJob',
            name='result_size',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='BulkJob',
            name='sheet',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.RemoveField(model_name='BulkJob', name='created_ids'),
        ops.RemoveField(model_name='BulkJob', name='items'),
    ]
