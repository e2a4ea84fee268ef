"""The OTP services called directly, without HTTP: what they return, write and refuse."""
from datetime import timedelta

import pytest
from django.utils import timezone

from otp.exceptions import AlreadyVerified, InvalidOtp, OtpExpired, SessionCancelled, SessionNotFound
from otp.lifecycle import session_refusal, session_status
from otp.models import ChannelVerification, OTPSession, SessionStatus
from otp.services import session_cancel, session_resend, session_send, session_verify
from wallet.models import LedgerEntry

pytestmark = pytest.mark.django_db

CONFIG = {"otp_length": 6, "expiry_minutes": 10, "max_attempts": 3, "verification_strategy": "all"}
RECIPIENTS = {"email": "ada@example.com", "sms": "+14155552671"}


def send(account, *, sandbox=True, channels=("email", "sms")):
    return session_send(
        account=account,
        recipients=RECIPIENTS,
        channels=list(channels),
        config=CONFIG,
        metadata={},
        add_contact=False,
        sandbox=sandbox,
    )


def test_a_sandbox_send_returns_a_code_per_channel_and_charges_nothing(account):
    outcome = send(account)

    assert set(outcome.sandbox_codes) == {"email", "sms"}
    assert all(len(code) == 6 and code.isdigit() for code in outcome.sandbox_codes.values())
    assert [row.delivery_status for row in outcome.rows] == ["SANDBOX", "SANDBOX"]
    assert all(row.code_hash.startswith("$2b$") for row in ChannelVerification.objects.all())
    assert not LedgerEntry.objects.filter(kind="charge").exists()


def test_a_live_send_charges_each_channel_and_leaves_the_codes_to_the_worker(account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        outcome = send(account, sandbox=False)

    assert outcome.sandbox_codes == {}
    assert len(queued) == 2  # one delivery task per channel, published on commit
    assert [row.code_hash for row in ChannelVerification.objects.all()] == ["", ""]
    charges = LedgerEntry.objects.filter(kind="charge", session_id=outcome.session.pk)
    assert sorted(charges.values_list("channel", flat=True)) == ["email", "sms"]


def test_verify_with_every_right_code_verifies_the_session(account):
    sent = send(account)
    outcome = session_verify(account=account, sandbox_only=True, token=sent.token, codes=sent.sandbox_codes)

    assert outcome.all_right and outcome.session.status == SessionStatus.VERIFIED
    with pytest.raises(AlreadyVerified):
        session_verify(account=account, sandbox_only=True, token=sent.token, codes=sent.sandbox_codes)


def test_a_wrong_code_raises_after_counting_the_attempt(account):
    sent = send(account)
    with pytest.raises(InvalidOtp) as refused:
        session_verify(account=account, sandbox_only=True, token=sent.token, codes={"email": "000000"})

    assert refused.value.details["attempts_remaining"] == 2
    assert OTPSession.objects.get(pk=sent.session.pk).failed_attempts == 1


def test_resend_issues_new_codes_and_the_old_ones_stop_working(account, settings):
    settings.OTP = {**settings.OTP, "RESEND_COOLDOWN_SECONDS": 0}
    sent = send(account)
    resent = session_resend(account=account, sandbox_only=True, token=sent.token, channels=["sms"])

    assert [row.generation for row in resent.rows] == [2]
    assert set(resent.sandbox_codes) == {"sms"}
    old = {"sms": sent.sandbox_codes["sms"]}
    if old["sms"] != resent.sandbox_codes["sms"]:
        with pytest.raises(InvalidOtp):
            session_verify(account=account, sandbox_only=True, token=sent.token, codes=old)
    outcome = session_verify(account=account, sandbox_only=True, token=sent.token, codes=resent.sandbox_codes)
    assert outcome.all_right


def test_cancel_ends_the_session_and_later_actions_are_refused(account):
    sent = send(account)
    cancelled = session_cancel(account=account, sandbox_only=True, session_id=str(sent.session.pk))

    assert cancelled.status == SessionStatus.CANCELLED
    with pytest.raises(SessionCancelled):
        session_verify(account=account, sandbox_only=True, token=sent.token, codes=sent.sandbox_codes)
    with pytest.raises(SessionCancelled):
        session_resend(account=account, sandbox_only=True, token=sent.token, channels=None)


def test_a_test_key_cannot_reach_a_live_session(account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        sent = send(account, sandbox=False)
    with pytest.raises(SessionNotFound):
        session_cancel(account=account, sandbox_only=True, session_id=str(sent.session.pk))


# --- the one session-state rule (otp.lifecycle) --------------------------------------------------


def test_a_live_session_reads_as_expired_from_its_expiry_on(account):
    session = send(account).session
    at = session.expires_at
    assert session_status(session, now=at - timedelta(microseconds=1)) == SessionStatus.PENDING
    assert session_status(session, now=at) == SessionStatus.EXPIRED


@pytest.mark.parametrize(
    ("status", "action", "refused"),
    [
        ("LOCKED", "verify", "max_attempts_exceeded"),
        ("LOCKED", "resend", None),
        ("LOCKED", "cancel", None),
        ("EXPIRED", "verify", "otp_expired"),
        ("EXPIRED", "resend", None),
        ("EXPIRED", "cancel", "otp_expired"),
        ("CANCELLED", "resend", "session_cancelled"),
        ("VERIFIED", "cancel", "already_verified"),
    ],
)
def test_each_action_refuses_what_the_design_says(account, status, action, refused):
    session = send(account).session
    session.status = status
    error = session_refusal(session, action=action, now=timezone.now())
    assert (error.code if error else None) == refused


def test_expiry_wins_over_the_lock_for_verify(account):
    session = send(account).session
    session.status = SessionStatus.LOCKED
    error = session_refusal(session, action="verify", now=session.expires_at)
    assert isinstance(error, OtpExpired)
