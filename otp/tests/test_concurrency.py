"""Real parallel HTTP requests against PostgreSQL: attempts, verification and resends count once."""
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests

from otp.models import ChannelVerification, OTPSession

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("transactional_db")]

RECIPIENTS = {"email": "a@example.com", "sms": "+14155552671"}


class Api:
    """A thread-safe caller of the live server with one API key (one requests call per request)."""

    def __init__(self, base_url: str, key: str):
        self.base_url, self.headers = f"{base_url}/api/v1", {"X-API-Key": key}

    def post(self, path: str, body: dict) -> requests.Response:
        return requests.post(f"{self.base_url}{path}", json=body, headers=self.headers, timeout=60)

    def send(self, channels=("email",), **config) -> dict:
        body = {"channels": list(channels), "recipients": {ch: RECIPIENTS[ch] for ch in channels}, "config": config}
        response = self.post("/otp/send", body)
        assert response.status_code == 200, response.text
        return response.json()

    def in_parallel(self, count: int, path: str, body: dict) -> list[requests.Response]:
        """POST the same body `count` times at once: every thread waits at a barrier, then fires."""
        barrier = threading.Barrier(count)

        def call(_):
            barrier.wait(timeout=30)
            return self.post(path, body)

        with ThreadPoolExecutor(max_workers=count) as pool:
            return list(pool.map(call, range(count)))


@pytest.fixture
def sandbox(live_server, account_keys):
    return Api(live_server.url, account_keys.test_key)


def outcomes(responses) -> Counter:
    """(status, error code or status of the session) for each response."""
    return Counter(
        (r.status_code, r.json()["code"] if r.status_code != 200 else r.json().get("status", "ok")) for r in responses
    )


def wrong(code: str) -> str:
    return "".join(str((int(digit) + 1) % 10) for digit in code)


def test_parallel_wrong_guesses_get_exactly_max_attempts_checked(sandbox):
    sent = sandbox.send(max_attempts=3)
    body = {"session_token": sent["session_token"], "otps": {"email": wrong(sent["sandbox_otps"]["email"])}}
    responses = sandbox.in_parallel(20, "/otp/verify", body)
    assert outcomes(responses) == Counter({(400, "invalid_otp"): 3, (423, "max_attempts_exceeded"): 17})
    # Each checked guess saw a distinct count: they were serialized, none read a stale value.
    remaining = sorted(r.json()["details"]["attempts_remaining"] for r in responses if r.status_code == 400)
    assert remaining == [0, 1, 2]
    session = OTPSession.objects.get(pk=sent["session_id"])
    assert (session.failed_attempts, session.status) == (3, "LOCKED")


def test_parallel_right_code_after_lockout_is_still_refused(sandbox):
    sent = sandbox.send(max_attempts=1)
    token, code = sent["session_token"], sent["sandbox_otps"]["email"]
    assert sandbox.post("/otp/verify", {"session_token": token, "otps": {"email": wrong(code)}}).status_code == 400
    responses = sandbox.in_parallel(10, "/otp/verify", {"session_token": token, "otps": {"email": code}})
    assert outcomes(responses) == Counter({(423, "max_attempts_exceeded"): 10})
    assert not ChannelVerification.objects.filter(session_id=sent["session_id"], verified_at__isnull=False).exists()


def test_parallel_right_codes_completing_the_session_verify_it_once(sandbox):
    sent = sandbox.send()
    body = {"session_token": sent["session_token"], "otps": sent["sandbox_otps"]}
    responses = sandbox.in_parallel(10, "/otp/verify", body)
    assert outcomes(responses) == Counter({(200, "VERIFIED"): 1, (409, "already_verified"): 9})
    session = OTPSession.objects.get(pk=sent["session_id"])
    row = ChannelVerification.objects.get(session=session)
    assert (session.status, session.failed_attempts) == ("VERIFIED", 0)
    assert session.verified_at is not None and row.verified_at == session.verified_at


def test_parallel_right_codes_for_one_of_two_channels_verify_that_channel_once(sandbox):
    sent = sandbox.send(["email", "sms"])
    body = {"session_token": sent["session_token"], "otps": {"email": sent["sandbox_otps"]["email"]}}
    responses = sandbox.in_parallel(10, "/otp/verify", body)
    assert outcomes(responses) == Counter({(200, "PARTIAL"): 10})
    messages = Counter(r.json()["verification_results"]["email"]["message"] for r in responses)
    assert messages == Counter({"OTP verified": 1, "Channel already verified": 9})
    row = ChannelVerification.objects.get(session_id=sent["session_id"], channel="email")
    assert row.verified_at is not None
    assert OTPSession.objects.get(pk=sent["session_id"]).failed_attempts == 0


def test_parallel_resends_within_the_cooldown_let_one_through(sandbox):
    sent = sandbox.send()
    # Age the first send past the cooldown so exactly one resend is due.
    session = OTPSession.objects.get(pk=sent["session_id"])
    OTPSession.objects.filter(pk=session.pk).update(last_sent_at=session.last_sent_at - timedelta(seconds=31))
    responses = sandbox.in_parallel(10, "/otp/resend", {"session_token": sent["session_token"]})
    assert outcomes(responses) == Counter({(200, "PENDING"): 1, (429, "resend_cooldown"): 9})
    assert all(r.headers.get("Retry-After") for r in responses if r.status_code == 429)
    assert OTPSession.objects.get(pk=session.pk).resend_count == 1
    assert ChannelVerification.objects.get(session=session).generation == 2
    new_code = next(r.json()["sandbox_otps"]["email"] for r in responses if r.status_code == 200)
    verified = sandbox.post("/otp/verify", {"session_token": sent["session_token"], "otps": {"email": new_code}})
    assert verified.json()["status"] == "VERIFIED"


def test_parallel_resends_never_pass_the_cap(sandbox, settings):
    settings.OTP = {**settings.OTP, "RESEND_COOLDOWN_SECONDS": 0, "MAX_RESENDS": 2}
    sent = sandbox.send()
    responses = sandbox.in_parallel(10, "/otp/resend", {"session_token": sent["session_token"]})
    assert outcomes(responses) == Counter({(200, "PENDING"): 2, (429, "max_resends_exceeded"): 8})
    assert OTPSession.objects.get(pk=sent["session_id"]).resend_count == 2


def test_a_claim_that_waits_on_a_resend_never_lands_on_the_next_generation(account):
    # The resend holds the channel row while it bumps the generation; a delivery task for the old
    # generation claims meanwhile and waits on that lock. Once the resend commits, the claim must
    # re-check generation and claimed_at on the new row version and take nothing.
    from django.db import connection, transaction
    from django.utils import timezone

    from otp.delivery.state import channel_claim

    now = timezone.now()
    session = OTPSession.objects.create(
        account=account, created_at=now, last_sent_at=now, expires_at=now + timedelta(minutes=10)
    )
    row = ChannelVerification.objects.create(session=session, channel="sms", recipient=RECIPIENTS["sms"])
    locked, claimed = threading.Event(), []

    def resend():
        try:
            with transaction.atomic():
                ChannelVerification.objects.select_for_update().get(pk=row.pk)
                ChannelVerification.objects.filter(pk=row.pk).update(generation=2, claimed_at=None)
                locked.set()
                threading.Event().wait(0.5)  # the claim below is now blocked on this row
        finally:
            connection.close()

    def claim():
        try:
            locked.wait(timeout=10)
            claimed.append(channel_claim(row_id=row.pk, generation=1, now=timezone.now(), lease=timedelta(seconds=120)))
        finally:
            connection.close()

    threads = [threading.Thread(target=resend), threading.Thread(target=claim)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    row.refresh_from_db()
    assert claimed == [None]
    assert (row.generation, row.claimed_at) == (2, None)
