"""Every queue is declared once in CELERY_TASK_QUEUES, and a worker started without -Q consumes them all."""
from __future__ import annotations

import pytest
from django.conf import settings

from events.queues import WEBHOOK_QUEUE
from otp.tasks import QUEUES
from otp.tests.fake_fixtures import fake_sendgrid, fake_twilio  # noqa: F401 (fixtures: the worker delivers to them)
from otp.tests.worker_support import wait_for, workers_fixture
from otpservice.celery import app
from otpservice.worker_presence import consumed_queues

DECLARED = {queue.name for queue in getattr(settings, "CELERY_TASK_QUEUES", ())}


def test_every_queue_the_code_publishes_to_is_declared():
    published = {
        *QUEUES.values(),  # deliver_code, one queue per channel
        WEBHOOK_QUEUE,  # events.deliver_webhook
        app.conf.task_default_queue,  # any task published without a queue
        *(entry["options"]["queue"] for entry in settings.CELERY_BEAT_SCHEDULE.values()),
    }
    assert published == DECLARED == {"otp.email", "otp.sms", "otp.whatsapp", "otp.default", "events.webhooks"}
    assert {queue.name for queue in app.conf.task_queues or ()} == DECLARED


@pytest.fixture
def workers(redis_url, fake_twilio, fake_sendgrid, tmp_path):  # noqa: F811 (the imported fixtures, requested)
    yield from workers_fixture(redis_url=redis_url, twilio=fake_twilio, sendgrid=fake_sendgrid, tmp_path=tmp_path)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_started_without_queues_consumes_every_declared_queue(workers, redis_url):
    # worker_support starts `celery -A otpservice worker` with no -Q, as scripts/stack.sh does.
    workers.start()
    consumed = wait_for(lambda: consumed_queues(redis_url), timeout=10, what="worker presence", logs=workers.output)
    assert consumed == DECLARED
