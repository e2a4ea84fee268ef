"""Choose the provider for a channel: OTP_DELIVERY=outbox|live, overridable per channel."""
from __future__ import annotations

from django.conf import settings

from otp.conf import otp_setting

from .base import Provider
from .outbox import OutboxProvider


def delivery_mode(channel: str) -> str:
    """`outbox` or `live`: OTP_DELIVERY_<CHANNEL> when set, else OTP_DELIVERY."""
    return otp_setting("DELIVERY_BY_CHANNEL").get(channel) or otp_setting("DELIVERY")


def _status_callback(path: str) -> str:
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}{path}" if base else ""


def provider_for(channel: str) -> Provider:
    if delivery_mode(channel) != "live":
        return OutboxProvider()
    timeout = settings.PROVIDER_TIMEOUT_SECONDS
    # The provider SDKs (sendgrid, twilio) are imported only for a channel delivered live, on
    # purpose: an outbox-mode process never loads them. No import cycle is involved.
    if channel == "email":
        from .sendgrid_email import SendGridEmailProvider

        return SendGridEmailProvider(
            api_key=settings.SENDGRID_API_KEY,
            from_email=settings.SENDGRID_FROM_EMAIL,
            from_name=settings.SENDGRID_FROM_NAME,
            api_base_url=settings.SENDGRID_API_BASE_URL,
            timeout=timeout,
        )
    twilio = {
        "account_sid": settings.TWILIO_ACCOUNT_SID,
        "auth_token": settings.TWILIO_AUTH_TOKEN,
        "api_base_url": settings.TWILIO_API_BASE_URL,
        "timeout": timeout,
        "status_callback": _status_callback("/api/v1/webhooks/twilio/status"),
    }
    if channel == "sms":
        from .twilio_sms import TwilioSmsProvider

        return TwilioSmsProvider(
            from_number=settings.TWILIO_SMS_FROM,
            messaging_service_sid=settings.TWILIO_MESSAGING_SERVICE_SID,
            **twilio,
        )
    from .twilio_whatsapp import TwilioWhatsAppProvider

    return TwilioWhatsAppProvider(from_number=settings.TWILIO_WHATSAPP_FROM, **twilio)
