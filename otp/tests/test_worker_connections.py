"""A worker keeps its PostgreSQL connection across tasks (CELERY_DB_REUSE_MAX, otpservice.celery).

Celery's Django fixup would otherwise close it around every task, so each delivery paid for a new
backend (docs/benchmarks.md). Checked from PostgreSQL's side: the backends connected to the test
database after one delivery are the ones still serving after several more.
"""
from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection

from otp.models import ChannelVerification
from otp.tests.worker_support import Workers, celery_published_to, wait_for, worker_env

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def workers(redis_url, fake_twilio, fake_sendgrid, tmp_path):
    cache.clear()
    env = worker_env(redis_url=redis_url, twilio=fake_twilio, sendgrid=fake_sendgrid)
    env["DATABASE_URL"] += "?conn_max_age=60"  # as production keeps connections (settings.production)
    started = Workers(env=env, tmp_path=tmp_path)
    with celery_published_to(redis_url):
        yield started
    started.kill_all()


def _worker_backends() -> set[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, backend_start::text FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        return set(cursor.fetchall())


def _send_and_wait(api, workers, n: int) -> None:
    response = api.post("/api/v1/otp/send", {"channels": ["email"], "recipients": {"email": f"u{n}@example.com"}})
    assert response.status_code == 200, response.json()
    session_id = response.json()["session_id"]
    wait_for(
        lambda: ChannelVerification.objects.filter(session_id=session_id, delivery_status="SENT").exists(),
        timeout=30, what=f"delivery {n}", logs=workers.output,
    )


def test_one_worker_connection_serves_every_delivery(api, workers):
    workers.start(concurrency=1)
    _send_and_wait(api, workers, 0)
    first = _worker_backends()
    assert len(first) == 1, first  # the pool child's connection, kept after its task
    for n in range(1, 6):
        _send_and_wait(api, workers, n)
    assert _worker_backends() == first  # the same backend, never reconnected
