"""System checks: no unknown or mistyped OTP settings, secrets present, a known delivery mode.

Each id names one problem across the project (otp.E010 onwards: otp/ratelimits/checks.py)."""
from django.conf import settings
from django.core.checks import Error, register

from .channels import CHANNELS
from .conf import DEFAULTS, otp_setting, otp_setting_type_error
from .delivery.registry import delivery_mode


@register()
def check_otp_settings(app_configs=None, **kwargs):
    errors = []
    unknown = sorted(set(getattr(settings, "OTP", {})) - set(DEFAULTS))
    if unknown:
        errors.append(Error(f"Unknown OTP settings: {', '.join(unknown)}", id="otp.E001"))
    mistyped = [
        Error(type_error, id="otp.E007")
        for name, value in getattr(settings, "OTP", {}).items()
        if name in DEFAULTS and (type_error := otp_setting_type_error(name, value))
    ]
    if mistyped:
        return errors + mistyped  # the checks below read settings through otp_setting(), which would raise
    unknown_channels = sorted(set(getattr(settings, "OTP", {}).get("DELIVERY_BY_CHANNEL", {})) - set(CHANNELS))
    if unknown_channels:
        errors.append(
            Error(f"Unknown channels in OTP DELIVERY_BY_CHANNEL: {', '.join(unknown_channels)}", id="otp.E008")
        )
    for name in ("OTP_PEPPER", "OTP_TOKEN_SECRET"):
        if not getattr(settings, name, ""):
            errors.append(Error(f"{name} is not set", id="otp.E002"))
    if settings.OTP.get("DELIVERY", "outbox") not in {"outbox", "live"}:
        errors.append(Error("OTP_DELIVERY must be 'outbox' or 'live'", id="otp.E003"))
    errors.extend(_provider_credentials())
    errors.extend(_delivery_timing())
    errors.extend(_whatsapp_content_variables())
    return errors


def _whatsapp_content_variables():
    mapping = settings.TWILIO_WHATSAPP_CONTENT_VARIABLES
    known = {"otp", "expiry_minutes", "app_name"}
    if isinstance(mapping, dict) and all(isinstance(v, str) and v in known for v in mapping.values()):
        return []
    return [
        Error(
            "TWILIO_WHATSAPP_CONTENT_VARIABLES must map variable numbers to otp, expiry_minutes or app_name",
            id="otp.E006",
        )
    ]


def _delivery_timing():
    """provider timeout < claim lease < broker visibility timeout, or crash recovery breaks.

    A lease shorter than a send could let a redelivered task send twice; a lease at least as
    long as the visibility timeout makes the redelivered task find a fresh claim and give up,
    leaving the channel QUEUED for good.
    """
    timeout = settings.PROVIDER_TIMEOUT_SECONDS
    lease = otp_setting("DELIVERY_LEASE_SECONDS")
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    if timeout < lease < visibility:
        return []
    return [
        Error(
            f"Need PROVIDER_TIMEOUT_SECONDS ({timeout}) < OTP_DELIVERY_LEASE_SECONDS ({lease}) "
            f"< CELERY_VISIBILITY_TIMEOUT ({visibility})",
            id="otp.E005",
        )
    ]


def _provider_credentials():
    """A channel delivered live must have its provider's credentials."""
    errors = []
    for channel, spec in CHANNELS.items():
        mode = delivery_mode(channel)
        if mode not in {"outbox", "live"}:
            errors.append(Error(f"OTP_DELIVERY_{channel.upper()} must be 'outbox' or 'live'", id="otp.E009"))
        if mode != "live":
            continue
        for group in spec.credentials:
            if not any(getattr(settings, name, "") for name in group):
                errors.append(
                    Error(f"{channel} is delivered live but {' or '.join(group)} is not set", id="otp.E004")
                )
    return errors
