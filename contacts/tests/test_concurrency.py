"""Real parallel requests against PostgreSQL: verifies for one new address make one contact, and
parallel creates of one email make one contact and a 409."""
import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db.models.signals import pre_save

from contacts.models import Contact

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("transactional_db")]

EMAILS = ["ada@example.com", "bob@example.com", "cy@example.com"]


@pytest.fixture
def slow_contact_inserts():
    """Hold every new contact just before its INSERT (the live server runs in this process), so
    both verifies of a pair have looked the address up and found nothing before either inserts."""

    def pause(sender, instance, **kwargs):
        if instance._state.adding:
            time.sleep(0.3)

    pre_save.connect(pause, sender=Contact, dispatch_uid="slow_contact_inserts")
    yield
    pre_save.disconnect(sender=Contact, dispatch_uid="slow_contact_inserts")


def codes_from_outbox(path) -> dict[str, str]:
    """Session id -> the email code delivered to the outbox file."""
    messages = [json.loads(line) for line in path.read_text().splitlines()]
    return {m["session_id"]: re.search(r"(?<!\d)\d{6}(?!\d)", m["body"]).group(0) for m in messages}


def test_parallel_verifies_of_two_sessions_for_one_new_email_both_succeed_with_one_contact(
    live_server, account_keys, outbox_file, slow_contact_inserts
):
    url, headers = f"{live_server.url}/api/v1/otp", {"X-API-Key": account_keys.live_key}
    sessions = []
    for email in EMAILS:
        for _ in range(2):
            body = {"channels": ["email"], "recipients": {"email": email}, "add_contact": True}
            response = requests.post(f"{url}/send", json=body, headers=headers, timeout=60)
            assert response.status_code == 200, response.text
            sessions.append(response.json())
    codes = codes_from_outbox(outbox_file)
    barrier = threading.Barrier(len(sessions))

    def verify(sent):
        body = {"session_token": sent["session_token"], "otps": {"email": codes[sent["session_id"]]}}
        barrier.wait(timeout=30)
        return requests.post(f"{url}/verify", json=body, headers=headers, timeout=60)

    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        responses = list(pool.map(verify, sessions))

    assert [(r.status_code, r.json().get("status")) for r in responses] == [(200, "VERIFIED")] * len(sessions)
    contacts = Contact.objects.filter(account=account_keys.account)
    assert sorted(contacts.values_list("email", flat=True)) == EMAILS
    assert not contacts.filter(email_verified_at__isnull=True).exists()


@pytest.mark.parametrize("path", ["/api/v1/contacts", "/api/v1/contacts/bulk"])
def test_parallel_creates_of_one_email_make_one_contact_and_one_409(live_server, account_keys, slow_contact_inserts, path):
    url, headers = f"{live_server.url}{path}", {"X-API-Key": account_keys.live_key}
    spellings = ["ada@example.com", "ADA@Example.com"]
    barrier = threading.Barrier(len(spellings))

    def create(email):
        body = {"email": email} if path.endswith("contacts") else {"contacts": [{"email": email}]}
        barrier.wait(timeout=30)
        return requests.post(url, json=body, headers=headers, timeout=60)

    with ThreadPoolExecutor(max_workers=len(spellings)) as pool:
        responses = list(pool.map(create, spellings))

    contact = Contact.objects.get(account=account_keys.account)
    if path.endswith("contacts"):
        assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
        loser = next(r.json() for r in responses if r.status_code == 409)
        assert (loser["code"], loser["details"]) == ("contact_exists", {"field": "email", "contact_id": str(contact.id)})
    else:
        summaries = sorted((r.status_code, r.json()["summary"]["created_count"]) for r in responses)
        assert summaries == [(200, 0), (200, 1)], [r.text for r in responses]
