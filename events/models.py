"""Webhook endpoints, the event outbox, and each event's delivery to each endpoint with its attempts."""
from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account

from .types import EventType

# Retries after the first try, in seconds (DESIGN.md §9): about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
# 14 h, 20 h, 24 h; each with ±10 % jitter (events.services.delivery.retry_delay).
RETRY_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1


class WebhookEndpoint(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.CharField(max_length=2048)
    events = models.JSONField(default=list, help_text="The event types delivered to this endpoint.")
    description = models.CharField(max_length=500, blank=True, default="")
    is_active = models.BooleanField(default=True)
    # Fernet tokens (events.crypto): the secret must be readable to sign, so it is sealed, not hashed.
    secret_sealed = models.TextField(editable=False)
    previous_secret_sealed = models.TextField(blank=True, default="", editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    secret_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "webhook endpoint"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["account", "created_at"], name="events_endpoint_account")]

    def __str__(self) -> str:
        return self.url

    def subscribes(self, type: str) -> bool:
        return type in self.events


class Event(models.Model):
    """The outbox: written in the transaction of the change it describes, never with a code or hash."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=40, choices=EventType.choices)
    created_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["account", "-created_at"], name="events_event_account"),
            models.Index(fields=["created_at"], name="events_event_created"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.public_id}"

    @property
    def public_id(self) -> str:
        """`evt_` and 32 hex digits: the webhook-id and the body's id."""
        return f"evt_{self.id.hex}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WebhookDelivery(models.Model):
    """One event to one endpoint: pending until a 2xx, or failed after MAX_ATTEMPTS tries."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    # Tries taken, counted when each is claimed (a crash mid-try uses one up, so a poison delivery ends).
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set while a try runs (its lease); a stale one is a crashed worker's.
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When a task was last published for it: the sweep publishes only when none is on its way.
    queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="events_delivery_once"),
            models.CheckConstraint(condition=Q(attempts__lte=MAX_ATTEMPTS), name="events_delivery_attempts_max"),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.PENDING) | Q(next_attempt_at__isnull=False),
                name="events_delivery_pending_scheduled",
            ),
        ]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="events_delivery_endpoint"),
            models.Index(
                fields=["next_attempt_at"], condition=Q(status=DeliveryStatus.PENDING), name="events_delivery_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.status})"


class DeliveryAttempt(models.Model):
    """One POST of a delivery: what the receiver answered, or why there was no answer."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    address = models.GenericIPAddressField(null=True, blank=True, help_text="The checked address connected to.")
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True, default="")
    response_body = models.CharField(max_length=1024, blank=True, default="", help_text="The first 1 KB.")

    class Meta:
        verbose_name = "webhook delivery attempt"
        ordering = ["delivery", "started_at", "id"]
        indexes = [models.Index(fields=["delivery", "started_at"], name="events_attempt_delivery")]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
