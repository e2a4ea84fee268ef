"""The emit API otp calls inside its own transaction (the outbox), and redelivery on request."""
from __future__ import annotations

import json
from datetime import datetime
from functools import partial

from django.db import transaction
from django.utils import timezone

from accounts.models import Account

from ..enqueue import deliveries_enqueue
from ..exceptions import DeliveryInProgress, WebhookDisabled
from ..models import DeliveryStatus, Event, WebhookDelivery
from ..selectors import delivery_get, endpoints_subscribed, webhook_get
from ..types import EventType
from .delivery import LEASE

# The keys an event's data may carry (DESIGN.md §9): nothing else, so never a code or a hash.
REQUIRED_KEYS = ("session_id", "status", "sandbox")
OPTIONAL_KEYS = ("channel", "delivery_status", "metadata", "reason", "next_channel")


class EventDataInvalid(ValueError):
    """A programming error in the caller: an unknown type, a missing or unknown key, not JSON."""


def _payload(data: dict) -> dict:
    missing = [key for key in REQUIRED_KEYS if key not in data]
    unknown = sorted(set(data) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if missing or unknown:
        raise EventDataInvalid(f"event data: missing {missing}, unknown {unknown}")
    if not isinstance(data["sandbox"], bool):
        raise EventDataInvalid("event data: sandbox must be a bool")
    payload = {"session_id": str(data["session_id"]), "status": str(data["status"])}
    for key in OPTIONAL_KEYS[:2]:
        if data.get(key) is not None:
            payload[key] = str(data[key])
    payload["sandbox"] = data["sandbox"]
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise EventDataInvalid("event data: metadata must be a dict")
    payload["metadata"] = metadata
    for key in OPTIONAL_KEYS[3:]:
        if data.get(key) is not None:
            payload[key] = str(data[key])
    try:
        json.dumps(payload)
    except (TypeError, ValueError) as exc:
        raise EventDataInvalid(f"event data is not JSON: {exc}") from None
    return payload


def event_emit(*, account_id, type: str, data: dict, now: datetime | None = None) -> Event:
    """Write the event and one pending delivery per active endpoint subscribed to `type`, in the
    caller's transaction; the deliveries are queued when it commits (and never if it rolls back).

    `data`: session_id, status and sandbox; optionally channel, delivery_status, metadata, reason
    (why, for channel.fallback and channel.failed) and next_channel.
    """
    if type not in EventType.values:
        raise EventDataInvalid(f"unknown event type {type!r}")
    payload = _payload(data)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("event_emit must run inside the transaction of the change it describes")
    now = now or timezone.now()
    event = Event.objects.create(account_id=account_id, type=type, data=payload, created_at=now)
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(event=event, endpoint_id=endpoint.pk, next_attempt_at=now, queued_at=now, created_at=now)
        for endpoint in endpoints_subscribed(account_id=account_id, type=type)
    )
    if deliveries:
        # robust: the caller's change is committed whatever the broker does; the sweep covers it.
        transaction.on_commit(partial(deliveries_enqueue, delivery_ids=[d.pk for d in deliveries]), robust=True)
    return event


def delivery_redeliver(*, account: Account, endpoint_id, delivery_id, now: datetime | None = None) -> WebhookDelivery:
    """Start the delivery's schedule again from now (same event id: receivers may deduplicate on it)."""
    now = now or timezone.now()
    endpoint = webhook_get(account=account, endpoint_id=endpoint_id)
    if not endpoint.is_active:
        raise WebhookDisabled(details={"webhook_id": str(endpoint.pk)})
    with transaction.atomic():
        delivery = delivery_get(endpoint=endpoint, delivery_id=delivery_id)
        refreshed = (
            WebhookDelivery.objects.filter(pk=delivery.pk)
            .exclude(claimed_at__gt=now - LEASE)
            .update(
                status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, queued_at=now, claimed_at=None,
                updated_at=now,
            )
        )
        if not refreshed:
            raise DeliveryInProgress(details={"delivery_id": str(delivery.pk)})
        transaction.on_commit(partial(deliveries_enqueue, delivery_ids=[delivery.pk]), robust=True)
    delivery.refresh_from_db()
    return delivery
