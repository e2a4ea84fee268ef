"""Fallback delivery: move a session's chain on to its next channel, charged as it goes out.

Run by the fallback_check task (published on commit when the chain's channel is sent, with the
window as countdown, or failed, at once) and by the beat sweep, which takes due rows whose task was
lost (a long countdown on Redis comes back only after the visibility timeout). Both start with the
same conditional UPDATE of the row's due time (otp.delivery.state.channel_fallback_claim), so a
chain moves on once. Lock order as in a resend: session, channel rows, wallet.
"""
from __future__ import annotations

from datetime import datetime

from django.db import transaction

from wallet.exceptions import DailySpendCapReached, InsufficientBalance
from wallet.services import wallet_charge

from .. import metrics
from ..emission import EventType, channel_event
from ..models import ChannelVerification, DeliveryStatus, OTPSession, SessionStatus
from ..ratelimits.policy import limits_for
from .publish import delivery_publish
from .state import channel_fallback_claim, channel_fallback_queue, channel_fallback_unpaid, channels_not_sent

FALLBACK_ACTOR = "fallback"
# Due rows one sweep takes at most; the rest wait for the next run.
SWEEP_BATCH = 200


def fallback_advance(*, row_id: int, generation: int | None = None, now: datetime) -> bool:
    """If this row's due time has come and nobody took it: send the session's next channel.

    Returns whether this call took the due time. The chain ends (nothing more is sent) when the
    session is no longer pending (verified, locked, cancelled, expired), when the row no longer
    holds the chain, or when no channel is left; a next channel the wallet cannot pay is FAILED
    with the reason and the chain goes on to the one after it (a cheaper channel may still be paid).
    """
    session_id = ChannelVerification.objects.filter(pk=row_id).values_list("session_id", flat=True).first()
    if session_id is None:
        return False
    with transaction.atomic():
        session = OTPSession.objects.select_for_update().select_related("account").filter(pk=session_id).first()
        row = channel_fallback_claim(row_id=row_id, generation=generation, now=now) if session else None
        if row is None:
            return False
        pending = session.status == SessionStatus.PENDING and now < session.expires_at
        if not pending or session.fallback_channel != row.channel:
            return True
        reason = (
            f"failed: {row.last_error}" if row.delivery_status == DeliveryStatus.FAILED
            else f"not delivered within {session.fallback_after_seconds} s"
        )
        for nxt in channels_not_sent(session=session):
            error = _charge(session=session, row=nxt)
            if error:
                channel_fallback_unpaid(session=session, row=nxt, error=error)
                continue
            if not channel_fallback_queue(session=session, row=nxt):
                continue
            metrics.codes_issued(rows=[nxt], sandbox=False)
            channel_event(
                session=session, type=EventType.CHANNEL_FALLBACK, channel=row.channel,
                delivery_status=row.delivery_status, reason=reason, next_channel=nxt.channel, now=now,
            )
            _deliver_on_commit(session=session, row=nxt, now=now)
            return True
    return True


def _charge(*, session: OTPSession, row: ChannelVerification) -> str:
    """Charge the channel's generation now; the reason it cannot be paid, or ""."""
    try:
        with transaction.atomic():  # a refusal rolls back this charge alone
            wallet_charge(
                account=session.account, session_id=session.pk, generations={row.channel: row.generation},
                actor=FALLBACK_ACTOR, daily_spend_cap=limits_for(session.account).daily_spend_cap,
            )
    except (InsufficientBalance, DailySpendCapReached) as refusal:
        return f"{refusal.code}: {refusal.message}"
    return ""


def _deliver_on_commit(*, session: OTPSession, row: ChannelVerification, now: datetime) -> None:
    expires_in = max(1.0, (session.expires_at - now).total_seconds())
    transaction.on_commit(
        lambda: delivery_publish(
            channel_row_id=row.pk, channel=row.channel, generation=row.generation, expires_in=expires_in
        ),
        robust=True,
    )


def fallback_sweep(*, now: datetime) -> int:
    """Move on every chain whose due time has passed (at most SWEEP_BATCH a run); returns how many
    due times this run took (a countdown task that got there first takes the rest)."""
    due = (
        ChannelVerification.objects.filter(fallback_due_at__lte=now)
        .order_by("fallback_due_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    return sum(fallback_advance(row_id=row_id, now=now) for row_id in list(due))
