from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='BulkJob',
            index=Index(fields=['status', 'created_at']),
        ),
        ops.AddIndex(
            model_name='WebhookDelivery',
            index=Index(fields=['status', 'next_attempt_at']),
        ),
    ]
