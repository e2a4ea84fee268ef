"""The ledger keeps a session's id as a plain UUID instead of a foreign key, with every value kept.

Housekeeping purges old sessions; with a foreign key (SET_NULL) that rewrote ledger rows and lost
the session id. The column stays `session_id` with the same values: only the constraint goes.
"""
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("wallet", "0002_seed_default_prices"),
    ]

    operations = [
        # In place: the FK's column already is `session_id`, typed like the session's UUID key,
        # so turning the field into a UUIDField on that column only drops the constraint.
        migrations.AlterField(
            model_name="ledgerentry",
            name="session",
            field=models.UUIDField(blank=True, db_column="session_id", db_index=True, null=True),
        ),
        migrations.RenameField(model_name="ledgerentry", old_name="session", new_name="session_id"),
        migrations.AlterField(
            model_name="ledgerentry",
            name="session_id",
            field=models.UUIDField(blank=True, db_index=True, null=True),
        ),
    ]
