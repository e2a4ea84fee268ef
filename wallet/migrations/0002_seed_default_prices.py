"""Seed the global default prices (in 1/10,000 units): email 0.0015, sms 0.0150, whatsapp 0.0100."""
from django.db import migrations

# Frozen here on purpose: a migration must not change meaning when application code does.
DEFAULT_PRICES = {"email": 15, "sms": 150, "whatsapp": 100}


def seed(apps, schema_editor):
    Price = apps.get_model("wallet", "Price")
    for channel, amount in DEFAULT_PRICES.items():
        if not Price.objects.filter(account__isnull=True, channel=channel).exists():
            Price.objects.create(account=None, channel=channel, amount=amount)


def unseed(apps, schema_editor):
    Price = apps.get_model("wallet", "Price")
    Price.objects.filter(account__isnull=True, channel__in=list(DEFAULT_PRICES)).delete()


class Migration(migrations.Migration):
    dependencies = [("wallet", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
