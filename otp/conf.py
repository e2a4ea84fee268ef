"""Accessor for the OTP settings dict, with defaults, so a typo'd key fails loudly."""
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "BCRYPT_ROUNDS": 10,
    "RESEND_COOLDOWN_SECONDS": 30,
    "MAX_RESENDS": 5,
    "OUTBOX_FILE": "",
    "DELIVERY": "outbox",
    "DELIVERY_BY_CHANNEL": {},
    "APP_NAME": "OTP Service",
    "TOKEN_TTL_SECONDS": 24 * 3600,
    "IDEMPOTENCY_TTL_SECONDS": 24 * 3600,
    "DELIVERY_LEASE_SECONDS": 120,
    "DELIVERY_MAX_TRIES": 5,
    "DELIVERY_RETRY_BASE_SECONDS": 2,
    "DELIVERY_RETRY_MAX_SECONDS": 300,
    "DELIVERY_DB_MAX_TRIES": 100,
    "RATE_RECIPIENT": "5/5m",
    "RATE_IP": "20/h",
    "RATE_SEND": "100/m",
    "RATE_VERIFY": "300/m",
    "RATE_RESEND": "20/m",
    "ALLOWED_NUMBER_TYPES": "MOBILE,FIXED_LINE_OR_MOBILE",
    "DAILY_SPEND_CAP": "",
}


def otp_setting(name: str) -> Any:
    if name not in DEFAULTS:
        raise KeyError(f"Unknown OTP setting {name!r}")
    return getattr(settings, "OTP", {}).get(name, DEFAULTS[name])
