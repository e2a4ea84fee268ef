"""End to end: API send -> Redis -> a real `celery worker` process -> fake provider -> verify, crashes included."""
from __future__ import annotations

import json
import os
import signal
import time
from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.utils import timezone

from otp.models import ChannelVerification, DeliveryAttempt
from otp.tests.delivery_support import (
    AUTH_TOKEN,
    RECIPIENTS,
    SEND,
    TWILIO_STATUS,
    channel_details,
    leaked,
    send_body,
    sendgrid_code,
    twilio_code,
    verify,
)
from otp.tests.fakes import twilio_signature
from otp.tests.worker_support import (
    PUBLIC_BASE_URL,
    VISIBILITY_TIMEOUT,
    celery_published_to,
    queued_messages,
    wait_for,
    workers_fixture,
)
from wallet.models import LedgerEntry

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),  # the worker must see committed rows; on_commit must fire
]

QUEUE_OF = {"email": "otp.email", "sms": "otp.sms", "whatsapp": "otp.whatsapp"}
DELIVERY_TIMEOUT = 30
HANG_SECONDS = 90  # longer than the whole test: the hung request is never answered


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def broker(redis_url):
    with celery_published_to(redis_url) as client:
        yield client


@pytest.fixture
def workers(broker, redis_url, fake_twilio, fake_sendgrid, tmp_path):
    yield from workers_fixture(redis_url=redis_url, twilio=fake_twilio, sendgrid=fake_sendgrid, tmp_path=tmp_path)


@pytest.fixture
def callbacks_signed(settings):
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL


def post_send(api, channels) -> dict:
    response = api.post(SEND, send_body(channels))
    assert response.status_code == 200, response.json()
    return response.json()


def row_of(sent: dict, channel: str) -> ChannelVerification:
    return ChannelVerification.objects.get(session_id=sent["session_id"], channel=channel)


def wait_status(sent: dict, channel: str, status: str, workers) -> ChannelVerification:
    def reached():
        row = row_of(sent, channel)
        return row if row.delivery_status == status else None

    return wait_for(reached, timeout=DELIVERY_TIMEOUT, what=f"{channel} to be {status}", logs=workers.output)


def outcomes(row: ChannelVerification) -> list[str]:
    return list(DeliveryAttempt.objects.filter(channel_row=row).order_by("pk").values_list("outcome", flat=True))


def test_send_is_delivered_by_the_worker_its_codes_verify_and_a_signed_callback_marks_delivered(
    api, client, workers, fake_twilio, fake_sendgrid, callbacks_signed
):
    worker = workers.start()
    sent = post_send(api, ["email", "sms"])

    sms = wait_status(sent, "sms", "SENT", workers)
    wait_status(sent, "email", "SENT", workers)
    (sms_request,) = fake_twilio.requests
    (email_request,) = fake_sendgrid.requests
    assert sms_request.form["To"] == RECIPIENTS["sms"]
    assert sms.provider_message_id == sms_request.response_json["sid"]
    codes = {"sms": twilio_code(sms_request), "email": sendgrid_code(email_request)}
    verified = verify(api, sent["session_token"], codes)
    assert verified.status_code == 200, verified.json()
    assert verified.json()["status"] == "VERIFIED"

    # Twilio calls back the URL the worker gave it, signed over exactly that URL.
    callback_url = sms_request.form["StatusCallback"]
    assert callback_url == f"{PUBLIC_BASE_URL}{TWILIO_STATUS}"
    params = {"MessageSid": sms.provider_message_id, "MessageStatus": "delivered", "AccountSid": "AC1"}
    signature = twilio_signature(auth_token=AUTH_TOKEN, url=callback_url, params=params)
    response = client.post(
        TWILIO_STATUS, urlencode(params), content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 200
    assert channel_details(api, sent["session_id"])["sms"]["delivery_status"] == "DELIVERED"
    assert leaked(codes.values(), worker.output()) == []  # no code in the worker's log


def test_provider_5xx_is_retried_by_the_worker_then_delivered(api, workers, fake_twilio):
    fake_twilio.enqueue("error", status=503)
    workers.start()
    sent = post_send(api, ["sms"])

    row = wait_status(sent, "sms", "SENT", workers)
    failed, delivered = fake_twilio.requests
    assert (failed.response_status, delivered.response_status) == (503, 201)
    assert row.provider_message_id == delivered.response_json["sid"]
    assert outcomes(row) == ["retry", "sent"]
    assert verify(api, sent["session_token"], {"sms": twilio_code(delivered)}).json()["status"] == "VERIFIED"


def test_permanent_4xx_marks_the_channel_failed_at_once_and_refunds_it(api, workers, fake_twilio):
    fake_twilio.enqueue("error", status=400, code=21211)
    workers.start()
    sent = post_send(api, ["sms"])

    row = wait_status(sent, "sms", "FAILED", workers)
    assert len(fake_twilio.requests) == 1
    assert outcomes(row) == ["failed"]
    assert "21211" in channel_details(api, sent["session_id"])["sms"]["last_error"]
    entries = LedgerEntry.objects.filter(session_id=sent["session_id"])
    assert sorted(entries.values_list("kind", flat=True)) == ["charge", "refund"]


def test_killing_the_worker_mid_send_loses_no_message_and_sends_none_twice(api, workers, broker, fake_twilio):
    # acks_late keeps the message unacknowledged in Redis while the first worker is inside the
    # provider call; SIGKILL of its whole process group acknowledges nothing. After the visibility
    # timeout the transport hands the message out again (a new worker restores it at start-up),
    # and the claim lease (shorter than that timeout) lets the redelivered task take the row.
    fake_twilio.enqueue("hang", seconds=HANG_SECONDS)
    first = workers.start()
    sent = post_send(api, ["sms"])

    wait_for(lambda: fake_twilio.requests, timeout=DELIVERY_TIMEOUT, what="the first request", logs=workers.output)
    in_flight_since = time.monotonic()
    row = row_of(sent, "sms")
    assert (row.delivery_status, row.claimed_at is not None) == ("QUEUED", True)
    first.kill()
    assert broker.hlen("unacked") == 1  # not lost: held for redelivery

    time.sleep(max(0.0, in_flight_since + VISIBILITY_TIMEOUT + 0.5 - time.monotonic()))
    workers.start()
    row = wait_status(sent, "sms", "SENT", workers)

    # The fake records a request when it arrives; the first one hung and its worker died before any
    # answer, so the only message that reached the provider with a 2xx answer is the second.
    hung, answered = fake_twilio.requests
    assert answered.response_status == 201
    assert row.provider_message_id == answered.response_json["sid"] != hung.response_json["sid"]
    assert outcomes(row) == ["sent"]
    assert verify(api, sent["session_token"], {"sms": twilio_code(answered)}).json()["status"] == "VERIFIED"
    wait_for(lambda: broker.hlen("unacked") == 0, timeout=5, what="the ack", logs=workers.output)
    time.sleep(1)
    assert len(fake_twilio.requests) == 2
    assert broker.llen("otp.sms") == 0


def test_a_pool_child_killed_mid_send_is_requeued_at_once_and_the_message_still_goes_out(
    api, workers, broker, fake_twilio
):
    # Only the pool child dies; the main process sees the worker lost and, with
    # task_reject_on_worker_lost, requeues the message at once. The redelivered task meets the dead
    # child's claim, still inside its lease: it must come back when the lease ends (a retry with a
    # countdown), not return and be acked, which would leave the channel QUEUED for good.
    fake_twilio.enqueue("hang", seconds=HANG_SECONDS)
    worker = workers.start()
    sent = post_send(api, ["sms"])

    wait_for(lambda: fake_twilio.requests, timeout=DELIVERY_TIMEOUT, what="the first request", logs=workers.output)
    (child,) = worker.pool_children()
    os.kill(child, signal.SIGKILL)

    row = wait_status(sent, "sms", "SENT", workers)
    hung, answered = fake_twilio.requests
    assert answered.response_status == 201
    assert row.provider_message_id == answered.response_json["sid"]
    assert outcomes(row) == ["sent"]
    # The child really died mid-task. Whether the requeued task then waited out the claim ("Retry
    # in …") depends on how fast the requeue came back (inside or after the 2 s lease); either way
    # it must not have been acked while the claim was fresh, or the channel would still be QUEUED.
    wait_for(lambda: "WorkerLostError" in worker.output(), timeout=5, what="the lost worker", logs=workers.output)
    assert verify(api, sent["session_token"], {"sms": twilio_code(answered)}).json()["status"] == "VERIFIED"
    wait_for(lambda: broker.hlen("unacked") == 0, timeout=5, what="the ack", logs=workers.output)
    assert len(fake_twilio.requests) == 2


def test_broker_messages_carry_only_ids(api, workers, broker, fake_twilio, fake_sendgrid):
    sent = post_send(api, ["email", "sms", "whatsapp"])  # no worker yet: the tasks wait in Redis
    sent_at = timezone.now()

    for channel, queue in QUEUE_OF.items():
        row = row_of(sent, channel)
        assert row.code_hash == ""  # the code does not exist before a worker takes the task
        (message,) = queued_messages(broker, queue)
        args, kwargs, _ = message["decoded_body"]
        assert (args, kwargs) == ([], {"channel_row_id": row.pk, "generation": 1})
        headers = message["headers"]
        assert headers["task"] == "otp.deliver_code"
        assert (headers["argsrepr"], headers["kwargsrepr"]) == ("()", repr(kwargs))
        expires = datetime.fromisoformat(headers["expires"])
        assert abs(expires - (sent_at + timedelta(minutes=10))) < timedelta(seconds=30)
        readable = message["raw"] + json.dumps(message["decoded_body"])
        for private in (*RECIPIENTS.values(), row.recipient, "your", "code is", "expires in"):
            assert private.lower() not in readable.lower()

    workers.start()
    for channel in QUEUE_OF:
        wait_status(sent, channel, "SENT", workers)
    assert len(fake_twilio.requests) == 2 and len(fake_sendgrid.requests) == 1
    assert all(broker.llen(queue) == 0 for queue in QUEUE_OF.values())
