"""Contract with the Sendmator Node SDK (@sendmator/node 0.0.3: src/resources/otp.ts, email.ts,
sms.ts, whatsapp.ts, src/types/index.ts and src/utils/http-client.ts of
github.com/sendmator/sendmator-node): each OTP request exactly as the SDK sends it, and the fields
its types and its error parser read.

The SDK is axios with baseURL `http://HOST/api` and paths starting `/v1/…`; every request carries
`X-API-Key`, `Content-Type: application/json` and `User-Agent: sendmator-node/1.0.0`, plus
`X-Team-ID` when the client was built with a teamId; bodies are JSON.stringify of what the method
was given. Its error interceptor throws SendmatorError(data.message || data.error || 'An error
occurred', status, data.code, data.details).
"""
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client

from otp.models import OTPSession

pytestmark = pytest.mark.django_db

BASE = "/api"  # the SDK's baseURL; its paths start with /v1
ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


class Sdk:
    """The SDK's HttpClient, request for request."""

    def __init__(self, key: str, team_id: str | None = None):
        self.client = Client()
        self.headers = {"HTTP_X_API_KEY": key, "HTTP_USER_AGENT": "sendmator-node/1.0.0"}
        if team_id:
            self.headers["HTTP_X_TEAM_ID"] = team_id

    def __call__(self, method: str, path: str, data=None):
        # axios sends JSON.stringify(data): compact, keys in the order given; nothing when undefined.
        raw = b"" if data is None else json.dumps(data, separators=(",", ":")).encode()
        response = self.client.generic(method, BASE + path, raw, content_type="application/json", **self.headers)
        assert response["Content-Type"].startswith("application/json"), response.content[:200]
        return response.status_code, response.json()


def sendmator_error(status: int, body: dict) -> tuple[str, int, str, object]:
    """What the SDK's response interceptor makes of an error: (message, statusCode, code, details)."""
    message = body.get("message") or body.get("error") or "An error occurred"
    return message, status, body.get("code"), body.get("details")


def assert_send_response(body: dict, channels: list[str], *, sandbox: bool) -> dict:
    """SendOTPResponse: {success, data: {session_id, expires_at, channels, recipients, otps?}}."""
    assert body["success"] is True
    data = body["data"]
    assert isinstance(data["session_id"], str) and OTPSession.objects.filter(pk=data["session_id"]).exists()
    assert ISO_MS.fullmatch(data["expires_at"])
    assert data["channels"] == channels
    assert set(data["recipients"]) == set(channels) and all(isinstance(v, str) for v in data["recipients"].values())
    if sandbox:
        assert set(data["otps"]) == set(channels) and all(re.fullmatch(r"\d{6}", c) for c in data["otps"].values())
    else:
        assert "otps" not in data
    return data


def assert_verify_response(body: dict) -> dict:
    """VerifyOTPResponse: {success, data: {verified, verification_results: {ch: {success, message?}}}}."""
    assert body["success"] is True
    data = body["data"]
    assert isinstance(data["verified"], bool)
    for result in data["verification_results"].values():
        assert isinstance(result["success"], bool) and isinstance(result["message"], str)
    return data


@pytest.fixture
def sdk(account_keys):
    return Sdk(account_keys.test_key)


@pytest.fixture
def live_sdk(account_keys):
    return Sdk(account_keys.live_key)


def test_send_verify_resend_as_the_sdk_sends_them_with_the_session_id_as_its_readme_does(sdk, time_machine):
    time_machine.move_to(datetime(2026, 1, 15, 11, 0, tzinfo=UTC), tick=False)
    # otp.send(data): SendOTPRequest with every field it types
    status, body = sdk("POST", "/v1/otp/send", {
        "channels": ["email", "sms"],
        "recipients": {"email": "user@example.com", "sms": "+14155552671"},
        "metadata": {"user_id": "42"},
        "add_contact": False,
        "sandbox_mode": True,
    })
    assert status == 200, body
    sent = assert_send_response(body, ["email", "sms"], sandbox=True)

    # otp.verify(data): the README passes "session-id-from-send-response" as session_token
    status, body = sdk("POST", "/v1/otp/verify", {
        "session_token": sent["session_id"], "otps": {"email": sent["otps"]["email"]},
    })
    assert status == 200, body
    data = assert_verify_response(body)
    assert data["verified"] is True and data["verification_results"]["email"]["success"] is True

    # otp.resend(data): ResendOTPRequest is {session_token}; typed as a SendOTPResponse
    time_machine.shift(timedelta(seconds=31))  # past the resend cooldown
    status, body = sdk("POST", "/v1/otp/resend", {"session_token": sent["session_id"]})
    assert status == 200, body
    resent = assert_send_response(body, ["sms"], sandbox=True)  # the channel not yet verified
    assert resent["session_id"] == sent["session_id"]

    status, body = sdk("POST", "/v1/otp/verify", {"session_token": sent["session_id"], "otps": {"sms": resent["otps"]["sms"]}})
    assert status == 200, body
    assert assert_verify_response(body)["verified"] is True
    assert body["session_verified"] is True


def test_the_jwt_from_send_works_as_session_token_too_and_a_team_id_header_is_accepted(account_keys):
    sdk = Sdk(account_keys.test_key, team_id="team-123")
    status, body = sdk("POST", "/v1/otp/send", {"channels": ["whatsapp"], "recipients": {"whatsapp": "+447911123456"}})
    assert status == 200, body
    sent = assert_send_response(body, ["whatsapp"], sandbox=True)
    status, body = sdk("POST", "/v1/otp/verify", {"session_token": sent["session_token"], "otps": sent["otps"]})
    assert status == 200, body
    assert assert_verify_response(body)["verified"] is True


def test_a_live_send_has_no_codes_in_its_sdk_fields(live_sdk):
    status, body = live_sdk("POST", "/v1/otp/send", {"channels": ["email"], "recipients": {"email": "user@example.com"}})
    assert status == 200, body
    assert_send_response(body, ["email"], sandbox=False)


@pytest.mark.parametrize(
    ("request_", "status", "code"),
    [
        # The SDK README's own placeholder is not a real number: refused by design (DESIGN §6).
        (("POST", "/v1/otp/send", {"channels": ["sms"], "recipients": {"sms": "+1234567890"}}), 400, "invalid_recipient"),
        (("POST", "/v1/otp/verify", {"session_token": "not-a-handle", "otps": {"email": "123456"}}), 400, "invalid_token"),
        (("POST", "/v1/otp/verify", {"session_token": "00000000-0000-4000-8000-000000000000", "otps": {"email": "123456"}}),
         404, "session_not_found"),
        (("POST", "/v1/otp/resend", {"session_token": "00000000-0000-4000-8000-000000000000"}), 404, "session_not_found"),
        (("POST", "/v1/otp/send", {"channels": ["fax"], "recipients": {}}), 400, "invalid_request"),
    ],
)
def test_errors_read_by_the_sdks_parser(sdk, request_, status, code):
    got_status, body = sdk(*request_)
    message, status_code, got_code, details = sendmator_error(got_status, body)
    assert (status_code, got_code) == (status, code), body
    assert isinstance(message, str) and message and message != "An error occurred"
    assert isinstance(details, dict)


def test_a_wrong_code_reaches_the_sdk_as_invalid_otp_with_attempts_remaining(sdk):
    _, body = sdk("POST", "/v1/otp/send", {"channels": ["email"], "recipients": {"email": "user@example.com"}})
    wrong = "".join(str((int(d) + 1) % 10) for d in body["data"]["otps"]["email"])
    status, body = sdk("POST", "/v1/otp/verify", {"session_token": body["data"]["session_id"], "otps": {"email": wrong}})
    message, status_code, code, details = sendmator_error(status, body)
    assert (status_code, code) == (400, "invalid_otp")
    assert message.startswith("Invalid OTP") and details["attempts_remaining"] == 2


def test_a_bad_api_key_reaches_the_sdk_as_authentication_failed(db):
    status, body = Sdk("sk_test_" + "x" * 43)("POST", "/v1/otp/send", {"channels": ["email"], "recipients": {"email": "a@example.com"}})
    assert sendmator_error(status, body)[1:3] == (401, "authentication_failed")


# The SDK's other resources, as their convenience methods build them: this service offers none.
UNSUPPORTED = [
    # email.sendTo('user@example.com', {template_key, variables}) → email.send(payload)
    ("POST", "/v1/messages/send", {"recipient_type": "direct_email", "direct_email": "user@example.com",
                                   "template_key": "welcome-email", "variables": {"name": "John"}}),
    ("GET", "/v1/messages/executions/trigger-id", None),  # email.getExecutionStatus
    ("GET", "/v1/messages?" + urlencode({"page": 1, "limit": 20}), None),  # email.listExecutions
    # sms.sendTo('+14155552671', {template_key, variables})
    ("POST", "/v1/sms/send", {"recipient_type": "direct_sms", "direct_sms": "+14155552671",
                              "template_key": "otp-sms", "variables": {"code": "123456"}}),
    ("GET", "/v1/sms/executions/exec-1", None),
    ("GET", "/v1/sms/executions?" + urlencode({"page": 2}), None),
    # whatsapp.sendTo('+14155552671', {template_key, conversation_category, variables})
    ("POST", "/v1/whatsapp/send", {"recipient_type": "direct_whatsapp", "direct_whatsapp": "+14155552671",
                                   "template_key": "order-confirmation", "conversation_category": "UTILITY",
                                   "variables": {"orderNumber": "#12345"}}),
    ("GET", "/v1/whatsapp/executions/exec-1", None),
    ("GET", "/v1/whatsapp/executions", None),
]  # contacts.updateDeviceToken is refused by the contacts app (contacts/tests/test_sdk_contract.py)


@pytest.mark.parametrize(("method", "path", "data"), UNSUPPORTED, ids=[f"{m} {p}" for m, p, _ in UNSUPPORTED])
def test_the_sdks_resources_this_service_does_not_offer_answer_not_found_naming_what_it_does(sdk, method, path, data):
    status, body = sdk(method, path, data)
    message, status_code, code, details = sendmator_error(status, body)
    assert (status_code, code) == (404, "not_found")
    assert "not offered by this service" in message and "/api/v1/otp/send" in message
    assert details["supported"] == ["otp", "contacts", "wallet", "webhooks"]
