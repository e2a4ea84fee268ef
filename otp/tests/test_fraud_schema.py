"""The fraud guard's success and domain-error answers, validated against the published OpenAPI schema."""
import pytest

from otpservice.tests.test_schema_fuzz import CHECKS, Api, _keep_the_test_connection, error_code, schema  # noqa: F401

pytestmark = pytest.mark.django_db


def deleted(key, path, **params):
    response = schema[path]["DELETE"].Case(path_parameters=params).call_and_validate(
        headers={"X-API-Key": key}, checks=CHECKS
    )
    assert response.status_code == 204, response.text


def test_fraud_guard_answers_match_the_schema(account_keys):
    api = Api(account_keys.live_key)
    made = api("POST", "/api/v1/otp/test-recipients", 201, body={"recipient": "+14155550123", "code": "246810"})
    api("GET", "/api/v1/otp/test-recipients", 200)
    full = {"recipient": "+14155550123", "code": "111111"}
    assert error_code(api("POST", "/api/v1/otp/test-recipients", 409, body=full)) == "test_recipient_exists"
    blocked = api("POST", "/api/v1/otp/blocklist", 201, body={"value": "+33"})
    api("POST", "/api/v1/otp/allowlist", 201, body={"value": "@example.com"})
    api("GET", "/api/v1/otp/blocklist", 200, query={"page": 1, "limit": 5})
    api("GET", "/api/v1/otp/allowlist", 200)
    refused = api("POST", "/api/v1/otp/send", 403, body={"channels": ["sms"], "recipients": {"sms": "+33612345678"}})
    assert error_code(refused) == "recipient_blocked"
    decisions = api("GET", "/api/v1/otp/fraud-decisions", 200, query={"rule": "blocklist", "mode": "block"})
    assert decisions["data"][0]["rule"] == "blocklist"
    deleted(account_keys.live_key, "/api/v1/otp/blocklist/{entry_id}", entry_id=blocked["data"]["id"])
    gone = {"test_recipient_id": made["data"]["id"]}
    deleted(account_keys.live_key, "/api/v1/otp/test-recipients/{test_recipient_id}", **gone)
    assert error_code(api("DELETE", "/api/v1/otp/test-recipients/{test_recipient_id}", 404, path_parameters=gone)) == (
        "not_found"
    )
