"""The limiter around django-ratelimit: counting, window arithmetic, and losing the counter."""
import time

import pytest
from django_ratelimit.core import _get_window

from otp.ratelimits import limiter
from otpservice.errors import ServiceUnavailable


def test_hits_count_up_within_one_window_and_reset_matches_django_ratelimits_window(time_machine):
    time_machine.move_to(1_800_000_000.0, tick=False)
    usages = [limiter.limit_hit(group="t", value="k", rate="3/10s") for _ in range(4)]
    assert [(u.count, u.remaining, u.exceeded) for u in usages] == [(1, 2, False), (2, 1, False), (3, 0, False), (4, 0, True)]
    window_end = _get_window("k", 10)
    assert {u.reset for u in usages} == {window_end + 1 - int(time.time())}
    time_machine.move_to(float(window_end + 1), tick=False)
    assert limiter.limit_hit(group="t", value="k", rate="3/10s").count == 1


def test_a_lost_counter_is_counted_again_once(monkeypatch):
    answers = iter([{"count": 0, "limit": 0, "should_limit": True, "time_left": -1}, {"count": 1, "limit": 5, "should_limit": False, "time_left": 9}])
    monkeypatch.setattr(limiter, "get_usage", lambda *args, **kwargs: next(answers))
    assert limiter.limit_hit(group="t", value="k", rate="5/10s") == limiter.Usage(limit=5, count=1, reset=10)


def test_a_counter_lost_twice_is_a_503(monkeypatch):
    lost = {"count": 0, "limit": 0, "should_limit": True, "time_left": -1}
    monkeypatch.setattr(limiter, "get_usage", lambda *args, **kwargs: lost)
    with pytest.raises(ServiceUnavailable) as caught:
        limiter.limit_hit(group="t", value="k", rate="5/10s")
    assert caught.value.retry_after == limiter.UNAVAILABLE_RETRY_AFTER


def test_only_connection_and_timeout_errors_mean_the_cache_is_down(monkeypatch):
    import redis

    def broken(*args, **kwargs):
        raise redis.exceptions.ResponseError("WRONGTYPE")

    monkeypatch.setattr(limiter, "get_usage", broken)
    with pytest.raises(redis.exceptions.ResponseError):
        limiter.limit_hit(group="t", value="k", rate="5/10s")
