"""The channels, one frozen spec each: every fact about a channel is written here and only here.

Pure Python (no Django import), so settings.base can declare the Celery queues from it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    label: str
    # Its own Celery queue, so a slow provider cannot hold up the others (docs/operations.md).
    queue: str
    # How a recipient is validated and normalized (otpservice.validation), and what destination rules apply.
    address: Literal["email", "phone"]
    # The module under otp.delivery whose `provider_from_settings()` builds the live provider.
    provider_module: str
    # Settings a live channel needs: each group is satisfied by any one of its names (check otp.E004).
    credentials: tuple[tuple[str, ...], ...]

    @property
    def is_phone(self) -> bool:
        return self.address == "phone"


CHANNELS: dict[str, ChannelSpec] = {
    spec.name: spec
    for spec in (
        ChannelSpec(
            name="email",
            label="Email",
            queue="otp.email",
            address="email",
            provider_module="sendgrid_email",
            credentials=(("SENDGRID_API_KEY",), ("SENDGRID_FROM_EMAIL",)),
        ),
        ChannelSpec(
            name="sms",
            label="SMS",
            queue="otp.sms",
            address="phone",
            provider_module="twilio_sms",
            credentials=(("TWILIO_ACCOUNT_SID",), ("TWILIO_AUTH_TOKEN",), ("TWILIO_SMS_FROM", "TWILIO_MESSAGING_SERVICE_SID")),
        ),
        ChannelSpec(
            name="whatsapp",
            label="WhatsApp",
            queue="otp.whatsapp",
            address="phone",
            provider_module="twilio_whatsapp",
            credentials=(("TWILIO_ACCOUNT_SID",), ("TWILIO_AUTH_TOKEN",), ("TWILIO_WHATSAPP_FROM",)),
        ),
    )
}
CHANNEL_NAMES = tuple(CHANNELS)
PHONE_CHANNELS = tuple(name for name, spec in CHANNELS.items() if spec.is_phone)
EMAIL_CHANNELS = tuple(name for name, spec in CHANNELS.items() if spec.address == "email")
