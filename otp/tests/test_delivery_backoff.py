"""The delays between provider retries: exponential, capped, fully jittered, and what the task uses."""
import random

import pytest
from celery.exceptions import Retry

from otp.delivery import attempt as delivery_attempt
from otp.delivery.attempt import retry_delay
from otp.delivery.base import TransientDeliveryError
from otp.models import ChannelVerification

from .delivery_support import run_as_worker

pytestmark = pytest.mark.django_db


class _Unavailable:
    name = "flaky"

    def send(self, message):
        raise TransientDeliveryError("HTTP 503", status=503)


def _ceiling(lo: float, hi: float) -> float:
    assert lo == 0  # full jitter: any wait from zero up
    return hi


def test_each_retry_may_wait_twice_as_long_up_to_the_cap(settings):
    settings.OTP = {**settings.OTP, "DELIVERY_RETRY_BASE_SECONDS": 2.0, "DELIVERY_RETRY_MAX_SECONDS": 300.0}
    ceilings = [retry_delay(tries, uniform=_ceiling) for tries in range(1, 11)]
    assert ceilings == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]


def test_the_wait_is_drawn_anywhere_below_the_ceiling(settings):
    settings.OTP = {**settings.OTP, "DELIVERY_RETRY_BASE_SECONDS": 2.0, "DELIVERY_RETRY_MAX_SECONDS": 300.0}
    waits = [retry_delay(4) for _ in range(400)]
    assert all(0 <= wait <= 16 for wait in waits)
    assert min(waits) < 4 and max(waits) > 12  # spread over the range, not pinned to an end


def test_a_transient_failure_is_retried_after_the_backoff_delay(
    api, settings, monkeypatch, published, django_capture_on_commit_callbacks
):
    settings.OTP = {**settings.OTP, "DELIVERY_RETRY_BASE_SECONDS": 8.0, "DELIVERY_RETRY_MAX_SECONDS": 300.0}
    monkeypatch.setattr(delivery_attempt, "provider_for", lambda channel: _Unavailable())
    with django_capture_on_commit_callbacks(execute=False):
        sent = api.post("/api/v1/otp/send", {"channels": ["sms"], "recipients": {"sms": "+14155552671"}}).json()
    row = ChannelVerification.objects.get(session_id=sent["session_id"])

    countdowns = []
    for retries, tries in ((0, 1), (1, 2), (2, 3)):
        random.seed(tries)
        expected = random.Random(tries).uniform(0, 8.0 * 2 ** (tries - 1))
        with pytest.raises(Retry):
            run_as_worker(row, retries=retries)
        countdowns.append((published[-1]["countdown"], expected))
    assert [round(got, 9) for got, _ in countdowns] == [round(want, 9) for _, want in countdowns]
    assert all(got > 0 for got, _ in countdowns)
