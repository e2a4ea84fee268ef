"""Sendmator's contact fields: external id, names, tags, custom fields, metadata, preferences,
active and unsubscribed flags; sms_verified_at becomes phone_verified_at; an index per filter."""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("contacts", "0002_contact_email_key")]

    operations = [
        migrations.RenameField(model_name="contact", old_name="sms_verified_at", new_name="phone_verified_at"),
        migrations.AddField(
            model_name="contact", name="external_id",
            field=models.CharField(blank=True, max_length=255, null=True),
        ),
        migrations.AddField(
            model_name="contact", name="first_name",
            field=models.CharField(blank=True, db_default="", default="", max_length=100),
        ),
        migrations.AddField(
            model_name="contact", name="last_name",
            field=models.CharField(blank=True, db_default="", default="", max_length=100),
        ),
        migrations.AddField(model_name="contact", name="custom_fields", field=models.JSONField(blank=True, default=dict)),
        migrations.AddField(model_name="contact", name="metadata", field=models.JSONField(blank=True, default=dict)),
        migrations.AddField(model_name="contact", name="preferences", field=models.JSONField(blank=True, default=dict)),
        migrations.AddField(
            model_name="contact", name="is_active", field=models.BooleanField(db_default=True, default=True),
        ),
        migrations.AddField(
            model_name="contact", name="is_unsubscribed", field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddConstraint(
            model_name="contact",
            constraint=models.UniqueConstraint(fields=("account", "external_id"), name="contact_unique_external_id"),
        ),
        migrations.AddIndex(
            model_name="contact", index=models.Index(fields=["account", "created_at", "id"], name="contact_account_created"),
        ),
        migrations.AddIndex(
            model_name="contact", index=models.Index(fields=["account", "updated_at", "id"], name="contact_account_updated"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["account", "first_name", "id"], name="contact_account_first_name"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["account", "last_name", "id"], name="contact_account_last_name"),
        ),
        migrations.AddIndex(
            model_name="contact", index=models.Index(fields=["account", "is_active"], name="contact_account_active"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["account", "is_unsubscribed"], name="contact_account_unsubscribed"),
        ),
        migrations.CreateModel(
            name="ContactTag",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=64)),
                (
                    "contact",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="tag_rows", to="contacts.contact",
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("contact", "name"), name="contact_tag_unique")],
                "indexes": [models.Index(fields=["name", "contact"], name="contact_tag_name")],
            },
        ),
    ]
