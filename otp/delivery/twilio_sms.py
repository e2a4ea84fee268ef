"""SMS through Twilio's Programmable Messaging API."""
from __future__ import annotations

from django.conf import settings

from .base import Message
from .twilio_common import TwilioProvider, twilio_settings


class TwilioSmsProvider(TwilioProvider):
    name = "twilio_sms"

    def message_params(self, message: Message) -> dict[str, str]:
        params = {"to": message.to, "body": message.body}
        # A per-message sender (e.g. an alphanumeric ID) wins; with a Messaging Service as well,
        # Twilio sends from that sender and applies the service's other features.
        sender = message.sender or self.from_number
        if sender:
            params["from_"] = sender
        return params


def provider_from_settings() -> TwilioSmsProvider:
    return TwilioSmsProvider(
        from_number=settings.TWILIO_SMS_FROM,
        messaging_service_sid=settings.TWILIO_MESSAGING_SERVICE_SID,
        **twilio_settings(),
    )
