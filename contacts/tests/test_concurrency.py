"""Real parallel verifies against PostgreSQL: sessions for one new address make one contact."""
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
