from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Workspace quotas count a rolling day; the columns say so (values are kept)."""

    dependencies = [('models', '0003_delivery_series')]

    initial = False

    operations = [
        ops.RenameField(model_name='Workspace', old_name='max_links', new_name='links_per_day'),
        ops.RenameField(model_name='Workspace', old_name='max_codes', new_name='codes_per_day'),
        ops.RenameField(
            model_name='Workspace', old_name='max_bulk_items_per_day', new_name='bulk_items_per_day'
        ),
        ops.RenameField(
            model_name='Workspace', old_name='rate_limit_per_minute', new_name='requests_per_minute'
        ),
    ]
