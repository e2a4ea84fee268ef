"""The state enums of sessions and channels (their rules: otp.lifecycle and otp.delivery.state)."""
from django.db import models

from .channels import CHANNELS

Channel = models.TextChoices("Channel", [(name.upper(), (name, spec.label)) for name, spec in CHANNELS.items()])


class SessionStatus(models.TextChoices):
    PENDING = "PENDING"
    PARTIAL = "PARTIAL"
    VERIFIED = "VERIFIED"
    EXPIRED = "EXPIRED"
    LOCKED = "LOCKED"
    CANCELLED = "CANCELLED"


# Not ended: a code may still be sent to or checked against them until expires_at.
LIVE_STATUSES = (SessionStatus.PENDING, SessionStatus.PARTIAL, SessionStatus.LOCKED)


class Strategy(models.TextChoices):
    ALL = "all"
    ANY = "any"
    SPECIFIC = "specific"


class DeliveryStatus(models.TextChoices):
    QUEUED = "QUEUED"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    SANDBOX = "SANDBOX"
    # A fallback channel the chain has not reached (config.delivery "fallback"): no code, no charge.
    NOT_SENT = "NOT_SENT"


class Delivery(models.TextChoices):
    """config.delivery: every channel at once, or one at a time in the order given."""

    ALL = "all"
    FALLBACK = "fallback"
