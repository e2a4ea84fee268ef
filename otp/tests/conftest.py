"""Fixtures of the OTP tests: fake Twilio and SendGrid servers, live delivery settings, published tasks."""
import pytest

# Helpers with asserts of their own, imported below: rewritten so their failures explain themselves.
pytest.register_assert_rewrite("otp.tests.delivery_support", "otp.tests.fake_fixtures")

from .delivery_support import live, published  # noqa: E402, F401 (fixtures)
from .fake_fixtures import fake_sendgrid, fake_twilio  # noqa: E402, F401 (fixtures)
