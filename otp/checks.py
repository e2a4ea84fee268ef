"""System checks: no unknown OTP settings, secrets present, a known delivery mode."""
from django.conf import settings
from django.core.checks import Error, register

from .conf import DEFAULTS


@register()
def check_otp_settings(app_configs=None, **kwargs):
    errors = []
    unknown = sorted(set(getattr(settings, "OTP", {})) - set(DEFAULTS))
    if unknown:
        errors.append(Error(f"Unknown OTP settings: {', '.join(unknown)}", id="otp.E001"))
    for name in ("OTP_PEPPER", "OTP_TOKEN_SECRET"):
        if not getattr(settings, name, ""):
            errors.append(Error(f"{name} is not set", id="otp.E002"))
    if settings.OTP.get("DELIVERY", "outbox") not in {"outbox", "live"}:
        errors.append(Error("OTP_DELIVERY must be 'outbox' or 'live'", id="otp.E003"))
    return errors
