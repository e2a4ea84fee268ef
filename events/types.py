"""The event types of DESIGN.md §9, the only ones an endpoint can subscribe to or otp can emit."""
from django.db import models


class EventType(models.TextChoices):
    SESSION_CREATED = "session.created"
    CHANNEL_SENT = "channel.sent"
    CHANNEL_DELIVERED = "channel.delivered"
    CHANNEL_FAILED = "channel.failed"
    CHANNEL_FALLBACK = "channel.fallback"
    CHANNEL_VERIFIED = "channel.verified"
    SESSION_VERIFIED = "session.verified"
    SESSION_LOCKED = "session.locked"
    SESSION_EXPIRED = "session.expired"
    SESSION_CANCELLED = "session.cancelled"
