"""The webhooks API: every endpoint, its answers and its errors, in the envelope."""
from __future__ import annotations

import uuid

import pytest
from django.db import transaction
from django.utils import timezone

from events.crypto import secret_open
from events.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from events.services import delivery_run, event_emit
from events.types import EventType

from .conftest import SESSION_DATA

pytestmark = pytest.mark.django_db


def create(api, url, events=("channel.sent",), **extra):
    return api.post("/api/v1/webhooks", {"url": url, "events": list(events), **extra})


def error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == code == body["code"]
    return body


def test_create_answers_201_with_the_secret_shown_once(api, receiver):
    response = create(api, receiver.url(), ["session.verified", "channel.failed"], description="checkout")
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["secret"].startswith("whsec_") and len(data["secret"]) > 40
    assert data["events"] == ["session.verified", "channel.failed"] and data["is_active"] is True
    assert data["description"] == "checkout" and data["created_at"].endswith("Z")
    stored = WebhookEndpoint.objects.get(pk=data["id"])
    assert data["secret"] not in stored.secret_sealed and secret_open(stored.secret_sealed) == data["secret"]
    detail = api.get(f"/api/v1/webhooks/{data['id']}").json()["data"]
    listed = api.get("/api/v1/webhooks").json()["data"]
    assert "secret" not in detail and [row["id"] for row in listed] == [data["id"]] and "secret" not in listed[0]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"events": ["channel.sent"]}, "url"),
        ({"url": "http://127.0.0.1/h"}, "events"),
        ({"url": "http://127.0.0.1/h", "events": []}, "events"),
        ({"url": "http://127.0.0.1/h", "events": ["channel.snet"]}, "events.0"),
        ({"url": "http://127.0.0.1/h", "events": ["channel.sent", "channel.sent"]}, "events"),
        ({"url": "http://127.0.0.1/h", "events": "channel.sent"}, "events"),
        ({"url": 7, "events": ["channel.sent"]}, "url"),
        ({"url": "http://127.0.0.1/h", "events": ["channel.sent"], "secret": "mine"}, "secret"),
        ({"url": "http://127.0.0.1/h", "events": ["channel.sent"], "description": "a\x00b"}, "description"),
    ],
)
def test_create_refuses_bad_bodies_naming_the_field(api, body, field):
    assert error(api.post("/api/v1/webhooks", body), 400, "invalid_request")["details"]["field"] == field


@pytest.mark.parametrize(
    "url, reason",
    [
        ("ftp://example.com/h", "scheme"),
        ("http://user:pw@127.0.0.1/h", "credentials"),
        ("http://127.0.0.1/h#x", "fragment"),
        ("http:///h", "host"),
        ("http://no-such-host.invalid/h", "unresolvable"),
    ],
)
def test_create_refuses_urls_that_cannot_be_delivered_to(api, url, reason):
    body = error(create(api, url), 400, "invalid_webhook_url")
    assert body["details"]["field"] == "url" and body["details"]["reason"] == reason


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://example.com/h", "https_required"),
        ("https://127.0.0.1/h", "loopback"),
        ("https://localhost:8443/h", "loopback"),
        ("https://10.1.2.3/h", "private"),
        ("https://169.254.169.254/latest/meta-data", "metadata"),
        ("https://[::1]/h", "loopback"),
        ("https://[::ffff:192.168.0.1]/h", "private"),
        ("https://100.64.0.1/h", "shared"),
        ("https://2130706433/h", "loopback"),  # 127.0.0.1 spelt as one number
    ],
)
def test_production_rules_refuse_plain_http_and_private_addresses(api, settings, url, reason):
    settings.OTP_WEBHOOKS_ALLOW_PRIVATE = False
    assert error(create(api, url), 400, "invalid_webhook_url")["details"]["reason"] == reason


def test_test_keys_read_but_cannot_write(api, sandbox_api, receiver):
    webhook = create(api, receiver.url()).json()["data"]
    assert sandbox_api.get("/api/v1/webhooks").status_code == 200
    assert sandbox_api.get(f"/api/v1/webhooks/{webhook['id']}/deliveries").status_code == 200
    path = f"/api/v1/webhooks/{webhook['id']}"
    for response in (
        create(sandbox_api, receiver.url()),
        sandbox_api.patch(path, {"is_active": False}),
        sandbox_api.delete(path),
        sandbox_api.post(f"{path}/rotate-secret"),
        sandbox_api.post(f"{path}/deliveries/{uuid.uuid4()}/redeliver"),
    ):
        error(response, 403, "permission_denied")
    assert WebhookEndpoint.objects.count() == 1


def test_another_accounts_endpoint_is_not_found(api, other_api, receiver):
    webhook = create(api, receiver.url()).json()["data"]
    path = f"/api/v1/webhooks/{webhook['id']}"
    error(other_api.get(path), 404, "webhook_not_found")
    error(other_api.patch(path, {"description": "x"}), 404, "webhook_not_found")
    error(other_api.delete(path), 404, "webhook_not_found")
    error(other_api.post(f"{path}/rotate-secret"), 404, "webhook_not_found")
    error(other_api.get(f"{path}/deliveries"), 404, "webhook_not_found")
    assert other_api.get("/api/v1/webhooks").json()["data"] == []
    error(api.get("/api/v1/webhooks/not-a-uuid"), 404, "webhook_not_found")
    error(api.get("/api/v1/webhooks", {"page": "1"}), 400, "invalid_request")


def test_patch_changes_only_the_given_fields_and_checks_the_url(api, receiver, settings):
    webhook = create(api, receiver.url(), description="old").json()["data"]
    path = f"/api/v1/webhooks/{webhook['id']}"
    patched = api.patch(path, {"events": ["session.expired"], "is_active": False})
    assert patched.status_code == 200
    data = patched.json()["data"]
    assert (data["events"], data["is_active"], data["description"], data["url"]) == (
        ["session.expired"], False, "old", receiver.url()
    )
    error(api.patch(path, {"is_active": "no"}), 400, "invalid_request")
    error(api.patch(path, {"enabled": True}), 400, "invalid_request")
    settings.OTP_WEBHOOKS_ALLOW_PRIVATE = False
    error(api.patch(path, {"url": "https://192.168.1.1/h"}), 400, "invalid_webhook_url")
    assert WebhookEndpoint.objects.get(pk=webhook["id"]).url == receiver.url()


def test_delete_answers_204_and_removes_the_endpoint(api, receiver):
    webhook = create(api, receiver.url()).json()["data"]
    response = api.delete(f"/api/v1/webhooks/{webhook['id']}")
    assert response.status_code == 204
    error(api.get(f"/api/v1/webhooks/{webhook['id']}"), 404, "webhook_not_found")


def test_rotate_secret_answers_a_new_secret_once(api, receiver):
    webhook = create(api, receiver.url()).json()
    first = webhook["data"]["secret"]
    rotated = api.post(f"/api/v1/webhooks/{webhook['data']['id']}/rotate-secret")
    assert rotated.status_code == 200
    data = rotated.json()["data"]
    assert data["secret"].startswith("whsec_") and data["secret"] != first and data["secret_rotated_at"]


def test_the_endpoint_limit_is_a_409(api, receiver, settings):
    settings.OTP_WEBHOOKS_MAX_ENDPOINTS = 2
    create(api, receiver.url("/a"))
    create(api, receiver.url("/b"))
    assert error(create(api, receiver.url("/c")), 409, "webhook_limit_reached")["details"]["limit"] == 2


def _delivered(account, receiver, statuses=()):
    receiver.statuses = list(statuses)
    with transaction.atomic():
        event = event_emit(account_id=account.pk, type=EventType.SESSION_VERIFIED, data=SESSION_DATA)
    delivery = WebhookDelivery.objects.get(event=event)
    delivery_run(delivery_id=delivery.pk)
    return event, delivery


def test_deliveries_list_status_attempts_response_code_and_next_retry(api, account, receiver):
    webhook = create(api, receiver.url(), ["session.verified"]).json()["data"]
    event, delivery = _delivered(account, receiver, statuses=[500])
    _delivered(account, receiver)
    response = api.get(f"/api/v1/webhooks/{webhook['id']}/deliveries", {"limit": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["pagination"] == {"page": 1, "limit": 1, "total": 2, "totalPages": 2}
    failing = api.get(f"/api/v1/webhooks/{webhook['id']}/deliveries", {"status": "pending"}).json()["data"]
    assert [row["id"] for row in failing] == [str(delivery.pk)]
    row = failing[0]
    assert (row["event_id"], row["event_type"], row["attempts"], row["response_code"]) == (
        event.public_id, "session.verified", 1, 500
    )
    assert row["last_error"] == "HTTP 500" and row["next_retry_at"].endswith("Z")
    assert "data" not in row  # the event's data is not shown (test keys read this)
    error(api.get(f"/api/v1/webhooks/{webhook['id']}/deliveries", {"status": "lost"}), 400, "invalid_request")
    error(api.get(f"/api/v1/webhooks/{webhook['id']}/deliveries", {"limit": "101"}), 400, "invalid_request")
    error(api.get(f"/api/v1/webhooks/{webhook['id']}/deliveries", {"stauts": "x"}), 400, "invalid_request")


def test_redeliver_starts_the_schedule_again_and_sends_the_same_event(
    api, account, receiver, django_capture_on_commit_callbacks
):
    webhook = create(api, receiver.url(), ["session.verified"]).json()["data"]
    event, delivery = _delivered(account, receiver, statuses=[500])
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    path = f"/api/v1/webhooks/{webhook['id']}/deliveries/{delivery.pk}/redeliver"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(path)
    assert response.status_code == 202 and response.json()["data"]["status"] == "pending"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 1  # eager: sent at once
    assert [r.headers["webhook-id"] for r in receiver.requests] == [event.public_id] * 2


def test_redeliver_errors(api, account, receiver):
    webhook = create(api, receiver.url(), ["session.verified"]).json()["data"]
    _, delivery = _delivered(account, receiver)
    base = f"/api/v1/webhooks/{webhook['id']}/deliveries"
    error(api.post(f"{base}/{uuid.uuid4()}/redeliver"), 404, "delivery_not_found")
    error(api.post(f"{base}/nope/redeliver"), 404, "delivery_not_found")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_at=timezone.now())
    error(api.post(f"{base}/{delivery.pk}/redeliver"), 409, "delivery_in_progress")
    api.patch(f"/api/v1/webhooks/{webhook['id']}", {"is_active": False})
    error(api.post(f"{base}/{delivery.pk}/redeliver"), 409, "webhook_disabled")


def test_unsupported_methods_are_405_in_the_envelope(api):
    error(api.put("/api/v1/webhooks", {}), 405, "method_not_allowed")
    error(api.delete("/api/v1/webhooks"), 405, "method_not_allowed")
