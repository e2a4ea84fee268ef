"""The webhooks API's success and domain-error answers validated against the published schema
(the fuzzer, with a test key, mostly meets 403 and 404 there)."""
from __future__ import annotations

import uuid

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from otpservice.tests.test_schema_fuzz import CHECKS, Api, error_code, schema

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """As in test_schema_fuzz: the WSGI handler would close the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_webhook_answers_match_the_schema_from_create_to_delete(account_keys, receiver):
    api = Api(account_keys.live_key)
    created = api("POST", "/api/v1/webhooks", 201, body={"url": receiver.url(), "events": ["session.verified"]})
    webhook = {"webhook_id": created["data"]["id"]}
    assert created["data"]["secret"].startswith("whsec_")
    assert api("GET", "/api/v1/webhooks", 200)["data"][0]["id"] == webhook["webhook_id"]
    api("GET", "/api/v1/webhooks/{webhook_id}", 200, path_parameters=webhook)
    patched = api("PATCH", "/api/v1/webhooks/{webhook_id}", 200, path_parameters=webhook, body={"description": "x"})
    assert patched["data"]["description"] == "x"
    api("POST", "/api/v1/webhooks/{webhook_id}/rotate-secret", 200, path_parameters=webhook)
    listed = api("GET", "/api/v1/webhooks/{webhook_id}/deliveries", 200, path_parameters=webhook, query={"limit": 5})
    assert listed["pagination"]["total"] == 0
    missing = {**webhook, "delivery_id": str(uuid.uuid4())}
    redeliver = "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"
    assert error_code(api("POST", redeliver, 404, path_parameters=missing)) == "delivery_not_found"
    bad = api("POST", "/api/v1/webhooks", 400, body={"url": "ftp://x.example/", "events": ["session.verified"]})
    assert error_code(bad) == "invalid_webhook_url"
    refused = api("POST", "/api/v1/webhooks", 403, key=account_keys.test_key,
                  body={"url": receiver.url(), "events": ["session.verified"]})
    assert error_code(refused) == "permission_denied"
    deleted = schema["/api/v1/webhooks/{webhook_id}"]["DELETE"].Case(path_parameters=webhook).call_and_validate(
        headers={"X-API-Key": account_keys.live_key}, checks=CHECKS
    )
    assert deleted.status_code == 204 and deleted.content == b""
    assert error_code(api("GET", "/api/v1/webhooks/{webhook_id}", 404, path_parameters=webhook)) == "webhook_not_found"
