"""Staff groups (docs/admin.md): `template editors` edit OTP templates only; `operators` read
sessions, deliveries, the outbox, wallets, the ledger, prices and contacts, and no API keys, no
top-ups (those need change permissions). Superusers have everything.

Re-running it sets each group's permissions to exactly these; other groups are left alone.
"""
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = {
    "template editors": [
        ("templates_app", "otptemplate", ("view", "add", "change", "delete")),
    ],
    "operators": [
        ("otp", "otpsession", ("view",)),
        ("otp", "channelverification", ("view",)),
        ("otp", "deliveryattempt", ("view",)),
        ("otp", "outboxmessage", ("view",)),
        ("wallet", "wallet", ("view",)),
        ("wallet", "ledgerentry", ("view",)),
        ("wallet", "price", ("view",)),
        ("contacts", "contact", ("view",)),
        ("accounts", "account", ("view",)),
        ("accounts", "abusepolicy", ("view",)),
    ],
}


def groups_create(apps, schema_editor):
    # Permissions are normally made after migrate (post_migrate); a fresh database has none yet.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        codenames = [
            (app_label, f"{action}_{model}") for app_label, model, actions in grants for action in actions
        ]
        permissions = [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in codenames
        ]
        group.permissions.set(permissions)


def groups_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_account_message_settings"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        # The models whose permissions the groups get.
        ("otp", "0006_deliveryattempt_provider_reports"),
        ("wallet", "0003_ledger_session_id_plain_uuid"),
        ("contacts", "0002_contact_email_key"),
        ("templates_app", "0001_initial"),
    ]

    operations = [migrations.RunPython(groups_create, groups_delete)]
