"""WhatsApp through Twilio's Messages API, free-form or with a Content template."""
from __future__ import annotations

import json

from django.conf import settings

from .base import Message
from .twilio_common import TwilioProvider, twilio_settings

PREFIX = "whatsapp:"


def whatsapp_address(number: str) -> str:
    return number if number.startswith(PREFIX) else PREFIX + number


class TwilioWhatsAppProvider(TwilioProvider):
    name = "twilio_whatsapp"

    def message_params(self, message: Message) -> dict[str, str]:
        params = {"to": whatsapp_address(message.to)}
        if self.from_number:
            params["from_"] = whatsapp_address(self.from_number)
        if message.content_sid:
            # Outside the 24-hour session window WhatsApp accepts only approved templates.
            params["content_sid"] = message.content_sid
            if message.content_variables:
                params["content_variables"] = json.dumps(message.content_variables)
        else:
            params["body"] = message.body
        return params


def provider_from_settings() -> TwilioWhatsAppProvider:
    return TwilioWhatsAppProvider(from_number=settings.TWILIO_WHATSAPP_FROM, **twilio_settings())
