"""Parallel requests on PostgreSQL: idempotent twins count once, and the limits are exact under load."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("transactional_db")]

SMS = "+14155552671"


def in_parallel(count, call):
    barrier = threading.Barrier(count)

    def run(index):
        barrier.wait(timeout=30)
        return call(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def post_send(url, key, headers=None, sms=SMS):
    return requests.post(
        f"{url}/api/v1/otp/send",
        json={"channels": ["sms"], "recipients": {"sms": sms}},
        headers={"X-API-Key": key, **(headers or {})},
        timeout=60,
    )


def test_parallel_twins_with_one_idempotency_key_count_once_against_the_recipient_limit(
    live_server, account_keys, settings
):
    settings.OTP = {**settings.OTP, "RATE_RECIPIENT": "1/5m"}
    responses = in_parallel(8, lambda _: post_send(live_server.url, account_keys.live_key, {"Idempotency-Key": "twin"}))
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["session_id"] for r in responses}) == 1
    assert post_send(live_server.url, account_keys.live_key).status_code == 429


def test_parallel_sends_to_one_recipient_get_exactly_the_limit_through(live_server, account_keys, settings):
    settings.OTP = {**settings.OTP, "RATE_RECIPIENT": "5/5m"}
    responses = in_parallel(12, lambda _: post_send(live_server.url, account_keys.live_key))
    assert sorted(r.status_code for r in responses) == [200] * 5 + [429] * 7
