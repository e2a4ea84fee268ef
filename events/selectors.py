"""Reads of the webhooks API and admin, always scoped to the caller's account."""
from __future__ import annotations

import uuid

from django.db.models import QuerySet

from accounts.models import Account
from otpservice.api.pagination import Page, paginate
from otpservice.process_cache import ProcessCache

from .exceptions import DeliveryNotFound, WebhookNotFound
from .models import WebhookDelivery, WebhookEndpoint


def _uuid(value) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def webhook_list(*, account: Account) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(account=account).order_by("created_at", "id")


def webhook_get(*, account: Account, endpoint_id) -> WebhookEndpoint:
    """The account's endpoint; WebhookNotFound for an unknown id, a malformed one or another account's."""
    pk = _uuid(endpoint_id)
    endpoint = WebhookEndpoint.objects.filter(account=account, pk=pk).first() if pk else None
    if endpoint is None:
        raise WebhookNotFound(details={"webhook_id": str(endpoint_id)})
    return endpoint


def delivery_get(*, endpoint: WebhookEndpoint, delivery_id) -> WebhookDelivery:
    pk = _uuid(delivery_id)
    delivery = endpoint.deliveries.select_related("event").filter(pk=pk).first() if pk else None
    if delivery is None:
        raise DeliveryNotFound(details={"delivery_id": str(delivery_id)})
    return delivery


def delivery_list(
    *, account: Account, endpoint_id, status: str | None = None, event_type: str | None = None, page: int, limit: int
) -> Page:
    """The endpoint's deliveries, newest first, with their event (type and id)."""
    endpoint = webhook_get(account=account, endpoint_id=endpoint_id)
    rows = endpoint.deliveries.select_related("event").order_by("-created_at", "id")
    if status:
        rows = rows.filter(status=status)
    if event_type:
        rows = rows.filter(event__type=event_type)
    return paginate(rows, page=page, limit=limit)


def endpoints_subscribed(*, account_id, type: str) -> list[WebhookEndpoint]:
    """The account's active endpoints that take `type` (few per account: filtered here, so SQLite
    and PostgreSQL agree without a JSON containment lookup)."""
    rows = WebhookEndpoint.objects.filter(account_id=account_id, is_active=True).only("id", "events")
    return [endpoint for endpoint in rows if endpoint.subscribes(type)]


def endpoints_active(*, account_ids) -> dict:
    """The active endpoints of these accounts, {str(account_id): [endpoint]}, in one query (few per
    account; the type filter is the caller's, in Python, as in endpoints_subscribed)."""
    found: dict[str, list[WebhookEndpoint]] = {}
    rows = WebhookEndpoint.objects.filter(account_id__in=list(account_ids), is_active=True).only("id", "account_id", "events")
    for endpoint in rows:
        found.setdefault(str(endpoint.account_id), []).append(endpoint)
    return found


# Every event emitted (a send, each delivery in the worker, a verify) asks which endpoints of its
# account are active, and most accounts have none: cached per process and account
# (otpservice.process_cache), pickled since an endpoint's `events` is a list. Only "nobody listens"
# is trusted from it (events_emit reads again before writing a delivery), so what it can make late
# is an endpoint created, enabled or subscribed in another process: events meanwhile are not
# written for it, for up to API_KEY_CACHE_SECONDS. docs/security.md states this.
_endpoints = ProcessCache("webhook_endpoints")
_endpoints.drop_on_change(WebhookEndpoint, key=lambda endpoint: str(endpoint.account_id))


def account_key(account_id) -> str:
    # One spelling per account (a UUID, or its text with or without dashes), the one signals drop.
    return str(Account._meta.pk.to_python(account_id))


def endpoints_active_cached(*, account_ids) -> tuple[dict, bool]:
    """endpoints_active, from the cache for the accounts it holds and one query for the others:
    (the endpoints, whether any account's came from the cache, possibly stale)."""
    found, missing = {}, []
    for key in {account_key(account_id) for account_id in account_ids}:
        cached = _endpoints.lookup(key)
        if cached is None:
            missing.append(key)
        else:
            found[key] = cached
    stale = bool(found)
    if missing:
        found.update(endpoints_refresh(account_ids=missing))
    return {key: endpoints for key, endpoints in found.items() if endpoints}, stale


def endpoints_refresh(*, account_ids) -> dict:
    """endpoints_active, read now, and kept in the cache for the next events of these accounts."""
    keys = [account_key(account_id) for account_id in account_ids]
    ticket = _endpoints.ticket()
    loaded = endpoints_active(account_ids=keys)
    for key in keys:
        _endpoints.put(key, loaded.get(key, []), ticket=ticket)
    return loaded
