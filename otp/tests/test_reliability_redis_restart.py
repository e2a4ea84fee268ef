"""Redis (a private redis-server: cache, rate limits and Celery broker) stopped and restarted under
a real gunicorn: the OTP endpoints answer 503 in the envelope while it is down, the same gunicorn
processes answer 2xx again once it is back, and the deliveries queued before the stop are sent,
each exactly once, by a worker started afterwards.

What the code guarantees, and so what is asserted: a send made while Redis is down is refused by
the limiter (503, nothing created or charged), so nothing is queued during the outage. Tasks
published before it live in Redis only; they survive because this Redis is stopped as a restart
does it (`SHUTDOWN SAVE`, otp/tests/private_redis.py) and reloads its dump. No sweep republishes a
lost deliver_code task: a Redis that comes back empty has lost them, and the channel is refunded
by a resend or by housekeeping instead (docs/operations.md, docs/reliability.md).
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
from django.db.models import Sum

from otp.models import ChannelVerification
from otp.tests.delivery_support import RECIPIENTS, sendgrid_code, twilio_code
from otp.tests.private_redis import PrivateRedis
from otp.tests.test_resend_race_money import web, workers  # noqa: F401 (fixtures, on the redis_url below)
from otp.tests.worker_support import queued_messages, wait_for
from wallet.models import LedgerEntry
from wallet.selectors import price_map

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

CHANNELS = ("email", "sms")
QUEUES = ("otp.email", "otp.sms")
ANSWER_WITHIN = 5.0  # seconds: a refused connection is a 503 at once, never a hang
TIMEOUT = 40


@pytest.fixture
def private_redis(tmp_path):
    with PrivateRedis(tmp_path) as server:
        yield server


@pytest.fixture
def redis_url(private_redis):
    """The private Redis, for the imported `web` (gunicorn with 2 workers, REDIS_URL: cache, limits
    and broker; roomy limits, no resend cooldown) and `workers` fixtures, which ask for `redis_url`
    by name; the shared Redis is never touched."""
    return private_redis.url


@pytest.fixture
def broker(private_redis):
    """`web` and `workers` ask for a broker; here the test process publishes nothing itself."""
    return private_redis


def gunicorn_pids(url: str) -> set[int]:
    """The gunicorn master and its workers (forks share the command line with the --bind)."""
    bind = url.removeprefix("http://").encode()
    pids = set()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue  # gone meanwhile
        if bind in argv and b"otpservice.wsgi:application" in argv:
            pids.add(int(cmdline.parent.name))
    return pids


class Api:
    def __init__(self, base: str, key: str) -> None:
        self.base, self.headers = f"{base}/api/v1", {"X-API-Key": key}

    def post(self, path: str, body: dict) -> requests.Response:
        return requests.post(f"{self.base}{path}", json=body, headers=self.headers, timeout=ANSWER_WITHIN * 2)

    def get(self, path: str) -> requests.Response:
        return requests.get(f"{self.base}{path}", headers=self.headers, timeout=ANSWER_WITHIN * 2)

    def send(self) -> requests.Response:
        return self.post("/otp/send", {"channels": list(CHANNELS), "recipients": {c: RECIPIENTS[c] for c in CHANNELS}})


def assert_unavailable(response: requests.Response, started: float) -> None:
    assert time.monotonic() - started < ANSWER_WITHIN, "the outage held the request"
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert (body["code"], body["error"]["code"], body["error"]["type"]) == (
        "service_unavailable", "service_unavailable", "server_error"
    )
    assert response.headers["Retry-After"] == "5"
    assert "Traceback" not in response.text


def queued(private_redis) -> int:
    client = private_redis.client()
    try:
        messages = [m for queue in QUEUES for m in queued_messages(client, queue)]
    finally:
        client.close()
    # Ids only on the broker, even for a message that went through a restart.
    assert all(set(m["decoded_body"][1]) == {"channel_row_id", "generation"} for m in messages), messages
    return len(messages)


def drained(private_redis, logs) -> None:
    """Nothing left to deliver or to hand out again: the queues are empty and nothing is unacked."""
    client = private_redis.client()
    try:
        wait_for(lambda: queued(private_redis) == 0 and not client.hlen("unacked"), timeout=TIMEOUT,
                 what="the queues to drain and every message to be acknowledged", logs=logs)
    finally:
        client.close()


def test_redis_stopped_and_restarted_under_gunicorn_answers_503_then_recovers_and_sends_queued_codes_once(
    account_keys, web, workers, private_redis, fake_twilio, fake_sendgrid  # noqa: F811
):
    api = Api(web, account_keys.live_key)
    pids = gunicorn_pids(web)
    assert len(pids) == 3, pids  # the master and its two workers

    # Before: a live send is accepted and its tasks wait in Redis (no worker runs yet).
    before = api.send()
    assert before.status_code == 200, before.text
    assert queued(private_redis) == len(CHANNELS)

    private_redis.stop()
    token = before.json()["session_token"]
    for call in (
        lambda: api.send(),
        lambda: api.post("/otp/verify", {"session_token": token, "otps": {"email": "000000", "sms": "000000"}}),
        lambda: api.post("/otp/resend", {"session_token": token}),
    ):
        started = time.monotonic()
        assert_unavailable(call(), started)
    # Reads need no limiter: they still work; readiness names the lost dependencies.
    assert api.get(f"/otp/sessions/{before.json()['session_id']}").status_code == 200
    ready = requests.get(f"{web}/readyz", timeout=ANSWER_WITHIN * 2)
    assert ready.status_code == 503
    assert ready.json()["checks"]["cache"].startswith("error")
    assert ready.json()["checks"]["broker"].startswith("error")
    assert ChannelVerification.objects.count() == len(CHANNELS)  # the refused send created nothing

    # Back on the same port: the same processes (no restart) answer again, from the first request.
    private_redis.start()
    after = api.send()
    assert after.status_code == 200, after.text
    assert gunicorn_pids(web) == pids
    assert queued(private_redis) == 2 * len(CHANNELS)  # the first send's tasks came back with the dump

    # A worker started now sends every queued code, each exactly once.
    workers.start()
    rows = ChannelVerification.objects.filter(session_id__in=[before.json()["session_id"], after.json()["session_id"]])
    assert rows.count() == 2 * len(CHANNELS)
    wait_for(lambda: not rows.exclude(delivery_status="SENT").exists(), timeout=TIMEOUT,
             what="every channel to be SENT", logs=workers.output)
    drained(private_redis, workers.output)
    assert (len(fake_sendgrid.requests), len(fake_twilio.requests)) == (2, 2)
    received = sorted(
        [r.response_headers["X-Message-Id"] for r in fake_sendgrid.requests]
        + [r.response_json["sid"] for r in fake_twilio.requests]
    )
    assert received == sorted(rows.values_list("provider_message_id", flat=True))

    # The codes delivered after the outage verify the session made before it.
    sent_first = set(rows.filter(session_id=before.json()["session_id"]).values_list("provider_message_id", flat=True))
    email = next(r for r in fake_sendgrid.requests if r.response_headers["X-Message-Id"] in sent_first)
    sms = next(r for r in fake_twilio.requests if r.response_json["sid"] in sent_first)
    codes = {"email": sendgrid_code(email), "sms": twilio_code(sms)}
    verified = api.post("/otp/verify", {"session_token": token, "otps": codes})
    assert verified.status_code == 200, verified.text
    assert verified.json()["session_verified"] is True
    assert gunicorn_pids(web) == pids


def test_a_redis_that_crashes_comes_back_empty_and_a_resend_sends_a_new_code_and_refunds_the_lost_one(
    account_keys, web, workers, private_redis, fake_twilio, fake_sendgrid  # noqa: F811
):
    """The limit of the guarantee above: without a save (SIGKILL, no AOF) the queued tasks are gone
    and nothing republishes them; the session stays usable through a resend, which refunds them."""
    api = Api(web, account_keys.live_key)
    pids = gunicorn_pids(web)
    sent = api.send()
    assert sent.status_code == 200, sent.text
    assert queued(private_redis) == len(CHANNELS)

    private_redis.kill()
    private_redis.start()
    assert queued(private_redis) == 0  # the tasks are lost
    resent = api.post("/otp/resend", {"session_token": sent.json()["session_token"]})
    assert resent.status_code == 200, resent.text
    assert gunicorn_pids(web) == pids

    workers.start()
    rows = ChannelVerification.objects.filter(session_id=sent.json()["session_id"])
    wait_for(lambda: not rows.exclude(delivery_status="SENT").exists(), timeout=TIMEOUT,
             what="the resent codes to be SENT", logs=workers.output)
    drained(private_redis, workers.output)
    assert sorted(rows.values_list("generation", flat=True)) == [2, 2]
    assert (len(fake_sendgrid.requests), len(fake_twilio.requests)) == (1, 1)  # the lost codes never went out
    entries = LedgerEntry.objects.filter(session_id=sent.json()["session_id"])
    assert sorted(entries.filter(kind="refund").values_list("idempotency_key", flat=True)) == [
        f"refund:{sent.json()['session_id']}:{channel}:1" for channel in sorted(CHANNELS)
    ]
    # Paid for exactly what the providers received: one code per channel.
    prices = price_map(account=account_keys.account, channels=list(CHANNELS))
    assert -entries.aggregate(total=Sum("amount"))["total"] == sum(prices.values())
