from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# The backfill: the rollups of the scans stored before them, and the links' counters split
# into humans and bots. Written out here (not imported) so that this migration keeps doing
# what it did when the app's code moves on. Every scan stored so far was served.
_HOUR = {
    "postgres": "date_trunc('hour', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'",
    "sqlite": "strftime('%Y-%m-%d %H:00:00', occurred_at) || '+00:00'",
}
_DAY = {
    "postgres": "CAST(occurred_at AT TIME ZONE 'UTC' AS DATE)",
    "sqlite": "date(occurred_at)",
}
_DIMENSIONS = {
    "country": "country",
    "device": "device_type",
    "os": "os",
    "browser": "browser",
    "referrer": "referrer",
    "language": "language",
    "outcome": "outcome",
    "variant": "variant",
}


async def backfill(apps, schema_editor) -> None:
    db = schema_editor.client
    dialect = str(db.capabilities.dialect)
    hour, day = _HOUR[dialect], _DAY[dialect]
    served = "NOT is_bot AND outcome NOT IN ('fallback', 'gone')"
    await db.execute_query(
        "INSERT INTO link_hour (link_id, workspace_id, hour, source, scans, uniques, bots) "
        f"SELECT link_id, workspace_id, {hour}, source, "
        "SUM(CASE WHEN is_bot THEN 0 ELSE 1 END), SUM(first), "
        "SUM(CASE WHEN is_bot THEN 1 ELSE 0 END) FROM ("
        f"SELECT link_id, workspace_id, occurred_at, source, is_bot, CASE WHEN {served} AND "
        f"ROW_NUMBER() OVER (PARTITION BY link_id, visitor_hash, {day}, "
        f"CASE WHEN {served} THEN 1 ELSE 0 END ORDER BY occurred_at, id) = 1 "
        "THEN 1 ELSE 0 END AS first FROM scan) AS numbered "
        f"GROUP BY link_id, workspace_id, {hour}, source"
    )
    for dimension, column in _DIMENSIONS.items():
        skip = f"WHERE {column} IS NOT NULL " if dimension == "variant" else ""
        await db.execute_query(
            "INSERT INTO link_day "
            "(link_id, workspace_id, day, source, dimension, value, scans, bots) "
            f"SELECT link_id, workspace_id, {day}, source, '{dimension}', "
            f"COALESCE({column}, ''), SUM(CASE WHEN is_bot THEN 0 ELSE 1 END), "
            f"SUM(CASE WHEN is_bot THEN 1 ELSE 0 END) FROM scan {skip}"
            f"GROUP BY link_id, workspace_id, {day}, source, COALESCE({column}, '')"
        )
    await db.execute_query(
        "INSERT INTO workspace_hour (workspace_id, hour, source, scans, uniques, bots) "
        "SELECT workspace_id, hour, source, SUM(scans), SUM(uniques), SUM(bots) "
        "FROM link_hour GROUP BY workspace_id, hour, source"
    )
    await db.execute_query(
        "INSERT INTO workspace_day (workspace_id, day, source, dimension, value, scans, bots) "
        "SELECT workspace_id, day, source, dimension, value, SUM(scans), SUM(bots) "
        "FROM link_day GROUP BY workspace_id, day, source, dimension, value"
    )
    # scan_count counted bots too until now.
    await db.execute_query(
        "UPDATE link SET bot_scan_count = "
        "(SELECT COUNT(*) FROM scan WHERE scan.link_id = link.id AND scan.is_bot)"
    )
    await db.execute_query("UPDATE link SET scan_count = scan_count - bot_scan_count")


class Migration(migrations.Migration):
    dependencies = [('models', '0005_bulk_items_and_results')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LinkDay',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('link', fields.ForeignKeyField('models.Link', source_field='link_id', db_constraint=True, to_field='id', related_name='days', on_delete=OnDelete.CASCADE)),
                ('workspace_id', fields.BigIntField()),
                ('day', fields.DateField()),
                ('source', fields.CharField(max_length=4)),
                ('dimension', fields.CharField(max_length=10)),
                ('value', fields.CharField(max_length=255)),
                ('scans', fields.BigIntField(default=0)),
                ('bots', fields.BigIntField(default=0)),
            ],
            options={'table': 'link_day', 'app': 'models', 'unique_together': (('link_id', 'dimension', 'day', 'value', 'source'),), 'indexes': [Index(fields=['workspace_id', 'day'])], 'pk_attr': 'id', 'table_description': "A link's scans in one UTC day with one value of one dimension (country, os, …)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LinkHour',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('link', fields.ForeignKeyField('models.Link', source_field='link_id', db_constraint=True, to_field='id', related_name='hours', on_delete=OnDelete.CASCADE)),
                ('workspace_id', fields.BigIntField()),
                ('hour', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('source', fields.CharField(max_length=4)),
                ('scans', fields.BigIntField(default=0)),
                ('uniques', fields.BigIntField(default=0)),
                ('bots', fields.BigIntField(default=0)),
            ],
            options={'table': 'link_hour', 'app': 'models', 'unique_together': (('link_id', 'hour', 'source'),), 'indexes': [Index(fields=['workspace_id', 'hour'])], 'pk_attr': 'id', 'table_description': "A link's scans in one UTC hour, by source (QR/LINK)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WorkspaceDay',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace_id', fields.BigIntField()),
                ('day', fields.DateField()),
                ('source', fields.CharField(max_length=4)),
                ('dimension', fields.CharField(max_length=10)),
                ('value', fields.CharField(max_length=255)),
                ('scans', fields.BigIntField(default=0)),
                ('bots', fields.BigIntField(default=0)),
            ],
            options={'table': 'workspace_day', 'app': 'models', 'unique_together': (('workspace_id', 'dimension', 'day', 'value', 'source'),), 'pk_attr': 'id', 'table_description': "LinkDay summed over a workspace's links."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WorkspaceHour',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace_id', fields.BigIntField()),
                ('hour', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('source', fields.CharField(max_length=4)),
                ('scans', fields.BigIntField(default=0)),
                ('uniques', fields.BigIntField(default=0)),
                ('bots', fields.BigIntField(default=0)),
            ],
            options={'table': 'workspace_hour', 'app': 'models', 'unique_together': (('workspace_id', 'hour', 'source'),), 'pk_attr': 'id', 'table_description': "LinkHour summed over a workspace's links (a deleted link's history stays here)."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Link',
            name='bot_scan_count',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Scan',
            name='outcome',
            field=fields.CharField(default='destination', db_default='destination', max_length=16),
        ),
        ops.AddField(
            model_name='Scan',
            name='variant',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.RunPython(backfill),
    ]
