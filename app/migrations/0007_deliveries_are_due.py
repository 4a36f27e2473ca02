from tortoise import migrations
from tortoise.migrations import operations as ops

class Migration(migrations.Migration):
    dependencies = [('models', '0006_scan_rollups')]

    initial = False

    # The delivery loop makes the attempts of rows due at next_attempt_at; a first attempt
    # queued as a job before it has none: it is due since the row was made.
    operations = [
        ops.RunSQL(
            "UPDATE webhook_delivery SET next_attempt_at = created_at"
            " WHERE status = 'PENDING' AND next_attempt_at IS NULL",
            reverse_sql="SELECT 1",
        ),
    ]
