"""System checks: the global rate limit settings parse, and the limiter's cache is shared."""
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.checks import Error, Warning, register

from accounts.validators import destinations_parse, number_types_parse, rate_parse

from ..conf import otp_setting
from .policy import RATES

LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


@register()
def check_rate_limit_settings(app_configs=None, **kwargs):
    errors = []
    for _field, setting in RATES.values():
        try:
            rate_parse(str(otp_setting(setting)))
        except ValueError as exc:
            errors.append(Error(f"OTP {setting}: {exc}", id="otp.E010"))
    try:
        number_types_parse(str(otp_setting("ALLOWED_NUMBER_TYPES")))
    except ValueError as exc:
        errors.append(Error(f"OTP ALLOWED_NUMBER_TYPES: {exc}", id="otp.E011"))
    cap = otp_setting("DAILY_SPEND_CAP")
    if cap not in ("", None):
        try:
            valid = Decimal(str(cap)) >= 0
        except InvalidOperation:
            valid = False
        if not valid:
            errors.append(Error(f"OTP DAILY_SPEND_CAP must be a decimal amount, not {cap!r}", id="otp.E012"))
    try:
        destinations_parse(str(otp_setting("HIGH_RISK_DESTINATIONS")))
    except ValueError as exc:
        errors.append(Error(f"OTP HIGH_RISK_DESTINATIONS: {exc}", id="otp.E014"))
    for name in ("FRAUD_FAILED_VERIFICATIONS", "FRAUD_RECIPIENT_SENDS", "FRAUD_IP_COUNTRIES"):
        if otp_setting(name) < 1:
            errors.append(Error(f"OTP {name} must be at least 1, not {otp_setting(name)}", id="otp.E015"))
    if getattr(settings, "TRUSTED_PROXY_COUNT", 0) < 0:
        errors.append(Error("TRUSTED_PROXY_COUNT cannot be negative", id="otp.E013"))
    backend = settings.CACHES.get(getattr(settings, "RATELIMIT_USE_CACHE", "default"), {}).get("BACKEND", "")
    if backend in LOCAL_CACHES and not settings.DEBUG and getattr(settings, "RATELIMIT_ENABLE", True):
        errors.append(
            Warning(
                "Rate limits use a per-process cache: with several web processes they do not hold in total",
                hint="Set REDIS_URL so every process shares the limiter.",
                id="otp.W010",
            )
        )
    return errors
