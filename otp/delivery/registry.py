"""Choose the provider for a channel: OTP_DELIVERY=outbox|live, overridable per channel."""
from __future__ import annotations

from importlib import import_module

from otp.channels import CHANNELS
from otp.conf import otp_setting

from .base import Provider
from .outbox import OutboxProvider


def delivery_mode(channel: str) -> str:
    """`outbox` or `live`: OTP_DELIVERY_<CHANNEL> when set, else OTP_DELIVERY."""
    return otp_setting("DELIVERY_BY_CHANNEL").get(channel) or otp_setting("DELIVERY")


def provider_for(channel: str) -> Provider:
    if delivery_mode(channel) != "live":
        return OutboxProvider()
    # Each channel's provider module (otp.channels) is imported only when it is delivered live, on
    # purpose: an outbox-mode process never loads the provider SDKs (sendgrid, twilio).
    module = import_module(f"{__package__}.{CHANNELS[channel].provider_module}")
    return module.provider_from_settings()
