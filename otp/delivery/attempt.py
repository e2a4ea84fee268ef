"""One delivery attempt of one generation: claim, make and hash the code, render, send, record.

Every state change goes through otp.delivery.state; this module decides what comes next and
answers the Celery task (otp.tasks.deliver_code) with a Retry, or None when the attempt is done.
"""
from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from otpservice.logging import codes_of, codes_redacted, scrub

from .. import metrics
from ..conf import otp_setting
from ..hashing import generate_code, hash_code
from ..messages import message_for
from ..models import ChannelVerification
from .base import DeliveryError, SendResult
from .registry import provider_for
from .state import (
    channel_claim,
    channel_code_store,
    channel_failed_for_good,
    channel_lease_left,
    channel_provider_tries,
    channel_retry_note,
    channel_sent_record,
    channel_superseded_if_unsent,
)

logger = logging.getLogger("otp.tasks")

# An attempt that meets another attempt's fresh claim looks again this long after that lease ends.
LEASE_MARGIN_SECONDS = 1.0
# The database is unreachable (connection refused or lost) or aborted the transaction (a deadlock, a
# serialization failure): transient, so retried; a bug such as an IntegrityError is not.
DATABASE_DOWN = (OperationalError, InterfaceError)


@dataclass(frozen=True)
class Retry:
    """Run the task again after `countdown` seconds with these kwargs (and Celery `options`)."""

    countdown: float
    kwargs: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    exc: Exception | None = None


def retry_delay(tries: int, *, uniform: Callable[[float, float], float] = random.uniform) -> float:
    """The wait before try `tries` + 1: exponential from OTP DELIVERY_RETRY_BASE_SECONDS, capped at
    DELIVERY_RETRY_MAX_SECONDS, with full jitter (so retries of many codes do not arrive together)."""
    ceiling = min(otp_setting("DELIVERY_RETRY_BASE_SECONDS") * 2 ** (tries - 1), otp_setting("DELIVERY_RETRY_MAX_SECONDS"))
    return uniform(0, ceiling)


def delivery_attempt(
    *,
    row_id: int,
    generation: int,
    claims: list[str] | None = None,
    accepted: dict[str, str] | None = None,
    db_errors: int = 0,
    eager: bool = False,
) -> Retry | None:
    """Send one generation's code, or only record a send the provider `accepted` earlier.

    `claims` are the claim times of earlier tries that met a database error (whether each claim
    committed is unknown; this try may retake any of them at once). `eager`: no broker, so nothing
    can wait (a retry would run again at once).
    """
    key = {"channel_row_id": row_id, "generation": generation}
    if accepted is not None:
        return _record(key, SendResult(**accepted), db_errors=db_errors, eager=eager)
    now = timezone.now()
    try:
        return _deliver(key, now=now, claims=claims, db_errors=db_errors, eager=eager)
    except DATABASE_DOWN as exc:
        # Nothing went out (a send the provider accepted is recorded apart, in _record): retrying
        # can only help, and acking would leave the user without a code. Not expiring with the
        # code: after the outage the retry must still run, if only to refund a generation a resend
        # replaced meanwhile; past expiry it sends nothing.
        return _after_database_error(
            key, exc, what="Delivery", db_errors=db_errors, eager=eager,
            kwargs={"claims": [*(claims or []), now.isoformat()]},
        )


def _deliver(key: dict[str, int], *, now: datetime, claims: list[str] | None, db_errors: int, eager: bool) -> Retry | None:
    row_id, generation = key["channel_row_id"], key["generation"]
    lease = timedelta(seconds=otp_setting("DELIVERY_LEASE_SECONDS"))
    own_claims = tuple(datetime.fromisoformat(claim) for claim in claims or ())
    row = channel_claim(row_id=row_id, generation=generation, now=now, lease=lease, own_claims=own_claims)
    if row is None:
        # Stale (other generation, sent, failed, session over): done. Held by another attempt's
        # fresh claim: that attempt may be mid-send, or its worker child died and Celery requeued
        # this message at once (task_reject_on_worker_lost); acking now would lose the message,
        # so come back once the lease has run out. Not a provider try.
        wait = channel_lease_left(row_id=row_id, generation=generation, now=now, lease=lease)
        if wait is None:
            channel_superseded_if_unsent(row_id=row_id, generation=generation)
            return None
        if eager:
            # The claimant keeps the row; housekeeping refunds it if it never goes out.
            logger.info("Channel row %s generation %s is held by another attempt", row_id, generation)
            return None
        # The same kwargs again (a try that met a database error keeps its claims and count).
        again = {**key, "claims": claims, "db_errors": db_errors} if claims or db_errors else key
        return Retry(countdown=wait + LEASE_MARGIN_SECONDS, kwargs=again)
    code = generate_code(row.session.otp_length)
    # From here until the send is recorded the plain code exists: no log line may carry it.
    with codes_redacted(code):
        return _send(key, row=row, code=code, eager=eager)


def _send(key: dict[str, int], *, row: ChannelVerification, code: str, eager: bool) -> Retry | None:
    generation, session = key["generation"], row.session
    code_hash = hash_code(
        pepper=settings.OTP_PEPPER,
        session_id=str(session.id),
        channel=row.channel,
        code=code,
        rounds=otp_setting("BCRYPT_ROUNDS"),
    )
    try:
        message, template = message_for(row=row, code=code)
        provider = provider_for(row.channel)
    except Exception as exc:
        # A template that fails is replaced by the default in templates_app, so this is a bug or
        # provider settings of ours: retrying cannot help, and nothing went out.
        detail = str(exc).replace(code, "•" * len(code))
        # No traceback: its frames and message can hold the plain code.
        logger.error("Delivery of %s/%s cannot start: %s: %s", row.session_id, row.channel, type(exc).__name__, detail)
        error = f"Delivery misconfigured: {type(exc).__name__}: {detail}"
        channel_failed_for_good(row=row, generation=generation, provider="", error=error)
        metrics.delivery_attempted(channel=row.channel, outcome="failed")
        return None
    if not channel_code_store(row=row, generation=generation, code_hash=code_hash, template=template):
        return None
    try:
        result = provider.send(message)
    except DeliveryError as exc:
        return _on_failure(key, row=row, provider=provider.name, error=exc)
    metrics.delivery_accepted(channel=row.channel, sent_at=session.last_sent_at)
    return _record(key, result, db_errors=0, eager=eager)


def _on_failure(key: dict[str, int], *, row: ChannelVerification, provider: str, error: DeliveryError) -> Retry | None:
    generation = key["generation"]
    tries = channel_provider_tries(row=row, generation=generation) + 1  # this one included
    if not error.transient or tries >= otp_setting("DELIVERY_MAX_TRIES"):
        logger.warning("Delivery of %s/%s failed for good: %s", row.session_id, row.channel, error)
        channel_failed_for_good(row=row, generation=generation, provider=provider, error=str(error))
        metrics.delivery_attempted(channel=row.channel, outcome="failed")
        return None
    if not channel_retry_note(row=row, generation=generation, provider=provider, error=str(error)):
        return None
    metrics.delivery_attempted(channel=row.channel, outcome="retry")
    return Retry(countdown=retry_delay(tries), kwargs=key, exc=error)


def _record(key: dict[str, int], result: SendResult, *, db_errors: int, eager: bool) -> Retry | None:
    """Record a send the provider accepted; on a database error, retry the record alone, later.

    The broker holds the provider's message id until the database takes it, so the record is not
    lost and the message is never sent twice for it.
    """
    try:
        channel_sent_record(row_id=key["channel_row_id"], generation=key["generation"], result=result, late=db_errors > 0)
    except DATABASE_DOWN as exc:
        # The record outlives the code: the message is out and must be accounted for.
        return _after_database_error(
            key, exc, what=f"Recording the send {result.provider} accepted as {result.message_id}",
            db_errors=db_errors, eager=eager,
            kwargs={"accepted": {"provider": result.provider, "message_id": result.message_id}},
        )
    return None


def _after_database_error(
    key: dict[str, int], exc: Exception, *, what: str, db_errors: int, eager: bool, kwargs: dict[str, Any]
) -> Retry | None:
    tries = db_errors + 1
    where = f"channel row {key['channel_row_id']} generation {key['generation']}"
    # The driver's first line ("connection to server at …, port … failed") tells operators where.
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    reason = f"{type(exc).__name__}: {scrub(first_line, codes_of(exc))}"
    if eager or tries >= otp_setting("DELIVERY_DB_MAX_TRIES"):
        # Eager (no broker): nothing can wait for the database. Before a send, the row stays QUEUED
        # and housekeeping refunds it once its session ends.
        logger.error("%s of %s gave up after %s database errors: %s", what, where, tries, reason)
        return None
    logger.warning("%s of %s met a database error (%s); retry %s", what, where, reason, tries)
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()  # the retry reconnects
    # No expiry: whatever happens to the code, the retry must run (see delivery_attempt, _record).
    return Retry(countdown=retry_delay(tries), kwargs={**key, "db_errors": tries, **kwargs}, options={"expires": None})
