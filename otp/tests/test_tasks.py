"""The delivery task: atomic claim, stale and closed sessions, what success records, no plain codes."""
import json
import re
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.db import models
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from otp.delivery import attempt as delivery_attempt
from otp.delivery.state import SUPERSEDED_REASON
from otp.housekeeping import housekeeping_run
from otp.models import ChannelVerification, DeliveryAttempt, IdempotencyRecord, OTPSession, OutboxMessage
from otp.tasks import deliver_code
from otp.tests.delivery_support import run_as_worker
from wallet.models import LedgerEntry

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


def test_task_meeting_a_fresh_claim_retries_when_the_lease_ends_instead_of_acking(
    api, outbox_file, settings, published, time_machine, django_capture_on_commit_callbacks
):
    # A worker child died mid-send and Celery requeued the message at once (reject on worker lost):
    # the redelivered task meets the dead attempt's claim. Returning would ack and lose the message.
    time_machine.move_to(timezone.now(), tick=False)
    _, (row,) = send_queued(api, django_capture_on_commit_callbacks)
    lease = settings.OTP["DELIVERY_LEASE_SECONDS"]
    claimed_at = timezone.now() - timedelta(seconds=30)
    ChannelVerification.objects.filter(pk=row.pk).update(claimed_at=claimed_at)

    with pytest.raises(Retry) as retry:
        run_as_worker(row)

    assert retry.value.when == lease - 30 + delivery_attempt.LEASE_MARGIN_SECONDS
    (again,) = published
    assert again["kwargs"] == {"channel_row_id": row.pk, "generation": 1}
    assert (again["countdown"], again["retries"], again["queue"]) == (retry.value.when, 1, "otp.email")
    row.refresh_from_db()
    assert row.claimed_at == claimed_at  # the claimant keeps its row
    assert OutboxMessage.objects.count() == 0


@pytest.mark.parametrize("stale", ["other generation", "already sent", "session over"])
def test_task_that_finds_nothing_left_to_send_returns_without_a_retry(
    api, outbox_file, published, django_capture_on_commit_callbacks, stale
):
    sent, (row,) = send_queued(api, django_capture_on_commit_callbacks)
    generation = 2 if stale == "other generation" else 1
    if stale == "already sent":
        run(row)
    if stale == "session over":
        OTPSession.objects.filter(pk=sent["session_id"]).update(status="CANCELLED")
    ChannelVerification.objects.filter(pk=row.pk).update(claimed_at=timezone.now())

    assert run_as_worker(row, generation=generation) is None
    assert published == []


def test_a_task_whose_generation_a_resend_replaced_before_sending_refunds_it(
    api, outbox_file, settings, monkeypatch, django_capture_on_commit_callbacks
):
    # The resend leaves a freshly claimed row to its task (it may be mid-send); this task loses its
    # generation before sending anything, so it refunds that generation itself.
    settings.OTP = {**settings.OTP, "RESEND_COOLDOWN_SECONDS": 0}
    sent, (row,) = send_queued(api, django_capture_on_commit_callbacks)
    hash_code = delivery_attempt.hash_code

    def hash_while_a_resend_lands(**kwargs):
        with django_capture_on_commit_callbacks(execute=False):
            response = api.post("/api/v1/otp/resend", {"session_token": sent["session_token"]})
        assert response.status_code == 200, response.json()
        return hash_code(**kwargs)

    monkeypatch.setattr(delivery_attempt, "hash_code", hash_while_a_resend_lands)
    run(row)

    assert (row.generation, row.delivery_status, row.code_hash) == (2, "QUEUED", "")
    assert OutboxMessage.objects.count() == 0
    entries = LedgerEntry.objects.filter(session_id=sent["session_id"]).order_by("pk")
    assert [(e.kind, e.idempotency_key.rsplit(":", 1)[1]) for e in entries] == [
        ("charge", "1"), ("charge", "2"), ("refund", "1")
    ]
    attempt = DeliveryAttempt.objects.get()
    assert (attempt.generation, attempt.outcome, attempt.error) == (1, "failed", SUPERSEDED_REASON)


class _FailsWhileAResendLands:
    """A provider that, mid-call, sees a resend replace the code, then answers 503."""

    name = "flaky"

    def __init__(self, api, token, capture):
        self.api, self.token, self.capture = api, token, capture

    def send(self, message):
        from otp.delivery.base import TransientDeliveryError

        with self.capture(execute=False):
            response = self.api.post("/api/v1/otp/resend", {"session_token": self.token})
        assert response.status_code == 200, response.json()
        raise TransientDeliveryError("HTTP 503", status=503)


def _generations(entries):
    return [(e.kind, e.idempotency_key.rsplit(":", 1)[1]) for e in entries]


def test_a_transient_failure_after_a_resend_replaced_the_code_refunds_it_without_retrying(
    api, settings, monkeypatch, django_capture_on_commit_callbacks, published
):
    settings.OTP = {**settings.OTP, "RESEND_COOLDOWN_SECONDS": 0}
    sent, (row,) = send_queued(api, django_capture_on_commit_callbacks)
    provider = _FailsWhileAResendLands(api, sent["session_token"], django_capture_on_commit_callbacks)
    monkeypatch.setattr(delivery_attempt, "provider_for", lambda channel: provider)

    run_as_worker(row)  # no Retry raised: nothing left to send for generation 1

    assert published == []
    entries = LedgerEntry.objects.filter(session_id=sent["session_id"]).order_by("pk")
    assert _generations(entries) == [("charge", "1"), ("charge", "2"), ("refund", "1")]
    row.refresh_from_db()
    assert (row.generation, row.delivery_status) == (2, "QUEUED")


def test_a_comeback_after_a_dead_attempt_refunds_a_generation_a_resend_replaced(
    api, settings, django_capture_on_commit_callbacks
):
    # A worker child died holding a fresh claim; the user resent inside the lease (the resend
    # leaves a fresh claim's refund to its task); the requeued task comes back to a replaced code.
    settings.OTP = {**settings.OTP, "RESEND_COOLDOWN_SECONDS": 0}
    sent, (row,) = send_queued(api, django_capture_on_commit_callbacks)
    ChannelVerification.objects.filter(pk=row.pk).update(claimed_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=False):
        assert api.post("/api/v1/otp/resend", {"session_token": sent["session_token"]}).status_code == 200
    assert not LedgerEntry.objects.filter(kind="refund").exists()

    run_as_worker(row, generation=1)
    run_as_worker(row, generation=1)  # a second comeback refunds nothing more

    entries = LedgerEntry.objects.filter(session_id=sent["session_id"]).order_by("pk")
    assert _generations(entries) == [("charge", "1"), ("charge", "2"), ("refund", "1")]
    assert DeliveryAttempt.objects.filter(generation=1, error=SUPERSEDED_REASON).count() == 1


def test_task_retakes_a_claim_older_than_the_lease(api, outbox_file, settings, django_capture_on_commit_callbacks):
    _, (row,) = send_queued(api, django_capture_on_commit_callbacks)
    lease = settings.OTP["DELIVERY_LEASE_SECONDS"]
    ChannelVerification.objects.filter(pk=row.pk).update(claimed_at=timezone.now() - timedelta(seconds=lease + 1))
    assert run(row).delivery_status == "SENT"
    assert OutboxMessage.objects.count() == 1


def test_task_for_an_unknown_generation_sends_nothing(api, outbox_file, django_capture_on_commit_callbacks):
    _, (row,) = send_queued(api, django_capture_on_commit_callbacks)
    assert_nothing_sent(run(row, generation=2), outbox_file)


# --- publishing ---------------------------------------------------------------------------------


def test_a_publish_that_fails_after_commit_is_logged_and_housekeeping_refunds_the_channel(
    api, account, monkeypatch, caplog, time_machine, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(deliver_code, "apply_async", broker_down)
    # In a test the callbacks run when this block exits; in a request, right after the commit,
    # before the response: a callback that raised there would turn a charged session into a 500.
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/otp/send", {"channels": ["sms"], "recipients": {"sms": RECIPIENTS["sms"]}})
    assert response.status_code == 200, response.json()
    assert "Could not queue delivery of channel row" in caplog.text
    row = ChannelVerification.objects.get(session_id=response.json()["session_id"])
    assert row.delivery_status == "QUEUED"

    time_machine.move_to(timezone.now() + timedelta(minutes=10, seconds=1))
    assert housekeeping_run(now=timezone.now()).undelivered == 1

    row.refresh_from_db()
    assert (row.delivery_status, row.last_error) == ("FAILED", "Not delivered before the session ended")
    entries = LedgerEntry.objects.filter(session_id=row.session_id)
    assert sorted(entries.values_list("kind", flat=True)) == ["charge", "refund"]
    assert sum(entries.values_list("amount", flat=True)) == 0


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
