"""Delivery to a real receiver on loopback: signatures checked independently, retries with the same
webhook-id, no redirects, timeouts, the schedule, rotation grace, and refusals at delivery time."""
from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from events.models import MAX_ATTEMPTS, RETRY_SCHEDULE, DeliveryStatus, WebhookDelivery
from events.services import (
    deliveries_sweep,
    delivery_run,
    event_emit,
    retry_delay,
    webhook_create,
    webhook_secret_rotate,
    webhook_update,
)
from events.types import EventType

from .conftest import SESSION_DATA
from .receiver import signature_valid

pytestmark = pytest.mark.django_db


def emit(account, type=EventType.CHANNEL_SENT, data=SESSION_DATA, now=None):
    with transaction.atomic():
        event = event_emit(account_id=account.pk, type=type, data=data, now=now)
    return event, list(WebhookDelivery.objects.filter(event=event))


def test_a_delivery_is_signed_as_standard_webhooks_and_carries_the_event(account, endpoint, receiver):
    event, [delivery] = emit(account)
    outcome = delivery_run(delivery_id=delivery.pk)
    assert outcome.status == DeliveryStatus.SUCCEEDED
    [request] = receiver.requests
    assert request.headers["webhook-id"] == event.public_id == f"evt_{event.id.hex}"
    assert signature_valid(secret=endpoint.secret, headers=request.headers, body=request.body)
    assert request.headers["content-type"] == "application/json"
    assert request.headers["host"] == f"127.0.0.1:{receiver.port}"
    body = json.loads(request.body)
    assert list(body) == ["id", "type", "created_at", "data"]
    assert body["id"] == event.public_id and body["type"] == "channel.sent"
    assert body["created_at"].endswith("Z")
    assert body["data"] == {**SESSION_DATA}
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_response_code, delivery.next_attempt_at) == (1, 200, None)


def test_a_wrong_secret_does_not_verify(account, endpoint, receiver):
    _, [delivery] = emit(account)
    delivery_run(delivery_id=delivery.pk)
    other = webhook_create(account=account, url=receiver.url("/other"), events=["channel.sent"]).secret
    assert not signature_valid(secret=other, headers=receiver.requests[0].headers, body=receiver.requests[0].body)
    tampered = receiver.requests[0].body.replace(b"PENDING", b"VERIFIED")
    assert not signature_valid(secret=endpoint.secret, headers=receiver.requests[0].headers, body=tampered)


def test_500s_are_retried_on_the_schedule_with_the_same_webhook_id(account, endpoint, receiver):
    receiver.statuses = [500, 503]
    event, [delivery] = emit(account)
    now = timezone.now()
    first = delivery_run(delivery_id=delivery.pk, now=now)
    assert first.status == DeliveryStatus.PENDING and 4.5 <= first.retry_in <= 5.5
    # Not due yet: a duplicate task does nothing.
    assert delivery_run(delivery_id=delivery.pk, now=now + timedelta(seconds=1)) is None
    delivery.refresh_from_db()
    second = delivery_run(delivery_id=delivery.pk, now=delivery.next_attempt_at)
    assert second.status == DeliveryStatus.PENDING and 270 <= second.retry_in <= 330
    delivery.refresh_from_db()
    third = delivery_run(delivery_id=delivery.pk, now=delivery.next_attempt_at)
    assert third.status == DeliveryStatus.SUCCEEDED
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert ids == {event.public_id} and len(receiver.requests) == 3
    assert all(signature_valid(secret=endpoint.secret, headers=r.headers, body=r.body) for r in receiver.requests)
    assert len({r.headers["webhook-timestamp"] for r in receiver.requests}) == 3  # a fresh timestamp per try
    attempts = list(delivery.attempt_log.order_by("number"))
    assert [(a.number, a.response_code) for a in attempts] == [(1, 500), (2, 503), (3, 200)]
    assert attempts[0].error == "HTTP 500" and "\x00" not in attempts[0].response_body
    assert attempts[0].address == "127.0.0.1"


def test_the_schedule_ends_in_failed_after_every_retry(account, endpoint, receiver):
    receiver.statuses = [500] * MAX_ATTEMPTS
    _, [delivery] = emit(account)
    now = timezone.now()
    waits = []
    for _ in range(MAX_ATTEMPTS):
        outcome = delivery_run(delivery_id=delivery.pk, now=now)
        delivery.refresh_from_db()
        if outcome.retry_in is not None:
            waits.append(outcome.retry_in)
            now = delivery.next_attempt_at
    assert outcome.status == DeliveryStatus.FAILED and delivery.next_attempt_at is None
    assert delivery.attempts == MAX_ATTEMPTS == len(receiver.requests) == 10
    assert all(0.9 * step <= wait <= 1.1 * step + 1 for wait, step in zip(waits, RETRY_SCHEDULE, strict=True))
    assert delivery_run(delivery_id=delivery.pk, now=now + timedelta(days=2)) is None


def test_retry_delay_follows_the_design_schedule_with_ten_percent_jitter():
    assert RETRY_SCHEDULE == (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
    assert [retry_delay(n, uniform=lambda a, b: a) for n in (1, 9)] == [4.5, 0.9 * 86400]
    assert [retry_delay(n, uniform=lambda a, b: b) for n in (1, 2)] == [5.5, 330.0]


def test_redirects_are_not_followed_and_count_as_a_failure(account, receiver):
    webhook_create(account=account, url=receiver.url("/redirect"), events=["channel.sent"])
    _, [delivery] = emit(account)
    outcome = delivery_run(delivery_id=delivery.pk)
    assert outcome.status == DeliveryStatus.PENDING
    assert [r.path for r in receiver.requests] == ["/redirect"]  # /landing never asked
    delivery.refresh_from_db()
    assert (delivery.last_response_code, delivery.last_error) == (302, "HTTP 302")


def test_a_slow_receiver_times_out_and_is_retried(account, receiver, settings):
    settings.OTP_WEBHOOKS_TIMEOUT_SECONDS = 0.3
    receiver.delay = 1.5
    webhook_create(account=account, url=receiver.url("/slow"), events=["channel.sent"])
    _, [delivery] = emit(account)
    outcome = delivery_run(delivery_id=delivery.pk)
    assert outcome.status == DeliveryStatus.PENDING and outcome.retry_in is not None
    attempt = delivery.attempt_log.get()
    assert attempt.response_code is None and attempt.error.startswith("timeout")
    assert attempt.duration_ms < 1400


def test_a_refused_connection_is_retried(account):
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    webhook_create(account=account, url=f"http://127.0.0.1:{port}/hook", events=["channel.sent"])
    _, [delivery] = emit(account)
    outcome = delivery_run(delivery_id=delivery.pk)
    assert outcome.status == DeliveryStatus.PENDING
    assert delivery.attempt_log.get().error.startswith("connection")


def test_an_address_refused_at_delivery_fails_without_a_request(account, endpoint, receiver, settings):
    # Saved while allowed; production rules at delivery time (as after a DNS change) refuse it.
    _, [delivery] = emit(account)
    settings.OTP_WEBHOOKS_ALLOW_PRIVATE = False
    outcome = delivery_run(delivery_id=delivery.pk)
    assert outcome.status == DeliveryStatus.FAILED
    assert receiver.requests == []
    assert "must use https" in delivery.attempt_log.get().error


def test_a_disabled_endpoint_is_not_called(account, endpoint, receiver):
    _, [delivery] = emit(account)
    webhook_update(account=account, endpoint_id=endpoint.endpoint.pk, fields={"is_active": False})
    assert delivery_run(delivery_id=delivery.pk).status == DeliveryStatus.FAILED
    assert receiver.requests == []


def test_rotation_signs_with_both_secrets_during_the_grace_then_only_the_new(account, endpoint, receiver, settings):
    settings.OTP_WEBHOOKS_SECRET_GRACE_SECONDS = 3600
    now = timezone.now()
    new = webhook_secret_rotate(account=account, endpoint_id=endpoint.endpoint.pk, now=now).secret
    assert new != endpoint.secret and new.startswith("whsec_")
    _, [during] = emit(account, now=now)
    delivery_run(delivery_id=during.pk, now=now)
    request = receiver.requests[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert signature_valid(secret=new, headers=request.headers, body=request.body)
    assert signature_valid(secret=endpoint.secret, headers=request.headers, body=request.body)
    later = now + timedelta(hours=2)
    _, [after] = emit(account, now=later)
    delivery_run(delivery_id=after.pk, now=later)
    request = receiver.requests[-1]
    assert signature_valid(secret=new, headers=request.headers, body=request.body)
    assert not signature_valid(secret=endpoint.secret, headers=request.headers, body=request.body)


def test_a_claimed_delivery_is_not_taken_twice_until_its_lease_lapses(account, endpoint, receiver):
    _, [delivery] = emit(account)
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_at=now, attempts=1)  # a try in flight
    assert delivery_run(delivery_id=delivery.pk, now=now + timedelta(seconds=30)) is None
    assert delivery_run(delivery_id=delivery.pk, now=now + timedelta(seconds=61)).status == DeliveryStatus.SUCCEEDED
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get(pk=delivery.pk).attempts == 2


def test_the_sweep_delivers_what_was_never_queued_and_fails_crashed_last_tries(
    account, endpoint, receiver, django_capture_on_commit_callbacks
):
    now = timezone.now()
    _, [lost] = emit(account, now=now)  # as if the broker was down when it committed
    _, [crashed] = emit(account, now=now)
    WebhookDelivery.objects.filter(pk=crashed.pk).update(attempts=MAX_ATTEMPTS, claimed_at=now)
    with django_capture_on_commit_callbacks(execute=True):
        early = deliveries_sweep(now=now + timedelta(minutes=1))
    assert (early.queued, early.failed) == (0, 0)  # its task may still be on its way
    with django_capture_on_commit_callbacks(execute=True):
        result = deliveries_sweep(now=now + timedelta(minutes=6))
    assert (result.queued, result.failed) == (1, 1)
    assert WebhookDelivery.objects.get(pk=lost.pk).status == DeliveryStatus.SUCCEEDED  # eager: delivered at once
    assert WebhookDelivery.objects.get(pk=crashed.pk).status == DeliveryStatus.FAILED
    assert len(receiver.requests) == 1


def test_the_sweep_publishes_a_long_retry_when_it_is_due(account, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.statuses = [500, 500]
    _, [delivery] = emit(account)
    now = timezone.now()
    delivery_run(delivery_id=delivery.pk, now=now)
    delivery.refresh_from_db()
    delivery_run(delivery_id=delivery.pk, now=delivery.next_attempt_at)  # second failure: ~5 min, sweep's job
    delivery.refresh_from_db()
    assert delivery.queued_at is None
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_sweep(now=delivery.next_attempt_at - timedelta(seconds=10)).queued == 0
    # The sweep runs in real time; move the due time to now so the eager task finds it due.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_sweep().queued == 1
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.SUCCEEDED
    assert len(receiver.requests) == 3


def test_the_sweep_purges_events_past_retention(account, endpoint, settings):
    settings.OTP_WEBHOOKS_RETENTION_DAYS = 30
    now = timezone.now()
    emit(account, now=now - timedelta(days=31))
    emit(account, now=now - timedelta(days=29))
    assert deliveries_sweep(now=now).purged == 1
    assert WebhookDelivery.objects.count() == 1


def test_an_unreadable_secret_is_recorded_as_a_failed_try_and_retried(account, endpoint, receiver, settings):
    from cryptography.fernet import Fernet

    _, [delivery] = emit(account)
    settings.OTP_WEBHOOKS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the key that sealed it is gone
    outcome = delivery_run(delivery_id=delivery.pk)
    assert outcome.status == DeliveryStatus.PENDING and outcome.retry_in is not None
    assert delivery.attempt_log.get().error == "internal error (InvalidToken)"
    assert receiver.requests == []
