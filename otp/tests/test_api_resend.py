"""POST /otp/resend: new codes, same token, fresh expiry and attempts, cooldown, cap, delivery."""
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from otp.delivery.state import SUPERSEDED_REASON
from otp.models import ChannelVerification, DeliveryAttempt, OTPSession, OutboxMessage
from otp.tasks import deliver_code
from otpservice.api.timestamps import iso
from otpservice.tests.envelope import assert_error as assert_envelope
from wallet.models import LedgerEntry, Wallet

pytestmark = pytest.mark.django_db

RECIPIENTS = {"email": "a@example.com", "sms": "+14155552671", "whatsapp": "+14155552672"}
T0 = datetime(2026, 1, 15, 11, 0, tzinfo=UTC)


@pytest.fixture
def clock(time_machine):
    """A frozen clock at T0; clock(seconds) moves it to T0 + seconds."""
    time_machine.move_to(T0, tick=False)
    return lambda seconds: time_machine.move_to(T0 + timedelta(seconds=seconds), tick=False)


def send(client, channels=("email", "sms"), **config):
    body = {"channels": list(channels), "recipients": {ch: RECIPIENTS[ch] for ch in channels}}
    response = client.post("/api/v1/otp/send", {**body, "config": {"otp_length": 8, **config}})
    assert response.status_code == 200, response.json()
    return response.json()


def verify(client, sent, otps):
    return client.post("/api/v1/otp/verify", {"session_token": sent["session_token"], "otps": otps})


def resend(client, sent, channels=None, key="session_token"):
    body = {key: sent["session_token"]} | ({"channels": channels} if channels is not None else {})
    return client.post("/api/v1/otp/resend", body)


def resend_ok(client, sent, channels=None):
    response = resend(client, sent, channels)
    assert response.status_code == 200, response.json()
    assert response.json()["message"] == "OTP resent successfully"
    return response.json()


def assert_error(response, status, code):
    """The envelope with `code`; returns the response (for its headers)."""
    assert_envelope(response, status, code, type_=None)
    return response


def stored(sent):
    return OTPSession.objects.get(pk=sent["session_id"])


def wrong(code):
    return "".join(str((int(digit) + 1) % 10) for digit in code)


def outbox_codes(path):
    """The codes in the outbox file, oldest first, as (channel, code) pairs."""
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return [(line["channel"], re.search(r"\b(\d{4,8})\b", line["body"]).group(1)) for line in lines]


# --- what a resend changes ----------------------------------------------------------------------


def test_resend_replaces_codes_of_unverified_channels_only(sandbox_api, clock):
    sent = send(sandbox_api)
    old = sent["sandbox_otps"]
    assert verify(sandbox_api, sent, {"email": old["email"]}).json()["status"] == "PARTIAL"
    clock(31)
    body = resend_ok(sandbox_api, sent)
    assert set(body["sandbox_otps"]) == set(body["channels_sent"]) == {"sms"}
    assert body["data"]["otps"] == body["sandbox_otps"]
    assert_error(verify(sandbox_api, sent, {"sms": old["sms"]}), 400, "invalid_otp")
    assert verify(sandbox_api, sent, {"sms": body["sandbox_otps"]["sms"]}).json()["status"] == "VERIFIED"


@pytest.mark.parametrize("key", ["session_token", "token"])
def test_resend_keeps_the_session_and_its_token(sandbox_api, clock, key):
    sent = send(sandbox_api, ["email"])
    clock(31)
    response = resend(sandbox_api, sent, key=key)
    assert response.status_code == 200, response.json()
    assert response.json()["session_id"] == sent["session_id"]
    assert verify(sandbox_api, sent, response.json()["sandbox_otps"]).json()["status"] == "VERIFIED"


def test_resend_moves_expires_at_to_now_plus_expiry(sandbox_api, clock):
    sent = send(sandbox_api, ["email"], expiry_minutes=5)
    assert sent["expires_at"] == iso(T0 + timedelta(minutes=5))
    clock(120)
    body = resend_ok(sandbox_api, sent)
    assert body["expires_at"] == body["data"]["expires_at"] == iso(T0 + timedelta(seconds=120, minutes=5))
    assert stored(sent).expires_at == T0 + timedelta(seconds=120, minutes=5)


def test_resend_resets_failed_attempts(sandbox_api, clock):
    sent = send(sandbox_api, ["email"], max_attempts=3)
    for _ in range(2):
        assert_error(verify(sandbox_api, sent, {"email": wrong(sent["sandbox_otps"]["email"])}), 400, "invalid_otp")
    clock(31)
    resend_ok(sandbox_api, sent)
    assert stored(sent).failed_attempts == 0


@pytest.mark.parametrize("verify_first, status_after", [(False, "PENDING"), (True, "PARTIAL")])
def test_resend_unlocks_a_locked_session(sandbox_api, clock, verify_first, status_after):
    sent = send(sandbox_api, ["email", "sms"], max_attempts=1)
    if verify_first:
        verify(sandbox_api, sent, {"email": sent["sandbox_otps"]["email"]})
    assert_error(verify(sandbox_api, sent, {"sms": wrong(sent["sandbox_otps"]["sms"])}), 400, "invalid_otp")
    assert stored(sent).status == "LOCKED"
    clock(31)
    body = resend_ok(sandbox_api, sent)
    assert stored(sent).status == status_after
    assert verify(sandbox_api, sent, body["sandbox_otps"]).json()["status"] == "VERIFIED"


@pytest.mark.parametrize("touch_first", [True, False])
def test_resend_is_allowed_after_expiry(sandbox_api, clock, touch_first):
    sent = send(sandbox_api, ["email"], expiry_minutes=1)
    clock(61)
    if touch_first:
        assert_error(verify(sandbox_api, sent, sent["sandbox_otps"]), 410, "otp_expired")
        assert stored(sent).status == "EXPIRED"
    body = resend_ok(sandbox_api, sent)
    assert stored(sent).status == "PENDING"
    assert verify(sandbox_api, sent, body["sandbox_otps"]).json()["status"] == "VERIFIED"


def test_resend_of_a_verified_session_is_409_already_verified(sandbox_api, clock):
    sent = send(sandbox_api, ["email"])
    verify(sandbox_api, sent, sent["sandbox_otps"])
    clock(31)
    assert_error(resend(sandbox_api, sent), 409, "already_verified")
    assert stored(sent).resend_count == 0


def test_resend_of_a_cancelled_session_is_409_session_cancelled(sandbox_api, clock):
    sent = send(sandbox_api, ["email"])
    assert sandbox_api.post(f"/api/v1/otp/sessions/{sent['session_id']}/cancel").status_code == 200
    clock(31)
    assert_error(resend(sandbox_api, sent), 409, "session_cancelled")
    assert stored(sent).status == "CANCELLED"


# --- cooldown and cap ---------------------------------------------------------------------------


def test_resend_cooldown_counts_from_the_first_send_and_every_resend(sandbox_api, clock):
    sent = send(sandbox_api, ["email"])
    response = assert_error(resend(sandbox_api, sent), 429, "resend_cooldown")
    assert response["Retry-After"] == "30"
    clock(29.5)
    assert assert_error(resend(sandbox_api, sent), 429, "resend_cooldown")["Retry-After"] == "1"
    clock(31)
    resend_ok(sandbox_api, sent)
    clock(40)
    assert int(assert_error(resend(sandbox_api, sent), 429, "resend_cooldown")["Retry-After"]) == 21
    clock(62)
    resend_ok(sandbox_api, sent)
    assert stored(sent).resend_count == 2


def test_sixth_resend_is_429_max_resends_exceeded(sandbox_api, clock):
    sent = send(sandbox_api, ["email"])
    for n in range(1, 6):
        clock(31 * n)
        resend_ok(sandbox_api, sent)
    clock(31 * 6)
    response = assert_error(resend(sandbox_api, sent), 429, "max_resends_exceeded")
    assert response.json()["details"]["max_resends"] == 5
    # The cap never clears: Retry-After is the token's remaining lifetime (24 h from the send),
    # not the code's expiry, which would shrink to 1 s and drive clients into a tight loop.
    assert response["Retry-After"] == str(24 * 3600 - 31 * 6)
    clock(31 * 6 + 3600)  # long after the last code expired
    assert assert_error(resend(sandbox_api, sent), 429, "max_resends_exceeded")["Retry-After"] == str(
        24 * 3600 - 31 * 6 - 3600
    )
    assert stored(sent).resend_count == 5


def test_cooldown_and_cap_come_from_settings(sandbox_api, settings, clock):
    settings.OTP = {**settings.OTP, "RESEND_COOLDOWN_SECONDS": 0, "MAX_RESENDS": 2}
    sent = send(sandbox_api, ["email"])
    resend_ok(sandbox_api, sent)
    resend_ok(sandbox_api, sent)
    assert assert_error(resend(sandbox_api, sent), 429, "max_resends_exceeded").has_header("Retry-After")
    assert stored(sent).resend_count == 2


# --- choosing channels --------------------------------------------------------------------------


def test_resend_of_a_channel_subset_leaves_the_other_codes_alone(sandbox_api, clock):
    sent = send(sandbox_api, ["email", "sms", "whatsapp"])
    clock(31)
    body = resend_ok(sandbox_api, sent, channels=["sms"])
    assert set(body["sandbox_otps"]) == {"sms"}
    otps = {"email": sent["sandbox_otps"]["email"], "whatsapp": sent["sandbox_otps"]["whatsapp"], **body["sandbox_otps"]}
    assert verify(sandbox_api, sent, otps).json()["status"] == "VERIFIED"


@pytest.mark.parametrize("channels", [["email"], ["whatsapp"], []])
def test_resend_of_a_verified_unknown_or_empty_channel_list_is_400(sandbox_api, clock, channels):
    sent = send(sandbox_api, ["email", "sms"])
    verify(sandbox_api, sent, {"email": sent["sandbox_otps"]["email"]})
    clock(31)
    response = assert_error(resend(sandbox_api, sent, channels=channels), 400, "invalid_request")
    assert response.json()["details"]["field"] == "channels"
    assert stored(sent).resend_count == 0


# --- live delivery ------------------------------------------------------------------------------


def test_live_resend_delivers_a_new_code_and_bumps_the_generation(
    api, outbox_file, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = send(api, ["email"])
    row = ChannelVerification.objects.get(session_id=sent["session_id"])
    assert (row.generation, OutboxMessage.objects.count()) == (1, 1)
    clock(31)
    with django_capture_on_commit_callbacks(execute=True):
        resend_ok(api, sent)
    row.refresh_from_db()
    assert (row.generation, row.delivery_status, OutboxMessage.objects.count()) == (2, "SENT", 2)
    (_, old), (_, new) = outbox_codes(outbox_file)
    assert_error(verify(api, sent, {"email": old}), 400, "invalid_otp")
    assert verify(api, sent, {"email": new}).json()["status"] == "VERIFIED"


def test_delivery_task_for_an_older_generation_does_nothing(api, outbox_file, clock, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sent = send(api, ["email"])
    clock(31)
    with django_capture_on_commit_callbacks(execute=False):
        resend_ok(api, sent)
    row = ChannelVerification.objects.get(session_id=sent["session_id"])
    assert (row.generation, row.delivery_status, row.code_hash) == (2, "QUEUED", "")

    deliver_code.apply(kwargs={"channel_row_id": row.pk, "generation": 1})
    row.refresh_from_db()
    assert (row.delivery_status, row.code_hash, OutboxMessage.objects.count()) == ("QUEUED", "", 1)

    deliver_code.apply(kwargs={"channel_row_id": row.pk, "generation": 2})
    row.refresh_from_db()
    assert row.delivery_status == "SENT" and OutboxMessage.objects.count() == 2
    assert verify(api, sent, {"email": outbox_codes(outbox_file)[-1][1]}).json()["status"] == "VERIFIED"


def test_resend_while_the_first_code_is_still_queued_refunds_it(
    api, account, outbox_file, clock, django_capture_on_commit_callbacks
):
    balance = Wallet.objects.get(account=account).balance
    with django_capture_on_commit_callbacks(execute=False) as first_delivery:
        sent = send(api, ["email"])  # its task has not run yet
    clock(31)
    with django_capture_on_commit_callbacks(execute=True):
        resend_ok(api, sent)
    for task in first_delivery:  # the first task runs late: its generation is stale, it sends nothing
        task()

    row = ChannelVerification.objects.get(session_id=sent["session_id"])
    assert (row.generation, row.delivery_status, OutboxMessage.objects.count()) == (2, "SENT", 1)
    entries = LedgerEntry.objects.filter(session_id=sent["session_id"]).order_by("pk")
    assert sorted(entries.values_list("kind", flat=True)) == ["charge", "charge", "refund"]
    refund = entries.get(kind="refund")
    assert refund.idempotency_key == f"refund:{sent['session_id']}:email:1"
    price = -entries.filter(kind="charge").first().amount
    assert Wallet.objects.get(account=account).balance == balance - price  # one code went out, one is paid
    superseded = DeliveryAttempt.objects.get(generation=1)
    assert (superseded.outcome, superseded.error) == ("failed", SUPERSEDED_REASON)
    assert verify(api, sent, {"email": outbox_codes(outbox_file)[-1][1]}).json()["status"] == "VERIFIED"


def test_resend_refunds_a_code_whose_worker_died_but_not_one_under_a_fresh_claim(
    api, settings, clock, django_capture_on_commit_callbacks
):
    lease = settings.OTP["DELIVERY_LEASE_SECONDS"]
    with django_capture_on_commit_callbacks(execute=False):
        sent = send(api, ["email", "sms"])
    clock(31)
    rows = ChannelVerification.objects.filter(session_id=sent["session_id"])
    # email: claimed longer ago than the lease (the worker died); sms: a worker may be sending it now.
    rows.filter(channel="email").update(claimed_at=T0 + timedelta(seconds=31 - lease - 1))
    rows.filter(channel="sms").update(claimed_at=T0 + timedelta(seconds=30))
    with django_capture_on_commit_callbacks(execute=False):
        resend_ok(api, sent)

    refunds = LedgerEntry.objects.filter(session_id=sent["session_id"], kind="refund")
    assert list(refunds.values_list("channel", flat=True)) == ["email"]
    assert set(rows.values_list("generation", flat=True)) == {2}


def test_resend_of_a_sent_or_failed_code_refunds_nothing_more(
    api, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = send(api, ["email", "sms"])
    ChannelVerification.objects.filter(session_id=sent["session_id"], channel="sms").update(delivery_status="FAILED")
    clock(31)
    with django_capture_on_commit_callbacks(execute=False):
        resend_ok(api, sent)

    kinds = LedgerEntry.objects.filter(session_id=sent["session_id"]).values_list("kind", flat=True)
    assert sorted(kinds) == ["charge"] * 4
    assert not DeliveryAttempt.objects.filter(outcome="failed").exists()
