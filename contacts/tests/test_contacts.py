"""Contacts: created or updated when an add_contact session is VERIFIED, and read through the API."""

import json
import re
from contextlib import nullcontext

import pytest
from rest_framework.test import APIClient

from contacts.models import Contact
from otp.models import ChannelVerification

pytestmark = pytest.mark.django_db

SEND, VERIFY = "/api/v1/otp/send", "/api/v1/otp/verify"
CONTACTS = "/api/v1/contacts"
PHONE = "+14155552671"
CONTACT_KEYS = {
    "id", "external_id", "email", "phone", "first_name", "last_name", "tags", "custom_fields", "metadata",
    "preferences", "is_active", "is_unsubscribed", "email_verified", "email_verified_at", "phone_verified",
    "phone_verified_at", "whatsapp_verified", "whatsapp_verified_at", "verified_channels", "created_at", "updated_at",
}


@pytest.fixture
def live_api(api, outbox_file, django_capture_on_commit_callbacks):
    """Live sends delivered to the outbox file: sandbox sessions never create contacts."""
    api.outbox_file = outbox_file
    api.capture = django_capture_on_commit_callbacks
    return api


def _codes_from_outbox(path, session_id: str) -> dict[str, str]:
    messages = [json.loads(line) for line in path.read_text().splitlines()]
    return {
        m["channel"]: re.search(r"(?<!\d)\d{6}(?!\d)", m["body"]).group(0)
        for m in messages
        if m["session_id"] == session_id
    }


def send(client, recipients, **extra):
    capture = getattr(client, "capture", None)
    with capture(execute=True) if capture else nullcontext():
        response = client.post(SEND, {"channels": list(recipients), "recipients": recipients, **extra})
    assert response.status_code == 200, response.json()
    body = response.json()
    if "sandbox_otps" not in body:
        body["sandbox_otps"] = _codes_from_outbox(client.outbox_file, body["session_id"])
    return body


def verify(client, sent, channels=None):
    codes = {ch: code for ch, code in sent["sandbox_otps"].items() if channels is None or ch in channels}
    response = client.post(VERIFY, {"session_token": sent["session_token"], "otps": codes})
    assert response.status_code == 200, response.json()
    return response.json()


def send_and_verify(client, recipients, **extra):
    sent = send(client, recipients, add_contact=True, **extra)
    return sent, verify(client, sent)


def verified_at(sent, channel):
    return ChannelVerification.objects.get(session_id=sent["session_id"], channel=channel).verified_at


# --- creation from sessions ---------------------------------------------------------------------


def test_a_verified_add_contact_session_creates_the_contact_with_each_channel_flagged(live_api, account):
    sent, result = send_and_verify(live_api, {"email": "Ada@EXAMPLE.com", "sms": PHONE})
    assert result["status"] == "VERIFIED"
    contact = Contact.objects.get()
    assert (contact.account, contact.email, contact.phone) == (account, "Ada@example.com", PHONE)
    assert contact.email_verified_at == verified_at(sent, "email")
    assert contact.phone_verified_at == verified_at(sent, "sms")
    assert contact.whatsapp_verified_at is None


def test_sms_and_whatsapp_to_one_number_flag_both_on_one_contact(live_api):
    sent, _ = send_and_verify(live_api, {"sms": PHONE, "whatsapp": PHONE})
    contact = Contact.objects.get()
    assert (contact.email, contact.phone) == (None, PHONE)
    assert contact.phone_verified_at == verified_at(sent, "sms")
    assert contact.whatsapp_verified_at == verified_at(sent, "whatsapp")


def test_a_second_session_for_the_same_email_updates_rather_than_duplicates(live_api):
    first, _ = send_and_verify(live_api, {"email": "ada@example.com"})
    second, _ = send_and_verify(live_api, {"email": "ada@EXAMPLE.COM", "sms": PHONE})
    contact = Contact.objects.get()
    assert (contact.email, contact.phone) == ("ada@example.com", PHONE)
    assert contact.email_verified_at == verified_at(second, "email") > verified_at(first, "email")
    assert contact.phone_verified_at == verified_at(second, "sms")


@pytest.mark.parametrize("again", ["ADA@example.com", "Ada@Example.COM"])
def test_another_spelling_of_the_email_is_the_same_contact(live_api, again):
    first, _ = send_and_verify(live_api, {"email": "ada@example.com"})
    second, _ = send_and_verify(live_api, {"email": again})
    contact = Contact.objects.get()
    assert contact.email == "ada@example.com"  # stored as first given
    assert contact.email_verified_at == verified_at(second, "email")


def test_gmail_dots_and_tags_are_the_same_contact(live_api):
    send_and_verify(live_api, {"email": "ada.lovelace+shop@gmail.com"})
    second, _ = send_and_verify(live_api, {"email": "AdaLovelace@googlemail.com", "sms": PHONE})
    contact = Contact.objects.get()
    assert (contact.email, contact.phone) == ("ada.lovelace+shop@gmail.com", PHONE)
    assert contact.email_verified_at == verified_at(second, "email")


def test_a_second_session_for_the_same_phone_updates_rather_than_duplicates(live_api):
    send_and_verify(live_api, {"sms": PHONE})
    second, _ = send_and_verify(live_api, {"whatsapp": PHONE})
    contact = Contact.objects.get()
    assert contact.phone_verified_at is not None
    assert contact.whatsapp_verified_at == verified_at(second, "whatsapp")


def test_a_sandbox_session_never_creates_a_contact(sandbox_api):
    sent = sandbox_api.post(
        SEND, {"channels": ["email"], "recipients": {"email": "ada@example.com"}, "add_contact": True}
    ).json()
    codes = sent["sandbox_otps"]
    result = sandbox_api.post(VERIFY, {"session_token": sent["session_token"], "otps": codes}).json()
    assert result["status"] == "VERIFIED"
    assert Contact.objects.count() == 0


def test_add_contact_false_creates_no_contact(live_api):
    sent = send(live_api, {"email": "ada@example.com", "sms": PHONE})
    assert verify(live_api, sent)["status"] == "VERIFIED"
    assert Contact.objects.count() == 0


def test_a_partial_session_creates_no_contact_until_it_is_verified(live_api):
    sent = send(live_api, {"email": "ada@example.com", "sms": PHONE}, add_contact=True)
    assert verify(live_api, sent, channels=["email"])["status"] == "PARTIAL"
    assert Contact.objects.count() == 0
    assert verify(live_api, sent, channels=["sms"])["status"] == "VERIFIED"
    contact = Contact.objects.get()
    assert contact.email_verified_at is not None and contact.phone_verified_at is not None


def test_an_unverified_session_creates_no_contact(live_api):
    sent = send(live_api, {"email": "ada@example.com"}, add_contact=True)
    wrong = "0" * 6 if sent["sandbox_otps"]["email"] != "0" * 6 else "1" * 6
    response = live_api.post(VERIFY, {"session_token": sent["session_token"], "otps": {"email": wrong}})
    assert response.status_code == 400
    assert Contact.objects.count() == 0


def test_with_strategy_any_only_the_verified_channel_is_recorded(live_api):
    sent = send(
        live_api, {"email": "ada@example.com", "sms": PHONE}, add_contact=True,
        config={"verification_strategy": "any"},
    )
    assert verify(live_api, sent, channels=["email"])["status"] == "VERIFIED"
    contact = Contact.objects.get()
    assert contact.email == "ada@example.com"
    assert contact.email_verified_at is not None
    assert contact.phone_verified_at is None


def test_contacts_are_per_account(live_api, account_keys, other_api):
    other = other_api
    other.outbox_file, other.capture = live_api.outbox_file, live_api.capture
    send_and_verify(live_api, {"email": "ada@example.com"})
    send_and_verify(other, {"email": "ada@example.com"})
    assert Contact.objects.count() == 2
    assert Contact.objects.filter(account=account_keys.account).count() == 1


# --- API ----------------------------------------------------------------------------------------


def test_list_has_the_documented_shape_and_pagination(live_api):
    send_and_verify(live_api, {"email": "ada@example.com", "sms": PHONE})
    send_and_verify(live_api, {"email": "bob@example.com"})
    response = live_api.get(CONTACTS)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 2, "totalPages": 1}
    assert [c["email"] for c in body["data"]] == ["bob@example.com", "ada@example.com"]
    ada = body["data"][1]
    assert set(ada) == CONTACT_KEYS
    assert (ada["phone"], ada["verified_channels"], ada["whatsapp_verified_at"]) == (PHONE, ["email", "sms"], None)
    assert (ada["email_verified"], ada["phone_verified"], ada["whatsapp_verified"]) == (True, True, False)
    for field in ("email_verified_at", "phone_verified_at", "created_at", "updated_at"):
        assert ada[field].endswith("Z") and len(ada[field]) == 24


def test_list_pages_and_refuses_a_limit_over_100(live_api):
    for name in ("a", "b", "c"):
        send_and_verify(live_api, {"email": f"{name}@example.com"})
    body = live_api.get(f"{CONTACTS}?page=2&limit=2").json()
    assert len(body["data"]) == 1
    assert body["pagination"] == {"page": 2, "limit": 2, "total": 3, "totalPages": 2}
    response = live_api.get(f"{CONTACTS}?limit=101")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
    assert response.json()["details"]["field"] == "limit"


def test_detail_returns_the_contact(live_api):
    send_and_verify(live_api, {"whatsapp": PHONE})
    contact = Contact.objects.get()
    response = live_api.get(f"{CONTACTS}/{contact.id}")
    assert response.status_code == 200
    data = response.json()["data"]
    assert response.json()["success"] is True
    assert set(data) == CONTACT_KEYS
    assert (data["id"], data["email"], data["phone"], data["verified_channels"]) == (
        str(contact.id), None, PHONE, ["whatsapp"],
    )


def _assert_contact_not_found(response):
    assert response.status_code == 404, response.content
    body = response.json()
    assert body["success"] is False
    assert (body["error"]["type"], body["error"]["code"], body["code"]) == (
        "not_found_error", "contact_not_found", "contact_not_found",
    )
    assert body["message"] == body["error"]["message"]


def test_another_accounts_contact_is_404_and_absent_from_the_list(live_api, other_api):
    send_and_verify(live_api, {"email": "ada@example.com"})
    contact = Contact.objects.get()
    _assert_contact_not_found(other_api.get(f"{CONTACTS}/{contact.id}"))
    body = other_api.get(CONTACTS).json()
    assert body["data"] == [] and body["pagination"]["total"] == 0


@pytest.mark.parametrize("contact_id", ["nope", "123", "00000000-0000-4000-8000-000000000000"])
def test_an_unknown_or_malformed_contact_id_is_404(live_api, contact_id):
    _assert_contact_not_found(live_api.get(f"{CONTACTS}/{contact_id}"))


def test_contacts_require_an_api_key(db):
    response = APIClient().get(CONTACTS)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
