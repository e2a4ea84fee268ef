"""Periodic housekeeping: expire stale sessions in bounded batches (with their events), purge old rows."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from .conf import otp_setting
from .delivery.state import channels_fail_undelivered
from .emission import SESSION_FIELDS, EventType, sessions_events
from .fraud.windows import hits_purge
from .lifecycle import lapsed_q
from .models import (
    IdempotencyRecord,
    OTPSession,
    OutboxMessage,
    SessionStatus,
)

# Lapsed sessions are expired this many at a time, each batch with its events in one transaction.
EXPIRE_BATCH = 500
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
    """Write EXPIRED on live sessions past expires_at, EXPIRE_BATCH at a time, each batch one short
    transaction with its session.expired events: one SELECT … FOR UPDATE SKIP LOCKED of the batch
    (a session a verify or resend holds now is left to it, or to the next run), one UPDATE, and one
    read of the batch's accounts' webhook endpoints (plus two inserts when some subscribe)."""
    expired = 0
    lapsed = OTPSession.objects.filter(lapsed_q(now)).order_by("pk").only(*SESSION_FIELDS)
    while True:
        with transaction.atomic():
            batch = list(lapsed.select_for_update(skip_locked=True)[:EXPIRE_BATCH])
            if not batch:
                return expired
            ids = [session.pk for session in batch]
            updated = OTPSession.objects.filter(lapsed_q(now), pk__in=ids).update(status=SessionStatus.EXPIRED)
            if updated != len(batch):
                # Only without row locks (SQLite): a write landed between the read and the update.
                batch = list(OTPSession.objects.filter(pk__in=ids, status=SessionStatus.EXPIRED).only(*SESSION_FIELDS))
            for session in batch:
                session.status = SessionStatus.EXPIRED
            sessions_events(items=[(session, EventType.SESSION_EXPIRED, {}) for session in batch], now=now)
        expired += updated
        if len(ids) < EXPIRE_BATCH:
            return expired


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
