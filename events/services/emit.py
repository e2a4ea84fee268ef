"""The emit API otp calls inside its own transaction (the outbox), and redelivery on request."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Account

from ..enqueue import deliveries_enqueue
from ..exceptions import DeliveryInProgress, WebhookDisabled
from ..models import DeliveryStatus, Event, WebhookDelivery
from ..selectors import account_key, delivery_get, endpoints_active_cached, endpoints_refresh, webhook_get
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


@dataclass(frozen=True)
class EventSpec:
    """One event to emit: its account, its type and its data (the keys of REQUIRED_KEYS and OPTIONAL_KEYS)."""

    account_id: Any
    type: str
    data: dict


def events_emit(*, events: list[EventSpec], now: datetime | None = None) -> list[Event]:
    """Write each event some active endpoint of its account subscribes to, with one pending delivery
    per such endpoint, in the caller's transaction; the deliveries are queued when it commits (and
    never if it rolls back). Returns the events written, in order.

    An event no endpoint takes is checked and dropped: it could never be delivered (an endpoint
    made later does not receive earlier events), so writing it would only grow the outbox. Hence a
    batch with no subscribed endpoint costs one query (the endpoints of its accounts), none while
    the process has them cached (events.selectors.endpoints_active_cached), and one with some
    costs three (that read, one insert of events, one of deliveries), whatever its size.
    """
    checked = []
    for spec in events:
        if spec.type not in EventType.values:
            raise EventDataInvalid(f"unknown event type {spec.type!r}")
        checked.append((spec, _payload(spec.data)))
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("event_emit must run inside the transaction of the change it describes")
    if not checked:
        return []
    now = now or timezone.now()
    account_ids = {spec.account_id for spec, _ in checked}
    endpoints, stale = endpoints_active_cached(account_ids=account_ids)
    written = _subscribed(checked, endpoints, now)
    if written and stale:
        # The cache says someone listens: read again before writing, so an endpoint another process
        # disabled or deleted since gets no delivery (a deleted one's would fail the caller's commit
        # on its foreign key). Only "nobody listens" is answered from the cache.
        written = _subscribed(checked, endpoints_refresh(account_ids=account_ids), now)
    if not written:
        return []
    Event.objects.bulk_create([event for event, _ in written])
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(event=event, endpoint_id=endpoint.pk, next_attempt_at=now, queued_at=now, created_at=now)
        for event, subscribed in written
        for endpoint in subscribed
    )
    # robust: the caller's change is committed whatever the broker does; the sweep covers it.
    transaction.on_commit(partial(deliveries_enqueue, delivery_ids=[d.pk for d in deliveries]), robust=True)
    return [event for event, _ in written]


def _subscribed(checked: list, endpoints: dict, now: datetime) -> list[tuple[Event, list]]:
    """(event, its subscribed endpoints) of each checked event some endpoint takes."""
    written = []
    for spec, payload in checked:
        key = account_key(spec.account_id)
        subscribed = [endpoint for endpoint in endpoints.get(key, ()) if endpoint.subscribes(spec.type)]
        if subscribed:
            written.append((Event(account_id=spec.account_id, type=spec.type, data=payload, created_at=now), subscribed))
    return written


def event_emit(*, account_id, type: str, data: dict, now: datetime | None = None) -> Event | None:
    """One event (see events_emit): the Event written, or None when no active endpoint of the
    account subscribes to `type` (nothing is written then).

    `data`: session_id, status and sandbox; optionally channel, delivery_status, metadata, reason
    (why, for channel.fallback and channel.failed) and next_channel.
    """
    written = events_emit(events=[EventSpec(account_id=account_id, type=type, data=data)], now=now)
    return written[0] if written else None


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
