"""POST /api/v1/otp/send: response shape, sandbox, outbox delivery, config rules and idempotency."""
import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from otp.models import ChannelVerification, IdempotencyRecord, OTPSession, OutboxMessage
from otpservice.tests.envelope import assert_error

pytestmark = pytest.mark.django_db

SEND = "/api/v1/otp/send"
VERIFY = "/api/v1/otp/verify"
ISO_MS_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
RECIPIENTS = {"email": "Ada@EXAMPLE.com", "sms": "+14155552671", "whatsapp": "+447911123456"}


def send_body(channels=("email",), **extra):
    return {"channels": list(channels), "recipients": {ch: RECIPIENTS[ch] for ch in channels}, **extra}


# --- response shape -----------------------------------------------------------------------------


def test_live_send_response_has_flat_fields_and_a_data_mirror(api):
    response = api.post(SEND, send_body(["email", "sms"]))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {
        "success", "session_id", "session_token", "token", "status", "expires_at",
        "channels", "channels_sent", "sandbox", "data",
    }
    assert body["success"] is True
    assert body["status"] == "PENDING"
    assert body["sandbox"] is False
    assert body["token"] == body["session_token"]
    assert body["channels"] == ["email", "sms"]
    assert body["channels_sent"] == {
        "email": {"success": True, "status": "QUEUED"},
        "sms": {"success": True, "status": "QUEUED"},
    }
    assert ISO_MS_Z.match(body["expires_at"])
    assert "sandbox_otps" not in body
    assert body["data"] == {
        "session_id": body["session_id"],
        "session_token": body["session_token"],
        "expires_at": body["expires_at"],
        "channels": ["email", "sms"],
        "recipients": {"email": "Ada@example.com", "sms": "+14155552671"},
    }


def test_send_without_config_stores_the_documented_defaults(api):
    body = api.post(SEND, send_body()).json()
    session = OTPSession.objects.get(pk=body["session_id"])
    assert session.expires_at - session.created_at == timedelta(minutes=10)
    millis = f"{session.expires_at.microsecond // 1000:03d}Z"
    assert body["expires_at"] == session.expires_at.strftime("%Y-%m-%dT%H:%M:%S.") + millis
    assert (session.otp_length, session.expiry_minutes, session.max_attempts) == (6, 10, 3)
    assert session.verification_strategy == "all"
    assert session.required_channels == []
    assert session.metadata == {}
    assert session.add_contact is False


# --- sandbox ------------------------------------------------------------------------------------


def _assert_sandbox_response(body, channels):
    assert body["sandbox"] is True
    assert set(body["sandbox_otps"]) == set(channels)
    assert body["data"]["otps"] == body["sandbox_otps"]
    assert all(re.fullmatch(r"\d{6}", code) for code in body["sandbox_otps"].values())
    assert body["channels_sent"] == {ch: {"success": True, "status": "SANDBOX"} for ch in channels}


def test_sandbox_mode_flag_returns_codes_and_delivers_nothing(api, django_capture_on_commit_callbacks):
    channels = ["email", "sms", "whatsapp"]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.post(SEND, send_body(channels, sandbox_mode=True))
    assert response.status_code == 200, response.json()
    _assert_sandbox_response(response.json(), channels)
    assert callbacks == []
    assert OutboxMessage.objects.count() == 0
    session = OTPSession.objects.get(pk=response.json()["session_id"])
    assert session.sandbox is True
    assert set(session.channel_rows.values_list("delivery_status", flat=True)) == {"SANDBOX"}


def test_test_key_makes_every_send_sandbox_even_without_the_flag(sandbox_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = sandbox_api.post(SEND, send_body(["email", "sms"], sandbox_mode=False))
    assert response.status_code == 200, response.json()
    _assert_sandbox_response(response.json(), ["email", "sms"])
    assert OutboxMessage.objects.count() == 0
    assert OTPSession.objects.get(pk=response.json()["session_id"]).sandbox is True


def test_sandbox_codes_returned_by_send_verify_the_session(sandbox_api):
    body = sandbox_api.post(SEND, send_body(["email", "whatsapp"])).json()
    verified = sandbox_api.post(VERIFY, {"token": body["token"], "otps": body["sandbox_otps"]})
    assert verified.status_code == 200, verified.json()
    assert verified.json()["status"] == "VERIFIED"


# --- live delivery through the outbox -----------------------------------------------------------


def test_live_send_stores_one_outbox_message_per_channel_with_the_code_masked(
    api, django_capture_on_commit_callbacks
):
    channels = ["email", "sms", "whatsapp"]
    with django_capture_on_commit_callbacks(execute=True):
        body = api.post(SEND, send_body(channels)).json()
    messages = list(OutboxMessage.objects.order_by("channel"))
    assert [m.channel for m in messages] == sorted(channels)
    for message in messages:
        assert str(message.session_id) == body["session_id"]
        assert message.to == body["data"]["recipients"][message.channel]
        assert "••••••" in message.body
        assert not re.search(r"\d{6}", message.body + message.html)
    rows = ChannelVerification.objects.filter(session_id=body["session_id"])
    assert {row.delivery_status for row in rows} == {"SENT"}
    assert all(row.code_hash.startswith("$2") for row in rows)


def test_outbox_file_gets_one_json_line_per_message_with_a_code_that_verifies(
    api, outbox_file, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        body = api.post(SEND, send_body(["email", "sms"])).json()
    lines = [json.loads(line) for line in outbox_file.read_text().splitlines()]
    assert len(lines) == 2
    codes = {}
    for line in lines:
        assert set(line) == {"channel", "to", "subject", "body", "html", "session_id", "created_at"}
        assert line["session_id"] == body["session_id"]
        assert line["to"] == body["data"]["recipients"][line["channel"]]
        assert ISO_MS_Z.match(line["created_at"])
        codes[line["channel"]] = re.search(r"\b(\d{6})\b", line["body"]).group(1)
    assert lines[[x["channel"] for x in lines].index("email")]["subject"]
    for channel, code in codes.items():
        stored = OutboxMessage.objects.get(channel=channel)
        assert code not in stored.body and code not in stored.html
    verified = api.post(VERIFY, {"session_token": body["session_token"], "otps": codes})
    assert verified.status_code == 200, verified.json()
    assert verified.json()["status"] == "VERIFIED"


# --- config -------------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [4, 5, 6, 7, 8])
def test_otp_length_sets_the_number_of_digits_in_each_code(sandbox_api, length):
    body = sandbox_api.post(SEND, send_body(["email", "sms"], config={"otp_length": length})).json()
    assert all(re.fullmatch(rf"\d{{{length}}}", code) for code in body["sandbox_otps"].values())


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("otp_length", 3), ("otp_length", 9), ("otp_length", "6"), ("otp_length", True), ("otp_length", 6.5),
        ("otp_length", None), ("expiry_minutes", 0), ("expiry_minutes", 61), ("expiry_minutes", "10"),
        ("max_attempts", 0), ("max_attempts", 11), ("max_attempts", False),
        ("verification_strategy", "most"), ("verification_strategy", 1),
    ],
)
def test_config_out_of_range_or_of_the_wrong_type_is_refused_naming_the_field(api, key, value):
    response = api.post(SEND, send_body(config={key: value}))
    assert_error(response, 400, "invalid_request", field=f"config.{key}")
    assert OTPSession.objects.count() == 0


def test_config_accepts_the_range_edges(api):
    config = {"otp_length": 8, "expiry_minutes": 60, "max_attempts": 10}
    body = api.post(SEND, send_body(config=config)).json()
    session = OTPSession.objects.get(pk=body["session_id"])
    assert (session.otp_length, session.expiry_minutes, session.max_attempts) == (8, 60, 10)
    assert session.expires_at - session.created_at == timedelta(minutes=60)


def test_unknown_config_key_is_refused(api):
    response = api.post(SEND, send_body(config={"otp_lenght": 6}))
    assert_error(response, 400, "invalid_request", field="config.otp_lenght")


@pytest.mark.parametrize(
    "config",
    [
        {"verification_strategy": "specific"},
        {"verification_strategy": "specific", "required_channels": []},
        {"verification_strategy": "specific", "required_channels": ["whatsapp"]},
        {"verification_strategy": "all", "required_channels": ["email"]},
        {"required_channels": ["email"]},
    ],
)
def test_required_channels_must_be_a_non_empty_subset_used_only_with_specific(api, config):
    response = api.post(SEND, send_body(["email", "sms"], config=config))
    assert_error(response, 400, "invalid_request", field="config.required_channels")
    assert OTPSession.objects.count() == 0


def test_specific_strategy_stores_its_required_channels(api):
    config = {"verification_strategy": "specific", "required_channels": ["sms"]}
    body = api.post(SEND, send_body(["email", "sms"], config=config)).json()
    session = OTPSession.objects.get(pk=body["session_id"])
    assert (session.verification_strategy, session.required_channels) == ("specific", ["sms"])


# --- metadata and flags -------------------------------------------------------------------------


def test_metadata_of_exactly_4096_serialized_bytes_is_accepted(api):
    metadata = {"k": "x" * 4088}  # {"k":"…"} is 8 bytes around the value
    response = api.post(SEND, send_body(metadata=metadata))
    assert response.status_code == 200, response.json()
    assert OTPSession.objects.get().metadata == metadata


def test_metadata_over_4096_bytes_is_refused(api):
    response = api.post(SEND, send_body(metadata={"k": "x" * 4089}))
    assert_error(response, 400, "invalid_request", field="metadata")
    assert OTPSession.objects.count() == 0


def test_metadata_size_counts_utf8_bytes_not_characters(api):
    response = api.post(SEND, send_body(metadata={"k": "é" * 2045}))  # 4090 bytes of value
    assert_error(response, 400, "invalid_request", field="metadata")


@pytest.mark.parametrize("metadata", [["a"], "text", 5, True])
def test_metadata_must_be_an_object(api, metadata):
    assert_error(api.post(SEND, send_body(metadata=metadata)), 400, "invalid_request", field="metadata")
    assert OTPSession.objects.count() == 0


@pytest.mark.parametrize("flag", ["add_contact", "sandbox_mode"])
@pytest.mark.parametrize("value", ["true", 1, 0, None])
def test_add_contact_and_sandbox_mode_must_be_booleans(api, flag, value):
    assert_error(api.post(SEND, send_body(**{flag: value})), 400, "invalid_request", field=flag)
    assert OTPSession.objects.count() == 0


# --- idempotency --------------------------------------------------------------------------------


def test_same_idempotency_key_and_body_replays_the_first_response_and_sends_nothing(
    api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(SEND, send_body(["email"]), headers={"Idempotency-Key": "order-1"})
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = api.post(SEND, send_body(["email"]), headers={"Idempotency-Key": "order-1"})
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert callbacks == []
    assert OTPSession.objects.count() == 1
    assert OutboxMessage.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_same_idempotency_key_with_a_different_body_is_422(api):
    api.post(SEND, send_body(["email"]), headers={"Idempotency-Key": "order-2"})
    response = api.post(SEND, send_body(["sms"]), headers={"Idempotency-Key": "order-2"})
    assert_error(response, 422, "idempotency_key_reused")
    assert response.json()["message"].startswith("Idempotency key reused")
    assert OTPSession.objects.count() == 1


def test_replayed_sandbox_response_carries_no_codes(sandbox_api):
    first = sandbox_api.post(SEND, send_body(["email", "sms"]), headers={"Idempotency-Key": "k"}).json()
    second = sandbox_api.post(SEND, send_body(["email", "sms"]), headers={"Idempotency-Key": "k"}).json()
    assert "sandbox_otps" in first
    assert "sandbox_otps" not in second and "otps" not in second["data"]
    first.pop("sandbox_otps")
    first["data"].pop("otps")
    assert second == first
    stored = json.dumps(IdempotencyRecord.objects.get().response)
    assert not re.search(r'"\d{6}"', stored)
    assert OTPSession.objects.count() == 1


def test_idempotency_keys_are_scoped_per_account(api, other_api):
    first = api.post(SEND, send_body(), headers={"Idempotency-Key": "shared"}).json()
    second = other_api.post(SEND, send_body(), headers={"Idempotency-Key": "shared"}).json()
    assert first["session_id"] != second["session_id"]
    assert OTPSession.objects.count() == 2


def test_expired_idempotency_record_no_longer_replays(api):
    first = api.post(SEND, send_body(), headers={"Idempotency-Key": "old"}).json()
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    second = api.post(SEND, send_body(), headers={"Idempotency-Key": "old"}).json()
    assert second["session_id"] != first["session_id"]


def test_idempotency_key_over_255_characters_is_refused(api):
    response = api.post(SEND, send_body(), headers={"Idempotency-Key": "k" * 256})
    assert_error(response, 400, "invalid_request", field="Idempotency-Key")
    assert OTPSession.objects.count() == 0
