"""Writes for contacts: create or update from a verified session."""
from django.db.models import Q

from accounts.models import Account

from .models import Contact

_VERIFIED_FIELD = {"email": "email_verified_at", "sms": "sms_verified_at", "whatsapp": "whatsapp_verified_at"}


def contact_record_verified(*, account: Account, rows) -> Contact:
    """Upsert the contact matching the verified email and/or phone; runs inside the verify transaction."""
    email = next((row.recipient for row in rows if row.channel == "email"), None)
    phone = next((row.recipient for row in rows if row.channel in ("sms", "whatsapp")), None)
    match = Q()
    if email:
        match |= Q(email=email)
    if phone:
        match |= Q(phone=phone)
    contact = Contact.objects.select_for_update().filter(match, account=account).order_by("created_at").first()
    if contact is None:
        contact = Contact(account=account)
    # Only fill an empty address: never move a number or email off the contact that holds it.
    if email and not contact.email:
        contact.email = email
    if phone and not contact.phone and not Contact.objects.filter(account=account, phone=phone).exclude(pk=contact.pk).exists():
        contact.phone = phone
    for row in rows:
        if row.recipient in (contact.email, contact.phone):
            setattr(contact, _VERIFIED_FIELD[row.channel], row.verified_at)
    contact.save()
    return contact
