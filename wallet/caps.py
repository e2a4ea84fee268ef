"""The daily spend cap: a wallet rule, so it reads the ledger here and takes the cap as a value."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from accounts.models import Account

from .exceptions import DailySpendCapReached
from .models import LedgerEntry, LedgerKind
from .money import format_units, to_units


def _utc_day_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def spend_cap_check(*, account: Account, cap: Decimal | None) -> None:
    """After this transaction's charges: refuse (429, rolling them back) when today's charges pass `cap`.

    `cap` is the account's daily cap in currency units, None for no cap (the caller's policy
    decides it). Call this after wallet_charge in the same transaction: the charge's conditional
    UPDATE holds the wallet row until commit, so concurrent sends of the account see each other's
    charges here. Today is the UTC day; refunds are not subtracted (the cap bounds what pumping
    can spend).
    """
    if cap is None:
        return
    now = timezone.now()
    start = _utc_day_start(now)
    charged = LedgerEntry.objects.filter(
        wallet__account=account, kind=LedgerKind.CHARGE, created_at__gte=start
    ).aggregate(total=Sum("amount"))["total"]
    spent = -(charged or 0)
    if spent > to_units(cap):
        wait = (start + timedelta(days=1) - now).total_seconds()
        raise DailySpendCapReached(
            f"Daily spend cap reached: {format_units(to_units(cap))} per UTC day",
            details={
                "daily_spend_cap": format_units(to_units(cap)),
                "spent_today_with_this_request": format_units(spent),
                "retry_after_seconds": int(wait) + 1,
            },
            retry_after=wait,
        )
