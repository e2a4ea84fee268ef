"""The delivery state machine: claim a due delivery, POST it signed, record the try, schedule the next.

Every change of a delivery's state is one conditional UPDATE: a redelivered or duplicate task finds
nothing to claim and does nothing, and an outcome is recorded only under the claim that made it.
"""
from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from otpservice.errors import DATABASE_UNAVAILABLE

from ..conf import webhook_setting
from ..enqueue import deliveries_enqueue
from ..exceptions import WebhookUrlInvalid
from ..models import MAX_ATTEMPTS, RETRY_SCHEDULE, DeliveryAttempt, DeliveryStatus, Event, WebhookDelivery
from ..signing import event_body, signature_headers
from ..target import url_check
from ..transport import Answer, post
from .endpoints import endpoint_secrets

# A try holds its claim this long at most (the POST is bounded by OTP_WEBHOOKS_TIMEOUT_SECONDS);
# a claim older than this is a crashed worker's, and the delivery may be taken again.
LEASE = timedelta(seconds=60)
# Retries due within this ride Celery's countdown; later ones are published by the sweep when due
# (a long countdown would sit in a worker's memory and, on Redis, come back after the visibility timeout).
COUNTDOWN_MAX_SECONDS = 60
# A task published this long ago whose delivery is still due was lost (broker down at publish time).
REQUEUE_AFTER = timedelta(minutes=5)
SWEEP_BATCH = 500
logger = logging.getLogger("events.delivery")
EARLY_TOLERANCE = timedelta(seconds=1)  # a countdown may fire a little before next_attempt_at


@dataclass(frozen=True)
class Outcome:
    status: str
    attempts: int
    retry_in: float | None = None  # seconds to the next try, when one is scheduled


def retry_delay(attempts: int, *, uniform: Callable[[float, float], float] = random.uniform) -> float:
    """The wait after try `attempts` fails: the §9 schedule, each step jittered by ±10 % so the
    retries of one outage do not all arrive together."""
    return RETRY_SCHEDULE[attempts - 1] * uniform(0.9, 1.1)


def _due(now: datetime):
    return WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now + EARLY_TOLERANCE)


def _unclaimed(now: datetime) -> Q:
    return Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - LEASE)


def delivery_claim(*, delivery_id, now: datetime) -> WebhookDelivery | None:
    """Take a due delivery for one try (counting it), or None when it is not due, done or taken."""
    claimable = _due(now).filter(_unclaimed(now), pk=delivery_id, attempts__lt=MAX_ATTEMPTS)
    if not claimable.update(claimed_at=now, attempts=F("attempts") + 1, last_attempt_at=now, updated_at=now):
        return None
    return WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery_id)


def _clean(text: str, limit: int) -> str:
    # PostgreSQL text cannot hold NUL; a receiver's answer is anything.
    return text.replace("\x00", "\ufffd")[:limit]


def delivery_record(
    *, delivery: WebhookDelivery, started: datetime, answer: Answer, address: str | None, retry: bool
) -> Outcome | None:
    """Log the try and move the delivery: succeeded on a 2xx, else pending with the next try, or
    failed when `retry` is false or the schedule is spent. None when the claim was lost meanwhile."""
    finished = started + timedelta(milliseconds=answer.duration_ms)
    fields = {"claimed_at": None, "last_response_code": answer.status, "last_error": _clean(answer.error, 500),
              "updated_at": finished}
    retry_in = None
    if answer.ok:
        fields.update(status=DeliveryStatus.SUCCEEDED, next_attempt_at=None, last_error="")
    elif retry and delivery.attempts < MAX_ATTEMPTS:
        retry_in = retry_delay(delivery.attempts)
        next_at = finished + timedelta(seconds=retry_in)
        short = retry_in <= COUNTDOWN_MAX_SECONDS
        fields.update(status=DeliveryStatus.PENDING, next_attempt_at=next_at, queued_at=next_at if short else None)
    else:
        fields.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery, number=delivery.attempts, started_at=started, address=address,
            response_code=answer.status, duration_ms=answer.duration_ms, error=_clean(answer.error, 500),
            response_body=_clean(answer.body, 1024),
        )
        mine = WebhookDelivery.objects.filter(pk=delivery.pk, claimed_at=delivery.claimed_at)
        if not mine.update(**fields):
            return None
        if retry_in is not None and retry_in <= COUNTDOWN_MAX_SECONDS:
            transaction.on_commit(
                partial(deliveries_enqueue, delivery_ids=[delivery.pk], countdown=retry_in), robust=True
            )
    return Outcome(status=fields["status"], attempts=delivery.attempts, retry_in=retry_in)


def _message(event: Event) -> str:
    return event_body(event_id=event.public_id, type=event.type, created_at=event.created_at, data=event.data)


def delivery_run(*, delivery_id, now: datetime | None = None) -> Outcome | None:
    """One try of a delivery, if it is due and no other try has it; None otherwise."""
    now = now or timezone.now()
    delivery = delivery_claim(delivery_id=delivery_id, now=now)
    if delivery is None:
        return None
    try:
        return _attempt(delivery, now)
    except DATABASE_UNAVAILABLE:
        raise  # the task retries; the claim lapses after LEASE
    except Exception as exc:
        # A bug or an unreadable secret (encryption keys changed): logged, and the try is recorded
        # and counted like any other, so the schedule still ends.
        logger.exception("Webhook delivery %s: attempt %s failed inside the service", delivery.pk, delivery.attempts)
        answer = Answer(status=None, body="", duration_ms=0, error=f"internal error ({type(exc).__name__})")
        return delivery_record(delivery=delivery, started=now, answer=answer, address=None, retry=True)


def _attempt(delivery: WebhookDelivery, now: datetime) -> Outcome | None:
    endpoint, event = delivery.endpoint, delivery.event
    if not endpoint.is_active:
        answer = Answer(status=None, body="", duration_ms=0, error="endpoint disabled")
        return delivery_record(delivery=delivery, started=now, answer=answer, address=None, retry=False)
    try:
        target = url_check(endpoint.url)
    except WebhookUrlInvalid as exc:
        # A name that does not resolve may resolve later; an address we refuse is refused for good.
        answer = Answer(status=None, body="", duration_ms=0, error=exc.message)
        transient = exc.details.get("reason") == "unresolvable"
        return delivery_record(delivery=delivery, started=now, answer=answer, address=None, retry=transient)
    body = _message(event)
    headers = signature_headers(msg_id=event.public_id, body=body, secrets=endpoint_secrets(endpoint, now=now), at=now)
    address = target.addresses[0]
    answer = post(
        target=target, address=address, body=body.encode(), headers=headers,
        timeout=webhook_setting("OTP_WEBHOOKS_TIMEOUT_SECONDS"),
    )
    return delivery_record(delivery=delivery, started=now, answer=answer, address=address, retry=True)


@dataclass(frozen=True)
class SweepResult:
    queued: int
    failed: int
    purged: int


def deliveries_sweep(*, now: datetime | None = None) -> SweepResult:
    """Beat's pass: publish due deliveries with no task on its way (lost, or waiting past the
    countdown range), fail those whose last try crashed with the schedule spent, purge old events."""
    now = now or timezone.now()
    stuck = WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING, attempts__gte=MAX_ATTEMPTS, claimed_at__lt=now - LEASE
    )
    failed = stuck.update(
        status=DeliveryStatus.FAILED, next_attempt_at=None, claimed_at=None, updated_at=now,
        last_error="the last try did not finish (worker lost)",
    )
    waiting = (
        _due(now)
        .filter(_unclaimed(now), attempts__lt=MAX_ATTEMPTS)
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - REQUEUE_AFTER))
    )
    with transaction.atomic():
        ids = list(waiting.order_by("next_attempt_at").values_list("pk", flat=True)[:SWEEP_BATCH])
        queued = waiting.filter(pk__in=ids).update(queued_at=now)
        if ids:
            transaction.on_commit(partial(deliveries_enqueue, delivery_ids=ids), robust=True)
    cutoff = now - timedelta(days=webhook_setting("OTP_WEBHOOKS_RETENTION_DAYS"))
    old = list(Event.objects.filter(created_at__lt=cutoff).order_by("created_at").values_list("pk", flat=True)[:SWEEP_BATCH])
    purged = Event.objects.filter(pk__in=old).delete()[1].get("events.Event", 0) if old else 0
    return SweepResult(queued=queued, failed=failed, purged=purged)
