"""Shared fixtures: accounts with keys, API clients, and the rules for service-backed tests."""
import os
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.services import account_create
from wallet.services import wallet_topup

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _unavailable(reason: str) -> None:
    """In CI (REQUIRE_SERVICES=1) a missing service fails the test; locally it skips, saying why."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1, so this is a failure, not a skip)")
    pytest.skip(f"{reason}; set DATABASE_URL/TEST_REDIS_URL or run .ci/run")


@pytest.fixture(autouse=True)
def _service_markers(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _unavailable("needs PostgreSQL: DATABASE_URL does not point at it")
    if request.node.get_closest_marker("redis") and not os.environ.get("TEST_REDIS_URL"):
        _unavailable("needs Redis: TEST_REDIS_URL is not set")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters (and anything else cached) never carry over from one test to the next.

    Limits stay on in tests; a test that legitimately sends more raises its limit via `settings`.
    """
    from django.core.cache import caches

    from otpservice.process_cache import clear_all

    for cache in caches.all(initialized_only=True):
        cache.clear()
    # The per-process caches of keys, prices, lists, endpoints and templates: a test's rows, rolled
    # back with it, must not answer the next test (and a QuerySet.update() in a test sends no signal).
    clear_all()


class SteppedClock:
    """A monotonic clock that moves only when told: how tests let a cached entry's TTL pass."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def cache_clock(monkeypatch):
    """The clock of the per-process caches (otpservice.process_cache.clock, there for this), stepped
    by the test instead of slept through; entries cached before it are dropped."""
    from otpservice import process_cache

    clock = SteppedClock()
    monkeypatch.setattr(process_cache, "clock", clock)
    process_cache.clear_all()
    return clock


@pytest.fixture
def redis_url():
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        _unavailable("needs Redis: TEST_REDIS_URL is not set")
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as exc:
        _unavailable(f"Redis at {url} is unreachable: {exc}")
    client.flushdb()
    yield url
    client.flushdb()


# Live sends are charged (issue #4): test accounts start with enough for any test's sends.
# Wallet tests that need an empty or exact balance make their own accounts.
TEST_BALANCE = Decimal("100.0000")


def funded_account(name: str):
    created = account_create(name=name)
    wallet_topup(account=created.account, amount=TEST_BALANCE, actor="conftest")
    return created


@pytest.fixture
def account_keys(db):
    """A fresh account with a funded wallet; .account, .live_key, .test_key."""
    return funded_account("Acme")


@pytest.fixture
def account(account_keys):
    return account_keys.account


def _client(key: str) -> APIClient:
    client = APIClient(HTTP_X_API_KEY=key)
    client.default_format = "json"
    return client


@pytest.fixture
def api(account_keys):
    """Client authenticated with the live key (delivery through the outbox)."""
    return _client(account_keys.live_key)


@pytest.fixture
def sandbox_api(account_keys):
    """Client authenticated with the sk_test_ key (sandbox: codes come back in the response)."""
    return _client(account_keys.test_key)


@pytest.fixture
def other_api(db):
    """A client of a second account, for isolation checks."""
    return _client(funded_account("Other").live_key)


@pytest.fixture
def outbox_file(tmp_path, settings):
    path = tmp_path / "outbox.jsonl"
    settings.OTP = {**settings.OTP, "OUTBOX_FILE": str(path)}
    return path
