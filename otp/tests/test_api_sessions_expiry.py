"""Reads report EXPIRED as soon as expires_at passes, before housekeeping writes it."""
from datetime import timedelta

import pytest
from django.utils import timezone

from otp.models import OTPSession

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/otp/sessions"


def _send(client) -> str:
    response = client.post(
        "/api/v1/otp/send",
        {"channels": ["sms"], "recipients": {"sms": "+14155552671"}, "config": {"expiry_minutes": 1}},
    )
    assert response.status_code == 200, response.json()
    return response.json()["session_id"]


def _statuses(client, **query) -> list[str]:
    body = client.get(SESSIONS, query).json()
    return [session["status"] for session in body["data"]]


def test_a_live_session_past_expires_at_reads_as_expired_in_detail_list_and_filters(sandbox_api, time_machine):
    session_id = _send(sandbox_api)
    assert sandbox_api.get(f"{SESSIONS}/{session_id}").json()["data"]["status"] == "PENDING"

    time_machine.move_to(timezone.now() + timedelta(minutes=1, seconds=1), tick=False)

    assert OTPSession.objects.get(pk=session_id).status == "PENDING"  # housekeeping has not run
    assert sandbox_api.get(f"{SESSIONS}/{session_id}").json()["data"]["status"] == "EXPIRED"
    assert _statuses(sandbox_api) == ["EXPIRED"]
    assert _statuses(sandbox_api, status="EXPIRED") == ["EXPIRED"]
    assert _statuses(sandbox_api, status="PENDING") == []


def test_a_locked_session_past_expires_at_reads_as_expired(sandbox_api, time_machine):
    session_id = _send(sandbox_api)
    OTPSession.objects.filter(pk=session_id).update(status="LOCKED", failed_attempts=3)
    assert _statuses(sandbox_api, status="LOCKED") == ["LOCKED"]

    time_machine.move_to(timezone.now() + timedelta(minutes=2), tick=False)

    assert _statuses(sandbox_api, status="LOCKED") == []
    assert _statuses(sandbox_api, status="EXPIRED") == ["EXPIRED"]


def test_verified_and_cancelled_sessions_keep_their_status_after_expires_at(sandbox_api, time_machine):
    verified, cancelled = _send(sandbox_api), _send(sandbox_api)
    OTPSession.objects.filter(pk=verified).update(status="VERIFIED")
    OTPSession.objects.filter(pk=cancelled).update(status="CANCELLED")

    time_machine.move_to(timezone.now() + timedelta(minutes=2), tick=False)

    assert _statuses(sandbox_api, status="VERIFIED") == ["VERIFIED"]
    assert _statuses(sandbox_api, status="CANCELLED") == ["CANCELLED"]
    assert _statuses(sandbox_api, status="EXPIRED") == []


def test_verify_on_a_locked_session_past_expires_at_agrees_with_reads_and_answers_otp_expired(
    sandbox_api, time_machine
):
    sent = sandbox_api.post(
        "/api/v1/otp/send",
        {"channels": ["sms"], "recipients": {"sms": "+14155552671"}, "config": {"expiry_minutes": 1}},
    ).json()
    OTPSession.objects.filter(pk=sent["session_id"]).update(status="LOCKED", failed_attempts=3)
    time_machine.move_to(timezone.now() + timedelta(minutes=2), tick=False)

    response = sandbox_api.post(
        "/api/v1/otp/verify", {"session_token": sent["session_token"], "otps": sent["sandbox_otps"]}
    )

    assert response.status_code == 410
    assert response.json()["code"] == "otp_expired"
    assert _statuses(sandbox_api) == ["EXPIRED"]
