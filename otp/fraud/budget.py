"""The conversion-aware country budget: unverified codes against the account's own verified history.

Per account and phone country, hourly counters of live codes sent and verified (FraudCountryHour)
hold 14 days of history in at most 336 rows, read with one indexed query. A send is over budget
when the unverified codes of the last 24 h would pass max(20, 0.3 × peak) or those of the last
hour max(3, 0.2 × peak), the peak being the highest daily count of verified codes in 14 days.
A verified code counts in the hour its code was sent, so it stops counting as unverified there.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F

from accounts.models import Account

from ..conf import otp_setting
from .exceptions import FraudBlocked
from .models import FraudCountryHour
from .rules import (
    HISTORY_DAYS,
    HOUR,
    Mode,
    Rule,
    country_budget,
    floor_hour,
    peak_daily,
    seconds_until,
    sliding_count,
)


def _bump(*, account: Account, country: str, hour: datetime, field: str) -> None:
    """Add one to a counter with one atomic UPDATE; the first of its hour inserts the row."""
    rows = FraudCountryHour.objects.filter(account=account, country=country, hour=hour)
    if rows.update(**{field: F(field) + 1}):
        return
    try:
        with transaction.atomic():
            FraudCountryHour.objects.create(account=account, country=country, hour=hour, **{field: 1})
    except IntegrityError:  # a parallel request inserted it first
        rows.update(**{field: F(field) + 1})
        return
    # A new hour: history older than 14 days has no more use.
    FraudCountryHour.objects.filter(
        account=account, country=country, hour__lt=hour - timedelta(days=HISTORY_DAYS + 1)
    ).delete()


def country_sent_count(*, account: Account, country: str, now: datetime) -> None:
    _bump(account=account, country=country, hour=floor_hour(now), field="sent")


def country_verified_count(*, account: Account, country: str, sent_at: datetime) -> None:
    """A code sent at `sent_at` was verified: it counts in its sending hour."""
    _bump(account=account, country=country, hour=floor_hour(sent_at), field="verified")


def country_budget_check(
    *, account: Account, country: str, now: datetime, extra: int, mode: str, record: Callable[[str], None]
) -> FraudBlocked | None:
    """The refusal when `extra` more unverified codes to `country` pass the budget (block mode), else None;
    `record(detail)` is called whenever they would."""
    start = floor_hour(now) - timedelta(days=HISTORY_DAYS)
    rows = FraudCountryHour.objects.filter(account=account, country=country, hour__gte=start).values_list(
        "hour", "sent", "verified"
    )
    unverified, verified = {}, {}
    for hour, sent, done in rows:
        unverified[hour] = max(0, sent - done)
        verified[hour] = done
    budget = country_budget(
        peak_verified=peak_daily(verified),
        day_min=otp_setting("FRAUD_COUNTRY_DAY_MIN"),
        day_ratio=otp_setting("FRAUD_COUNTRY_DAY_RATIO"),
        hour_min=otp_setting("FRAUD_COUNTRY_HOUR_MIN"),
        hour_ratio=otp_setting("FRAUD_COUNTRY_HOUR_RATIO"),
    )
    day = sliding_count(unverified, now=now, hours=24) + extra
    hour = sliding_count(unverified, now=now, hours=1) + extra
    if day > budget.day:
        window, count, limit = "24h", day, budget.day
    elif hour > budget.hour:
        window, count, limit = "1h", hour, budget.hour
    else:
        return None
    record(f"{window}: {count:.0f} unverified > budget {limit:g} in {country}")
    if mode != Mode.BLOCK:
        return None
    wait = seconds_until(floor_hour(now) + HOUR, now)  # the window moves on by the hour
    return FraudBlocked(
        f"Fraud guard: too many unverified codes to {country} for this account's history; retry in {wait} s",
        details={"reason": Rule.COUNTRY_BUDGET, "country": country, "window": window,
                 "unverified": int(count), "budget": limit, "retry_after_seconds": wait},
        retry_after=wait,
    )
