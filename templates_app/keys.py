"""The reserved template keys and the channel each serves (templates_app keeps its own channel
names so it need not import otp; a test checks they stay otp's)."""
from django.db import models


class TemplateKey(models.TextChoices):
    EMAIL = "otp_email", "OTP email"
    SMS = "otp_sms", "OTP SMS"
    WHATSAPP = "otp_whatsapp", "OTP WhatsApp"


KEY_CHANNELS = {TemplateKey.EMAIL: "email", TemplateKey.SMS: "sms", TemplateKey.WHATSAPP: "whatsapp"}
CHANNEL_KEYS = {channel: key for key, channel in KEY_CHANNELS.items()}
