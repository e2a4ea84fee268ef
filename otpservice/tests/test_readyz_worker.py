"""/readyz asks whether a worker consumes every queue, against Redis and a real worker process."""
from __future__ import annotations

import pytest
from django.test import Client

from otp.tests.fake_fixtures import fake_sendgrid, fake_twilio  # noqa: F401 (fixtures: the worker delivers to them)
from otp.tests.worker_support import point_celery_at, wait_for, workers_fixture
from otpservice.celery import app

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker(redis_url):
    previous = point_celery_at(app, broker_url=redis_url, task_always_eager=False)
    try:
        yield redis_url
    finally:
        point_celery_at(app, **previous)


@pytest.fixture
def workers(broker, fake_twilio, fake_sendgrid, tmp_path):  # noqa: F811 (the imported fixtures, requested)
    yield from workers_fixture(redis_url=broker, twilio=fake_twilio, sendgrid=fake_sendgrid, tmp_path=tmp_path)


def readyz():
    return Client().get("/readyz")


def test_readyz_is_503_naming_the_worker_when_the_broker_answers_but_no_worker_consumes(broker):
    response = readyz()
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "ok", "cache": "ok", "broker": "ok", "worker": "error: WorkerMissing",
    }


def test_readyz_is_ok_while_a_real_worker_consumes_every_queue_and_503_once_it_stops(workers):
    worker = workers.start()
    response = wait_for(lambda: (r := readyz()).status_code == 200 and r, timeout=10, what="ready",
                        logs=workers.output)
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "ok", "worker": "ok"}}

    worker.process.terminate()  # warm shutdown: the consumer stops and withdraws its presence
    worker.process.wait(timeout=20)
    response = readyz()
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == "error: WorkerMissing"
