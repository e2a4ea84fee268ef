"""otp_chan_queued keyed by id: a delivery's claim planned on it scanned every queued row.

On PostgreSQL the new index is built CONCURRENTLY under a temporary name, the old one dropped
CONCURRENTLY and the new one renamed, so sends, verifies and deliveries go on reading and writing
channel rows during the build (a plain DROP and CREATE in one transaction would hold the table's
ACCESS EXCLUSIVE lock for the whole build). Hence not atomic: a build interrupted halfway leaves an
invalid `otp_chan_queued_id`, which the next run drops first. Elsewhere (SQLite) plain DDL.
"""
from django.db import migrations, models

QUEUED = models.Q(("delivery_status", "QUEUED"))
BY_SESSION = models.Index(condition=QUEUED, fields=["session"], name="otp_chan_queued")
BY_ID = models.Index(condition=QUEUED, fields=["id"], name="otp_chan_queued")
BUILDING = "otp_chan_queued_id"


def _swap(apps, schema_editor, *, old: models.Index, new: models.Index) -> None:
    model = apps.get_model("otp", "ChannelVerification")
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.remove_index(model, old)
        schema_editor.add_index(model, new)
        return
    building = models.Index(condition=new.condition, fields=new.fields, name=BUILDING)
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(BUILDING)}")
    schema_editor.add_index(model, building, concurrently=True)
    schema_editor.remove_index(model, old, concurrently=True)
    schema_editor.rename_index(model, building, new)


def forwards(apps, schema_editor):
    _swap(apps, schema_editor, old=BY_SESSION, new=BY_ID)


def backwards(apps, schema_editor):
    _swap(apps, schema_editor, old=BY_ID, new=BY_SESSION)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("otp", "0008_fallback_delivery"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.RemoveIndex(model_name="channelverification", name="otp_chan_queued"),
                migrations.AddIndex(model_name="channelverification", index=BY_ID),
            ],
        ),
    ]
