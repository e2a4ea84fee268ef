"""The daily spend cap: a wallet rule, so it is enforced in the charge and takes the cap as a value."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from .exceptions import DailySpendCapReached
from .money import format_units, to_units


def _utc_day_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def spend_cap_check(*, spent_today: int, cap: Decimal | None) -> None:
    """Refuse (429) when `spent_today` units, this charge's included, pass `cap`.

    `cap` is the account's daily cap in currency units, None for no cap (the caller's policy
    decides it). wallet_charge calls this right after its UPDATE, which counted the charge into the
    wallet's spend of the day and holds the wallet row until commit, so concurrent sends of the
    account see each other's charges; raising there rolls the charge back with the caller's
    transaction. Today is the UTC day; refunds are not subtracted (the cap bounds what pumping
    can spend).
    """
    if cap is None or spent_today <= to_units(cap):
        return
    now = timezone.now()
    wait = (_utc_day_start(now) + timedelta(days=1) - now).total_seconds()
    raise DailySpendCapReached(
        f"Daily spend cap reached: {format_units(to_units(cap))} per UTC day",
        details={
            "daily_spend_cap": format_units(to_units(cap)),
            "spent_today_with_this_request": format_units(spent_today),
            "retry_after_seconds": int(wait) + 1,
        },
        retry_after=wait,
    )
