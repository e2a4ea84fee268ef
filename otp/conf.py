"""The OTP settings, each with its default and type written only here.

settings.base builds settings.OTP with otp_settings_from_env(); otp_setting() reads it and refuses
an unknown name or a value of the wrong type; otp.checks reports both at start-up.
"""
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .channels import CHANNEL_NAMES

# name: (default, type). Each is overridden by the environment variable OTP_<name> when it is set.
SPEC: dict[str, tuple[Any, type]] = {
    "BCRYPT_ROUNDS": (10, int),
    "RESEND_COOLDOWN_SECONDS": (30, int),
    "MAX_RESENDS": (5, int),
    "OUTBOX_FILE": ("", str),
    "DELIVERY": ("outbox", str),
    # From OTP_DELIVERY_EMAIL, OTP_DELIVERY_SMS and OTP_DELIVERY_WHATSAPP.
    "DELIVERY_BY_CHANNEL": ({}, dict),
    "APP_NAME": ("OTP Service", str),
    "TOKEN_TTL_SECONDS": (24 * 3600, int),
    "IDEMPOTENCY_TTL_SECONDS": (24 * 3600, int),
    "DELIVERY_LEASE_SECONDS": (120, int),
    "DELIVERY_MAX_TRIES": (5, int),
    "DELIVERY_RETRY_BASE_SECONDS": (2.0, float),
    "DELIVERY_RETRY_MAX_SECONDS": (300.0, float),
    # A worker that cannot reach the database retries with the same backoff this many times (waits
    # of up to about 8 hours in all with the defaults): a retry costs nothing, and the one recording
    # a send the provider accepted holds the only copy of its message id.
    "DELIVERY_DB_MAX_TRIES": (100, int),
    # Rate limits in django-ratelimit syntax ("5/5m"); each account can override them in admin.
    "RATE_RECIPIENT": ("5/5m", str),
    "RATE_IP": ("20/h", str),
    "RATE_SEND": ("100/m", str),
    "RATE_VERIFY": ("300/m", str),
    "RATE_RESEND": ("20/m", str),
    # phonenumbers types accepted for SMS and WhatsApp (US/CA numbers are FIXED_LINE_OR_MOBILE).
    "ALLOWED_NUMBER_TYPES": ("MOBILE,FIXED_LINE_OR_MOBILE", str),
    # Most an account may be charged per UTC day, as a decimal string; empty: no cap. On by default
    # (about 3,300 SMS at the default price): pumping is bounded in money before anyone notices.
    "DAILY_SPEND_CAP": ("50", str),
    # Fraud guard (otp.fraud, docs/rate-limits.md): thresholds per 24 h; modes are per account.
    "FRAUD_FAILED_VERIFICATIONS": (10, int),
    "FRAUD_RECIPIENT_SENDS": (20, int),
    "FRAUD_IP_COUNTRIES": (3, int),
    "FRAUD_COUNTRY_DAY_MIN": (20, int),
    "FRAUD_COUNTRY_DAY_RATIO": (0.3, float),
    "FRAUD_COUNTRY_HOUR_MIN": (3, int),
    "FRAUD_COUNTRY_HOUR_RATIO": (0.2, float),
    # Refused for SMS and WhatsApp unless an operator allows them per account: satellite (Inmarsat
    # +870, GMSS: Iridium, Globalstar +881), international networks (+882, +883), international
    # premium rate (+979), and small territories that pumping advisories keep naming while their
    # real OTP traffic is tiny. docs/rate-limits.md has the reasoning.
    "HIGH_RISK_DESTINATIONS": ("+870,+881,+882,+883,+979,CK,NU,TK,TV,NR,WF,KI,SH,IO,NF", str),
    # Who may read /metrics (otp.metrics.views): a bearer token, and addresses or networks
    # (comma-separated); with neither, only a DEBUG server serves it.
    "METRICS_TOKEN": ("", str),
    "METRICS_ALLOW": ("", str),
}
DEFAULTS: dict[str, Any] = {name: default for name, (default, _kind) in SPEC.items()}


def otp_settings_from_env(env) -> dict[str, Any]:
    """settings.OTP: every default, replaced by OTP_<NAME> (cast to its type) where that is set."""
    values = {
        name: env.get_value(f"OTP_{name}", cast=kind, default=default)
        for name, (default, kind) in SPEC.items()
        if kind is not dict
    }
    values["DELIVERY_BY_CHANNEL"] = {
        channel: env.str(f"OTP_DELIVERY_{channel.upper()}", default="") for channel in CHANNEL_NAMES
    }
    return values


def otp_setting_type_error(name: str, value: Any) -> str:
    """Why value cannot be the OTP setting name ("" when it can); an int is a valid float."""
    kind = SPEC[name][1]
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else kind):
        return f"OTP {name} must be of type {kind.__name__}, not {type(value).__name__} ({value!r})"
    return ""


def otp_setting(name: str) -> Any:
    if name not in SPEC:
        raise KeyError(f"Unknown OTP setting {name!r}")
    value = getattr(settings, "OTP", {}).get(name, DEFAULTS[name])
    error = otp_setting_type_error(name, value)
    if error:
        raise ImproperlyConfigured(error)
    return value
