"""The contacts endpoints answer byte for byte as recorded (see otpservice/tests/golden.py)."""
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contacts.models import Contact
from otpservice.tests.golden import Golden, Placeholders

pytestmark = pytest.mark.django_db

SEND, VERIFY, CONTACTS = "/api/v1/otp/send", "/api/v1/otp/verify", "/api/v1/contacts"
T0 = datetime(2026, 1, 15, 11, 0, 0, 123456, tzinfo=UTC)
GOLDEN = Golden(Path(__file__).with_name("golden") / "api_bodies.json")


def _check(name: str, seen: Placeholders, response) -> None:
    assert response.status_code == 200, response.content
    GOLDEN.check(name, seen.apply(response.content.decode()))


def _send_and_verify(api, capture, outbox_file, recipients: dict[str, str], verify: list[str]) -> None:
    with capture(execute=True):
        response = api.post(SEND, {"channels": list(recipients), "recipients": recipients, "add_contact": True})
    assert response.status_code == 200, response.content
    sent = response.json()
    lines = [json.loads(line) for line in outbox_file.read_text().splitlines()]
    codes = {
        line["channel"]: re.search(r"(?<!\d)(\d{6})(?!\d)", line["body"]).group(1)
        for line in lines
        if line["session_id"] == sent["session_id"]
    }
    otps = {channel: codes[channel] for channel in verify}
    assert api.post(VERIFY, {"session_token": sent["session_token"], "otps": otps}).status_code == 200


def test_contact_list_and_detail_bodies(api, outbox_file, django_capture_on_commit_callbacks, time_machine):
    time_machine.move_to(T0, tick=False)
    _send_and_verify(
        api, django_capture_on_commit_callbacks, outbox_file,
        {"email": "Ada@Example.com", "sms": "+14155552671"}, ["email", "sms"],
    )
    time_machine.move_to(T0 + timedelta(seconds=30), tick=False)
    _send_and_verify(api, django_capture_on_commit_callbacks, outbox_file, {"whatsapp": "+447911123456"}, ["whatsapp"])
    seen = Placeholders()
    contacts = list(Contact.objects.order_by("created_at"))
    assert len(contacts) == 2
    for contact in contacts:
        seen.add("contact", contact.id)
    _check("contacts_list", seen, api.get(CONTACTS))
    _check("contacts_list_page_2", seen, api.get(f"{CONTACTS}?limit=1&page=2"))
    for number, contact in enumerate(contacts, start=1):
        _check(f"contact_detail_{number}", seen, api.get(f"{CONTACTS}/{contact.id}"))


def test_created_bulk_and_preference_bodies(api, account, time_machine):
    time_machine.move_to(T0, tick=False)
    seen = Placeholders()
    seen.add("account", account.id)
    response = api.post(CONTACTS, {
        "email": "Ada@Example.com", "phone": "+14155552671", "external_id": "CRM-001", "first_name": "Ada",
        "last_name": "Lovelace", "tags": ["customer", "premium"], "custom_fields": {"plan": "pro"},
        "metadata": {"source": "import"}, "preferences": {"email": {"promotional": False}},
    })
    assert response.status_code == 201, response.content
    seen.add("contact", response.json()["data"]["id"])
    GOLDEN.check("contact_created", seen.apply(response.content.decode()))
    response = api.post(f"{CONTACTS}/bulk", {"contacts": [{"email": "bob@example.com"}, {"email": "ada@example.com"}, {"email": "x"}]})
    seen.add("contact", response.json()["created"][0]["id"])
    _check("contacts_bulk", seen, response)
    contact_id = Contact.objects.get(external_id="CRM-001").id
    _check("contact_preferences", seen, api.get(f"{CONTACTS}/{contact_id}/preferences"))
    _check("contact_preferences_email", seen, api.get(f"{CONTACTS}/{contact_id}/preferences/email"))
    _check("contact_deleted_hard", seen, api.delete(f"{CONTACTS}/{contact_id}?hard=true"))
