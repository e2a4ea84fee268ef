"""The conversion-aware country budget: unverified codes against the account's own verified history.

Per account and phone country, hourly counters of live codes sent and verified (FraudCountryHour)
hold 14 days of history in at most 336 rows, read with one indexed query. A send is over budget
when the unverified codes of the last 24 h would pass max(20, 0.3 × peak) or those of the last
hour max(3, 0.2 × peak), the peak being the highest daily count of verified codes in 14 days.
A verified code counts in the hour its code was sent, so it stops counting as unverified there.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from django.db.models import Case, F, IntegerField, Value, When

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


def _bump(*, account: Account, hour: datetime, field: str, counts: Mapping[str, int]) -> None:
    """Add counts[country] to each country's counter of `hour`: one UPDATE, and one insert for the
    first codes of an hour (ignoring a parallel request's insert, then updating again)."""
    rows = FraudCountryHour.objects.filter(account=account, hour=hour, country__in=list(counts))
    increment = Case(*[When(country=c, then=Value(n)) for c, n in counts.items()], output_field=IntegerField())
    if rows.update(**{field: F(field) + increment}) == len(counts):
        return
    present = set(rows.values_list("country", flat=True))
    FraudCountryHour.objects.bulk_create(
        [FraudCountryHour(account=account, country=c, hour=hour) for c in counts if c not in present],
        ignore_conflicts=True,
    )
    missing = {c: n for c, n in counts.items() if c not in present}
    FraudCountryHour.objects.filter(account=account, hour=hour, country__in=list(missing)).update(
        **{field: F(field) + Case(*[When(country=c, then=Value(n)) for c, n in missing.items()],
                                  output_field=IntegerField())}
    )
    # A new hour: history older than 14 days has no more use.
    FraudCountryHour.objects.filter(account=account, hour__lt=hour - timedelta(days=HISTORY_DAYS + 1)).delete()


def country_sent_count(*, account: Account, counts: Mapping[str, int], now: datetime) -> None:
    if counts:
        _bump(account=account, hour=floor_hour(now), field="sent", counts=counts)


def country_verified_count(*, account: Account, country: str, sent_at: datetime) -> None:
    """A code sent at `sent_at` was verified: it counts in its sending hour."""
    _bump(account=account, hour=floor_hour(sent_at), field="verified", counts={country: 1})


def country_budget_check(
    *, account: Account, wanted: Mapping[str, int], now: datetime, mode: str, record: Callable[[str, str], None]
) -> FraudBlocked | None:
    """The refusal when wanted[country] more unverified codes pass a country's budget (block mode),
    else None; `record(country, detail)` is called for every country they would (one query)."""
    if not wanted:
        return None
    start = floor_hour(now) - timedelta(days=HISTORY_DAYS)
    rows = FraudCountryHour.objects.filter(account=account, country__in=list(wanted), hour__gte=start)
    unverified: dict[str, dict] = {c: {} for c in wanted}
    verified: dict[str, dict] = {c: {} for c in wanted}
    for country, hour, sent, done in rows.values_list("country", "hour", "sent", "verified"):
        unverified[country][hour] = max(0, sent - done)
        verified[country][hour] = done
    refusal = None
    for country, extra in sorted(wanted.items()):
        budget = country_budget(
            peak_verified=peak_daily(verified[country]),
            day_min=otp_setting("FRAUD_COUNTRY_DAY_MIN"),
            day_ratio=otp_setting("FRAUD_COUNTRY_DAY_RATIO"),
            hour_min=otp_setting("FRAUD_COUNTRY_HOUR_MIN"),
            hour_ratio=otp_setting("FRAUD_COUNTRY_HOUR_RATIO"),
        )
        day = sliding_count(unverified[country], now=now, hours=24) + extra
        hour = sliding_count(unverified[country], now=now, hours=1) + extra
        if day > budget.day:
            window, count, limit = "24h", day, budget.day
        elif hour > budget.hour:
            window, count, limit = "1h", hour, budget.hour
        else:
            continue
        record(country, f"{window}: {count:.0f} unverified > budget {limit:g} in {country}")
        if mode == Mode.BLOCK and refusal is None:
            wait = seconds_until(floor_hour(now) + HOUR, now)  # the window moves on by the hour
            refusal = FraudBlocked(
                f"Fraud guard: too many unverified codes to {country} for this account's history; retry in {wait} s",
                details={"reason": Rule.COUNTRY_BUDGET, "country": country, "window": window,
                         "unverified": int(count), "budget": limit, "retry_after_seconds": wait},
                retry_after=wait,
            )
    return refusal
