"""Wallet test fixtures: a delivery provider that always fails."""
import pytest

from .helpers import FailingProvider


@pytest.fixture
def failing_delivery(monkeypatch):
    monkeypatch.setattr("otp.tasks.provider_for", lambda channel: FailingProvider())
