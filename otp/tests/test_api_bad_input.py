"""Bad input to the OTP API (DESIGN.md §6): each answered with the envelope, nothing created."""
import io
import json

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import api_key_revoke
from otp.models import ChannelVerification, IdempotencyRecord, OTPSession, OutboxMessage
from otpservice.errors import PayloadTooLarge
from otpservice.parsers import StrictJSONParser
from otpservice.tests.envelope import assert_error

pytestmark = pytest.mark.django_db

SEND = "/api/v1/otp/send"
VALID = {"channels": ["email", "sms"], "recipients": {"email": "a@example.com", "sms": "+14155552671"}}


def body_with(**changes):
    return {**VALID, **changes}


@pytest.fixture(autouse=True)
def nothing_created(db, django_capture_on_commit_callbacks):
    """Every test here sends something invalid: afterwards no session, row or message may exist."""
    with django_capture_on_commit_callbacks(execute=True):
        yield
    assert OTPSession.objects.count() == 0
    assert ChannelVerification.objects.count() == 0
    assert OutboxMessage.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


def raw_post(client, data, content_type="application/json"):
    return client.generic("POST", SEND, data, content_type=content_type)


# --- body format --------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ['{"channels": [', "{'channels': []}", '{"a": NaN}', '{"a": Infinity}', "{}}", "\xff"])
def test_malformed_json_is_invalid_json(api, raw):
    body = assert_error(raw_post(api, raw.encode("latin-1")), 400, "invalid_json")
    assert body["message"].startswith("Malformed JSON")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"]
)
def test_a_content_type_other_than_json_is_415(api, content_type):
    response = raw_post(api, json.dumps(VALID), content_type=content_type)
    assert_error(response, 415, "unsupported_media_type")


def test_a_body_over_64_kb_is_payload_too_large(api):
    response = raw_post(api, json.dumps(body_with(metadata={"k": "x" * 70_000})))
    body = assert_error(response, 413, "payload_too_large")
    assert body["message"].startswith("Request body over 64 KB")


def test_a_body_of_exactly_64_kb_is_parsed_and_judged_on_its_fields(api):
    payload = body_with(metadata={"k": ""})
    payload["metadata"]["k"] = "x" * (64 * 1024 - len(json.dumps(payload)))
    raw = json.dumps(payload)
    assert len(raw) == 64 * 1024
    assert_error(raw_post(api, raw), 400, "invalid_request", field="metadata")


def test_the_parser_bounds_a_body_whose_length_is_not_declared():
    stream = io.BytesIO(b'{"k": "' + b"x" * (64 * 1024) + b'"}')
    with pytest.raises(PayloadTooLarge):
        StrictJSONParser().parse(stream, "application/json", {})


def test_an_empty_body_is_refused_naming_the_missing_fields(api):
    body = assert_error(raw_post(api, b""), 400, "invalid_request")
    assert {"channels", "recipients"} <= set(body["details"]["errors"])


@pytest.mark.parametrize("payload", [[VALID], ["email"], "text", 42, None, True])
def test_a_body_that_is_not_a_json_object_is_refused(api, payload):
    assert_error(raw_post(api, json.dumps(payload)), 400, "invalid_request")


# --- fields -------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["sandbox", "channel", "recipient", "otp_length", "Channels"])
def test_unknown_top_level_fields_are_refused(api, field):
    assert_error(api.post(SEND, body_with(**{field: True})), 400, "invalid_request", field=field)


@pytest.mark.parametrize("channel", ["telegram", "Email", "SMS", "", 1])
def test_unknown_channel_is_refused(api, channel):
    response = api.post(SEND, body_with(channels=["email", channel]))
    body = assert_error(response, 400, "invalid_request")
    assert body["details"]["field"].startswith("channels")


def test_duplicate_channels_are_refused(api):
    assert_error(api.post(SEND, body_with(channels=["email", "sms", "email"])), 400, "invalid_request", field="channels")


@pytest.mark.parametrize("channels", [[], "email", None, {"email": True}])
def test_channels_must_be_a_non_empty_list(api, channels):
    assert_error(api.post(SEND, body_with(channels=channels)), 400, "invalid_request", field="channels")


def test_missing_channels_and_recipients_are_refused(api):
    body = assert_error(api.post(SEND, {}), 400, "invalid_request")
    assert {"channels", "recipients"} <= set(body["details"]["errors"])


def test_a_channel_without_a_recipient_is_refused(api):
    response = api.post(SEND, body_with(channels=["email", "sms"], recipients={"email": "a@example.com"}))
    assert_error(response, 400, "invalid_request", field="recipients.sms")


def test_a_recipient_for_a_channel_not_listed_is_refused(api):
    response = api.post(SEND, body_with(channels=["email"]))
    assert_error(response, 400, "invalid_request", field="recipients.sms")


def test_an_unknown_recipient_key_is_refused(api):
    recipients = {**VALID["recipients"], "telegram": "@ada"}
    assert_error(api.post(SEND, body_with(recipients=recipients)), 400, "invalid_request", field="recipients.telegram")


@pytest.mark.parametrize("recipients", [["a@example.com"], "a@example.com", None])
def test_recipients_must_be_an_object(api, recipients):
    assert_error(api.post(SEND, body_with(recipients=recipients)), 400, "invalid_request", field="recipients")


# --- recipients ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email", ["not-an-email", "a@", "@example.com", "a@@example.com", "a@example", "a b@example.com", "", "a@example.com "]
)
def test_invalid_email_is_invalid_recipient(api, email):
    response = api.post(SEND, {"channels": ["email"], "recipients": {"email": email}})
    body = assert_error(response, 400, "invalid_recipient", field="recipients.email")
    assert body["message"].startswith("Invalid recipient")


PHONES_REFUSED = [
    "14155552671",  # no +
    "+1234567890",  # the docs' placeholder: E.164 shape, not a real number
    "+1 415 555 2671",  # spaces
    " +14155552671",
    "+1-415-555-2671",
    "+1(415)5552671",
    "+١٤١٥٥٥٥٢٦٧١",  # Arabic-Indic digits
    "+۱۴۱۵۵۵۵۲۶۷۱",  # Extended Arabic-Indic (Persian) digits
    "+１４１５５５５２６７１",  # fullwidth digits
    "＋14155552671",  # fullwidth plus
    "+0014155552671",
    "+999999999",
    "+",
    "",
]


@pytest.mark.parametrize("phone", PHONES_REFUSED)
@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_phone_not_a_valid_ascii_e164_number_is_invalid_recipient(api, channel, phone):
    response = api.post(SEND, {"channels": [channel], "recipients": {channel: phone}})
    body = assert_error(response, 400, "invalid_recipient", field=f"recipients.{channel}")
    assert body["message"].startswith("Invalid recipient")


@pytest.mark.parametrize("value", [14155552671, None, ["+14155552671"]])
def test_a_recipient_that_is_not_a_string_is_refused(api, value):
    response = api.post(SEND, {"channels": ["sms"], "recipients": {"sms": value}})
    assert_error(response, 400, "invalid_request", field="recipients.sms")


def test_one_bad_recipient_refuses_the_whole_send(api):
    response = api.post(SEND, body_with(recipients={"email": "a@example.com", "sms": "+1234567890"}))
    assert_error(response, 400, "invalid_recipient", field="recipients.sms")


# --- authentication -----------------------------------------------------------------------------


def _client(**headers):
    client = APIClient(**headers)
    client.default_format = "json"
    return client


def test_missing_api_key_is_401(db):
    body = assert_error(_client().post(SEND, VALID), 401, "authentication_failed", type_="authentication_error")
    assert body["message"].startswith("Invalid API key")


@pytest.mark.parametrize(
    "key", ["", "nonsense", "sk_live_", "sk_live_" + "A" * 43, "sk_prod_" + "A" * 43, "Bearer sk_live_x"]
)
def test_an_unknown_or_malformed_api_key_is_401(db, key):
    assert_error(_client(HTTP_X_API_KEY=key).post(SEND, VALID), 401, "authentication_failed", type_="authentication_error")


def test_a_live_key_presented_as_a_test_key_is_401(account_keys):
    swapped = "sk_test_" + account_keys.live_key[len("sk_live_") :]
    response = _client(HTTP_X_API_KEY=swapped).post(SEND, VALID)
    assert_error(response, 401, "authentication_failed", type_="authentication_error")


def test_a_key_with_a_right_prefix_but_wrong_secret_is_401(account_keys):
    forged = account_keys.live_key[:-4] + ("AAAA" if not account_keys.live_key.endswith("AAAA") else "BBBB")
    response = _client(HTTP_X_API_KEY=forged).post(SEND, VALID)
    assert_error(response, 401, "authentication_failed", type_="authentication_error")


def test_a_revoked_key_is_401(account_keys, api):
    api_key_revoke(api_key=ApiKey.objects.get(account=account_keys.account, mode="live"))
    assert_error(api.post(SEND, VALID), 401, "authentication_failed", type_="authentication_error")


def test_the_api_key_header_name_is_case_insensitive(account_keys):
    client = _client()
    for name in ("x-api-key", "X-API-KEY", "X-Api-Key"):
        response = client.get("/api/v1/otp/sessions", headers={name: account_keys.live_key})
        assert response.status_code == 200, (name, response.content)


def test_authentication_is_checked_before_the_body_is_parsed(db):
    response = _client(HTTP_X_API_KEY="nonsense").generic("POST", SEND, b"{", content_type="application/json")
    assert_error(response, 401, "authentication_failed", type_="authentication_error")


# --- the other endpoints refuse bad bodies the same way ------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/otp/verify", "/api/v1/otp/resend"])
def test_verify_and_resend_answer_malformed_json_and_unknown_fields_with_the_envelope(api, path):
    assert_error(api.generic("POST", path, b"{oops", content_type="application/json"), 400, "invalid_json")
    assert_error(api.generic("POST", path, b"a=1", content_type="text/plain"), 415, "unsupported_media_type")
    assert_error(api.post(path, {"session_token": "x", "surprise": 1}), 400, "invalid_request", field="surprise")
