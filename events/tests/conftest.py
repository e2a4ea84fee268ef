"""Fixtures of the events tests: private addresses allowed (the receiver is on loopback), a short
timeout, a real receiver, and endpoints made through the services."""
from __future__ import annotations

import pytest

from events.services import webhook_create

from .receiver import start_receiver


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.OTP_WEBHOOKS_ALLOW_PRIVATE = True
    settings.OTP_WEBHOOKS_TIMEOUT_SECONDS = 1.0


@pytest.fixture
def receiver():
    receiver = start_receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def endpoint(account, receiver):
    """An endpoint of `account` for every event type, at the receiver; .endpoint and .secret."""
    from events.types import EventType

    return webhook_create(account=account, url=receiver.url(), events=EventType.values)


SESSION_DATA = {
    "session_id": "0b0e6f5e-3a47-4c5e-9d6e-3c1f7a2b9c10",
    "status": "PENDING",
    "channel": "sms",
    "delivery_status": "SENT",
    "sandbox": False,
    "metadata": {"order": "7"},
}
