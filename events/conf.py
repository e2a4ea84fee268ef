"""The webhook settings, each with its default in one place (otpservice/settings/base.py reads the environment)."""
from __future__ import annotations

from django.conf import settings

DEFAULTS = {
    # Plain http and loopback, private, link-local or metadata addresses: development and tests only.
    "OTP_WEBHOOKS_ALLOW_PRIVATE": False,
    # Fernet keys that seal endpoint secrets at rest; the first seals, every one opens (key rotation).
    # Empty: one key derived from SECRET_KEY.
    "OTP_WEBHOOKS_ENCRYPTION_KEYS": [],
    # Connect and read budget of one delivery attempt, as a wall-clock bound.
    "OTP_WEBHOOKS_TIMEOUT_SECONDS": 10.0,
    # After a rotation the previous secret also signs for this long, so receivers can switch over.
    "OTP_WEBHOOKS_SECRET_GRACE_SECONDS": 24 * 3600,
    # Endpoints per account: every event is delivered to each subscribed one.
    "OTP_WEBHOOKS_MAX_ENDPOINTS": 20,
    # Events (with their deliveries and attempts) older than this are deleted by the sweep.
    "OTP_WEBHOOKS_RETENTION_DAYS": 30,
}


def webhook_setting(name: str):
    """The setting `name` (one of DEFAULTS), or its default."""
    return getattr(settings, name, DEFAULTS[name])
