"""The delivery task: atomic claim, stale and closed sessions, what success records, no plain codes."""
import json
import re
from datetime import timedelta

import pytest
from django.db import models
from django.utils import timezone

from otp.models import ChannelVerification, DeliveryAttempt, IdempotencyRecord, OTPSession, OutboxMessage
from otp.tasks import deliver_code

pytestmark = pytest.mark.django_db

RECIPIENTS = {"email": "a@example.com", "sms": "+14155552671", "whatsapp": "+14155552672"}


def send(client, channels=("email",), headers=None, **config):
    body = {"channels": list(channels), "recipients": {ch: RECIPIENTS[ch] for ch in channels}}
    response = client.post("/api/v1/otp/send", {**body, "config": config}, headers=headers or {})
    assert response.status_code == 200, response.json()
    return response.json()


def send_queued(client, capture, channels=("email",), **config):
    """A live send whose delivery tasks are captured, not run; returns the body and its rows."""
    with capture(execute=False):
        sent = send(client, channels, **config)
    rows = list(ChannelVerification.objects.filter(session_id=sent["session_id"]).order_by("pk"))
    assert all(row.delivery_status == "QUEUED" and not row.code_hash for row in rows)
    return sent, rows


def run(row, generation=1):
    deliver_code.apply(kwargs={"channel_row_id": row.pk, "generation": generation})
    row.refresh_from_db()
    return row


def outbox_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def outbox_code(line):
    return re.search(r"\b(\d{4,8})\b", line["body"]).group(1)


def assert_nothing_sent(row, outbox_file):
    assert (row.delivery_status, row.code_hash, row.provider_message_id) == ("QUEUED", "", "")
    assert OutboxMessage.objects.count() == 0
    assert not DeliveryAttempt.objects.exists()
    assert outbox_lines(outbox_file) == []


# --- claiming -----------------------------------------------------------------------------------


def test_running_the_task_twice_for_one_generation_sends_once(api, outbox_file, django_capture_on_commit_callbacks):
    _, (row,) = send_queued(api, django_capture_on_commit_callbacks)
    first_hash = run(row).code_hash
    run(row)
    assert row.code_hash == first_hash
    assert OutboxMessage.objects.count() == 1
    assert DeliveryAttempt.objects.count() == 1
    assert len(outbox_lines(outbox_file)) == 1


def test_task_does_nothing_while_another_holds_a_fresh_claim(api, outbox_file, django_capture_on_commit_callbacks):
    _, (row,) = send_queued(api, django_capture_on_commit_callbacks)
    ChannelVerification.objects.filter(pk=row.pk).update(claimed_at=timezone.now())
    assert_nothing_sent(run(row), outbox_file)


def test_task_retakes_a_claim_older_than_the_lease(api, outbox_file, settings, django_capture_on_commit_callbacks):
    _, (row,) = send_queued(api, django_capture_on_commit_callbacks)
    lease = settings.OTP["DELIVERY_LEASE_SECONDS"]
    ChannelVerification.objects.filter(pk=row.pk).update(claimed_at=timezone.now() - timedelta(seconds=lease + 1))
    assert run(row).delivery_status == "SENT"
    assert OutboxMessage.objects.count() == 1


def test_task_for_an_unknown_generation_sends_nothing(api, outbox_file, django_capture_on_commit_callbacks):
    _, (row,) = send_queued(api, django_capture_on_commit_callbacks)
    assert_nothing_sent(run(row, generation=2), outbox_file)


# --- closed sessions ----------------------------------------------------------------------------


def test_task_for_an_expired_session_sends_nothing(api, outbox_file, time_machine, django_capture_on_commit_callbacks):
    _, (row,) = send_queued(api, django_capture_on_commit_callbacks, expiry_minutes=1)
    time_machine.move_to(timezone.now() + timedelta(minutes=1, seconds=1))
    assert_nothing_sent(run(row), outbox_file)


def test_task_for_a_session_marked_expired_sends_nothing(api, outbox_file, django_capture_on_commit_callbacks):
    sent, (row,) = send_queued(api, django_capture_on_commit_callbacks)
    OTPSession.objects.filter(pk=sent["session_id"]).update(status="EXPIRED")
    assert_nothing_sent(run(row), outbox_file)


def test_task_for_a_cancelled_session_sends_nothing(api, outbox_file, django_capture_on_commit_callbacks):
    sent, (row,) = send_queued(api, django_capture_on_commit_callbacks)
    assert api.post(f"/api/v1/otp/sessions/{sent['session_id']}/cancel").status_code == 200
    assert_nothing_sent(run(row), outbox_file)


def test_task_for_a_verified_session_sends_nothing(api, outbox_file, django_capture_on_commit_callbacks):
    sent, (email, sms) = send_queued(
        api, django_capture_on_commit_callbacks, channels=["email", "sms"], verification_strategy="any"
    )
    run(email)
    code = outbox_code(outbox_lines(outbox_file)[0])
    verified = api.post("/api/v1/otp/verify", {"session_token": sent["session_token"], "otps": {"email": code}})
    assert verified.json()["status"] == "VERIFIED"
    run(sms)
    assert (sms.delivery_status, sms.code_hash) == ("QUEUED", "")
    assert OutboxMessage.objects.count() == 1


# --- what a successful delivery records ---------------------------------------------------------


def test_successful_delivery_records_the_send_and_the_outbox_code_verifies(
    api, outbox_file, django_capture_on_commit_callbacks
):
    sent, (row,) = send_queued(api, django_capture_on_commit_callbacks)
    run(row)
    message = OutboxMessage.objects.get()
    assert (row.delivery_status, row.provider) == ("SENT", "outbox")
    assert row.provider_message_id == f"outbox-{message.pk}"
    assert row.code_hash.startswith("$2b$")
    attempt = DeliveryAttempt.objects.get()
    assert (attempt.channel_row_id, attempt.generation, attempt.outcome) == (row.pk, 1, "sent")
    assert (attempt.provider, attempt.provider_message_id) == ("outbox", row.provider_message_id)

    (line,) = outbox_lines(outbox_file)
    assert (line["channel"], line["to"], line["session_id"]) == ("email", RECIPIENTS["email"], sent["session_id"])
    assert set(line) == {"channel", "to", "subject", "body", "html", "session_id", "created_at"}
    code = outbox_code(line)
    assert len(code) == 6 and code in line["html"]
    detail = api.get(f"/api/v1/otp/sessions/{sent['session_id']}").json()["data"]["channel_details"]["email"]
    assert (detail["delivery_status"], detail["provider_message_id"]) == ("SENT", row.provider_message_id)
    verified = api.post("/api/v1/otp/verify", {"session_token": sent["session_token"], "otps": {"email": code}})
    assert verified.status_code == 200, verified.json()
    assert verified.json()["status"] == "VERIFIED"


# --- no plain code at rest ----------------------------------------------------------------------

SCANNED_MODELS = [OTPSession, ChannelVerification, DeliveryAttempt, OutboxMessage, IdempotencyRecord]
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def stored_text():
    """Every text and JSON value of every row of the OTP tables, as strings."""
    for model in SCANNED_MODELS:
        fields = [f for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS)]
        for row in model.objects.all():
            for f in fields:
                value = getattr(row, f.attname)
                yield f"{model.__name__}.{f.name}", value if isinstance(value, str) else json.dumps(value)


def assert_codes_absent(codes):
    scanned = set()
    for where, text in stored_text():
        scanned.add(where.split(".")[0])
        for code in codes:
            assert code not in text, f"plain code found in {where}"
    return scanned


def test_no_plain_code_is_stored_after_a_live_send_and_delivery(api, outbox_file, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send(api, ["email", "sms", "whatsapp"], headers={"Idempotency-Key": "no-codes-live"}, otp_length=8)
    codes = [outbox_code(line) for line in outbox_lines(outbox_file)]
    assert len(codes) == 3 and all(len(code) == 8 for code in codes)
    assert assert_codes_absent(codes) == {model.__name__ for model in SCANNED_MODELS}


def test_no_plain_code_is_stored_after_a_sandbox_send_with_an_idempotency_key(sandbox_api):
    sent = send(sandbox_api, ["email", "sms"], headers={"Idempotency-Key": "no-codes-sandbox"}, otp_length=8)
    assert IdempotencyRecord.objects.count() == 1
    assert_codes_absent(list(sent["sandbox_otps"].values()))
