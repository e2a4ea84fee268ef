"""A real worker whose Redis broker (a private redis-server) goes away and comes back several times
while tasks run: the worker stays up and every queued code reaches the provider exactly once."""
from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from otp.models import ChannelVerification
from otp.tasks import deliver_code
from otp.tests.delivery_support import SEND, send_body
from otp.tests.private_redis import PrivateRedis
from otp.tests.worker_support import VISIBILITY_TIMEOUT, point_celery_at, wait_for, workers_fixture
from otpservice.celery import app

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

CHANNELS = ("email", "sms")
OUTAGES = 3  # one session per outage; the per-recipient limit (5 per 5 minutes) is not reached
PROVIDER_SECONDS = 2.0  # each send is slow, so Redis goes away while its task runs
OUTAGE_SECONDS = 3.0
# Spare pool processes, as a production worker has: the consumer keeps a BRPOP waiting for more
# work while tasks run, and that is the state in which celery 5.7.0 died on a lost connection.
CONCURRENCY = 4
TIMEOUT = 40


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def private_redis(tmp_path):
    with PrivateRedis(tmp_path) as server:
        yield server


@pytest.fixture
def broker(private_redis):
    """This process publishes to the private Redis too (the API's on_commit enqueue)."""
    previous = point_celery_at(
        app,
        broker_url=private_redis.url,
        task_always_eager=False,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT},
    )
    assert deliver_code.app is app
    try:
        yield private_redis
    finally:
        point_celery_at(app, **previous)


@pytest.fixture
def workers(broker, fake_twilio, fake_sendgrid, tmp_path):
    yield from workers_fixture(redis_url=broker.url, twilio=fake_twilio, sendgrid=fake_sendgrid, tmp_path=tmp_path)


def provider_ids(fake_twilio, fake_sendgrid) -> list[str]:
    """The id each provider gave every message it accepted: one entry per message received."""
    twilio = [r.response_json["sid"] for r in fake_twilio.requests if r.response_status == 201]
    sendgrid = [r.response_headers["X-Message-Id"] for r in fake_sendgrid.requests if r.response_status == 202]
    return twilio + sendgrid


def test_redis_going_away_while_tasks_run_keeps_the_worker_up_and_sends_every_code_once(
    api, workers, broker, fake_twilio, fake_sendgrid
):
    for fake in (fake_twilio, fake_sendgrid):
        fake.enqueue("hang", seconds=PROVIDER_SECONDS, times=OUTAGES)
    worker = workers.start(concurrency=CONCURRENCY)

    def alive() -> None:
        if worker.process.poll() is not None:
            pytest.fail(f"worker exited with {worker.process.returncode}\n{workers.output()}")

    def received() -> int:
        alive()
        return len(fake_twilio.requests) + len(fake_sendgrid.requests)

    sessions = []
    for outage in range(OUTAGES):
        response = api.post(SEND, send_body(CHANNELS))
        assert response.status_code == 200, response.json()
        sessions.append(response.json()["session_id"])
        # Both provider calls are under way (their messages unacknowledged) when Redis goes.
        expected = len(CHANNELS) * (outage + 1)
        wait_for(lambda expected=expected: received() >= expected, timeout=TIMEOUT,
                 what=f"the sends before outage {outage + 1}", logs=workers.output)
        broker.restart(down_for=OUTAGE_SECONDS)

    rows = ChannelVerification.objects.filter(session_id__in=sessions)
    assert rows.count() == OUTAGES * len(CHANNELS)

    def all_sent() -> bool:
        alive()
        return not rows.exclude(delivery_status="SENT").exists()

    wait_for(all_sent, timeout=TIMEOUT, what="every channel to be SENT", logs=workers.output)
    # Messages restored or redelivered after the outages must find their rows sent and send nothing.
    time.sleep(VISIBILITY_TIMEOUT + 1)
    alive()
    assert "Unrecoverable error" not in worker.output()
    assert sorted(provider_ids(fake_twilio, fake_sendgrid)) == sorted(rows.values_list("provider_message_id", flat=True))
    assert (len(fake_twilio.requests), len(fake_sendgrid.requests)) == (OUTAGES, OUTAGES)  # once per row
