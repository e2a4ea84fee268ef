"""A real worker whose link to PostgreSQL drops: before the claim, and right after the provider
accepted a message. No code is lost, none goes out twice, and a delivered message stays paid for."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from otp.housekeeping import housekeeping_run
from otp.models import ChannelVerification, DeliveryAttempt
from otp.tests.delivery_support import SEND, send_body, twilio_code, verify
from otp.tests.tcp_proxy import TcpProxy
from otp.tests.worker_support import (
    LEASE_SECONDS,
    Workers,
    celery_published_to,
    database_url_for_worker,
    wait_for,
    worker_env,
)
from wallet.models import LedgerEntry

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

TIMEOUT = 40
OUTAGE_SECONDS = 3.0


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def broker(redis_url):
    with celery_published_to(redis_url) as client:
        yield client


@pytest.fixture
def db_link():
    """The worker's road to the test database: a proxy the test can cut (the test keeps its own)."""
    db = connection.settings_dict
    with TcpProxy(upstream_host=db["HOST"] or "127.0.0.1", upstream_port=int(db["PORT"] or 5432)) as proxy:
        yield proxy


@pytest.fixture
def worker_with(broker, redis_url, fake_twilio, fake_sendgrid, db_link, tmp_path):
    """Start a worker that reaches the database through db_link, with extra environment."""
    env = worker_env(redis_url=redis_url, twilio=fake_twilio, sendgrid=fake_sendgrid)
    db = connection.settings_dict
    env["DATABASE_URL"] = env["DATABASE_URL"].replace(
        f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/", f"@127.0.0.1:{db_link.port}/"
    )
    assert f":{db_link.port}/" in env["DATABASE_URL"]
    workers = Workers(env=env, tmp_path=tmp_path)

    def start(**extra: str):
        workers.env.update(extra)
        return workers.start()

    try:
        yield start
    finally:
        workers.kill_all()


@pytest.fixture
def worker(worker_with):
    return worker_with()


def post_send(api) -> dict:
    response = api.post(SEND, send_body(["sms"]))
    assert response.status_code == 200, response.json()
    return response.json()


def sms_row(sent: dict) -> ChannelVerification:
    return ChannelVerification.objects.get(session_id=sent["session_id"], channel="sms")


def wait_sent(sent: dict, worker) -> ChannelVerification:
    def sent_row():
        row = sms_row(sent)
        return row if row.delivery_status == "SENT" else None

    return wait_for(sent_row, timeout=TIMEOUT, what="the sms to be SENT", logs=worker.output)


def ledger(sent: dict) -> list[tuple[str, int]]:
    entries = LedgerEntry.objects.filter(session_id=sent["session_id"]).order_by("pk")
    return list(entries.values_list("kind", "amount"))


def restore_after(proxy: TcpProxy, seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, proxy.restore)
    timer.start()
    return timer


def test_a_database_outage_before_the_claim_is_retried_and_the_code_goes_out_once(
    api, worker, db_link, fake_twilio
):
    db_link.cut()
    sent = post_send(api)  # the API still reaches the database; the worker does not
    wait_for(
        lambda: "met a database error" in worker.output(), timeout=TIMEOUT, what="a database error", logs=worker.output
    )
    assert fake_twilio.requests == []
    assert sms_row(sent).delivery_status == "QUEUED"
    db_link.restore()

    row = wait_sent(sent, worker)
    (request,) = fake_twilio.requests
    assert row.provider_message_id == request.response_json["sid"]
    assert verify(api, sent["session_token"], {"sms": twilio_code(request)}).json()["status"] == "VERIFIED"
    assert [kind for kind, _ in ledger(sent)] == ["charge"]
    assert worker.process.poll() is None
    # The log scrubber hides codes, not every number: the port an operator needs stays readable,
    # and the code that went out appears nowhere.
    assert f"port {db_link.port}" in worker.output()
    assert twilio_code(request) not in worker.output()


def test_a_link_lost_after_the_claim_is_retried_at_once_not_after_the_lease(api, worker_with, db_link, fake_twilio):
    # A slow hash (bcrypt cost 14, about a second) leaves time to cut the link between the claim and
    # the hash write; the lease is long, so only retaking its own claim lets the retry go at once.
    worker = worker_with(OTP_BCRYPT_ROUNDS="14", OTP_DELIVERY_LEASE_SECONDS="120", CELERY_VISIBILITY_TIMEOUT="300")
    sent = post_send(api)
    wait_for(lambda: sms_row(sent).claimed_at, timeout=TIMEOUT, what="the claim", logs=worker.output)
    db_link.cut()
    restore_after(db_link, 1.0)
    wait_for(
        lambda: "met a database error" in worker.output(), timeout=TIMEOUT, what="a database error", logs=worker.output
    )
    row = wait_sent(sent, worker)  # well inside the 120 s lease: TIMEOUT is 40 s
    (request,) = fake_twilio.requests
    assert row.provider_message_id == request.response_json["sid"]
    assert verify(api, sent["session_token"], {"sms": twilio_code(request)}).json()["status"] == "VERIFIED"


def test_a_send_the_provider_accepted_while_the_database_dropped_is_recorded_once_not_refunded(
    api, worker, db_link, fake_twilio
):
    timers = []

    def outage_at_the_provider(request):
        db_link.cut()
        timers.append(restore_after(db_link, OUTAGE_SECONDS))

    fake_twilio.on_request = outage_at_the_provider
    sent = post_send(api)

    row = wait_sent(sent, worker)
    (request,) = fake_twilio.requests
    assert db_link.cuts == 1
    assert "Recording the send twilio_sms accepted as" in worker.output()
    assert row.provider_message_id == request.response_json["sid"]
    assert list(DeliveryAttempt.objects.filter(channel_row=row).values_list("outcome", flat=True)) == ["sent"]
    assert [kind for kind, _ in ledger(sent)] == ["charge"]
    assert verify(api, sent["session_token"], {"sms": twilio_code(request)}).json()["status"] == "VERIFIED"
    for timer in timers:
        timer.join()


def test_a_late_record_reverses_the_refund_housekeeping_made_meanwhile(api, worker, db_link, fake_twilio, settings):
    settings.OTP = {**settings.OTP, "DELIVERY_LEASE_SECONDS": LEASE_SECONDS}  # the worker's lease, here too
    accepted = threading.Event()

    def outage_at_the_provider(request):
        db_link.cut()
        accepted.set()

    fake_twilio.on_request = outage_at_the_provider
    sent = post_send(api)
    assert accepted.wait(TIMEOUT), worker.output()
    # While the worker cannot record the send, the session ends and its claim lapses: housekeeping
    # (in this process, which still reaches the database) judges the channel never sent.
    assert api.post(f"/api/v1/otp/sessions/{sent['session_id']}/cancel").status_code == 200
    result = housekeeping_run(now=timezone.now() + timedelta(seconds=LEASE_SECONDS + 1))
    assert result.undelivered == 1
    assert [kind for kind, _ in ledger(sent)] == ["charge", "refund"]
    db_link.restore()

    row = wait_sent(sent, worker)
    (request,) = fake_twilio.requests
    assert row.provider_message_id == request.response_json["sid"]
    (charge, refund, recharge) = ledger(sent)
    assert (refund[0], recharge[0]) == ("refund", "charge")
    assert charge[1] + refund[1] + recharge[1] == charge[1]  # the delivered message is paid for once
    assert "its refund was reversed" in worker.output()


def test_a_kept_connection_lost_between_tasks_is_replaced_and_the_next_code_goes_out(api, worker_with, db_link, fake_twilio):
    # As production runs the worker: connections kept across tasks (CELERY_DB_REUSE_MAX) and
    # health-checked before reuse (CONN_HEALTH_CHECKS), so a backend that died while the worker
    # was idle costs the next task a reconnect, not a failed try.
    db = connection.settings_dict
    through_link = database_url_for_worker().replace(
        f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/", f"@127.0.0.1:{db_link.port}/"
    )
    worker = worker_with(DATABASE_URL=f"{through_link}?conn_max_age=60&conn_health_checks=true")
    wait_sent(post_send(api), worker)
    db_link.cut()  # drops the kept connection
    db_link.restore()
    second = post_send(api)
    row = wait_sent(second, worker)
    assert len(fake_twilio.requests) == 2
    assert row.provider_message_id == fake_twilio.requests[-1].response_json["sid"]
    assert [kind for kind, _ in ledger(second)] == ["charge"]
    assert "met a database error" not in worker.output()
