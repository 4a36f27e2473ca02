from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


async def _foreign_keys(on: bool, schema_editor) -> None:
    # SQLite alters a column by copying the table and dropping the old one; with foreign
    # keys on, that drop would cascade to every scan and code of every link. Off for the
    # copy (outside a transaction, where SQLite honours the pragma), on again after.
    if schema_editor.DIALECT == "sqlite":
        await schema_editor.client.execute_script(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


async def _foreign_keys_off(apps, schema_editor) -> None:
    await _foreign_keys(False, schema_editor)


async def _foreign_keys_on(apps, schema_editor) -> None:
    await _foreign_keys(True, schema_editor)
    if schema_editor.DIALECT == "sqlite":
        # The copy of the link table leaves out its (workspace_id, created_at) index.
        await schema_editor.client.execute_script(
            'CREATE INDEX IF NOT EXISTS "idx_link_workspa_f54ac2" '
            'ON "link" ("workspace_id", "created_at")'
        )


class Migration(migrations.Migration):
    dependencies = [('models', '0007_deliveries_are_due')]

    initial = False
    atomic = False  # see _foreign_keys

    operations = [
        ops.RunPython(_foreign_keys_off, _foreign_keys_on),
        ops.CreateModel(
            name='Domain',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='domains', on_delete=OnDelete.CASCADE)),
                ('hostname', fields.CharField(unique=True, max_length=260)),
                ('verified', fields.BooleanField(default=False)),
                ('verification_token', fields.CharField(unique=True, max_length=64)),
                ('not_found_redirect', fields.CharField(null=True, max_length=2048)),
                ('base_redirect', fields.CharField(null=True, max_length=2048)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'domain', 'app': 'models', 'pk_attr': 'id', 'table_description': "A workspace's own short domain (`https://go.acme.com/spring`): links on it are"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SlugClaim',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('host', fields.CharField(default='', max_length=260)),
                ('slug', fields.CharField(max_length=64)),
                ('link', fields.ForeignKeyField('models.Link', source_field='link_id', null=True, db_constraint=True, to_field='id', related_name='slug_claims', on_delete=OnDelete.SET_NULL)),
                ('workspace_id', fields.BigIntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('released_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'slug_claim', 'app': 'models', 'unique_together': (('host', 'slug'),), 'indexes': [Index(fields=['link_id'])], 'pk_attr': 'id', 'table_description': 'A slug a link has or had on a domain: it redirects to that link and nobody else may'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Link',
            name='slug',
            field=fields.CharField(max_length=64),
        ),
        ops.AddField(
            model_name='Link',
            name='domain',
            field=fields.ForeignKeyField('models.Domain', source_field='domain_id', null=True, db_constraint=True, to_field='id', related_name='links', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Link',
            name='variants',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddIndex(
            model_name='Link',
            index=Index(fields=['workspace_id', 'slug']),
        ),
        ops.AddField(
            model_name='Workspace',
            name='dead_link_fallback',
            field=fields.CharField(null=True, max_length=2048),
        ),
        # Every existing link claims its slug on the install's own domain.
        ops.RunSQL(
            "INSERT INTO slug_claim (host, slug, link_id, workspace_id, created_at) "
            "SELECT '', slug, id, workspace_id, created_at FROM link",
            reverse_sql="DELETE FROM slug_claim",
        ),
        ops.RunPython(_foreign_keys_on, _foreign_keys_off),
    ]
