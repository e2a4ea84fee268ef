"""Schemathesis fuzzes the API from its own OpenAPI schema: no 5xx, and every answer is as documented.

The schema is loaded in process from the app (`/api/schema/` over WSGI), so what is fuzzed is what
the service publishes. Each operation gets the coverage phase (boundary and invalid values, unknown
fields, missing parameters, other methods) and a bounded number of generated examples, with the
same seed every run. A walk through the success and domain-error paths checks those answers
against the schema too, since random tokens and ids seldom reach them.
"""
import json
import re
from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from accounts.services import account_create
from otpservice.wsgi import application

pytestmark = pytest.mark.django_db

# Methods an operation does not declare must be refused cleanly (405 in the envelope), OPTIONS included.
UNEXPECTED_METHODS = ["get", "put", "post", "delete", "patch", "options", "trace"]
CONFIG = SchemathesisConfig.from_dict(
    {"seed": 20260115, "phases": {"coverage": {"unexpected-methods": UNEXPECTED_METHODS}}}
)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
FUZZ = settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
OPERATIONS = {
    ("POST", "/api/v1/otp/send"),
    ("POST", "/api/v1/otp/verify"),
    ("POST", "/api/v1/otp/resend"),
    ("GET", "/api/v1/otp/sessions"),
    ("GET", "/api/v1/otp/sessions/{session_id}"),
    ("POST", "/api/v1/otp/sessions/{session_id}/cancel"),
    ("GET", "/api/v1/contacts"),
    ("POST", "/api/v1/contacts"),
    ("POST", "/api/v1/contacts/bulk"),
    ("GET", "/api/v1/contacts/external/{external_id}"),
    ("GET", "/api/v1/contacts/{contact_id}"),
    ("PATCH", "/api/v1/contacts/{contact_id}"),
    ("DELETE", "/api/v1/contacts/{contact_id}"),
    ("POST", "/api/v1/contacts/{contact_id}/unsubscribe"),
    ("POST", "/api/v1/contacts/{contact_id}/tags"),
    ("DELETE", "/api/v1/contacts/{contact_id}/tags"),
    ("GET", "/api/v1/contacts/{contact_id}/preferences"),
    ("PATCH", "/api/v1/contacts/{contact_id}/preferences"),
    ("DELETE", "/api/v1/contacts/{contact_id}/preferences"),
    ("POST", "/api/v1/contacts/{contact_id}/preferences/subscribe-all"),
    ("GET", "/api/v1/contacts/{contact_id}/preferences/{channel}"),
    ("PATCH", "/api/v1/contacts/{contact_id}/preferences/{channel}"),
    ("DELETE", "/api/v1/contacts/{contact_id}/preferences/{channel}"),
    ("PATCH", "/api/v1/contacts/{contact_id}/preferences/{channel}/{category}"),
    ("GET", "/api/v1/wallet"),
    ("GET", "/api/v1/wallet/transactions"),
    ("GET", "/api/v1/otp/templates"),
    ("POST", "/api/v1/otp/templates"),
    ("GET", "/api/v1/otp/templates/{key}"),
    ("PUT", "/api/v1/otp/templates/{key}"),
    ("DELETE", "/api/v1/otp/templates/{key}"),
    ("POST", "/api/v1/otp/templates/{key}/preview"),
    ("GET", "/api/v1/otp/templates/{key}/versions"),
    ("POST", "/api/v1/otp/templates/{key}/versions/{version}/activate"),
    ("GET", "/api/v1/otp/templates/locales"),
    ("GET", "/api/v1/otp/test-recipients"),
    ("POST", "/api/v1/otp/test-recipients"),
    ("DELETE", "/api/v1/otp/test-recipients/{test_recipient_id}"),
    ("GET", "/api/v1/otp/blocklist"),
    ("POST", "/api/v1/otp/blocklist"),
    ("DELETE", "/api/v1/otp/blocklist/{entry_id}"),
    ("GET", "/api/v1/otp/allowlist"),
    ("POST", "/api/v1/otp/allowlist"),
    ("DELETE", "/api/v1/otp/allowlist/{entry_id}"),
    ("GET", "/api/v1/otp/fraud-decisions"),
    ("GET", "/api/v1/webhooks"),
    ("POST", "/api/v1/webhooks"),
    ("GET", "/api/v1/webhooks/{webhook_id}"),
    ("PATCH", "/api/v1/webhooks/{webhook_id}"),
    ("DELETE", "/api/v1/webhooks/{webhook_id}"),
    ("POST", "/api/v1/webhooks/{webhook_id}/rotate-secret"),
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"),
    ("POST", "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"),
}


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Django's WSGI handler closes the database connection when a request ends, which on PostgreSQL
    would end the test's transaction; Django's own test client unhooks the same signal handler."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _roomy_limits(settings):
    """The account's endpoint limits would answer most fuzzed calls with a 429 and hide the rest."""
    settings.OTP = {**settings.OTP, "RATE_SEND": "10000/m", "RATE_VERIFY": "10000/m", "RATE_RESEND": "10000/m"}


def test_the_schema_documents_every_operation_that_is_fuzzed():
    documented = {(op.method.upper(), op.path) for op in (result.ok() for result in schema.get_all_operations())}
    assert documented == OPERATIONS


@schema.parametrize()
@FUZZ
def test_fuzz_with_a_test_key(case, account_keys):
    """Sandbox: nothing is delivered or charged, codes come back in the response."""
    case.call_and_validate(headers={"X-API-Key": account_keys.test_key}, checks=CHECKS)


@schema.include(path="/api/v1/otp/send", method="POST").parametrize()
@settings(FUZZ, max_examples=15)
def test_fuzz_live_send_with_a_funded_wallet(case, account_keys):
    """Live sends are charged; deliveries wait for a commit that the test's transaction never makes."""
    case.call_and_validate(headers={"X-API-Key": account_keys.live_key}, checks=CHECKS)


# --- success and domain-error paths, validated against the schema -------------------------------


class Api:
    """Calls one documented operation with the given key and validates the answer against the schema."""

    def __init__(self, key: str):
        self.key = key

    def __call__(self, method, path, status, *, key=None, **case):
        response = schema[path][method].Case(**case).call_and_validate(
            headers={"X-API-Key": key or self.key}, checks=CHECKS
        )
        assert response.status_code == status, response.text
        return response.json()


def error_code(body):
    assert body["success"] is False
    return body["error"]["code"]


def test_sandbox_session_answers_match_the_schema_from_send_to_verified(account_keys):
    api = Api(account_keys.test_key)
    recipients = {"email": "Ada@Example.com", "sms": "+14155552671"}
    sent = api(
        "POST", "/api/v1/otp/send", 200,
        body={"channels": ["email", "sms"], "recipients": recipients, "metadata": {"order": "7"}},
    )
    token, codes = sent["session_token"], sent["sandbox_otps"]
    wrong = {"email": "0" * 6 if codes["email"] != "0" * 6 else "1" * 6}
    assert error_code(api("POST", "/api/v1/otp/verify", 400, body={"session_token": token, "otps": wrong})) == (
        "invalid_otp"
    )
    partial = api("POST", "/api/v1/otp/verify", 200, body={"token": token, "otps": {"email": codes["email"]}})
    assert partial["status"] == "PARTIAL"
    cooldown = api("POST", "/api/v1/otp/resend", 429, body={"session_token": token, "channels": ["sms"]})
    assert error_code(cooldown) == "resend_cooldown"
    verified = api("POST", "/api/v1/otp/verify", 200, body={"session_token": token, "otps": {"sms": codes["sms"]}})
    assert verified["session_verified"] is True
    assert error_code(api("POST", "/api/v1/otp/resend", 409, body={"session_token": token})) == "already_verified"

    session_path = {"session_id": sent["session_id"]}
    detail = api("GET", "/api/v1/otp/sessions/{session_id}", 200, path_parameters=session_path)
    assert detail["data"]["status"] == "VERIFIED"
    listed = api("GET", "/api/v1/otp/sessions", 200, query={"status": "VERIFIED", "channel": "sms", "metadata.order": "7"})
    assert [s["session_id"] for s in listed["data"]] == [sent["session_id"]]
    # Contacts hold live users' data: a test key is refused them (and sandbox sessions make none).
    assert error_code(api("GET", "/api/v1/contacts", 403)) == "permission_denied"


def test_cancel_lock_and_not_found_answers_match_the_schema(account_keys):
    api = Api(account_keys.test_key)
    body = {"channels": ["email"], "recipients": {"email": "ada@example.com"}}
    cancelled = api("POST", "/api/v1/otp/send", 200, body=body)
    cancel = {"session_id": cancelled["session_id"]}
    assert api("POST", "/api/v1/otp/sessions/{session_id}/cancel", 200, path_parameters=cancel)["data"]["status"] == (
        "CANCELLED"
    )
    again = api("POST", "/api/v1/otp/sessions/{session_id}/cancel", 409, path_parameters=cancel)
    assert error_code(again) == "session_cancelled"
    on_cancelled = {"session_token": cancelled["session_token"], "otps": {"email": "123456"}}
    assert error_code(api("POST", "/api/v1/otp/verify", 409, body=on_cancelled)) == "session_cancelled"

    locked = api("POST", "/api/v1/otp/send", 200, body={**body, "config": {"max_attempts": 1}})
    wrong = "1" * 6 if locked["sandbox_otps"]["email"] != "1" * 6 else "2" * 6
    guess = {"session_token": locked["session_token"], "otps": {"email": wrong}}
    assert api("POST", "/api/v1/otp/verify", 400, body=guess)["details"]["attempts_remaining"] == 0
    assert error_code(api("POST", "/api/v1/otp/verify", 423, body=guess)) == "max_attempts_exceeded"

    missing = {"session_id": "00000000-0000-4000-8000-000000000000"}
    assert error_code(api("GET", "/api/v1/otp/sessions/{session_id}", 404, path_parameters=missing)) == (
        "session_not_found"
    )
    assert error_code(api("GET", "/api/v1/wallet", 401, key="sk_live_not-a-key")) == "authentication_failed"


def test_live_send_contact_wallet_and_idempotency_answers_match_the_schema(
    account_keys, outbox_file, django_capture_on_commit_callbacks
):
    api = Api(account_keys.live_key)
    body = {
        "channels": ["email", "sms"],
        "recipients": {"email": "ada@example.com", "sms": "+14155552671"},
        "add_contact": True,
    }
    with django_capture_on_commit_callbacks(execute=True):
        sent = api("POST", "/api/v1/otp/send", 200, body=body, headers={"Idempotency-Key": "order-7"})
    assert sent["sandbox"] is False and "sandbox_otps" not in sent
    replay = api("POST", "/api/v1/otp/send", 200, body=body, headers={"Idempotency-Key": "order-7"})
    assert replay["session_id"] == sent["session_id"]
    other = {**body, "channels": ["email"], "recipients": {"email": "ada@example.com"}}
    reused = api("POST", "/api/v1/otp/send", 422, body=other, headers={"Idempotency-Key": "order-7"})
    assert error_code(reused) == "idempotency_key_reused"

    detail = api("GET", "/api/v1/otp/sessions/{session_id}", 200, path_parameters={"session_id": sent["session_id"]})
    assert {d["delivery_status"] for d in detail["data"]["channel_details"].values()} == {"SENT"}
    codes = {m["channel"]: re.search(r"\b(\d{6})\b", m["body"]).group(1) for m in map(json.loads, outbox_file.open())}
    verified = api("POST", "/api/v1/otp/verify", 200, body={"session_token": sent["session_token"], "otps": codes})
    assert verified["status"] == "VERIFIED"
    contacts = api("GET", "/api/v1/contacts", 200, query={"page": 1, "limit": 5})
    assert contacts["pagination"]["total"] == 1
    contact = api("GET", "/api/v1/contacts/{contact_id}", 200, path_parameters={"contact_id": contacts["data"][0]["id"]})
    assert set(contact["data"]["verified_channels"]) == {"email", "sms"}

    wallet = api("GET", "/api/v1/wallet", 200)
    assert Decimal(wallet["data"]["balance"]) == Decimal("100.0000") - Decimal("0.0015") - Decimal("0.0150")
    charges = api("GET", "/api/v1/wallet/transactions", 200, query={"kind": "charge", "limit": 10})
    assert {t["channel"] for t in charges["data"]} == {"email", "sms"}

    broke = account_create(name="Broke")
    refused = api("POST", "/api/v1/otp/send", 402, key=broke.live_key, body=body)
    assert error_code(refused) == "insufficient_balance"


# --- OPTIONS (found by the fuzzer: DRF's metadata used to 500 on viewsets without a serializer) ---


@pytest.mark.parametrize(
    "path", ["/api/v1/otp/send", "/api/v1/otp/verify", "/api/v1/otp/resend", "/api/v1/otp/sessions/x/cancel"]
)
def test_options_on_a_post_endpoint_is_method_not_allowed_in_the_envelope(account_keys, path):
    response = Client(raise_request_exception=False).options(path, HTTP_X_API_KEY=account_keys.test_key)
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
