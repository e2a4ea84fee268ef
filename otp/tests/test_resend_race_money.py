"""Money stays exact when parallel resends race real workers: per session, what was charged and not
refunded is exactly what the provider received, and no request deadlocks into a 500."""
from __future__ import annotations

import socket
import subprocess
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection
from django.db.models import Sum

from otp.models import ChannelVerification
from otp.tests.worker_support import (
    CELERY,
    QUEUES,
    ROOT,
    celery_published_to,
    wait_for,
    worker_env,
    workers_fixture,
)
from wallet.models import LedgerEntry
from wallet.selectors import price_map

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

SESSIONS = 10
RESENDS_PER_SESSION = 30
PARALLEL = 20  # as many as gunicorn's 2 × 10 threads take at once
SETTLE_TIMEOUT = 120
GUNICORN = CELERY.with_name("gunicorn")


@pytest.fixture
def broker(redis_url):
    with celery_published_to(redis_url) as client:
        yield client


@pytest.fixture
def workers(broker, redis_url, fake_twilio, fake_sendgrid, tmp_path):
    yield from workers_fixture(redis_url=redis_url, twilio=fake_twilio, sendgrid=fake_sendgrid, tmp_path=tmp_path)


# No cooldown, no cap and roomy limits: every resend is allowed, so they all race.
RACING = {
    "OTP_RESEND_COOLDOWN_SECONDS": "0",
    "OTP_MAX_RESENDS": "10000",
    "OTP_RATE_RECIPIENT": "10000/m",
    "OTP_RATE_SEND": "10000/m",
    "OTP_RATE_RESEND": "10000/m",
    "OTP_RATE_IP": "10000/m",
}


@pytest.fixture
def web(broker, redis_url, fake_twilio, fake_sendgrid, tmp_path):
    """gunicorn with two workers and threads, on the test database and the test broker, as in production."""
    env = {**worker_env(redis_url=redis_url, twilio=fake_twilio, sendgrid=fake_sendgrid), **RACING}
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    log = tmp_path / "gunicorn.log"
    command = [
        str(GUNICORN), "otpservice.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", "2", "--threads", "10", "--backlog", "256",
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}\n{log.read_text()}")
        try:
            return requests.get(f"{url}/healthz", timeout=5).status_code == 200
        except (requests.ConnectionError, requests.Timeout):  # a first answer may be slow on a loaded machine
            return False

    try:
        wait_for(up, timeout=30, what="gunicorn", logs=lambda: log.read_text())
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def deadlocks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def recipient(index: int) -> str:
    return f"user{index}@example.com"


def received_by(fake_sendgrid) -> Counter:
    """Messages the fake SendGrid accepted, per recipient address."""
    counts: Counter = Counter()
    for request in fake_sendgrid.requests:
        if request.response_status == 202:
            for personalization in request.json["personalizations"]:
                counts.update(to["email"] for to in personalization["to"])
    return counts


def test_parallel_resends_racing_the_workers_charge_exactly_what_the_provider_received(
    web, account_keys, workers, broker, fake_sendgrid
):
    workers.start()
    workers.start()
    deadlocks_before = deadlocks()
    base, headers = f"{web}/api/v1/otp", {"X-API-Key": account_keys.live_key}

    def post(path: str, body: dict) -> requests.Response:
        return requests.post(f"{base}/{path}", json=body, headers=headers, timeout=60)

    sessions = []
    for index in range(SESSIONS):
        response = post("send", {"channels": ["email"], "recipients": {"email": recipient(index)}})
        assert response.status_code == 200, response.text
        sessions.append(response.json())

    # Round robin, PARALLEL requests in flight: every session has several resends racing each other
    # and the workers.
    calls = [session for _ in range(RESENDS_PER_SESSION) for session in sessions]
    barrier = threading.Barrier(PARALLEL)

    def resend(session: dict) -> int:
        try:
            barrier.wait(timeout=60)
        except threading.BrokenBarrierError:
            pass  # only the first wave starts together; the rest follow as threads free up
        return post("resend", {"session_token": session["session_token"]}).status_code

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        statuses = Counter(pool.map(resend, calls))
    assert not [status for status in statuses if status >= 500], statuses
    assert statuses[200] > 0

    def settled() -> bool:
        idle = all(broker.llen(queue) == 0 for queue in QUEUES) and broker.hlen("unacked") == 0
        rows = ChannelVerification.objects.filter(session_id__in=[s["session_id"] for s in sessions])
        return idle and not rows.filter(delivery_status="QUEUED").exists()

    wait_for(settled, timeout=SETTLE_TIMEOUT, what="every delivery to settle", logs=workers.output)

    price = price_map(account=account_keys.account, channels=["email"])["email"]
    received = received_by(fake_sendgrid)
    for index, session in enumerate(sessions):
        net = -LedgerEntry.objects.filter(session_id=session["session_id"]).aggregate(total=Sum("amount"))["total"]
        assert net == price * received[recipient(index)], (index, net, received[recipient(index)])
        # The latest code went out: the session is usable after the storm.
        row = ChannelVerification.objects.get(session_id=session["session_id"])
        assert row.delivery_status == "SENT", (index, row.delivery_status, row.last_error)
    assert deadlocks() == deadlocks_before  # PostgreSQL's own count: no transaction was a deadlock victim
