"""Admin: an endpoint's secret is shown once (on create and rotate), deliveries show their attempts, redeliver."""
from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from events.crypto import secret_open
from events.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from events.services import delivery_run, event_emit
from events.types import EventType

from .conftest import SESSION_DATA

pytestmark = pytest.mark.django_db


def test_adding_an_endpoint_shows_its_secret_once_and_never_again(admin_client, account, receiver):
    response = admin_client.post(
        reverse("admin:events_webhookendpoint_add"),
        {"account": account.pk, "url": receiver.url(), "events": ["channel.sent", "session.verified"],
         "description": "ops", "is_active": "on"},
    )
    assert response.status_code == 200, response.content
    endpoint = WebhookEndpoint.objects.get()
    secret = secret_open(endpoint.secret_sealed)
    assert secret in response.content.decode() and "never shown again" in response.content.decode()
    assert "no-cache" in response["Cache-Control"]
    page = admin_client.get(reverse("admin:events_webhookendpoint_change", args=[endpoint.pk])).content.decode()
    assert secret not in page and endpoint.secret_sealed not in page
    assert endpoint.events == ["channel.sent", "session.verified"]


def test_the_admin_refuses_a_private_url_under_production_rules(admin_client, account, settings):
    settings.OTP_WEBHOOKS_ALLOW_PRIVATE = False
    response = admin_client.post(
        reverse("admin:events_webhookendpoint_add"),
        {"account": account.pk, "url": "https://10.0.0.1/h", "events": ["channel.sent"], "is_active": "on"},
    )
    assert response.status_code == 200 and "private address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_rotate_action_shows_the_new_secret(admin_client, endpoint):
    response = admin_client.post(
        reverse("admin:events_webhookendpoint_changelist"),
        {"action": "rotate_secrets", "_selected_action": [endpoint.endpoint.pk]},
    )
    endpoint.endpoint.refresh_from_db()
    new = secret_open(endpoint.endpoint.secret_sealed)
    assert new != endpoint.secret and new in response.content.decode()


def test_a_delivery_page_shows_its_attempts_and_the_redeliver_action_sends_again(
    admin_client, account, endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.statuses = [500]
    with transaction.atomic():
        event = event_emit(account_id=account.pk, type=EventType.CHANNEL_SENT, data=SESSION_DATA)
    delivery = WebhookDelivery.objects.get(event=event)
    delivery_run(delivery_id=delivery.pk)
    page = admin_client.get(reverse("admin:events_webhookdelivery_change", args=[delivery.pk])).content.decode()
    assert "HTTP 500" in page and "upstream broke" in page
    assert admin_client.get(reverse("admin:events_webhookdelivery_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:events_event_change", args=[event.pk])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:events_webhookdelivery_changelist"),
            {"action": "redeliver", "_selected_action": [delivery.pk]},
        )
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and len(receiver.requests) == 2
