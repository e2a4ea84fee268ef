"""channel_sent_record against what happened meanwhile: duplicates, failures, refunds and their reversal."""
from datetime import timedelta

import pytest
from django.utils import timezone

from otp.delivery.base import SendResult
from otp.delivery.state import channel_delivery_report, channel_sent_record
from otp.housekeeping import housekeeping_run
from otp.models import ChannelVerification, DeliveryAttempt
from otp.tests.delivery_support import send, send_queued
from wallet.models import LedgerEntry

pytestmark = pytest.mark.django_db


def ledger(sent) -> list[tuple[str, int]]:
    return list(LedgerEntry.objects.filter(session_id=sent["session_id"]).order_by("pk").values_list("kind", "amount"))


def net(sent) -> int:
    return sum(amount for _, amount in ledger(sent))


def test_a_duplicate_late_record_after_a_reported_failure_changes_nothing(api, outbox_file, django_capture_on_commit_callbacks):
    sent = send(api, django_capture_on_commit_callbacks, ["email"])
    row = ChannelVerification.objects.get(session_id=sent["session_id"])
    assert row.delivery_status == "SENT"
    assert channel_delivery_report(provider_message_id=row.provider_message_id, state="FAILED", error="bounced")
    charge = ledger(sent)[0][1]
    assert net(sent) == 0

    # The record's retry ran again (its commit was lost, or the broker redelivered it).
    channel_sent_record(
        row_id=row.pk, generation=1, result=SendResult(provider=row.provider, message_id=row.provider_message_id), late=True
    )

    row.refresh_from_db()
    assert (row.delivery_status, row.last_error) == ("FAILED", "bounced")
    assert ledger(sent) == [("charge", charge), ("refund", -charge)]
    assert DeliveryAttempt.objects.filter(channel_row=row, outcome="sent").count() == 1


def test_a_message_recorded_late_then_reported_failed_is_refunded_again(
    api, settings, django_capture_on_commit_callbacks
):
    sent, _ = send_queued(api, django_capture_on_commit_callbacks, ["email"])  # the worker's record never landed
    row = ChannelVerification.objects.get(session_id=sent["session_id"])
    row.claimed_at = timezone.now()
    row.save(update_fields=["claimed_at"])
    assert api.post(f"/api/v1/otp/sessions/{sent['session_id']}/cancel").status_code == 200
    lease = settings.OTP["DELIVERY_LEASE_SECONDS"]
    assert housekeeping_run(now=timezone.now() + timedelta(seconds=lease + 1)).undelivered == 1
    assert net(sent) == 0  # judged never sent, refunded

    channel_sent_record(row_id=row.pk, generation=1, result=SendResult(provider="sendgrid", message_id="msg-1"), late=True)
    row.refresh_from_db()
    assert (row.delivery_status, row.provider_message_id) == ("SENT", "msg-1")
    charge = ledger(sent)[0][1]
    assert net(sent) == charge  # it had gone out: paid for after all

    # ... and then the provider reports it failed for good: refunded once more, and only once.
    assert channel_delivery_report(provider_message_id="msg-1", state="FAILED", error="dropped")
    assert not channel_delivery_report(provider_message_id="msg-1", state="FAILED", error="dropped")
    assert [kind for kind, _ in ledger(sent)] == ["charge", "refund", "charge", "refund"]
    assert net(sent) == 0


def test_a_timely_record_that_finds_the_channel_failed_as_never_sent_marks_it_sent(
    api, settings, django_capture_on_commit_callbacks
):
    sent, _ = send_queued(api, django_capture_on_commit_callbacks, ["email"])
    row = ChannelVerification.objects.get(session_id=sent["session_id"])
    assert api.post(f"/api/v1/otp/sessions/{sent['session_id']}/cancel").status_code == 200
    housekeeping_run(now=timezone.now())

    channel_sent_record(row_id=row.pk, generation=1, result=SendResult(provider="sendgrid", message_id="msg-2"))

    row.refresh_from_db()
    assert (row.delivery_status, row.provider_message_id) == ("SENT", "msg-2")  # later reports find it
    assert net(sent) == ledger(sent)[0][1]
