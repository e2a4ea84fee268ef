"""Wallet test fixtures: no rate limits in the way, and a delivery provider that always fails."""
import pytest
from django.core.cache import cache

from .helpers import FailingProvider


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    # These tests count money, not requests: many sends to one recipient must not hit a 429.
    settings.RATELIMIT_ENABLE = False
    cache.clear()


@pytest.fixture
def failing_delivery(monkeypatch):
    monkeypatch.setattr("otp.tasks.provider_for", lambda channel: FailingProvider())
