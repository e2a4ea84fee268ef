from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("wallet", "0003_ledger_session_id_plain_uuid")]

    operations = [
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(fields=["created_at"], name="wallet_ledger_created"),
        ),
    ]
