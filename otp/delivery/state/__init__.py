"""The delivery state machine of a channel row, and the only code that writes it.

QUEUED → (claim) → SENT → DELIVERED, or → FAILED (refunded once); a resend supersedes the current
generation (refunded once when it never went out) and queues the next; SANDBOX rows never move.
The Celery task (otp.tasks), resend, housekeeping and the provider webhooks all call in here.

Lock order, everywhere money moves: the channel row first, then the wallet. A resend holds its
channel rows and then charges the wallet; a refund that touched the wallet first and the channel
row only later (an attempt row's foreign key is checked at commit) would deadlock with it.

The machine is split by who drives it: `attempts` (one delivery attempt), `refunds`, `rows`
(new sessions, resends, housekeeping, provider reports, test recipients), and `fallback` (the
chain of a fallback session: due times, their claim, the next channel); `common` holds the row
lock and the claim rule. Nothing outside this package writes a channel row's delivery state
(otpservice/tests/test_delivery_ownership.py).
"""
from .attempts import (
    channel_claim,
    channel_code_store,
    channel_failed_for_good,
    channel_lease_left,
    channel_provider_tries,
    channel_retry_note,
    channel_sent_record,
)
from .common import SUPERSEDED_REASON, UNDELIVERED_REASON, claim_is_free
from .fallback import (
    channel_fallback_claim,
    channel_fallback_queue,
    channel_fallback_unpaid,
    channels_fallback_stop,
    channels_not_sent,
)
from .refunds import channel_delivery_failed, channel_superseded, channel_superseded_if_unsent
from .rows import (
    TEST_RECIPIENT_PROVIDER,
    channel_delivery_report,
    channels_fail_undelivered,
    channels_held_for_test,
    channels_new,
    channels_renew,
)

__all__ = [
    "SUPERSEDED_REASON", "TEST_RECIPIENT_PROVIDER", "UNDELIVERED_REASON", "channel_claim", "channel_code_store",
    "channel_delivery_failed", "channel_delivery_report", "channel_fallback_claim", "channel_fallback_queue",
    "channel_fallback_unpaid", "channels_fallback_stop", "channels_not_sent", "channel_failed_for_good", "channel_lease_left",
    "channel_provider_tries", "channel_retry_note", "channel_sent_record", "channel_superseded",
    "channel_superseded_if_unsent", "channels_fail_undelivered", "channels_held_for_test", "channels_new",
    "channels_renew", "claim_is_free",
]
