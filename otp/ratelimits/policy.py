"""The limits that apply to one account: its admin overrides over the OTP settings defaults."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from accounts.models import AbusePolicy, Account
from accounts.validators import destinations_parse, number_types_parse

from ..channels import PHONE_CHANNELS
from ..conf import otp_setting

# Limit name -> (AbusePolicy field, OTP setting).
RATES = {
    "recipient": ("recipient_rate", "RATE_RECIPIENT"),
    "ip": ("ip_rate", "RATE_IP"),
    "send": ("send_rate", "RATE_SEND"),
    "verify": ("verify_rate", "RATE_VERIFY"),
    "resend": ("resend_rate", "RATE_RESEND"),
}
ENDPOINTS = ("send", "verify", "resend")

Destinations = tuple[frozenset[str], frozenset[int]]


@dataclass(frozen=True)
class Limits:
    rates: dict[str, str]
    destinations: dict[str, Destinations]  # channel -> (regions, calling codes); empty: all
    number_types: frozenset[str]  # empty: every type
    daily_spend_cap: Decimal | None
    # Satellite, international and pumping-prone ranges, refused unless the account may reach them.
    high_risk: Destinations = (frozenset(), frozenset())
    high_risk_allowed: Destinations = (frozenset(), frozenset())


def _policy(account: Account) -> AbusePolicy | None:
    # Django caches the reverse one-to-one (also its absence) on the instance: one query a request.
    try:
        return account.abuse_policy
    except AbusePolicy.DoesNotExist:
        return None


def limits_for(account: Account) -> Limits:
    policy = _policy(account)
    rates = {
        name: (getattr(policy, field) if policy is not None else "") or otp_setting(setting)
        for name, (field, setting) in RATES.items()
    }
    destinations = {
        channel: destinations_parse(getattr(policy, f"{channel}_destinations") if policy is not None else "")
        for channel in PHONE_CHANNELS
    }
    types = (policy.allowed_number_types if policy is not None else "") or otp_setting("ALLOWED_NUMBER_TYPES")
    cap = policy.daily_spend_cap if policy is not None else None
    if cap is None and otp_setting("DAILY_SPEND_CAP"):
        cap = Decimal(str(otp_setting("DAILY_SPEND_CAP")))
    return Limits(
        rates=rates, destinations=destinations, number_types=number_types_parse(types), daily_spend_cap=cap,
        high_risk=destinations_parse(otp_setting("HIGH_RISK_DESTINATIONS")),
        high_risk_allowed=destinations_parse(policy.high_risk_destinations_allowed if policy is not None else ""),
    )
