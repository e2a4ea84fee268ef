"""Wallet test fixtures: a delivery provider that always fails."""
import pytest

from .helpers import FailingProvider


@pytest.fixture
def failing_delivery(monkeypatch):
    monkeypatch.setattr("otp.delivery.attempt.provider_for", lambda channel: FailingProvider())
