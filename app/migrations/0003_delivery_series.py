from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_indexes_for_sweeps')]

    initial = False

    operations = [
        ops.AddField(
            model_name='WebhookDelivery',
            name='series',
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
