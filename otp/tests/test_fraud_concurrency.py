"""Parallel requests on PostgreSQL: the fraud guard's caps hold exactly under load (real threads, live server)."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from accounts.models import AbusePolicy
from otp.fraud.models import FraudDecision

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("transactional_db")]

SMS = "+14155552671"


@pytest.fixture(autouse=True)
def _roomy_limits(settings):
    settings.OTP = {**settings.OTP, "RATE_RECIPIENT": "1000/h", "RATE_IP": "1000/h", "RATE_SEND": "1000/m",
                    "RATE_VERIFY": "1000/m"}


def in_parallel(count, call):
    barrier = threading.Barrier(count)

    def run(index):
        barrier.wait(timeout=30)
        return call(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def post(url, key, path, body):
    return requests.post(f"{url}/api/v1{path}", json=body, headers={"X-API-Key": key}, timeout=60)


def test_parallel_sends_to_one_recipient_get_exactly_the_fraud_cap_through(live_server, account_keys):
    AbusePolicy.objects.create(account=account_keys.account, fraud_recipient_sends=4)
    body = {"channels": ["sms"], "recipients": {"sms": SMS}}
    responses = in_parallel(10, lambda _: post(live_server.url, account_keys.live_key, "/otp/send", body))
    assert sorted(r.status_code for r in responses) == [200] * 4 + [429] * 6
    assert {r.json()["details"]["reason"] for r in responses if r.status_code == 429} == {"recipient_sends"}
    assert FraudDecision.objects.filter(rule="recipient_sends").count() == 6  # kept past each rollback


def test_parallel_wrong_guesses_across_sessions_compare_exactly_the_recipient_cap(live_server, account_keys):
    AbusePolicy.objects.create(account=account_keys.account, fraud_failed_verifications=5)
    spellings = ["Ada@Example.com", "ada@example.com", "ADA@example.com", "ada@EXAMPLE.com"]
    tokens = [
        post(live_server.url, account_keys.live_key, "/otp/send",
             {"channels": ["email"], "recipients": {"email": s}, "config": {"max_attempts": 3}}).json()["session_token"]
        for s in spellings
    ]
    responses = in_parallel(12, lambda i: post(
        live_server.url, account_keys.live_key, "/otp/verify", {"session_token": tokens[i % 4], "otps": {"email": "000000"}}
    ))
    compared = [r for r in responses if r.status_code == 400 and r.json()["code"] == "invalid_otp"]
    assert len(compared) == 5
    assert {r.status_code for r in responses} <= {400, 423}
