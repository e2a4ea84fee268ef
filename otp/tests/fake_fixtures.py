"""Pytest fixtures that run the fake Twilio and SendGrid servers; no database needed."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from .fakes import FakeSendGrid, FakeTwilio


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def fake_sendgrid() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as fake:
        yield fake
