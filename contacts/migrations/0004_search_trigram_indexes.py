"""Trigram indexes for the contacts list's `search` (a case-insensitive substring of the names or
the email), PostgreSQL only: Django's icontains there is UPPER(col::text) LIKE UPPER('%…%')."""
from django.db import migrations

COLUMNS = ("first_name", "last_name", "email")


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS contact_search_{column}_trgm ON contacts_contact "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS contact_search_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0003_sendmator_fields")]
    operations = [migrations.RunPython(create_indexes, drop_indexes)]
