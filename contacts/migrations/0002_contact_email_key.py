"""Contacts are matched by the canonical email (otpservice.recipients), not the spelling stored."""
from django.db import migrations, models

from otpservice.recipients import canonical_email


def backfill(apps, schema_editor):
    Contact = apps.get_model("contacts", "Contact")
    seen = set()
    for contact in Contact.objects.exclude(email=None).order_by("created_at", "pk").iterator():
        key = (contact.account_id, canonical_email(contact.email))
        # Two spellings of one inbox from before: the older contact keeps the match.
        if key not in seen:
            seen.add(key)
            contact.email_key = key[1]
            contact.save(update_fields=["email_key"])


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="email_key",
            field=models.CharField(blank=True, editable=False, max_length=254, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="contact", name="contact_unique_email"),
        migrations.AddConstraint(
            model_name="contact",
            constraint=models.UniqueConstraint(fields=("account", "email_key"), name="contact_unique_email_key"),
        ),
    ]
