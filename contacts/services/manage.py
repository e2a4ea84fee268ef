"""Writes of the contacts API: create, update, delete, unsubscribe, tags and preferences."""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from otpservice.errors import InvalidRequest
from otpservice.recipients import canonical_email

from ..models import Contact, ContactTag
from ..preferences import Preferences, preferences_merge
from .common import TAGS_MAX, contact_locked, contact_save

# Absent names are stored as "" (and rendered null); the rest of the nullable fields store NULL.
_BLANK_WHEN_NULL = {"first_name", "last_name"}


def contact_create(*, account: Account, fields: dict[str, Any]) -> Contact:
    """A new contact from validated fields (contacts.serializers); ContactExists on a duplicate."""
    fields = dict(fields)
    tags = fields.pop("tags", [])
    preferences = preferences_merge({}, fields.pop("preferences", {}))
    contact = Contact(account=account, preferences=preferences, **fields)
    return contact_save(contact=contact, tags=tags, insert=True)


def contact_update(*, account: Account, contact_id: str, fields: dict[str, Any]) -> Contact:
    """Change the given fields. A changed address loses its verified stamps (another spelling of
    the same inbox keeps them); `tags` replaces the tags; `preferences` changes only those named."""
    fields = dict(fields)
    with transaction.atomic():
        contact = contact_locked(account=account, contact_id=contact_id)
        tags = fields.pop("tags", None)
        if "preferences" in fields:
            contact.preferences = preferences_merge(contact.preferences, fields.pop("preferences"))
        email_key, phone = contact.email_key, contact.phone
        for name, value in fields.items():
            setattr(contact, name, "" if value is None and name in _BLANK_WHEN_NULL else value)
        if contact.email is None and contact.phone is None:
            raise InvalidRequest(
                "email: a contact needs an email or a phone",
                details={"field": "email", "errors": {"email": ["A contact needs an email or a phone."]}},
            )
        if (canonical_email(contact.email) if contact.email else None) != email_key:
            contact.email_verified_at = None
        if contact.phone != phone:
            contact.phone_verified_at = contact.whatsapp_verified_at = None
        return contact_save(contact=contact, tags=tags, insert=False)


def contact_delete(*, account: Account, contact_id: str, hard: bool) -> Contact | None:
    """Soft: the contact stays, `is_active` false (the contact, changed). Hard: it is gone (None)."""
    with transaction.atomic():
        contact = contact_locked(account=account, contact_id=contact_id)
        if hard:
            contact.delete()
            return None
        contact.is_active = False
        contact.save(update_fields=["is_active", "updated_at"])
        return contact


def contact_unsubscribe(*, account: Account, contact_id: str) -> Contact:
    with transaction.atomic():
        contact = contact_locked(account=account, contact_id=contact_id)
        contact.is_unsubscribed = True
        contact.save(update_fields=["is_unsubscribed", "updated_at"])
        return contact


def contact_tags_add(*, account: Account, contact_id: str, tags: list[str]) -> Contact:
    """Add the tags the contact does not have yet, after the others; at most 50 in all."""
    with transaction.atomic():
        contact = contact_locked(account=account, contact_id=contact_id)
        held = set(ContactTag.objects.filter(contact=contact).values_list("name", flat=True))
        new = [name for name in tags if name not in held]
        if len(held) + len(new) > TAGS_MAX:
            raise InvalidRequest(
                f"tags: a contact has at most {TAGS_MAX} tags",
                details={"field": "tags", "errors": {"tags": [f"A contact has at most {TAGS_MAX} tags."]}},
            )
        ContactTag.objects.bulk_create([ContactTag(contact=contact, name=name) for name in new])
        Contact.objects.filter(pk=contact.pk).update(updated_at=timezone.now())
    return contact


def contact_tags_remove(*, account: Account, contact_id: str, tags: list[str]) -> Contact:
    """Remove these tags; a tag the contact does not have is no error."""
    with transaction.atomic():
        contact = contact_locked(account=account, contact_id=contact_id)
        ContactTag.objects.filter(contact=contact, name__in=tags).delete()
        Contact.objects.filter(pk=contact.pk).update(updated_at=timezone.now())
    return contact


def contact_preferences_update(
    *, account: Account, contact_id: str, changes: Preferences, is_unsubscribed: bool | None = None
) -> Contact:
    """Set the named channel/category choices (and, given, the unsubscribed flag)."""
    with transaction.atomic():
        contact = contact_locked(account=account, contact_id=contact_id)
        contact.preferences = preferences_merge(contact.preferences, changes)
        fields = ["preferences", "updated_at"]
        if is_unsubscribed is not None:
            contact.is_unsubscribed = is_unsubscribed
            fields.append("is_unsubscribed")
        contact.save(update_fields=fields)
        return contact
