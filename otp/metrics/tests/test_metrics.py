"""/metrics: counters that move with sends, verifications, deliveries and refunds; who may read
it; queue depth from the broker; counts added up across processes (multiprocess mode)."""
import json
import os
import subprocess
import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families

from otp.delivery.state import channel_delivery_report
from otp.models import ChannelVerification, DeliveryStatus

TOKEN = "metrics-token-0123456789"
RECIPIENTS = {"email": "ada@example.com", "sms": "+14155552671"}


@pytest.fixture
def metrics_open(settings):
    settings.OTP = {**settings.OTP, "METRICS_TOKEN": TOKEN, "METRICS_ALLOW": ""}


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _send(client, channels):
    body = {"channels": list(channels), "recipients": {ch: RECIPIENTS[ch] for ch in channels}}
    response = client.post("/api/v1/otp/send", body)
    assert response.status_code == 200, response.json()
    return response.json()


def test_a_live_send_counts_codes_deliveries_latency_and_a_reported_failure_refund(
    api, client, metrics_open, django_capture_on_commit_callbacks
):
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        sent = _send(api, ["email", "sms"])
    after = scrape(client)
    for channel in ("email", "sms"):
        assert value(after, "otp_sends_total", channel=channel, outcome="queued") == value(
            before, "otp_sends_total", channel=channel, outcome="queued") + 1
        assert value(after, "otp_delivery_attempts_total", channel=channel, outcome="sent") == value(
            before, "otp_delivery_attempts_total", channel=channel, outcome="sent") + 1
        assert value(after, "otp_delivery_latency_seconds_count", channel=channel) == value(
            before, "otp_delivery_latency_seconds_count", channel=channel) + 1
    row = ChannelVerification.objects.get(session_id=sent["session_id"], channel="sms")
    with django_capture_on_commit_callbacks(execute=True):
        assert channel_delivery_report(provider_message_id=row.provider_message_id, state=DeliveryStatus.FAILED)
        # Reported twice: refunded once, counted once.
        channel_delivery_report(provider_message_id=row.provider_message_id, state=DeliveryStatus.FAILED)
    reported = scrape(client)
    assert value(reported, "otp_refunds_total", channel="sms") == value(after, "otp_refunds_total", channel="sms") + 1
    assert value(reported, "otp_delivery_reports_total", channel="sms", status="failed") == value(
        after, "otp_delivery_reports_total", channel="sms", status="failed") + 1


def test_sandbox_sends_and_each_verified_or_wrong_code_are_counted(sandbox_api, client, metrics_open):
    before = scrape(client)
    sent = _send(sandbox_api, ["email", "sms"])
    wrong = "0" * 6 if sent["sandbox_otps"]["sms"] != "0" * 6 else "1" * 6
    response = sandbox_api.post("/api/v1/otp/verify", {
        "session_token": sent["session_token"], "otps": {"email": sent["sandbox_otps"]["email"], "sms": wrong},
    })
    assert response.status_code == 200, response.json()
    after = scrape(client)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("otp_sends_total", channel="email", outcome="sandbox") == 1
    assert moved("otp_sends_total", channel="email", outcome="queued") == 0
    assert moved("otp_verifications_total", channel="email", outcome="correct") == 1
    assert moved("otp_verifications_total", channel="sms", outcome="wrong") == 1


def test_a_refused_verification_counts_the_refusals_code(sandbox_api, client, metrics_open):
    sent = _send(sandbox_api, ["email"])
    codes = {"email": sent["sandbox_otps"]["email"]}
    body = {"session_token": sent["session_token"], "otps": codes}
    assert sandbox_api.post("/api/v1/otp/verify", body).status_code == 200
    before = scrape(client)
    assert sandbox_api.post("/api/v1/otp/verify", body).status_code == 409
    moved = value(scrape(client), "otp_verifications_total", channel="email", outcome="already_verified")
    assert moved == value(before, "otp_verifications_total", channel="email", outcome="already_verified") + 1


def test_a_fraud_guard_refusal_is_counted_though_its_request_rolls_back(api, client, metrics_open):
    assert api.post("/api/v1/otp/blocklist", {"value": "+33"}).status_code == 201
    before = value(scrape(client), "otp_fraud_decisions_total", mode="block", rule="blocklist")
    refused = api.post("/api/v1/otp/send", {"channels": ["sms"], "recipients": {"sms": "+33698765432"}})
    assert refused.status_code == 403
    after = value(scrape(client), "otp_fraud_decisions_total", mode="block", rule="blocklist")
    assert after == before + 1


def test_a_send_refused_for_its_balance_counts_nothing(db, client, metrics_open, django_capture_on_commit_callbacks):
    from rest_framework.test import APIClient

    from accounts.services import account_create

    broke = APIClient(HTTP_X_API_KEY=account_create(name="Broke").live_key)
    broke.default_format = "json"
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = broke.post("/api/v1/otp/send", {"channels": ["sms"], "recipients": {"sms": RECIPIENTS["sms"]}})
    assert response.status_code == 402, response.json()
    after = scrape(client)
    assert value(after, "otp_sends_total", channel="sms", outcome="queued") == value(
        before, "otp_sends_total", channel="sms", outcome="queued")


# --- who may read it -----------------------------------------------------------------------------


def _otp(settings, **values):
    settings.OTP = {**settings.OTP, "METRICS_TOKEN": "", "METRICS_ALLOW": "", **values}


def test_production_with_neither_token_nor_allowlist_refuses_to_serve_metrics(client, settings):
    _otp(settings)
    settings.DEBUG = False
    response = client.get("/metrics")
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    settings.DEBUG = True  # make run
    assert client.get("/metrics").status_code == 200


def test_the_token_is_required_when_one_is_set(client, settings):
    _otp(settings, METRICS_TOKEN=TOKEN)
    for header in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": TOKEN}):
        response = client.get("/metrics", **header)
        assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["error"]["code"] == "authentication_failed"
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


def test_an_allowed_network_reads_without_a_token_and_others_are_refused(client, settings):
    _otp(settings, METRICS_ALLOW="10.0.0.0/8, 192.0.2.7")
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.8").status_code == 403
    # X-Forwarded-For counts only behind trusted proxies (TRUSTED_PROXY_COUNT, as for rate limits).
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.8", HTTP_X_FORWARDED_FOR="10.0.0.1").status_code == 403
    settings.TRUSTED_PROXY_COUNT = 1
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.8", HTTP_X_FORWARDED_FOR="10.0.0.1").status_code == 200


def test_a_bad_allowlist_entry_is_a_system_check_error(settings):
    from otp.metrics.checks import metrics_allow_check

    _otp(settings, METRICS_ALLOW="10.0.0.0/8,not-an-address")
    assert [error.id for error in metrics_allow_check(None)] == ["otp.E020"]
    _otp(settings, METRICS_ALLOW="10.0.0.0/8")
    assert metrics_allow_check(None) == []


# --- queue depth ---------------------------------------------------------------------------------


def test_no_broker_means_no_queue_depth(client, metrics_open, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert not any(name.startswith(("otp_queue_depth", "otp_broker_up")) for name, _ in scrape(client))


@pytest.mark.redis
def test_queue_depth_is_read_from_the_redis_lists_of_every_priority(client, metrics_open, settings, redis_url):
    import redis

    settings.CELERY_TASK_ALWAYS_EAGER, settings.CELERY_BROKER_URL = False, redis_url
    broker = redis.Redis.from_url(redis_url)
    broker.delete("otp.sms", "otp.sms\x06\x163", "otp.email")
    try:
        broker.rpush("otp.sms", "a", "b", "c")
        broker.rpush("otp.sms\x06\x163", "d")
        broker.rpush("otp.email", "e")
        samples = scrape(client)
    finally:
        broker.delete("otp.sms", "otp.sms\x06\x163", "otp.email")
    assert value(samples, "otp_queue_depth", queue="otp.sms") == 4
    assert value(samples, "otp_queue_depth", queue="otp.email") == 1
    assert ("otp_queue_depth", (("queue", "otp.default"),)) in samples
    assert value(samples, "otp_broker_up") == 1


def test_an_unreachable_broker_reports_down_and_the_scrape_still_answers(client, metrics_open, settings):
    settings.CELERY_TASK_ALWAYS_EAGER, settings.CELERY_BROKER_URL = False, "redis://127.0.0.1:1/0"
    samples = scrape(client)
    assert value(samples, "otp_broker_up") == 0
    assert not any(name == "otp_queue_depth" for name, _ in samples)


# --- several processes ---------------------------------------------------------------------------

CHILD = """
import json, os, sys
import django
django.setup()
from otp import metrics
if sys.argv[1] == "count":
    metrics.delivery_accepted(channel="sms", sent_at=None)
else:
    from otp.metrics.views import metrics_text
    print(json.dumps(metrics_text().decode()))
"""


def test_counts_of_several_processes_are_added_up_in_multiprocess_mode(tmp_path):
    env = {
        **os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "otpservice.settings.test",
        "DATABASE_URL": "sqlite://:memory:",
    }
    for _ in range(3):  # three worker processes, one send each
        subprocess.run([sys.executable, "-c", CHILD, "count"], env=env, check=True, timeout=60)
    out = subprocess.run([sys.executable, "-c", CHILD, "scrape"], env=env, check=True, timeout=60, capture_output=True)
    text = json.loads(out.stdout.decode().strip().splitlines()[-1])
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert value(samples, "otp_delivery_attempts_total", channel="sms", outcome="sent") == 3
