"""Webhook endpoints: create (the secret answered once), update, delete, rotate the secret."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Account

from ..conf import webhook_setting
from ..crypto import secret_generate, secret_open, secret_seal
from ..exceptions import WebhookLimitReached
from ..models import WebhookEndpoint
from ..selectors import webhook_get
from ..target import url_check

UPDATABLE = {"url", "events", "description", "is_active"}


@dataclass(frozen=True)
class EndpointWithSecret:
    endpoint: WebhookEndpoint
    secret: str  # plain, for this one answer only


def webhook_create(
    *, account: Account, url: str, events: Sequence[str], description: str = "", is_active: bool = True
) -> EndpointWithSecret:
    url_check(url)  # DNS, before any lock is taken
    with transaction.atomic():
        # The account's row serializes concurrent creates, so the limit holds.
        Account.objects.select_for_update().filter(pk=account.pk).first()
        limit = webhook_setting("OTP_WEBHOOKS_MAX_ENDPOINTS")
        if WebhookEndpoint.objects.filter(account=account).count() >= limit:
            raise WebhookLimitReached(
                f"Webhook endpoint limit reached: at most {limit} per account; delete one first",
                details={"limit": limit},
            )
        secret = secret_generate()
        endpoint = WebhookEndpoint.objects.create(
            account=account, url=url, events=list(events), description=description, is_active=is_active,
            secret_sealed=secret_seal(secret),
        )
    return EndpointWithSecret(endpoint=endpoint, secret=secret)


def webhook_update(*, account: Account, endpoint_id, fields: dict) -> WebhookEndpoint:
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    endpoint = webhook_get(account=account, endpoint_id=endpoint_id)
    if "url" in fields:
        url_check(fields["url"])
    for name, value in fields.items():
        setattr(endpoint, name, list(value) if name == "events" else value)
    endpoint.save(update_fields=[*fields, "updated_at"])
    return endpoint


def webhook_delete(*, account: Account, endpoint_id) -> None:
    """Delete the endpoint with its deliveries and their attempts (the events stay for other endpoints)."""
    webhook_get(account=account, endpoint_id=endpoint_id).delete()


def webhook_secret_rotate(*, account: Account, endpoint_id, now: datetime | None = None) -> EndpointWithSecret:
    """A new secret signs from now on; the one it replaces signs too for the grace period
    (OTP_WEBHOOKS_SECRET_GRACE_SECONDS), so a receiver can switch without refusing a delivery.
    A second rotation within the grace drops the oldest secret."""
    now = now or timezone.now()
    grace = webhook_setting("OTP_WEBHOOKS_SECRET_GRACE_SECONDS")
    with transaction.atomic():
        endpoint = webhook_get(account=account, endpoint_id=endpoint_id)
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        secret = secret_generate()
        endpoint.previous_secret_sealed = endpoint.secret_sealed if grace > 0 else ""
        endpoint.previous_secret_expires_at = now + timedelta(seconds=grace) if grace > 0 else None
        endpoint.secret_sealed = secret_seal(secret)
        endpoint.secret_rotated_at = now
        endpoint.save(
            update_fields=[
                "previous_secret_sealed", "previous_secret_expires_at", "secret_sealed", "secret_rotated_at", "updated_at",
            ]
        )
    return EndpointWithSecret(endpoint=endpoint, secret=secret)


def endpoint_secrets(endpoint: WebhookEndpoint, *, now: datetime) -> list[str]:
    """The secrets that sign a delivery now: the current one, and the previous one within its grace."""
    secrets = [secret_open(endpoint.secret_sealed)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_sealed and expires is not None and expires > now:
        secrets.append(secret_open(endpoint.previous_secret_sealed))
    return secrets
