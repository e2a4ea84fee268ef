"""Input PostgreSQL or Python cannot hold is a 4xx in the envelope, never a 500 (issue 8, section 2).

Each case here answered 500 `server_error` before the JSON parser and the query-string checks
refused its class: deep nesting, NUL, lone surrogates, numbers that overflow to infinity, integers
beyond 64 bits, and headers the database would refuse. Run on PostgreSQL, whose text and jsonb
columns refuse what SQLite stores silently.
"""
import json

import pytest
from rest_framework.test import APIClient

from otp.models import IdempotencyRecord, OTPSession
from otpservice.tests.envelope import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

SEND = "/api/v1/otp/send"
SESSIONS = "/api/v1/otp/sessions"
VALID = {"channels": ["email"], "recipients": {"email": "a@example.com"}}


def raw_post(client, path, text: str):
    """POST a JSON text as is: lone surrogates are spelled with \\u escapes, as a client sends them."""
    return client.generic("POST", path, text.encode(), content_type="application/json")


def send_with(**fields) -> str:
    """A valid send body with `fields` spliced in as raw JSON text (so 1e999 stays 1e999)."""
    head = json.dumps(VALID)[:-1]
    return head + "".join(f', "{name}": {text}' for name, text in fields.items()) + "}"


@pytest.fixture(autouse=True)
def _nothing_created(db):
    yield
    assert OTPSession.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


# --- bodies: the parser ---------------------------------------------------------------------------


def nested_metadata(depth: int) -> str:
    """Metadata whose deepest array is at `depth`, counting the body and metadata as levels 1 and 2."""
    return '{"k": ' + "[" * (depth - 2) + "]" * (depth - 2) + "}"


@pytest.mark.parametrize("depth", [1000, 30_000])
def test_json_nested_a_thousand_levels_or_more_is_invalid_json(sandbox_api, depth):
    body = assert_error(raw_post(sandbox_api, SEND, send_with(metadata=nested_metadata(depth))), 400, "invalid_json")
    assert "nested more than 32 levels" in body["message"]


def test_json_nests_at_most_32_levels(sandbox_api):
    body = assert_error(raw_post(sandbox_api, SEND, send_with(metadata=nested_metadata(33))), 400, "invalid_json")
    assert "nested more than 32 levels" in body["message"]
    assert raw_post(sandbox_api, SEND, send_with(metadata=nested_metadata(32))).status_code == 200
    OTPSession.objects.all().delete()


@pytest.mark.parametrize(
    ("metadata", "field"),
    [
        ('{"k": "a\\u0000b"}', "metadata.k"),
        ('{"a\\u0000b": "x"}', "metadata.a\\u0000b"),
        ('{"k": "\\ud800"}', "metadata.k"),
        ('{"k": "x\\udfffy"}', "metadata.k"),
        ('{"\\ud800": "x"}', "metadata.\\ud800"),
        ('{"k": ["ok", {"deep": "\\u0000"}]}', "metadata.k.1.deep"),
    ],
)
def test_nul_or_a_lone_surrogate_in_metadata_is_invalid_request_naming_the_path(sandbox_api, metadata, field):
    body = assert_error(raw_post(sandbox_api, SEND, send_with(metadata=metadata)), 400, "invalid_request", field=field)
    assert body["details"]["errors"][field][0].startswith("Text may not contain")


def test_a_surrogate_pair_is_one_character_and_is_accepted_where_half_of_one_is_not(sandbox_api):
    assert_error(raw_post(sandbox_api, SEND, send_with(metadata='{"emoji": "\\ude00"}')), 400, "invalid_request")
    response = raw_post(sandbox_api, SEND, send_with(metadata='{"emoji": "\\ud83d\\ude00"}'))
    assert response.status_code == 200, response.content
    assert OTPSession.objects.get().metadata == {"emoji": "\U0001f600"}
    OTPSession.objects.all().delete()


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/api/v1/otp/verify", '{"session_token": "x", "otps": {"\\ud800": "123456"}}'),
        ("/api/v1/otp/resend", '{"session_token": "x", "channels": ["\\ud800"]}'),
    ],
)
def test_verify_and_resend_refuse_unstorable_text_anywhere_in_the_body(sandbox_api, path, text):
    assert_error(raw_post(sandbox_api, path, text), 400, "invalid_request")


@pytest.mark.parametrize("number", ["1e999", "-1e999", "1E400", "123456789e999"])
@pytest.mark.parametrize("field", ["metadata", "config"])
def test_a_number_that_overflows_to_infinity_is_invalid_json(sandbox_api, number, field):
    value = '{"k": ' + number + "}" if field == "metadata" else '{"otp_length": ' + number + "}"
    body = assert_error(raw_post(sandbox_api, SEND, send_with(**{field: value})), 400, "invalid_json")
    assert "out of range" in body["message"]


# --- query strings: one check for every list endpoint --------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["metadata.k=a%00b", "metadata.a%00b=x", "metadata.k=ok&metadata.k=%00", "status=VERIFIED&metadata.plan=%00"],
)
def test_nul_in_a_metadata_filter_is_invalid_request(sandbox_api, query):
    body = assert_error(sandbox_api.get(f"{SESSIONS}?{query}"), 400, "invalid_request")
    assert body["details"]["field"].startswith("metadata.")


PAGED = [(SESSIONS, "sandbox_api"), ("/api/v1/wallet/transactions", "api"), ("/api/v1/contacts", "api")]


@pytest.mark.parametrize(("path", "client"), PAGED)
@pytest.mark.parametrize("page", [str(2**63), "9" * 30])
def test_a_page_beyond_64_bits_is_invalid_request(request, path, client, page):
    response = request.getfixturevalue(client).get(path, {"page": page})
    body = assert_error(response, 400, "invalid_request", field="page")
    assert "2147483647" in body["message"]


@pytest.mark.parametrize(("path", "client"), PAGED)
def test_page_is_at_most_2_31_minus_1_which_is_an_empty_page(request, path, client):
    api = request.getfixturevalue(client)
    assert_error(api.get(path, {"page": str(2**31), "limit": "100"}), 400, "invalid_request", field="page")
    response = api.get(path, {"page": str(2**31 - 1), "limit": "100"})
    assert response.status_code == 200, response.content
    assert response.json()["data"] == []


@pytest.mark.parametrize(("path", "client"), PAGED)
@pytest.mark.parametrize("value", ["\uff11", "1.0", " 1", "1_0", "\u0661"])
@pytest.mark.parametrize("name", ["page", "limit"])
def test_page_and_limit_are_ascii_digits_only(request, path, client, name, value):
    assert_error(request.getfixturevalue(client).get(path, {name: value}), 400, "invalid_request", field=name)


# --- headers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["\x00", "order\x00-7", "caf\u00e9", "\ud800", "tab\there", "line\nbreak"])
def test_an_idempotency_key_that_is_not_printable_ascii_is_invalid_request(sandbox_api, key):
    response = sandbox_api.post(SEND, VALID, format="json", headers={"Idempotency-Key": key})
    body = assert_error(response, 400, "invalid_request", field="Idempotency-Key")
    assert body["message"] == "Idempotency-Key: Must be printable ASCII."


@pytest.mark.parametrize(
    "key", ["sk_live_" + "\x00" * 30, "sk_test_" + "a\x00" * 20, "sk_live_" + "A" * 5 + "\x00" + "A" * 20]
)
def test_an_api_key_with_characters_no_key_has_is_401(db, key):
    response = APIClient(HTTP_X_API_KEY=key).get("/api/v1/wallet")
    assert_error(response, 401, "authentication_failed", type_="authentication_error")
