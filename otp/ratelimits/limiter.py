"""Counting hits in the shared cache through django-ratelimit, failing closed when it is down."""
from __future__ import annotations

import logging
from dataclasses import dataclass

import redis
from django.conf import settings
from django_ratelimit.core import get_usage

from otpservice.errors import RateLimited, ServiceUnavailable

logger = logging.getLogger("otp.ratelimits")

# What django's RedisCache raises with the server down (refused) or hanging (socket timeout).
CACHE_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
UNAVAILABLE_RETRY_AFTER = 5


@dataclass(frozen=True)
class Usage:
    """One key's counter in its current window, after this request's hit."""

    limit: int
    count: int
    reset: int  # whole seconds (at least 1) until the window ends and the counter starts again

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


def _unavailable(group: str, exc: Exception | None) -> ServiceUnavailable:
    logger.error("Rate limit cache unavailable for %s: %s", group, exc or "counter lost")
    return ServiceUnavailable(
        "Service temporarily unavailable: the rate limiter cannot be reached",
        details={"reason": "rate_limiter_unavailable"},
        retry_after=UNAVAILABLE_RETRY_AFTER,
    )


def limit_hit(*, group: str, value: str, rate: str) -> Usage | None:
    """Count one hit on (group, value) at `rate`; None when limits are off or failing open.

    django-ratelimit's `get_usage` is what `is_ratelimited` wraps; it also gives the count and
    the seconds left, which the headers need, in the same single cache round trip. Windows are
    fixed and aligned per key: the key covers whole seconds up to `window` inclusive, so the
    counter starts again at window + 1, i.e. `time_left + 1` seconds from now.
    """
    for _attempt in range(2):
        try:
            usage = get_usage(None, group=group, key=lambda _group, _request: value, rate=rate, increment=True)
        except CACHE_DOWN as exc:
            if getattr(settings, "RATELIMIT_FAIL_OPEN", False):
                logger.warning("Rate limit cache unavailable for %s, failing open: %s", group, exc)
                return None
            raise _unavailable(group, exc) from exc
        if usage is None:  # RATELIMIT_ENABLE off, or django-ratelimit failing open itself
            return None
        # Our rates are at least 1/…, so limit 0 is django-ratelimit's "counter lost" answer (the key
        # vanished between add and incr, e.g. evicted): count again once before giving up.
        if usage["limit"] > 0:
            return Usage(limit=usage["limit"], count=usage["count"], reset=max(1, usage["time_left"] + 1))
    raise _unavailable(group, None)


def rate_limited(*, limit: str, scope: str, rate: str, usage: Usage) -> RateLimited:
    """The 429 for a limit that `usage` exceeded; Retry-After is the rest of its window."""
    return RateLimited(
        f"Rate limit exceeded: {limit} limit for {scope} is {rate}; retry in {usage.reset} s",
        details={"limit": limit, "scope": scope, "rate": rate, "retry_after_seconds": usage.reset},
        retry_after=usage.reset,
    )
