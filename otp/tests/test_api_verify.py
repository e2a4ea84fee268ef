"""POST /otp/verify: progressive verification, strategies, attempts, locking, expiry and errors."""
from datetime import datetime, timedelta
from itertools import permutations

import pytest

from otp.models import ChannelVerification, OTPSession
from otpservice.tests.envelope import assert_error as assert_envelope

pytestmark = pytest.mark.django_db

RECIPIENTS = {"email": "a@example.com", "sms": "+14155552671", "whatsapp": "+14155552672"}
ALL = ["email", "sms", "whatsapp"]


def send(client, channels=("email", "sms"), **config):
    body = {"channels": list(channels), "recipients": {ch: RECIPIENTS[ch] for ch in channels}}
    if config:
        body["config"] = config
    response = client.post("/api/v1/otp/send", body)
    assert response.status_code == 200, response.json()
    return response.json()


def verify(client, sent, otps, key="session_token"):
    return client.post("/api/v1/otp/verify", {key: sent["session_token"], "otps": otps})


def session(client, sent):
    response = client.get(f"/api/v1/otp/sessions/{sent['session_id']}")
    assert response.status_code == 200, response.json()
    return response.json()["data"]


def wrong(code):
    return "".join(str((int(digit) + 1) % 10) for digit in code)


def assert_error(response, status, code):
    """The envelope with `code`; returns its details."""
    return assert_envelope(response, status, code, type_=None)["details"]


def attempts_left(response):
    """Assert the request was refused as invalid_otp; return details.attempts_remaining."""
    return assert_error(response, 400, "invalid_otp")["attempts_remaining"]


def assert_ok(response, status):
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == status
    return response.json()


# --- progressive verification and strategies ----------------------------------------------------


@pytest.mark.parametrize("order", list(permutations(ALL)))
def test_channels_verify_one_by_one_in_any_order_until_all_are_done(sandbox_api, order):
    sent = send(sandbox_api, ALL)
    for index, channel in enumerate(order, start=1):
        done = index == len(order)
        response = verify(sandbox_api, sent, {channel: sent["sandbox_otps"][channel]})
        body = assert_ok(response, "VERIFIED" if done else "PARTIAL")
        assert body["verified"] is True
        assert body["session_verified"] is done
        assert body["verified_channels"] == [ch for ch in ALL if ch in order[:index]]
        assert body["pending_channels"] == [ch for ch in ALL if ch not in order[:index]]


@pytest.mark.parametrize(
    "channels, config, steps",
    [
        (["email", "sms"], {}, [("sms", "PARTIAL"), ("email", "VERIFIED")]),
        (["email", "sms"], {"verification_strategy": "all"}, [("email", "PARTIAL"), ("sms", "VERIFIED")]),
        (["email", "sms"], {"verification_strategy": "any"}, [("sms", "VERIFIED")]),
        (ALL, {"verification_strategy": "any"}, [("whatsapp", "VERIFIED")]),
        (
            ALL,
            {"verification_strategy": "specific", "required_channels": ["sms"]},
            [("email", "PARTIAL"), ("sms", "VERIFIED")],
        ),
        (
            ALL,
            {"verification_strategy": "specific", "required_channels": ["email", "sms"]},
            [("whatsapp", "PARTIAL"), ("sms", "PARTIAL"), ("email", "VERIFIED")],
        ),
    ],
)
def test_strategy_decides_when_the_session_becomes_partial_then_verified(sandbox_api, channels, config, steps):
    sent = send(sandbox_api, channels, **config)
    for channel, status in steps:
        assert_ok(verify(sandbox_api, sent, {channel: sent["sandbox_otps"][channel]}), status)
    data = session(sandbox_api, sent)
    assert data["status"] == "VERIFIED"
    assert data["verified_at"] is not None


def test_all_codes_in_one_request_verify_the_session_at_once(sandbox_api):
    sent = send(sandbox_api, ALL)
    assert_ok(verify(sandbox_api, sent, sent["sandbox_otps"]), "VERIFIED")


def test_verify_response_has_the_documented_fields_and_a_data_mirror(sandbox_api):
    sent = send(sandbox_api, ["email", "sms"])
    body = assert_ok(verify(sandbox_api, sent, {"email": sent["sandbox_otps"]["email"]}), "PARTIAL")
    assert body == {
        "success": True,
        "verified": True,
        "session_verified": False,
        "status": "PARTIAL",
        "verification_results": {"email": {"success": True, "message": "OTP verified"}},
        "verified_channels": ["email"],
        "pending_channels": ["sms"],
        "attempts_remaining": 3,
        "data": {
            "verified": True,
            "session_verified": False,
            "status": "PARTIAL",
            "verification_results": {"email": {"success": True, "message": "OTP verified"}},
            "verified_channels": ["email"],
            "pending_channels": ["sms"],
            "attempts_remaining": 3,
            "session_id": sent["session_id"],
        },
    }


def test_one_right_and_one_wrong_code_is_200_not_verified_and_costs_an_attempt(sandbox_api):
    sent = send(sandbox_api, ["email", "sms"])
    otps = {"email": sent["sandbox_otps"]["email"], "sms": wrong(sent["sandbox_otps"]["sms"])}
    body = assert_ok(verify(sandbox_api, sent, otps), "PARTIAL")
    assert body["verified"] is False
    assert body["verification_results"]["sms"]["success"] is False
    assert body["attempts_remaining"] == 2
    assert body["verified_channels"] == ["email"]


# --- token field ---------------------------------------------------------------------------------


def test_a_wrong_code_for_an_already_verified_channel_is_wrong_and_costs_an_attempt(sandbox_api):
    sent = send(sandbox_api)
    codes = sent["sandbox_otps"]
    assert_ok(verify(sandbox_api, sent, {"email": codes["email"]}), "PARTIAL")
    # A backend that asks again for the email code must not accept anything.
    assert attempts_left(verify(sandbox_api, sent, {"email": wrong(codes["email"])})) == 2
    assert OTPSession.objects.get(pk=sent["session_id"]).failed_attempts == 1


def test_a_wrong_code_for_a_verified_channel_beside_a_right_one_is_not_verified(sandbox_api):
    sent = send(sandbox_api, ALL)
    codes = sent["sandbox_otps"]
    assert_ok(verify(sandbox_api, sent, {"email": codes["email"]}), "PARTIAL")
    body = assert_ok(verify(sandbox_api, sent, {"email": wrong(codes["email"]), "sms": codes["sms"]}), "PARTIAL")
    assert body["verified"] is False
    assert body["verification_results"]["email"] == {"success": False, "message": "Invalid OTP"}
    assert body["verification_results"]["sms"] == {"success": True, "message": "OTP verified"}
    assert body["attempts_remaining"] == 2


def test_the_right_code_for_an_already_verified_channel_is_still_right(sandbox_api):
    sent = send(sandbox_api, ALL)
    codes = sent["sandbox_otps"]
    assert_ok(verify(sandbox_api, sent, {"email": codes["email"]}), "PARTIAL")
    body = assert_ok(verify(sandbox_api, sent, {"email": codes["email"]}), "PARTIAL")
    assert body["verified"] is True
    assert body["verification_results"]["email"] == {"success": True, "message": "Channel already verified"}
    assert body["attempts_remaining"] == 3


@pytest.mark.parametrize("key", ["session_token", "token"])
def test_token_is_accepted_under_either_name(sandbox_api, key):
    sent = send(sandbox_api, ["email"])
    assert_ok(verify(sandbox_api, sent, sent["sandbox_otps"], key=key), "VERIFIED")


def test_both_token_names_with_the_same_value_are_accepted(sandbox_api):
    sent = send(sandbox_api, ["email"])
    body = {"session_token": sent["session_token"], "token": sent["session_token"], "otps": sent["sandbox_otps"]}
    assert_ok(sandbox_api.post("/api/v1/otp/verify", body), "VERIFIED")


def test_differing_session_token_and_token_is_400(sandbox_api):
    first, second = send(sandbox_api, ["email"]), send(sandbox_api, ["email"])
    body = {"session_token": first["session_token"], "token": second["session_token"], "otps": first["sandbox_otps"]}
    details = assert_error(sandbox_api.post("/api/v1/otp/verify", body), 400, "invalid_request")
    assert details["field"] == "token"
    assert session(sandbox_api, first)["status"] == "PENDING"


# --- attempts and locking ------------------------------------------------------------------------


def test_every_wrong_code_is_one_attempt_whichever_channel(sandbox_api):
    sent = send(sandbox_api, ALL, max_attempts=6)
    codes = sent["sandbox_otps"]
    assert attempts_left(verify(sandbox_api, sent, {"email": wrong(codes["email"])})) == 5
    assert attempts_left(verify(sandbox_api, sent, {"sms": wrong(codes["sms"])})) == 4
    both = {"email": wrong(codes["email"]), "whatsapp": wrong(codes["whatsapp"])}
    assert attempts_left(verify(sandbox_api, sent, both)) == 2
    assert session(sandbox_api, sent)["attempts_remaining"] == 2
    assert OTPSession.objects.get(pk=sent["session_id"]).failed_attempts == 4


def test_request_using_the_last_attempt_gets_invalid_otp_and_locks_the_session(sandbox_api):
    sent = send(sandbox_api, ["email"], max_attempts=2)
    code = sent["sandbox_otps"]["email"]
    assert attempts_left(verify(sandbox_api, sent, {"email": wrong(code)})) == 1
    assert attempts_left(verify(sandbox_api, sent, {"email": wrong(code)})) == 0
    assert session(sandbox_api, sent)["status"] == "LOCKED"
    assert_error(verify(sandbox_api, sent, {"email": code}), 423, "max_attempts_exceeded")
    assert OTPSession.objects.get(pk=sent["session_id"]).failed_attempts == 2


def test_two_wrong_codes_with_one_attempt_left_use_only_that_attempt(sandbox_api):
    sent = send(sandbox_api, ["email", "sms"], max_attempts=1)
    otps = {ch: wrong(code) for ch, code in sent["sandbox_otps"].items()}
    assert attempts_left(verify(sandbox_api, sent, otps)) == 0
    stored = OTPSession.objects.get(pk=sent["session_id"])
    assert (stored.failed_attempts, stored.status) == (1, "LOCKED")


def test_right_code_on_a_locked_session_is_refused_without_counting(sandbox_api):
    sent = send(sandbox_api, ["email", "sms"], max_attempts=1)
    assert_error(verify(sandbox_api, sent, {"sms": wrong(sent["sandbox_otps"]["sms"])}), 400, "invalid_otp")
    for _ in range(2):
        assert_error(verify(sandbox_api, sent, {"email": sent["sandbox_otps"]["email"]}), 423, "max_attempts_exceeded")
    stored = OTPSession.objects.get(pk=sent["session_id"])
    assert (stored.failed_attempts, stored.status) == (1, "LOCKED")
    assert not ChannelVerification.objects.filter(session=stored, verified_at__isnull=False).exists()


@pytest.mark.parametrize("mangle", [lambda code: code[:-1], lambda code: code + "0", lambda code: "0" + code])
def test_code_of_the_wrong_length_counts_as_a_wrong_code(sandbox_api, mangle):
    sent = send(sandbox_api, ["email"])
    assert attempts_left(verify(sandbox_api, sent, {"email": mangle(sent["sandbox_otps"]["email"])})) == 2


def test_verify_before_the_delivery_task_hashed_the_code_counts_as_wrong(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sent = send(api, ["email"])
    assert callbacks, "delivery should be queued on commit"
    assert ChannelVerification.objects.get(session_id=sent["session_id"]).code_hash == ""
    assert attempts_left(verify(api, sent, {"email": "123456"})) == 2
    assert OTPSession.objects.get(pk=sent["session_id"]).failed_attempts == 1


# --- closed sessions and bad channels -----------------------------------------------------------


def test_verify_after_expiry_is_410_and_the_session_shows_expired(sandbox_api, time_machine):
    sent = send(sandbox_api, ["email"], expiry_minutes=5)
    expires_at = datetime.fromisoformat(sent["expires_at"].replace("Z", "+00:00"))
    time_machine.move_to(expires_at + timedelta(seconds=1))
    details = assert_error(verify(sandbox_api, sent, sent["sandbox_otps"]), 410, "otp_expired")
    assert details["expires_at"] == sent["expires_at"]
    assert session(sandbox_api, sent)["status"] == "EXPIRED"
    assert OTPSession.objects.get(pk=sent["session_id"]).failed_attempts == 0


def test_verify_just_before_expiry_still_succeeds(sandbox_api, time_machine):
    sent = send(sandbox_api, ["email"], expiry_minutes=5)
    expires_at = datetime.fromisoformat(sent["expires_at"].replace("Z", "+00:00"))
    time_machine.move_to(expires_at - timedelta(seconds=1))
    assert_ok(verify(sandbox_api, sent, sent["sandbox_otps"]), "VERIFIED")


def test_verify_on_a_verified_session_is_409_already_verified(sandbox_api):
    sent = send(sandbox_api, ["email"])
    assert_ok(verify(sandbox_api, sent, sent["sandbox_otps"]), "VERIFIED")
    assert_error(verify(sandbox_api, sent, sent["sandbox_otps"]), 409, "already_verified")
    assert_error(verify(sandbox_api, sent, {"email": wrong(sent["sandbox_otps"]["email"])}), 409, "already_verified")
    assert OTPSession.objects.get(pk=sent["session_id"]).failed_attempts == 0


def test_verify_on_a_cancelled_session_is_409_session_cancelled(sandbox_api):
    sent = send(sandbox_api, ["email"])
    assert sandbox_api.post(f"/api/v1/otp/sessions/{sent['session_id']}/cancel").status_code == 200
    assert_error(verify(sandbox_api, sent, sent["sandbox_otps"]), 409, "session_cancelled")


def test_code_for_a_channel_not_in_the_session_is_400_and_costs_nothing(sandbox_api):
    sent = send(sandbox_api, ["email"])
    details = assert_error(verify(sandbox_api, sent, {"sms": "123456"}), 400, "invalid_request")
    assert details["field"] == "otps.sms"
    mixed = {"email": sent["sandbox_otps"]["email"], "whatsapp": "123456"}
    assert_error(verify(sandbox_api, sent, mixed), 400, "invalid_request")
    data = session(sandbox_api, sent)
    assert (data["status"], data["attempts_remaining"]) == ("PENDING", 3)


@pytest.mark.parametrize("otps", [{}, {"fax": "123456"}, {"email": "12a456"}, {"email": 123456}, {"email": "１２３４５６"}])
def test_malformed_otps_are_400_and_cost_nothing(sandbox_api, otps):
    sent = send(sandbox_api, ["email"])
    assert_error(verify(sandbox_api, sent, otps), 400, "invalid_request")
    assert session(sandbox_api, sent)["attempts_remaining"] == 3
