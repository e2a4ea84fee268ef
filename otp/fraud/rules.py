"""The fraud guard's rules, their default modes, and the pure helpers they share (no ORM)."""
from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers
from django.db import models

WINDOW = timedelta(hours=24)
HOUR = timedelta(hours=1)
HISTORY_DAYS = 14


class Rule(models.TextChoices):
    RECIPIENT_FAILED_VERIFICATIONS = "recipient_failed_verifications"
    RECIPIENT_SENDS = "recipient_sends"
    IP_COUNTRIES = "ip_countries"
    COUNTRY_BUDGET = "country_budget"
    BLOCKLIST = "blocklist"
    # A destination default, not a per-account mode: decided (and recorded) as a block, always.
    HIGH_RISK_DESTINATION = "high_risk_destination"


class Mode(models.TextChoices):
    BLOCK = "block"
    RECORD = "record"
    OFF = "off"


# DESIGN §4: the rules with a per-account mode, and the mode an account gets when it sets none.
DEFAULT_MODES = {
    Rule.RECIPIENT_FAILED_VERIFICATIONS: Mode.BLOCK,
    Rule.RECIPIENT_SENDS: Mode.BLOCK,
    Rule.IP_COUNTRIES: Mode.BLOCK,
    Rule.COUNTRY_BUDGET: Mode.RECORD,
    Rule.BLOCKLIST: Mode.BLOCK,
}
# Rules an allow-listed recipient skips: the adaptive ones, never the fixed caps.
ADAPTIVE = frozenset({Rule.IP_COUNTRIES, Rule.COUNTRY_BUDGET})


def subject_hash(*, pepper: str, kind: str, value: str) -> str:
    """HMAC-SHA256 under the pepper: what decision rows and counters keep instead of a recipient or IP."""
    return hmac.new(pepper.encode(), f"fraud|{kind}|{value}".encode(), hashlib.sha256).hexdigest()


def phone_country(number: str) -> str:
    """The ISO region of an E.164 number, or its calling code (+881) for non-geographic ranges."""
    parsed = phonenumbers.parse(number, None)
    region = phonenumbers.region_code_for_number(parsed) or ""
    return region if region and region != "001" else f"+{parsed.country_code}"


def floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Budget:
    """The conversion-aware country budget: what one account may leave unverified in one country."""

    day: float
    hour: float


def country_budget(*, peak_verified: int, day_min: int, day_ratio: float, hour_min: int, hour_ratio: float) -> Budget:
    """max(day_min, day_ratio × peak) per 24 h and max(hour_min, hour_ratio × peak) per hour."""
    return Budget(day=max(day_min, day_ratio * peak_verified), hour=max(hour_min, hour_ratio * peak_verified))


def sliding_count(buckets: dict[datetime, int], *, now: datetime, hours: int) -> float:
    """Unverified codes in the last `hours`, from hourly buckets: the whole buckets inside the window
    and the share of the oldest one the window still covers (the usual sliding-window estimate)."""
    current = floor_hour(now)
    elapsed = (now - current) / HOUR
    total = sum(buckets.get(current - HOUR * back, 0) for back in range(hours))
    return total + buckets.get(current - HOUR * hours, 0) * (1 - elapsed)


def peak_daily(buckets: dict[datetime, int]) -> int:
    """The highest total of one UTC day over the buckets given."""
    days: dict = {}
    for hour, count in buckets.items():
        days[hour.date()] = days.get(hour.date(), 0) + count
    return max(days.values(), default=0)


def seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))
