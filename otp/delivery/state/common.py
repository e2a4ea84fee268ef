"""What every part of the state machine shares: the row lock, the reasons, the claim rule."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from ...models import ChannelVerification, DeliveryAttempt

logger = logging.getLogger("otp.delivery")

SUPERSEDED_REASON = "Superseded by a resend before delivery"
UNDELIVERED_REASON = "Not delivered before the session ended"
Outcome = DeliveryAttempt.Outcome


def locked(row_id: int) -> ChannelVerification | None:
    """The channel row under FOR UPDATE, taken before any wallet row (see otp.delivery.state)."""
    return ChannelVerification.objects.select_for_update().filter(pk=row_id).first()


def current(row_id: int, generation: int):
    return ChannelVerification.objects.filter(pk=row_id, generation=generation)


def claim_is_free(row: ChannelVerification, *, now: datetime, lease: timedelta) -> bool:
    """No attempt holds this row now (the rule of ChannelVerification.objects.claimable, in Python)."""
    return row.claimed_at is None or row.claimed_at < now - lease
