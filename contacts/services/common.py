"""What every contact write shares: the row lock, the uniqueness checks, saving with tags."""
from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction

from accounts.models import Account

from ..exceptions import ContactExists, ContactNotFound
from ..models import Contact, ContactTag

TAGS_MAX = 50
# (field in the API, column, what the message calls it)
_UNIQUE = (("email", "email_key", "email"), ("phone", "phone", "phone"), ("external_id", "external_id", "external_id"))


def contact_locked(*, account: Account, contact_id: str) -> Contact:
    """The account's contact, locked for this transaction; ContactNotFound otherwise."""
    try:
        pk = uuid.UUID(str(contact_id))
    except ValueError as exc:
        raise ContactNotFound() from exc
    contact = Contact.objects.select_for_update().filter(account=account, pk=pk).first()
    if contact is None:
        raise ContactNotFound()
    return contact


def _conflict(contact: Contact) -> ContactExists | None:
    """The error for another contact of the account holding one of this contact's unique values."""
    for field, column, label in _UNIQUE:
        value = getattr(contact, column)
        if value is None:
            continue
        other = (
            Contact.objects.filter(account_id=contact.account_id, **{column: value})
            .exclude(pk=contact.pk)
            .values_list("pk", flat=True)
            .first()
        )
        if other is not None:
            return ContactExists(
                f"Contact exists: another contact of this account has this {label}",
                details={"field": field, "contact_id": str(other)},
            )
    return None


def contact_save(*, contact: Contact, tags: list[str] | None, insert: bool) -> Contact:
    """Insert or update `contact` (and replace its tags when given); ContactExists on a duplicate.

    The checks first name the field; the unique constraints decide a race: a parallel insert of the
    same email waits for the other transaction, fails, and the savepoint undoes only ours.
    """
    conflict = _conflict(contact)
    if conflict:
        raise conflict
    try:
        with transaction.atomic():
            contact.save(force_insert=insert)
            if tags is not None:
                if not insert:
                    ContactTag.objects.filter(contact=contact).delete()
                ContactTag.objects.bulk_create([ContactTag(contact=contact, name=name) for name in tags])
    except IntegrityError as exc:
        conflict = _conflict(contact)
        if conflict:
            raise conflict from exc
        raise
    return contact
