"""The fraud guard settings of one account: its AbusePolicy modes and thresholds over the defaults."""
from __future__ import annotations

from dataclasses import dataclass

from accounts.models import AbusePolicy, Account

from ..conf import otp_setting
from .rules import DEFAULT_MODES, Mode, Rule

# Rule -> (AbusePolicy mode field, AbusePolicy threshold field or None, OTP setting or None).
FIELDS = {
    Rule.RECIPIENT_FAILED_VERIFICATIONS: (
        "fraud_failed_verifications_mode", "fraud_failed_verifications", "FRAUD_FAILED_VERIFICATIONS",
    ),
    Rule.RECIPIENT_SENDS: ("fraud_recipient_sends_mode", "fraud_recipient_sends", "FRAUD_RECIPIENT_SENDS"),
    Rule.IP_COUNTRIES: ("fraud_ip_countries_mode", "fraud_ip_countries", "FRAUD_IP_COUNTRIES"),
    Rule.COUNTRY_BUDGET: ("fraud_country_budget_mode", None, None),
    Rule.BLOCKLIST: ("fraud_blocklist_mode", None, None),
}


@dataclass(frozen=True)
class FraudPolicy:
    modes: dict[str, str]
    thresholds: dict[str, int]

    def mode(self, rule: str) -> str:
        return self.modes[rule]

    def on(self, rule: str) -> bool:
        return self.modes[rule] != Mode.OFF


def _abuse_policy(account: Account) -> AbusePolicy | None:
    # Django caches the reverse one-to-one (and its absence) on the instance: one query a request.
    try:
        return account.abuse_policy
    except AbusePolicy.DoesNotExist:
        return None


def fraud_policy_for(account: Account) -> FraudPolicy:
    policy = _abuse_policy(account)
    modes, thresholds = {}, {}
    for rule, (mode_field, threshold_field, setting) in FIELDS.items():
        modes[rule] = (getattr(policy, mode_field) if policy is not None else "") or DEFAULT_MODES[rule]
        if threshold_field is not None:
            own = getattr(policy, threshold_field) if policy is not None else None
            thresholds[rule] = own or otp_setting(setting)
    return FraudPolicy(modes=modes, thresholds=thresholds)
