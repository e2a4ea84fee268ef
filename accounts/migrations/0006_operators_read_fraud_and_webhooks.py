"""Operators also read what came after the staff groups: the fraud guard's decisions, lists and
test recipients (never a test recipient's code: it is sealed and not shown), webhook endpoints,
events and deliveries (never a secret: admin shows none after creation), and contact tags.
Reading only; changing any of them stays with superusers."""
from django.contrib.auth.management import create_permissions
from django.db import migrations

READS = [
    ("otp", "frauddecision"),
    ("otp", "fraudlistentry"),
    ("otp", "testrecipient"),
    ("events", "webhookendpoint"),
    ("events", "event"),
    ("events", "webhookdelivery"),
    ("events", "deliveryattempt"),
    ("contacts", "contacttag"),
]


def _permissions(apps):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    return [
        Permission.objects.get(content_type__app_label=app_label, codename=f"view_{model}") for app_label, model in READS
    ]


def reads_grant(apps, schema_editor):
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name="operators")
    group.permissions.add(*_permissions(apps))


def reads_revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name="operators").first()
    if group is not None:
        group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_fraud_guard_policy"),
        ("otp", "0007_fraud_guard"),
        ("events", "0001_initial"),
        ("contacts", "0004_search_trigram_indexes"),
    ]

    operations = [migrations.RunPython(reads_grant, reads_revoke)]
