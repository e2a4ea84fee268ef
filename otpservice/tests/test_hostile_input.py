"""Property: no body, query string, path or header gets a 5xx from the API, and every 4xx is the
error envelope (DESIGN.md §6, issue 8 section 2). On PostgreSQL, whose text and jsonb columns refuse
what SQLite would store.

Bodies start from a valid request and have one field replaced by arbitrary JSON (any text, lone
surrogates and NUL included, integers past 64 bits, floats) or by raw JSON text (numbers that
overflow, deep nesting), or are cut short; query strings mix the endpoint's own names, metadata
filters and arbitrary names with arbitrary values. Example counts are small and seeded, so each
test takes a few seconds and every run throws the same cases.
"""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from otpservice.tests.strategies import TEXT, bodies, path_segments, query_strings

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

FUZZ = settings(
    max_examples=60, deadline=None, database=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
ENVELOPE = {"type", "code", "message", "details"}
SEND_BODY = {
    "channels": ["email", "sms"],
    "recipients": {"email": "ada@example.com", "sms": "+14155552671"},
    "config": {"otp_length": 6, "expiry_minutes": 10, "verification_strategy": "all"},
    "metadata": {"order": "7", "nested": {"a": [1, 2]}},
    "sandbox_mode": True,
}


@pytest.fixture(autouse=True)
def _roomy_limits(settings):
    """Rate limits would answer most calls with a 429 and hide the paths behind them."""
    rates = {name: "100000/m" for name in ("RATE_RECIPIENT", "RATE_IP", "RATE_SEND", "RATE_VERIFY", "RATE_RESEND")}
    settings.OTP = {**settings.OTP, **rates, "RESEND_COOLDOWN_SECONDS": 0, "MAX_RESENDS": 100_000}


def client(key: str) -> APIClient:
    # A 500 comes back as a response to assert on, not as an exception out of the test client.
    return APIClient(HTTP_X_API_KEY=key, raise_request_exception=False)


def assert_answered(response) -> None:
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        body = response.json()
        assert body["success"] is False, body
        assert set(body["error"]) == ENVELOPE, body
        assert all(isinstance(body["error"][name], str) for name in ("type", "code", "message")), body
        assert (body["code"], body["message"], body["details"]) == (
            body["error"]["code"], body["error"]["message"], body["error"]["details"]
        ), body


@pytest.fixture
def session(account_keys) -> dict:
    """A sandbox session of the account, so verify, resend, detail and cancel reach their services."""
    response = client(account_keys.test_key).post("/api/v1/otp/send", SEND_BODY, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def post(api: APIClient, path: str, raw: bytes, **headers):
    return api.generic("POST", path, raw, content_type="application/json", headers=headers)


@FUZZ
@given(raw=bodies(SEND_BODY), key=st.one_of(st.just("order-7"), TEXT))
def test_send_answers_any_body_and_idempotency_key_without_a_5xx(account_keys, raw, key):
    assert_answered(post(client(account_keys.test_key), "/api/v1/otp/send", raw, **{"Idempotency-Key": key}))


@FUZZ
@given(raw=bodies(SEND_BODY | {"sandbox_mode": False}))
def test_a_live_send_answers_any_body_without_a_5xx(account_keys, raw):
    assert_answered(post(client(account_keys.live_key), "/api/v1/otp/send", raw))


@FUZZ
@given(data=st.data())
def test_verify_answers_any_body_without_a_5xx(account_keys, session, data):
    valid = {"session_token": session["session_token"], "otps": session["sandbox_otps"]}
    assert_answered(post(client(account_keys.test_key), "/api/v1/otp/verify", data.draw(bodies(valid))))


@FUZZ
@given(data=st.data())
def test_resend_answers_any_body_without_a_5xx(account_keys, session, data):
    valid = {"token": session["session_token"], "channels": ["sms"]}
    assert_answered(post(client(account_keys.test_key), "/api/v1/otp/resend", data.draw(bodies(valid))))


LISTS = [
    ("/api/v1/otp/sessions", "test_key", ["status", "channel", "sandbox", "created_after", "created_before"]),
    ("/api/v1/contacts", "live_key", []),
    ("/api/v1/wallet/transactions", "live_key", ["kind", "created_after", "created_before"]),
]


@pytest.mark.parametrize(("path", "key", "names"), LISTS, ids=[path for path, _, _ in LISTS])
def test_list_endpoints_answer_any_query_string_without_a_5xx(account_keys, session, path, key, names):
    api = client(getattr(account_keys, key))

    @settings(FUZZ, max_examples=150)
    @given(query=query_strings(names))
    def check(query):
        assert_answered(api.get(f"{path}?{query}"))

    check()


@FUZZ
@given(segment=path_segments(), query=query_strings([]))
def test_session_detail_and_cancel_answer_any_id_without_a_5xx(account_keys, session, segment, query):
    api = client(account_keys.test_key)
    assert_answered(api.get(f"/api/v1/otp/sessions/{segment}?{query}"))
    assert_answered(api.post(f"/api/v1/otp/sessions/{segment}/cancel?{query}"))
    assert_answered(api.get(f"/api/v1/contacts/{segment}", HTTP_X_API_KEY=account_keys.live_key))


@FUZZ
@given(key=st.one_of(TEXT, TEXT.map(lambda text: "sk_live_" + text), TEXT.map(lambda text: "sk_test_" + "A" * 12 + text)))
def test_any_api_key_header_is_answered_without_a_5xx(db, key):
    assert_answered(client(key).get("/api/v1/wallet"))
