"""contact_record_verified: which contact each verified address lands on, races, and sandbox."""
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from contacts.models import Contact
from contacts.services import contact_record_verified
from contacts.services import verified as services

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)
EMAIL, PHONE, OTHER_PHONE = "ada@example.com", "+14155552671", "+14155552672"


@dataclass
class Row:
    """The attributes of a ChannelVerification that the service reads."""

    channel: str
    recipient: str
    verified_at: datetime | None = T1


def test_new_email_and_phone_make_one_contact_with_each_channel_flagged(account):
    contact_record_verified(account=account, rows=[Row("email", EMAIL), Row("sms", PHONE)])
    contact = Contact.objects.get()
    assert (contact.email, contact.phone, contact.email_verified_at, contact.phone_verified_at) == (EMAIL, PHONE, T1, T1)
    assert contact.whatsapp_verified_at is None


def test_email_and_phone_of_two_contacts_flag_each_contact_and_move_no_address(account):
    by_email = Contact.objects.create(account=account, email=EMAIL)
    by_phone = Contact.objects.create(account=account, phone=PHONE, whatsapp_verified_at=T0)

    contact_record_verified(account=account, rows=[Row("email", EMAIL), Row("sms", PHONE)])

    by_email.refresh_from_db()
    by_phone.refresh_from_db()
    assert (by_email.email, by_email.phone, by_email.email_verified_at, by_email.phone_verified_at) == (
        EMAIL, None, T1, None,
    )
    assert (by_phone.email, by_phone.phone, by_phone.phone_verified_at, by_phone.whatsapp_verified_at) == (
        None, PHONE, T1, T0,
    )
    assert Contact.objects.count() == 2


def test_a_missing_address_is_added_to_the_contact_that_has_the_other_one(account):
    contact = Contact.objects.create(account=account, phone=PHONE, phone_verified_at=T0)
    contact_record_verified(account=account, rows=[Row("email", EMAIL), Row("sms", PHONE)])
    contact.refresh_from_db()
    assert (contact.email, contact.phone, contact.email_verified_at, contact.phone_verified_at) == (EMAIL, PHONE, T1, T1)
    assert Contact.objects.count() == 1


def test_a_new_phone_for_a_contact_that_holds_another_phone_gets_a_contact_of_its_own(account):
    existing = Contact.objects.create(account=account, email=EMAIL, phone=PHONE)
    contact_record_verified(account=account, rows=[Row("email", EMAIL), Row("sms", OTHER_PHONE)])
    existing.refresh_from_db()
    assert (existing.phone, existing.email_verified_at, existing.phone_verified_at) == (PHONE, T1, None)
    new = Contact.objects.exclude(pk=existing.pk).get()
    assert (new.email, new.phone, new.phone_verified_at) == (None, OTHER_PHONE, T1)


def test_sms_and_whatsapp_to_two_new_numbers_flag_each_number(account):
    contact_record_verified(
        account=account, rows=[Row("email", EMAIL), Row("sms", PHONE), Row("whatsapp", OTHER_PHONE)]
    )
    first = Contact.objects.get(phone=PHONE)
    second = Contact.objects.get(phone=OTHER_PHONE)
    assert (first.email, first.phone_verified_at, first.whatsapp_verified_at) == (EMAIL, T1, None)
    assert (second.email, second.phone_verified_at, second.whatsapp_verified_at) == (None, None, T1)


def test_an_older_verification_never_replaces_a_newer_stamp(account):
    Contact.objects.create(account=account, email=EMAIL, email_verified_at=T1)
    contact_record_verified(account=account, rows=[Row("email", EMAIL, verified_at=T0)])
    assert Contact.objects.get().email_verified_at == T1


def test_unverified_rows_are_ignored(account):
    contact_record_verified(account=account, rows=[Row("email", EMAIL, verified_at=None)])
    assert not Contact.objects.exists()


def test_an_insert_that_loses_the_race_updates_the_winners_contact(account, monkeypatch):
    """A parallel verify committed the contact after our lookup: the unique index refuses our
    insert, the savepoint undoes it, and the retry finds and updates the winner's row."""
    winner = Contact.objects.create(account=account, email=EMAIL, phone_verified_at=T0)
    real_lookup = services._owners
    lookups = []

    def stale_once(**kwargs):
        lookups.append(kwargs)
        return {} if len(lookups) == 1 else real_lookup(**kwargs)

    monkeypatch.setattr(services, "_owners", stale_once)
    contact_record_verified(account=account, rows=[Row("email", EMAIL)])

    assert len(lookups) == 2
    winner.refresh_from_db()
    assert (winner.email_verified_at, winner.phone_verified_at) == (T1, T0)
    assert Contact.objects.count() == 1


def test_a_sandbox_mode_session_on_a_live_key_creates_no_contact(api):
    """sandbox_mode hands the codes to the caller, so its "verification" proves nothing."""
    sent = api.post(
        "/api/v1/otp/send",
        {"channels": ["email"], "recipients": {"email": EMAIL}, "sandbox_mode": True, "add_contact": True},
    ).json()
    assert sent["sandbox"] is True
    result = api.post("/api/v1/otp/verify", {"session_token": sent["session_token"], "otps": sent["sandbox_otps"]})
    assert result.json()["status"] == "VERIFIED"
    assert not Contact.objects.exists()
