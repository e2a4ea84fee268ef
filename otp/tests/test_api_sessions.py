"""GET/POST /api/v1/otp/sessions…: filters, pagination, detail, cancel, isolation, no secrets, query counts."""
import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from otp.models import ChannelVerification, OTPSession
from otpservice.tests.envelope import assert_error

pytestmark = pytest.mark.django_db

SEND, VERIFY, RESEND = "/api/v1/otp/send", "/api/v1/otp/verify", "/api/v1/otp/resend"
SESSIONS = "/api/v1/otp/sessions"
RECIPIENTS = {"email": "a@example.com", "sms": "+14155552671", "whatsapp": "+447911123456"}
SESSION_KEYS = {
    "session_id", "status", "channels", "verification_strategy", "required_channels", "sandbox", "metadata",
    "max_attempts", "attempts_remaining", "resend_count", "created_at", "expires_at", "verified_at",
    "channel_details",
}
CHANNEL_KEYS = {"recipient", "verified", "verified_at", "delivery_status", "provider_message_id", "last_error", "template"}


def send(client, channels=("email",), **extra):
    body = {"channels": list(channels), "recipients": {ch: RECIPIENTS[ch] for ch in channels}, **extra}
    response = client.post(SEND, body)
    assert response.status_code == 200, response.json()
    return response.json()


def listed(client, query=""):
    response = client.get(f"{SESSIONS}?{query}")
    assert response.status_code == 200, response.json()
    return [s["session_id"] for s in response.json()["data"]]


# --- list and filters ---------------------------------------------------------------------------


def test_list_returns_newest_first_with_a_pagination_block(api):
    ids = [send(api)["session_id"] for _ in range(3)]
    body = api.get(SESSIONS).json()
    assert body["success"] is True
    assert [s["session_id"] for s in body["data"]] == ids[::-1]
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 3, "totalPages": 1}


def test_page_and_limit_slice_the_list(api):
    ids = [send(api)["session_id"] for _ in range(5)][::-1]
    body = api.get(f"{SESSIONS}?page=3&limit=2").json()
    assert [s["session_id"] for s in body["data"]] == ids[4:]
    assert body["pagination"] == {"page": 3, "limit": 2, "total": 5, "totalPages": 3}
    assert api.get(f"{SESSIONS}?page=4&limit=2").json()["data"] == []
    assert api.get(f"{SESSIONS}?limit=100").json()["pagination"]["limit"] == 100


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=101", "limit"), ("limit=0", "limit"), ("page=0", "page"), ("page=x", "page"),
     ("status=DONE", "status"), ("channel=telegram", "channel"), ("sandbox=maybe", "sandbox"),
     ("created_after=yesterday", "created_after"), ("order=asc", "order")],
)
def test_invalid_list_parameters_are_400_naming_the_parameter(api, query, field):
    assert_error(api.get(f"{SESSIONS}?{query}"), 400, "invalid_request", field=field)


def test_filter_by_status(api):
    pending = send(api)["session_id"]
    cancelled = send(api)["session_id"]
    api.post(f"{SESSIONS}/{cancelled}/cancel")
    assert listed(api, "status=CANCELLED") == [cancelled]
    assert listed(api, "status=PENDING") == [pending]
    assert listed(api, "status=VERIFIED") == []


def test_filter_by_channel(api):
    email = send(api, ["email"])["session_id"]
    both = send(api, ["email", "sms"])["session_id"]
    whatsapp = send(api, ["whatsapp"])["session_id"]
    assert listed(api, "channel=sms") == [both]
    assert listed(api, "channel=email") == [both, email]
    assert listed(api, "channel=whatsapp") == [whatsapp]


def test_filter_by_sandbox(api):
    live = send(api)["session_id"]
    sandbox = send(api, sandbox_mode=True)["session_id"]
    assert listed(api, "sandbox=true") == [sandbox]
    assert listed(api, "sandbox=false") == [live]
    assert listed(api) == [sandbox, live]


def test_filter_by_creation_time(api):
    now = timezone.now()
    old, middle, new = (send(api)["session_id"] for _ in range(3))
    for session_id, days in ((old, 10), (middle, 5), (new, 1)):
        OTPSession.objects.filter(pk=session_id).update(created_at=now - timedelta(days=days))
    after = (now - timedelta(days=7)).isoformat().replace("+00:00", "Z")
    before = (now - timedelta(days=3)).isoformat().replace("+00:00", "Z")
    assert listed(api, f"created_after={after}") == [new, middle]
    assert listed(api, f"created_before={before}") == [middle, old]
    assert listed(api, f"created_after={after}&created_before={before}") == [middle]


def test_filter_by_metadata_key_and_value(api):
    a = send(api, metadata={"user_id": "42", "plan": "pro"})["session_id"]
    b = send(api, metadata={"user_id": "43", "plan": "pro"})["session_id"]
    send(api)
    assert listed(api, "metadata.user_id=42") == [a]
    assert listed(api, "metadata.plan=pro") == [b, a]
    assert listed(api, "metadata.plan=pro&metadata.user_id=43") == [b]
    assert listed(api, "metadata.plan=free") == []
    assert_error(api.get(f"{SESSIONS}?metadata.=x"), 400, "invalid_request", field="metadata")


# --- detail and secrets -------------------------------------------------------------------------


def test_detail_has_the_documented_session_shape(api):
    sent = send(api, ["email", "sms"], metadata={"ref": "x"})
    response = api.get(f"{SESSIONS}/{sent['session_id']}")
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == SESSION_KEYS
    assert (data["session_id"], data["status"], data["channels"]) == (sent["session_id"], "PENDING", ["email", "sms"])
    assert (data["verification_strategy"], data["required_channels"], data["sandbox"]) == ("all", [], False)
    assert (data["metadata"], data["max_attempts"], data["attempts_remaining"], data["resend_count"]) == (
        {"ref": "x"}, 3, 3, 0,
    )
    assert data["expires_at"] == sent["expires_at"] and data["verified_at"] is None
    assert data["created_at"].endswith("Z") and len(data["created_at"]) == 24
    assert data["channel_details"]["sms"] == {
        "recipient": "+14155552671", "verified": False, "verified_at": None,
        "delivery_status": "QUEUED", "provider_message_id": None, "last_error": None, "template": None,
    }
    assert set(data["channel_details"]["email"]) == CHANNEL_KEYS


def test_sessions_never_carry_a_code_or_a_hash(sandbox_api):
    sent = send(sandbox_api, ["email", "sms", "whatsapp"])
    sandbox_api.post(VERIFY, {"session_token": sent["session_token"], "otps": {"email": sent["sandbox_otps"]["email"]}})
    texts = [
        sandbox_api.get(SESSIONS).content.decode(),
        sandbox_api.get(f"{SESSIONS}/{sent['session_id']}").content.decode(),
        sandbox_api.post(f"{SESSIONS}/{sent['session_id']}/cancel").content.decode(),
    ]
    for text in texts:
        assert "code_hash" not in text and "$2b$" not in text and "otps" not in text
        for code in sent["sandbox_otps"].values():
            assert json.dumps(code) not in text


def test_a_malformed_or_unknown_session_id_is_404(api):
    for session_id in ("not-a-uuid", "1", str(uuid.uuid4()), "%20"):
        body = assert_error(api.get(f"{SESSIONS}/{session_id}"), 404, "session_not_found", type_="not_found_error")
        assert body["message"].startswith("Session not found")
        assert_error(api.post(f"{SESSIONS}/{session_id}/cancel"), 404, "session_not_found", type_="not_found_error")


def test_another_accounts_session_is_invisible(api, other_api):
    mine = send(api)["session_id"]
    send(other_api)
    assert_error(other_api.get(f"{SESSIONS}/{mine}"), 404, "session_not_found", type_="not_found_error")
    assert_error(other_api.post(f"{SESSIONS}/{mine}/cancel"), 404, "session_not_found", type_="not_found_error")
    assert mine not in listed(other_api)
    assert other_api.get(SESSIONS).json()["pagination"]["total"] == 1
    assert OTPSession.objects.get(pk=mine).status == "PENDING"


# --- cancel -------------------------------------------------------------------------------------


def test_cancel_moves_a_pending_session_to_cancelled_and_returns_it(api):
    session_id = send(api)["session_id"]
    response = api.post(f"{SESSIONS}/{session_id}/cancel")
    assert response.status_code == 200
    assert response.json()["success"] is True
    assert set(response.json()["data"]) == SESSION_KEYS
    assert response.json()["data"]["status"] == "CANCELLED"
    assert OTPSession.objects.get(pk=session_id).status == "CANCELLED"


def test_a_cancelled_session_refuses_cancel_verify_and_resend(sandbox_api, settings):
    settings.OTP = {**settings.OTP, "RESEND_COOLDOWN_SECONDS": 0}
    sent = send(sandbox_api)
    sandbox_api.post(f"{SESSIONS}/{sent['session_id']}/cancel")
    token = sent["session_token"]
    for response in (
        sandbox_api.post(f"{SESSIONS}/{sent['session_id']}/cancel"),
        sandbox_api.post(VERIFY, {"session_token": token, "otps": sent["sandbox_otps"]}),
        sandbox_api.post(RESEND, {"session_token": token}),
    ):
        body = assert_error(response, 409, "session_cancelled", type_="verification_error")
        assert body["message"].startswith("Session cancelled")
    session = OTPSession.objects.get(pk=sent["session_id"])
    assert (session.status, session.resend_count, session.failed_attempts) == ("CANCELLED", 0, 0)


def test_a_verified_session_cannot_be_cancelled(sandbox_api):
    sent = send(sandbox_api)
    sandbox_api.post(VERIFY, {"session_token": sent["session_token"], "otps": sent["sandbox_otps"]})
    response = sandbox_api.post(f"{SESSIONS}/{sent['session_id']}/cancel")
    assert_error(response, 409, "already_verified", type_="verification_error")
    assert OTPSession.objects.get(pk=sent["session_id"]).status == "VERIFIED"


# --- query counts -------------------------------------------------------------------------------


def _make_sessions(account, count):
    now = timezone.now()
    sessions = OTPSession.objects.bulk_create(
        OTPSession(account=account, created_at=now, last_sent_at=now, expires_at=now + timedelta(minutes=10),
                   metadata={"n": str(n)})
        for n in range(count)
    )
    ChannelVerification.objects.bulk_create(
        ChannelVerification(session=session, channel=channel, recipient=RECIPIENTS[channel])
        for session in sessions
        for channel in ("email", "sms")
    )


@pytest.mark.parametrize("query", ["", "status=PENDING&channel=sms&sandbox=false&metadata.n=1&limit=100"])
def test_listing_runs_the_same_few_queries_for_3_or_30_sessions(api, account, django_assert_max_num_queries, query):
    api.get(SESSIONS)  # records last_used_at, so neither measured request writes it
    counts = []
    for total in (3, 30):
        _make_sessions(account, total - OTPSession.objects.count())
        with django_assert_max_num_queries(4) as captured:
            response = api.get(f"{SESSIONS}?{query}")
        assert response.status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
    assert api.get(SESSIONS).json()["pagination"]["total"] == 30


def test_detail_and_cancel_run_a_small_fixed_number_of_queries(api, account, django_assert_max_num_queries):
    _make_sessions(account, 3)
    api.get(SESSIONS)
    session_id = str(OTPSession.objects.first().pk)
    with django_assert_max_num_queries(2):  # the key, the session joined to its rows
        assert api.get(f"{SESSIONS}/{session_id}").status_code == 200
    with django_assert_max_num_queries(8 + EVENTS_COLD):
        assert api.post(f"{SESSIONS}/{session_id}/cancel").status_code == 200


# The fraud guard's queries of a live send (otp.fraud.screen), whatever its number of channels: the
# advisory locks, the counters read, the hits insert; with phone channels also the IP's countries
# touched, the country budget read and updated. The block list and the test recipients are the
# account's, cached in the process after its first send (otpservice.process_cache), as are its prices.
FRAUD_FIXED, FRAUD_PHONE = 3, 3
SPEND_CAP = 0  # the daily spend cap, on by default, is counted by the charge's own UPDATE (wallet.ledger)
# Each batch of webhook events (otp.emission) asks for the account's endpoints once; with none
# subscribed (as here) nothing is written: session.created on send, session.cancelled on cancel,
# the channel.verified and session.verified of one verify together. The answer is cached in the
# process: one query for the account's first batch (EVENTS_COLD), none after (EVENTS).
EVENTS, EVENTS_COLD = 0, 1
# A send's own: the savepoint and its release, the session insert, the rows insert.
SEND_OWN = 4
CHARGE = 2  # a live send's wallet update and ledger insert (its prices are cached)


@pytest.mark.parametrize(
    ("sandbox", "bound"),
    [(True, SEND_OWN + EVENTS), (False, SEND_OWN + CHARGE + FRAUD_FIXED + FRAUD_PHONE + SPEND_CAP + EVENTS)],
)
def test_send_runs_the_same_few_queries_for_one_or_three_channels(api, django_assert_max_num_queries, sandbox, bound):
    send(api, ["email", "sms", "whatsapp"])  # records last_used_at; the fraud guard's first rows of the hour
    counts = []
    for channels in (["sms"], ["email", "sms", "whatsapp"]):
        with django_assert_max_num_queries(bound) as captured:
            send(api, channels, sandbox_mode=sandbox)
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_live_send_with_its_eager_delivery_runs_a_bounded_number_of_queries(
    api, outbox_file, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    # The test above never runs the on_commit callbacks; here the delivery task runs too (eagerly,
    # through the outbox): the send's queries, then 9 per channel (claim, read with its session
    # and account, the account's active templates, hash, outbox insert, and the attempt and status
    # in one savepoint), and 1 per channel for its channel.sent event (its session read with the
    # channel by the row's id; the endpoints are cached: EVENTS). The templates are read the first
    # time the process delivers a key (here for each channel's first delivery), then cached.
    # Publishing adds no query of its own: the only read of a channel row is the task's, after its claim.
    send(api, ["email", "sms", "whatsapp"])  # records last_used_at; the fraud guard's first rows of the hour
    for channels in (["email"], ["email", "sms", "whatsapp"]):
        fraud = FRAUD_FIXED + FRAUD_PHONE * ("sms" in channels)
        bound = SEND_OWN + CHARGE + EVENTS + fraud + SPEND_CAP + (9 + 1 + EVENTS) * len(channels)
        with (
            django_assert_max_num_queries(bound) as captured,
            django_capture_on_commit_callbacks(execute=True),
        ):
            send(api, channels)
        reads = [q for q in captured.captured_queries if q["sql"].startswith('SELECT "otp_channelverification"')]
        assert len(reads) == len(channels)
    assert ChannelVerification.objects.filter(delivery_status="SENT").count() == 1 + 3


def test_verify_and_resend_run_a_small_fixed_number_of_queries(sandbox_api, settings, django_assert_max_num_queries):
    settings.OTP = {**settings.OTP, "RESEND_COOLDOWN_SECONDS": 0}
    sent = send(sandbox_api, ["email", "sms", "whatsapp"])
    token = sent["session_token"]
    # A resend: the savepoint and its release, the session and its rows read, both updated; its
    # block list check (otp.fraud) reads the list the send cached.
    with django_assert_max_num_queries(6):
        response = sandbox_api.post(RESEND, {"session_token": token})
    assert response.status_code == 200, response.json()
    codes = response.json()["sandbox_otps"]
    with django_assert_max_num_queries(8):
        assert sandbox_api.post(VERIFY, {"session_token": token, "otps": {"email": "000000"}}).status_code in (200, 400)
    with django_assert_max_num_queries(6 + EVENTS):  # as a resend's, and the endpoints the send cached
        response = sandbox_api.post(VERIFY, {"session_token": token, "otps": codes})
    assert response.json()["status"] == "VERIFIED"
