"""deliver_code with live providers: the real SDKs talk to the fakes; retries, failures, idempotency, logs."""
from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.core.cache import cache
from django.utils import timezone

from otp.delivery import attempt
from otp.models import ChannelVerification, DeliveryAttempt, OutboxMessage
from otp.tests.delivery_support import (
    RECIPIENTS,
    SMS_FROM,
    WHATSAPP_FROM,
    channel_details,
    leaked,
    run_as_worker,
    send,
    send_queued,
    sendgrid_code,
    twilio_code,
    verify,
)
from otpservice.logging import ScrubCodesFilter
from wallet.models import LedgerEntry

# fake_twilio, fake_sendgrid, live, published
pytestmark = pytest.mark.django_db

SDK_LOGGERS = ("twilio", "twilio.http_client", "sendgrid", "python_http_client", "urllib3")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()  # per-recipient limits would otherwise carry over between tests


def rows_of(sent: dict) -> dict[str, ChannelVerification]:
    return {row.channel: row for row in ChannelVerification.objects.filter(session_id=sent["session_id"])}


def outcomes(row: ChannelVerification) -> list[str]:
    return list(DeliveryAttempt.objects.filter(channel_row=row).order_by("pk").values_list("outcome", flat=True))


# --- live sends through the SDKs ----------------------------------------------------------------


def test_live_sms_reaches_fake_twilio_with_a_code_that_verifies(api, live, django_capture_on_commit_callbacks):
    sent = send(api, django_capture_on_commit_callbacks, ["sms"])

    (request,) = live.twilio.requests
    assert (request.form["To"], request.form["From"]) == (RECIPIENTS["sms"], SMS_FROM)
    row = rows_of(sent)["sms"]
    assert (row.delivery_status, row.provider) == ("SENT", "twilio_sms")
    assert row.provider_message_id == request.response_json["sid"]
    assert outcomes(row) == ["sent"]
    verified = verify(api, sent["session_token"], {"sms": twilio_code(request)})
    assert verified.status_code == 200, verified.json()
    assert verified.json()["status"] == "VERIFIED"


def test_live_email_reaches_fake_sendgrid_with_the_code_in_text_and_html(
    api, live, django_capture_on_commit_callbacks
):
    sent = send(api, django_capture_on_commit_callbacks, ["email"])

    (request,) = live.sendgrid.requests
    assert request.json["personalizations"][0]["to"] == [{"email": RECIPIENTS["email"]}]
    row = rows_of(sent)["email"]
    assert (row.delivery_status, row.provider) == ("SENT", "sendgrid")
    assert row.provider_message_id == request.response_headers["X-Message-Id"]
    verified = verify(api, sent["session_token"], {"email": sendgrid_code(request)})
    assert verified.json()["status"] == "VERIFIED"


def test_whatsapp_is_sent_between_whatsapp_addresses(api, live, django_capture_on_commit_callbacks):
    sent = send(api, django_capture_on_commit_callbacks, ["whatsapp"])

    (request,) = live.twilio.requests
    assert request.form["To"] == f"whatsapp:{RECIPIENTS['whatsapp']}"
    assert request.form["From"] == f"whatsapp:{WHATSAPP_FROM}"
    assert rows_of(sent)["whatsapp"].provider == "twilio_whatsapp"
    assert verify(api, sent["session_token"], {"whatsapp": twilio_code(request)}).json()["status"] == "VERIFIED"


def test_whatsapp_content_template_carries_the_code_as_a_variable(
    api, live, settings, django_capture_on_commit_callbacks
):
    settings.TWILIO_WHATSAPP_CONTENT_SID = "HX0123456789abcdef0123456789abcdef"
    settings.TWILIO_WHATSAPP_CONTENT_VARIABLES = {"1": "otp", "2": "expiry_minutes"}
    sent = send(api, django_capture_on_commit_callbacks, ["whatsapp"])

    (request,) = live.twilio.requests
    assert request.form["ContentSid"] == "HX0123456789abcdef0123456789abcdef"
    assert "Body" not in request.form
    variables = json.loads(request.form["ContentVariables"])
    assert variables["2"] == "10"
    verified = verify(api, sent["session_token"], {"whatsapp": variables["1"]})
    assert verified.json()["status"] == "VERIFIED"


@pytest.mark.parametrize(
    ("default", "by_channel"),
    [("outbox", {"sms": "live"}), ("live", {"email": "outbox"})],
    ids=["outbox-default-sms-live", "live-default-email-outbox"],
)
def test_per_channel_override_sends_sms_live_and_email_to_the_outbox(
    api, live, settings, django_capture_on_commit_callbacks, default, by_channel
):
    settings.OTP = {**settings.OTP, "DELIVERY": default, "DELIVERY_BY_CHANNEL": by_channel}
    sent = send(api, django_capture_on_commit_callbacks, ["email", "sms"])

    rows = rows_of(sent)
    assert (rows["sms"].provider, rows["email"].provider) == ("twilio_sms", "outbox")
    assert len(live.twilio.requests) == 1
    assert live.sendgrid.requests == []
    assert OutboxMessage.objects.get().channel == "email"


# --- retries and failures -----------------------------------------------------------------------


def test_a_500_then_201_is_delivered_after_one_retry(api, live, django_capture_on_commit_callbacks):
    live.twilio.enqueue("error", status=500)
    sent = send(api, django_capture_on_commit_callbacks, ["sms"])  # eager: the retry runs inline

    failed, delivered = live.twilio.requests
    assert (failed.response_status, delivered.response_status) == (500, 201)
    row = rows_of(sent)["sms"]
    assert (row.delivery_status, row.last_error) == ("SENT", "")
    assert row.provider_message_id == delivered.response_json["sid"]
    assert outcomes(row) == ["retry", "sent"]
    assert verify(api, sent["session_token"], {"sms": twilio_code(delivered)}).json()["status"] == "VERIFIED"


def test_invalid_number_fails_at_once_with_the_reason_in_the_session_api(
    api, live, django_capture_on_commit_callbacks
):
    live.twilio.enqueue("error", status=400, code=21211)
    sent = send(api, django_capture_on_commit_callbacks, ["sms"])

    assert len(live.twilio.requests) == 1  # permanent: no retry
    row = rows_of(sent)["sms"]
    assert (row.delivery_status, row.code_hash) == ("FAILED", "")
    attempt = DeliveryAttempt.objects.get(channel_row=row)
    assert attempt.outcome == "failed" and "21211" in attempt.error
    detail = channel_details(api, sent["session_id"])["sms"]
    assert detail["delivery_status"] == "FAILED"
    assert "21211" in detail["last_error"] and "invalid 'To' number" in detail["last_error"]


@pytest.mark.parametrize("max_tries", [3, 5])
def test_consecutive_503s_fail_after_exactly_delivery_max_tries(
    api, live, settings, django_capture_on_commit_callbacks, max_tries
):
    settings.OTP = {**settings.OTP, "DELIVERY_MAX_TRIES": max_tries}
    live.twilio.enqueue("error", status=503, times=max_tries + 2)
    sent = send(api, django_capture_on_commit_callbacks, ["sms"])

    assert len(live.twilio.requests) == max_tries
    row = rows_of(sent)["sms"]
    assert row.delivery_status == "FAILED"
    assert "HTTP 503" in row.last_error
    assert outcomes(row) == ["retry"] * (max_tries - 1) + ["failed"]


def test_final_failure_refunds_the_channel_once(api, account, live, django_capture_on_commit_callbacks):
    live.twilio.enqueue("error", status=400, code=21211)
    sent = send(api, django_capture_on_commit_callbacks, ["sms"])

    entries = LedgerEntry.objects.filter(session_id=sent["session_id"])
    charge = entries.get(kind="charge")
    refund = entries.get(kind="refund")
    assert refund.amount == -charge.amount and refund.channel == "sms"


def test_waiting_out_another_attempts_lease_does_not_use_up_delivery_max_tries(
    api, live, settings, published, django_capture_on_commit_callbacks
):
    # Tries are counted from the attempts recorded for this code, not from Celery's retry count,
    # which also counts the retries that only waited for another attempt's lease.
    settings.OTP = {**settings.OTP, "DELIVERY_MAX_TRIES": 2}
    live.twilio.enqueue("error", status=503)
    sent, _ = send_queued(api, django_capture_on_commit_callbacks, ["sms"])

    with pytest.raises(Retry):
        run_as_worker(rows_of(sent)["sms"], retries=4)  # four lease waits so far

    row = rows_of(sent)["sms"]
    assert (row.delivery_status, row.claimed_at) == ("QUEUED", None)  # released for the retry
    assert outcomes(row) == ["retry"]
    assert [call["retries"] for call in published] == [5]
    assert not LedgerEntry.objects.filter(kind="refund").exists()


# --- errors of our own: configuration, recording ------------------------------------------------


def assert_failed_for_good_and_refunded(api, sent: dict, channel: str, error: str) -> ChannelVerification:
    row = rows_of(sent)[channel]
    assert (row.delivery_status, row.code_hash) == ("FAILED", "")
    assert row.last_error.startswith("Delivery misconfigured: ") and error in row.last_error
    attempt = DeliveryAttempt.objects.get(channel_row=row)
    assert (attempt.outcome, attempt.error) == ("failed", row.last_error)
    detail = channel_details(api, sent["session_id"])[channel]
    assert (detail["delivery_status"], detail["last_error"]) == ("FAILED", row.last_error)
    kinds = LedgerEntry.objects.filter(session_id=sent["session_id"]).values_list("kind", flat=True)
    assert sorted(kinds) == ["charge", "refund"]
    return row


def test_a_provider_that_cannot_be_built_fails_the_channel_for_good_and_refunds_it(
    api, live, settings, django_capture_on_commit_callbacks
):
    settings.SENDGRID_API_KEY = ""  # SendGridEmailProvider raises ValueError
    sent = send(api, django_capture_on_commit_callbacks, ["email"])

    assert live.sendgrid.requests == []
    assert_failed_for_good_and_refunded(api, sent, "email", "ValueError: sendgrid: api_key and from_email are required")


def test_a_message_that_cannot_be_rendered_fails_for_good_without_the_code_in_the_error(
    api, live, monkeypatch, django_capture_on_commit_callbacks
):
    codes = []

    def broken_template(**kwargs):
        codes.append(kwargs["code"])
        raise KeyError(f"no variable 'otp_code' near {kwargs['code']}")

    monkeypatch.setattr(attempt, "message_for", broken_template)
    sent = send(api, django_capture_on_commit_callbacks, ["sms"])

    assert live.twilio.requests == []
    row = assert_failed_for_good_and_refunded(api, sent, "sms", "KeyError")
    assert leaked(codes, row.last_error) == []


# --- tasks that must send nothing ---------------------------------------------------------------


def test_task_for_an_expired_session_sends_nothing(api, live, time_machine, django_capture_on_commit_callbacks):
    sent, callbacks = send_queued(api, django_capture_on_commit_callbacks, ["sms"], expiry_minutes=1)
    time_machine.move_to(timezone.now() + timedelta(minutes=1, seconds=1))
    for callback in callbacks:
        callback()

    assert live.twilio.requests == []
    row = rows_of(sent)["sms"]
    assert (row.delivery_status, row.code_hash, row.claimed_at) == ("QUEUED", "", None)
    assert not DeliveryAttempt.objects.exists()


def test_duplicate_task_for_the_same_generation_sends_once(api, live, django_capture_on_commit_callbacks):
    sent, callbacks = send_queued(api, django_capture_on_commit_callbacks, ["sms"])
    for callback in callbacks * 3:  # the same task published three times
        callback()

    assert len(live.twilio.requests) == 1
    assert outcomes(rows_of(sent)["sms"]) == ["sent"]


# --- no plain code in logs ----------------------------------------------------------------------


def all_codes(live) -> set[str]:
    codes = {twilio_code(request) for request in live.twilio.requests}
    return codes | {sendgrid_code(request) for request in live.sendgrid.requests}


@contextmanager
def tapped_logs(*, debug: tuple[str, ...] = ()):
    """Record every root-bound log line raw (before any filter) and as the console handler writes it.

    The tap goes first among the root handlers: the console's ScrubCodesFilter rewrites records in
    place, so handlers after it (caplog included) would only ever see scrubbed text.
    """
    root = logging.getLogger()
    console = next(
        handler for handler in root.handlers if any(isinstance(item, ScrubCodesFilter) for item in handler.filters)
    )
    raw: list[str] = []
    written: list[str] = []

    class Tap(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            raw.append(f"{record.name} {record.getMessage()}")
            copy = logging.makeLogRecord(record.__dict__)
            if console.filter(copy):
                written.append(console.format(copy))

    previous = {name: logging.getLogger(name).level for name in debug}
    root.handlers.insert(0, Tap(level=logging.DEBUG))
    try:
        for name in debug:
            logging.getLogger(name).setLevel(logging.DEBUG)
        yield raw, written
    finally:
        root.handlers.pop(0)
        for name, level in previous.items():
            logging.getLogger(name).setLevel(level)


def test_no_log_record_carries_a_code_at_the_configured_levels(api, live, django_capture_on_commit_callbacks):
    # Raw records, before the console's scrub filter: the SDK logger levels from settings alone
    # keep codes out (python_http_client logs mail bodies at DEBUG, the Twilio SDK headers at INFO).
    live.twilio.enqueue("error", status=500)  # sms: a retry, then a success
    live.twilio.enqueue("error", status=400, code=21211)  # whatsapp: a final failure
    with tapped_logs(debug=("otp",)) as (raw, _):
        send(api, django_capture_on_commit_callbacks, ["sms", "whatsapp", "email"])

    codes = all_codes(live)
    assert len(live.twilio.requests) == 3 and codes
    assert any(line.startswith("otp.tasks") for line in raw)  # the failure was logged
    assert any(line.startswith("celery.app.trace") for line in raw)  # so did the task tracer
    assert leaked(codes, "\n".join(raw)) == []


def test_sdk_debug_records_carry_the_code_and_the_console_handler_scrubs_it(
    api, live, django_capture_on_commit_callbacks
):
    # A deployment that lowers the SDK loggers to DEBUG: the raw records do hold the code (so the
    # levels in settings matter), and the console handler's filter keeps it out of what it writes.
    with tapped_logs(debug=SDK_LOGGERS) as (raw, written):
        send(api, django_capture_on_commit_callbacks, ["sms", "email"])

    (email_code,) = {sendgrid_code(request) for request in live.sendgrid.requests}
    assert leaked({email_code}, "\n".join(raw)) == [email_code]  # python_http_client logs the mail body at DEBUG
    assert leaked(all_codes(live), "\n".join(written)) == []
