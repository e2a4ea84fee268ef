"""Two separately started gunicorn processes on one PostgreSQL: the fraud caps hold in total across both."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from otp.fraud.models import FraudDecision

from .test_ratelimit_multiprocess import _account, servers  # noqa: F401 (the two-process fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.usefixtures("transactional_db")]


def in_parallel(count, call):
    barrier = threading.Barrier(count)

    def run(index):
        barrier.wait(timeout=30)
        return call(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_sends_and_failed_guesses_per_recipient_are_capped_in_total_across_two_processes(servers):  # noqa: F811
    created = _account(fraud_recipient_sends=3, fraud_failed_verifications=4, resend_rate="1000/m")

    def post(index, path, body):
        server = servers[index % len(servers)]  # alternating, as a load balancer would
        headers = {"X-API-Key": created.live_key, "X-Forwarded-For": "203.0.113.5"}
        return requests.post(f"{server.url}/api/v1{path}", json=body, headers=headers, timeout=30)

    sends = in_parallel(8, lambda i: post(i, "/otp/send", {"channels": ["sms"], "recipients": {"sms": "+14155552671"}}))
    assert sorted(r.status_code for r in sends) == [200] * 3 + [429] * 5

    tokens = [
        post(i, "/otp/send", {"channels": ["email"], "recipients": {"email": spelling}, "config": {"max_attempts": 3}})
        .json()["session_token"]
        for i, spelling in enumerate(["Ada@Example.com", "ada@example.com", "ADA@EXAMPLE.com"])
    ]
    guesses = in_parallel(9, lambda i: post(i, "/otp/verify", {"session_token": tokens[i % 3], "otps": {"email": "000000"}}))
    assert sum(1 for r in guesses if r.status_code == 400 and r.json()["code"] == "invalid_otp") == 4
    refused = post(0, "/otp/send", {"channels": ["email"], "recipients": {"email": "ada@example.com"}})
    assert refused.status_code == 429 and refused.json()["code"] == "recipient_locked"
    assert FraudDecision.objects.filter(account=created.account, rule="recipient_sends").count() == 5
