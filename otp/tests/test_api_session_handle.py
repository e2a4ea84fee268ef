"""Session handle (DESIGN §4): verify and resend take the session_id as well as the JWT from send,
scoped exactly as the token is (the key's account and key mode); resend by id answers a fresh JWT;
resend answers in the send response's shape."""
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from django.conf import settings

from otpservice.tests.envelope import assert_error

pytestmark = pytest.mark.django_db

SEND, VERIFY, RESEND = "/api/v1/otp/send", "/api/v1/otp/verify", "/api/v1/otp/resend"
RECIPIENTS = {"email": "ada@example.com", "sms": "+14155552671", "whatsapp": "+447911123456"}
T0 = datetime(2026, 1, 15, 11, 0, tzinfo=UTC)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return lambda seconds: time_machine.move_to(T0 + timedelta(seconds=seconds), tick=False)


def send(client, channels=("email", "sms"), **extra):
    body = {"channels": list(channels), "recipients": {ch: RECIPIENTS[ch] for ch in channels}, **extra}
    response = client.post(SEND, body)
    assert response.status_code == 200, response.json()
    return response.json()


def wrong(code: str) -> str:
    return "".join(str((int(d) + 1) % 10) for d in code)


@pytest.mark.parametrize("key", ["session_token", "token"])
def test_verify_takes_the_session_id_as_the_handle(sandbox_api, key):
    sent = send(sandbox_api)
    response = sandbox_api.post(VERIFY, {key: sent["session_id"], "otps": sent["sandbox_otps"]})
    assert response.status_code == 200, response.json()
    assert response.json()["session_verified"] is True


def test_the_session_id_in_upper_case_is_the_same_handle(sandbox_api):
    sent = send(sandbox_api, ["email"])
    response = sandbox_api.post(VERIFY, {"session_token": sent["session_id"].upper(), "otps": sent["sandbox_otps"]})
    assert response.status_code == 200, response.json()


def test_a_wrong_code_by_id_counts_an_attempt_like_by_token(sandbox_api):
    sent = send(sandbox_api, ["email"])
    bad = {"email": wrong(sent["sandbox_otps"]["email"])}
    body = assert_error(sandbox_api.post(VERIFY, {"session_token": sent["session_id"], "otps": bad}), 400, "invalid_otp", type_="verification_error")
    assert body["details"]["attempts_remaining"] == 2
    body = assert_error(sandbox_api.post(VERIFY, {"session_token": sent["session_token"], "otps": bad}), 400, "invalid_otp", type_="verification_error")
    assert body["details"]["attempts_remaining"] == 1


def test_resend_by_id_answers_a_fresh_jwt_that_is_a_handle_of_the_same_session(sandbox_api, account, clock):
    sent = send(sandbox_api)
    clock(31)
    response = sandbox_api.post(RESEND, {"session_token": sent["session_id"]})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["session_token"] == body["token"] == body["data"]["session_token"]
    assert body["session_token"] != sent["session_token"]  # issued now, not the send's
    claims = jwt.decode(body["session_token"], settings.OTP_TOKEN_SECRET, algorithms=["HS256"], issuer="otpservice")
    assert (claims["sid"], claims["acc"], claims["iat"]) == (sent["session_id"], str(account.id), int((T0 + timedelta(seconds=31)).timestamp()))
    verified = sandbox_api.post(VERIFY, {"session_token": body["session_token"], "otps": body["sandbox_otps"]})
    assert verified.status_code == 200, verified.json()
    assert verified.json()["session_verified"] is True


def test_resend_by_jwt_answers_that_same_jwt(sandbox_api, clock):
    sent = send(sandbox_api)
    clock(31)
    body = sandbox_api.post(RESEND, {"token": sent["session_token"]}).json()
    assert body["session_token"] == body["token"] == body["data"]["session_token"] == sent["session_token"]


def test_resend_answers_the_send_shape_for_the_channels_resent(sandbox_api, clock):
    sent = send(sandbox_api, ["email", "sms", "whatsapp"])
    clock(5)
    sandbox_api.post(VERIFY, {"session_token": sent["session_id"], "otps": {"email": sent["sandbox_otps"]["email"]}})
    clock(31)
    body = sandbox_api.post(RESEND, {"session_token": sent["session_id"], "channels": ["whatsapp"]}).json()
    assert list(body) == [
        "success", "message", "session_id", "session_token", "token", "status", "expires_at", "channels",
        "channels_sent", "sandbox", "sandbox_otps", "data",
    ]
    assert (body["success"], body["message"], body["status"], body["sandbox"]) == (True, "OTP resent successfully", "PARTIAL", True)
    assert body["channels"] == body["data"]["channels"] == ["whatsapp"]
    assert body["channels_sent"] == {"whatsapp": {"success": True, "status": "SANDBOX"}}
    assert list(body["data"]) == ["session_id", "session_token", "expires_at", "channels", "recipients", "otps"]
    assert body["data"]["recipients"] == {"whatsapp": RECIPIENTS["whatsapp"]}
    assert body["data"]["otps"] == body["sandbox_otps"] and list(body["sandbox_otps"]) == ["whatsapp"]
    assert body["expires_at"] == body["data"]["expires_at"] == "2026-01-15T11:10:31.000Z"
    # Without channels: every channel not yet verified.
    clock(62)
    body = sandbox_api.post(RESEND, {"session_token": sent["session_id"]}).json()
    assert body["channels"] == ["sms", "whatsapp"] and list(body["data"]["recipients"]) == ["sms", "whatsapp"]


def test_a_live_resend_by_id_carries_no_codes(api, clock):
    sent = send(api, ["email"])
    clock(31)
    body = api.post(RESEND, {"session_token": sent["session_id"]}).json()
    assert body["sandbox"] is False and body["channels_sent"] == {"email": {"success": True, "status": "QUEUED"}}
    assert "sandbox_otps" not in body and "otps" not in body["data"]


@pytest.mark.parametrize("path", [VERIFY, RESEND])
def test_a_test_key_gets_404_for_a_live_sessions_id(api, sandbox_api, clock, path):
    live = send(api, ["email"])
    clock(31)
    body = {"session_token": live["session_id"]} | ({"otps": {"email": "123456"}} if path == VERIFY else {})
    assert_error(sandbox_api.post(path, body), 404, "session_not_found", type_="not_found_error")
    # …as for its token; the live key reaches it by id.
    body["session_token"] = live["session_token"]
    assert_error(sandbox_api.post(path, body), 404, "session_not_found", type_="not_found_error")
    body["session_token"] = live["session_id"]
    assert api.post(path, body).status_code == (400 if path == VERIFY else 200)


def test_a_live_key_reaches_a_sandbox_session_of_its_account_by_id(api, sandbox_api):
    sent = send(sandbox_api, ["email"])
    assert api.post(VERIFY, {"session_token": sent["session_id"], "otps": sent["sandbox_otps"]}).status_code == 200


@pytest.mark.parametrize("path", [VERIFY, RESEND])
def test_another_accounts_session_id_is_not_found_and_changes_nothing(sandbox_api, other_api, clock, path):
    sent = send(sandbox_api, ["email"])
    clock(31)
    body = {"session_token": sent["session_id"]} | ({"otps": sent["sandbox_otps"]} if path == VERIFY else {})
    assert_error(other_api.post(path, body), 404, "session_not_found", type_="not_found_error")
    # Still pending with its attempts and resends untouched: the owner verifies it with the first code.
    detail = sandbox_api.get(f"/api/v1/otp/sessions/{sent['session_id']}").json()["data"]
    assert (detail["status"], detail["attempts_remaining"], detail["resend_count"]) == ("PENDING", 3, 0)


@pytest.mark.parametrize(
    ("handle", "status", "code"),
    [
        ("00000000-0000-4000-8000-000000000000", 404, "session_not_found"),  # well-formed, no such session
        ("6f1c2d3e-not-a-uuid", 400, "invalid_token"),
        ("{00000000-0000-4000-8000-000000000000}", 400, "invalid_token"),  # only the id as send answers it
        ("", 400, "invalid_token"),
    ],
)
def test_handles_that_are_neither_a_session_id_nor_a_jwt(sandbox_api, handle, status, code):
    response = sandbox_api.post(VERIFY, {"session_token": handle, "otps": {"email": "123456"}})
    if handle == "":
        assert_error(response, 400, "invalid_request", field="session_token")
    else:
        assert_error(response, status, code, type_=None)
