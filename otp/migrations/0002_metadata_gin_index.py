"""GIN index on session metadata for the sessions list's metadata.KEY filter (PostgreSQL only)."""
from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS otp_sess_metadata_gin ON otp_otpsession "
            "USING gin (metadata jsonb_path_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS otp_sess_metadata_gin")


class Migration(migrations.Migration):
    dependencies = [("otp", "0001_initial")]
    operations = [migrations.RunPython(create_index, drop_index)]
