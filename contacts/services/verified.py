"""Contacts from verified sessions: create or update the contact of each verified address.

Rules (also in docs/contacts.md):
- Each verified address (the email, each phone number) belongs to at most one contact of the
  account, and an address never moves from the contact that holds it.
- A verified address already held by a contact flags that contact's channel (email_verified_at,
  phone_verified_at for SMS, whatsapp_verified_at), so when the email and the phone belong to two
  contacts, each gets its own flag and they are not merged.
- An address no contact holds joins the session's contact (the one holding its other address)
  when that contact's slot is empty, else it gets a new contact of its own; a session whose
  addresses are all new makes one contact with both.
- A stamp only moves forward: an older verification committing late does not replace a newer one.
"""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.models import Account
from otpservice.recipients import canonical_recipient

from ..models import Contact

_SLOT = {"email": "email", "sms": "phone", "whatsapp": "phone"}
_VERIFIED_FIELD = {"email": "email_verified_at", "sms": "phone_verified_at", "whatsapp": "whatsapp_verified_at"}
_CHANNEL_ORDER = ("email", "sms", "whatsapp")
# A lost insert race is retried once it is visible; more than a couple of rounds means a bug.
_ATTEMPTS = 3

# (slot, canonical identity): ("email", "ada@example.com") or ("phone", "+1415…")
Address = tuple[str, str]


def contact_record_verified(*, account: Account, rows) -> list[Contact]:
    """Record the verified channels of a session on the account's contacts; the contacts written.

    Runs inside the verify transaction. A parallel verify for the same new address may insert
    the same contact first: the unique index refuses our insert, the savepoint undoes only our
    part, and the next round finds that contact and updates it, so the verify still succeeds.
    """
    verified = sorted((row for row in rows if row.verified_at), key=lambda row: _CHANNEL_ORDER.index(row.channel))
    if not verified:
        return []
    for _ in range(_ATTEMPTS - 1):
        try:
            with transaction.atomic():
                return _upsert(account=account, rows=verified)
        except IntegrityError:
            continue
    with transaction.atomic():
        return _upsert(account=account, rows=verified)


def _owners(*, account: Account, addresses: list[Address]) -> dict[Address, Contact]:
    """The contacts holding these addresses (by canonical identity), locked in primary-key order."""
    emails = [value for slot, value in addresses if slot == "email"]
    phones = [value for slot, value in addresses if slot == "phone"]
    held = Contact.objects.select_for_update().filter(Q(email_key__in=emails) | Q(phone__in=phones), account=account)
    owners: dict[Address, Contact] = {}
    for contact in held.order_by("pk"):
        if contact.email_key in emails:
            owners["email", contact.email_key] = contact
        if contact.phone in phones:
            owners["phone", contact.phone] = contact
    return owners


def _identity(row) -> Address:
    return _SLOT[row.channel], canonical_recipient(channel=row.channel, recipient=row.recipient)


def _upsert(*, account: Account, rows) -> list[Contact]:
    # Keyed by canonical identity; a new contact stores the address as the session had it.
    addresses: dict[Address, list] = {}
    for row in rows:
        addresses.setdefault(_identity(row), []).append(row)
    owners = _owners(account=account, addresses=list(addresses))
    # Fields to write per contact (keyed by identity: new contacts have no row yet).
    dirty: dict[int, tuple[Contact, set[str]]] = {id(contact): (contact, set()) for contact in owners.values()}
    new: set[int] = set()
    home = next((owners[address] for address in addresses if address in owners), None)
    for slot, value in addresses:
        if (slot, value) in owners:
            continue
        if home is None or getattr(home, slot) is not None:
            home = Contact(account=account)
            new.add(id(home))
            dirty[id(home)] = (home, set())
        setattr(home, slot, addresses[slot, value][0].recipient)
        dirty[id(home)][1].add(slot)
        owners[slot, value] = home
    for address, address_rows in addresses.items():
        contact = owners[address]
        for row in address_rows:
            field = _VERIFIED_FIELD[row.channel]
            current = getattr(contact, field)
            if current is None or row.verified_at > current:
                setattr(contact, field, row.verified_at)
                dirty[id(contact)][1].add(field)
    for key, (contact, fields) in dirty.items():
        if key in new:
            contact.save(force_insert=True)
        elif fields:
            contact.save(update_fields=[*sorted(fields), "updated_at"])
    return [contact for contact, _ in dirty.values()]
