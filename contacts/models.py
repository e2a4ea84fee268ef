"""Contacts: an account's end users whose email or phone a session verified."""
import uuid

from django.db import models
from django.db.models import Q

from otpservice.recipients import canonical_email


class Contact(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="contacts")
    # NULL rather than "": the per-account unique constraints must not collide on absent values.
    email = models.CharField(max_length=254, null=True, blank=True)  # noqa: DJ001
    # The canonical form of `email` (otpservice.recipients): what contacts are matched and kept
    # unique by, so Ada@Example.com and ada@example.com are one contact.
    email_key = models.CharField(max_length=254, null=True, blank=True, editable=False)  # noqa: DJ001
    phone = models.CharField(max_length=16, null=True, blank=True)  # noqa: DJ001
    email_verified_at = models.DateTimeField(null=True, blank=True)
    sms_verified_at = models.DateTimeField(null=True, blank=True)
    whatsapp_verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["account", "email_key"], name="contact_unique_email_key"),
            models.UniqueConstraint(fields=["account", "phone"], name="contact_unique_phone"),
            models.CheckConstraint(
                condition=Q(email__isnull=False) | Q(phone__isnull=False), name="contact_has_address"
            ),
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
