"""The day's spend kept on the wallet row (wallet.ledger.add_to_balance), filled from today's ledger
so a cap already partly used today still holds across the upgrade."""
from datetime import UTC, datetime

from django.db import migrations, models
from django.db.models import Sum


def spent_today_fill(apps, schema_editor):
    Wallet = apps.get_model("wallet", "Wallet")
    LedgerEntry = apps.get_model("wallet", "LedgerEntry")
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    charged = (
        LedgerEntry.objects.filter(kind="charge", created_at__gte=start)
        .values("wallet_id")
        .annotate(total=Sum("amount"))
    )
    for row in charged:
        Wallet.objects.filter(pk=row["wallet_id"]).update(spent_on=start.date(), spent_that_day=-row["total"])


class Migration(migrations.Migration):
    dependencies = [("wallet", "0004_ledger_created_index")]

    operations = [
        migrations.AddField(model_name="wallet", name="spent_on", field=models.DateField(blank=True, null=True)),
        migrations.AddField(
            model_name="wallet", name="spent_that_day", field=models.BigIntegerField(default=0, db_default=0)
        ),
        migrations.RunPython(spent_today_fill, migrations.RunPython.noop),
    ]
