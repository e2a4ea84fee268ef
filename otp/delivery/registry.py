"""Choose the provider for a channel: OTP_DELIVERY=outbox|live, overridable per channel."""
from __future__ import annotations

from .base import Provider
from .outbox import OutboxProvider


def provider_for(channel: str) -> Provider:
    return OutboxProvider()
