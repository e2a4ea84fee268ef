"""Contacts: an account's end users, with Sendmator's contact fields, and their tags."""
import uuid

from django.db import models
from django.db.models import Q

from otpservice.recipients import canonical_email


class Contact(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="contacts")
    # NULL rather than "": the per-account unique constraints must not collide on absent values.
    external_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    email = models.CharField(max_length=254, null=True, blank=True)  # noqa: DJ001
    # The canonical form of `email` (otpservice.recipients): what contacts are matched and kept
    # unique by, so Ada@Example.com and ada@example.com are one contact.
    email_key = models.CharField(max_length=254, null=True, blank=True, editable=False)  # noqa: DJ001
    phone = models.CharField(max_length=16, null=True, blank=True)  # noqa: DJ001
    first_name = models.CharField(max_length=100, blank=True, default="", db_default="")
    last_name = models.CharField(max_length=100, blank=True, default="", db_default="")
    custom_fields = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # Only the choices made ({channel: {category: bool}}); contacts.preferences renders the rest.
    preferences = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True, db_default=True)
    is_unsubscribed = models.BooleanField(default=False, db_default=False)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # An OTP verified by SMS; WhatsApp, to the same number, has its own stamp.
    phone_verified_at = models.DateTimeField(null=True, blank=True)
    whatsapp_verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["account", "email_key"], name="contact_unique_email_key"),
            models.UniqueConstraint(fields=["account", "phone"], name="contact_unique_phone"),
            models.UniqueConstraint(fields=["account", "external_id"], name="contact_unique_external_id"),
            models.CheckConstraint(
                condition=Q(email__isnull=False) | Q(phone__isnull=False), name="contact_has_address"
            ),
        ]
        # The unique constraints serve the email, phone and external_id filters; these the rest and
        # every sort order (search: trigram indexes on PostgreSQL, migration 0004).
        indexes = [
            models.Index(fields=["account", "created_at", "id"], name="contact_account_created"),
            models.Index(fields=["account", "updated_at", "id"], name="contact_account_updated"),
            models.Index(fields=["account", "first_name", "id"], name="contact_account_first_name"),
            models.Index(fields=["account", "last_name", "id"], name="contact_account_last_name"),
            models.Index(fields=["account", "is_active"], name="contact_account_active"),
            models.Index(fields=["account", "is_unsubscribed"], name="contact_account_unsubscribed"),
        ]

    def __str__(self) -> str:
        return self.email or self.phone or str(self.id)

    def save(self, *args, **kwargs) -> None:
        # Derived, never set by hand: whoever writes the email (a service, admin), the match key follows.
        self.email_key = canonical_email(self.email) if self.email else None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "email" in update_fields:
            kwargs["update_fields"] = {*update_fields, "email_key"}
        super().save(*args, **kwargs)

    @property
    def tag_names(self) -> list[str]:
        """The tags in the order they were added (prefetched by the selectors)."""
        return [tag.name for tag in sorted(self.tag_rows.all(), key=lambda tag: tag.pk)]


class ContactTag(models.Model):
    """One tag of a contact: a row, so the list's `tags` filter is an indexed lookup on any database."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="tag_rows")
    name = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "name"], name="contact_tag_unique")]
        indexes = [models.Index(fields=["name", "contact"], name="contact_tag_name")]

    def __str__(self) -> str:
        return self.name
