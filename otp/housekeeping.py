"""Periodic housekeeping: expire stale sessions in one bulk update, purge old rows."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from .conf import otp_setting
from .delivery.state import channels_fail_undelivered
from .fraud.windows import hits_purge
from .lifecycle import lapsed_q
from .models import (
    IdempotencyRecord,
    OTPSession,
    OutboxMessage,
    SessionStatus,
)

# Old sessions are deleted this many at a time: each batch (with its cascade) is one short transaction.
PURGE_BATCH = 1000


@dataclass(frozen=True)
class HousekeepingResult:
    expired: int
    undelivered: int
    purged_sessions: int
    purged_idempotency: int
    purged_outbox: int


def sessions_expire(*, now: datetime) -> int:
    return OTPSession.objects.filter(lapsed_q(now)).update(
        status=SessionStatus.EXPIRED
    )


def sessions_purge(*, cutoff: datetime) -> int:
    """Delete sessions created before cutoff, PURGE_BATCH at a time, so no run holds one huge
    cascading delete. Channel rows, attempts and idempotency records go with their session;
    ledger entries and outbox messages stay."""
    purged = 0
    old = OTPSession.objects.filter(created_at__lt=cutoff).order_by()
    while ids := list(old.values_list("pk", flat=True)[:PURGE_BATCH]):
        _, per_model = OTPSession.objects.filter(pk__in=ids).delete()
        purged += per_model.get(OTPSession._meta.label, 0)
    return purged


def housekeeping_run(*, now: datetime) -> HousekeepingResult:
    expired = sessions_expire(now=now)
    undelivered = channels_fail_undelivered(now=now, lease=timedelta(seconds=otp_setting("DELIVERY_LEASE_SECONDS")))
    cutoff = now - timedelta(days=settings.OTP_RETENTION_DAYS)
    idempotency_cutoff = now - timedelta(seconds=otp_setting("IDEMPOTENCY_TTL_SECONDS"))
    purged_idempotency, _ = IdempotencyRecord.objects.filter(created_at__lt=idempotency_cutoff).delete()
    purged_outbox, _ = OutboxMessage.objects.filter(created_at__lt=cutoff).delete()
    purged_sessions = sessions_purge(cutoff=cutoff)
    hits_purge(now=now)  # the fraud guard's counted events, once out of their 24 h window
    return HousekeepingResult(
        expired=expired,
        undelivered=undelivered,
        purged_sessions=purged_sessions,
        purged_idempotency=purged_idempotency,
        purged_outbox=purged_outbox,
    )
