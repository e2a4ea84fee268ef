"""Key modes partition the sessions: a test key reaches only sandbox sessions, a live key all of them."""
import pytest

from otp.models import OTPSession, OutboxMessage
from otpservice.tests.envelope import assert_error
from wallet.models import LedgerEntry

pytestmark = pytest.mark.django_db

BASE = "/api/v1/otp"


@pytest.fixture(autouse=True)
def _no_cooldown(settings):
    settings.OTP = {**settings.OTP, "RESEND_COOLDOWN_SECONDS": 0}


def send(client, **extra):
    body = {"channels": ["email"], "recipients": {"email": "ada@example.com"}, "metadata": {"user": "u1"}, **extra}
    response = client.post(f"{BASE}/send", body)
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.fixture
def live(api):
    """A live session: delivered to the outbox and charged."""
    return send(api)


def assert_not_found(response):
    assert_error(response, 404, "session_not_found", type_="not_found_error")


def test_a_test_key_lists_only_sandbox_sessions(api, sandbox_api, live):
    own = send(sandbox_api)
    flagged = send(api, sandbox_mode=True)
    listed = sandbox_api.get(f"{BASE}/sessions").json()
    assert {s["session_id"] for s in listed["data"]} == {own["session_id"], flagged["session_id"]}
    assert listed["pagination"]["total"] == 2
    # Asking for live sessions explicitly finds none either.
    assert sandbox_api.get(f"{BASE}/sessions", {"sandbox": "false"}).json()["data"] == []
    assert sandbox_api.get(f"{BASE}/sessions", {"metadata.user": "u1", "sandbox": "false"}).json()["data"] == []


def test_a_live_key_lists_every_session_of_its_account(api, sandbox_api, live):
    own = send(sandbox_api)
    listed = {s["session_id"] for s in api.get(f"{BASE}/sessions").json()["data"]}
    assert listed == {live["session_id"], own["session_id"]}
    assert api.get(f"{BASE}/sessions/{own['session_id']}").status_code == 200


def test_a_live_session_is_not_found_for_a_test_key_on_detail(sandbox_api, live):
    assert_not_found(sandbox_api.get(f"{BASE}/sessions/{live['session_id']}"))


def test_a_test_key_cannot_verify_a_live_session(sandbox_api, live):
    response = sandbox_api.post(f"{BASE}/verify", {"session_token": live["session_token"], "otps": {"email": "123456"}})
    assert_not_found(response)
    # Not even counted as a wrong attempt.
    assert OTPSession.objects.get(pk=live["session_id"]).failed_attempts == 0


def test_a_test_key_cannot_resend_a_live_session_nothing_is_sent_or_charged(sandbox_api, live):
    messages, entries = OutboxMessage.objects.count(), LedgerEntry.objects.count()
    assert_not_found(sandbox_api.post(f"{BASE}/resend", {"session_token": live["session_token"]}))
    assert (OutboxMessage.objects.count(), LedgerEntry.objects.count()) == (messages, entries)
    assert OTPSession.objects.get(pk=live["session_id"]).resend_count == 0


def test_a_test_key_cannot_cancel_a_live_session(sandbox_api, live):
    assert_not_found(sandbox_api.post(f"{BASE}/sessions/{live['session_id']}/cancel"))
    assert OTPSession.objects.get(pk=live["session_id"]).status == "PENDING"


def test_a_live_session_answers_a_test_key_exactly_like_an_unknown_one(sandbox_api, live):
    unknown = sandbox_api.get(f"{BASE}/sessions/00000000-0000-4000-8000-000000000000")
    hidden = sandbox_api.get(f"{BASE}/sessions/{live['session_id']}")
    assert (hidden.status_code, hidden.json()) == (unknown.status_code, unknown.json())


def test_a_test_key_acts_on_sandbox_sessions_made_by_the_live_key(api, sandbox_api):
    flagged = send(api, sandbox_mode=True)
    code = flagged["sandbox_otps"]["email"]
    assert sandbox_api.post(f"{BASE}/resend", {"session_token": flagged["session_token"]}).status_code == 200
    assert sandbox_api.get(f"{BASE}/sessions/{flagged['session_id']}").status_code == 200
    # The resend replaced the code; the old one is wrong, which proves the test key acted on it.
    assert sandbox_api.post(
        f"{BASE}/verify", {"session_token": flagged["session_token"], "otps": {"email": code}}
    ).status_code == 400
    assert sandbox_api.post(f"{BASE}/sessions/{flagged['session_id']}/cancel").json()["data"]["status"] == "CANCELLED"


def test_a_live_key_acts_on_its_sandbox_sessions(api, sandbox_api):
    own = send(sandbox_api)
    response = api.post(
        f"{BASE}/verify", {"session_token": own["session_token"], "otps": own["sandbox_otps"]}
    )
    assert response.json()["status"] == "VERIFIED"


@pytest.mark.parametrize("path", ["/api/v1/contacts", "/api/v1/contacts/00000000-0000-4000-8000-000000000000"])
def test_a_test_key_cannot_reach_contacts_which_hold_live_users_data(sandbox_api, api, path):
    body = assert_error(sandbox_api.get(path), 403, "permission_denied", type_="permission_error")
    assert "sk_live_" in body["message"]
    assert api.get("/api/v1/contacts").status_code == 200


def test_a_test_key_reads_the_wallet_it_is_never_charged_from(sandbox_api, api):
    assert sandbox_api.get("/api/v1/wallet").json()["data"] == api.get("/api/v1/wallet").json()["data"]
    assert sandbox_api.get("/api/v1/wallet/transactions").status_code == 200


def test_idempotency_keys_are_per_key_mode(api, sandbox_api):
    body = {"channels": ["email"], "recipients": {"email": "ada@example.com"}}
    first = sandbox_api.post(f"{BASE}/send", body, HTTP_IDEMPOTENCY_KEY="login-42")
    assert first.status_code == 200 and first.json()["sandbox"] is True
    # The same key under the live key is a request of its own: not refused, not a sandbox replay.
    live = api.post(f"{BASE}/send", body, HTTP_IDEMPOTENCY_KEY="login-42")
    assert live.status_code == 200, live.json()
    assert live.json()["sandbox"] is False and live.json()["session_id"] != first.json()["session_id"]
    assert "Idempotent-Replayed" not in live.headers
    # Each mode still replays its own.
    again = api.post(f"{BASE}/send", body, HTTP_IDEMPOTENCY_KEY="login-42")
    assert (again.headers["Idempotent-Replayed"], again.json()["session_id"]) == ("true", live.json()["session_id"])


def test_a_test_key_cannot_learn_which_keys_live_traffic_used(api, sandbox_api):
    api.post(f"{BASE}/send", {"channels": ["email"], "recipients": {"email": "ada@example.com"}}, HTTP_IDEMPOTENCY_KEY="login-7")
    probe = sandbox_api.post(
        f"{BASE}/send", {"channels": ["email"], "recipients": {"email": "eve@example.com"}}, HTTP_IDEMPOTENCY_KEY="login-7"
    )
    assert probe.status_code == 200  # not 422 idempotency_key_reused
