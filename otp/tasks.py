"""Celery delivery: one task per channel that generates, hashes and sends the code."""
from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from otpservice.logging import codes_of, codes_redacted, scrub

from .conf import otp_setting
from .delivery.base import DeliveryError, SendResult
from .delivery.registry import provider_for
from .hashing import generate_code, hash_code
from .housekeeping import housekeeping_run
from .messages import message_render
from .models import ChannelVerification, DeliveryAttempt, DeliveryStatus, OTPSession
from .queues import QUEUES
from .services.delivery import channel_failed_for_good, channel_sent_record, channel_superseded

logger = logging.getLogger("otp.tasks")

# A task that meets another attempt's fresh claim looks again this long after that lease ends.
LEASE_MARGIN_SECONDS = 1.0
# The database is unreachable (connection refused or lost) or aborted the transaction (a deadlock, a
# serialization failure): transient, so retried; a bug such as an IntegrityError is not.
DATABASE_DOWN = (OperationalError, InterfaceError)


def enqueue_delivery(*, channel_row_id: int, channel: str, generation: int, expires_in: float) -> None:
    """Publish the task on its channel's queue; it expires with the code it would send."""
    try:
        deliver_code.apply_async(
            kwargs={"channel_row_id": channel_row_id, "generation": generation},
            queue=QUEUES[channel],
            expires=expires_in,
        )
    except Exception:
        # Runs after commit (a robust on_commit callback logs the traceback): the session exists and
        # is charged, and housekeeping refunds the channel when the session ends unsent.
        logger.error("Could not queue delivery of channel row %s, generation %s", channel_row_id, generation)
        raise


def _deliverable(channel_row_id: int, generation: int, now: datetime) -> QuerySet[ChannelVerification]:
    """The row while this generation may still go out: QUEUED, on a live session before its expiry."""
    # The session test is a subquery, not a join: Django compiles a filtered UPDATE over a join as
    # `WHERE id IN (SELECT … JOIN …)`, and PostgreSQL re-checks only that `id IN` against a row a
    # concurrent resend changed, so a stale claim could land on the next generation.
    return ChannelVerification.objects.filter(
        pk=channel_row_id,
        generation=generation,
        delivery_status=DeliveryStatus.QUEUED,
        session_id__in=OTPSession.objects.live(now).values("pk"),
    )


def _claim(
    channel_row_id: int, generation: int, now: datetime, lease: timedelta, own_claims: tuple[datetime, ...] = ()
) -> ChannelVerification | None:
    """Take the row with one conditional UPDATE; None when another task has it or it is stale.

    `own_claims`: the claims earlier tries of this task may have taken before a database error; they
    are ours
    to retake at once instead of waiting for its lease to lapse.
    """
    free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - lease)
    if own_claims:
        free |= Q(claimed_at__in=own_claims)
    claimed = _deliverable(channel_row_id, generation, now).filter(free).update(claimed_at=now)
    if not claimed:
        return None
    return ChannelVerification.objects.select_related("session").get(pk=channel_row_id)


def _refund_if_superseded_unsent(channel_row_id: int, generation: int) -> None:
    """A resend replaced this generation while an attempt held it (a worker child that died, say):
    if it never went out, nobody else will refund it."""
    row = ChannelVerification.objects.filter(pk=channel_row_id, generation__gt=generation).first()
    sent = DeliveryAttempt.objects.filter(
        channel_row_id=channel_row_id, generation=generation, outcome=DeliveryAttempt.Outcome.SENT
    ).exists()
    if row is not None and not sent:
        channel_superseded(row=row, generation=generation)


def _lease_left(channel_row_id: int, generation: int, now: datetime, lease: timedelta) -> float | None:
    """Seconds until another attempt's claim on this generation lapses; None if nothing is left to send."""
    held = _deliverable(channel_row_id, generation, now).values_list("claimed_at").first()
    if held is None:
        return None
    claimed_at = held[0]  # None: released (for a retry) since our claim failed
    return 0.0 if claimed_at is None else max(0.0, (claimed_at + lease - now).total_seconds())


@shared_task(
    name="otp.deliver_code",
    bind=True,
    acks_late=True,
    max_retries=None,  # provider tries: OTP DELIVERY_MAX_TRIES; database errors: DELIVERY_DB_MAX_TRIES
    ignore_result=True,
)
def deliver_code(
    self,
    *,
    channel_row_id: int,
    generation: int,
    claims: list[str] | None = None,
    accepted: dict[str, str] | None = None,
    db_errors: int = 0,
) -> None:
    """Send one generation's code. `claims` are the claim times of earlier tries that met a database
    error (whether each claim committed is unknown; the retry may retake any of them at once); `accepted` is a send the provider took that is still
    to be recorded (the retry only records it, it never sends again)."""
    if accepted is not None:
        _record_or_retry(self, channel_row_id, generation, SendResult(**accepted), db_errors)
        return
    now = timezone.now()
    try:
        _deliver(self, channel_row_id, generation, now=now, own_claims=_parse_claims(claims))
    except DATABASE_DOWN as exc:
        # Nothing went out (a send the provider accepted is recorded apart, above): retrying can
        # only help, and acking would leave the user without a code.
        _retry_after_database_error(
            self, exc, what="Delivery", channel_row_id=channel_row_id, generation=generation, db_errors=db_errors,
            kwargs={"claims": [*(claims or []), now.isoformat()]},
            # Not expiring with the code: after the outage the retry must still run, if only to
            # refund a generation a resend replaced meanwhile; past expiry it sends nothing.
            expires=None,
        )


def _parse_claims(claims: list[str] | None) -> tuple[datetime, ...]:
    return tuple(datetime.fromisoformat(claim) for claim in claims or ())


def _deliver(task, channel_row_id: int, generation: int, *, now: datetime, own_claims: tuple[datetime, ...]) -> None:
    lease = timedelta(seconds=otp_setting("DELIVERY_LEASE_SECONDS"))
    row = _claim(channel_row_id, generation, now, lease, own_claims)
    if row is None:
        # Stale (other generation, sent, failed, session over): done. Held by another attempt's
        # fresh claim: that attempt may be mid-send, or its worker child died and Celery requeued
        # this message at once (task_reject_on_worker_lost); acking now would lose the message,
        # so come back once the lease has run out.
        wait = _lease_left(channel_row_id, generation, now, lease)
        if wait is None:
            _refund_if_superseded_unsent(channel_row_id, generation)
            return
        if task.request.is_eager:
            # An eager retry runs again at once, in-process, whatever the countdown: it would spin.
            # The claimant keeps the row; housekeeping refunds it if it never goes out.
            logger.info("Channel row %s generation %s is held by another attempt", channel_row_id, generation)
            return
        raise task.retry(countdown=wait + LEASE_MARGIN_SECONDS)
    code = generate_code(row.session.otp_length)
    # From here until the send is recorded the plain code exists: no log line may carry it.
    with codes_redacted(code):
        _send_code(task, row=row, generation=generation, code=code)


def _send_code(task, *, row: ChannelVerification, generation: int, code: str) -> None:
    session: OTPSession = row.session
    code_hash = hash_code(
        pepper=settings.OTP_PEPPER,
        session_id=str(session.id),
        channel=row.channel,
        code=code,
        rounds=otp_setting("BCRYPT_ROUNDS"),
    )
    # Only this generation's hash, only under our claim: a resend since the claim makes this task stale.
    mine = ChannelVerification.objects.filter(pk=row.pk, generation=generation, claimed_at=row.claimed_at)
    if not mine.update(code_hash=code_hash):
        if not ChannelVerification.objects.filter(pk=row.pk, generation=generation).exists():
            # The resend left this row to us (our claim was fresh) and nothing was sent: refund it here.
            channel_superseded(row=row, generation=generation)
        return
    try:
        message = message_render(
            channel=row.channel,
            to=row.recipient,
            code=code,
            expiry_minutes=session.expiry_minutes,
            app_name=otp_setting("APP_NAME"),
            session_id=str(session.id),
        )
        provider = provider_for(row.channel)
    except Exception as exc:
        # Templates and provider settings are ours: retrying cannot help, and nothing went out.
        detail = str(exc).replace(code, "•" * len(code))
        # No traceback: its frames and message can hold the plain code.
        logger.error("Delivery of %s/%s cannot start: %s: %s", row.session_id, row.channel, type(exc).__name__, detail)
        channel_failed_for_good(
            row=row, generation=generation, provider="", error=f"Delivery misconfigured: {type(exc).__name__}: {detail}"
        )
        return
    try:
        result = provider.send(message)
    except DeliveryError as exc:
        _on_failure(task, row=row, generation=generation, provider=provider.name, error=exc)
        return
    _record_or_retry(task, row.pk, generation, result, 0)


def _record_or_retry(task, channel_row_id: int, generation: int, result: SendResult, db_errors: int) -> None:
    """Record a send the provider accepted; on a database error, retry the record alone, later.

    The broker holds the provider's message id until the database takes it, so the record is not
    lost and the message is never sent twice for it.
    """
    try:
        channel_sent_record(row_id=channel_row_id, generation=generation, result=result, late=db_errors > 0)
    except DATABASE_DOWN as exc:
        _retry_after_database_error(
            task, exc, what=f"Recording the send {result.provider} accepted as {result.message_id}",
            channel_row_id=channel_row_id, generation=generation, db_errors=db_errors,
            kwargs={"accepted": {"provider": result.provider, "message_id": result.message_id}},
            # The record outlives the code: the message is out and must be accounted for.
            expires=None,
        )


def _retry_after_database_error(
    task,
    exc: Exception,
    *,
    what: str,
    channel_row_id: int,
    generation: int,
    db_errors: int,
    kwargs: dict,
    **options,
) -> None:
    tries = db_errors + 1
    where = f"channel row {channel_row_id} generation {generation}"
    # The driver's first line ("connection to server at …, port … failed") tells operators where.
    reason = f"{type(exc).__name__}: {scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else '', codes_of(exc))}"
    if task.request.is_eager or tries >= otp_setting("DELIVERY_DB_MAX_TRIES"):
        # Eager (no broker): nothing can wait for the database. Before a send, the row stays QUEUED
        # and housekeeping refunds it once its session ends.
        logger.error("%s of %s gave up after %s database errors: %s", what, where, tries, reason)
        return
    logger.warning("%s of %s met a database error (%s); retry %s", what, where, reason, tries)
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()  # the retry reconnects
    retry_kwargs = {"channel_row_id": channel_row_id, "generation": generation, "db_errors": tries, **kwargs}
    raise task.retry(kwargs=retry_kwargs, countdown=_backoff(tries), **options)


def _on_failure(task, *, row: ChannelVerification, generation: int, provider: str, error: DeliveryError) -> None:
    # Provider tries for this code so far, this one included, from our own records: waits for
    # another attempt's lease and redeliveries after a crash do not use them up.
    tries = DeliveryAttempt.objects.filter(
        channel_row=row, generation=generation, outcome=DeliveryAttempt.Outcome.RETRY
    ).count() + 1
    if not error.transient or tries >= otp_setting("DELIVERY_MAX_TRIES"):
        logger.warning("Delivery of %s/%s failed for good: %s", row.session_id, row.channel, error)
        channel_failed_for_good(row=row, generation=generation, provider=provider, error=str(error))
        return
    DeliveryAttempt.objects.create(
        channel_row=row,
        generation=generation,
        provider=provider,
        outcome=DeliveryAttempt.Outcome.RETRY,
        error=str(error)[:500],
    )
    # Release the claim so the retry can take it again.
    released = ChannelVerification.objects.filter(pk=row.pk, generation=generation).update(
        claimed_at=None, last_error=str(error)[:500]
    )
    if not released:
        # A resend replaced this code while we were at the provider: nothing went out, and the
        # resend left the refund to us (our claim was fresh).
        channel_superseded(row=row, generation=generation)
        return
    raise task.retry(kwargs={"channel_row_id": row.pk, "generation": generation}, countdown=_backoff(tries), exc=error)


def _backoff(tries: int) -> float:
    """Exponential backoff with full jitter, capped."""
    base = otp_setting("DELIVERY_RETRY_BASE_SECONDS")
    return random.uniform(0, min(base * 2 ** (tries - 1), otp_setting("DELIVERY_RETRY_MAX_SECONDS")))


@shared_task(name="otp.housekeeping", ignore_result=True)
def housekeeping() -> None:
    result = housekeeping_run(now=timezone.now())
    logger.info("Housekeeping: %s", result)
